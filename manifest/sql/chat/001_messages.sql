-- Messages, owned by douyin-chat.

-- One row per pair of users (lower id first); `last_time` hands out strictly
-- increasing create_time values within the conversation (API.md 4).
CREATE TABLE conversations (
    user_low  BIGINT NOT NULL,
    user_high BIGINT NOT NULL,
    last_time BIGINT NOT NULL,
    PRIMARY KEY (user_low, user_high),
    CHECK (user_low < user_high)
);

CREATE TABLE messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_low     BIGINT NOT NULL,
    user_high    BIGINT NOT NULL,
    from_user_id BIGINT NOT NULL,
    to_user_id   BIGINT NOT NULL,
    content      TEXT NOT NULL,
    -- Unix ms, strictly increasing within (user_low, user_high).
    create_time  BIGINT NOT NULL,
    UNIQUE (user_low, user_high, create_time)
);
