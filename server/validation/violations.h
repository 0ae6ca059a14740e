// The vocabulary every validation rule is written in: FieldViolation paths
// (`events[2].time`, `attributes[0].custom_attributes["k"]`,
// `events[1].properties.$price`; the syntax is documented in validator.h) and
// the primitive checks each rule is made of (required, at most N characters
// or bytes, finite, a valid time, at most N bytes as JSON, a valid key).
//
// Contract: each Check* appends at most one violation to `out`, at `path`,
// and returns whether the value passed, so a rule can stop checking a value
// that already failed. Descriptions quote at most a short, UTF-8-safe prefix
// of the caller's value (GotValue), so a huge input cannot flood logs.
#ifndef BRAZESYNC_SERVER_VALIDATION_VIOLATIONS_H_
#define BRAZESYNC_SERVER_VALIDATION_VIOLATIONS_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "brazesync/v1/brazesync.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace brazesync {

using FieldViolations = std::vector<v1::FieldViolation>;

void AddViolation(FieldViolations* out, std::string field, std::string description);

// ---- Paths ----

// `path.name`, or `name` at the request root (empty `path`).
std::string FieldPath(const std::string& path, absl::string_view name);
// `path[3]`: a repeated field's or a list's element.
std::string IndexPath(const std::string& path, int index);
// `path["k"]`: a proto map entry (custom_attributes), always bracketed, the
// key as a JSON string literal (`\"`, `\\`, `\n`, `\t`, `\u0001`; UTF-8 kept).
std::string MapEntryPath(const std::string& path, absl::string_view key);
// A google.protobuf.Struct field, read like JSON: `path.key` when the key is
// only ASCII letters, digits, "_", "$" and "-", else `path["a b"]`.
std::string StructFieldPath(const std::string& path, absl::string_view key);

// ` (got "value")` for a description, or ` (got "valu"...)` when the value is
// longer than 40 bytes (cut on a character boundary).
std::string GotValue(absl::string_view value);

// ---- Checks ----

// At most `max` characters (code points, as Braze counts).
bool CheckMaxChars(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out);
bool CheckMaxBytes(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out);
// Not empty.
bool CheckRequired(absl::string_view value, const std::string& path, FieldViolations* out);
// Not NaN or infinite (JSON has no such numbers).
bool CheckFinite(double value, const std::string& path, FieldViolations* out);
// Valid nanos, at or after 0001-01-01 (Timestamp's own range) and in year
// kMaxTimeYear or earlier (Braze's).
bool CheckTimestamp(const google::protobuf::Timestamp& time, const std::string& path,
                    FieldViolations* out);
// `json_size` (braze/json_size.h) at most `max` bytes.
bool CheckJsonSize(size_t json_size, size_t max, const std::string& path, FieldViolations* out);
// An object key every rule accepts at least: not empty, at most
// kMaxStringChars characters. Rules add their own restrictions after it.
bool CheckKey(absl::string_view key, const std::string& path, FieldViolations* out);

// The entries of a proto map (a Struct's fields, custom_attributes) sorted by
// key, so violations come out in the same order on every run (proto maps
// iterate in unspecified order).
template <typename Map>
std::vector<const typename Map::value_type*> SortedByKey(const Map& map) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_VIOLATIONS_H_
