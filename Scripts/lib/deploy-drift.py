#!/usr/bin/env python3
"""Checks the deployment files against each other and against Package.swift.

Every executable (but the benchmark baseline) must have a Dockerfile target, a
compose service and a Kubernetes Deployment, and each must carry what operators
rely on (health checks, probes, resources, a non-root user, no committed
secrets). Exits non-zero listing every problem.
"""
import glob
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "manifest", "deploy")
INFRA = {"postgres", "redis", "s3"}
# The compose profile that adds metrics and traces.
OBSERVABILITY = {"prometheus", "grafana", "jaeger"}
ADMIN_PORT = 8081
problems = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        problems.append(message)


def read(path):
    with open(os.path.join(ROOT, path)) as handle:
        return handle.read()


executables = set(re.findall(r'\.executable\(name: "(douyin-\w+)"', read("Package.swift"))) - {"douyin-hello"}
check(executables == {f"douyin-{s}" for s in ["gateway", "auth", "user", "video", "chat"]}, f"unexpected executables {executables}")

# Dockerfile: one target per executable, each a non-root image with a health check.
dockerfile = read("manifest/deploy/docker/Dockerfile")
targets = set(re.findall(r"^FROM \S+ AS (douyin-\w+)$", dockerfile, re.M))
check(targets == executables, f"Dockerfile targets {sorted(targets)} != executables {sorted(executables)}")
for needle in ["ARG BUILD_IMAGE", "ARG RUNTIME_IMAGE", "HEALTHCHECK", "STOPSIGNAL SIGTERM", "USER douyin"]:
    check(needle in dockerfile, f"Dockerfile lacks {needle}")

# Compose: the five services plus infrastructure, health-based ordering, one published port.
compose = yaml.safe_load(read("manifest/deploy/compose.yaml"))
services = compose.get("services", {})
check({f"douyin-{name}" for name in services if name not in INFRA | OBSERVABILITY} == executables, f"compose services {sorted(services)}")
for name, service in services.items():
    # A process that dies is started again, infrastructure included (compose's equivalent of a liveness probe).
    check(service.get("restart") in ("always", "unless-stopped"), f"compose {name} is not restarted when it exits")
    # Pulled images by release: a tag with a version number, never `latest` or none.
    if "image" in service:
        tag = service["image"].rpartition(":")[2] if ":" in service["image"].rpartition("/")[2] else ""
        check(re.search(r"\d", tag) is not None and "latest" not in tag, f"compose {name}: image {service['image']} is not pinned to a version")
    if name in OBSERVABILITY:
        check(service.get("profiles") == ["observability"], f"compose {name} belongs to the observability profile")
        check(all(port.startswith("127.0.0.1:") for port in service.get("ports", [])), f"compose {name} publishes beyond localhost")
        continue
    if name in INFRA:
        check("healthcheck" in service, f"compose {name} has no healthcheck")
        check("ports" not in service, f"compose {name} publishes a port")
        continue
    check(service.get("build", {}).get("target") == f"douyin-{name}", f"compose {name} builds the wrong target")
    check(("ports" in service) == (name == "gateway"), f"compose {name}: only the gateway publishes a port")
    for dependency, condition in service.get("depends_on", {}).items():
        check(condition.get("condition") == "service_healthy", f"compose {name} waits for {dependency} without a health check")
        check(dependency in services, f"compose {name} depends on unknown {dependency}")
for name in ["video", "chat"]:
    check(services.get(name, {}).get("deploy", {}).get("replicas", 1) >= 2, f"compose {name} needs 2 replicas")
for service in services.values():
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        check(source.startswith((".", "/")) or source in (compose.get("volumes") or {}), f"undeclared volume {source}")

