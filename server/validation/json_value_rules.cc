// Rules for free-form JSON values: event/purchase properties and nested
// custom attributes. Braze answers many mistakes here silently: a bad nested
// "$time" drops every nested update in the request (braze-api.md §6 #51), and
// only the first 256 property keys are kept (§6 #60), so each rule is checked
// up front.
#include "server/validation/json_value_rules.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "server/braze/converter.h"
#include "server/braze/json_size.h"
#include "server/braze/limits.h"
#include "server/validation/field_syntax.h"

namespace brazesync {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

enum class KeyPolicy {
  // Event and purchase properties: no leading "$" (at every depth; reserved
  // names are checked at the top by CheckProperties).
  kProperty,
  // Nested custom attributes: no ".", no spaces and no "$" anywhere, except
  // the {"$time": "<ISO 8601>"} date wrapper.
  kNestedAttribute,
};

// Walks one JSON value, checking its keys under `policy` and the value rules
// shared by every free-form value.
class JsonValueChecker final {
 public:
  JsonValueChecker(KeyPolicy policy, FieldViolations* out) : policy_(policy), out_(out) {}

  void CheckStruct(const Struct& object, const std::string& path) {
    if (policy_ == KeyPolicy::kNestedAttribute && object.fields().count("$time") > 0) {
      CheckTimeWrapper(object, path);
      return;
    }
    for (const auto* entry : SortedByKey(object.fields())) {
      const std::string key_path = StructFieldPath(path, entry->first);
      CheckPolicyKey(entry->first, key_path);
      CheckValue(entry->second, key_path);
    }
  }

  void CheckValue(const Value& value, const std::string& path) {
    switch (value.kind_case()) {
      case Value::KIND_NOT_SET:
        AddViolation(out_, path, "value must be set (null, number, string, bool, object or list)");
        break;
      case Value::kNumberValue:
        CheckFinite(value.number_value(), path, out_);
        break;
      case Value::kStringValue:
        CheckMaxChars(value.string_value(), kMaxStringChars, path, out_);
        break;
      case Value::kStructValue:
        CheckStruct(value.struct_value(), path);
        break;
      case Value::kListValue:
        for (int i = 0; i < value.list_value().values_size(); ++i) {
          CheckListElement(value.list_value().values(i), IndexPath(path, i));
        }
        break;
      case Value::kNullValue:
      case Value::kBoolValue:
        break;
    }
  }

  // A nested-attribute key outside an object: an array-of-objects
  // operation's $identifier_key.
  void CheckKeyAt(absl::string_view key, const std::string& path) { CheckPolicyKey(key, path); }

 private:
  // Braze has no multi-dimensional arrays, and reads no datetime inside a
  // property array (it would store it as a plain string).
  void CheckListElement(const Value& element, const std::string& path) {
    if (element.kind_case() == Value::kListValue) {
      AddViolation(out_, path, "an array must not directly contain an array");
      return;
    }
    if (policy_ == KeyPolicy::kProperty && element.kind_case() == Value::kStringValue &&
        IsBrazeDateTimeString(element.string_value())) {
      AddViolation(out_, path,
                   "a datetime string is not allowed inside an array (Braze would store it as "
                   "plain text)" +
                       GotValue(element.string_value()));
      return;
    }
    CheckValue(element, path);
  }

  void CheckPolicyKey(absl::string_view key, const std::string& path) {
    if (!CheckKey(key, path, out_)) return;
    if (policy_ == KeyPolicy::kProperty) {
      if (key[0] == '$') AddViolation(out_, path, "key must not start with \"$\"");
    } else if (absl::StrContains(key, '$')) {
      AddViolation(out_, path,
                   "key must not contain \"$\" (only a {\"$time\": ...} date object may)");
    } else if (absl::StrContains(key, '.')) {
      AddViolation(out_, path, "key must not contain \".\"");
    } else if (std::any_of(key.begin(), key.end(), [](char c) {
                 return absl::ascii_isspace(static_cast<unsigned char>(c));
               })) {
      AddViolation(out_, path, "key must not contain spaces");
    }
  }

  // {"$time": "2024-05-01T12:34:56Z"} is how nested attributes carry dates.
  // A bad one makes Braze drop every nested update in the request (§6 #51).
  void CheckTimeWrapper(const Struct& object, const std::string& path) {
    if (object.fields().size() != 1) {
      AddViolation(out_, path, "a {\"$time\": ...} date object must have no other keys");
      return;
    }
    const Value& time = object.fields().at("$time");
    const std::string time_path = FieldPath(path, "$time");
    if (time.kind_case() != Value::kStringValue) {
      AddViolation(out_, time_path, "must be a string date such as \"2024-05-01T12:34:56Z\"");
    } else if (!IsIso8601DateTime(time.string_value())) {
      AddViolation(out_, time_path,
                   absl::StrCat("must be an ISO 8601 date or date-time such as "
                                "\"2024-05-01T12:34:56Z\" in year ",
                                kMaxTimeYear, " or earlier", GotValue(time.string_value())));
    }
  }

