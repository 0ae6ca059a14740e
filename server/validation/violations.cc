// FieldViolation paths and the primitive checks every validation rule uses.
#include "server/validation/violations.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/base/utf8.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

// google.protobuf.Timestamp's own lower bound, 0001-01-01T00:00:00Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int32_t kMaxNanos = 999999999;
// Longest caller value quoted back in a description.
constexpr size_t kMaxQuotedBytes = 40;

// A key as a JSON string literal: `"a.b"`, `"say \"hi\""`. UTF-8 is kept
// as is so non-ASCII keys stay readable.
std::string Quote(absl::string_view key) {
  std::string quoted = "\"";
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\t') {
      quoted += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppendFormat(&quoted, "\\u%04x", byte);
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

// JSON object keys (Struct fields) that cannot be misread in a dotted path.
bool IsPlainKey(absl::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

void AddViolation(FieldViolations* out, std::string field, std::string description) {
  v1::FieldViolation& violation = out->emplace_back();
  violation.set_field(std::move(field));
  violation.set_description(std::move(description));
}

std::string FieldPath(const std::string& path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

std::string IndexPath(const std::string& path, int index) {
  return absl::StrCat(path, "[", index, "]");
}

std::string MapEntryPath(const std::string& path, absl::string_view key) {
  return absl::StrCat(path, "[", Quote(key), "]");
}

std::string StructFieldPath(const std::string& path, absl::string_view key) {
  return IsPlainKey(key) ? FieldPath(path, key) : MapEntryPath(path, key);
}

std::string GotValue(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat(" (got ", Quote(value), ")");
  return absl::StrCat(" (got ", Quote(Utf8Prefix(value, kMaxQuotedBytes)), "...)");
}

bool CheckMaxChars(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out) {
  const size_t chars = Utf8CharCount(value);
  if (chars <= max) return true;
  AddViolation(out, path, absl::StrFormat("must be at most %d characters (got %d)", max, chars));
  return false;
}

bool CheckMaxBytes(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out) {
  if (value.size() <= max) return true;
  AddViolation(out, path, absl::StrFormat("must be at most %d bytes (got %d)", max, value.size()));
  return false;
}

bool CheckRequired(absl::string_view value, const std::string& path, FieldViolations* out) {
  if (!value.empty()) return true;
  AddViolation(out, path, "required: must not be empty");
  return false;
}

bool CheckFinite(double value, const std::string& path, FieldViolations* out) {
  if (std::isfinite(value)) return true;
  AddViolation(out, path, "must be a finite number");
  return false;
}

bool CheckTimestamp(const google::protobuf::Timestamp& time, const std::string& path,
                    FieldViolations* out) {
  if (time.nanos() < 0 || time.nanos() > kMaxNanos) {
    AddViolation(out, path,
                 absl::StrFormat("must have nanos in 0..999999999 (got %d)", time.nanos()));
  } else if (time.seconds() < kMinTimestampSeconds) {
    AddViolation(out, path, "must be a valid time at or after 0001-01-01T00:00:00Z");
  } else if (time.seconds() > kMaxTimeSeconds) {
    AddViolation(out, path,
                 absl::StrCat("must be in year ", kMaxTimeYear,
                              " or earlier (Braze stores later times as strings)"));
  } else {
    return true;
  }
  return false;
}

bool CheckJsonSize(size_t json_size, size_t max, const std::string& path, FieldViolations* out) {
  if (json_size <= max) return true;
  AddViolation(out, path,
               absl::StrFormat("must be at most %d bytes as JSON (got %d)", max, json_size));
  return false;
}

bool CheckKey(absl::string_view key, const std::string& path, FieldViolations* out) {
  if (key.empty()) {
    AddViolation(out, path, "key must not be empty");
    return false;
  }
  const size_t chars = Utf8CharCount(key);
  if (chars > kMaxStringChars) {
    AddViolation(
        out, path,
        absl::StrFormat("key must be at most %d characters (got %d)", kMaxStringChars, chars));
    return false;
  }
  return true;
}

}  // namespace brazesync
