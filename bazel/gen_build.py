#!/usr/bin/python3
"""Generates every C++ package's BUILD.bazel from its CMakeLists.txt.

CMake is the one place where C++ targets, their sources and their
dependencies are written (the google-cloud-cpp technique: one build is the
source of truth, the other is generated from it). This script reads every
`brazesync_cc_library`, `brazesync_cc_test` and `brazesync_cc_binary` call in
the tree's CMakeLists.txt files and writes the same targets, with the same
names, sources and dependencies, to the BUILD.bazel beside it.

  bazel/gen_build.py           rewrite the BUILD.bazel files
  bazel/gen_build.py --check   exit 1 (and say which) if any is stale

A package that needs Bazel rules CMake has no helper for (sh_test, data)
keeps them below the line HAND_WRITTEN_MARKER in its BUILD.bazel; that tail
is carried over unchanged. Project targets defined outside the helpers (the
generated protos) are listed in EXTERNAL_PROJECT_TARGETS; system libraries
map to @system_libs (bazel/system_libs.bzl) through SYSTEM_LIBS. An unknown
dependency is an error, so the two builds cannot silently diverge.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAND_WRITTEN_MARKER = "# --- hand-written below this line: not generated ---"
HELPERS = ("brazesync_cc_library", "brazesync_cc_test", "brazesync_cc_binary")
KEYWORDS = ("SRCS", "HDRS", "DEPS")
FLAGS = ("JEMALLOC", "POSTGRES")  # CMake-only options of the helpers

# CMake imported target -> @system_libs target (one per pkg-config group).
SYSTEM_LIBS = {
    "gRPC::grpc++": "grpc",
    "protobuf::libprotobuf": "grpc",
    "gRPC::grpc++_reflection": "grpc_reflection",
    "absl::flags": "absl_flags",
    "absl::flags_parse": "absl_flags",
    "absl::flags_usage": "absl_flags",
    "CURL::libcurl": "curl",
    "PkgConfig::HTTPLIB": "httplib",
    "nlohmann_json::nlohmann_json": "nlohmann_json",
    "GTest::gmock": "gtest_main",
    "GTest::gtest": "gtest_main",
    "Threads::Threads": "threads",
    "SQLite::SQLite3": "sqlite3",
    "PostgreSQL::PostgreSQL": "libpq",
    "OpenSSL::SSL": "openssl",
    "OpenSSL::Crypto": "crypto",
    "spdlog::spdlog": "spdlog",
    "prometheus-cpp::pull": "prometheus",
    "prometheus-cpp::core": "prometheus",
    "PkgConfig::RE2": "re2",
    "PhoneNumber::PhoneNumber": "phonenumber",
}
# Every other absl:: target is in @system_libs//:absl.
ABSL_DEFAULT = "absl"

# Project targets not made by the helpers: name -> Bazel label.
EXTERNAL_PROJECT_TARGETS = {"brazesync_proto": "//protos:brazesync_proto"}

# Who may depend on generated libraries: the server's own packages, the
# tests, the clients' tools and the benchmark.
VISIBILITY = ["//:__subpackages__"]


class Target:
    def __init__(self, rule, name, srcs, hdrs, deps, package):
        self.rule, self.name, self.srcs, self.hdrs = rule, name, srcs, hdrs
        self.deps, self.package = deps, package


def strip_comments(text):
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def parse_calls(path, package):
    """The helper calls in one CMakeLists.txt, in order."""
    text = strip_comments(open(path, encoding="utf-8").read())
    targets = []
    for match in re.finditer(r"^\s*(%s)\(([^)]*)\)" % "|".join(HELPERS), text, re.M):
        rule, args = match.group(1), match.group(2).split()
        name, fields, key = args[0], {k: [] for k in KEYWORDS}, None
        for arg in args[1:]:
            if arg in KEYWORDS:
                key = arg
            elif arg in FLAGS:
                key = None
            elif key is None:
                sys.exit("%s: %s(%s): unexpected argument %s" % (path, rule, name, arg))
            else:
                fields[key].append(arg)
        targets.append(Target(rule, name, fields["SRCS"], fields["HDRS"], fields["DEPS"], package))
    return targets


def cmake_files():
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = sorted(d for d in subdirs
                            if not d.startswith((".", "build", "bazel-")) and d != "node_modules")
        if "CMakeLists.txt" in files and directory != ROOT:
            yield os.path.join(directory, "CMakeLists.txt"), os.path.relpath(directory, ROOT)


def bazel_label(dep, target, index, path):
    if dep in index:
        package = index[dep].package
        return ":" + dep if package == target.package else "//%s:%s" % (package, dep)
    if dep in EXTERNAL_PROJECT_TARGETS:
        return EXTERNAL_PROJECT_TARGETS[dep]
    if dep in SYSTEM_LIBS:
        return "@system_libs//:" + SYSTEM_LIBS[dep]
    if dep.startswith("absl::"):
        return "@system_libs//:" + ABSL_DEFAULT
    sys.exit("%s: %s depends on %s, which bazel/gen_build.py cannot map to Bazel" %
             (path, target.name, dep))


def headers_of(target):
    """Explicit HDRS plus the .h beside each .cc, when it exists."""
    hdrs = list(target.hdrs)
    for src in target.srcs:
        if src.endswith(".cc"):
            header = src[:-3] + ".h"
            if os.path.exists(os.path.join(ROOT, target.package, header)) and header not in hdrs:
                hdrs.append(header)
    return hdrs


def starlark_list(key, values):
    if not values:
        return []
    if len(values) == 1:
        return ["    %s = [\"%s\"]," % (key, values[0])]
    return ["    %s = [" % key] + ["        \"%s\"," % v for v in values] + ["    ],"]


def dep_sort_key(label):
    # Buildifier's order: local first, then other packages, then external.
    return (0 if label.startswith(":") else 1 if label.startswith("//") else 2, label)


def render(package, targets, index, path, tail):
    used = sorted({t.rule for t in targets})
    lines = [
        "# GENERATED by bazel/gen_build.py from %s/CMakeLists.txt: do not edit above the" % package,
        "# hand-written marker (if any). Change CMakeLists.txt and run bazel/gen_build.py.",
        "load(\"//bazel:brazesync.bzl\", %s)" % ", ".join("\"%s\"" % r for r in used),
        "",
        "package(default_visibility = [%s])" % ", ".join("\"%s\"" % v for v in VISIBILITY),
    ]
    for target in targets:
        deps = sorted({bazel_label(d, target, index, path) for d in target.deps}, key=dep_sort_key)
        lines += ["", "%s(" % target.rule, "    name = \"%s\"," % target.name]
        # Test helpers are test-only; the emulator (under tests/ too) also
        # backs the quick start's binary, so it is not.
        if target.rule == "brazesync_cc_library" and "test" in target.name:
            lines.append("    testonly = True,")
        lines += starlark_list("srcs", target.srcs)
        if target.rule == "brazesync_cc_library":
            lines += starlark_list("hdrs", headers_of(target))
        lines += starlark_list("deps", deps)
        lines.append(")")
    text = "\n".join(lines) + "\n"
    if tail is not None:
        text += "\n" + HAND_WRITTEN_MARKER + "\n" + tail
    return text


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.exit("usage: bazel/gen_build.py [--check]")
    packages, index = [], {}
    for path, package in cmake_files():
        targets = parse_calls(path, package)
        if not targets:
            continue
        for target in targets:
            if target.name in index:
                sys.exit("%s: target %s is also defined in %s" %
                         (path, target.name, index[target.name].package))
            index[target.name] = target
        packages.append((path, package, targets))
    stale = []
    for path, package, targets in packages:
        build = os.path.join(ROOT, package, "BUILD.bazel")
        old = open(build, encoding="utf-8").read() if os.path.exists(build) else None
        tail = None
        if old is not None and HAND_WRITTEN_MARKER in old:
            tail = old.split(HAND_WRITTEN_MARKER + "\n", 1)[1]
        new = render(package, targets, index, path, tail)
        if new == old:
            continue
        stale.append(os.path.relpath(build, ROOT))
        if not check:
            with open(build, "w", encoding="utf-8") as out:
                out.write(new)
    if check and stale:
        print("stale (run bazel/gen_build.py): " + " ".join(stale))
        return 1
    print("%s %d BUILD.bazel files (%d targets)" %
          ("checked" if check else "generated", len(packages), len(index)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
