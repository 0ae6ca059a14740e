"""cc_grpc_gen: C++ protobuf/gRPC code generation with Debian's protoc.

Bazel 4.2.3 cannot fetch @com_github_grpc_grpc offline, so native
cc_grpc_library is unavailable; this genrule calls /usr/bin/protoc and
/usr/bin/grpc_cpp_plugin directly (the same binaries the CMake build uses).

The import root is the directory that holds the sources: the calling package
for local files (protos/ -> "brazesync/v1/brazesync.pb.h", as in CMake) or the
root of an external repository for labels like
"@grpc_proto//:grpc/health/v1/health.proto". Outputs land in the calling
package at the proto's import path, so a cc_library with includes = ["."] in
that package exposes them under the same #include strings CMake uses.
"""

PROTOC = "/usr/bin/protoc"
GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def _import_root_and_path(src):
    """Returns (proto_path, import path) for a source label or file name."""
    if src.startswith("@"):
        repo = src[1:].split("//")[0]
        return "external/" + repo, src.split(":")[-1]
    if ":" in src or src.startswith("//"):
        fail("cc_grpc_gen: local sources must be plain file names in this package: " + src)
    pkg = native.package_name()
    return (pkg if pkg else "."), src

def cc_grpc_gen(name, srcs, grpc = False, imports = [], **kwargs):
    """Generates <base>.pb.{h,cc} (and <base>.grpc.pb.{h,cc} if grpc) per source.

    Args:
      name: genrule name; use it in both srcs and hdrs of a cc_library.
      srcs: .proto files to generate, all under one import root.
      grpc: also run grpc_cpp_plugin (services).
      imports: other .proto files under the same root that srcs import
        (made available to protoc, not generated here).
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    roots = []
    rels = []
    for src in srcs:
        root, rel = _import_root_and_path(src)
        if root not in roots:
            roots.append(root)
        rels.append(rel)
    if len(roots) != 1:
        fail("cc_grpc_gen: all srcs must share one import root, got %s" % roots)
    root = roots[0]

    exts = [".pb.h", ".pb.cc"]
    if grpc:
        exts += [".grpc.pb.h", ".grpc.pb.cc"]
    outs = []
    for rel in rels:
        base = rel[:-len(".proto")]
        outs += [base + ext for ext in exts]

    cmd = "%s --proto_path=%s --cpp_out=$(RULEDIR)" % (PROTOC, root)
    if grpc:
        cmd += " --grpc_out=$(RULEDIR) --plugin=protoc-gen-grpc=%s" % GRPC_CPP_PLUGIN
    cmd += " " + " ".join(["%s/%s" % (root, rel) for rel in rels])

    native.genrule(
        name = name,
        srcs = srcs + imports,
        outs = outs,
        cmd = cmd,
        message = "protoc %s" % " ".join(rels),
        **kwargs
    )
