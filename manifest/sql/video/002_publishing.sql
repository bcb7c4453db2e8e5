-- Publishing order, media types and likes.

-- Hands out distinct publish times: the newest time plus one when two uploads
-- land in the same millisecond (API.md 4). One row, updated under its row lock.
CREATE TABLE publish_clock (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    last_ms   BIGINT NOT NULL
);
INSERT INTO publish_clock (last_ms) VALUES (0);

ALTER TABLE videos ADD COLUMN content_type TEXT NOT NULL DEFAULT 'video/mp4';

-- One row per (user, video); `seq` orders a user's likes, most recent first.
CREATE TABLE favorites (
    user_id  BIGINT NOT NULL,
    video_id BIGINT NOT NULL REFERENCES videos (id),
    seq      BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (user_id, video_id)
);
CREATE INDEX favorites_by_user ON favorites (user_id, seq DESC);
