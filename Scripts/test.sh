#!/usr/bin/env bash
# Builds and runs every test: unit, integration (real PostgreSQL and Redis) and
# end-to-end (the five executables driven over HTTP). Starts its own throwaway
# PostgreSQL and Redis on free ports and removes them afterwards.
#
#   Scripts/test.sh                 everything
#   Scripts/test.sh --filter Token  only matching tests (arguments go to `swift test`; no fuzzing)
#
# The full run ends with Scripts/fuzz.sh against a stack of the built services
# (DOUYIN_FUZZ_SECONDS, default 240; 0 skips it).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_packages

Scripts/check-deploy.sh
Scripts/check-modules.sh

WORK="$(mktemp -d /tmp/douyin-test.XXXXXX)"
chmod 755 "$WORK"
PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
# Three primaries whose cluster bus ports (port + 10000) are free too.
CLUSTER_PORTS=()
while [ ${#CLUSTER_PORTS[@]} -lt 3 ]; do
    port="$(free_port)"
    [ "$port" -lt 55000 ] && python3 -c "import socket,sys; socket.socket().bind(('127.0.0.1', $port + 10000))" 2>/dev/null \
        && CLUSTER_PORTS+=("$port")
done
BIN=""

cleanup() {
    local status=$?
    [ -f "$WORK/moto.pid" ] && kill "$(cat "$WORK/moto.pid")" 2>/dev/null || true
    # End-to-end stacks that a crashed test left behind.
    [ -n "$BIN" ] && pkill -KILL -f "^$BIN/douyin-" 2>/dev/null || true
    stop_redis "$WORK/redis"
    stop_redis_cluster "$WORK/redis-cluster"
    stop_postgres "$WORK/postgres"
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT

log "starting PostgreSQL (TLS required) on $PG_PORT, Redis on $REDIS_PORT and an S3 emulator"
# Every connection to the tests' PostgreSQL is encrypted; the end-to-end stacks verify
# the server's certificate against this run's CA (sslmode=verify-full).
make_postgres_certificates "$WORK/tls"
# Durability is not under test here; fsync off keeps the suite fast.
DOUYIN_PG_FSYNC=off start_postgres "$WORK/postgres" "$PG_PORT" "$WORK/tls"
start_redis "$WORK/redis" "$REDIS_PORT"
# The Redis integration tests run against one server and against this cluster.
start_redis_cluster "$WORK/redis-cluster" "${CLUSTER_PORTS[@]}"

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
DOUYIN_TEST_REDIS_CLUSTER_NODES="$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")"
export DOUYIN_TEST_REDIS_CLUSTER_NODES="${DOUYIN_TEST_REDIS_CLUSTER_NODES%,}"
export DOUYIN_TEST_POSTGRES_CA="$WORK/tls/ca.crt" DOUYIN_TEST_POSTGRES_OTHER_CA="$WORK/tls/other-ca.crt"
export DOUYIN_SQL_DIR="$ROOT/manifest/sql"
export DOUYIN_CONFIG_DIR="$ROOT/manifest/config"

log "building"
# An import without a declared dependency fails the build (each module lists what it uses).
if ! swift build --build-tests --explicit-target-dependency-import-check=error >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    die "build failed"
fi
tail -n 1 "$WORK/build.log" >&2
BIN="$(swift build --show-bin-path)"
export DOUYIN_TEST_BIN_DIR="$BIN"

log "testing"
swift test --skip-build "$@"

# The whole suite (not a filtered run) ends with schema-based fuzzing of a stack of
# the built services; every process must survive it (Scripts/fuzz.sh).
if [ $# -eq 0 ] && [ "${DOUYIN_FUZZ_SECONDS:-240}" != 0 ]; then
    FUZZ="$WORK/fuzz"
    mkdir -p "$FUZZ"
    new_secret "$WORK/internal-secret"
    GATEWAY_PORT="$(free_port)"
    log "starting the stack to fuzz on $GATEWAY_PORT"
    for svc in auth user video chat gateway; do
        port=0
        [ "$svc" = gateway ] && port="$GATEWAY_PORT"
        DOUYIN_STORAGE_LOCAL_DIR="$FUZZ/media" DOUYIN_POSTGRES_SSLMODE=verify-full DOUYIN_POSTGRES_SSL_ROOT_CERT="$WORK/tls/ca.crt" \
            start_service "$BIN" "$svc" "$FUZZ" "$FUZZ" "$PG_PORT" "$REDIS_PORT" "$port" "$WORK/internal-secret"
    done
    wait_for_stack "http://127.0.0.1:$GATEWAY_PORT" "$REDIS_PORT" "$(cat "$FUZZ/gateway.pid")" "$FUZZ" "$FUZZ"
    DOUYIN_FUZZ_PIDS="$(cat "$FUZZ"/*.pid | tr '\n' ' ')" Scripts/fuzz.sh "http://127.0.0.1:$GATEWAY_PORT" \
        || {
            tail -n 30 "$FUZZ"/*.log >&2
            # A process that crashed says why at the top of its backtrace, far above the tail.
            grep -h -A 40 -m 1 -E "Fatal error|Crash|💣" "$FUZZ"/*.log >&2 || true
            die "fuzzing failed"
        }
    for pid_file in "$FUZZ"/*.pid; do kill -TERM "$(cat "$pid_file")" 2>/dev/null || true; done
fi
