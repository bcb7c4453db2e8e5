#!/usr/bin/env bash
# Load test of the stack with wrk, beside a bare Hummingbird hello-world
# measured in the same run. (Re)starts the services with dev.sh as a release
# build with the gateway's per-address rate limit off (wrk is one address, and
# the limit would answer part of a fast row with 429), prints a table and writes
# manifest/docs/benchmarks.md.
#
#   Scripts/bench.sh                     defaults: 10 s per run, 64 connections
#   BENCH_DURATION=30s BENCH_CONNECTIONS=128 Scripts/bench.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
HELLO_PORT="${BENCH_HELLO_PORT:-8090}"
OUT="$ROOT/manifest/docs/benchmarks.md"

ensure_packages
# Counter reconciliation is off: a pass over the seeded 100,000 videos is background
# maintenance, and landing inside one row would skew only that row.
URL="$(DOUYIN_BUILD=release DOUYIN_GATEWAY_RATE_PER_ADDRESS=0 DOUYIN_RECONCILE_INTERVAL_SECONDS=0 Scripts/dev.sh restart)"
swift build -c release --product douyin-hello >&2
BIN="$(swift build -c release --show-bin-path)"

# The baseline must be this build's hello-world, not whatever already listens there.
curl -fs "http://127.0.0.1:$HELLO_PORT/" >/dev/null 2>&1 && die "port $HELLO_PORT is in use (BENCH_HELLO_PORT)"
HELLO_PORT="$HELLO_PORT" "$BIN/douyin-hello" >/dev/null 2>&1 &
HELLO_PID=$!
trap 'kill $HELLO_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HELLO_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done

# measure CONNECTIONS SCRIPT URL [VAR=VALUE...]: one wrk run; prints "rps p50 p99 errors requests".
measure() {
    local connections="$1" script="$2" url="$3"
    shift 3
    env "$@" wrk -t"$THREADS" -c"$connections" -d"$DURATION" --timeout 5s -s "Scripts/bench/$script" "$url" | grep '^RESULT' | cut -d' ' -f2-
}

# row NAME CONNECTIONS "rps p50 p99 errors requests" [SHARE]: adds a line to the table
# (SHARE: of the baseline; by default against the baseline's median run).
ROWS=()
row() {
    local rps p50 p99 errors requests
    read -r rps p50 p99 errors requests <<<"$3"
    ROWS+=("$1|$2|$rps|$p50|$p99|$errors|$requests|${4:-}")
    log "$1: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors${4:+, $4% of the baseline}"
}

# median VALUES...: the value (or line) whose first number is the median.
median() { printf '%s\n' "$@" | sort -n -k1,1 | sed -n "$(( ($# + 1) / 2 ))p"; }

# This machine's speed drifts by up to a fifth within minutes, so each measured row runs
# PAIRS times back to back with the baseline: the row shows its median run, and its share
# is the median of the pairs' shares.
PAIRS="${BENCH_PAIRS:-3}"
BASE_RUNS=()
TARGETS=()
# paired NAME TARGET_SHARE SCRIPT URL [VAR=VALUE...]
paired() {
    local name="$1" target="$2" script="$3" url="$4"
    shift 4
    local runs=() shares=() base run
    for pair in $(seq "$PAIRS"); do
        base="$(measure "$CONNECTIONS" report.lua "http://127.0.0.1:$HELLO_PORT/")"
        run="$(measure "$CONNECTIONS" "$script" "$url" "$@")"
        BASE_RUNS+=("$base")
        runs+=("$run")
        shares+=("$(python3 -c "print(round(100 * ${run%% *} / max(${base%% *}, 1), 1))")")
    done
    local share
    share="$(median "${shares[@]}")"
    row "$name, median of $PAIRS" "$CONNECTIONS" "$(median "${runs[@]}")" "$share"
    TARGETS+=("$name|$share|$target|${shares[*]}")
}

