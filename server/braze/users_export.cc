// Braze's POST /users/export/ids: the field allow-list, the request, and the
// one mapping from the export's user objects to v1::ExportedUser.
//
// Parsing is lenient per field and strict about the envelope. Braze's export
// has surprised peers before (keys omitted, two created_at formats, a
// coordinate order that contradicts its docs), so a user key whose value has
// an unexpected type is not an error: the raw value goes to other_fields
// under its own key, the typed field stays unset, and the rest of the user is
// still usable. Only a body that is not the export shape at all (not JSON,
// `users` not an array, a user not an object) fails, because then nothing in
// it can be trusted to match the identifiers asked for.
#include "server/braze/users_export.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "server/braze/json.h"
#include "server/braze/users_track.h"

namespace brazesync {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using RawJson = nlohmann::json;

constexpr absl::string_view kCanvasesReceived = "canvases_received";
constexpr absl::string_view kCampaignsReceived = "campaigns_received";

// ---- JSON to google.protobuf.Struct ----

void JsonToValue(const RawJson& json, Value* value);

void JsonToStruct(const RawJson& object, Struct* out) {
  for (const auto& [key, element] : object.items()) {
    JsonToValue(element, &(*out->mutable_fields())[key]);
  }
}

void JsonToValue(const RawJson& json, Value* value) {
  switch (json.type()) {
    case RawJson::value_t::string:
      value->set_string_value(json.get<std::string>());
      return;
    case RawJson::value_t::boolean:
      value->set_bool_value(json.get<bool>());
      return;
    case RawJson::value_t::number_integer:
    case RawJson::value_t::number_unsigned:
    case RawJson::value_t::number_float:
      value->set_number_value(json.get<double>());
      return;
    case RawJson::value_t::object:
      JsonToStruct(json, value->mutable_struct_value());
      return;
    case RawJson::value_t::array:
      for (const RawJson& element : json) {
        JsonToValue(element, value->mutable_list_value()->add_values());
      }
      return;
    case RawJson::value_t::null:
    case RawJson::value_t::binary:
    case RawJson::value_t::discarded:
      value->set_null_value(google::protobuf::NULL_VALUE);
      return;
  }
}

// ---- Typed readers: nullopt when the JSON has another type ----

std::optional<std::string> AsString(const RawJson& json) {
  if (!json.is_string()) return std::nullopt;
  return json.get<std::string>();
}

std::optional<bool> AsBool(const RawJson& json) {
  if (!json.is_boolean()) return std::nullopt;
  return json.get<bool>();
}

std::optional<double> AsNumber(const RawJson& json) {
  if (!json.is_number()) return std::nullopt;
  return json.get<double>();
}

// An integer, also when Braze writes it as a float with no fraction (2365.0).
std::optional<int64_t> AsInteger(const RawJson& json) {
  if (json.is_number_integer()) return json.get<int64_t>();
  if (json.is_number_unsigned()) {
    const uint64_t value = json.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  if (json.is_number_float()) {
    const double value = json.get<double>();
    // 2^63 is exactly a double; anything at or beyond it does not fit.
    constexpr double kInt64Bound = 9223372036854775808.0;
    if (std::trunc(value) == value && value >= -kInt64Bound && value < kInt64Bound) {
      return static_cast<int64_t>(value);
    }
  }
  return std::nullopt;
}

// Reads the members of a sub-object (a device, a push token, an app, an
// activity). A member that is null or absent stays unset; one of the wrong
// type makes the whole sub-object unreadable (`ok` false). Members the proto
// does not model are dropped: the sub-messages have no place for them.
class MemberReader final {
 public:
  explicit MemberReader(const RawJson& object) : object_(object) {}

  bool ok() const { return ok_; }

  template <typename Setter>
  void String(const char* key, Setter set) {
    Read(key, AsString, set);
  }
  template <typename Setter>
  void Bool(const char* key, Setter set) {
    Read(key, AsBool, set);
  }
  template <typename Setter>
  void Integer(const char* key, Setter set) {
    Read(key, AsInteger, set);
  }

 private:
  template <typename Reader, typename Setter>
  void Read(const char* key, Reader read, Setter set) {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return;
    auto value = read(*it);
    if (!value.has_value()) {
      ok_ = false;
      return;
    }
    set(*std::move(value));
  }

  const RawJson& object_;
  bool ok_ = true;
};

// Each element of `array` read by `read_one` into a new element of `out`;
// false (and `out` cleared) when `array` is not an array of objects or an
// element is unreadable.
template <typename Repeated, typename ReadOne>
bool ReadObjectArray(const RawJson& array, Repeated* out, ReadOne read_one) {
  if (!array.is_array()) return false;
  for (const RawJson& element : array) {
    if (!element.is_object()) {
      out->Clear();
      return false;
    }
    MemberReader reader(element);
    read_one(reader, out->Add());
    if (!reader.ok()) {
      out->Clear();
      return false;
    }
  }
  return true;
}

void ReadAlias(MemberReader& reader, v1::UserAlias* alias) {
  reader.String("alias_name", [&](std::string v) { alias->set_alias_name(std::move(v)); });
  reader.String("alias_label", [&](std::string v) { alias->set_alias_label(std::move(v)); });
}

void ReadActivity(MemberReader& reader, v1::ExportedActivity* activity) {
  reader.String("name", [&](std::string v) { activity->set_name(std::move(v)); });
  reader.String("first", [&](std::string v) { activity->set_first(std::move(v)); });
  reader.String("last", [&](std::string v) { activity->set_last(std::move(v)); });
  reader.Integer("count", [&](int64_t v) { activity->set_count(v); });
}

void ReadDevice(MemberReader& reader, v1::ExportedDevice* device) {
  reader.String("model", [&](std::string v) { device->set_model(std::move(v)); });
  reader.String("os", [&](std::string v) { device->set_os(std::move(v)); });
  reader.String("carrier", [&](std::string v) { device->set_carrier(std::move(v)); });
  reader.String("device_id", [&](std::string v) { device->set_device_id(std::move(v)); });
  reader.String("idfv", [&](std::string v) { device->set_idfv(std::move(v)); });
  reader.String("idfa", [&](std::string v) { device->set_idfa(std::move(v)); });
  reader.String("google_ad_id", [&](std::string v) { device->set_google_ad_id(std::move(v)); });
  reader.String("roku_ad_id", [&](std::string v) { device->set_roku_ad_id(std::move(v)); });
  reader.Bool("ad_tracking_enabled", [&](bool v) { device->set_ad_tracking_enabled(v); });
}

void ReadPushToken(MemberReader& reader, v1::ExportedPushToken* token) {
  reader.String("app", [&](std::string v) { token->set_app(std::move(v)); });
  reader.String("platform", [&](std::string v) { token->set_platform(std::move(v)); });
  reader.String("token", [&](std::string v) { token->set_token(std::move(v)); });
  reader.String("device_id", [&](std::string v) { token->set_device_id(std::move(v)); });
  reader.Bool("notifications_enabled", [&](bool v) { token->set_notifications_enabled(v); });
}

void ReadApp(MemberReader& reader, v1::ExportedApp* app) {
  reader.String("name", [&](std::string v) { app->set_name(std::move(v)); });
  reader.String("platform", [&](std::string v) { app->set_platform(std::move(v)); });
  reader.String("version", [&](std::string v) { app->set_version(std::move(v)); });
  reader.Integer("sessions", [&](int64_t v) { app->set_sessions(v); });
  reader.String("first_used", [&](std::string v) { app->set_first_used(std::move(v)); });
  reader.String("last_used", [&](std::string v) { app->set_last_used(std::move(v)); });
}

// The ExportedUser string fields, by Braze's key (which is also the proto
// field name).
using StringSetter = void (*)(v1::ExportedUser*, std::string);

#define BRAZESYNC_STRING_FIELD(name)                                                              \
  {                                                                                               \
#name, [](v1::ExportedUser * user, std::string value) { user->set_##name(std::move(value)); } \
  }

struct StringField {
  absl::string_view key;
  StringSetter set;
};

const StringField kStringFields[] = {
    BRAZESYNC_STRING_FIELD(external_id),
    BRAZESYNC_STRING_FIELD(braze_id),
    BRAZESYNC_STRING_FIELD(created_at),
    BRAZESYNC_STRING_FIELD(first_name),
    BRAZESYNC_STRING_FIELD(last_name),
    BRAZESYNC_STRING_FIELD(email),
    BRAZESYNC_STRING_FIELD(dob),
    BRAZESYNC_STRING_FIELD(home_city),
    BRAZESYNC_STRING_FIELD(country),
    BRAZESYNC_STRING_FIELD(phone),
    BRAZESYNC_STRING_FIELD(language),
    BRAZESYNC_STRING_FIELD(time_zone),
    BRAZESYNC_STRING_FIELD(gender),
    BRAZESYNC_STRING_FIELD(attributed_campaign),
    BRAZESYNC_STRING_FIELD(attributed_source),
    BRAZESYNC_STRING_FIELD(attributed_adgroup),
    BRAZESYNC_STRING_FIELD(attributed_ad),
    BRAZESYNC_STRING_FIELD(push_subscribe),
    BRAZESYNC_STRING_FIELD(email_subscribe),
    BRAZESYNC_STRING_FIELD(uninstalled_at),
};

#undef BRAZESYNC_STRING_FIELD

const StringField* FindStringField(absl::string_view key) {
  for (const StringField& field : kStringFields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

// Reads one key of a user into its typed field. False when the key is not
// modelled or its value has a type the field cannot hold; the caller then
// keeps the raw value in other_fields.
bool ReadModelledField(const std::string& key, const RawJson& value, v1::ExportedUser* user) {
  if (const StringField* field = FindStringField(key)) {
    if (!value.is_string()) return false;
    field->set(user, value.get<std::string>());
    return true;
  }
  if (key == "user_aliases") {
    return ReadObjectArray(value, user->mutable_user_aliases(), ReadAlias);
  }
  if (key == "last_coordinates") {
    if (!value.is_array()) return false;
    for (const RawJson& coordinate : value) {
      if (!coordinate.is_number()) {
        user->clear_last_coordinates();
        return false;
      }
      user->add_last_coordinates(coordinate.get<double>());
    }
    return true;
  }
  if (key == "total_revenue") {
    const std::optional<double> revenue = AsNumber(value);
    if (revenue.has_value()) user->set_total_revenue(*revenue);
    return revenue.has_value();
  }
  if (key == "random_bucket") {
    const std::optional<int64_t> bucket = AsInteger(value);
    if (bucket.has_value()) user->set_random_bucket(*bucket);
    return bucket.has_value();
  }
  if (key == "custom_attributes") {
    if (!value.is_object()) return false;
    JsonToStruct(value, user->mutable_custom_attributes());
    return true;
  }
  if (key == "custom_events") {
    return ReadObjectArray(value, user->mutable_custom_events(), ReadActivity);
  }
  if (key == "purchases") return ReadObjectArray(value, user->mutable_purchases(), ReadActivity);
  if (key == "devices") return ReadObjectArray(value, user->mutable_devices(), ReadDevice);
  if (key == "push_tokens") {
    return ReadObjectArray(value, user->mutable_push_tokens(), ReadPushToken);
  }
  if (key == "apps") return ReadObjectArray(value, user->mutable_apps(), ReadApp);
  return false;
}

v1::ExportedUser ParseUser(const RawJson& object) {
  v1::ExportedUser user;
  for (const auto& [key, value] : object.items()) {
    // Braze documents a missing key as null or empty: null leaves the field
    // unset too (never "" or 0), whether or not BrazeSync models the key.
    if (value.is_null()) continue;
    if (!ReadModelledField(key, value, &user)) {
      JsonToValue(value, &(*user.mutable_other_fields()->mutable_fields())[key]);
    }
  }
  return user;
}

const absl::flat_hash_set<absl::string_view>& ExportFieldSet() {
  static const auto* const kFields = new absl::flat_hash_set<absl::string_view>{
      "apps",
      "attributed_campaign",
      "attributed_source",
      "attributed_adgroup",
      "attributed_ad",
      "braze_id",
      kCampaignsReceived,
      kCanvasesReceived,
      "cards_clicked",
      "country",
      "created_at",
      "custom_attributes",
      "custom_events",
      "devices",
      "dob",
      "email",
      "email_subscribe",
      "external_id",
      "first_name",
      "gender",
      "home_city",
      "language",
      "last_coordinates",
      "last_name",
      "phone",
      "purchases",
      "push_subscribe",
      "push_tokens",
      "random_bucket",
      "time_zone",
      "total_revenue",
      "uninstalled_at",
      "user_aliases",
  };
  return *kFields;
}

}  // namespace

bool IsExportField(absl::string_view field) { return ExportFieldSet().contains(field); }

bool IsReceivedField(absl::string_view field) {
  return field == kCanvasesReceived || field == kCampaignsReceived;
}

bool QualifiesForFastExport(const std::vector<std::string>& fields) {
  if (fields.empty()) return false;  // Braze then exports everything: slow.
  for (const std::string& field : fields) {
    if (IsReceivedField(field)) return false;
  }
  return true;
}

const std::vector<std::string>& IdentifyingExportFields() {
  static const auto* const kFields =
      new std::vector<std::string>{"external_id", "user_aliases", "braze_id"};
  return *kFields;
}

const std::vector<std::string>& DefaultExportFields() {
  static const auto* const kFields = new std::vector<std::string>{
      "external_id", "user_aliases", "braze_id", "first_name", "last_name",
      "email",       "phone",        "country",  "language",   "custom_attributes"};
  return *kFields;
}

std::string UsersExportBody(const ExportQuery& query) {
  Json body = Json::object();
  if (!query.external_ids.empty()) body["external_ids"] = query.external_ids;
  if (!query.user_aliases.empty()) {
    Json aliases = Json::array();
    for (const v1::UserAlias& alias : query.user_aliases) {
      aliases.push_back(
          Json{{"alias_name", alias.alias_name()}, {"alias_label", alias.alias_label()}});
    }
    body["user_aliases"] = std::move(aliases);
  }
  if (!query.email_address.empty()) body["email_address"] = query.email_address;
  if (!query.phone.empty()) body["phone"] = query.phone;
  if (!query.braze_id.empty()) body["braze_id"] = query.braze_id;
  if (!query.device_id.empty()) body["device_id"] = query.device_id;
  if (!query.fields_to_export.empty()) body["fields_to_export"] = query.fields_to_export;
  return body.dump();
}

HttpRequest MakeUsersExportRequest(absl::string_view endpoint, absl::string_view api_key,
                                   std::string body, absl::Duration timeout) {
  return MakeBrazePostRequest(endpoint, "/users/export/ids", api_key, std::move(body), timeout);
}

void KeepExportFields(const std::vector<std::string>& fields, v1::ExportedUser* user) {
  const google::protobuf::Descriptor* descriptor = user->GetDescriptor();
  const google::protobuf::Reflection* reflection = user->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->name() == "other_fields") continue;
    if (std::find(fields.begin(), fields.end(), field->name()) == fields.end()) {
      reflection->ClearField(user, field);
    }
  }
}

std::optional<absl::Time> ParseExportTime(absl::string_view text) {
  // RFC 3339 with "T" or "t" (absl reads "Z" and numeric offsets), then the
  // sample's "YYYY-MM-DD HH:MM:SS.fff UTC", then ISO 8601 with a space.
  static constexpr const char* kFormats[] = {
      "%Y-%m-%d%ET%H:%M:%E*S%Ez",
      "%Y-%m-%d %H:%M:%E*S UTC",
      "%Y-%m-%d %H:%M:%E*S%Ez",
  };
  const std::string owned(text);
  for (const char* format : kFormats) {
    absl::Time time;
    if (absl::ParseTime(format, owned, absl::UTCTimeZone(), &time, /*err=*/nullptr)) return time;
  }
  return std::nullopt;
}

std::string FormatExportTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<ExportAnswer> ParseUsersExportBody(absl::string_view body) {
  const RawJson json = RawJson::parse(body.begin(), body.end(), /*cb=*/nullptr,
                                      /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("Braze's /users/export/ids answer is not JSON");
  }
  if (!json.is_object()) {
    return absl::InternalError("Braze's /users/export/ids answer is not a JSON object");
  }
  ExportAnswer answer;
  // `users` "may be empty if no users are found"; an absent or null one is
  // read the same way.
  if (auto users = json.find("users"); users != json.end() && !users->is_null()) {
    if (!users->is_array()) {
      return absl::InternalError(
          absl::StrCat("Braze's /users/export/ids answer has `users` of JSON type ",
                       users->type_name(), ", not an array"));
    }
    for (size_t i = 0; i < users->size(); ++i) {
      const RawJson& user = (*users)[i];
      if (!user.is_object()) {
        return absl::InternalError(absl::StrCat("Braze's /users/export/ids answer has users[", i,
                                                "] of JSON type ", user.type_name(),
                                                ", not an object"));
      }
      answer.users.push_back(ParseUser(user));
    }
  }
  if (auto invalid = json.find("invalid_user_ids"); invalid != json.end() && !invalid->is_null()) {
    if (!invalid->is_array()) {
      return absl::InternalError(
          absl::StrCat("Braze's /users/export/ids answer has `invalid_user_ids` of JSON type ",
                       invalid->type_name(), ", not an array"));
    }
    // Copied verbatim (the lookup passes them on); how Braze writes an
    // unknown alias here is undocumented, so a non-string entry is kept as
    // its JSON text rather than dropped.
    for (const RawJson& id : *invalid) {
      answer.invalid_user_ids.push_back(id.is_string() ? id.get<std::string>() : id.dump());
    }
  }
  return answer;
}

}  // namespace brazesync