# Kubernetes, as rendered through kustomization.yaml (the file given, or rendered here):
# a Deployment and Service per executable with probes, resources and a grace period.
k8s_files = {os.path.basename(path) for path in glob.glob(os.path.join(DEPLOY, "k8s", "*.yaml"))} - {"kustomization.yaml"}
kustomization = yaml.safe_load(read("manifest/deploy/k8s/kustomization.yaml"))
check(set(kustomization["resources"]) == k8s_files, f"kustomization.yaml resources {sorted(kustomization['resources'])} != {sorted(k8s_files)}")
if len(sys.argv) > 1:
    with open(sys.argv[1]) as handle:
        rendered = [doc for doc in yaml.safe_load_all(handle) if doc]
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    rendered = __import__("kustomize-render").render(os.path.join(DEPLOY, "k8s"))
documents = [(f"{doc['kind']}/{doc['metadata']['name']}", doc) for doc in rendered]
version = re.search(r'current = "([^"]+)"', read("Sources/DouyinModels/DouyinVersion.swift")).group(1)
for name, doc in documents:
    check(all(key in doc for key in ["apiVersion", "kind", "metadata"]), f"{name}: incomplete object")
    check(doc["kind"] == "Namespace" or doc["metadata"].get("namespace") == "douyin", f"{name}: {doc['kind']} outside the namespace")
    check(not (doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData"))), f"{name}: secret values committed")
by_kind = {}
for _, doc in documents:
    by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
check(set(by_kind.get("Deployment", {})) == executables, f"Deployments {sorted(by_kind.get('Deployment', {}))}")
check(set(by_kind.get("Service", {})) == executables, f"Services {sorted(by_kind.get('Service', {}))}")
for name, deployment in by_kind.get("Deployment", {}).items():
    template = deployment["spec"]["template"]
    pod = template["spec"]
    check(pod.get("terminationGracePeriodSeconds", 0) >= 25, f"{name}: grace period shorter than the drain deadline")
    annotations = template["metadata"].get("annotations", {})
    check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") == str(ADMIN_PORT),
          f"{name}: not scraped on the admin port")
    security = pod.get("securityContext", {})
    check(security.get("runAsNonRoot") is True and security.get("seccompProfile") == {"type": "RuntimeDefault"},
          f"{name}: pod security context is not restricted")
    check(pod.get("automountServiceAccountToken") is False, f"{name}: mounts a service account token it does not use")
    for container in pod["containers"]:
        hardened = container.get("securityContext", {})
        check(hardened.get("allowPrivilegeEscalation") is False and hardened.get("readOnlyRootFilesystem") is True
              and hardened.get("capabilities") == {"drop": ["ALL"]}, f"{name}: container security context is not hardened")
        pause = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        check(0 < pause < pod.get("terminationGracePeriodSeconds", 0) - 20, f"{name}: no preStop pause before the drain, or no room for the drain after it")
        check({"name": "tmp", "mountPath": "/tmp"} in container.get("volumeMounts", []), f"{name}: no writable /tmp on a read-only root")
        for probe, path in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]:
            check(container.get(probe, {}).get("httpGet", {}) == {"path": path, "port": "admin"}, f"{name}: {probe} on the admin port")
        check({"name": "admin", "containerPort": 8081} in container.get("ports", []), f"{name}: admin port 8081")
        check({"requests", "limits"} <= set(container.get("resources", {})), f"{name}: resources")
        check(container["image"] == f"registry.example.com/douyin/{name}:{version}", f"{name}: image {container['image']} is not {name}:{version}")
# Only the gateway is reachable from outside; the services only from the gateway and each
# other; the admin port only from the monitoring namespace.
namespace = by_kind.get("Namespace", {}).get("douyin", {})
check(namespace.get("metadata", {}).get("labels", {}).get("pod-security.kubernetes.io/enforce") == "restricted",
      "namespace does not enforce the restricted Pod Security Standard")
policies = by_kind.get("NetworkPolicy", {})
check(any(p["spec"]["podSelector"] == {} and p["spec"].get("policyTypes") == ["Ingress"] and not p["spec"].get("ingress")
          for p in policies.values()), "no default-deny ingress policy")
def selected(policy, app):
    selector = policy["spec"]["podSelector"]
    if selector.get("matchLabels", {}).get("app") == app:
        return True
    return any(e["key"] == "app" and e["operator"] == "In" and app in e["values"] for e in selector.get("matchExpressions", []))
def open_ports(app, source):
    """Ports of `app` that traffic from `source` (\"world\", an app name, or \"monitoring\") may reach."""
    ports = set()
    for policy in policies.values():
        if not selected(policy, app):
            continue
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from")
            if peers is None:
                allowed = True
            elif source == "monitoring":
                allowed = any(peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "monitoring" for peer in peers)
            elif source == "world":
                allowed = False
            else:
                allowed = any("podSelector" in peer and "namespaceSelector" not in peer
                              and any(source in e["values"] for e in peer["podSelector"].get("matchExpressions", [])) for peer in peers)
            if allowed:
                ports |= {port["port"] for port in rule.get("ports", [])}
    return ports
for name in executables:
    world = open_ports(name, "world")
    check(world == ({8080} if name == "douyin-gateway" else set()), f"{name}: reachable from outside on {sorted(world)}")
    check(ADMIN_PORT in open_ports(name, "monitoring"), f"{name}: Prometheus cannot reach the admin port")
    if name != "douyin-gateway":
        for caller in executables:
            check({8080, 9090} <= open_ports(name, caller), f"{name}: not reachable from {caller}")
kustomized = {image["name"]: image.get("newTag") for image in kustomization.get("images", [])}
check(kustomized == {f"registry.example.com/douyin/{name}": version for name in executables},
      f"kustomization.yaml images {kustomized} do not all pin version {version}")

