// The size of the compact JSON text the converter writes, computed without
// building it. Braze's size caps (kMaxNestedJsonBytes,
// kMaxPurchasePropertiesJsonBytes in braze/limits.h) are on that text, so the
// validator measures exactly what will be sent: not the proto wire size (which
// is smaller for numbers) and not an upper bound (which would reject values
// Braze accepts).
//
// Contract: for every value v, JsonSize(v) == ValueToJson(v).dump().size()
// (StructToJson for a Struct, a JSON array of the distinct strings for a
// StringList),
// json_size_test checks it over many values. Numbers follow the converter's
// NumberToJson; strings are counted as nlohmann escapes them (UTF-8 kept,
// control characters escaped), and must be valid UTF-8, as proto3 strings are.
#ifndef BRAZESYNC_SERVER_BRAZE_JSON_SIZE_H_
#define BRAZESYNC_SERVER_BRAZE_JSON_SIZE_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"
#include "google/protobuf/struct.pb.h"

namespace brazesync {

// A JSON string literal, quotes included.
size_t JsonStringSize(absl::string_view text);
size_t JsonNumberSize(double number);

size_t JsonSize(const google::protobuf::Value& value);
size_t JsonSize(const google::protobuf::Struct& object);
size_t JsonSize(const google::protobuf::ListValue& list);
// An array attribute's values as the converter sends them: a JSON array of
// the distinct strings (duplicates are sent once).
size_t JsonSize(const v1::StringList& list);

// An upper bound on the Braze JSON of an item (profile, event or purchase)
// whose protobuf encoding is `proto_bytes` long. The densest case found is an
// empty repeated message the converter writes with all its keys (a
// subscription group: 2 protobuf bytes, 55 JSON bytes); the bound allows 64
// JSON bytes per protobuf byte plus the standard fields' keys, so the
// validator converts only items that might not fit in one request.
// validator_converter_fuzzer checks it on every valid item.
size_t MaxItemJsonBytesForProtoBytes(size_t proto_bytes);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_JSON_SIZE_H_