# The data the logged-in rows read: 200 viewers, a feed of 30 videos by 30 authors with
# some liked and some authors followed, 20 comments by 20 authors, 300 followers.
Scripts/bench/seed.sh "$URL"
source "$ROOT/.local/bench/env"
PSQL=(psql -h 127.0.0.1 -p "${DOUYIN_PG_PORT:-55432}" -U douyin -d douyin -qAt -v ON_ERROR_STOP=1)
TOKEN="$BENCH_FOLLOWED_TOKEN"
USER_ID="$BENCH_FOLLOWED"
ROTATING=(BENCH_VIEWERS="$BENCH_VIEWERS" BENCH_AUTHORS="$BENCH_AUTHORS" BENCH_FIRST_VIDEO="$BENCH_FIRST_VIDEO" BENCH_LAST_VIDEO="$BENCH_LAST_VIDEO")

paired "GET /douyin/feed/ with a token (30 videos by 30 authors, 200 rotating viewers)" 20 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_PATH='/douyin/feed/?token={token}'
paired "GET /douyin/comment/list/ (20 comments by 20 authors, rotating viewers)" 15 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_PATH="/douyin/comment/list/?video_id=$BENCH_COMMENTED_VIDEO&token={token}"
paired "GET /douyin/relation/follower/list/ (first page of 100 of 300, rotating viewers)" 10 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_PATH="/douyin/relation/follower/list/?user_id=$BENCH_FOLLOWED&token={token}"
paired "POST /douyin/favorite/action/ (random like or unlike, 200 rotating users x 1,000 videos)" 15 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_METHOD=POST BENCH_PATH='/douyin/favorite/action/?video_id={video}&action_type={action}&token={token}'
DRIFT="$("${PSQL[@]}" -c "SELECT count(*) FROM video.videos v WHERE v.favorite_count <> (SELECT count(*) FROM video.favorites f WHERE f.video_id = v.id)")"
STATS_DRIFT="$("${PSQL[@]}" -c "SELECT count(*) FROM video.user_stats s WHERE s.favorite_count <> (SELECT count(*) FROM video.favorites f WHERE f.user_id = s.user_id) OR s.total_favorited <> (SELECT coalesce(sum(v.favorite_count), 0) FROM video.videos v WHERE v.author_id = s.user_id)")"
log "counters checked after the like run: $DRIFT videos and $STATS_DRIFT users off"
[ "$DRIFT" = 0 ] && [ "$STATS_DRIFT" = 0 ] || die "like counters drifted from the rows they count: $DRIFT videos, $STATS_DRIFT users"
paired "POST /douyin/message/action/ (200 rotating senders)" 15 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_METHOD=POST BENCH_PATH="/douyin/message/action/?to_user_id=$BENCH_PEER&action_type=1&content=hello%20{n}&token={token}"
paired "GET /douyin/user/ (30 users, 200 rotating viewers)" 40 rotating.lua "$URL" \
    "${ROTATING[@]}" BENCH_PATH='/douyin/user/?user_id={author}&token={token}'
paired "GET /douyin/feed/ anonymous (30 videos)" 35 report.lua "$URL/douyin/feed/"
BASELINE="$(median "${BASE_RUNS[@]}")"
ROWS=("hello-world baseline (bare Hummingbird), median of ${#BASE_RUNS[@]}|$CONNECTIONS|$(tr ' ' '|' <<<"$BASELINE")|100.0" "${ROWS[@]}")
USER_URL="$URL/douyin/user/?user_id=$USER_ID&token=$TOKEN"

row "GET /douyin/search/video/ (keyword \"piano\" among 100,000 titles, first 20 of ~4,000)" "$CONNECTIONS" \
    "$(measure "$CONNECTIONS" rotating.lua "$URL" "${ROTATING[@]}" BENCH_PATH='/douyin/search/video/?keyword=piano&limit=20&token={token}')"
