-- Videos and per-user video counters, owned by douyin-video.

CREATE TABLE videos (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id      BIGINT NOT NULL,
    title          TEXT NOT NULL,
    play_key       TEXT NOT NULL,
    cover_key      TEXT NOT NULL,
    -- Publish time in Unix ms; distinct, so feed paging has no gaps (API.md 4).
    published_at   BIGINT NOT NULL UNIQUE,
    favorite_count BIGINT NOT NULL DEFAULT 0 CHECK (favorite_count >= 0),
    comment_count  BIGINT NOT NULL DEFAULT 0 CHECK (comment_count >= 0)
);
CREATE INDEX videos_by_author ON videos (author_id, published_at DESC);

-- Counters shown in User objects; changed in the same transaction as the rows they count.
CREATE TABLE user_stats (
    user_id         BIGINT PRIMARY KEY,
    work_count      BIGINT NOT NULL DEFAULT 0 CHECK (work_count >= 0),
    total_favorited BIGINT NOT NULL DEFAULT 0 CHECK (total_favorited >= 0),
    favorite_count  BIGINT NOT NULL DEFAULT 0 CHECK (favorite_count >= 0)
);
