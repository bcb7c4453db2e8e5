#!/usr/bin/env bash
# Runs the whole stack locally: PostgreSQL and Redis under .local/, then the
# five services. Prints the gateway URL when it answers.
#
#   Scripts/dev.sh           install what is missing, build, start (harmless if already up;
#                            services whose executable was rebuilt are restarted)
#   Scripts/dev.sh stop      stop everything it started
#   Scripts/dev.sh restart   stop the services, rebuild, start them again
#   Scripts/dev.sh status    what is running
#
# Knobs (environment): DOUYIN_HTTP_PORT (gateway, default 8080), DOUYIN_BUILD
# (release|debug, default release), DOUYIN_PG_PORT (55432), DOUYIN_REDIS_PORT
# (56379), DOUYIN_NO_BUILD=1 (start the executables as they are, e.g. binaries swapped
# in for an A/B comparison, which a build would relink), DOUYIN_MAX_UPLOAD_BYTES,
# DOUYIN_PUBLIC_BASE_URL, DOUYIN_TOKEN_TTL_SECONDS, NIO_SINGLETON_GROUP_LOOP_COUNT
# (event loops per process, default a quarter of the cores, the gateway half, at least
# 1 and 2).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
PG_PORT="${DOUYIN_PG_PORT:-55432}"
REDIS_PORT="${DOUYIN_REDIS_PORT:-56379}"
GATEWAY_PORT="${DOUYIN_HTTP_PORT:-8080}"
BUILD="${DOUYIN_BUILD:-release}"
SERVICES=(auth user video chat gateway)
# Each process's admin listener (/healthz, /readyz, /metrics), never the API's port.
declare -A ADMIN_PORTS=([gateway]=8081 [auth]=8082 [user]=8083 [video]=8084 [chat]=8085)

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

stop_services() {
    for svc in gateway chat video user auth; do
        if running "$svc"; then
            kill -TERM "$(cat "$RUN/$svc.pid")" 2>/dev/null || true
        fi
    done
    for svc in "${SERVICES[@]}"; do
        for _ in $(seq 100); do running "$svc" || break; sleep 0.1; done
        running "$svc" && kill -KILL "$(cat "$RUN/$svc.pid")" 2>/dev/null || true
        rm -f "$RUN/$svc.pid"
    done
    # RPC sockets of processes that had to be killed (a clean stop removes its own).
    rm -f "$RUN"/*.sock
}

start_services() {
    mkdir -p "$RUN" "$LOGS"
    new_secret "$LOCAL/internal-secret"
    local bin
    bin="$(swift build -c "$BUILD" --show-bin-path)"
    for svc in "${SERVICES[@]}"; do
        # A running service whose executable was rebuilt since it started is restarted.
        if running "$svc" && [ "$bin/douyin-$svc" -nt "$RUN/$svc.pid" ]; then
            log "restarting douyin-$svc (rebuilt)"
            kill -TERM "$(cat "$RUN/$svc.pid")" 2>/dev/null || true
            for _ in $(seq 100); do running "$svc" || break; sleep 0.1; done
        fi
        running "$svc" && continue
        local port=0
        [ "$svc" = gateway ] && port="$GATEWAY_PORT"
        start_service "$bin" "$svc" "$RUN" "$LOGS" "$PG_PORT" "$REDIS_PORT" "$port" "$LOCAL/internal-secret" "${ADMIN_PORTS[$svc]}"
    done
}

wait_for_gateway() {
    local url="http://127.0.0.1:$GATEWAY_PORT"
    wait_for_stack "$url" "$REDIS_PORT" "$(cat "$RUN/gateway.pid")" "$RUN" "$LOGS"
    echo "$url"
}

case "${1:-start}" in
    start)
        ensure_packages
        start_postgres "$LOCAL/postgres" "$PG_PORT"
        start_redis "$LOCAL/redis" "$REDIS_PORT"
        if [ "${DOUYIN_NO_BUILD:-0}" != 1 ]; then
            log "building ($BUILD)"
            # The service products only: test support is not part of a runnable build.
            for svc in "${SERVICES[@]}"; do
                (cd "$ROOT" && swift build -c "$BUILD" --product "douyin-$svc" 2>&1 | tail -n 1) >&2
            done
        fi
        start_services
        url=$(wait_for_gateway)
        log "stack is up; logs in $LOGS; metrics of the gateway: http://127.0.0.1:${ADMIN_PORTS[gateway]}/metrics (Scripts/dev.sh status: all)"
        echo "$url"
        ;;
    restart)
        stop_services
        exec "$0" start
        ;;
    stop)
        stop_services
        stop_redis "$LOCAL/redis"
        stop_postgres "$LOCAL/postgres"
        log "stopped"
        ;;
    status)
        for svc in "${SERVICES[@]}"; do
            if running "$svc"; then
                echo "douyin-$svc: running (pid $(cat "$RUN/$svc.pid"); metrics http://127.0.0.1:${ADMIN_PORTS[$svc]}/metrics)"
            else
                echo "douyin-$svc: stopped"
            fi
        done
        ;;
    *)
        die "usage: $0 [start|stop|restart|status]"
        ;;
esac
