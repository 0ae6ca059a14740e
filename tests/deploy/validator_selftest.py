#!/usr/bin/python3
"""Proves tests/deploy/validate_manifests.sh catches mistakes: copies deploy/
(plus protos/, server/*.cc and CMakeLists.txt it reads) to a temporary
directory, breaks one thing at a time, and expects the validator to fail
naming the right check. ctest: Deploy.ValidatorCatchesMistakes.

  validator_selftest.py REPO_ROOT
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
VALIDATOR = os.path.join(ROOT, "tests", "deploy", "validate_manifests.sh")
DEP = "deploy/kubernetes/deployment.yaml"
CM = "deploy/kubernetes/configmap.yaml"
CL = "deploy/kubernetes-cluster/deployment-patch.yaml"
CLK = "deploy/kubernetes-cluster/kustomization.yaml"
CLS = "deploy/kubernetes-cluster/secret-postgres.example.yaml"

# (file, text to replace, replacement, substring of the FAIL line expected)
MUTATIONS = [
    (DEP, "port: 50051\n              service: brazesync", "port: 8080\n              service: brazesync",
     "readinessProbe grpc.port 50051"),
    (DEP, "service: \"\"", "service: brazesync.v1.BrazeSync", "livenessProbe grpc.service ''"),
    (DEP, "            grpc:\n              port: 50051\n              service: \"\"",
     "            tcpSocket:\n              port: 50051", "livenessProbe uses only the native grpc handler"),
    (DEP, "runAsNonRoot: true\n        runAsUser", "runAsNonRoot: false\n        runAsUser",
     "pod securityContext runAsNonRoot true"),
    (DEP, "readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: config",
     "readOnlyRootFilesystem: false\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: config",
     "readOnlyRootFilesystem true"),
    (DEP, "runAsGroup: 65532\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: braze-api-key",
     "runAsGroup: 65532\n            allowPrivilegeEscalation: true\n            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n          volumeMounts:\n            - name: braze-api-key",
     "init container hardened like the server"),
    (DEP, "readinessProbe:", "readinesProbe:", "unknown field of V1Container"),
    (DEP, "- name: brazesync\n          image", "- image", "container name"),
    (DEP, "- --shutdown_grace_ms=20000", "- --no_such_flag=1", "every arg is a flag brazesync_server defines"),
    (DEP, "- --config=/etc/brazesync/brazesync.textproto", "- --config=/config/brazesync.textproto",
     "args --config=/etc/brazesync/brazesync.textproto"),
    (DEP, "defaultMode: 0400", "defaultMode: 0644", "Secret volume defaultMode 0400"),
    (DEP, "        fsGroup: 65532\n", "", "fsGroup 65532"),
    (DEP, "install -m 0400", "install -m 0440", "copies every key with install -m 0400/0600"),
    (DEP, "            - name: secrets\n              mountPath: /run/secrets/brazesync\n              readOnly: true",
     "            - name: braze-api-key\n              mountPath: /run/secrets/brazesync\n              readOnly: true",
     "does not mount the Secret directly"),
    (DEP, "medium: Memory\n            sizeLimit: 1Mi", "sizeLimit: 1Mi", "key copies live in memory"),
    (DEP, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 20",
     "terminationGracePeriodSeconds exceeds"),
    (DEP, "memory: 1Gi", "memory: 1Gb", "resource quantities parse"),
    (DEP, "- --rate_limit_requests=1500", "- --rate_limit_requests=3000", "rate_limit_requests x replicas"),
    (DEP, "replicas: 2", "replicas: \"2\"", "replicas 2"),
    (DEP, "brazesync-server:0.1.0\n          imagePullPolicy: IfNotPresent\n          args:",
     "brazesync-server:latest\n          imagePullPolicy: IfNotPresent\n          args:", "image has an explicit tag"),
    (CM, "    workspaces {", "    workspace {", "parses as brazesync.v1.ServerConfig"),
    (CM, "0.0.0.0:50051", "127.0.0.1:50051", "listen binds all interfaces"),
    (CM, "api_key_file: \"/run/secrets/brazesync/braze-api-key\"", "api_key_file: \"/run/secrets/other/key\"",
     "api_key_file is a key of the mounted Secret"),
    (CM, "default_workspace: \"prod\"", "default_workspace: \"prod\"\n    # 3fa85f64-5717-4562-b3fc-2c963f66afa6",
     "no credential-looking strings"),
    ("deploy/kubernetes/secret.example.yaml", "REPLACE-WITH-BRAZE-REST-API-KEY", "hunter2hunter2",
     "every value is an obvious placeholder"),
    ("deploy/kubernetes/service.yaml", "appProtocol: grpc", "appProtocol: http", "appProtocol grpc"),
    ("deploy/kubernetes/service.yaml", "targetPort: grpc", "targetPort: metrics", "targetPort of port grpc resolves"),
    ("deploy/kubernetes/kustomization.yaml", "  - pdb.yaml", "  - pdb.yaml\n  - secret.example.yaml",
     "applies every manifest but the Secret example"),
    ("deploy/kubernetes/pdb.yaml", "apiVersion: policy/v1", "apiVersion: policy/v1beta2", "apiVersion/kind known"),
    (CL, "        - name: data\n          $patch: delete\n", "        - name: data\n          emptyDir: {}\n",
     "no outbox volume"),
    (CL, "            - mountPath: /var/lib/brazesync\n              $patch: delete\n",
     "            - mountPath: /var/lib/brazesync\n              name: tmp\n", "no outbox volume"),
    (CL, "            - name: PGPASSWORD\n              valueFrom:\n                secretKeyRef:\n"
         "                  name: brazesync-postgres\n                  key: password",
     "            - name: PGPASSWORD\n              value: REPLACE-ME", "PGPASSWORD comes from the brazesync-postgres Secret"),
    (CL, "- --rate_limit_requests=3000", "- --rate_limit_requests=4500", "total budget"),
    (CL, "- --rate_budget=shared", "- --rate_budget=local", "--rate_budget is shared"),
    (CL, "- --store=$(BRAZESYNC_STORE)", "- --store=postgresql://brazesync:pw@db/brazesync",
     "--store carries no password"),
    (CL, "- --store=$(BRAZESYNC_STORE)", "- --data_dir=/var/lib/brazesync", "--store is given"),
    (CLS, "postgresql://brazesync@REPLACE", "postgresql://brazesync:REPLACE-pw@REPLACE", "uri carries no password"),
    (CLK, "CloudNativePG `minSyncReplicas: 1`", "CloudNativePG", "needs synchronous replication"),
    (CLK, "  - ../kubernetes", "  - ../kubernetes\n  - secret-postgres.example.yaml", "no Secret applied"),
    ("deploy/Dockerfile", "USER 65532:65532", "USER root", "final stage USER is not root"),
    ("deploy/Dockerfile", "FROM debian:12 AS builder", "FROM debian:12-slim AS runtime0", "builder FROM debian:12"),
    ("deploy/Dockerfile", "COPY deploy/runtime-packages.txt", "ADD https://example.com/x.tgz /tmp/\nCOPY deploy/runtime-packages.txt",
     "no ADD of URLs"),
    ("deploy/Dockerfile", "ENV DEBIAN_FRONTEND=noninteractive\nSHELL", "ENV BRAZE_API_KEY=abc\nSHELL",
     "no ENV/ARG carrying secrets"),
    ("deploy/Dockerfile.dockerignore", "!server/\n", "", "re-includes CMakeLists.txt"),
    ("deploy/runtime-packages.txt", "libgrpc29\n", "", "runtime-packages.txt covers every library"),
]


def copy_tree(dst):
    shutil.copytree(os.path.join(ROOT, "deploy"), os.path.join(dst, "deploy"))
    shutil.copytree(os.path.join(ROOT, "protos"), os.path.join(dst, "protos"))
    os.makedirs(os.path.join(dst, "server"))
    for f in glob.glob(os.path.join(ROOT, "server", "*.cc")):
        shutil.copy(f, os.path.join(dst, "server"))
    shutil.copy(os.path.join(ROOT, "CMakeLists.txt"), dst)


def run(tree, binaries):
    return subprocess.run(["/usr/bin/bash", VALIDATOR, tree, *binaries], capture_output=True, text=True)


binaries = sys.argv[2:]
passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    base = os.path.join(tmp, "base")
    copy_tree(base)
    r = run(base, binaries)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
        print("FAIL the unmodified copy does not validate")
        print("0 passed, 1 failed")
        sys.exit(1)
    for i, (rel, old, new, expect) in enumerate(MUTATIONS):
        tree = os.path.join(tmp, f"m{i}")
        copy_tree(tree)
        path = os.path.join(tree, rel)
        with open(path) as f:
            text = f.read()
        label = f"{rel}: {old.strip().splitlines()[0]!r} -> {new.strip().splitlines()[-1] if new.strip() else '(removed)'!r}"
        if old not in text:
            print(f"FAIL {label}: text to break not found (update this self-test)")
            failed += 1
            continue
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
        # Only the runtime-package mutation needs the binaries.
        r = run(tree, binaries if "runtime-packages" in rel else [])
        fails = [l for l in r.stdout.splitlines() if l.startswith("FAIL")]
        if r.returncode != 0 and any(expect in l for l in fails):
            print(f"ok   {label}: caught by '{expect}'")
            passed += 1
        else:
            print(f"FAIL {label}: expected a failure of '{expect}', got rc={r.returncode} {fails}")
            failed += 1
        shutil.rmtree(tree)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
