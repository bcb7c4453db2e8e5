-- Name search (GET /douyin/search/user/): substring (ILIKE) and similarity over
-- trigrams, both served by one GIN index. pg_trgm is a trusted extension: the
-- database's owner may create it. It lives in `public`, where every service finds it.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX profiles_name_trigrams ON profiles USING gin (name public.gin_trgm_ops);
