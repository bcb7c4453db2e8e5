-- Title search (GET /douyin/search/video/): substring (ILIKE) and similarity over
-- trigrams, both served by one GIN index (pg_trgm in `public`, see the user schema).
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX videos_title_trigrams ON videos USING gin (title public.gin_trgm_ops);
