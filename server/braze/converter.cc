// Conversion of validated BrazeSync items to Braze /users/track JSON objects.
#include "server/braze/converter.h"

#include <cmath>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "server/braze/profile_fields.h"

namespace brazesync {
namespace {

// 2^53: every integer up to it is exactly a double, so it is written exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;

absl::Time ToAbslTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

// Event and purchase time: the caller's time, else receipt time; never later
// than now.
std::string ItemTime(bool has_time, const google::protobuf::Timestamp& time, absl::Time received,
                     absl::Time now) {
  absl::Time t = has_time ? ToAbslTime(time) : received;
  return FormatBrazeTime(std::min(t, now));
}

// Braze stores an array attribute as a unique set, so a duplicate would be
// an alteration (docs/braze-rules.md): each value is sent once, at its first
// occurrence.
template <typename Strings>
Json UniqueStrings(const Strings& values) {
  Json array = Json::array();
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& value : values) {
    if (seen.insert(value).second) array.push_back(value);
  }
  return array;
}

Json StringListToJson(const v1::StringList& list) { return UniqueStrings(list.values()); }

Json ArrayChangeToJson(const v1::StringListChange& change) {
  Json out = Json::object();
  if (change.add_size() > 0) out["add"] = UniqueStrings(change.add());
  if (change.remove_size() > 0) out["remove"] = UniqueStrings(change.remove());
  return out;
}

Json ObjectArrayMatchToJson(const std::string& key, const google::protobuf::Value& value) {
  return Json{{"$identifier_key", key}, {"$identifier_value", ValueToJson(value)}};
}

Json OperationToJson(const v1::ObjectArrayOperation& operation) {
  Json list = Json::array();
  switch (operation.operation_case()) {
    case v1::ObjectArrayOperation::kAdd:
      for (const auto& object : operation.add().objects()) list.push_back(StructToJson(object));
      return Json{{"$add", std::move(list)}};
    case v1::ObjectArrayOperation::kRemove:
      for (const auto& match : operation.remove().matches()) {
        list.push_back(ObjectArrayMatchToJson(match.identifier_key(), match.identifier_value()));
      }
      return Json{{"$remove", std::move(list)}};
    case v1::ObjectArrayOperation::kUpdate:
      for (const auto& update : operation.update().updates()) {
        Json entry = ObjectArrayMatchToJson(update.identifier_key(), update.identifier_value());
        entry["$new_object"] = StructToJson(update.new_object());
        list.push_back(std::move(entry));
      }
      return Json{{"$update", std::move(list)}};
    case v1::ObjectArrayOperation::OPERATION_NOT_SET:
      break;
  }
  return Json::object();
}

Json AttributeValueToJson(const v1::AttributeValue& value) {
  switch (value.value_case()) {
    case v1::AttributeValue::kStringValue:
      return value.string_value();
    case v1::AttributeValue::kIntValue:
      return value.int_value();
    case v1::AttributeValue::kDoubleValue:
      return value.double_value();
    case v1::AttributeValue::kBoolValue:
      return value.bool_value();
    case v1::AttributeValue::kTimeValue:
      return FormatBrazeTime(value.time_value());
    case v1::AttributeValue::kArrayValue:
      return StringListToJson(value.array_value());
    case v1::AttributeValue::kObjectValue:
      return StructToJson(value.object_value());
    case v1::AttributeValue::kIncrement:
      return Json{{"inc", value.increment()}};
    case v1::AttributeValue::kAdd:
      return Json{{"add", StringListToJson(value.add())}};
    case v1::AttributeValue::kRemove:
      return Json{{"remove", StringListToJson(value.remove())}};
    case v1::AttributeValue::kObjectArrayValue: {
      Json array = Json::array();
      for (const auto& element : value.object_array_value().values()) {
        array.push_back(ValueToJson(element));
      }
      return array;
    }
    case v1::AttributeValue::kObjectArrayOperation:
      return OperationToJson(value.object_array_operation());
    case v1::AttributeValue::kArrayChange:
      return ArrayChangeToJson(value.array_change());
    case v1::AttributeValue::kNullValue:
    case v1::AttributeValue::VALUE_NOT_SET:
      return nullptr;
  }
  return nullptr;
}

void AppendUpdateExistingOnly(bool has, bool value, Json* object) {
  if (has) (*object)["_update_existing_only"] = value;
}

}  // namespace

