// One /users/track object, as server/braze/converter.cc builds it, applied to
// a v1::ExportedUser the way Braze's export will show it.
//
// Track and export name most fields alike; the mapping, field by field:
// - first_name, last_name, email, phone, home_city, country, language, dob,
//   gender ("M", "F", "O", "N", "P"), email_subscribe and push_subscribe
//   ("opted_in", "subscribed", "unsubscribed"): the same key and the same
//   text in both directions; a string sets the field, null clears it.
// - time_zone: set to the IANA name BrazeSync wrote. Braze's export sample
//   shows a display name ("Eastern Time (US & Canada)"), so the value may
//   change form once Braze catches up; the zone is the same.
// - email and phone: the converter writes the identifier first, under the
//   name of the standard field when the user is looked up by email or
//   phone. So the first of external_id / user_alias / braze_id / email /
//   phone is the identifier and skipped; a later email or phone is the
//   standard field (a profile looked up by email can only repeat that
//   email, the validator makes sure).
// - current_location: the export's last_coordinates come from devices, in an
//   order Braze's docs contradict; not applied (returns false).
// - subscription_groups, push_tokens: not in the export's user fields in the
//   same form; not applied (returns false).
// - date_of_first_session, date_of_last_session, marked_email_as_spam_at,
//   email_open/click_tracking_disabled, facebook, twitter, image_url: not
//   exportable (no fields_to_export name), so the export never shows them;
//   nothing to apply, and that is faithful.
// - Every other key is a custom attribute in custom_attributes: a value sets
//   it (a nested object replaces the old one, or merges into it when the
//   object says `_merge_objects: true`), null removes it, `{"inc": n}` adds n
//   to a number (to 0 when unset), `{"add": [...], "remove": [...]}` adds the
//   values not yet present and removes every equal one.
// - `_update_existing_only`, `_merge_objects`, `push_token_import`, `app_id`
//   steer the write and are not attributes. `_update_existing_only` is not
//   judged here: the overlay is applied to a user the caller has.
// Events and purchases change the 90-day summaries (custom_events by event
// name, purchases by product_id; a purchase of quantity X counts X times, as
// Braze records it); a purchase in USD also adds price x quantity to
// total_revenue (other currencies: Braze converts at its own
// rate, so total_revenue is left and the call returns false). Properties are
// not exported, so they change nothing.
//
// The overlay does not know which fields_to_export the lookup asked for: it
// sets what the write changed, and the caller keeps only the requested
// fields.
#include "server/braze/export_overlay.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "server/braze/profile_fields.h"
#include "server/braze/users_export.h"

