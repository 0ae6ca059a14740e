"""Protobuf scalar field types by their .proto names, shared by two tools.

grpc_reflect.py (next to this file, `describe`) and scripts/gen_api_reference.py
(docs/api-reference.md) both render FieldDescriptorProto types as .proto text.
grpc_reflect.py imports this as a sibling module (a script's own directory is
on sys.path); gen_api_reference.py imports it by path. Needs only
python3-protobuf, so the docs generator does not depend on grpcio.
"""

from google.protobuf import descriptor_pb2

FDP = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    FDP.TYPE_DOUBLE: "double", FDP.TYPE_FLOAT: "float", FDP.TYPE_INT64: "int64",
    FDP.TYPE_UINT64: "uint64", FDP.TYPE_INT32: "int32", FDP.TYPE_FIXED64: "fixed64",
    FDP.TYPE_FIXED32: "fixed32", FDP.TYPE_BOOL: "bool", FDP.TYPE_STRING: "string",
    FDP.TYPE_BYTES: "bytes", FDP.TYPE_UINT32: "uint32", FDP.TYPE_SFIXED32: "sfixed32",
    FDP.TYPE_SFIXED64: "sfixed64", FDP.TYPE_SINT32: "sint32", FDP.TYPE_SINT64: "sint64",
}
