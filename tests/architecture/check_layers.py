#!/usr/bin/python3
"""Checks that server/ keeps its floors: each folder includes only the folders
listed for it below (docs/architecture.md draws the same picture), so includes
point down and never form a cycle. Also checks that only rpc/, connect/ (it
calls the services through an in-process gRPC channel) and the assembly
include grpcpp, and that every server/ folder is in the table.

Usage: check_layers.py [REPO_ROOT]   (exit 1 and one line per violation)
"""
import os
import re
import sys

# folder -> folders it may include (besides itself). The one home of the
# layering rule; docs/architecture.md explains it.
ALLOWED = {
    "base": [],
    "security": ["base"],
    "http": ["base"],
    "braze": ["base", "http"],
    "validation": ["base", "braze"],
    "config": ["base", "security", "braze", "validation"],
    "delivery": ["base", "security", "http", "braze", "config"],
    "durability": ["base", "security", "http", "braze", "config", "delivery"],
    # Cluster mode's stores: implementations of durability's and delivery's
    # contracts on PostgreSQL.
    "postgres": ["base", "security", "http", "braze", "config", "delivery", "durability"],
    "ops": ["base", "security", "http", "braze", "config", "delivery"],
    "track": ["base", "security", "http", "braze", "validation", "config", "delivery",
              "durability"],
    # Contextual lookups (BrazeLookup): cache, export governor, packing.
    "lookup": ["base", "security", "http", "braze", "validation", "config", "delivery",
               "durability", "ops"],
    # Identity, triggers and subscriptions (BrazeIdentity, BrazeMessaging,
    # BrazeSubscriptions): over Track's validator and converter and the
    # lookup cache they keep coherent.
    "actions": ["base", "security", "http", "braze", "validation", "config", "delivery",
                "durability", "ops", "track", "lookup"],
    "rpc": ["base", "security", "http", "braze", "validation", "config", "delivery",
            "durability", "ops", "track", "lookup", "actions"],
    # The Connect protocol's unary calls over HTTP: calls the gRPC services
    # through the server's in-process channel, so it includes none of them.
    "connect": ["base"],
    "": None,  # server/ itself: the assembly may include everything
}
GRPC_ALLOWED = {"rpc", "connect", ""}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    server = os.path.join(root, "server")
    problems = []
    for directory, _, files in os.walk(server):
        folder = os.path.relpath(directory, server)
        folder = "" if folder == "." else folder
        sources = [f for f in files if f.endswith((".h", ".cc"))]
        if sources and folder not in ALLOWED:
            problems.append("server/%s: folder missing from tests/architecture/check_layers.py"
                            % folder)
            continue
        for name in sorted(sources):
            path = os.path.join(directory, name)
            shown = os.path.relpath(path, root)
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = match.group(1)
                if target.startswith("grpcpp/") and folder not in GRPC_ALLOWED:
                    problems.append("%s:%d: includes %s; only rpc/, connect/ and the assembly speak gRPC"
                                    % (shown, number, target))
                if not target.startswith("server/"):
                    continue
                parts = target.split("/")
                to = "/".join(parts[1:-1])
                allowed = ALLOWED.get(folder)
                if allowed is None or to == folder or to in allowed:
                    continue
                problems.append("%s:%d: server/%s may not include %s (allowed: %s)"
                                % (shown, number, folder, target, ", ".join(allowed) or "nothing"))
    for problem in problems:
        print(problem)
    if not problems:
        print("layers: every include in server/ points down")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
