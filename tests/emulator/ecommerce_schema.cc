// Implementation of ecommerce_schema.h: one table of properties per event,
// each with its JSON type and whether it is required.
#include "tests/emulator/ecommerce_schema.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

enum class Type { kString, kNumber, kInteger, kCurrency, kObject, kProducts, kStrings, kDiscounts };

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
        {"type", Type::kStrings, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.cart_updated",
       {{"cart_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
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
        {"subtotal_value", Type::kNumber, false},
        {"tax", Type::kNumber, false},
        {"shipping", Type::kNumber, false},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kDiscounts, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.order_cancelled",
       {{"order_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"cancel_reason", Type::kString, true},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kDiscounts, false},
        {"metadata", Type::kObject, false}}},
      {"ecommerce.order_refunded",
       {{"order_id", Type::kString, true},
        {"total_value", Type::kNumber, true},
        {"currency", Type::kCurrency, true},
        {"products", Type::kProducts, true},
        {"source", Type::kString, true},
        {"total_discounts", Type::kNumber, false},
        {"discounts", Type::kDiscounts, false},
        {"metadata", Type::kObject, false}}},
  };
  return *schemas;
}

// One line item: product_id, product_name, variant_id (strings), quantity
// (integer >= 1) and price (number) required; image_url, product_url and
// metadata optional; nothing else.
std::optional<std::string> ProductError(const Json& product, const std::string& path) {
  if (!product.is_object()) return absl::StrCat(path, " must be an object");
  static const std::vector<Property> kFields = {
      {"product_id", Type::kString, true},   {"product_name", Type::kString, true},
      {"variant_id", Type::kString, true},   {"quantity", Type::kInteger, true},
      {"price", Type::kNumber, true},        {"image_url", Type::kString, false},
      {"product_url", Type::kString, false}, {"metadata", Type::kObject, false}};
  for (const Property& field : kFields) {
    auto it = product.find(field.name);
    if (it == product.end()) {
      if (field.required) return absl::StrCat(path, ".", field.name, " is required");
      continue;
    }
    const bool ok = field.type == Type::kString   ? it->is_string()
                    : field.type == Type::kNumber ? it->is_number()
                    : field.type == Type::kInteger
                        ? it->is_number_integer() && it->get<int64_t>() >= 1
                        : it->is_object();
    if (!ok) return absl::StrCat(path, ".", field.name, " has the wrong type or value");
  }
  for (const auto& [key, value] : product.items()) {
    if (std::none_of(kFields.begin(), kFields.end(),
                     [&](const Property& f) { return key == f.name; })) {
      return absl::StrCat(path, ".", key, " is not allowed (use metadata)");
    }
  }
  return std::nullopt;
}

std::optional<std::string> ValueError(const Json& value, Type type, const std::string& path) {
  switch (type) {
    case Type::kString:
      if (!value.is_string()) return absl::StrCat(path, " must be a string");
      return std::nullopt;
    case Type::kNumber:
    case Type::kInteger:
      if (!value.is_number()) return absl::StrCat(path, " must be a number");
      return std::nullopt;
    case Type::kCurrency:
      if (!value.is_string() || value.get_ref<const std::string&>().size() != 3) {
        return absl::StrCat(path, " must be a three-letter ISO 4217 code");
      }
      return std::nullopt;
    case Type::kObject:
      if (!value.is_object()) return absl::StrCat(path, " must be an object");
      return std::nullopt;
    case Type::kStrings:
      if (!value.is_array() ||
          !std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); })) {
        return absl::StrCat(path, " must be an array of strings");
      }
      return std::nullopt;
    case Type::kDiscounts:
      if (!value.is_array()) return absl::StrCat(path, " must be an array");
      for (size_t i = 0; i < value.size(); ++i) {
        const Json& d = value[i];
        if (!d.is_object() || !d.contains("code") || !d["code"].is_string() ||
            !d.contains("amount") || !d["amount"].is_number() || d.size() != 2) {
          return absl::StrCat(path, "[", i, "] must be {\"code\": string, \"amount\": number}");
        }
      }
      return std::nullopt;
    case Type::kProducts:
      if (!value.is_array() || value.empty()) {
        return absl::StrCat(path, " must be a non-empty array");
      }
      for (size_t i = 0; i < value.size(); ++i) {
        if (auto error = ProductError(value[i], absl::StrCat(path, "[", i, "]"))) return error;
      }
      return std::nullopt;
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
  for (const Property& property : schema->properties) {
    auto it = properties.find(property.name);
    if (it == properties.end() || it->is_null()) {
      if (property.required) return absl::StrCat(prefix, "'", property.name, "' is required");
      continue;
    }
    if (auto error = ValueError(*it, property.type, absl::StrCat("'", property.name, "'"))) {
      return absl::StrCat(prefix, *error);
    }
  }
  for (const auto& [key, value] : properties.items()) {
    if (std::none_of(schema->properties.begin(), schema->properties.end(),
                     [&](const Property& p) { return key == p.name; })) {
      return absl::StrCat(prefix, "'", key, "' is not allowed at the top level (use metadata)");
    }
  }
  return std::nullopt;
}

}  // namespace brazesync::emulator