  const KeyPolicy policy_;
  FieldViolations* const out_;
};

// What differs between event and purchase properties.
struct PropertyRules {
  size_t max_json_bytes;
  std::vector<absl::string_view> reserved_keys;
};

void CheckProperties(const Struct& properties, const PropertyRules& rules, const std::string& path,
                     FieldViolations* out) {
  if (properties.fields_size() > kMaxPropertyKeys) {
    AddViolation(out, path,
                 absl::StrFormat("must have at most %d keys (got %d)", kMaxPropertyKeys,
                                 properties.fields_size()));
  }
  CheckJsonSize(JsonSize(properties), rules.max_json_bytes, path, out);
  for (const auto* entry : SortedByKey(properties.fields())) {
    const auto& reserved = rules.reserved_keys;
    if (std::find(reserved.begin(), reserved.end(), entry->first) != reserved.end()) {
      AddViolation(
          out, StructFieldPath(path, entry->first),
          absl::StrCat("key is reserved by Braze (reserved: ", absl::StrJoin(reserved, ", "), ")"));
    }
  }
  JsonValueChecker(KeyPolicy::kProperty, out).CheckStruct(properties, path);
}

}  // namespace

void CheckEventProperties(const Struct& properties, const std::string& path, FieldViolations* out) {
  static const auto* const kRules = new PropertyRules{kMaxNestedJsonBytes, {"event_name", "time"}};
  CheckProperties(properties, *kRules, path, out);
}

void CheckPurchaseProperties(const Struct& properties, const std::string& path,
                             FieldViolations* out) {
  static const auto* const kRules =
      new PropertyRules{kMaxPurchasePropertiesJsonBytes,
                        {"currency", "event_name", "price", "product_id", "quantity", "time"}};
  CheckProperties(properties, *kRules, path, out);
}

void CheckNestedObject(const Struct& object, const std::string& path, FieldViolations* out) {
  CheckJsonSize(JsonSize(object), kMaxNestedJsonBytes, path, out);
  JsonValueChecker(KeyPolicy::kNestedAttribute, out).CheckStruct(object, path);
}

namespace {

// $identifier_value: a string or a finite number.
void CheckIdentifierValue(const Value& value, const std::string& path, FieldViolations* out) {
  if (value.kind_case() == Value::kStringValue) {
    CheckMaxChars(value.string_value(), kMaxStringChars, path, out);
  } else if (value.kind_case() == Value::kNumberValue) {
    CheckFinite(value.number_value(), path, out);
  } else {
    AddViolation(out, path, "required: a string or a number");
  }
}

}  // namespace

void CheckObjectArrayOperation(const v1::ObjectArrayOperation& operation, const std::string& path,
                               FieldViolations* out) {
  CheckJsonSize(ObjectArrayOperationToJson(operation).dump().size(), kMaxNestedJsonBytes, path,
                out);
  JsonValueChecker checker(KeyPolicy::kNestedAttribute, out);
  auto check_match = [&](const std::string& key, const Value& value, const std::string& at) {
    const std::string key_path = FieldPath(at, "identifier_key");
    checker.CheckKeyAt(key, key_path);
    CheckIdentifierValue(value, FieldPath(at, "identifier_value"), out);
  };
  switch (operation.operation_case()) {
    case v1::ObjectArrayOperation::OPERATION_NOT_SET:
      AddViolation(out, path, "required: one of add, remove, update");
      break;
    case v1::ObjectArrayOperation::kAdd: {
      const std::string objects_path = FieldPath(FieldPath(path, "add"), "objects");
      if (operation.add().objects_size() == 0) {
        AddViolation(out, objects_path, "required: at least one object");
      }
      for (int i = 0; i < operation.add().objects_size(); ++i) {
        checker.CheckStruct(operation.add().objects(i), IndexPath(objects_path, i));
      }
      break;
    }
    case v1::ObjectArrayOperation::kRemove: {
      const std::string matches_path = FieldPath(FieldPath(path, "remove"), "matches");
      if (operation.remove().matches_size() == 0) {
        AddViolation(out, matches_path, "required: at least one match");
      }
      for (int i = 0; i < operation.remove().matches_size(); ++i) {
        const v1::ObjectArrayMatch& match = operation.remove().matches(i);
        check_match(match.identifier_key(), match.identifier_value(), IndexPath(matches_path, i));
      }
      break;
    }
    case v1::ObjectArrayOperation::kUpdate: {
      const std::string updates_path = FieldPath(FieldPath(path, "update"), "updates");
      if (operation.update().updates_size() == 0) {
        AddViolation(out, updates_path, "required: at least one update");
      }
      for (int i = 0; i < operation.update().updates_size(); ++i) {
        const v1::ObjectArrayUpdate& update = operation.update().updates(i);
        const std::string at = IndexPath(updates_path, i);
        check_match(update.identifier_key(), update.identifier_value(), at);
        if (!update.has_new_object()) {
          AddViolation(out, FieldPath(at, "new_object"), "required: the properties to write");
        } else {
          checker.CheckStruct(update.new_object(), FieldPath(at, "new_object"));
        }
      }
      break;
    }
  }
}

void CheckObjectArray(const ListValue& list, const std::string& path, FieldViolations* out) {
  CheckJsonSize(JsonSize(list), kMaxNestedJsonBytes, path, out);
  JsonValueChecker checker(KeyPolicy::kNestedAttribute, out);
  for (int i = 0; i < list.values_size(); ++i) {
    const Value& element = list.values(i);
    if (element.kind_case() != Value::kStructValue) {
      AddViolation(out, IndexPath(path, i), "must be an object");
    } else {
      checker.CheckStruct(element.struct_value(), IndexPath(path, i));
    }
  }
}

}  // namespace brazesync
