// The eCommerce event schemas of docs/braze-rules.md as data, and one walker
// over them; see ecommerce_rules.h.
#include "server/validation/ecommerce_rules.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/validation/reference_data.h"

namespace brazesync {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

enum class Type {
  kString,     // non-blank string (length: the ordinary 255-character rule)
  kNumber,     // any JSON number >= 0
  kInteger,    // a number without a fractional part, >= 0
  kCurrency,   // one of the accepted ISO 4217 codes, exactly (upper case)
  kObject,     // a JSON object (metadata)
  kProducts,   // at least one product
  kDiscounts,  // a list of objects
  kTypeList,   // at least one of "price_drop", "back_in_stock"
  kCartAction  // "add", "remove" or "replace"
};

struct Property {
  absl::string_view name;
  Type type;
  bool required;
};

struct Schema {
  absl::string_view event;
  std::vector<Property> properties;
};

constexpr bool kRequired = true;
constexpr bool kOptional = false;

const std::vector<Property>& ProductProperties() {
  static const auto* const kProduct = new std::vector<Property>{
      {"product_id", Type::kString, kRequired},  {"product_name", Type::kString, kRequired},
      {"variant_id", Type::kString, kRequired},  {"quantity", Type::kInteger, kRequired},
      {"price", Type::kNumber, kRequired},       {"image_url", Type::kString, kOptional},
      {"product_url", Type::kString, kOptional}, {"metadata", Type::kObject, kOptional},
  };
  return *kProduct;
}

// The order events share everything but their identifiers.
std::vector<Property> OrderProperties(std::vector<Property> first) {
  for (const Property& property : std::vector<Property>{
           {"total_value", Type::kNumber, kRequired},
           {"currency", Type::kCurrency, kRequired},
           {"products", Type::kProducts, kRequired},
           {"source", Type::kString, kRequired},
           {"total_discounts", Type::kNumber, kOptional},
           {"discounts", Type::kDiscounts, kOptional},
           {"metadata", Type::kObject, kOptional},
       }) {
    first.push_back(property);
  }
  return first;
}

const std::vector<Schema>& Schemas() {
  static const auto* const kSchemas = new std::vector<Schema>{
      {"ecommerce.product_viewed",
       {{"product_id", Type::kString, kRequired},
        {"product_name", Type::kString, kRequired},
        {"variant_id", Type::kString, kRequired},
        {"price", Type::kNumber, kRequired},
        {"currency", Type::kCurrency, kRequired},
        {"source", Type::kString, kRequired},
        {"image_url", Type::kString, kOptional},
        {"product_url", Type::kString, kOptional},
        {"type", Type::kTypeList, kOptional},
        {"metadata", Type::kObject, kOptional}}},
      {"ecommerce.cart_updated",
       {{"cart_id", Type::kString, kRequired},
        {"total_value", Type::kNumber, kRequired},
        {"currency", Type::kCurrency, kRequired},
        {"products", Type::kProducts, kRequired},
        {"source", Type::kString, kRequired},
        {"subtotal_value", Type::kNumber, kOptional},
        {"tax", Type::kNumber, kOptional},
        {"shipping", Type::kNumber, kOptional},
        {"action", Type::kCartAction, kOptional},
        {"metadata", Type::kObject, kOptional}}},
      {"ecommerce.checkout_started",
       {{"checkout_id", Type::kString, kRequired},
        {"total_value", Type::kNumber, kRequired},
        {"currency", Type::kCurrency, kRequired},
        {"products", Type::kProducts, kRequired},
        {"source", Type::kString, kRequired},
        {"cart_id", Type::kString, kOptional},
        {"metadata", Type::kObject, kOptional}}},
      {"ecommerce.order_placed", OrderProperties({{"order_id", Type::kString, kRequired},
                                                  {"cart_id", Type::kString, kOptional}})},
      {"ecommerce.order_cancelled", OrderProperties({{"order_id", Type::kString, kRequired},
                                                     {"cancel_reason", Type::kString, kRequired}})},
      {"ecommerce.order_refunded", OrderProperties({{"order_id", Type::kString, kRequired}})},
  };
  return *kSchemas;
}

const Schema* FindSchema(absl::string_view event) {
  for (const Schema& schema : Schemas()) {
    if (schema.event == event) return &schema;
  }
  return nullptr;
}

bool IsBlank(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

class SchemaChecker final {
 public:
  SchemaChecker(absl::string_view event, FieldViolations* out) : event_(event), out_(out) {}

  // Checks `object` against `properties`: required ones present, no unknown
  // key, each known one of its type. `what` names the object in errors.
  void CheckObject(const Struct& object, const std::vector<Property>& properties,
                   const std::string& path, absl::string_view what) {
    for (const Property& property : properties) {
      if (property.required && object.fields().count(std::string(property.name)) == 0) {
        AddViolation(out_, StructFieldPath(path, property.name),
                     absl::StrCat("required on ", what));
      }
    }
    for (const auto* entry : SortedByKey(object.fields())) {
      const std::string key_path = StructFieldPath(path, entry->first);
      const auto known =
          std::find_if(properties.begin(), properties.end(),
                       [&](const Property& property) { return property.name == entry->first; });
      if (known == properties.end()) {
        AddViolation(out_, key_path,
                     absl::StrCat("not allowed on ", what, " (custom data goes in metadata)"));
      } else {
        CheckValue(entry->second, known->type, key_path);
      }
    }
  }

 private:
  void WrongType(const std::string& path, absl::string_view expected) {
    AddViolation(out_, path, absl::StrCat("must be ", expected));
  }

  void CheckValue(const Value& value, Type type, const std::string& path) {
    switch (type) {
      case Type::kString:
        if (value.kind_case() != Value::kStringValue) {
          WrongType(path, "a string");
        } else if (IsBlank(value.string_value())) {
          AddViolation(out_, path, "must not be empty or blank");
        }
        break;
      case Type::kNumber:
      case Type::kInteger:
        CheckNumber(value, type == Type::kInteger, path);
        break;
      case Type::kCurrency:
        if (value.kind_case() != Value::kStringValue || !IsIsoCurrency4217(value.string_value())) {
          AddViolation(
              out_, path,
              absl::StrCat(
                  "must be an ISO 4217 currency code in upper case such as "
                  "\"USD\"",
                  value.kind_case() == Value::kStringValue ? GotValue(value.string_value()) : ""));
        }
        break;
      case Type::kObject:
        if (value.kind_case() != Value::kStructValue) WrongType(path, "an object");
        break;
      case Type::kProducts:
        CheckProducts(value, path);
        break;
      case Type::kDiscounts:
        if (value.kind_case() != Value::kListValue) {
          WrongType(path, "a list of objects");
          break;
        }
        for (int i = 0; i < value.list_value().values_size(); ++i) {
          if (value.list_value().values(i).kind_case() != Value::kStructValue) {
            WrongType(IndexPath(path, i), "an object");
          }
        }
        break;
      case Type::kTypeList:
        CheckOneOfList(value, {"back_in_stock", "price_drop"}, path);
        break;
      case Type::kCartAction:
        CheckOneOf(value, {"add", "remove", "replace"}, path);
        break;
    }
  }

  // Non-finite numbers are reported by the ordinary property rules.
  void CheckNumber(const Value& value, bool integer, const std::string& path) {
    if (value.kind_case() != Value::kNumberValue) {
      WrongType(path, integer ? "an integer" : "a number");
      return;
    }
    const double number = value.number_value();
    if (!std::isfinite(number)) return;
    if (integer && std::trunc(number) != number) {
      AddViolation(out_, path, absl::StrCat("must be an integer (got ", number, ")"));
    } else if (number < 0) {
      AddViolation(out_, path, absl::StrCat("must be at least 0 (got ", number, ")"));
    }
  }

  void CheckProducts(const Value& value, const std::string& path) {
    if (value.kind_case() != Value::kListValue) {
      WrongType(path, "a list of products");
      return;
    }
    const auto& products = value.list_value().values();
    if (products.empty()) {
      AddViolation(out_, path, "must hold at least 1 product");
      return;
    }
    for (int i = 0; i < products.size(); ++i) {
      const std::string product_path = IndexPath(path, i);
      if (products[i].kind_case() != Value::kStructValue) {
        WrongType(product_path, "a product object");
      } else {
        CheckObject(products[i].struct_value(), ProductProperties(), product_path,
                    absl::StrCat("a product of ", event_));
      }
    }
  }

  void CheckOneOf(const Value& value, const std::vector<absl::string_view>& allowed,
                  const std::string& path) {
    if (value.kind_case() != Value::kStringValue ||
        std::find(allowed.begin(), allowed.end(), value.string_value()) == allowed.end()) {
      AddViolation(
          out_, path,
          absl::StrCat(
              "must be one of \"", absl::StrJoin(allowed, "\", \""), "\"",
              value.kind_case() == Value::kStringValue ? GotValue(value.string_value()) : ""));
    }
  }

  void CheckOneOfList(const Value& value, const std::vector<absl::string_view>& allowed,
                      const std::string& path) {
    if (value.kind_case() != Value::kListValue || value.list_value().values_size() == 0) {
      AddViolation(out_, path,
                   absl::StrCat("must be a list of at least one of \"",
                                absl::StrJoin(allowed, "\", \""), "\""));
      return;
    }
    for (int i = 0; i < value.list_value().values_size(); ++i) {
      CheckOneOf(value.list_value().values(i), allowed, IndexPath(path, i));
    }
  }

  const absl::string_view event_;
  FieldViolations* const out_;
};

}  // namespace

bool IsEcommerceEventName(absl::string_view name) { return FindSchema(name) != nullptr; }

void CheckEcommerceProperties(absl::string_view name, const Struct& properties,
                              const std::string& path, FieldViolations* out) {
  const Schema* schema = FindSchema(name);
  if (schema == nullptr) return;
  SchemaChecker(name, out).CheckObject(properties, schema->properties, path, name);
}

}  // namespace brazesync
