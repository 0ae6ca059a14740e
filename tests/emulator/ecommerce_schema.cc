// Implementation of ecommerce_schema.h: one table of properties per event,
// each with its JSON type and whether it is required, exactly as
// docs/braze-rules.md "eCommerce events" lists them (property types, product
// keys, and the choices where Braze's page is loose).
#include "tests/emulator/ecommerce_schema.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/datetime_syntax.h"
#include "tests/emulator/reference_lists.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

enum class Type {
  kString,    // non-blank, at most 255 characters
  kNumber,    // any JSON number, at least 0
  kInteger,   // a number with no fractional part, at least 0
  kCurrency,  // one of the 159 currencies, exactly as listed
  kObject,    // an object following the event-property rules
  kProducts,  // at least one product
  kObjects,   // an array of objects (discounts)
  kViewType,  // at least one of "price_drop" / "back_in_stock"
  kAction,    // "add", "remove" or "replace"
};

struct Property {
  const char* name;
  Type type;
  bool required;
};

struct EventSchema {
  const char* name;
  std::vector<Property> properties;
};

const std::vector<EventSchema>& Schemas() {
  static const auto* schemas = new std::vector<EventSchema>{
      {"ecommerce.product_viewed",
       {{"product_id", Type::kString, true},
        {"product_name", Type::kString, true},
        {"variant_id", Type::kString, true},
        {"price", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"source", Type::kString, true},
        {"image_url", Type::kString, false},
        {"product_url", Type::kString, false},
        {"type", Type::kViewType, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.cart_updated",
       {{"cart_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"subtotal_value", Type::kNumber, false},
        {"tax", Type::kNumber, false},
        {"shipping", Type::kNumber, false},
        {"action", Type::kAction, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.checkout_started",
       {{"checkout_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"cart_id", Type::kString, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.order_placed",
       {{"order_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"cart_id", Type::kString, false},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kObjects, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.order_cancelled",
       {{"order_id", Type::kString, true},
        {"cancel_reason", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kObjects, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.order_refunded",
       {{"order_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kObjects, false},
        {"metadata", Type::kObject, false}}},
  };
  return *schemas;
}

// A product: exactly these keys (braze-rules.md "eCommerce events").
const std::vector<Property>& ProductFields() {
  static const auto* fields = new std::vector<Property>{
      {"product_id", Type::kString, true},   {"product_name", Type::kString, true},
      {"variant_id", Type::kString, true},   {"quantity", Type::kInteger, true},
      {"price", Type::kNumber, true},        {"image_url", Type::kString, false},
      {"product_url", Type::kString, false}, {"metadata", Type::kObject, false}};
  return *fields;
}

bool IsBlank(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

// The event-property rules a metadata object follows: keys non-empty, at
// most 255 characters, no leading '$'; strings at most 255 characters; no
// array directly inside an array; no datetime inside an array.
std::optional<std::string> PropertyValueError(const Json& value, const std::string& path,
                                              bool in_array) {
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (key.empty() || key[0] == '$' || CharCount(key) > kMaxChars) {
        return absl::StrCat(path, " has the key ", Shown(key),
                            " (empty, over 255 characters or starting with '$')");
      }
      if (auto error = PropertyValueError(v, absl::StrCat(path, ".", key), false)) return error;
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string at = absl::StrCat(path, "[", i, "]");
      if (value[i].is_array()) return absl::StrCat(at, " is an array directly inside an array");
      if (auto error = PropertyValueError(value[i], at, true)) return error;
    }
  } else if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (CharCount(s) > kMaxChars) return absl::StrCat(path, " is a string over 255 characters");
    if (in_array && ParseDatetime(s)) return absl::StrCat(path, " is a datetime inside an array");
  }
  return std::nullopt;
}

std::optional<std::string> FieldsError(const Json& object, const std::vector<Property>& fields,
                                       const std::string& path);

std::optional<std::string> ValueError(const Json& value, Type type, const std::string& path) {
  switch (type) {
    case Type::kString:
      if (!value.is_string() || IsBlank(value.get_ref<const std::string&>()) ||
          CharCount(value.get_ref<const std::string&>()) > kMaxChars) {
        return absl::StrCat(path, " must be a non-blank string of at most 255 characters");
      }
      return std::nullopt;
    case Type::kNumber:
      if (!value.is_number() || value.get<double>() < 0) {
        return absl::StrCat(path, " must be a number of at least 0");
      }
      return std::nullopt;
    case Type::kInteger:
      if (!value.is_number() || value.get<double>() < 0 ||
          std::floor(value.get<double>()) != value.get<double>()) {
        return absl::StrCat(path, " must be a whole number of at least 0");
      }
      return std::nullopt;
    case Type::kCurrency:
      if (!value.is_string() || !IsCurrencyCode(value.get_ref<const std::string&>())) {
        return absl::StrCat(path, " must be an ISO 4217 currency (upper case)");
      }
      return std::nullopt;
    case Type::kObject:
      if (!value.is_object()) return absl::StrCat(path, " must be an object");
      return PropertyValueError(value, path, false);
    case Type::kObjects:
      if (!value.is_array()) return absl::StrCat(path, " must be an array of objects");
      for (size_t i = 0; i < value.size(); ++i) {
        if (auto error = ValueError(value[i], Type::kObject, absl::StrCat(path, "[", i, "]"))) {
          return error;
        }
      }
      return std::nullopt;
    case Type::kViewType:
      if (!value.is_array() || value.empty() ||
          !std::all_of(value.begin(), value.end(),
                       [](const Json& v) { return v == "price_drop" || v == "back_in_stock"; })) {
        return absl::StrCat(path, " must list \"price_drop\" and/or \"back_in_stock\"");
      }
      return std::nullopt;
    case Type::kAction:
      if (value != "add" && value != "remove" && value != "replace") {
        return absl::StrCat(path, " must be \"add\", \"remove\" or \"replace\"");
      }
      return std::nullopt;
    case Type::kProducts:
      if (!value.is_array() || value.empty()) {
        return absl::StrCat(path, " must be an array of at least one product");
      }
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string at = absl::StrCat(path, "[", i, "]");
        if (!value[i].is_object()) return absl::StrCat(at, " must be an object");
        if (auto error = FieldsError(value[i], ProductFields(), at)) return error;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

// Required fields present, every field of its type, and no other key.
std::optional<std::string> FieldsError(const Json& object, const std::vector<Property>& fields,
                                       const std::string& path) {
  for (const Property& field : fields) {
    const std::string at =
        path.empty() ? absl::StrCat("'", field.name, "'") : absl::StrCat(path, ".", field.name);
    auto it = object.find(field.name);
    if (it == object.end()) {
      if (field.required) return absl::StrCat(at, " is required");
      continue;
    }
    if (auto error = ValueError(*it, field.type, at)) return error;
  }
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::none_of(fields.begin(), fields.end(),
                     [&key](const Property& f) { return key == f.name; })) {
      return path.empty()
                 ? absl::StrCat("'", key, "' is not allowed at the top level (use metadata)")
                 : absl::StrCat(path, ".", key, " is not allowed (use metadata)");
    }
  }
  return std::nullopt;
}

}  // namespace

bool IsEcommerceEventName(const std::string& name) {
  const auto& schemas = Schemas();
  return std::any_of(schemas.begin(), schemas.end(),
                     [&](const EventSchema& s) { return name == s.name; });
}

std::optional<std::string> EcommerceEventError(const std::string& name, const Json& properties) {
  const auto& schemas = Schemas();
  auto schema = std::find_if(schemas.begin(), schemas.end(),
                             [&](const EventSchema& s) { return name == s.name; });
  if (schema == schemas.end()) return std::nullopt;
  const std::string prefix = absl::StrCat("Invalid '", name, "' event: ");
  if (!properties.is_object()) return absl::StrCat(prefix, "properties are required");
  if (auto error = FieldsError(properties, schema->properties, "")) {
    return absl::StrCat(prefix, *error);
  }
  return std::nullopt;
}

}  // namespace brazesync::emulator
