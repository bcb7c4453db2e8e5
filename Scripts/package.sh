#!/usr/bin/env bash
# Builds release binaries and lays out what each service's image contains, so
# containers and bare-metal installs share one layout:
#
#   dist/douyin-<service>/bin/douyin-<service>
#   dist/douyin-<service>/manifest/{sql,config}/
#   dist/douyin-<service>/LIBRARIES    shared libraries it loads (from ldd)
#
# Run a service from its folder: `cd dist/douyin-user && DOUYIN_MODE=pro bin/douyin-user`.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

ensure_packages
SERVICES=(gateway auth user video chat)
for service in "${SERVICES[@]}"; do
    swift build -c release --static-swift-stdlib --product "douyin-$service" >&2
done
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)"
rm -rf dist
for service in "${SERVICES[@]}"; do
    target="dist/douyin-$service"
    mkdir -p "$target/bin" "$target/manifest"
    cp "$BIN/douyin-$service" "$target/bin/"
    strip "$target/bin/douyin-$service"
    cp -r manifest/sql manifest/config "$target/manifest/"
    ldd "$target/bin/douyin-$service" | awk '/=>/ {print $1}' | sort >"$target/LIBRARIES"
    log "douyin-$service: $(du -sh "$target" | cut -f1), $(wc -l <"$target/LIBRARIES") shared libraries"
done
echo "$ROOT/dist"
