// Implementation of event_rules.h. Rejections name the field with Braze's
// observed wording where known (braze-api.md §1.9, §2.2); silent changes are
// alteration lines on the stored copy.
#include "tests/emulator/event_rules.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/emulator/datetime_syntax.h"
#include "tests/emulator/ecommerce_schema.h"
#include "tests/emulator/identifier_rules.h"
#include "tests/emulator/reference_lists.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxProperties = 256;
constexpr const char* kEventReserved[] = {"time", "event_name"};
constexpr const char* kPurchaseReserved[] = {"time",       "product_id", "quantity",
                                             "event_name", "price",      "currency"};

ObjectVerdict Reject(std::string type) {
  ObjectVerdict out;
  out.fate = Fate::kRejected;
  out.error = std::move(type);
  return out;
}

// A key that is empty or starts with "$", at any depth (nested keys follow
// the property-key rules, docs/braze-rules.md).
bool HasBadNestedKey(const Json& value) {
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (key.empty() || key[0] == '$') return true;
      if (HasBadNestedKey(v)) return true;
    }
  } else if (value.is_array()) {
    return std::any_of(value.begin(), value.end(), HasBadNestedKey);
  }
  return false;
}

bool HasLongString(const Json& value) {
  if (value.is_string()) return CharCount(value.get_ref<const std::string&>()) > kMaxChars;
  if (value.is_object() || value.is_array()) {
    return std::any_of(value.begin(), value.end(), HasLongString);
  }
  return false;
}

// An array directly inside an array, at any depth (Braze supports no
// multi-dimensional arrays, braze-api.md §1.5).
bool HasNestedArray(const Json& value) {
  if (value.is_array()) {
    return std::any_of(value.begin(), value.end(),
                       [](const Json& v) { return v.is_array() || HasNestedArray(v); });
  }
  if (value.is_object()) return std::any_of(value.begin(), value.end(), HasNestedArray);
  return false;
}

// A datetime string anywhere inside an array (Braze: "not supported").
bool HasDatetimeInArray(const Json& value, bool in_array) {
  if (value.is_string()) {
    // A year after 3000 is no time to Braze (braze-api.md §1.5), only text.
    if (!in_array) return false;
    const std::optional<ParsedDatetime> parsed = ParseDatetime(value.get_ref<const std::string&>());
    return parsed.has_value() && parsed->year <= 3000;
  }
  if (value.is_array()) {
    return std::any_of(value.begin(), value.end(),
                       [](const Json& v) { return HasDatetimeInArray(v, true); });
  }
  // Only an array's own elements: an object inside an array holds ordinary
  // values again (docs/braze-rules.md).
  if (value.is_object()) {
    return std::any_of(value.begin(), value.end(),
                       [](const Json& v) { return HasDatetimeInArray(v, false); });
  }
  return false;
}

// Judges object["properties"] into stored["properties"]. Returns an errors[]
// type to reject the object.
template <size_t N>
std::optional<std::string> JudgeProperties(const Json& object, Json& stored,
                                           const char* const (&reserved)[N], size_t max_bytes,
                                           const PropertyOrder& order,
                                           std::vector<std::string>& alt) {
  auto it = object.find("properties");
  if (it == object.end() || it->is_null()) return std::nullopt;
  const Json& properties = *it;
  if (!properties.is_object()) return kInvalidProperties;
  for (const auto& item : properties.items()) {
    const std::string& key = item.key();
    if (key.empty() || key[0] == '$' || CharCount(key) > kMaxChars ||
        std::any_of(std::begin(reserved), std::end(reserved),
                    [&key](const char* r) { return key == r; })) {
      return kInvalidProperties;
    }
    if (HasBadNestedKey(item.value())) return kInvalidProperties;
  }
  if (JsonBytes(properties) > max_bytes) return kInvalidProperties;

  Json& kept = stored["properties"];
  if (properties.size() > kMaxProperties) {
    std::vector<std::string> keys = order();
    if (keys.size() != properties.size()) {  // defensive: fall back to sorted order
      keys.clear();
      for (const auto& [key, value] : properties.items()) keys.push_back(key);
    }
    for (size_t i = kMaxProperties; i < keys.size(); ++i) kept.erase(keys[i]);
    alt.push_back(absl::StrCat("properties: ", properties.size(),
                               " keys; Braze keeps the first 256 and drops the other ",
                               properties.size() - kMaxProperties, ", from ", Shown(keys[256])));
  }
  std::vector<std::string> dropped;
  for (const auto& [key, value] : kept.items()) {
    if (HasLongString(value) || HasNestedArray(value)) {
      dropped.push_back(key);
    } else if (HasDatetimeInArray(value, false)) {
      alt.push_back(absl::StrCat("properties.", key,
                                 ": a datetime inside an array is stored as a plain string"));
    }
  }
  for (const std::string& key : dropped) {
    alt.push_back(absl::StrCat("properties.", key,
                               ": holds a string over 255 characters or an array directly "
                               "inside an array; the property is not stored"));
    kept.erase(key);
  }
  return std::nullopt;
}

