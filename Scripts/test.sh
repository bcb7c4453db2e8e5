#!/usr/bin/env bash
# Builds and runs every test: unit, integration (real PostgreSQL and Redis) and
# end-to-end (the five executables driven over HTTP). Starts its own throwaway
# PostgreSQL and Redis on free ports and removes them afterwards.
#
#   Scripts/test.sh                 everything
#   Scripts/test.sh --filter Token  only matching tests (arguments go to `swift test`)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_packages

Scripts/check-deploy.sh

WORK="$(mktemp -d /tmp/douyin-test.XXXXXX)"
chmod 755 "$WORK"
PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
BIN=""

cleanup() {
    local status=$?
    [ -f "$WORK/moto.pid" ] && kill "$(cat "$WORK/moto.pid")" 2>/dev/null || true
    # End-to-end stacks that a crashed test left behind.
    [ -n "$BIN" ] && pkill -KILL -f "^$BIN/douyin-" 2>/dev/null || true
    stop_redis "$WORK/redis"
    stop_postgres "$WORK/postgres"
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT

log "starting PostgreSQL on $PG_PORT, Redis on $REDIS_PORT and an S3 emulator"
# Durability is not under test here; fsync off keeps the suite fast.
DOUYIN_PG_FSYNC=off start_postgres "$WORK/postgres" "$PG_PORT"
start_redis "$WORK/redis" "$REDIS_PORT"

# An S3 emulator for the S3 storage backend's tests.
ensure_pip_module moto.server "moto[server]"
S3_PORT="$(free_port)"
python3 -m moto.server -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
echo $! >"$WORK/moto.pid"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$S3_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$S3_PORT/" >/dev/null || { cat "$WORK/moto.log" >&2; die "the S3 emulator did not start"; }
export DOUYIN_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"

export DOUYIN_TEST_POSTGRES_URL="postgresql://douyin@127.0.0.1:$PG_PORT/douyin"
export DOUYIN_TEST_REDIS_PORT="$REDIS_PORT"
export DOUYIN_SQL_DIR="$ROOT/manifest/sql"
export DOUYIN_CONFIG_DIR="$ROOT/manifest/config"

log "building"
if ! swift build --build-tests >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    die "build failed"
fi
tail -n 1 "$WORK/build.log" >&2
BIN="$(swift build --show-bin-path)"
export DOUYIN_TEST_BIN_DIR="$BIN"

log "testing"
swift test --skip-build "$@"
