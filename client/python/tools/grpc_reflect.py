#!/usr/bin/python3
"""grpcurl-style debugging of a gRPC server through server reflection.

`buf curl` lists and calls but cannot describe; this tool fills that gap and
needs nothing but Debian packages (python3-grpcio, python3-protobuf,
protobuf-compiler, protobuf-compiler-grpc, grpc-proto):

  grpc_reflect.py [--addr HOST:PORT] list                    # services
  grpc_reflect.py [--addr HOST:PORT] list SERVICE            # its methods
  grpc_reflect.py [--addr HOST:PORT] describe [SYMBOL]       # proto-like text
  grpc_reflect.py [--addr HOST:PORT] call SERVICE/METHOD -d JSON

SYMBOL is a fully-qualified service, method (`pkg.Service.Method` or
`pkg.Service/Method`), message, enum, field or enum value; without one every
service is described. `call` sends proto3 JSON (`-d @file` reads a file,
`-d @-` stdin; a JSON array sends one request per element on client-streaming
methods) and prints each response as JSON; a failed call prints the status
(and its google.rpc.Status details when the server's schema has them) and
exits 1.

Reflection is BrazeSync's `grpc.reflection.v1alpha` (gRPC C++ 1.51 serves
only v1alpha). Its Python stubs are not packaged by Debian, so they are
generated at run time from /usr/share/grpc-proto into a temporary directory
with protoc and /usr/bin/grpc_python_plugin, under the flat name
`reflection_v1alpha` (a generated `grpc/` package would be shadowed by
grpcio). Run with /usr/bin/python3. The scalar type names come from
proto_scalars.py in this directory (shared with scripts/gen_api_reference.py):
keep the two files together.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format

sys.dont_write_bytecode = True  # no __pycache__ next to the tool in the source tree
from proto_scalars import FDP, SCALARS  # noqa: E402 (this script's directory)

REFLECTION_PROTO = "/usr/share/grpc-proto/grpc/reflection/v1alpha/reflection.proto"


class ToolError(Exception):
    pass


def load_reflection_stubs(tmp):
    """Generates and imports the v1alpha reflection stubs; returns (pb2, pb2_grpc)."""
    protoc = os.environ.get("PROTOC") or shutil.which("protoc") or "/usr/bin/protoc"
    plugin = os.environ.get("GRPC_PYTHON_PLUGIN", "/usr/bin/grpc_python_plugin")
    src = os.environ.get("REFLECTION_PROTO", REFLECTION_PROTO)
    for path in (src, plugin):
        if not os.path.exists(path):
            raise ToolError(f"{path} is missing (apt-get install grpc-proto protobuf-compiler-grpc)")
    shutil.copyfile(src, os.path.join(tmp, "reflection_v1alpha.proto"))
    subprocess.run([protoc, f"-I{tmp}", f"--python_out={tmp}", f"--grpc_out={tmp}",
                    f"--plugin=protoc-gen-grpc={plugin}", "reflection_v1alpha.proto"],
                   check=True, cwd=tmp)
    sys.path.insert(0, tmp)
    import reflection_v1alpha_pb2  # noqa: E402 (generated above)
    import reflection_v1alpha_pb2_grpc  # noqa: E402
    return reflection_v1alpha_pb2, reflection_v1alpha_pb2_grpc


class Reflection:
    """A reflection client that caches the FileDescriptorProtos it fetched."""

    def __init__(self, channel, pb2, pb2_grpc, metadata, timeout):
        self.pb2 = pb2
        self.stub = pb2_grpc.ServerReflectionStub(channel)
        self.metadata = metadata
        self.timeout = timeout
        self.files = {}  # name -> FileDescriptorProto

    def _ask(self, **kwargs):
        req = self.pb2.ServerReflectionRequest(**kwargs)
        try:
            responses = list(self.stub.ServerReflectionInfo(
                iter([req]), metadata=self.metadata, timeout=self.timeout))
        except grpc.RpcError as e:
            raise ToolError(f"reflection failed: {e.code().name}: {e.details()}") from None
        if not responses:
            raise ToolError("reflection: empty answer")
        resp = responses[0]
        if resp.HasField("error_response"):
            raise ToolError(f"reflection: {resp.error_response.error_message} "
                            f"(code {resp.error_response.error_code})")
        return resp

    def services(self):
        return sorted(s.name for s in self._ask(list_services="").list_services_response.service)

    def _add(self, resp):
        added = []
        for raw in resp.file_descriptor_response.file_descriptor_proto:
            fd = descriptor_pb2.FileDescriptorProto()
            fd.ParseFromString(raw)
            if fd.name not in self.files:
                self.files[fd.name] = fd
                added.append(fd)
        # Fetch missing dependencies so every type can be resolved.
        for fd in added:
            for dep in fd.dependency:
                if dep not in self.files:
                    self._add(self._ask(file_by_filename=dep))

    def load_symbol(self, symbol):
        """Fetches the file defining SYMBOL (or its closest enclosing symbol)."""
        name = symbol
        while True:
            try:
                self._add(self._ask(file_containing_symbol=name))
                return
            except ToolError:
                if "." not in name:
                    raise ToolError(f"symbol not found: {symbol}") from None
                name = name.rsplit(".", 1)[0]

    def index(self):
        """Every symbol in the fetched files: full name -> (kind, proto, file)."""
        idx = {}

        def walk_msg(prefix, m, fd):
            full = f"{prefix}.{m.name}" if prefix else m.name
            idx[full] = ("message", m, fd)
            for f in m.field:
                idx[f"{full}.{f.name}"] = ("field", f, fd)
            for n in m.nested_type:
                walk_msg(full, n, fd)
            for e in m.enum_type:
                walk_enum(full, e, fd)

        def walk_enum(prefix, e, fd):
            full = f"{prefix}.{e.name}" if prefix else e.name
            idx[full] = ("enum", e, fd)
            for v in e.value:  # enum values are siblings of their enum
                idx[f"{prefix}.{v.name}" if prefix else v.name] = ("enum value", v, fd)

        for fd in self.files.values():
            for m in fd.message_type:
                walk_msg(fd.package, m, fd)
            for e in fd.enum_type:
                walk_enum(fd.package, e, fd)
            for s in fd.service:
                full = f"{fd.package}.{s.name}" if fd.package else s.name
                idx[full] = ("service", s, fd)
                for m in s.method:
                    idx[f"{full}.{m.name}"] = ("method", m, fd)
        return idx

    def pool(self):
        pool = descriptor_pool.DescriptorPool()
        done = set()

        def add(name):
            if name in done:
                return
            done.add(name)
            fd = self.files[name]
            for dep in fd.dependency:
                add(dep)
            pool.Add(fd)

        for name in sorted(self.files):
            add(name)
        return pool


# --- proto-like text -------------------------------------------------------

def field_text(f, msg=None):
    if f.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM, FDP.TYPE_GROUP):
        entry = None
        if msg is not None and f.label == FDP.LABEL_REPEATED:
            short = f.type_name.rsplit(".", 1)[-1]
            entry = next((n for n in msg.nested_type
                          if n.name == short and n.options.map_entry), None)
        if entry is not None:
            k, v = entry.field[0], entry.field[1]
            typ, label = f"map<{field_text_type(k)}, {field_text_type(v)}>", ""
        else:
            typ, label = f.type_name, ""
    else:
        typ, label = SCALARS[f.type], ""
    if f.label == FDP.LABEL_REPEATED and not typ.startswith("map<"):
        label = "repeated "
    elif f.proto3_optional:
        label = "optional "
    elif f.label == FDP.LABEL_REQUIRED:
        label = "required "
    opts = []
    if f.options.deprecated:
        opts.append("deprecated = true")
    if f.HasField("json_name") and f.json_name != camel(f.name):
        opts.append(f'json_name = "{f.json_name}"')
    suffix = f" [{', '.join(opts)}]" if opts else ""
    return f"{label}{typ} {f.name} = {f.number}{suffix};"


def field_text_type(f):
    return f.type_name if f.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM) else SCALARS[f.type]


def camel(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def method_text(m):
    req = ("stream " if m.client_streaming else "") + m.input_type
    resp = ("stream " if m.server_streaming else "") + m.output_type
    return f"rpc {m.name} ( {req} ) returns ( {resp} );"


def message_lines(m, indent=""):
    out = [f"{indent}message {m.name} {{"]
    inner = indent + "  "
    emitted_oneofs = set()
    for f in m.field:
        if f.HasField("oneof_index") and not f.proto3_optional:
            oi = f.oneof_index
            if oi in emitted_oneofs:
                continue
            emitted_oneofs.add(oi)
            out.append(f"{inner}oneof {m.oneof_decl[oi].name} {{")
            for g in m.field:
                if g.HasField("oneof_index") and g.oneof_index == oi and not g.proto3_optional:
                    out.append(f"{inner}  {field_text(g, m)}")
            out.append(f"{inner}}}")
        else:
            out.append(f"{inner}{field_text(f, m)}")
    for n in m.nested_type:
        if not n.options.map_entry:
            out.extend(message_lines(n, inner))
    for e in m.enum_type:
        out.extend(enum_lines(e, inner))
    for r in m.reserved_range:
        end = r.end - 1
        out.append(f"{inner}reserved {r.start}{'' if end == r.start else f' to {end}'};")
    if m.reserved_name:
        out.append(f"{inner}reserved {', '.join(json.dumps(n) for n in m.reserved_name)};")
    out.append(f"{indent}}}")
    return out


def enum_lines(e, indent=""):
    out = [f"{indent}enum {e.name} {{"]
    for v in e.value:
        dep = " [deprecated = true]" if v.options.deprecated else ""
        out.append(f"{indent}  {v.name} = {v.number}{dep};")
    out.append(f"{indent}}}")
    return out


def service_lines(s):
    return [f"service {s.name} {{"] + [f"  {method_text(m)}" for m in s.method] + ["}"]


def describe(refl, symbol):
    symbol = symbol.lstrip(".").replace("/", ".")
    refl.load_symbol(symbol)
    idx = refl.index()
    if symbol not in idx:
        raise ToolError(f"symbol not found: {symbol}")
    kind, proto, fd = idx[symbol]
    text = {
        "service": lambda: service_lines(proto),
        "method": lambda: [method_text(proto)],
        "message": lambda: message_lines(proto),
        "enum": lambda: enum_lines(proto),
        "field": lambda: [field_text(proto, idx[symbol.rsplit(".", 1)[0]][1])],
        "enum value": lambda: [f"{proto.name} = {proto.number};"],
    }[kind]()
    article = "an" if kind[0] in "aeiou" else "a"
    return [f"{symbol} is {article} {kind} (in {fd.name}):"] + text


# --- calls -----------------------------------------------------------------

def message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    try:
        from google.protobuf import message_factory
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(pool).GetPrototype(desc)
    except ImportError:  # pragma: no cover
        raise


def read_data(data):
    if data is None:
        return "{}"
    if data == "@-":
        return sys.stdin.read()
    if data.startswith("@"):
        with open(data[1:], encoding="utf-8") as f:
            return f.read()
    return data


def to_json(refl, msg):
    """MessageToDict that fetches the schema of google.protobuf.Any payloads
    (e.g. google.rpc.BadRequest in TrackResult.error) through reflection."""
    for _ in range(20):
        try:
            return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                             descriptor_pool=refl.pool())
        except TypeError as e:
            marker = "type_url: "
            if marker not in str(e):
                raise
            type_name = str(e).split(marker, 1)[1].strip().rsplit("/", 1)[-1]
            refl.load_symbol(type_name)  # ToolError when the server lacks it
    raise ToolError("too many unresolved google.protobuf.Any types")


def print_status_details(refl, err):
    raw = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not raw:
        return
    if isinstance(raw, str):
        raw = base64.b64decode(raw + "=" * (-len(raw) % 4))
    try:
        refl.load_symbol("google.rpc.Status")
        status_cls = message_class(refl.pool(), "google.rpc.Status")
    except (ToolError, KeyError):
        print(f"details: {len(raw)} bytes of google.rpc.Status (schema not served)",
              file=sys.stderr)
        return
    status = status_cls.FromString(raw)
    if status.details:
        print("details:", file=sys.stderr)
    for any_msg in status.details:
        type_name = any_msg.type_url.rsplit("/", 1)[-1]
        try:
            refl.load_symbol(type_name)
            detail = message_class(refl.pool(), type_name).FromString(any_msg.value)
            body = json_format.MessageToDict(detail, preserving_proto_field_name=True)
            print(json.dumps({"@type": any_msg.type_url, **body}, indent=2), file=sys.stderr)
        except (ToolError, KeyError):
            print(json.dumps({"@type": any_msg.type_url}), file=sys.stderr)


def call(refl, channel, target, data, metadata, timeout):
    svc, _, meth = target.lstrip("/").replace("/", ".").rpartition(".")
    if not svc:
        raise ToolError("call needs SERVICE/METHOD, e.g. brazesync.v1.BrazeSync/Track")
    refl.load_symbol(svc)
    idx = refl.index()
    if svc not in idx or idx[svc][0] != "service":
        raise ToolError(f"no service {svc}")
    method = next((m for m in idx[svc][1].method if m.name == meth), None)
    if method is None:
        raise ToolError(f"service {svc} has no method {meth}")
    pool = refl.pool()
    req_cls = message_class(pool, method.input_type.lstrip("."))
    resp_cls = message_class(pool, method.output_type.lstrip("."))
    payload = json.loads(read_data(data))
    items = payload if (method.client_streaming and isinstance(payload, list)) else [payload]
    requests = [json_format.ParseDict(i, req_cls()) for i in items]
    path = f"/{svc}/{meth}"
    kind = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
            (True, False): channel.stream_unary, (True, True): channel.stream_stream}[
                (method.client_streaming, method.server_streaming)]
    rpc = kind(path, request_serializer=lambda m: m.SerializeToString(),
               response_deserializer=resp_cls.FromString)
    arg = iter(requests) if method.client_streaming else requests[0]
    try:
        result = rpc(arg, metadata=metadata, timeout=timeout)
        responses = result if method.server_streaming else [result]
        for r in responses:
            print(json.dumps(to_json(refl, r), indent=2))
    except grpc.RpcError as e:
        print(f"ERROR: {e.code().name}: {e.details()}", file=sys.stderr)
        print_status_details(refl, e)
        return 1
    return 0


def make_channel(args):
    if not (args.tls or args.cacert or args.cert):
        return grpc.insecure_channel(args.addr)

    def read(path):
        if not path:
            return None
        with open(path, "rb") as f:
            return f.read()
    creds = grpc.ssl_channel_credentials(read(args.cacert), read(args.key), read(args.cert))
    options = [("grpc.ssl_target_name_override", args.authority)] if args.authority else []
    return grpc.secure_channel(args.addr, creds, options=options)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="grpcurl-style list/describe/call through gRPC server reflection (v1alpha).")
    ap.add_argument("--addr", default="127.0.0.1:50051", help="server host:port")
    ap.add_argument("--tls", action="store_true", help="use TLS (system roots unless --cacert)")
    ap.add_argument("--cacert", help="PEM CA bundle for the server certificate (implies --tls)")
    ap.add_argument("--cert", help="PEM client certificate for mTLS (with --key)")
    ap.add_argument("--key", help="PEM client key for mTLS")
    ap.add_argument("--authority", help="TLS server name to verify instead of the host")
    ap.add_argument("-H", "--header", action="append", default=[],
                    help="metadata 'name: value', e.g. 'authorization: Bearer TOKEN' (repeatable)")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-call deadline, seconds")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="list services, or the methods of SERVICE")
    p.add_argument("service", nargs="?")
    p = sub.add_parser("describe", help="print a symbol as proto-like text")
    p.add_argument("symbol", nargs="?")
    p = sub.add_parser("call", help="call SERVICE/METHOD with a JSON request")
    p.add_argument("method")
    p.add_argument("-d", "--data", help="JSON request; @FILE reads a file, @- stdin")
    args = ap.parse_args(argv)

    metadata = []
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep:
            ap.error(f"header {h!r} is not 'name: value'")
        metadata.append((name.strip().lower(), value.strip()))

    tmp = tempfile.mkdtemp(prefix="grpc_reflect_")
    try:
        pb2, pb2_grpc = load_reflection_stubs(tmp)
        with make_channel(args) as channel:
            refl = Reflection(channel, pb2, pb2_grpc, metadata, args.timeout)
            if args.cmd == "list":
                if args.service:
                    refl.load_symbol(args.service)
                    kind, svc, _ = refl.index().get(args.service, (None, None, None))
                    if kind != "service":
                        raise ToolError(f"no service {args.service}")
                    for m in svc.method:
                        print(f"{args.service}.{m.name}")
                else:
                    print("\n".join(refl.services()))
            elif args.cmd == "describe":
                symbols = [args.symbol] if args.symbol else refl.services()
                blocks = ["\n".join(describe(refl, s)) for s in symbols]
                print("\n\n".join(blocks))
            else:
                return call(refl, channel, args.method, args.data, metadata, args.timeout)
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
