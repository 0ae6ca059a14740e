#!/usr/bin/python3
"""Generates docs/api-reference.md from the comments in protos/brazesync/v1.

The protos are the single source of the API's documentation: services, rpcs
(with their error contracts), messages (fields with type, number and comment)
and enums (values with number and comment) are read from a descriptor set that
Debian's protoc writes with --include_source_info, and rendered as Markdown.
The ctest Api.ReferenceUpToDate fails when the committed reference differs
from what this script writes, so after editing a proto comment run:

    /usr/bin/python3 scripts/gen_api_reference.py

Usage: gen_api_reference.py [--out FILE] [--protoc PROTOC] [--protos DIR]
(defaults: docs/api-reference.md, protoc on PATH, protos/ of this repository).
Run with /usr/bin/python3 (Debian's python3-protobuf).
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = "brazesync/v1"

# The scalar type names are shared with client/python/tools/grpc_reflect.py.
# They live next to it, since client/python is self-contained and must not
# reach into scripts/; this script imports them from there by path.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "client", "python", "tools"))
from proto_scalars import FDP, SCALARS  # noqa: E402

# Field numbers in descriptor.proto, for SourceCodeInfo paths.
FILE_SYNTAX, FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 12, 4, 5, 6
MSG_FIELD, MSG_NESTED, MSG_ENUM, MSG_ONEOF = 2, 3, 4, 8
ENUM_VALUE = 2
SERVICE_METHOD = 2


def build_descriptor_set(protoc, protos_dir):
    files = sorted(os.path.relpath(p, protos_dir)
                   for p in glob.glob(os.path.join(protos_dir, PACKAGE_DIR, "*.proto")))
    if not files:
        sys.exit(f"no protos under {os.path.join(protos_dir, PACKAGE_DIR)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "api.desc")
        subprocess.run([protoc, "--include_source_info", f"--descriptor_set_out={out}",
                        "-I", protos_dir] + files, check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    return fds


class Comments:
    """Leading and trailing comments of one file, by SourceCodeInfo path."""

    def __init__(self, file_proto):
        self.by_path = {}
        for loc in file_proto.source_code_info.location:
            self.by_path[tuple(loc.path)] = loc

    def lines(self, path):
        loc = self.by_path.get(tuple(path))
        if loc is None:
            return []
        out = []
        for text in (loc.leading_comments, loc.trailing_comments):
            body = [l[1:] if l.startswith(" ") else l for l in text.rstrip("\n").split("\n")]
            while body and not body[-1].strip():
                body.pop()
            if body and any(l.strip() for l in body):
                if out:
                    out.append("")
                out.extend(l.rstrip() for l in body)
        return out

    def block(self, path):
        """A comment as Markdown paragraphs (lists and code spans kept)."""
        out, in_list = [], False
        for line in self.lines(path):
            if line.startswith("- "):
                in_list = True
            elif in_list and line and not line.startswith(" "):
                out.append("")  # a list ends here; don't fold the line into it
                in_list = False
            elif not line:
                in_list = False
            out.append(line)
        return "\n".join(out)

    def cell(self, path):
        """A comment on one line, for a table cell."""
        paras, cur = [], []
        for line in self.lines(path):
            if line.strip():
                cur.append(line.strip())
            elif cur:
                paras.append(" ".join(cur))
                cur = []
        if cur:
            paras.append(" ".join(cur))
        return "<br><br>".join(paras).replace("|", "\\|")


class Renderer:
    def __init__(self, fds):
        self.files = [f for f in fds.file if f.name.startswith(PACKAGE_DIR + "/")]
        # Every message and enum defined in the documented files, by full name,
        # so types link to their section; map entries render as map<K, V>.
        self.local = set()
        self.map_entries = {}
        for f in self.files:
            for m, full in self._walk_messages(f.package, f.message_type):
                if m.options.map_entry:
                    self.map_entries[full] = m
                else:
                    self.local.add(full)
                for e in m.enum_type:
                    self.local.add(f"{full}.{e.name}")
            for e in f.enum_type:
                self.local.add(f"{f.package}.{e.name}")
        self.out = []

    @staticmethod
    def _walk_messages(prefix, messages):
        for m in messages:
            full = f"{prefix}.{m.name}"
            yield m, full
            yield from Renderer._walk_messages(full, m.nested_type)

    def emit(self, *lines):
        self.out.extend(lines)

    def type_ref(self, type_name):
        name = type_name.lstrip(".")
        if name in self.local:
            short = name[len(self.files[0].package) + 1:] if name.startswith(
                self.files[0].package + ".") else name
            return f"[`{short}`](#{name})"
        return f"`{name}`"

    def field_type(self, field):
        if field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM, FDP.TYPE_GROUP):
            entry = self.map_entries.get(field.type_name.lstrip("."))
            if entry is not None:
                key, value = entry.field[0], entry.field[1]
                return f"map<{self.field_type(key)}, {self.field_type(value)}>"
            base = self.type_ref(field.type_name)
        else:
            base = f"`{SCALARS[field.type]}`"
        if field.label == FDP.LABEL_REPEATED:
            return f"repeated {base}"
        if field.proto3_optional:
            return f"optional {base}"
        return base

    def render(self):
        pkg = self.files[0].package if self.files else ""
        self.emit("# BrazeSync API reference", "",
                  "<!-- Generated by scripts/gen_api_reference.py from the comments in "
                  f"protos/{PACKAGE_DIR}/*.proto. Do not edit by hand: edit the proto "
                  "comments and run `/usr/bin/python3 scripts/gen_api_reference.py`. "
                  "ctest Api.ReferenceUpToDate checks that this file is current. -->", "",
                  f"Package `{pkg}`. Every rpc is served over gRPC (HTTP/2) with server "
                  "reflection and `grpc.health.v1.Health`; JSON field names in "
                  "`buf curl` / proto3 JSON are the lowerCamelCase forms of the field "
                  "names below (both spellings are accepted on input).", "")
        files = sorted(self.files, key=lambda f: (not f.service,
                                                  not f.name.endswith("/brazesync.proto"),
                                                  f.name))
        self.emit("## Contents", "")
        for f in files:
            self.emit(f"- [`{f.name}`](#{f.name})")
            for s in f.service:
                self.emit(f"  - service [`{s.name}`](#{f.package}.{s.name})")
            for m in f.message_type:
                self.emit(f"  - message [`{m.name}`](#{f.package}.{m.name})")
            for e in f.enum_type:
                self.emit(f"  - enum [`{e.name}`](#{f.package}.{e.name})")
        self.emit("")
        for f in files:
            self.render_file(f)
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out) + "\n"

    def render_file(self, f):
        c = Comments(f)
        self.emit(f'<a id="{f.name}"></a>', "", f"## {f.name}", "")
        doc = c.block([FILE_SYNTAX])
        if doc:
            self.emit(doc, "")
        for i, s in enumerate(f.service):
            self.render_service(f, c, s, [FILE_SERVICE, i])
        for i, m in enumerate(f.message_type):
            self.render_message(c, m, f"{f.package}.{m.name}", [FILE_MESSAGE, i])
        for i, e in enumerate(f.enum_type):
            self.render_enum(c, e, f"{f.package}.{e.name}", [FILE_ENUM, i])

    def render_service(self, f, c, s, path):
        full = f"{f.package}.{s.name}"
        self.emit(f'<a id="{full}"></a>', "", f"### service {s.name}", "")
        doc = c.block(path)
        if doc:
            self.emit(doc, "")
        for i, m in enumerate(s.method):
            req = ("stream " if m.client_streaming else "") + self.type_ref(m.input_type)
            resp = ("stream " if m.server_streaming else "") + self.type_ref(m.output_type)
            self.emit(f'<a id="{full}.{m.name}"></a>', "", f"#### rpc {s.name}.{m.name}", "",
                      f"`/{full}/{m.name}` — {req} → {resp}", "")
            doc = c.block(path + [SERVICE_METHOD, i])
            if doc:
                self.emit(doc, "")
            if m.options.deprecated:
                self.emit("**Deprecated.**", "")

    def render_message(self, c, m, full, path):
        if m.options.map_entry:
            return
        self.emit(f'<a id="{full}"></a>', "", f"### message {full.split('.', 2)[-1]}", "")
        doc = c.block(path)
        if doc:
            self.emit(doc, "")
        if m.options.deprecated:
            self.emit("**Deprecated.**", "")
        if m.field:
            self.emit("| Field | Type | Number | Description |", "|---|---|---|---|")
            for i, fd in enumerate(m.field):
                notes = []
                if fd.HasField("oneof_index") and not fd.proto3_optional:
                    notes.append(f"*oneof `{m.oneof_decl[fd.oneof_index].name}`.*")
                if fd.options.deprecated:
                    notes.append("**Deprecated.**")
                text = c.cell(path + [MSG_FIELD, i])
                if text:
                    notes.append(text)
                self.emit(f"| `{fd.name}` | {self.field_type(fd)} | {fd.number} | "
                          f"{' '.join(notes)} |")
            self.emit("")
        else:
            self.emit("No fields.", "")
        for i, nested in enumerate(m.nested_type):
            self.render_message(c, nested, f"{full}.{nested.name}", path + [MSG_NESTED, i])
        for i, e in enumerate(m.enum_type):
            self.render_enum(c, e, f"{full}.{e.name}", path + [MSG_ENUM, i])

    def render_enum(self, c, e, full, path):
        self.emit(f'<a id="{full}"></a>', "", f"### enum {full.split('.', 2)[-1]}", "")
        doc = c.block(path)
        if doc:
            self.emit(doc, "")
        self.emit("| Value | Number | Description |", "|---|---|---|")
        for i, v in enumerate(e.value):
            text = c.cell(path + [ENUM_VALUE, i])
            if v.options.deprecated:
                text = ("**Deprecated.** " + text).strip()
            self.emit(f"| `{v.name}` | {v.number} | {text} |")
        self.emit("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "api-reference.md"))
    ap.add_argument("--protoc", default="protoc")
    ap.add_argument("--protos", default=os.path.join(ROOT, "protos"))
    args = ap.parse_args()
    text = Renderer(build_descriptor_set(args.protoc, args.protos)).render()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
