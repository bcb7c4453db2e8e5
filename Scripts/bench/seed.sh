#!/usr/bin/env bash
# Seeds the data shapes Scripts/bench.sh measures against a running stack and
# writes what the rows need to .local/bench/env (sourced) and .local/bench/viewers.txt.
#
#   Scripts/bench/seed.sh URL
#
# - 200 viewers registered through the API ("user_id:token" per line); the first 30
#   are the feed's authors.
# - 1,000 videos by those authors (rows made directly, all pointing at one uploaded
#   clip): the feed's first page is 30 videos by 30 authors. Each viewer likes about
#   a quarter of the first page and follows about a quarter of its authors.
# - One video with 20 comments by 20 viewers.
# - One user with 300 followers (profiles made directly: 300 scrypt registrations
#   would take a minute), read as the first page of 100.
# - A peer for messages, outside the viewers.
# Counters are recomputed from the rows they count after the direct inserts.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
URL="$1"
OUT="$ROOT/.local/bench"
mkdir -p "$OUT"
PSQL=(psql -h 127.0.0.1 -p "${DOUYIN_PG_PORT:-55432}" -U douyin -d douyin -qAt -v ON_ERROR_STOP=1)
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

RUN_ID="$(date +%s%N | tail -c 9)"
log "registering 200 viewers (scrypt, a few at a time)"
seq 200 | xargs -P 8 -I{} curl -fsS -X POST "$URL/douyin/user/register/?username=b${RUN_ID}v{}&password=benchpass1" \
    | python3 -c '
import json, sys
for line in sys.stdin.read().replace("}{", "}\n{").splitlines():
    reply = json.loads(line)
    print(str(reply["user_id"]) + ":" + reply["token"])' >"$OUT/viewers.txt"
[ "$(wc -l <"$OUT/viewers.txt")" = 200 ] || die "could not register 200 viewers"
VIEWER_IDS="$(cut -d: -f1 "$OUT/viewers.txt" | sort -n | paste -sd,)"
AUTHORS="$(cut -d, -f1-30 <<<"$VIEWER_IDS")"
FIRST_VIEWER="$(cut -d, -f1 <<<"$VIEWER_IDS")"
FIRST_TOKEN="$(grep "^$FIRST_VIEWER:" "$OUT/viewers.txt" | cut -d: -f2)"
PEER="$(curl -fsS -X POST "$URL/douyin/user/register/?username=b${RUN_ID}peer&password=benchpass1" | json '["user_id"]')"

CLIP="$ROOT/.local/bench-clip.mp4"
[ -f "$CLIP" ] || ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -pix_fmt yuv420p "$CLIP"
curl -fsS -o /dev/null -F "data=@$CLIP" -F "title=bench" "$URL/douyin/publish/action/?token=$FIRST_TOKEN"

log "seeding videos, likes, follows, comments and followers"
"${PSQL[@]}" <<SQL
CREATE TEMP TABLE viewers AS SELECT unnest('{$VIEWER_IDS}'::bigint[]) AS id;
CREATE TEMP TABLE authors AS SELECT unnest('{$AUTHORS}'::bigint[]) AS id;
CREATE TEMP TABLE clip AS
    SELECT play_key, cover_key, published_at FROM video.videos WHERE author_id = $FIRST_VIEWER ORDER BY id DESC LIMIT 1;
-- Newest first: video g (1..1000) is by author g mod 30, one ms older per step, all newer than the clip.
INSERT INTO video.videos (author_id, title, play_key, cover_key, published_at)
SELECT ('{$AUTHORS}'::bigint[])[1 + g % 30], 'bench video ' || g, clip.play_key, clip.cover_key, clip.published_at + 2000 - g
FROM generate_series(1, 1000) g, clip;
-- 100,000 older videos with titles of two words out of fifty, for the search row: they
-- lie below everything else in the feed (seeded once; later runs keep them).
INSERT INTO video.videos (author_id, title, play_key, cover_key, published_at)
SELECT ('{$AUTHORS}'::bigint[])[1 + g % 30],
    w[1 + g % 50] || ' ' || w[1 + (g / 50) % 50] || ' clip ' || g, clip.play_key, clip.cover_key, g
