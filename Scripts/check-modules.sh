#!/usr/bin/env bash
# Holds the module graph of manifest/docs/architecture.md: every module in
# Sources/ has a layer, and a module imports only modules of lower layers. So the
# core never reaches up into a service, a lower core module never into a higher
# one, and no service imports another (services share one layer). A new module
# must be given its layer here. `swift build --explicit-target-dependency-import-check=error`
# (Scripts/test.sh) adds the other half: nothing imported without being declared.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

python3 - <<'PY'
import pathlib, re, sys

LAYERS = [
    ["CLibPQ", "CHiredis", "COpenSSL", "CFFmpeg"],
    ["DouyinModels", "DouyinNIO", "DouyinPool", "DouyinCrypto", "DouyinMedia"],
    ["DouyinPostgres", "DouyinRedis", "DouyinObservability", "DouyinCaching"],
    ["DouyinDiscovery", "DouyinIdentity"],
    ["DouyinRPC"],
    ["DouyinHTTP"],
    ["DouyinClients"],
    ["DouyinHost"],
    ["DouyinWebSocket"],
    ["AuthService", "UserService", "VideoService", "ChatService", "Gateway"],
    ["douyin-auth", "douyin-user", "douyin-video", "douyin-chat", "douyin-gateway"],
]
layer = {module: index for index, modules in enumerate(LAYERS) for module in modules}
errors = []
for directory in sorted(p for p in pathlib.Path("Sources").iterdir() if p.is_dir() and p.name != "CLibraries"):
    module = directory.name
    if module not in layer:
        errors.append(f"{module}: not in the layer table of Scripts/check-modules.sh")
        continue
    for source in sorted(directory.rglob("*.swift")):
        for imported in re.findall(r"^(?:@testable\s+)?import\s+(\w+)", source.read_text(), re.M):
            if imported in layer and layer[imported] >= layer[module]:
                how = "a service imports another service" if layer[imported] == layer[module] else "imports a higher module"
                errors.append(f"{source}: {module} imports {imported} ({how})")
for error in errors:
    print(error, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
log "module graph: every import points down"