row "POST /douyin/user/register/ (scrypt)" 8 "$(measure 8 register.lua "$URL")"
row "GET /healthz on the gateway (one process, no hop)" "$CONNECTIONS" "$(measure "$CONNECTIONS" report.lua "$URL/healthz")"
# A chat of 200 messages, polled for nothing new.
for i in $(seq 200); do
    curl -fsS -o /dev/null -X POST "$URL/douyin/message/action/?to_user_id=$BENCH_PEER&action_type=1&content=m$i&token=$TOKEN"
done
LAST="$(curl -fsS "$URL/douyin/message/chat/?to_user_id=$BENCH_PEER&token=$TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["message_list"][-1]["create_time"])')"
row "GET /douyin/message/chat/ polling (nothing new)" "$CONNECTIONS" \
    "$(measure "$CONNECTIONS" report.lua "$URL/douyin/message/chat/?to_user_id=$BENCH_PEER&pre_msg_time=$LAST&token=$TOKEN")"
NAME="bench$(date +%s%N | tail -c 9)"
curl -fsS -o /dev/null -X POST "$URL/douyin/user/register/?username=$NAME&password=benchpass1"
BIG="$ROOT/.local/bench-1mb.mp4"
# Noise keeps the encoder from compressing it below about 1 MB.
ffmpeg -v error -y -f lavfi -i testsrc=size=640x360:rate=25 -vf noise=alls=60:allf=t+u -t 3 -b:v 2M -pix_fmt yuv420p "$BIG"
# The dev database outlives a run: only this run's uploads count below.
BEFORE_UPLOADS="$("${PSQL[@]}" -c "SELECT coalesce(max(id), 0) FROM video.videos")"
PUBLISH_TIMES="$(for i in $(seq 20); do
    curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -F "data=@$BIG" -F "title=big $i" "$URL/douyin/publish/action/?token=$TOKEN"
done | sort -k2 -n)"
grep -qv '^200 ' <<<"$PUBLISH_TIMES" && die "a benchmark upload failed: $PUBLISH_TIMES"
PUBLISH_TIMES="$(cut -d' ' -f2 <<<"$PUBLISH_TIMES")"
PUBLISH_P50="$(sed -n 10p <<<"$PUBLISH_TIMES" | python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000, 1))')"
log "publish of a $(($(stat -c %s "$BIG") / 1024)) KiB video: p50 $PUBLISH_P50 ms over 20 sequential uploads"

# Those 20 uploads queued 20 HLS transcodes (three seconds of 640x360 each, two renditions):
# user info while the worker runs them at the lowest CPU priority, then the work they took.
row "GET /douyin/user/ while HLS transcodes run" "$CONNECTIONS" "$(measure "$CONNECTIONS" report.lua "$USER_URL")"
for _ in $(seq 600); do
    [ "$("${PSQL[@]}" -c "SELECT count(*) FROM video.transcode_jobs WHERE state IN ('pending', 'running')")" = 0 ] && break
    sleep 0.5
done
read -r TRANSCODED TRANSCODE_SECONDS < <("${PSQL[@]}" -F ' ' -c "SELECT count(*), round(coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)::numeric, 1) FROM video.transcode_jobs WHERE state = 'done' AND video_id > $BEFORE_UPLOADS AND video_id IN (SELECT id FROM video.videos WHERE title LIKE 'big %')")
TRANSCODE_RATIO="$(python3 -c "print(round($TRANSCODE_SECONDS / max($TRANSCODED * 3, 1), 2))")"
log "HLS: $TRANSCODED videos transcoded in $TRANSCODE_SECONDS s: $TRANSCODE_RATIO s of work per second of video"

# WebSocket fan-out through the gateway: 10 users with 100 sockets each on the one chat instance.
ensure_pip_module websockets websockets
RECEIVERS=""
for i in $(seq 10); do
    R="$(curl -fsS -X POST "$URL/douyin/user/register/?username=${NAME}w$i&password=benchpass1")"
    RECEIVERS="$RECEIVERS,$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(str(d["user_id"]) + ":" + d["token"])' <<<"$R")"
