-- A video's likes, found without reading every like: deleting a video removes them,
-- and the counter reconciliation counts them per video.
CREATE INDEX favorites_by_video ON favorites (video_id);
