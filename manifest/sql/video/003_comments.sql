-- Comments on videos. Deleting a comment removes its row.
CREATE TABLE comments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id   BIGINT NOT NULL REFERENCES videos (id),
    user_id    BIGINT NOT NULL,
    content    TEXT NOT NULL,
    -- Unix ms.
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_by_video ON comments (video_id, id DESC);