std::string FormatBrazeTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string FormatBrazeTime(const google::protobuf::Timestamp& timestamp) {
  return FormatBrazeTime(ToAbslTime(timestamp));
}

Json ObjectArrayOperationToJson(const v1::ObjectArrayOperation& operation) {
  return OperationToJson(operation);
}

Json NumberToJson(double number) {
  if (std::isfinite(number) && std::trunc(number) == number &&
      std::fabs(number) <= kMaxExactInteger) {
    return static_cast<int64_t>(number);
  }
  return number;  // nlohmann writes non-finite numbers as null
}

Json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return NumberToJson(value.number_value());
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      Json array = Json::array();
      for (const auto& element : value.list_value().values()) array.push_back(ValueToJson(element));
      return array;
    }
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      return nullptr;
  }
  return nullptr;
}

Json StructToJson(const google::protobuf::Struct& fields) {
  // Protobuf map iteration order is unspecified; sort for stable output.
  std::map<std::string, const google::protobuf::Value*> sorted;
  for (const auto& [key, value] : fields.fields()) sorted.emplace(key, &value);
  Json object = Json::object();
  for (const auto& [key, value] : sorted) object[key] = ValueToJson(*value);
  return object;
}

void AppendUserRef(const v1::UserRef& user, Json* object) {
  switch (user.id_case()) {
    case v1::UserRef::kExternalId:
      (*object)["external_id"] = user.external_id();
      break;
    case v1::UserRef::kUserAlias:
      (*object)["user_alias"] = Json{{"alias_name", user.user_alias().alias_name()},
                                     {"alias_label", user.user_alias().alias_label()}};
      break;
    case v1::UserRef::kBrazeId:
      (*object)["braze_id"] = user.braze_id();
      break;
    case v1::UserRef::kEmail:
      (*object)["email"] = user.email();
      break;
    case v1::UserRef::kPhone:
      (*object)["phone"] = user.phone();
      break;
    case v1::UserRef::ID_NOT_SET:
      break;
  }
}

Json ProfileToBraze(const v1::UserProfile& profile) {
  Json out = Json::object();
  AppendUserRef(profile.user(), &out);
  AppendUpdateExistingOnly(profile.has_update_existing_only(), profile.update_existing_only(),
                           &out);
  if (profile.has_merge_objects()) out["_merge_objects"] = profile.merge_objects();
  if (profile.push_token_import()) out["push_token_import"] = true;
  for (const ProfileField& field : StandardProfileFields()) {
    if (field.is_set(profile)) field.write_json(profile, &out);
  }
  for (const std::string& field : profile.clear_fields()) out[field] = nullptr;
  std::map<std::string, const v1::AttributeValue*> custom;
  for (const auto& [key, value] : profile.custom_attributes()) custom.emplace(key, &value);
  for (const auto& [key, value] : custom) out[key] = AttributeValueToJson(*value);
  return out;
}

Json EventToBraze(const v1::Event& event, absl::Time received, absl::Time now) {
  Json out = Json::object();
  AppendUserRef(event.user(), &out);
  if (!event.app_id().empty()) out["app_id"] = event.app_id();
  out["name"] = event.name();
  out["time"] = ItemTime(event.has_time(), event.time(), received, now);
  if (event.has_properties()) out["properties"] = StructToJson(event.properties());
  AppendUpdateExistingOnly(event.has_update_existing_only(), event.update_existing_only(), &out);
  return out;
}

Json PurchaseToBraze(const v1::Purchase& purchase, absl::Time received, absl::Time now) {
  Json out = Json::object();
  AppendUserRef(purchase.user(), &out);
  if (!purchase.app_id().empty()) out["app_id"] = purchase.app_id();
  out["product_id"] = purchase.product_id();
  out["currency"] = absl::AsciiStrToUpper(purchase.currency());
  if (purchase.has_price()) out["price"] = purchase.price();
  if (purchase.has_quantity()) out["quantity"] = purchase.quantity();
  out["time"] = ItemTime(purchase.has_time(), purchase.time(), received, now);
  if (purchase.has_properties()) out["properties"] = StructToJson(purchase.properties());
  AppendUpdateExistingOnly(purchase.has_update_existing_only(), purchase.update_existing_only(),
                           &out);
  return out;
}

}  // namespace brazesync
