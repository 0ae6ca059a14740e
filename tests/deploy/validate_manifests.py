#!/usr/bin/python3
"""Offline validation of deploy/ (Kubernetes manifests and the Dockerfile).

Run by tests/deploy/validate_manifests.sh (ctest Deploy.ManifestsValidate).
Needs Debian's python3-yaml and protoc; uses python3-protobuf and
python3-kubernetes when installed (their checks are reported as skipped
otherwise). Nothing is downloaded.

  validate_manifests.py REPO_ROOT PROTOC [BINARY...]

BINARY...: built brazesync_server / brazesync, checked against
deploy/runtime-packages.txt by deploy/check_runtime_libs.sh.
"""
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(sys.argv[1])
PROTOC = sys.argv[2]
BINARIES = sys.argv[3:]
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")

GRPC_PORT = 50051
SERVICE_NAME = "brazesync.v1.BrazeSync"
CONFIG_DIR = "/etc/brazesync"
CONFIG_PATH = CONFIG_DIR + "/brazesync.textproto"
RUN_AS = 65532
# Braze's documented /users/track limit per workspace, the server's
# --rate_limit_requests default.
BRAZE_REQUESTS_PER_WINDOW = 3000

KNOWN_KINDS = {
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("policy/v1", "PodDisruptionBudget"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# A Braze REST API key is a UUID; also catch other obvious credentials.
SECRET_LOOKING = [
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    re.compile(r"Bearer\s+[A-Za-z0-9._~+/-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(AKIA|ghp_|xox[bp]-|sk_live_)[A-Za-z0-9]{8,}"),
]
PLACEHOLDER = re.compile(r"REPLACE|EXAMPLE|PLACEHOLDER|CHANGE-?ME", re.I)

results = []  # (name, status, detail) with status in ok / FAIL / skip


def _crash(kind, value, tb):
    """A manifest shaped so oddly that a check raised: report it as a failure."""
    import traceback
    for name, status, detail in results:
        if status != "ok":
            print(f"{status:4} {name}  [{detail}]")
    traceback.print_exception(kind, value, tb)
    print("FAIL validator stopped on an unexpected manifest shape (see the traceback above)")
    print(f"{sum(1 for r in results if r[1] == 'ok')} passed, {sum(1 for r in results if r[1] == 'FAIL') + 1} failed")
    sys.exit(1)


sys.excepthook = _crash


def check(name, ok, detail=""):
    results.append((name, "ok" if ok else "FAIL", detail))
    return ok


def skip(name, why):
    results.append((name, "skip", why))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def get(obj, *path, default=None):
    for key in path:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def quantity(q):
    """A Kubernetes resource quantity as a float (cores or bytes)."""
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(q))
    if not m:
        raise ValueError(f"bad quantity {q!r}")
    scale = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
             "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}[m.group(2)]
    return float(m.group(1)) * scale


def server_flags():
    """Flag names the server defines (ABSL_FLAG in server/*.cc)."""
    names = set()
    for dirpath, _, files in os.walk(os.path.join(ROOT, "server")):
        for f in files:
            if f.endswith(".cc"):
                names |= set(re.findall(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)", read(os.path.join(dirpath, f))))
    return names


def parse_args(args):
    flags = {}
    for a in args:
        m = re.fullmatch(r"--(\w+)(?:=(.*))?", a)
        if m:
            flags[m.group(1)] = m.group(2) if m.group(2) is not None else "true"
    return flags


# ---------------------------------------------------------------- YAML parse
docs = {}  # file name -> list of documents
for name in sorted(os.listdir(K8S)):
    if not name.endswith((".yaml", ".yml")):
        continue
    try:
        loaded = [d for d in yaml.safe_load_all(read(os.path.join(K8S, name))) if d is not None]
        docs[name] = loaded
        check(f"yaml parses: {name}", len(loaded) >= 1, f"{len(loaded)} document(s)")
    except yaml.YAMLError as e:
        check(f"yaml parses: {name}", False, str(e).replace("\n", " "))

expected_files = {"deployment.yaml", "service.yaml", "configmap.yaml", "secret.example.yaml",
                  "pdb.yaml", "kustomization.yaml"}
check("all manifests present", expected_files <= set(docs), f"missing {sorted(expected_files - set(docs))}")

objects = []  # (file, doc)
for name, ds in docs.items():
    for d in ds:
        objects.append((name, d))
        kind = (d.get("apiVersion"), d.get("kind"))
        check(f"{name}: apiVersion/kind known", kind in KNOWN_KINDS, f"{kind}")
        if d.get("kind") == "Kustomization":
            continue
        meta = d.get("metadata") or {}
        check(f"{name}: metadata.name is a DNS-1123 name",
              isinstance(meta.get("name"), str) and bool(DNS1123.match(meta["name"])), str(meta.get("name")))
        check(f"{name}: namespace-less", "namespace" not in meta, str(meta.get("namespace")))


def one(kind, file=None):
    found = [d for f, d in objects if d.get("kind") == kind and (file is None or f == file)]
    return found[0] if len(found) == 1 else None


deploy = one("Deployment")
service = one("Service")
configmap = one("ConfigMap")
secret = one("Secret")
pdb = one("PodDisruptionBudget")
kustomization = one("Kustomization")
for kind, obj in [("Deployment", deploy), ("Service", service), ("ConfigMap", configmap),
                  ("Secret", secret), ("PodDisruptionBudget", pdb), ("Kustomization", kustomization)]:
    check(f"exactly one {kind}", obj is not None)

# ---------------------------------------------------------------- Deployment
pod_labels = {}
container = {}
flags = {}
secret_mount = None
if deploy:
    spec = deploy.get("spec") or {}
    template = spec.get("template") or {}
    pod_labels = get(template, "metadata", "labels", default={}) or {}
    pod = template.get("spec") or {}
    selector = get(spec, "selector", "matchLabels", default={}) or {}
    check("deployment: spec.selector.matchLabels set and matches template labels",
          bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items()), f"{selector} vs {pod_labels}")
    check("deployment: replicas 2", spec.get("replicas") == 2, repr(spec.get("replicas")))
    containers = pod.get("containers") or []
    check("deployment: one container", len(containers) == 1, str(len(containers)))
    container = containers[0] if containers else {}
    check("deployment: container name", isinstance(container.get("name"), str) and DNS1123.match(container["name"]))
    image = container.get("image", "")
    check("deployment: image has an explicit tag, not latest",
          bool(re.fullmatch(r"[\w.\-/:]+:[\w.\-]+", image)) and not image.endswith(":latest"), image)
    check("deployment: no command override (image ENTRYPOINT brazesync_server)", "command" not in container)
    args = container.get("args") or []
    flags = parse_args(args)
    check(f"deployment: args --config={CONFIG_PATH}", flags.get("config") == CONFIG_PATH, str(args))
    known = server_flags()
    unknown = [f for f in flags if f not in known]
    check("deployment: every arg is a flag brazesync_server defines (server/*.cc ABSL_FLAG)",
          bool(known) and not unknown, f"unknown: {unknown}")
    check("deployment: args are all --flag=value", all(a.startswith("--") for a in args), str(args))
    replicas = spec.get("replicas") if isinstance(spec.get("replicas"), int) else 1
    rate = int(flags.get("rate_limit_requests", BRAZE_REQUESTS_PER_WINDOW))
    # Single-node mode only: each replica spends its own budget. In cluster
    # mode (deploy/kubernetes-cluster) the flag is the shared TOTAL instead.
    check("deployment: --rate_limit_requests x replicas stays within Braze's per-workspace limit "
          "(single-node mode)", rate * replicas <= BRAZE_REQUESTS_PER_WINDOW, f"{rate} x {replicas}")

    ports = container.get("ports") or []
    grpc_ports = [p for p in ports if p.get("containerPort") == GRPC_PORT]
    check(f"deployment: containerPort {GRPC_PORT} named grpc",
          len(grpc_ports) == 1 and grpc_ports[0].get("name") == "grpc" and grpc_ports[0].get("protocol", "TCP") == "TCP")

    for probe_name, want_service in [("readinessProbe", SERVICE_NAME), ("livenessProbe", "")]:
        probe = container.get(probe_name) or {}
        handlers = [h for h in ("grpc", "httpGet", "tcpSocket", "exec") if h in probe]
        check(f"deployment: {probe_name} uses only the native grpc handler", handlers == ["grpc"], str(handlers))
        check(f"deployment: {probe_name} grpc.port {GRPC_PORT}", get(probe, "grpc", "port") == GRPC_PORT,
              str(get(probe, "grpc", "port")))
        check(f"deployment: {probe_name} grpc.service {want_service!r}",
              get(probe, "grpc", "service", default="") == want_service, repr(get(probe, "grpc", "service")))
        for field in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"):
            v = probe.get(field)
            check(f"deployment: {probe_name}.{field} is a non-negative integer", v is None or (isinstance(v, int) and v >= 0))

    psc = pod.get("securityContext") or {}
    csc = container.get("securityContext") or {}
    check("deployment: pod securityContext runAsNonRoot true", psc.get("runAsNonRoot") is True)
    check("deployment: container securityContext runAsNonRoot true", csc.get("runAsNonRoot") is True)
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    check(f"deployment: runs as uid {RUN_AS} (the image's user)", uid == RUN_AS, str(uid))
    check("deployment: readOnlyRootFilesystem true", csc.get("readOnlyRootFilesystem") is True)
    check("deployment: allowPrivilegeEscalation false", csc.get("allowPrivilegeEscalation") is False)
    check("deployment: capabilities drop ALL", "ALL" in (get(csc, "capabilities", "drop", default=[]) or []))
    check("deployment: privileged not set", not csc.get("privileged"))
    check("deployment: seccompProfile RuntimeDefault",
          get(psc, "seccompProfile", "type") == "RuntimeDefault" or get(csc, "seccompProfile", "type") == "RuntimeDefault")
    check("deployment: hostNetwork/hostPID/hostIPC not set",
          not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")))
    check("deployment: service account token not mounted", pod.get("automountServiceAccountToken") is False)

    res = container.get("resources") or {}
    try:
        ok = True
        for r in ("cpu", "memory"):
            req, lim = get(res, "requests", r), get(res, "limits", r)
            ok = ok and req is not None and lim is not None and quantity(req) <= quantity(lim)
        check("deployment: cpu/memory requests and limits set, requests <= limits", ok, str(res))
    except ValueError as e:
        check("deployment: resource quantities parse", False, str(e))

    # Graceful shutdown: the kubelet must not SIGKILL before the server drains.
    grace_s = pod.get("terminationGracePeriodSeconds", 30)
    shutdown_ms = int(flags.get("shutdown_grace_ms", 10000))
    pre_stop = get(container, "lifecycle", "preStop", "exec", "command", default=[]) or []
    pre_stop_s = int(pre_stop[-1]) if len(pre_stop) >= 2 and pre_stop[-2].endswith("sleep") and pre_stop[-1].isdigit() else 0
    if get(container, "lifecycle", "preStop", "sleep", "seconds") is not None:
        pre_stop_s = int(get(container, "lifecycle", "preStop", "sleep", "seconds"))
    check("deployment: terminationGracePeriodSeconds exceeds preStop + --shutdown_grace_ms",
          grace_s * 1000 > pre_stop_s * 1000 + shutdown_ms, f"{grace_s}s vs {pre_stop_s}s + {shutdown_ms}ms")
    if pre_stop:
        check("deployment: preStop command exists in the runtime image (/bin/sleep from coreutils)",
              pre_stop[0] == "/bin/sleep", str(pre_stop))

    # Environment: no secret values inline.
    for env in container.get("env") or []:
        name = env.get("name", "")
        if re.search(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", name, re.I):
            check(f"deployment: env {name} comes from a Secret, not a literal value",
                  "value" not in env and get(env, "valueFrom", "secretKeyRef") is not None)

    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = container.get("volumeMounts") or []
    check("deployment: every volumeMount names a volume", all(m.get("name") in volumes for m in mounts),
          str([m.get("name") for m in mounts]))
    mount_paths = [m.get("mountPath") for m in mounts]
    check("deployment: mount paths unique", len(mount_paths) == len(set(mount_paths)))

    cm_mount = [m for m in mounts if m.get("mountPath") == CONFIG_DIR]
    cm_vol = volumes.get(cm_mount[0]["name"]) if cm_mount else None
    check(f"deployment: ConfigMap volume mounted read-only at {CONFIG_DIR}",
          bool(cm_vol and "configMap" in cm_vol and cm_mount[0].get("readOnly") is True))
    if cm_vol and "configMap" in cm_vol and configmap:
        check("deployment: configMap volume names the ConfigMap of configmap.yaml",
              get(cm_vol, "configMap", "name") == get(configmap, "metadata", "name"))
        items = get(cm_vol, "configMap", "items", default=None)
        files = [i.get("path") for i in items] if items else list((configmap.get("data") or {}).keys())
        keys = [i.get("key") for i in items] if items else files
        check(f"deployment: {CONFIG_PATH} is a file of the ConfigMap volume",
              "brazesync.textproto" in files and all(k in (configmap.get("data") or {}) for k in keys), str(files))

    sec_vols = [(n, v) for n, v in volumes.items() if "secret" in v]
    check("deployment: one Secret volume (the Braze API key)", len(sec_vols) == 1, str([n for n, _ in sec_vols]))
    check("deployment: fsGroup 65532 (Secret files become 0440 root:65532, readable by uid 65532)",
          psc.get("fsGroup") == RUN_AS, str(psc.get("fsGroup")))
    if sec_vols:
        sec_name, sec_vol = sec_vols[0]
        check("deployment: Secret volume defaultMode 0400", get(sec_vol, "secret", "defaultMode") == 0o400,
              str(get(sec_vol, "secret", "defaultMode")))
        if secret:
            check("deployment: Secret volume names the Secret of secret.example.yaml",
                  get(sec_vol, "secret", "secretName") == get(secret, "metadata", "name"))
        # The server refuses key files with any group/other bit (server/secret_source.cc),
        # and a mounted Secret is 0440 root:fsGroup: an init container must copy the
        # keys, as 65532, to an in-memory emptyDir with mode 0400 (or 0600).
        check("deployment: the server container does not mount the Secret directly (0440 would be refused)",
              all(m.get("name") != sec_name for m in mounts))
        inits = [c for c in pod.get("initContainers") or []
                 if any(m.get("name") == sec_name for m in c.get("volumeMounts") or [])]
        check("deployment: one init container reads the Secret", len(inits) == 1, str(len(inits)))
        if inits:
            init = inits[0]
            init_mounts = {m.get("name"): m for m in init.get("volumeMounts") or []}
            src = init_mounts[sec_name]
            check("deployment: init container mounts the Secret read-only", src.get("readOnly") is True)
            check("deployment: init container uses the server image", init.get("image") == container.get("image"),
                  f"{init.get('image')} vs {container.get('image')}")
            isc = init.get("securityContext") or {}
            check("deployment: init container hardened like the server (non-root 65532, read-only root, "
                  "no privilege escalation, drop ALL)",
                  isc.get("runAsNonRoot") is True and isc.get("runAsUser", psc.get("runAsUser")) == RUN_AS
                  and isc.get("readOnlyRootFilesystem") is True and isc.get("allowPrivilegeEscalation") is False
                  and "ALL" in (get(isc, "capabilities", "drop", default=[]) or []))
            check("deployment: init container has cpu/memory requests and limits",
                  all(get(init, "resources", k, r) is not None for k in ("requests", "limits") for r in ("cpu", "memory")))
            script = " ".join(init.get("command") or []) + " " + " ".join(init.get("args") or [])
            dests = [(n, m) for n, m in init_mounts.items()
                     if n != sec_name and "emptyDir" in (volumes.get(n) or {}) and not m.get("readOnly")]
            copy = re.search(r"install -m ([0-7]{3,4}) ", script)
            check("deployment: init container copies every key with install -m 0400/0600 into an emptyDir",
                  bool(copy) and int(copy.group(1), 8) & 0o077 == 0 and len(dests) == 1
                  and src.get("mountPath", "") + "/*" in script
                  and any(m.get("mountPath", "") in script for _, m in dests), script)
            check("deployment: init copy fails loudly (set -e)", "set -e" in script)
            if dests:
                dname, dmount = dests[0]
                check("deployment: the key copies live in memory (emptyDir medium Memory)",
                      get(volumes[dname], "emptyDir", "medium") == "Memory")
                main = [m for m in mounts if m.get("name") == dname]
                check("deployment: server mounts the key copies read-only under /run/secrets",
                      len(main) == 1 and main[0].get("readOnly") is True
                      and main[0].get("mountPath", "").startswith("/run/secrets/"))
                if main:
                    secret_mount = (main[0]["mountPath"].rstrip("/"), get(sec_vol, "secret", "secretName"))

    # With readOnlyRootFilesystem, everything the server may write must be a volume.
    writable = [m.get("mountPath") for m in mounts if not m.get("readOnly")]
    check("deployment: writable /tmp and /var/lib/brazesync volumes (read-only root)",
          "/tmp" in writable and "/var/lib/brazesync" in writable, str(writable))

# ---------------------------------------------------------------- Service
if service:
    spec = service.get("spec") or {}
    check("service: type ClusterIP", spec.get("type", "ClusterIP") == "ClusterIP")
    sel = spec.get("selector") or {}
    check("service: selector matches the pod labels", bool(sel) and all(pod_labels.get(k) == v for k, v in sel.items()),
          f"{sel}")
    ports = spec.get("ports") or []
    grpc_service_ports = [p for p in ports if p.get("name") == "grpc"]
    p = grpc_service_ports[0] if len(grpc_service_ports) == 1 else {}
    check(f"service: one port {GRPC_PORT} named grpc with appProtocol grpc",
          p.get("port") == GRPC_PORT and p.get("appProtocol") == "grpc", str(ports))
    cports = container.get("ports") or []
    # Every service port (gRPC, and HTTP/JSON when the server has
    # http_listen) must reach a port the container declares.
    for sp in ports:
        target = sp.get("targetPort", sp.get("port"))
        check(f"service: targetPort of port {sp.get('name')} resolves to a container port",
              any(cp.get("name") == target or cp.get("containerPort") == target for cp in cports),
              str(target))

# ---------------------------------------------------------------- PDB
if pdb:
    spec = pdb.get("spec") or {}
    sel = get(spec, "selector", "matchLabels", default={}) or {}
    check("pdb: selector matches the pod labels", bool(sel) and all(pod_labels.get(k) == v for k, v in sel.items()))
    has_min, has_max = "minAvailable" in spec, "maxUnavailable" in spec
    check("pdb: exactly one of minAvailable / maxUnavailable", has_min != has_max)
    replicas = get(deploy, "spec", "replicas", default=1) if deploy else 1
    if has_min and isinstance(spec["minAvailable"], int) and isinstance(replicas, int):
        check("pdb: minAvailable < replicas (drains can proceed)", spec["minAvailable"] < replicas)

# ---------------------------------------------------------------- Secret example
if secret:
    check("secret: only in secret.example.yaml", [f for f, d in objects if d.get("kind") == "Secret"] == ["secret.example.yaml"])
    values = dict(secret.get("stringData") or {})
    check("secret: placeholder values in stringData only (no base64 data)", "data" not in secret and bool(values))
    check("secret: every value is an obvious placeholder",
          all(isinstance(v, str) and PLACEHOLDER.search(v) for v in values.values()), str(list(values)))
    if secret_mount and configmap:
        pass  # cross-checked with the config below

# ---------------------------------------------------------------- secrets scan
for dirpath, _, files in os.walk(DEPLOY):
    for f in files:
        rel = os.path.relpath(os.path.join(dirpath, f), ROOT)
        text = read(os.path.join(dirpath, f))
        hits = [p.pattern for p in SECRET_LOOKING if p.search(text)]
        check(f"no credential-looking strings: {rel}", not hits, str(hits))

# ---------------------------------------------------------------- ConfigMap textproto
if configmap:
    data = configmap.get("data") or {}
    text = data.get("brazesync.textproto")
    check("configmap: data.brazesync.textproto present", isinstance(text, str))
    if isinstance(text, str):
        proto_rel = "brazesync/v1/config.proto"
        r = subprocess.run([PROTOC, "--encode=brazesync.v1.ServerConfig", "-I", os.path.join(ROOT, "protos"), proto_rel],
                           input=text.encode(), capture_output=True)
        check("configmap: textproto parses as brazesync.v1.ServerConfig (protoc --encode)", r.returncode == 0,
              r.stderr.decode().strip())
        try:
            tmp = tempfile.mkdtemp()
            subprocess.run([PROTOC, f"--python_out={tmp}", "-I", os.path.join(ROOT, "protos"), proto_rel],
                           check=True, capture_output=True)
            sys.path.insert(0, tmp)
            from google.protobuf import text_format
            config_pb2 = importlib.import_module("brazesync.v1.config_pb2")
            cfg = text_format.Parse(text, config_pb2.ServerConfig())
        except Exception as e:  # python3-protobuf missing or incompatible
            cfg = None
            skip("configmap: semantic checks of the ServerConfig", f"python protobuf unavailable: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if cfg is not None:
            host, _, port = cfg.listen.rpartition(":")
            check(f"configmap: listen binds all interfaces on {GRPC_PORT} (probes and the Service use the pod IP)",
                  host in ("0.0.0.0", "[::]", "") and port == str(GRPC_PORT), cfg.listen)
            names = [w.name for w in cfg.workspaces]
            check("configmap: one workspace", len(names) == 1, str(names))
            check("configmap: workspace names unique and non-empty", len(set(names)) == len(names) and all(names))
            check("configmap: default_workspace names a workspace", not cfg.default_workspace or cfg.default_workspace in names)
            for w in cfg.workspaces:
                check(f"configmap: workspace {w.name}: https endpoint", w.endpoint.startswith("https://"), w.endpoint)
                check(f"configmap: workspace {w.name}: key from api_key_file (not env)", bool(w.api_key_file) and not w.api_key_env)
                if secret_mount:
                    mdir, sname = secret_mount
                    key = w.api_key_file[len(mdir) + 1:] if w.api_key_file.startswith(mdir + "/") else None
                    check(f"configmap: workspace {w.name}: api_key_file is a key of the mounted Secret",
                          key is not None and "/" not in key and (not secret or key in (secret.get("stringData") or {})),
                          f"{w.api_key_file} vs mount {mdir}")

# ---------------------------------------------------------------- kustomization
if kustomization:
    res = kustomization.get("resources") or []
    check("kustomization: resources exist", all(os.path.isfile(os.path.join(K8S, r)) for r in res), str(res))
    check("kustomization: applies every manifest but the Secret example",
          sorted(res) == sorted(expected_files - {"secret.example.yaml", "kustomization.yaml"}), str(res))
    image_names = [i.get("name") for i in kustomization.get("images") or []]
    if deploy:
        check("kustomization: images[].name matches the Deployment's image",
              all(container.get("image", "").split(":")[0] == n for n in image_names), str(image_names))
    kubectl = shutil.which("kubectl")
    if kubectl:
        r = subprocess.run([kubectl, "kustomize", K8S], capture_output=True, text=True)
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
        check("kustomization: `kubectl kustomize` renders ConfigMap, Deployment, Service, PDB and no Secret",
              r.returncode == 0 and sorted(d["kind"] for d in rendered) ==
              ["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"], r.stderr.strip())
    else:
        skip("kustomization: kubectl kustomize render", "kubectl not installed")

# ---------------------------------------------------------------- cluster variant
# deploy/kubernetes-cluster (docs/cluster.md): a kustomize overlay of
# deploy/kubernetes whose Deployment patch makes the replicas stateless on a
# shared PostgreSQL. The patch is applied here with a small strategic merge
# (and compared with `kubectl kustomize` when kubectl is installed).
CLUSTER = os.path.join(DEPLOY, "kubernetes-cluster")
# Cluster-mode flags of brazesync_server (docs/cluster.md). Until the server
# side defines them, they are accepted here and listed as a skip.
CLUSTER_FLAGS = {"store", "replica_name", "cluster_partitions", "cluster_owner_idle_timeout_ms",
                 "rate_budget", "rate_budget_fallback"}
PG_SECRET_FILE = "secret-postgres.example.yaml"
# Merge keys of the lists the patch touches (Kubernetes' patchMergeKey).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath", "ports": "containerPort"}


def strategic_merge(base, patch, field=None):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = strategic_merge(base.get(k), v, k) if k in base else strategic_merge(None, v, k)
        return out
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(base, list):
        key = MERGE_KEYS[field]
        out = [dict(b) if isinstance(b, dict) else b for b in base]
        for item in patch:
            if not isinstance(item, dict):
                continue
            idx = [i for i, b in enumerate(out) if isinstance(b, dict) and b.get(key) == item.get(key)]
            if item.get("$patch") == "delete":
                out = [b for i, b in enumerate(out) if i not in idx]
            elif idx:
                out[idx[0]] = strategic_merge(out[idx[0]], item, None)
            else:
                out.append(item)
        return out
    if isinstance(patch, list):
        return [p for p in patch if not (isinstance(p, dict) and p.get("$patch") == "delete")]
    return patch


cluster_docs = {}
if check("cluster: deploy/kubernetes-cluster present", os.path.isdir(CLUSTER)):
    for name in sorted(os.listdir(CLUSTER)):
        if name.endswith((".yaml", ".yml")):
            try:
                cluster_docs[name] = [d for d in yaml.safe_load_all(read(os.path.join(CLUSTER, name))) if d]
                check(f"cluster: yaml parses: {name}", len(cluster_docs[name]) == 1,
                      f"{len(cluster_docs[name])} document(s)")
            except yaml.YAMLError as e:
                check(f"cluster: yaml parses: {name}", False, str(e).replace("\n", " "))
ckust = (cluster_docs.get("kustomization.yaml") or [None])[0]
pg_secret = (cluster_docs.get(PG_SECRET_FILE) or [None])[0]
kust_text = read(os.path.join(CLUSTER, "kustomization.yaml")) if "kustomization.yaml" in cluster_docs else ""
check("cluster: kustomization.yaml says PostgreSQL needs synchronous replication "
      "(minSyncReplicas / synchronous_mode)", "minSyncReplicas" in kust_text and "synchronous_mode" in kust_text)
cdeploy = None
if check("cluster: kustomization.yaml present", isinstance(ckust, dict)):
    check("cluster: kustomization builds on ../kubernetes only (no Secret applied)",
          (ckust.get("resources") or []) == ["../kubernetes"], str(ckust.get("resources")))
    patch_files = [p.get("path") for p in ckust.get("patches") or [] if isinstance(p, dict)]
    check("cluster: kustomization patches the Deployment with deployment-patch.yaml",
          patch_files == ["deployment-patch.yaml"] and "deployment-patch.yaml" in cluster_docs, str(patch_files))
    patch = (cluster_docs.get("deployment-patch.yaml") or [None])[0]
    if deploy and isinstance(patch, dict):
        check("cluster: the patch targets the Deployment of deploy/kubernetes",
              patch.get("kind") == "Deployment" and get(patch, "metadata", "name") == get(deploy, "metadata", "name"))
        cdeploy = strategic_merge(deploy, patch)
    kubectl = shutil.which("kubectl")
    if kubectl and cdeploy is not None:
        r = subprocess.run([kubectl, "kustomize", CLUSTER], capture_output=True, text=True)
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
        kinds = sorted(d["kind"] for d in rendered)
        check("cluster: `kubectl kustomize` renders ConfigMap, Deployment, Service, PDB and no Secret",
              r.returncode == 0 and kinds == ["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"],
              r.stderr.strip() or str(kinds))
        rdeploy = [d for d in rendered if d.get("kind") == "Deployment"]
        if rdeploy:
            a, b = get(rdeploy[0], "spec", "template", "spec"), get(cdeploy, "spec", "template", "spec")
            def canon(v, ordered):
                # kubectl may put merged list items in another order; args keep theirs.
                if not isinstance(v, list) or ordered:
                    return v
                return sorted(json.dumps(x, sort_keys=True) for x in v)
            same = all(canon(get(a, *path), path[-1] == "args") == canon(get(b, *path), path[-1] == "args")
                       for path in [("volumes",), ("containers", 0, "args"), ("containers", 0, "env"),
                                    ("containers", 0, "volumeMounts")])
            check("cluster: kubectl's render and this validator's merge agree", same)
    else:
        skip("cluster: kubectl kustomize render", "kubectl not installed")

if cdeploy is not None:
    cspec = get(cdeploy, "spec", default={}) or {}
    cpod = get(cspec, "template", "spec", default={}) or {}
    ccont = (cpod.get("containers") or [{}])[0]
    cargs = ccont.get("args") or []
    cflags = parse_args(cargs)
    known = server_flags()
    unknown = [f for f in cflags if f not in known and f not in CLUSTER_FLAGS]
    check("cluster: every arg is a flag brazesync_server defines (or a cluster-mode flag)",
          bool(known) and not unknown, f"unknown: {unknown}")
    pending = sorted(f for f in cflags if f in CLUSTER_FLAGS and f not in known)
    if pending:
        skip("cluster: cluster-mode flags defined by server/*.cc", f"not yet: {pending}")
    check("cluster: args are all --flag=value", all(a.startswith("--") for a in cargs), str(cargs))
    creplicas = cspec.get("replicas")
    check("cluster: replicas >= 2", isinstance(creplicas, int) and creplicas >= 2, repr(creplicas))
    # The TOTAL budget, shared through PostgreSQL: not divided by replicas.
    crate = int(cflags.get("rate_limit_requests", BRAZE_REQUESTS_PER_WINDOW))
    check("cluster: --rate_limit_requests is the workspace's total budget (<= Braze's limit, not x replicas)",
          crate <= BRAZE_REQUESTS_PER_WINDOW, str(crate))
    check("cluster: --rate_budget is shared (local spends the whole budget per replica)",
          cflags.get("rate_budget", "shared") == "shared", str(cflags.get("rate_budget")))
    check("cluster: no --data_dir (replicas keep no outbox)", "data_dir" not in cflags)
    cvols = {v.get("name"): v for v in cpod.get("volumes") or []}
    cmounts = ccont.get("volumeMounts") or []
    check("cluster: no outbox volume (nothing named data, nothing at /var/lib/brazesync, no PVC)",
          "data" not in cvols and all(m.get("mountPath") != "/var/lib/brazesync" for m in cmounts)
          and not any("persistentVolumeClaim" in v for v in cvols.values()) and "volumeClaimTemplates" not in cspec,
          f"volumes {sorted(cvols)}")
    check("cluster: every volumeMount names a volume", all(m.get("name") in cvols for m in cmounts),
          str([m.get("name") for m in cmounts]))
    env = {e.get("name"): e for e in ccont.get("env") or []}
    pg_secret_name = get(pg_secret, "metadata", "name") if isinstance(pg_secret, dict) else None
    pg_keys = (pg_secret or {}).get("stringData") or {}

    def from_pg_secret(e):
        ref = get(e, "valueFrom", "secretKeyRef") or {}
        return e is not None and "value" not in e and ref.get("name") == pg_secret_name and ref.get("key") in pg_keys

    store = cflags.get("store")
    check("cluster: --store is given", bool(store), str(store))
    m = re.fullmatch(r"\$\((\w+)\)", store or "")
    if m:
        check("cluster: --store's URI comes from the brazesync-postgres Secret (env secretKeyRef)",
              from_pg_secret(env.get(m.group(1))), m.group(1))
    elif store:
        check("cluster: --store carries no password", not re.search(r"://[^/@]*:[^/@]*@|password=", store), store)
    if "PGPASSFILE" in env:
        check("cluster: PGPASSFILE points into a mounted volume",
              any(str(env["PGPASSFILE"].get("value", "")).startswith(m.get("mountPath", "") + "/") for m in cmounts))
    else:
        check("cluster: PGPASSWORD comes from the brazesync-postgres Secret (secretKeyRef), not a literal",
              from_pg_secret(env.get("PGPASSWORD")), str(env.get("PGPASSWORD")))

if check(f"cluster: {PG_SECRET_FILE} present", isinstance(pg_secret, dict)):
    check("cluster: PostgreSQL Secret template is a v1 Secret named brazesync-postgres",
          pg_secret.get("apiVersion") == "v1" and pg_secret.get("kind") == "Secret"
          and get(pg_secret, "metadata", "name") == "brazesync-postgres")
    values = pg_secret.get("stringData") or {}
    check("cluster: PostgreSQL Secret has placeholder values in stringData only",
          "data" not in pg_secret and bool(values) and all(isinstance(v, str) and PLACEHOLDER.search(v)
                                                            for v in values.values()), str(list(values)))
    uri = str(values.get("uri", ""))
    check("cluster: PostgreSQL Secret's uri carries no password (libpq takes it from PGPASSWORD)",
          bool(uri) and not re.search(r"://[^/@]*:[^/@]*@|password=", uri), uri)

# ---------------------------------------------------------------- structural schema (python3-kubernetes)
try:
    import kubernetes.client as kc
    from kubernetes.client.api_client import ApiClient
    from kubernetes.client.configuration import Configuration
except ImportError:
    kc = None
    skip("schema: fields and types against the Kubernetes API models", "python3-kubernetes not installed")

if kc is not None:
    import kubernetes
    cfg = Configuration()
    cfg.client_side_validation = True
    # Fields newer than Debian's python3-kubernetes models (22.6, Kubernetes
    # 1.22): gRPC probes are Kubernetes 1.24+ (GA 1.27). Checked here by hand.
    NEWER = {("V1Probe", "grpc"): {"port": "int", "service": "str"}}
    PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object,
                 "datetime": str, "date": str}

    def walk(value, typ, path, errors):
        if typ in PRIMITIVE:
            ok = isinstance(value, PRIMITIVE[typ]) and not (typ == "int" and isinstance(value, bool))
            if typ == "str" and isinstance(value, (int, float)) and path.endswith((".port", ".targetPort")):
                ok = True  # IntOrString
            if not ok:
                errors.append(f"{path}: expected {typ}, got {type(value).__name__}")
            return
        m = re.fullmatch(r"list\[(.+)\]", typ)
        if m:
            if not isinstance(value, list):
                errors.append(f"{path}: expected a list")
                return
            for i, v in enumerate(value):
                walk(v, m.group(1), f"{path}[{i}]", errors)
            return
        m = re.fullmatch(r"dict\(str, (.+)\)", typ)
        if m:
            if not isinstance(value, dict):
                errors.append(f"{path}: expected a map")
                return
            for k, v in value.items():
                walk(v, m.group(1), f"{path}.{k}", errors)
            return
        model = getattr(kc, typ, None)
        if model is None:
            errors.append(f"{path}: unknown model {typ}")
            return
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object ({typ})")
            return
        json_to_attr = {v: k for k, v in model.attribute_map.items()}
        for key, v in value.items():
            if key in json_to_attr:
                attr_type = model.openapi_types[json_to_attr[key]]
                # IntOrString fields are typed "object"; quantities "str".
                walk(v, attr_type, f"{path}.{key}", errors)
            elif (typ, key) in NEWER:
                sub = NEWER[(typ, key)]
                for k2, v2 in (v or {}).items():
                    if k2 not in sub:
                        errors.append(f"{path}.{key}.{k2}: unknown field")
                    else:
                        walk(v2, sub[k2], f"{path}.{key}.{k2}", errors)
            else:
                errors.append(f"{path}.{key}: unknown field of {typ}")
        # Required fields: the generated models raise on None for required ones.
        try:
            model(local_vars_configuration=cfg, **{json_to_attr[k]: v for k, v in value.items() if k in json_to_attr})
        except ValueError as e:
            errors.append(f"{path}: {e}")
        except TypeError:
            pass

    MODELS = {"Deployment": "V1Deployment", "Service": "V1Service", "ConfigMap": "V1ConfigMap",
              "Secret": "V1Secret", "PodDisruptionBudget": "V1PodDisruptionBudget"}
    for f, d in objects:
        if d.get("kind") in MODELS:
            errors = []
            walk(d, MODELS[d["kind"]], d["kind"], errors)
            check(f"schema: {f} matches the Kubernetes API model {MODELS[d['kind']]} "
                  f"(python3-kubernetes {kubernetes.__version__})", not errors, "; ".join(errors))

# ---------------------------------------------------------------- Dockerfile
dockerfile = os.path.join(DEPLOY, "Dockerfile")
text = read(dockerfile)
# Join continuation lines, drop comments (keep the parser directive line out too).
logical, buf = [], ""
for line in text.splitlines():
    if not buf and line.lstrip().startswith("#"):
        continue
    if line.rstrip().endswith("\\"):
        buf += line.rstrip()[:-1] + " "
        continue
    buf += line
    if buf.strip():
        logical.append(buf.strip())
    buf = ""
instrs = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in logical]
froms = [a for i, a in instrs if i == "FROM"]
check("dockerfile: multi-stage (2+ FROM)", len(froms) >= 2, str(froms))
check("dockerfile: builder FROM debian:12, runtime FROM debian:12-slim",
      bool(froms) and froms[0].split()[0] == "debian:12" and froms[-1].split()[0] == "debian:12-slim", str(froms))
check("dockerfile: no :latest or untagged base image",
      all(":" in f.split()[0] and not f.split()[0].endswith(":latest") for f in froms))
last_stage = instrs[max(i for i, (ins, _) in enumerate(instrs) if ins == "FROM"):]
users = [a.strip() for i, a in last_stage if i == "USER"]
check("dockerfile: final stage USER is not root", bool(users) and users[-1].split(":")[0] not in ("root", "0"), str(users))
check(f"dockerfile: final USER is uid {RUN_AS}", bool(users) and users[-1].split(":")[0] == str(RUN_AS), str(users))
adds = [a for i, a in instrs if i == "ADD"]
check("dockerfile: no ADD of URLs", not any(re.search(r"\b(https?|ftp)://", a) for a in adds), str(adds))
check("dockerfile: no ADD at all (COPY only)", not adds, str(adds))
secretish = [a for i, a in instrs if i in ("ENV", "ARG") and re.search(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", a, re.I)]
check("dockerfile: no ENV/ARG carrying secrets", not secretish, str(secretish))
check("dockerfile: no secret files copied",
      not any(re.search(r"\.(key|pem|env)\b|secret", a, re.I) for i, a in instrs if i in ("COPY", "ADD")))
check(f"dockerfile: EXPOSE {GRPC_PORT}", any(i == "EXPOSE" and str(GRPC_PORT) in a.split() for i, a in last_stage))
entry = [a for i, a in last_stage if i == "ENTRYPOINT"]
check("dockerfile: exec-form ENTRYPOINT brazesync_server",
      bool(entry) and entry[-1].startswith("[") and "brazesync_server" in entry[-1], str(entry))
check("dockerfile: no HEALTHCHECK (Kubernetes probes gRPC natively)", not any(i == "HEALTHCHECK" for i, _ in instrs))
runs = " ".join(a for i, a in instrs if i == "RUN")
check("dockerfile: apt-get install uses --no-install-recommends",
      all("--no-install-recommends" in seg for seg in re.findall(r"apt-get install[^&|;]*", runs)))
check("dockerfile: apt lists removed in the same layer",
      all("rm -rf /var/lib/apt/lists/*" in a for i, a in instrs if i == "RUN" and "apt-get update" in a))
check("dockerfile: no curl|sh or wget downloads", not re.search(r"\b(curl|wget)\b", runs))
for i, a in instrs:
    if i == "COPY" and "--from=" not in a:
        parts = [p for p in a.split() if not p.startswith("--")]
        for src in parts[:-1]:
            check(f"dockerfile: COPY source exists in the context: {src}", os.path.exists(os.path.join(ROOT, src)))
check("dockerfile: builds the brazesync_server and brazesync targets",
      re.search(r"--target\s+brazesync_server\s+brazesync\b", runs) is not None)
check("dockerfile: builder verifies runtime libraries (deploy/check_runtime_libs.sh)", "check_runtime_libs.sh" in runs)

# Dockerfile.dockerignore: allow-list keeps every directory CMake adds.
ignore = os.path.join(DEPLOY, "Dockerfile.dockerignore")
if check("dockerignore: deploy/Dockerfile.dockerignore present", os.path.isfile(ignore)):
    lines = [l.strip() for l in read(ignore).splitlines() if l.strip() and not l.startswith("#")]
    subdirs = re.findall(r"add_subdirectory\((\w+)\)", read(os.path.join(ROOT, "CMakeLists.txt")))
    included = {l[1:].strip("/") for l in lines if l.startswith("!")}
    check("dockerignore: excludes everything by default ('*' first)", bool(lines) and lines[0] == "*")
    check("dockerignore: re-includes CMakeLists.txt, deploy/ and every add_subdirectory of CMakeLists.txt",
          {"CMakeLists.txt", "deploy", *subdirs} <= included, f"need {sorted(set(subdirs) - included)}")
    check("dockerignore: node_modules and build output excluded",
          "**/node_modules" in lines and "**/build" in lines)

# ---------------------------------------------------------------- runtime libraries
if BINARIES:
    missing = [b for b in BINARIES if not os.path.isfile(b)]
    if missing:
        skip("runtime image: packages cover the binaries' shared libraries", f"not built: {missing}")
    else:
        r = subprocess.run([os.path.join(DEPLOY, "check_runtime_libs.sh"), os.path.join(DEPLOY, "runtime-packages.txt"),
                            *BINARIES], capture_output=True, text=True)
        check("runtime image: deploy/runtime-packages.txt covers every library the binaries link",
              r.returncode == 0, (r.stdout + r.stderr).strip())
else:
    skip("runtime image: packages cover the binaries' shared libraries", "no binaries given")

# ---------------------------------------------------------------- report
width = max(len(n) for n, _, _ in results)
for name, status, detail in results:
    line = f"{status:4} {name}"
    if detail and status != "ok":
        line += f"  [{detail}]"
    print(line)
passed = sum(1 for _, s, _ in results if s == "ok")
failed = sum(1 for _, s, _ in results if s == "FAIL")
skipped = sum(1 for _, s, _ in results if s == "skip")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
