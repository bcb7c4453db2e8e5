#!/usr/bin/env bash
# Validates the deployment files: the compose file and .drone.yml against their
# published JSON schemas, the Kubernetes manifests against the API schemas
# (strict: unknown fields are errors), then the drift and operability rules in
# Scripts/lib/deploy-drift.py. Run by Scripts/test.sh; needs no container engine.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

KUBERNETES_VERSION=1.33
ensure_pip_module check_jsonschema check-jsonschema==0.39.0
ensure_pip_module kubernetes_validate kubernetes-validate==1.37.0
ensure_pip_module yaml pyyaml
check-jsonschema() { python3 -m check_jsonschema "$@"; }
kubernetes-validate() { python3 -m kubernetes_validate "$@"; }

validate_all() {
    check-jsonschema --builtin-schema vendor.compose-spec "$1"
    check-jsonschema --builtin-schema vendor.drone-ci "$2"
    kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" "$3"
}

# The Kubernetes manifests as they are applied: rendered through kustomization.yaml
# (kustomize itself when installed; Debian has no package, so otherwise the renderer in
# Scripts/lib, which refuses any kustomization feature it does not implement).
render_k8s() {
    if command -v kustomize >/dev/null; then kustomize build manifest/deploy/k8s
    elif command -v kubectl >/dev/null; then kubectl kustomize manifest/deploy/k8s
    else python3 Scripts/lib/kustomize-render.py manifest/deploy/k8s
    fi
}

# The validators must be able to fail: a copy with one unknown field in each
# file has to be refused, or the check below proves nothing.
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
mkdir "$SCRATCH/k8s"
sed 's/^services:$/servicez:/' manifest/deploy/compose.yaml >"$SCRATCH/compose.yaml"
sed '0,/^steps:$/s//stepz:/' .drone.yml >"$SCRATCH/drone.yml"
sed '0,/^  replicas:/s//  replicaz:/' manifest/deploy/k8s/10-auth.yaml >"$SCRATCH/k8s/10-auth.yaml"
grep -q '^servicez:' "$SCRATCH/compose.yaml" && grep -q '^stepz:' "$SCRATCH/drone.yml" \
    && grep -q '^  replicaz:' "$SCRATCH/k8s/10-auth.yaml" || die "the self-check could not break the files"
check-jsonschema --builtin-schema vendor.compose-spec "$SCRATCH/compose.yaml" >/dev/null 2>&1 \
    && die "the compose schema accepted an unknown top-level key"
check-jsonschema --builtin-schema vendor.drone-ci "$SCRATCH/drone.yml" >/dev/null 2>&1 \
    && die "the Drone schema accepted an unknown top-level key"
kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" "$SCRATCH/k8s/10-auth.yaml" >/dev/null 2>&1 \
    && die "the Kubernetes schema accepted an unknown Deployment field"

log "validating deployment files against their schemas"
render_k8s >"$SCRATCH/k8s-rendered.yaml"
validate_all manifest/deploy/compose.yaml .drone.yml "$SCRATCH/k8s-rendered.yaml"
python3 Scripts/lib/deploy-drift.py "$SCRATCH/k8s-rendered.yaml"
