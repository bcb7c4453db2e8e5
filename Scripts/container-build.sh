#!/usr/bin/env bash
# Builds the five service images with podman from a Debian base made locally
# (debootstrap, then import: no registry needed), runs the whole stack from
# those images against a throwaway PostgreSQL and Redis, and checks that it
# answers: health checks, register, user info and a publish through the gateway.
#
#   Scripts/container-build.sh          build the images and smoke-test them
#   Scripts/container-build.sh build    only build them
#
# Images are built in Docker format: the OCI format has no HEALTHCHECK.
# Needs root. Knobs: SWIFT_TOOLCHAIN (default /opt/swift, mounted into the
# build), DEBIAN_MIRROR, PODMAN_RUNTIME (default runc: crun refuses hybrid
# cgroup hierarchies). Not part of Scripts/test.sh: a release build of all five
# services inside a container takes a long time on two cores.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

SWIFT_TOOLCHAIN="${SWIFT_TOOLCHAIN:-/opt/swift}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PODMAN_RUNTIME="${PODMAN_RUNTIME:-runc}"
BASE_IMAGE=localhost/douyin/debian:bookworm
BUILD_IMAGE=localhost/douyin/swift-build:latest
SERVICES=(gateway auth user video chat)
DOUYIN_PACKAGES+=(podman buildah runc debootstrap)
ensure_packages

podman() { command podman --runtime "$PODMAN_RUNTIME" "$@"; }
# podman's default limits exceed what an unprivileged sandbox may set.
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

WORK="$(mktemp -d /tmp/douyin-containers.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
    local status=$?
    for service in "${SERVICES[@]}"; do podman rm -f "douyin-smoke-$service" >/dev/null 2>&1 || true; done
    stop_redis "$WORK/redis"
    stop_postgres "$WORK/postgres"
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT

if ! podman image exists "$BASE_IMAGE"; then
    log "making the Debian base image with debootstrap"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
    tar -C "$WORK/rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
    rm -rf "$WORK/rootfs"
fi

log "building the Swift build image"
podman build -q --isolation chroot --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$BUILD_IMAGE" \
    -f manifest/deploy/docker/Toolchain.Containerfile manifest/deploy/docker >/dev/null

for service in "${SERVICES[@]}"; do
    log "building localhost/douyin-$service"
    podman build -q --format docker --isolation chroot --layers \
        -v "$SWIFT_TOOLCHAIN:/opt/swift:ro" -v /opt/swift-packages:/opt/swift-packages:ro -v /etc/gitconfig:/etc/gitconfig:ro \
        --build-arg BUILD_IMAGE="$BUILD_IMAGE" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" \
        --target "douyin-$service" -t "localhost/douyin-$service:latest" \
        -f manifest/deploy/docker/Dockerfile . >/dev/null
done
podman images --filter reference='localhost/douyin-*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2
[ "${1:-}" = build ] && exit 0

log "starting PostgreSQL and Redis for the smoke test"
PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
GATEWAY_PORT="$(free_port)"
start_postgres "$WORK/postgres" "$PG_PORT"
start_redis "$WORK/redis" "$REDIS_PORT"

# Host networking: every service on its own free ports, found through the registry
# (fixed ones, so each image's HEALTHCHECK finds its admin port in DOUYIN_ADMIN_PORT).
declare -A ADMIN_PORTS
for service in "${SERVICES[@]}"; do
    port="$(free_port)"
    ADMIN_PORTS[$service]="$(free_port)"
    [ "$service" = gateway ] && port="$GATEWAY_PORT"
    # No systemd here to schedule checks; they are run by hand below.
    podman run -d --name "douyin-smoke-$service" --network host --health-interval=disable "${LIMITS[@]}" \
        -e DOUYIN_POSTGRES_URL="postgresql://douyin@127.0.0.1:$PG_PORT/douyin" \
        -e DOUYIN_REDIS_HOST=127.0.0.1 -e DOUYIN_REDIS_PORT="$REDIS_PORT" \
        -e DOUYIN_HTTP_HOST=127.0.0.1 -e DOUYIN_HTTP_PORT="$port" -e DOUYIN_RPC_PORT=0 -e DOUYIN_ADMIN_PORT="${ADMIN_PORTS[$service]}" \
        -e DOUYIN_ADVERTISE_HOST=127.0.0.1 -e DOUYIN_INTERNAL_SECRET="smoke-$RANDOM$RANDOM" \
        "localhost/douyin-$service:latest" >/dev/null
done

GATEWAY="http://127.0.0.1:$GATEWAY_PORT"
# Registering succeeds once the gateway, auth and user containers are up and registered.
reply=""
for _ in $(seq 120); do
    reply="$(curl -s -X POST "$GATEWAY/douyin/user/register/?username=smoke&password=smoke-pass" 2>/dev/null || true)"
    case "$reply" in *'"status_code":0'*) break ;; esac
    sleep 1
done
case "$reply" in *'"status_code":0'*) ;; *)
    for service in "${SERVICES[@]}"; do podman logs --tail 20 "douyin-smoke-$service" >&2 || true; done
    die "register through the containerised gateway failed: $reply" ;;
esac
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
user_id="$(printf '%s' "$reply" | json_field user_id)"
token="$(printf '%s' "$reply" | json_field token)"
reply="$(curl -s "$GATEWAY/douyin/user/?user_id=$user_id&token=$token")"
case "$reply" in *'"name":"smoke"'*) ;; *) die "user info through the containerised gateway failed: $reply" ;; esac
# A publish exercises FFmpeg's libraries in the video image and its media volume.
ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -pix_fmt yuv420p "$WORK/clip.mp4"
reply="$(curl -s -F "data=@$WORK/clip.mp4;type=video/mp4" -F title=smoke -F "token=$token" "$GATEWAY/douyin/publish/action/")"
case "$reply" in *'"status_code":0'*) ;; *) die "publish through the containerised gateway failed: $reply" ;; esac
cover="$(curl -s "$GATEWAY/douyin/feed/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["video_list"][0]["cover_url"])')"
curl -fs "$cover" | head -c 2 | od -An -tx1 | grep -q "ff d8" || die "the cover of the published video is not a JPEG"
# Metrics and readiness only on the admin port: the public port does not answer them.
curl -fs "http://127.0.0.1:${ADMIN_PORTS[gateway]}/metrics" | grep -q '^hb_requests' || die "no metrics on the gateway's admin port"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$GATEWAY/metrics")" = 404 ] || die "the gateway's public port serves /metrics"
for service in "${SERVICES[@]}"; do
    podman healthcheck run "douyin-smoke-$service" >/dev/null || die "the HEALTHCHECK of douyin-$service failed"
    podman exec "douyin-smoke-$service" id -un | grep -qx douyin || die "douyin-$service does not run as the douyin user"
done
podman stop -t 30 douyin-smoke-gateway >/dev/null
[ "$(podman inspect -f '{{.State.ExitCode}}' douyin-smoke-gateway)" = 0 ] || die "the gateway did not exit 0 on SIGTERM"
log "all five images build, start, pass their health checks, serve the API (publish included) and stop cleanly on SIGTERM"