// `time`: required, one of the datetime shapes; a future time is recorded
// as now (case #57).
std::optional<std::string> JudgeTime(const Json& object, Json& stored, absl::Time now,
                                     std::vector<std::string>& alt) {
  if (!Present(object, "time")) return "'time' is required";
  const Json& time = object["time"];
  if (!time.is_string()) return "'time' is not a valid time";
  const std::optional<ParsedDatetime> parsed = ParseDatetime(time.get_ref<const std::string&>());
  if (!parsed) return "'time' is not a valid time";
  if (parsed->time > now) {
    stored["time"] = FormatDatetime(now);
    alt.push_back(absl::StrCat("time: ", Shown(time),
                               " is in the future; Braze records it at the current time ",
                               FormatDatetime(now)));
  }
  return std::nullopt;
}

std::optional<std::string> CommonChecks(const Json& object, Json& stored, const TrackRules& rules,
                                        std::vector<std::string>& alt) {
  auto flag = object.find("_update_existing_only");
  if (flag != object.end() && !flag->is_boolean()) {
    return "'_update_existing_only' must be true or false";
  }
  if (auto error = JudgeIdentifiers(stored, rules, /*identifier_optional=*/false, alt)) {
    return error;
  }
  if (object.contains("app_id") && !object["app_id"].is_string()) {
    return "'app_id' must be a string";
  }
  return std::nullopt;
}

}  // namespace

ObjectVerdict JudgeEventObject(const Json& object, const TrackRules& rules, absl::Time now,
                               const PropertyOrder& order) {
  if (!object.is_object()) return Reject("Each element must be a JSON object");
  ObjectVerdict out;
  Json stored = object;
  if (auto error = CommonChecks(object, stored, rules, out.alterations)) return Reject(*error);
  if (!Present(object, "name")) return Reject("'name' is required");
  const Json& name = object["name"];
  if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
    return Reject("'name' must be a non-empty string");
  }
  if (CharCount(name.get_ref<const std::string&>()) > kMaxChars) {
    return Reject("'name' must be at most 255 characters");
  }
  if (auto error = JudgeTime(object, stored, now, out.alterations)) return Reject(*error);
  if (auto error =
          JudgeProperties(object, stored, kEventReserved, kHundredKb, order, out.alterations)) {
    return Reject(*error);
  }
  if (auto error = EcommerceEventError(name.get_ref<const std::string&>(),
                                       object.value("properties", Json()))) {
    return Reject(*error);
  }
  out.stored = std::move(stored);
  return out;
}

ObjectVerdict JudgePurchaseObject(const Json& object, const TrackRules& rules, absl::Time now,
                                  const PropertyOrder& order) {
  if (!object.is_object()) return Reject("Each element must be a JSON object");
  ObjectVerdict out;
  Json stored = object;
  if (auto error = CommonChecks(object, stored, rules, out.alterations)) return Reject(*error);
  if (!Present(object, "product_id")) return Reject("'product_id' is required");
  const Json& product = object["product_id"];
  if (!product.is_string() || product.get_ref<const std::string&>().empty() ||
      CharCount(product.get_ref<const std::string&>()) > kMaxChars) {
    return Reject("'product_id' is not valid");
  }
  if (!Present(object, "currency")) return Reject("'currency' is required");
  const Json& currency = object["currency"];
  if (!currency.is_string() || !IsCurrencyCode(currency.get_ref<const std::string&>())) {
    return Reject("'currency' must be an ISO 4217 currency");
  }
  if (!Present(object, "price")) return Reject("'price' is required");
  // A negative price is refused as Braze's SDKs refuse it (docs/braze-rules.md).
  if (!object["price"].is_number() || object["price"].get<double>() < 0) {
    return Reject("'price' is not valid");
  }
  if (Present(object, "quantity")) {
    const Json& quantity = object["quantity"];
    if (!quantity.is_number_integer() || quantity.get<int64_t>() < 1 ||
        quantity.get<int64_t>() > 100) {
      return Reject("'quantity' is not valid");
    }
  }
  if (auto error = JudgeTime(object, stored, now, out.alterations)) return Reject(*error);
  if (auto error =
          JudgeProperties(object, stored, kPurchaseReserved, kFiftyKb, order, out.alterations)) {
    return Reject(*error);
  }
  out.stored = std::move(stored);
  return out;
}

}  // namespace brazesync::emulator