namespace brazesync {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kUsd[] = "USD";

// ---- Json to google.protobuf.Value ----

void ToValue(const Json& json, Value* value);

void ToStruct(const Json& object, Struct* out) {
  for (const auto& [key, element] : object.items()) {
    ToValue(element, &(*out->mutable_fields())[key]);
  }
}

// Replaces whatever `value` held (a list or object is not appended to).
void ToValue(const Json& json, Value* value) {
  value->Clear();
  if (json.is_string()) {
    value->set_string_value(json.get<std::string>());
  } else if (json.is_boolean()) {
    value->set_bool_value(json.get<bool>());
  } else if (json.is_number()) {
    value->set_number_value(json.get<double>());
  } else if (json.is_object()) {
    ToStruct(json, value->mutable_struct_value());
  } else if (json.is_array()) {
    ListValue* list = value->mutable_list_value();
    for (const Json& element : json) ToValue(element, list->add_values());
  } else {
    value->set_null_value(google::protobuf::NULL_VALUE);
  }
}

bool SameValue(const Value& a, const Value& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// ---- Attributes ----

// The standard fields the export shows, each as an ExportedUser string field.
struct ExportedStringField {
  absl::string_view key;
  void (*set)(v1::ExportedUser*, std::string);
  void (*clear)(v1::ExportedUser*);
};

#define BRAZESYNC_EXPORTED_FIELD(name)                                                            \
  {                                                                                               \
#name, [](v1::ExportedUser * user,                                                            \
              std::string                                                                         \
                  value) { user->set_##name(std::move(value)); },                                 \
                                                               [](v1::ExportedUser *              \
                                                                  user) { user->clear_##name(); } \
  }

const ExportedStringField kExportedStringFields[] = {
    BRAZESYNC_EXPORTED_FIELD(first_name),
    BRAZESYNC_EXPORTED_FIELD(last_name),
    BRAZESYNC_EXPORTED_FIELD(email),
    BRAZESYNC_EXPORTED_FIELD(phone),
    BRAZESYNC_EXPORTED_FIELD(home_city),
    BRAZESYNC_EXPORTED_FIELD(country),
    BRAZESYNC_EXPORTED_FIELD(language),
    BRAZESYNC_EXPORTED_FIELD(time_zone),
    BRAZESYNC_EXPORTED_FIELD(dob),
    BRAZESYNC_EXPORTED_FIELD(gender),
    BRAZESYNC_EXPORTED_FIELD(email_subscribe),
    BRAZESYNC_EXPORTED_FIELD(push_subscribe),
};

#undef BRAZESYNC_EXPORTED_FIELD

const ExportedStringField* FindExportedStringField(absl::string_view key) {
  for (const ExportedStringField& field : kExportedStringFields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

// Standard fields whose written value the export shows differently or not
// per user: the write cannot be reproduced.
bool IsUnappliableStandardField(absl::string_view key) {
  return key == "current_location" || key == "subscription_groups" || key == "push_tokens";
}

// Keys that steer a write rather than set an attribute.
bool IsControlKey(absl::string_view key) {
  return key == "_update_existing_only" || key == "_merge_objects" || key == "push_token_import" ||
         key == "app_id";
}

bool IsOnlyIdentifierKey(absl::string_view key) {
  return key == "external_id" || key == "user_alias" || key == "braze_id";
}

bool ApplyStandardField(const ExportedStringField& field, const Json& value,
                        v1::ExportedUser* user) {
  if (value.is_null()) {
    field.clear(user);
    return true;
  }
  if (!value.is_string()) return false;
  field.set(user, value.get<std::string>());
  return true;
}

// `{"inc": n}`: how the converter writes an increment.
bool IsIncrement(const Json& value) {
  return value.is_object() && value.size() == 1 && value.contains("inc") &&
         value["inc"].is_number();
}

// `{"add": [...]}`, `{"remove": [...]}` or both: a scalar array change.
bool IsArrayChange(const Json& value) {
  if (!value.is_object() || value.empty()) return false;
  for (const auto& [key, operand] : value.items()) {
    if ((key != "add" && key != "remove") || !operand.is_array()) return false;
  }
  return true;
}

// `{"$add": ...}` and friends: nested object-array operations.
bool IsObjectArrayOperation(const Json& value) {
  return value.is_object() &&
         (value.contains("$add") || value.contains("$update") || value.contains("$remove"));
}

bool ApplyIncrement(const Json& increment, Value* attribute) {
  if (attribute->kind_case() != Value::kNumberValue &&
      attribute->kind_case() != Value::KIND_NOT_SET &&
      attribute->kind_case() != Value::kNullValue) {
    return false;  // Braze refuses to increment a non-number.
  }
  const double before =
      attribute->kind_case() == Value::kNumberValue ? attribute->number_value() : 0;
  attribute->set_number_value(before + increment["inc"].get<double>());
  return true;
}

// Removes first, then adds: the validator never lets one change both add
// and remove a value, so the order only matters for values already there.
bool ApplyArrayChange(const Json& change, Value* attribute) {
  const bool unset =
      attribute->kind_case() == Value::KIND_NOT_SET || attribute->kind_case() == Value::kNullValue;
  if (!unset && attribute->kind_case() != Value::kListValue) return false;
  ListValue list = unset ? ListValue() : attribute->list_value();
  if (auto remove = change.find("remove"); remove != change.end()) {
    for (const Json& json : *remove) {
      Value gone;
      ToValue(json, &gone);
      ListValue kept;
      for (const Value& element : list.values()) {
        if (!SameValue(element, gone)) *kept.add_values() = element;
      }
      list = std::move(kept);
    }
  }
  if (auto add = change.find("add"); add != change.end()) {
    for (const Json& json : *add) {
      Value added;
      ToValue(json, &added);
      bool present = false;
      for (const Value& element : list.values()) present = present || SameValue(element, added);
      if (!present) *list.add_values() = std::move(added);
    }
  }
  *attribute->mutable_list_value() = std::move(list);
  return true;
}

// `_merge_objects: true`: nested objects merge key by key, recursively; a
// null removes the key, any other value replaces it.
void MergeObject(const Json& update, Struct* target) {
  auto& fields = *target->mutable_fields();
  for (const auto& [key, value] : update.items()) {
    if (value.is_null()) {
      fields.erase(key);
    } else if (auto existing = fields.find(key);
               value.is_object() && existing != fields.end() &&
               existing->second.kind_case() == Value::kStructValue) {
      MergeObject(value, existing->second.mutable_struct_value());
    } else {
      ToValue(value, &fields[key]);
    }
  }
}

bool ApplyCustomAttribute(const std::string& key, const Json& value, bool merge_objects,
                          v1::ExportedUser* user) {
  auto& attributes = *user->mutable_custom_attributes()->mutable_fields();
  if (value.is_null()) {
    attributes.erase(key);
    return true;
  }
  if (IsObjectArrayOperation(value)) return false;
  if (IsIncrement(value)) return ApplyIncrement(value, &attributes[key]);
  if (IsArrayChange(value)) {
    const bool was_set = attributes.find(key) != attributes.end();
    const bool applied = ApplyArrayChange(value, &attributes[key]);
    // A removal from an unset attribute leaves it unset.
    if (!was_set && attributes[key].list_value().values_size() == 0) attributes.erase(key);
    return applied;
  }
  if (auto existing = attributes.find(key); value.is_object() && merge_objects &&
                                            existing != attributes.end() &&
                                            existing->second.kind_case() == Value::kStructValue) {
    MergeObject(value, existing->second.mutable_struct_value());
    return true;
  }
  ToValue(value, &attributes[key]);
  return true;
}

// The key the object identifies its user by: the converter writes the
// identifier first (AppendUserRef), so it is the first identifier-like key.
// A later email or phone is the standard field.
std::string IdentifierKey(const Json& object) {
  for (const auto& [key, value] : object.items()) {
    if (IsOnlyIdentifierKey(key) || key == "email" || key == "phone") return key;
  }
  return "";
}

bool ApplyAttributes(const Json& object, v1::ExportedUser* user) {
  const std::string identifier_key = IdentifierKey(object);
  const bool merge_objects =
      object.contains("_merge_objects") && object["_merge_objects"] == Json(true);
  bool all_applied = true;
  for (const auto& [key, value] : object.items()) {
    if (IsOnlyIdentifierKey(key) || IsControlKey(key)) continue;
    if (key == identifier_key) continue;
    if (const ExportedStringField* field = FindExportedStringField(key)) {
      all_applied = ApplyStandardField(*field, value, user) && all_applied;
    } else if (IsUnappliableStandardField(key)) {
      all_applied = false;
    } else if (FindStandardProfileField(key) != nullptr) {
      // Standard, but not exportable: the export never shows it.
    } else {
      all_applied = ApplyCustomAttribute(key, value, merge_objects, user) && all_applied;
    }
  }
  return all_applied;
}

// ---- Events and purchases ----

enum class Occurrence { kAdded, kAlreadyShown, kUnreadable };

// Adds `count` occurrences at `time_json` to the summary called `name`,
// unless the summary's `last` is already at or after it (Braze's export has
// caught up).
Occurrence AddOccurrences(const std::string& name, const Json& time_json, int64_t count,
                          google::protobuf::RepeatedPtrField<v1::ExportedActivity>* summaries) {
  if (!time_json.is_string()) return Occurrence::kUnreadable;
  const std::optional<absl::Time> time = ParseExportTime(time_json.get<std::string>());
  if (!time.has_value()) return Occurrence::kUnreadable;
  const std::string time_text = FormatExportTime(*time);
  for (v1::ExportedActivity& summary : *summaries) {
    if (summary.name() != name) continue;
    const std::optional<absl::Time> last = ParseExportTime(summary.last());
    if (!last.has_value()) return Occurrence::kUnreadable;
    if (*last >= *time) return Occurrence::kAlreadyShown;
    summary.set_count(summary.count() + count);
    summary.set_last(time_text);
    const std::optional<absl::Time> first = ParseExportTime(summary.first());
    if (!first.has_value() || *time < *first) summary.set_first(time_text);
    return Occurrence::kAdded;
  }
  v1::ExportedActivity* summary = summaries->Add();
  summary->set_name(name);
  summary->set_first(time_text);
  summary->set_last(time_text);
  summary->set_count(count);
  return Occurrence::kAdded;
}

bool ApplyEvent(const Json& object, v1::ExportedUser* user) {
  auto name = object.find("name");
  auto time = object.find("time");
  if (name == object.end() || !name->is_string() || time == object.end()) return false;
  return AddOccurrences(name->get<std::string>(), *time, /*count=*/1,
                        user->mutable_custom_events()) != Occurrence::kUnreadable;
}

bool ApplyPurchase(const Json& object, v1::ExportedUser* user) {
  auto product = object.find("product_id");
  auto time = object.find("time");
  if (product == object.end() || !product->is_string() || time == object.end()) return false;
  // Braze records quantity X as X purchases of quantity 1 (braze-api.md
  // §1.6), and revenue as price x quantity.
  int64_t quantity = 1;
  if (auto it = object.find("quantity"); it != object.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1) return false;
    quantity = it->get<int64_t>();
  }
  const Occurrence occurrence =
      AddOccurrences(product->get<std::string>(), *time, quantity, user->mutable_purchases());
  if (occurrence != Occurrence::kAdded) return occurrence == Occurrence::kAlreadyShown;
  // Braze keeps total_revenue in USD; only a USD price adds up without its
  // exchange rate.
  auto currency = object.find("currency");
  auto price = object.find("price");
  if (price == object.end() || !price->is_number()) return true;  // no revenue
  if (currency == object.end() || *currency != kUsd) return false;
  user->set_total_revenue(user->total_revenue() +
                          price->get<double>() * static_cast<double>(quantity));
  return true;
}

}  // namespace

bool ApplyTrackObject(absl::string_view array, const Json& object, v1::ExportedUser* user) {
  if (!object.is_object()) return false;
  if (array == "attributes") return ApplyAttributes(object, user);
  if (array == "events") return ApplyEvent(object, user);
  if (array == "purchases") return ApplyPurchase(object, user);
  return false;
}

}  // namespace brazesync
