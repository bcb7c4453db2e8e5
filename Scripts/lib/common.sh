# Shared helpers for Scripts/*.sh: system packages, PostgreSQL and Redis under a folder.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Debian packages the build, the services and the tests need.
DOUYIN_PACKAGES=(
    pkg-config libpq-dev libhiredis-dev libssl-dev libjemalloc-dev
    libavformat-dev libavcodec-dev libswscale-dev libswresample-dev libavutil-dev ffmpeg
    postgresql redis-server wrk curl python3 openssl
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

# start_postgres DIR PORT [TLS_DIR]: a private cluster in DIR with role and database "douyin"
# (trust on loopback). With TLS_DIR (from make_postgres_certificates), TCP connections
# must use TLS: the server presents TLS_DIR/server.crt and refuses unencrypted ones.
start_postgres() {
    local dir="$1" port="$2" tls="${3:-}" bin options
    bin=$(pg_bin)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${DOUYIN_PG_FSYNC:-on}"
    if [ -n "$tls" ]; then
        options+=" -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key"
        printf '%s\n' "local all all trust" "hostssl all all 127.0.0.1/32 trust" "hostnossl all all 127.0.0.1/32 reject" \
            | as_pg_owner tee "$dir/data/pg_hba.conf" >/dev/null
    fi
    if ! as_pg_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$options" \
            start >/dev/null || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    fi
    local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
    "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='douyin'" | grep -q 1 \
        || "${psql[@]}" -d postgres -c "CREATE ROLE douyin LOGIN CREATEDB"
    "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='douyin'" | grep -q 1 \
        || "${psql[@]}" -d postgres -c "CREATE DATABASE douyin OWNER douyin"
}

# make_postgres_certificates DIR: a CA, a server certificate it signs for localhost and
# 127.0.0.1, and an unrelated CA (ca.crt, server.crt, server.key, other-ca.crt), made
# with OpenSSL for this run only.
make_postgres_certificates() {
    local dir="$1" name
    mkdir -p "$dir"
    for name in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=douyin test $name" \
            -keyout "$dir/$name.key" -out "$dir/$name.crt" 2>/dev/null
    done
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n') -out "$dir/server.crt" 2>/dev/null
    chmod 600 "$dir/server.key"
    # The server reads its key as the PostgreSQL owner, and only from a file nobody else can read.
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/server.key" "$dir/server.crt"
    [ -s "$dir/server.crt" ] || die "could not make test certificates with openssl"
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

# start_redis_cluster DIR PORT...: a memory-only Redis Cluster of one primary per port
# (cluster bus on port+10000), its slots spread by `redis-cli --cluster create`.
start_redis_cluster() {
    local dir="$1" port nodes=()
    shift
    for port in "$@"; do
        mkdir -p "$dir/$port"
        redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$dir/$port" --pidfile "$dir/$port/redis.pid" \
            --logfile "$dir/$port/redis.log" --save "" --appendonly no --cluster-enabled yes \
            --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 2000 >/dev/null
        nodes+=("127.0.0.1:$port")
    done
    for port in "$@"; do
        for _ in $(seq 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
        || { cat "$dir/create.log" >&2; die "the Redis Cluster was not created"; }
    for _ in $(seq 100); do
        local ready=1
        for port in "$@"; do redis-cli -p "$port" cluster info | grep -q "cluster_state:ok" || ready=0; done
        [ "$ready" = 1 ] && return 0
        sleep 0.1
    done
    die "the Redis Cluster did not become ready"
}

stop_redis_cluster() {
    local dir="$1" pid_file
    for pid_file in "$dir"/*/redis.pid; do
        [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null || true
    done
}

stop_redis() {
    local dir="$1"
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; rm -f "$dir/redis.pid"; fi
}

# start_service BIN SVC RUN LOGS PG_PORT REDIS_PORT HTTP_PORT SECRET_FILE [ADMIN_PORT]: one service of the
# stack in the background (its pid in RUN/SVC.pid, its log in LOGS/SVC.log, the previous
# start's in LOGS/SVC.log.1), configured as on one node: RPC over Unix sockets in RUN, a
# quarter of the cores as event loops (the gateway half, at least two).
start_service() {
    local bin="$1" svc="$2" run="$3" logs="$4" pg_port="$5" redis_port="$6" http_port="$7" secret_file="$8" admin_port="${9:-0}"
    mkdir -p "$run" "$logs"
    # Every request writes a line: kept across starts, a log grows by gigabytes per benchmark.
    [ -f "$logs/$svc.log" ] && mv -f "$logs/$svc.log" "$logs/$svc.log.1"
    (
        cd "$ROOT"
        export DOUYIN_MODE="${DOUYIN_MODE:-dev}"
        export DOUYIN_HTTP_PORT="$http_port" DOUYIN_ADMIN_PORT="$admin_port"
        export DOUYIN_POSTGRES_URL="postgresql://douyin@127.0.0.1:$pg_port/douyin"
        export DOUYIN_REDIS_PORT="$redis_port"
        # Five services, PostgreSQL and Redis share this machine: each service gets about a
        # quarter of the cores as event loops (NIO's default is one per core per process, and
        # on a small machine the extra threads cost more in switching than they add). The
        # gateway gets half of them, at least two: every request passes through it, and
        # with one loop it is the first process to run out of time (benchmarks-reading.md).
        local loops=$(( $(nproc) / 4 > 0 ? $(nproc) / 4 : 1 ))
        [ "$svc" = gateway ] && loops=$(( $(nproc) / 2 > 2 ? $(nproc) / 2 : 2 ))
        export NIO_SINGLETON_GROUP_LOOP_COUNT="${NIO_SINGLETON_GROUP_LOOP_COUNT:-$loops}"
        export DOUYIN_RPC_SOCKET_DIR="${DOUYIN_RPC_SOCKET_DIR:-$run}"
        DOUYIN_INTERNAL_SECRET="$(cat "$secret_file")"
        export DOUYIN_INTERNAL_SECRET
        exec "$bin/douyin-$svc" >>"$logs/$svc.log" 2>&1
    ) &
    echo $! >"$run/$svc.pid"
    # Not a job of the calling shell: it reports no "Killed" when the service is stopped.
    disown "$!" 2>/dev/null || true
}

# new_secret FILE: a random internal secret, readable by its owner only.
new_secret() {
    [ -f "$1" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$1")
}

# wait_for_stack URL REDIS_PORT GATEWAY_PID RUN LOGS: until the gateway answers and every
# service is registered; fails as soon as a service has exited.
wait_for_stack() {
    local url="$1" redis_port="$2" gateway_pid="$3" run="$4" logs="$5"
    for _ in $(seq 600); do
        if curl -fsS "$url/healthz" >/dev/null 2>&1; then
            local registered=0
            for svc in auth user video chat; do
                [ -n "$(redis-cli -p "$redis_port" zrangebyscore "douyin:registry:{$svc}" "$(date +%s%3N)" +inf 2>/dev/null)" ] \
                    && registered=$((registered + 1))
            done
            # The gateway that answers must be the one started here (its instance id holds its
            # pid), not another process holding the port while ours failed to bind.
            redis-cli -p "$redis_port" zrangebyscore "douyin:registry:{gateway}" "$(date +%s%3N)" +inf 2>/dev/null \
                | grep -q -- "-$gateway_pid-" && registered=$((registered + 1))
            [ "$registered" = 5 ] && return 0
        fi
        for svc in auth user video chat gateway; do
            [ -f "$run/$svc.pid" ] && ! kill -0 "$(cat "$run/$svc.pid")" 2>/dev/null \
                && { tail -n 20 "$logs/$svc.log" >&2; die "douyin-$svc exited (log: $logs/$svc.log)"; }
        done
        sleep 0.2
    done
    die "the gateway did not become ready on $url"
}
