// Braze's answers to the identity, trigger and subscription endpoints,
// parsed leniently (braze-api-round2.md §2.2-2.10).
#include "server/braze/action_response.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/base/utf8.h"

namespace brazesync {
namespace {

// Braze's texts end up in results and logs; ParseBrazeResponseBody caps its
// message the same way.
constexpr size_t kMaxMessageBytes = 200;

std::string CappedText(const nlohmann::json& value) {
  return TruncateUtf8(value.is_string() ? value.get<std::string>() : value.dump(),
                      kMaxMessageBytes);
}

std::string StringOr(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A counter Braze sent as a number. An integral double (1.0) counts too;
// anything else (missing, a string, out of range) stays unset.
std::optional<int64_t> Counter(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double value = it->get<double>();
    // 2^63 is exactly representable; anything at or above it is not an int64.
    constexpr double kInt64Bound = 9223372036854775808.0;
    if (!std::isfinite(value) || value != std::trunc(value) || value >= kInt64Bound ||
        value < -kInt64Bound) {
      return std::nullopt;
    }
    return static_cast<int64_t>(value);
  }
  return std::nullopt;
}

std::vector<std::string> Strings(const nlohmann::json& object, const char* key) {
  std::vector<std::string> strings;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return strings;
  for (const nlohmann::json& value : *it) {
    if (value.is_string()) strings.push_back(value.get<std::string>());
  }
  return strings;
}

// An item index as Braze wrote it, or nullopt when `value` is not an
// integer that fits.
std::optional<int> Index(const nlohmann::json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  if (value.is_number_unsigned()) {
    const uint64_t index = value.get<uint64_t>();
    if (index > static_cast<uint64_t>(std::numeric_limits<int>::max())) return std::nullopt;
    return static_cast<int>(index);
  }
  const int64_t index = value.get<int64_t>();
  if (index < std::numeric_limits<int>::min() || index > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(index);
}

// One rename_errors / removal_errors entry. Braze documents the outer list
// as an array of arrays but not what the inner ones hold, so every plausible
// layout is read: an array (first integer = index, first string =
// message), an object {"index", "message" or "error"}, a bare string or a
// bare integer.
IndexedBrazeError IndexedError(const nlohmann::json& entry) {
  IndexedBrazeError error;
  if (entry.is_array()) {
    bool has_index = false;
    bool has_message = false;
    for (const nlohmann::json& value : entry) {
      if (!has_index) {
        if (std::optional<int> index = Index(value)) {
          error.index = *index;
          has_index = true;
          continue;
        }
      }
      if (!has_message && value.is_string()) {
        error.message = CappedText(value);
        has_message = true;
      }
    }
  } else if (entry.is_object()) {
    if (auto it = entry.find("index"); it != entry.end()) {
      error.index = Index(*it).value_or(-1);
    }
    for (const char* key : {"message", "error"}) {
      if (auto it = entry.find(key); it != entry.end() && !it->is_null()) {
        error.message = CappedText(*it);
        break;
      }
    }
  } else if (entry.is_string()) {
    error.message = CappedText(entry);
  } else {
    error.index = Index(entry).value_or(-1);
  }
  return error;
}

std::vector<IndexedBrazeError> IndexedErrors(const nlohmann::json& object, const char* key) {
  std::vector<IndexedBrazeError> errors;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return errors;
  for (const nlohmann::json& entry : *it) errors.push_back(IndexedError(entry));
  return errors;
}

}  // namespace

ActionResponseBody ParseActionResponseBody(absl::string_view body) {
  ActionResponseBody parsed;
  // `message` and `errors[]` have /users/track's shape: one parser for both,
  // including the 200-byte fallback for a body that is not a JSON object.
  BrazeResponseBody common = ParseBrazeResponseBody(body);
  parsed.message = std::move(common.message);
  parsed.errors = std::move(common.errors);

  const nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                                    /*allow_exceptions=*/false);
  if (!json.is_object()) return parsed;
  parsed.aliases_processed = Counter(json, "aliases_processed");
  parsed.emails_processed = Counter(json, "emails_processed");
  parsed.phone_numbers_processed = Counter(json, "phone_numbers_processed");
  parsed.deleted = Counter(json, "deleted");
  parsed.external_ids = Strings(json, "external_ids");
  parsed.rename_errors = IndexedErrors(json, "rename_errors");
  parsed.removed_ids = Strings(json, "removed_ids");
  parsed.removal_errors = IndexedErrors(json, "removal_errors");
  parsed.dispatch_id = StringOr(json, "dispatch_id");
  parsed.notice = TruncateUtf8(StringOr(json, "notice"), kMaxMessageBytes);
  parsed.send_id = StringOr(json, "send_id");
  return parsed;
}

bool IsUnknownMessagingIdMessage(absl::string_view message) {
  const std::string lower = absl::AsciiStrToLower(message);
  // "Invalid canvas_id" and the like say the same as "not found".
  for (absl::string_view invalid_id :
       {"invalid canvas_id", "invalid campaign_id", "invalid canvas id", "invalid campaign id"}) {
    if (absl::StrContains(lower, invalid_id)) return true;
  }
  // "Canvas with id X not found", "Campaign with id X is not found": the
  // message must name the id, so that "user not found in campaign" does
  // not count.
  if (!absl::StrContains(lower, "not found")) return false;
  for (absl::string_view names_id : {"canvas with id", "campaign with id", "canvas_id",
                                     "campaign_id", "canvas id", "campaign id"}) {
    if (absl::StrContains(lower, names_id)) return true;
  }
  return false;
}

}  // namespace brazesync
