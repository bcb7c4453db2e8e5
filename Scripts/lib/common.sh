# Shared helpers for Scripts/*.sh: system packages, PostgreSQL and Redis under a folder.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian packages the build, the services and the tests need.
DOUYIN_PACKAGES=(
    pkg-config libpq-dev libhiredis-dev libssl-dev
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
    postgresql redis-server wrk curl python3
)

log() { printf '[douyin] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

# Installs the missing packages (one apt-get update, one install).
ensure_packages() {
    local missing=()
    for pkg in "${DOUYIN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Installs a pinned package from PyPI unless its module imports already
# (run as `python3 -m <module>`, so no console script needs to be on PATH).
ensure_pip_module() {
    python3 -c "import $1" 2>/dev/null || python3 -m pip install -q "$2"
}

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] || die "PostgreSQL server binaries not found"
    echo "$dir"
}

# Runs a command as the PostgreSQL owner: the postgres user when we are root
# (the server refuses to run as root), else ourselves.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_postgres DIR PORT: a private cluster in DIR with role and database "douyin" (trust on loopback).
start_postgres() {
    local dir="$1" port="$2" bin
    bin=$(pg_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${DOUYIN_PG_FSYNC:-on}" \
            start >/dev/null || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    fi
    local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
    "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='douyin'" | grep -q 1 \
        || "${psql[@]}" -d postgres -c "CREATE ROLE douyin LOGIN CREATEDB"
    "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='douyin'" | grep -q 1 \
        || "${psql[@]}" -d postgres -c "CREATE DATABASE douyin OWNER douyin"
}

stop_postgres() {
    local dir="$1"
    [ -f "$dir/data/PG_VERSION" ] || return 0
    as_pg_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_redis DIR PORT: a memory-only Redis (it holds nothing durable).
start_redis() {
    local dir="$1" port="$2"
    mkdir -p "$dir"
    if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then return 0; fi
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" \
        --logfile "$dir/redis.log" --save "" --appendonly no >/dev/null
    for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
    die "Redis did not start"
}

stop_redis() {
    local dir="$1"
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; rm -f "$dir/redis.pid"; fi
}
