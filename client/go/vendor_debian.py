#!/usr/bin/python3
"""Builds a module's vendor/ directory from Debian's Go packages, offline.

Debian ships grpc-go, protobuf-go, genproto and golang.org/x/* as source
under /usr/share/gocode/src (GOPATH layout, no module cache) and there is no
module proxy here. To build and test BrazeSync's Go module (or a module that
uses it) in module mode anyway, this script:

  1. reads MODULE_DIR/go.mod: its requirements and its local-path
     replacements (a consumer's `replace github.com/... => ../client-go`),
     plus the requirements of each replacement's own go.mod. Those a go 1.17+
     go.mod must list and does not yet are appended to it as `// indirect`,
     as `go mod tidy` (or `go get`) does online;
  2. lists every non-standard package the module's packages and tests import,
     transitively (`go list -deps -test` in GOPATH mode, with the module and
     its replacements placed in a temporary GOPATH);
  3. copies those packages (their files, minus tests) into MODULE_DIR/vendor,
     each from /usr/share/gocode/src or from its replacement's directory;
  4. writes vendor/modules.txt as `go mod vendor` would: one `# path version`
     header per module, `## explicit; go X` for each requirement of go.mod
     (go 1.17+ checks these markers against go.mod), the packages, and the
     replacement lines.

Then `GOFLAGS=-mod=vendor GOPROXY=off go vet ./... && go test ./...` builds
in module mode without a network. The vendored code is Debian's: where
go.mod names a newer version than Debian ships (see docs/clients/go.md),
the header says go.mod's version, because that is what the consistency
check compares.

Never run it on a checkout: vendor/ is not committed. Run it on a copy.
Usage: vendor_debian.py MODULE_DIR [GOCODE_SRC (default /usr/share/gocode/src)]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def parse_go_mod(path):
    """Returns (module path, go version, {path: (version, indirect)}, {old: new_dir})."""
    text = open(path, encoding="utf-8").read()
    module = re.search(r"^module\s+(\S+)", text, re.M).group(1)
    go_match = re.search(r"^go\s+(\S+)", text, re.M)
    requires, replaces = {}, {}

    def directive_lines(keyword):
        for block in re.findall(r"^%s\s*\((.*?)^\)" % keyword, text, re.M | re.S):
            yield from block.splitlines()
        yield from re.findall(r"^%s\s+([^(\s].*)$" % keyword, text, re.M)

    for line in directive_lines("require"):
        fields = line.split("//")[0].split()
        if len(fields) == 2:
            requires[fields[0]] = (fields[1], "// indirect" in line)
    for line in directive_lines("replace"):
        left, _, right = line.split("//")[0].partition("=>")
        old, new = left.split(), right.split()
        if not old or not new:
            continue
        if len(new) != 1 or not new[0].startswith((".", "/")):
            sys.exit(f"vendor_debian.py: {path}: only local-path replacements are supported: {line.strip()}")
        replaces[old[0]] = new[0]
    return module, go_match.group(1) if go_match else "", requires, replaces


def go_version_of(module_dir):
    """The `go` directive of module_dir/go.mod, or "" (no go.mod or none)."""
    try:
        return parse_go_mod(os.path.join(module_dir, "go.mod"))[1]
    except (OSError, AttributeError):
        return ""


def package_dirs(module_dir):
    """Relative directories under module_dir holding .go files (no vendor, testdata, _x, .x)."""
    out = []
    for root, dirs, files in os.walk(module_dir):
        dirs[:] = sorted(d for d in dirs if d not in ("vendor", "testdata") and d[0] not in "._")
        if any(f.endswith(".go") for f in files):
            out.append(os.path.relpath(root, module_dir))
    return out


def owner(package, modules):
    """The module (longest path prefix) that provides package, or None."""
    best = None
    for m in modules:
        if (package == m or package.startswith(m + "/")) and (best is None or len(m) > len(best)):
            best = m
    return best


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    module_dir = os.path.abspath(sys.argv[1])
    gocode = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else "/usr/share/gocode/src")
    main_path, _, requires, replaces = parse_go_mod(os.path.join(module_dir, "go.mod"))

    # module path -> (version, source directory, replacement as written or None)
    modules = {}
    for path, new in replaces.items():
        source = os.path.normpath(os.path.join(module_dir, new))
        version = requires.get(path, ("v0.0.0", False))[0]
        modules[path] = (version, source, new)
        for dep, (dep_version, _) in parse_go_mod(os.path.join(source, "go.mod"))[2].items():
            modules.setdefault(dep, (dep_version, os.path.join(gocode, dep), None))
    for path, (version, _) in requires.items():
        if path not in modules:
            modules[path] = (version, os.path.join(gocode, path), None)
    missing = sorted(p for p, (_, _, r) in modules.items() if p not in requires and not r)
    if missing:
        with open(os.path.join(module_dir, "go.mod"), "a", encoding="utf-8") as f:
            f.write("\nrequire (\n" + "".join(f"\t{p} {modules[p][0]} // indirect\n" for p in missing) + ")\n")
        for p in missing:
            requires[p] = (modules[p][0], True)
    for path, (_, source, _) in modules.items():
        if not os.path.isdir(source):
            sys.exit(f"vendor_debian.py: no source for module {path} at {source}")

    # A stale vendor/ would take part in GOPATH mode's own vendoring below.
    vendor = os.path.join(module_dir, "vendor")
    shutil.rmtree(vendor, ignore_errors=True)

    # The module and its replacements in a temporary GOPATH, for `go list`.
    with tempfile.TemporaryDirectory() as gopath:
        roots = [(main_path, module_dir)] + [(p, s) for p, (_, s, r) in modules.items() if r]
        for path, source in roots:
            link = os.path.join(gopath, "src", path)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(source, link)
        targets = [main_path if rel == "." else f"{main_path}/{rel}" for rel in package_dirs(module_dir)]
        env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOPROXY="off",
                   GOPATH=f"{gopath}:{os.path.dirname(gocode)}")
        listing = subprocess.run(
            ["go", "list", "-deps", "-test", "-f",
             "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}{{end}}"] + targets,
            env=env, cwd=gopath, check=True, capture_output=True, text=True).stdout

    packages = {}  # module path -> sorted package import paths
    for line in listing.splitlines():
        if not line.strip():
            continue
        import_path, _, _ = line.partition("\t")
        import_path = import_path.split(" ")[0]  # "p [p.test]" is p's test variant
        if import_path.endswith(".test") or owner(import_path, [main_path]):
            continue
        module = owner(import_path, modules)
        if module is None:
            sys.exit(f"vendor_debian.py: package {import_path} comes from no module of go.mod; add a require")
        packages.setdefault(module, set()).add(import_path)

    lines = []
    for module in sorted(modules):
        version, source, replacement = modules[module]
        if module not in packages and module not in requires:
            continue  # neither needed nor listed in go.mod
        lines.append(f"# {module} {version}" + (f" => {replacement}" if replacement else ""))
        if module in requires:
            go_version = go_version_of(source)
            lines.append("## explicit" + (f"; go {go_version}" if go_version else ""))
        for package in sorted(packages.get(module, ())):
            lines.append(package)
            src = os.path.join(source, os.path.relpath(package, module))
            dst = os.path.join(vendor, package)
            os.makedirs(dst, exist_ok=True)
            for name in sorted(os.listdir(src)):
                if os.path.isfile(os.path.join(src, name)) and not name.endswith("_test.go"):
                    shutil.copy(os.path.join(src, name), dst)
    for module in sorted(p for p, (_, _, r) in modules.items() if r):
        lines.append(f"# {module} => {modules[module][2]}")  # the wildcard replacement itself
    os.makedirs(vendor, exist_ok=True)
    with open(os.path.join(vendor, "modules.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    count = sum(len(p) for p in packages.values())
    print(f"vendor_debian.py: {count} packages of {len(packages)} modules in {vendor}")


if __name__ == "__main__":
    main()
