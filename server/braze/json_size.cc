// The size of the converter's JSON text, without building it.
#include "server/braze/json_size.h"

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kNullSize = 4;  // null

size_t DecimalSize(int64_t number) {
  // Count in unsigned arithmetic: -INT64_MIN does not fit an int64_t.
  uint64_t magnitude = number < 0 ? 0 - static_cast<uint64_t>(number) : number;
  size_t size = number < 0 ? 2 : 1;  // sign and the last digit
  while (magnitude >= 10) {
    magnitude /= 10;
    ++size;
  }
  return size;
}

// `[...]` or `{...}` around `count` members: the brackets and the commas.
size_t ContainerOverhead(size_t count) { return 2 + (count == 0 ? 0 : count - 1); }

}  // namespace

size_t JsonStringSize(absl::string_view text) {
  size_t size = 2;  // quotes
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      size += 2;
    } else if (byte < 0x20) {
      size += 6;  // \u00XX
    } else {
      ++size;
    }
  }
  return size;
}

size_t JsonNumberSize(double number) {
  const Json json = NumberToJson(number);
  // Integers are counted; doubles are printed by nlohmann, whose shortest
  // round-trip form ("0.1", "1e+300") no printf format reproduces.
  if (json.is_number_integer()) return DecimalSize(json.get<int64_t>());
  return json.dump().size();
}

size_t JsonSize(const Struct& object) {
  size_t size = ContainerOverhead(object.fields().size());
  for (const auto& [key, value] : object.fields()) {
    size += JsonStringSize(key) + 1 + JsonSize(value);  // "key":value
  }
  return size;
}

size_t JsonSize(const ListValue& list) {
  size_t size = ContainerOverhead(list.values().size());
  for (const Value& element : list.values()) size += JsonSize(element);
  return size;
}

size_t JsonSize(const Value& value) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      return JsonNumberSize(value.number_value());
    case Value::kStringValue:
      return JsonStringSize(value.string_value());
    case Value::kBoolValue:
      return value.bool_value() ? 4 : 5;  // true, false
    case Value::kStructValue:
      return JsonSize(value.struct_value());
    case Value::kListValue:
      return JsonSize(value.list_value());
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      return kNullSize;
  }
  return kNullSize;
}

size_t JsonSize(const v1::StringList& list) {
  // Each distinct value once, as the converter sends it.
  absl::flat_hash_set<absl::string_view> seen;
  size_t size = 0;
  for (const std::string& element : list.values()) {
    if (seen.insert(element).second) size += JsonStringSize(element);
  }
  return size + ContainerOverhead(seen.size());
}

size_t MaxItemJsonBytesForProtoBytes(size_t proto_bytes) {
  constexpr size_t kJsonBytesPerProtoByte = 64;
  constexpr size_t kStandardFieldKeysBytes = 16384;
  return proto_bytes * kJsonBytesPerProtoByte + kStandardFieldKeysBytes;
}

}  // namespace brazesync