done
read -r _ WS_DELIVERED WS_SENT WS_SOCKETS WS_CHAT_KIB WS_GATEWAY_KIB < <(python3 "$ROOT/Scripts/bench/ws_fanout.py" \
    "${URL/http:/ws:}/douyin/message/ws/" "$TOKEN" "${RECEIVERS#,}" 100 10 "$(cat "$ROOT/.local/run/chat.pid")" "$(cat "$ROOT/.local/run/gateway.pid")" | grep '^RESULT')
log "WebSocket fan-out: $WS_DELIVERED messages/s delivered ($WS_SENT/s sent) to $WS_SOCKETS sockets; $WS_CHAT_KIB KiB per socket in chat, $WS_GATEWAY_KIB in the gateway"

# Logins and user info at the same time: user info keeps its throughput if the KDF stays off the event loops.
measure 8 post.lua "$URL/douyin/user/login/?username=$NAME&password=benchpass1" >"$ROOT/.local/bench-login.txt" &
LOGIN_PID=$!
row "GET /douyin/user/ while logins run" "$CONNECTIONS" "$(measure "$CONNECTIONS" report.lua "$USER_URL")"
wait $LOGIN_PID
row "POST /douyin/user/login/ (scrypt, concurrently)" 8 "$(cat "$ROOT/.local/bench-login.txt")"

CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
MEM="$(free -g | awk '/Mem:/ {print $2}')"
{
    echo "# Benchmarks"
    echo
    echo "Written by \`Scripts/bench.sh\`; numbers from one run on one machine. wrk drives the"
    echo "gateway on loopback while PostgreSQL, Redis, the five services and wrk share the machine."
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) cores ($CPU), ${MEM} GiB memory, $(uname -sr)"
    echo "- build: release; gateway rate limit per address off; wrk $THREADS threads, $DURATION per run, timeout 5 s;"
    echo "  rotating rows check every answer for \`\"status_code\":0\` (others count as errors)"
    echo
    base="$(cut -d' ' -f1 <<<"$BASELINE")"
    # Rows measured in pairs carry the median of their pairs' shares; the others are set
    # against the baseline's median run.
    echo "| what | connections | req/s | share of baseline | p50 ms | p99 ms | errors | requests |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name connections rps p50 p99 errors requests share <<<"$row"
        [ -n "$share" ] || share="$(python3 -c "print(round(100 * $rps / max($base, 1), 1))")"
        echo "| $name | $connections | $rps | $share% | $p50 | $p99 | $errors | $requests |"
    done
    echo
    echo "Targets (share of the baseline, median of $PAIRS back-to-back pairs):"
    echo
    echo "| row | share | target | met | shares of the pairs |"
    echo "|---|---:|---:|---|---|"
    for target in "${TARGETS[@]}"; do
        IFS='|' read -r name share goal pairs <<<"$target"
        met="$(python3 -c "print('yes' if $share >= $goal else 'no')")"
        echo "| $name | $share% | $goal% | $met | $pairs |"
    done
    echo
    echo "WebSocket fan-out through the gateway: $WS_DELIVERED messages/s delivered ($WS_SENT/s sent, each to 100 sockets)"
    echo "with $WS_SOCKETS sockets open on one chat instance; memory per socket: $WS_CHAT_KIB KiB in douyin-chat, $WS_GATEWAY_KIB KiB in"
    echo "the gateway (resident set growth while opening them)."
    echo "Publish of a $(($(stat -c %s "$BIG") / 1024)) KiB MP4 (probe, cover, store, insert): p50 $PUBLISH_P50 ms over 20 sequential uploads."
    echo "HLS transcoding (one worker, lowest CPU priority, 240p and 360p from 640x360): $TRANSCODED three-second videos in"
    echo "$TRANSCODE_SECONDS s, $TRANSCODE_RATIO s of work per second of video, partly while the row \"while HLS transcodes run\" measured."
    echo "Counters after the like run: $DRIFT videos and $STATS_DRIFT users differ from the rows they count (0 and 0 = exact)."
    echo
    cat "$ROOT/manifest/docs/benchmarks-reading.md"
} >"$OUT"
cat "$OUT"