for name in ["douyin-gateway", "douyin-video"]:
    check(name in by_kind.get("HorizontalPodAutoscaler", {}), f"{name}: no HorizontalPodAutoscaler")
    check(name in by_kind.get("PodDisruptionBudget", {}), f"{name}: no PodDisruptionBudget")

# Admin port: the images, the container configs and the probes agree on it.
check(f"DOUYIN_ADMIN_PORT={ADMIN_PORT}" in dockerfile and f'"http://127.0.0.1:${{DOUYIN_ADMIN_PORT}}/readyz"' in dockerfile,
      "Dockerfile: admin port and health check")
for mode in ["fat", "uat", "pro"]:
    config = yaml.safe_load(read(f"manifest/config/{mode}.yaml"))
    check((config.get("admin") or {}).get("port") == ADMIN_PORT, f"manifest/config/{mode}.yaml: admin.port is not {ADMIN_PORT}")

# Prometheus (compose, observability profile): one job per service named as the dashboard's
# `job` expects, every replica found by DNS and scraped on the admin port, no label that
# would hide the series' own `service` label.
prometheus = yaml.safe_load(read("manifest/deploy/prometheus/prometheus.yml"))
jobs = {job["job_name"]: job for job in prometheus.get("scrape_configs", [])}
check({f"douyin-{name}" for name in jobs} == executables, f"Prometheus jobs {sorted(jobs)} != the services")
for name, job in jobs.items():
    discovery = job.get("dns_sd_configs", [{}])
    check(discovery == [{"names": [name], "type": "A", "port": ADMIN_PORT, "refresh_interval": "15s"}],
          f"Prometheus job {name} does not scrape every {name} replica's admin port")
    check(name in services, f"Prometheus job {name} names no compose service")
    for rule in job.get("relabel_configs", []) + job.get("metric_relabel_configs", []):
        check(rule.get("target_label") not in ("job", "service", "instance"), f"Prometheus job {name} rewrites {rule.get('target_label')}")
prometheus_service = services.get("prometheus", {})
check("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus_service.get("volumes", []), "compose prometheus does not load prometheus.yml")

# Grafana provisioning: the data source is that Prometheus, the dashboard file is mounted where the provider reads.
datasources = yaml.safe_load(read("manifest/deploy/grafana/provisioning/datasources/prometheus.yaml"))["datasources"]
check(any(source["type"] == "prometheus" and source["url"] == "http://prometheus:9090" and source.get("isDefault") for source in datasources),
      "Grafana has no default data source for the compose Prometheus")
providers = yaml.safe_load(read("manifest/deploy/grafana/provisioning/dashboards/douyin.yaml"))["providers"]
mounted = services.get("grafana", {}).get("volumes", [])
for provider in providers:
    path = provider["options"]["path"]
    check(f"./grafana/douyin-dashboard.json:{path}/douyin-dashboard.json:ro" in mounted, f"Grafana reads {path}, where the dashboard is not mounted")
check("./grafana/provisioning:/etc/grafana/provisioning:ro" in mounted, "Grafana is not provisioned")
jaeger = services.get("jaeger", {})
check(jaeger.get("environment", {}).get("COLLECTOR_OTLP_ENABLED") == "true", "Jaeger does not take OTLP")

# Grafana: the dashboard parses and queries only series the services export.
import json
dashboard = json.loads(read("manifest/deploy/grafana/douyin-dashboard.json"))
produced = {label.replace(".", "_") for label in re.findall(r'label: "([a-z_.]+)"', "".join(
    read(os.path.relpath(path, ROOT)) for path in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True)))}
# Hummingbird's MetricsMiddleware series, as the Prometheus registry names them.
produced |= {"hb_requests", "hb_request_errors", "http_server_request_duration", "http_server_active_requests"}
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        for series in re.findall(r"([a-z_]+)\{", target["expr"]):
            check(re.sub(r"_(bucket|sum|count)$", "", series) in produced, f"dashboard panel '{panel['title']}' queries unknown series {series}")
        # Series are told apart by `job`: the Prometheus jobs above, one per service.
        check('job=~"$job"' in target["expr"], f"dashboard panel '{panel['title']}' does not filter by the job variable")
check(any(variable["name"] == "job" and "label_values(hb_requests, job)" in variable.get("definition", "")
          for variable in dashboard.get("templating", {}).get("list", [])), "dashboard has no job variable over the scraped jobs")

for problem in problems:
    print(f"deploy check: {problem}", file=sys.stderr)
print(f"deploy check: {checks - len(problems)} of {checks} checks passed")
sys.exit(1 if problems else 0)
