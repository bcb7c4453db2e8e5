-- Profiles and follows, owned by douyin-user.

CREATE TABLE profiles (
    id               BIGINT PRIMARY KEY,
    name             TEXT COLLATE "C" NOT NULL,
    avatar           TEXT NOT NULL DEFAULT '',
    background_image TEXT NOT NULL DEFAULT '',
    signature        TEXT NOT NULL DEFAULT '',
    -- Kept in the same transaction as the follows rows they count.
    follow_count     BIGINT NOT NULL DEFAULT 0 CHECK (follow_count >= 0),
    follower_count   BIGINT NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE follows (
    follower_id BIGINT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    followee_id BIGINT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    -- Creation order, also within one millisecond.
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_by_followee ON follows (followee_id, seq DESC);
CREATE INDEX follows_by_follower ON follows (follower_id, seq DESC);