FROM generate_series(1, 100000) g, clip, (SELECT string_to_array(
    'piano cat dog beach sunset dance cooking travel music guitar city night rain snow forest '
    || 'river mountain coffee street market train ocean garden kitten puppy football skate '
    || 'drums violin bread noodles tea festival lantern bridge temple desert island harbor '
    || 'bicycle camera painting library museum theater circus rocket planet robot dragon', ' ') AS w) words
ON CONFLICT (published_at) DO NOTHING;
CREATE TEMP TABLE seeded AS
    SELECT id FROM video.videos WHERE title LIKE 'bench video %' AND author_id = ANY('{$AUTHORS}') ORDER BY published_at DESC LIMIT 1000;
CREATE TEMP TABLE first_page AS SELECT id, author_id FROM video.videos ORDER BY published_at DESC LIMIT 30;
INSERT INTO video.favorites (user_id, video_id)
SELECT v.id, p.id FROM viewers v, first_page p WHERE random() < 0.25 ON CONFLICT DO NOTHING;
INSERT INTO users.follows (follower_id, followee_id)
SELECT v.id, a.id FROM viewers v, authors a WHERE v.id <> a.id AND random() < 0.25 ON CONFLICT DO NOTHING;
-- 20 comments by 20 viewers on the newest video.
INSERT INTO video.comments (video_id, user_id, content, created_at)
SELECT (SELECT id FROM first_page LIMIT 1), v.id, 'bench comment by ' || v.id, (extract(epoch FROM now()) * 1000)::bigint
FROM (SELECT id FROM viewers ORDER BY id LIMIT 20) v;
-- 300 followers of the first viewer.
INSERT INTO users.profiles (id, name) SELECT 900000000 + g, 'follower' || g FROM generate_series(1, 300) g ON CONFLICT DO NOTHING;
INSERT INTO users.follows (follower_id, followee_id)
SELECT 900000000 + g, $FIRST_VIEWER FROM generate_series(1, 300) g ON CONFLICT DO NOTHING;
-- Counters from the rows they count.
UPDATE video.videos v SET
    favorite_count = (SELECT count(*) FROM video.favorites f WHERE f.video_id = v.id),
    comment_count = (SELECT count(*) FROM video.comments c WHERE c.video_id = v.id)
WHERE v.id IN (SELECT id FROM seeded) OR v.id IN (SELECT id FROM first_page);
INSERT INTO video.user_stats (user_id, work_count, total_favorited, favorite_count)
SELECT u.id,
    (SELECT count(*) FROM video.videos WHERE author_id = u.id),
    (SELECT coalesce(sum(favorite_count), 0) FROM video.videos WHERE author_id = u.id),
    (SELECT count(*) FROM video.favorites WHERE user_id = u.id)
FROM viewers u
ON CONFLICT (user_id) DO UPDATE SET
    work_count = EXCLUDED.work_count, total_favorited = EXCLUDED.total_favorited, favorite_count = EXCLUDED.favorite_count;
UPDATE users.profiles p SET
    follow_count = (SELECT count(*) FROM users.follows WHERE follower_id = p.id),
    follower_count = (SELECT count(*) FROM users.follows WHERE followee_id = p.id)
WHERE p.id IN (SELECT id FROM viewers);
SQL
FIRST_VIDEO="$("${PSQL[@]}" -c "SELECT min(id) FROM video.videos WHERE title LIKE 'bench video %' AND author_id = ANY('{$AUTHORS}')")"
LAST_VIDEO="$("${PSQL[@]}" -c "SELECT max(id) FROM video.videos WHERE title LIKE 'bench video %' AND author_id = ANY('{$AUTHORS}')")"
COMMENTED="$("${PSQL[@]}" -c "SELECT id FROM video.videos ORDER BY published_at DESC LIMIT 1")"
cat >"$OUT/env" <<ENV
export BENCH_VIEWERS="$OUT/viewers.txt"
export BENCH_AUTHORS="$AUTHORS"
export BENCH_FIRST_VIDEO="$FIRST_VIDEO"
export BENCH_LAST_VIDEO="$LAST_VIDEO"
BENCH_COMMENTED_VIDEO="$COMMENTED"
BENCH_FOLLOWED="$FIRST_VIEWER"
BENCH_FOLLOWED_TOKEN="$FIRST_TOKEN"
BENCH_PEER="$PEER"
ENV
# Caches built before the direct inserts expire within seconds (they hold entries at most 5 s).
sleep 6
log "seeded: $OUT/env"
