-- Adaptive streaming: after a publish commits, the video service's transcode workers make
-- HLS renditions and a small cover; until then `hls_key` and `cover_small_key` are null
-- and the API answers empty URLs (the original file keeps playing).
ALTER TABLE videos
    ADD COLUMN hls_key TEXT,            -- the master playlist
    ADD COLUMN hls_files TEXT NOT NULL DEFAULT '',  -- every other rendition object, one key per line
    ADD COLUMN cover_small_key TEXT;

-- One job per video, stored in the publish's own transaction, so none is lost. A worker
-- claims a due job (FOR UPDATE SKIP LOCKED) and holds it by a lease it renews; a job whose
-- lease ran out (its worker died) is due again. `attempts` counts claims and names the
-- claim that may finish the job. Deleting the video cancels its job.
CREATE TABLE transcode_jobs (
    video_id    BIGINT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts    INT NOT NULL DEFAULT 0,
    run_after   TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until TIMESTAMPTZ,
    started_at  TIMESTAMPTZ,            -- when the latest claim began
    last_error  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX transcode_jobs_due ON transcode_jobs (run_after) WHERE state = 'pending';
CREATE INDEX transcode_jobs_leased ON transcode_jobs (lease_until) WHERE state = 'running';
