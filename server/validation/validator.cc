// Implementation of the BrazeSync item validator; see validator.h for the
// contract and the violation path syntax, and shared/reference/braze-api.md
// §1.3-1.9 and §7 for where each rule comes from.
//
// The validator is the only gate between callers and Braze: the converter
// assumes valid input and Braze answers many mistakes by silently dropping or
// wiping data (an unmappable country sets it to NULL, a bad nested "$time"
// drops every nested update in the request). So every rule here is checked
// up front, and every broken rule is reported, not only the first.
#include "server/validation/validator.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/validation/field_syntax.h"
#include "server/validation/reference_data.h"

namespace brazesync {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Timestamp;
using google::protobuf::Value;

// Braze's limits (braze-api.md §1.3-1.9).
constexpr size_t kMaxExternalIdBytes = 987;
constexpr size_t kMaxAliasPartBytes = 236;
constexpr size_t kMaxChars = 255;           // Braze's general string/key limit.
constexpr size_t kMaxItemIdBytes = 255;     // Our own event_id / purchase_id cap.
constexpr size_t kMaxNestedBytes = 102400;  // Arrays, objects, event properties.
constexpr size_t kMaxPurchasePropertiesBytes = 51200;
constexpr int kMaxPropertyKeys = 256;
constexpr int kMinQuantity = 1;
constexpr int kMaxQuantity = 100;
// google.protobuf.Timestamp's own lower bound, 0001-01-01T00:00:00Z, and
// Braze's upper bound, the last second of year 3000: later times are stored
// as strings, so time filters would silently stop working.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 32535215999;
constexpr int32_t kMaxNanos = 999999999;
// Longest caller value quoted back in a description.
constexpr size_t kMaxQuotedBytes = 40;

// ---------------------------------------------------------------------------
// Paths and descriptions.

void Add(FieldViolations* out, std::string field, std::string description) {
  v1::FieldViolation& violation = out->emplace_back();
  violation.set_field(std::move(field));
  violation.set_description(std::move(description));
}

// `path.name`, or `name` at the request root.
std::string Field(const std::string& path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

std::string Index(const std::string& path, int index) {
  return absl::StrCat(path, "[", index, "]");
}

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

// Proto map entries always use the bracket form: custom_attributes["k"].
std::string MapEntry(const std::string& path, absl::string_view key) {
  return absl::StrCat(path, "[", Quote(key), "]");
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

// Struct fields read like JSON: properties.$price, but properties["a.b"].
std::string StructField(const std::string& path, absl::string_view key) {
  return IsPlainKey(key) ? Field(path, key) : MapEntry(path, key);
}

// ` (got "value")`, shortened (at a UTF-8 boundary) so a huge input cannot
// flood logs.
std::string Got(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat(" (got ", Quote(value), ")");
  size_t end = kMaxQuotedBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(" (got ", Quote(value.substr(0, end)), "...)");
}

// Braze counts "characters"; for valid UTF-8 (proto3 strings are) that is the
// number of bytes that do not continue a multi-byte sequence.
size_t Utf8Chars(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// Each Check* adds at most one violation and returns whether the value passed.
bool CheckMaxChars(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out) {
  const size_t chars = Utf8Chars(value);
  if (chars <= max) return true;
  Add(out, path, absl::StrFormat("must be at most %d characters (got %d)", max, chars));
  return false;
}

bool CheckMaxBytes(absl::string_view value, size_t max, const std::string& path,
                   FieldViolations* out) {
  if (value.size() <= max) return true;
  Add(out, path, absl::StrFormat("must be at most %d bytes (got %d)", max, value.size()));
  return false;
}

bool CheckRequired(absl::string_view value, const std::string& path, FieldViolations* out) {
  if (!value.empty()) return true;
  Add(out, path, "required: must not be empty");
  return false;
}

bool CheckFinite(double value, const std::string& path, FieldViolations* out) {
  if (std::isfinite(value)) return true;
  Add(out, path, "must be a finite number");
  return false;
}

void CheckTimestamp(const Timestamp& time, const std::string& path, FieldViolations* out) {
  if (time.nanos() < 0 || time.nanos() > kMaxNanos) {
    Add(out, path, absl::StrFormat("must have nanos in 0..999999999 (got %d)", time.nanos()));
  } else if (time.seconds() < kMinTimestampSeconds) {
    Add(out, path, "must be a valid time at or after 0001-01-01T00:00:00Z");
  } else if (time.seconds() > kMaxTimestampSeconds) {
    Add(out, path, "must be in year 3000 or earlier (Braze stores later times as strings)");
  }
}

// ---------------------------------------------------------------------------
// JSON size estimates. Braze's size caps are on the JSON text, so count what
// the converter will emit (compact JSON, UTF-8 unescaped) rather than the
// proto wire size, which is smaller for numbers and larger for nothing.

size_t JsonStringSize(absl::string_view text) {
  size_t size = 2;  // quotes
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      size += 2;
    } else if (byte < 0x20) {
      size += 6;  // \u00XX
    } else {
      ++size;
    }
  }
  return size;
}

size_t JsonNumberSize(double number) {
  // Integral values within ±2^53 are written as integers, others with at most
  // 17 significant digits (an upper bound of the shortest round-trip form).
  if (std::trunc(number) == number && std::fabs(number) < 9007199254740992.0) {
    return absl::StrFormat("%.0f", number).size();
  }
  return absl::StrFormat("%.17g", number).size();
}

size_t JsonSize(const Value& value);

size_t JsonSize(const Struct& object) {
  size_t size = 2 + (object.fields().empty() ? 0 : object.fields().size() - 1);  // {} and commas
  for (const auto& [key, value] : object.fields()) {
    size += JsonStringSize(key) + 1 + JsonSize(value);  // "key":value
  }
  return size;
}

size_t JsonSize(const ListValue& list) {
  size_t size = 2 + (list.values().empty() ? 0 : list.values().size() - 1);  // [] and commas
  for (const Value& element : list.values()) size += JsonSize(element);
  return size;
}

size_t JsonSize(const Value& value) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      return JsonNumberSize(value.number_value());
    case Value::kStringValue:
      return JsonStringSize(value.string_value());
    case Value::kBoolValue:
      return value.bool_value() ? 4 : 5;
    case Value::kStructValue:
      return JsonSize(value.struct_value());
    case Value::kListValue:
      return JsonSize(value.list_value());
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      return 4;  // null
  }
  return 4;
}

size_t JsonSize(const v1::StringList& list) {
  size_t size = 2 + (list.values().empty() ? 0 : list.values().size() - 1);
  for (const std::string& element : list.values()) size += JsonStringSize(element);
  return size;
}

bool CheckJsonSize(size_t size, size_t max, const std::string& path, FieldViolations* out) {
  if (size <= max) return true;
  Add(out, path, absl::StrFormat("must be at most %d bytes as JSON (got %d)", max, size));
  return false;
}

// Struct keys in a stable order, so violations come out in the same order on
// every run (proto maps iterate in unspecified order).
template <typename Map>
std::vector<const typename Map::value_type*> SortedEntries(const Map& map) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

// ---------------------------------------------------------------------------
// Free-form JSON values: event/purchase properties and nested custom
// attributes. Both share the value rules (set, finite, strings <= 255
// characters) and differ in which object keys are allowed.

enum class KeyPolicy {
  // Event and purchase properties: non-empty, <= 255 characters, no leading
  // "$" (at every depth; reserved names are checked at the top by the caller).
  kProperty,
  // Nested custom attributes: also no ".", no spaces and no "$" anywhere,
  // except the {"$time": "<ISO 8601>"} date wrapper.
  kNestedAttribute,
};

class JsonValueChecker {
 public:
  JsonValueChecker(KeyPolicy policy, FieldViolations* out) : policy_(policy), out_(out) {}

  void CheckStruct(const Struct& object, const std::string& path) {
    if (policy_ == KeyPolicy::kNestedAttribute && object.fields().count("$time") > 0) {
      CheckTimeWrapper(object, path);
      return;
    }
    for (const auto* entry : SortedEntries(object.fields())) {
      const std::string key_path = StructField(path, entry->first);
      CheckKey(entry->first, key_path);
      CheckValue(entry->second, key_path);
    }
  }

  void CheckValue(const Value& value, const std::string& path) {
    switch (value.kind_case()) {
      case Value::KIND_NOT_SET:
        Add(out_, path, "value must be set (null, number, string, bool, object or list)");
        break;
      case Value::kNumberValue:
        CheckFinite(value.number_value(), path, out_);
        break;
      case Value::kStringValue:
        CheckMaxChars(value.string_value(), kMaxChars, path, out_);
        break;
      case Value::kStructValue:
        CheckStruct(value.struct_value(), path);
        break;
      case Value::kListValue:
        for (int i = 0; i < value.list_value().values_size(); ++i) {
          CheckValue(value.list_value().values(i), Index(path, i));
        }
        break;
      case Value::kNullValue:
      case Value::kBoolValue:
        break;
    }
  }

 private:
  void CheckKey(absl::string_view key, const std::string& path) {
    if (key.empty()) {
      Add(out_, path, "key must not be empty");
    } else if (Utf8Chars(key) > kMaxChars) {
      Add(out_, path,
          absl::StrFormat("key must be at most %d characters (got %d)", kMaxChars, Utf8Chars(key)));
    } else if (policy_ == KeyPolicy::kProperty) {
      if (key[0] == '$') Add(out_, path, "key must not start with \"$\"");
    } else if (absl::StrContains(key, '$')) {
      Add(out_, path, "key must not contain \"$\" (only a {\"$time\": ...} date object may)");
    } else if (absl::StrContains(key, '.')) {
      Add(out_, path, "key must not contain \".\"");
    } else if (std::any_of(key.begin(), key.end(), [](char c) {
                 return absl::ascii_isspace(static_cast<unsigned char>(c));
               })) {
      Add(out_, path, "key must not contain spaces");
    }
  }

  // {"$time": "2024-05-01T12:34:56Z"} is how nested attributes carry dates.
  // A bad one makes Braze drop every nested update in the request (§6 #51).
  void CheckTimeWrapper(const Struct& object, const std::string& path) {
    if (object.fields().size() != 1) {
      Add(out_, path, "a {\"$time\": ...} date object must have no other keys");
      return;
    }
    const Value& time = object.fields().at("$time");
    const std::string time_path = Field(path, "$time");
    if (time.kind_case() != Value::kStringValue) {
      Add(out_, time_path, "must be a string date such as \"2024-05-01T12:34:56Z\"");
    } else if (!IsIso8601DateTime(time.string_value())) {
      Add(out_, time_path,
          "must be an ISO 8601 date or date-time such as \"2024-05-01T12:34:56Z\" in year 3000 "
          "or earlier" +
              Got(time.string_value()));
    }
  }

  KeyPolicy policy_;
  FieldViolations* out_;
};

// Event and purchase `properties`.
struct PropertyRules {
  size_t max_bytes;
  std::vector<absl::string_view> reserved_keys;
};

const PropertyRules& EventPropertyRules() {
  static const auto* rules = new PropertyRules{kMaxNestedBytes, {"event_name", "time"}};
  return *rules;
}

const PropertyRules& PurchasePropertyRules() {
  static const auto* rules =
      new PropertyRules{kMaxPurchasePropertiesBytes,
                        {"currency", "event_name", "price", "product_id", "quantity", "time"}};
  return *rules;
}

void CheckProperties(const Struct& properties, const PropertyRules& rules, const std::string& path,
                     FieldViolations* out) {
  if (properties.fields_size() > kMaxPropertyKeys) {
    Add(out, path,
        absl::StrFormat("must have at most %d keys (got %d)", kMaxPropertyKeys,
                        properties.fields_size()));
  }
  CheckJsonSize(JsonSize(properties), rules.max_bytes, path, out);
  for (const auto* entry : SortedEntries(properties.fields())) {
    const auto& reserved = rules.reserved_keys;
    if (std::find(reserved.begin(), reserved.end(), entry->first) != reserved.end()) {
      Add(out, StructField(path, entry->first),
          absl::StrCat("key is reserved by Braze (reserved: ", absl::StrJoin(reserved, ", "), ")"));
    }
  }
  JsonValueChecker(KeyPolicy::kProperty, out).CheckStruct(properties, path);
}

// ---------------------------------------------------------------------------
// Shared item parts.

void CheckUserAlias(const v1::UserAlias& alias, const std::string& path, FieldViolations* out) {
  const std::string name_path = Field(path, "alias_name");
  const std::string label_path = Field(path, "alias_label");
  if (CheckRequired(alias.alias_name(), name_path, out)) {
    CheckMaxBytes(alias.alias_name(), kMaxAliasPartBytes, name_path, out);
  }
  if (CheckRequired(alias.alias_label(), label_path, out)) {
    CheckMaxBytes(alias.alias_label(), kMaxAliasPartBytes, label_path, out);
  }
}

// `path` is the UserRef's own path, e.g. "events[0].user". The oneof already
// guarantees at most one identifier; Braze rejects objects with none.
void CheckUserRef(const v1::UserRef& user, const std::string& path, FieldViolations* out) {
  switch (user.id_case()) {
    case v1::UserRef::ID_NOT_SET:
      Add(out, path, "required: one of external_id, user_alias, braze_id, email, phone");
      break;
    case v1::UserRef::kExternalId:
      if (CheckRequired(user.external_id(), Field(path, "external_id"), out)) {
        CheckMaxBytes(user.external_id(), kMaxExternalIdBytes, Field(path, "external_id"), out);
      }
      break;
    case v1::UserRef::kUserAlias:
      CheckUserAlias(user.user_alias(), Field(path, "user_alias"), out);
      break;
    case v1::UserRef::kBrazeId:
      CheckRequired(user.braze_id(), Field(path, "braze_id"), out);
      break;
    case v1::UserRef::kEmail:
      if (CheckRequired(user.email(), Field(path, "email"), out) && !IsValidEmail(user.email())) {
        Add(out, Field(path, "email"), "must be a valid email address (local@domain.tld)");
      }
      break;
    case v1::UserRef::kPhone:
      if (CheckRequired(user.phone(), Field(path, "phone"), out) && !IsE164Phone(user.phone())) {
        Add(out, Field(path, "phone"), "must be an E.164 phone number such as \"+15043277269\"");
      }
      break;
  }
}

// Event and purchase `time`: optional (the server stamps it), valid if set.
void CheckItemTime(bool has_time, const Timestamp& time, const std::string& path,
                   FieldViolations* out) {
  if (has_time) CheckTimestamp(time, path, out);
}

// ---------------------------------------------------------------------------
// UserProfile.

// Standard fields `clear_fields` may name: exactly those UserProfile can set,
// each with how to tell it is set. Identifiers are never clearable.
struct ClearableField {
  absl::string_view name;
  bool (*is_set)(const v1::UserProfile&);
};

constexpr ClearableField kClearableFields[] = {
    {"first_name", [](const v1::UserProfile& p) { return p.has_first_name(); }},
    {"last_name", [](const v1::UserProfile& p) { return p.has_last_name(); }},
    {"email", [](const v1::UserProfile& p) { return p.has_email(); }},
    {"phone", [](const v1::UserProfile& p) { return p.has_phone(); }},
    {"home_city", [](const v1::UserProfile& p) { return p.has_home_city(); }},
    {"country", [](const v1::UserProfile& p) { return p.has_country(); }},
    {"language", [](const v1::UserProfile& p) { return p.has_language(); }},
    {"time_zone", [](const v1::UserProfile& p) { return p.has_time_zone(); }},
    {"dob", [](const v1::UserProfile& p) { return p.has_dob(); }},
    {"gender", [](const v1::UserProfile& p) { return p.gender() != v1::GENDER_UNSPECIFIED; }},
    {"email_subscribe",
     [](const v1::UserProfile& p) {
       return p.email_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED;
     }},
    {"push_subscribe",
     [](const v1::UserProfile& p) {
       return p.push_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED;
     }},
    {"current_location", [](const v1::UserProfile& p) { return p.has_current_location(); }},
};

const ClearableField* FindClearable(absl::string_view name) {
  for (const ClearableField& field : kClearableFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string ClearableNames() {
  std::vector<absl::string_view> names;
  for (const ClearableField& field : kClearableFields) names.push_back(field.name);
  return absl::StrJoin(names, ", ");
}

bool IsIdentifierName(absl::string_view name) {
  return name == "external_id" || name == "user_alias" || name == "braze_id" ||
         name == "alias_name" || name == "alias_label";
}

void CheckLatitudeLongitude(double value, double limit, const std::string& path,
                            FieldViolations* out) {
  if (CheckFinite(value, path, out) && std::fabs(value) > limit) {
    Add(out, path, absl::StrCat("must be in [-", limit, ", ", limit, "] (got ", value, ")"));
  }
}

// Global email/push subscription: the zero value means "leave untouched".
void CheckGlobalSubscription(int state, const std::string& path, FieldViolations* out) {
  if (!v1::SubscriptionState_IsValid(state)) {
    Add(out, path,
        absl::StrCat("must be a known SubscriptionState (OPTED_IN, SUBSCRIBED or UNSUBSCRIBED), "
                     "got ",
                     state));
  }
}

class ProfileValidator {
 public:
  ProfileValidator(const v1::UserProfile& profile, const std::string& path,
                   const ValidationLimits& limits, FieldViolations* out)
      : profile_(profile), path_(path), limits_(limits), out_(out) {}

  void Run() {
    CheckUserRef(profile_.user(), Field(path_, "user"), out_);
    CheckNames();
    CheckContact();
    CheckLocale();
    CheckEnums();
    CheckLocation();
    CheckSubscriptionGroups();
    CheckClearFields();
    CheckCustomAttributes();
    CheckHasUpdate();
  }

 private:
  std::string At(absl::string_view field) const { return Field(path_, field); }

  void CheckNames() {
    if (profile_.has_first_name())
      CheckMaxChars(profile_.first_name(), kMaxChars, At("first_name"), out_);
    if (profile_.has_last_name())
      CheckMaxChars(profile_.last_name(), kMaxChars, At("last_name"), out_);
    if (profile_.has_home_city())
      CheckMaxChars(profile_.home_city(), kMaxChars, At("home_city"), out_);
  }

  // Profile email/phone. When the same kind is the lookup identifier, a
  // different value would be written over the address Braze just matched on.
  void CheckContact() {
    if (profile_.has_email()) {
      if (!IsValidEmail(profile_.email())) {
        Add(out_, At("email"), "must be a valid email address (local@domain.tld)");
      } else if (profile_.user().has_email() && profile_.user().email() != profile_.email()) {
        Add(out_, At("email"), "must equal user.email when the user is looked up by email");
      }
    }
    if (profile_.has_phone()) {
      if (!IsE164Phone(profile_.phone())) {
        Add(out_, At("phone"), "must be an E.164 phone number such as \"+15043277269\"");
      } else if (profile_.user().has_phone() && profile_.user().phone() != profile_.phone()) {
        Add(out_, At("phone"), "must equal user.phone when the user is looked up by phone");
      }
    }
  }

  // Country matters most: Braze sets an unmappable country to NULL (§6 #37).
  void CheckLocale() {
    if (profile_.has_country() && !IsIsoCountryAlpha2(profile_.country())) {
      Add(out_, At("country"),
          "must be an ISO 3166-1 alpha-2 code such as \"US\"" + Got(profile_.country()));
    }
    if (profile_.has_language() && !IsIsoLanguage639_1(profile_.language())) {
      Add(out_, At("language"),
          "must be an ISO 639-1 code such as \"en\"" + Got(profile_.language()));
    }
    if (profile_.has_time_zone() && !IsIanaTimeZone(profile_.time_zone())) {
      Add(out_, At("time_zone"),
          "must be an IANA time zone name such as \"America/New_York\"" +
              Got(profile_.time_zone()));
    }
    if (profile_.has_dob() && !IsValidDob(profile_.dob())) {
      Add(out_, At("dob"),
          "must be a real date \"YYYY-MM-DD\" with a year in 1900..2100" + Got(profile_.dob()));
    }
  }

  // proto3 enums are open: a number the schema does not know survives parsing
  // and would make the converter emit nothing or garbage.
  void CheckEnums() {
    if (!v1::Gender_IsValid(profile_.gender())) {
      Add(out_, At("gender"),
          absl::StrCat("must be a known Gender value, got ", profile_.gender()));
    }
    CheckGlobalSubscription(profile_.email_subscribe(), At("email_subscribe"), out_);
    CheckGlobalSubscription(profile_.push_subscribe(), At("push_subscribe"), out_);
  }

  void CheckLocation() {
    if (!profile_.has_current_location()) return;
    const v1::GeoLocation& location = profile_.current_location();
    CheckLatitudeLongitude(location.latitude(), 90, Field(At("current_location"), "latitude"),
                           out_);
    CheckLatitudeLongitude(location.longitude(), 180, Field(At("current_location"), "longitude"),
                           out_);
  }

  void CheckSubscriptionGroups() {
    for (int i = 0; i < profile_.subscription_groups_size(); ++i) {
      const v1::SubscriptionGroupUpdate& group = profile_.subscription_groups(i);
      const std::string path = Index(At("subscription_groups"), i);
      const std::string id_path = Field(path, "subscription_group_id");
      if (CheckRequired(group.subscription_group_id(), id_path, out_) &&
          !IsUuid(group.subscription_group_id())) {
        Add(out_, id_path,
            "must be a subscription group UUID such as \"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b\"" +
                Got(group.subscription_group_id()));
      }
      const int state = group.subscription_state();
      if (state == v1::SUBSCRIPTION_STATE_UNSPECIFIED) {
        Add(out_, Field(path, "subscription_state"), "required: SUBSCRIBED or UNSUBSCRIBED");
      } else if (state != v1::SUBSCRIPTION_STATE_SUBSCRIBED &&
                 state != v1::SUBSCRIPTION_STATE_UNSUBSCRIBED) {
        Add(out_, Field(path, "subscription_state"),
            absl::StrCat("must be SUBSCRIBED or UNSUBSCRIBED for a subscription group, got ",
                         v1::SubscriptionState_IsValid(state) ? v1::SubscriptionState_Name(state)
                                                              : absl::StrCat(state)));
      }
      if (group.use_double_opt_in_logic() && state != v1::SUBSCRIPTION_STATE_SUBSCRIBED) {
        Add(out_, Field(path, "use_double_opt_in_logic"),
            "may only be true when subscription_state is SUBSCRIBED");
      }
    }
  }

  void CheckClearFields() {
    for (int i = 0; i < profile_.clear_fields_size(); ++i) {
      const std::string& name = profile_.clear_fields(i);
      const std::string path = Index(At("clear_fields"), i);
      const ClearableField* field = FindClearable(name);
      const auto begin = profile_.clear_fields().begin();
      const auto previous = std::find(begin, begin + i, name);
      if (IsIdentifierName(name)) {
        Add(out_, path, "identifiers cannot be cleared" + Got(name));
      } else if (field == nullptr) {
        Add(out_, path,
            absl::StrCat("must be a clearable standard field (", ClearableNames(), ")", Got(name)));
      } else if (previous != begin + i) {
        Add(out_, path, absl::StrCat("duplicate of clear_fields[", previous - begin, "]"));
      } else if (field->is_set(profile_)) {
        Add(out_, path,
            absl::StrCat("\"", name, "\" is also set in this profile; set or clear it, not both"));
      } else if ((name == "email" && profile_.user().has_email()) ||
                 (name == "phone" && profile_.user().has_phone())) {
        Add(out_, path, absl::StrCat("cannot clear ", name, ": it is the user identifier"));
      }
    }
  }

  void CheckCustomAttributes() {
    const std::string map_path = At("custom_attributes");
    for (const auto* entry : SortedEntries(profile_.custom_attributes())) {
      const std::string path = MapEntry(map_path, entry->first);
      CheckCustomKey(entry->first, path);
      CheckAttributeValue(entry->second, path);
    }
  }

  void CheckCustomKey(absl::string_view key, const std::string& path) {
    if (key.empty()) {
      Add(out_, path, "key must not be empty");
    } else if (Utf8Chars(key) > kMaxChars) {
      Add(out_, path,
          absl::StrFormat("key must be at most %d characters (got %d)", kMaxChars, Utf8Chars(key)));
    } else if (key[0] == '$') {
      Add(out_, path, "key must not start with \"$\"");
    } else if (absl::StrContains(key, '.')) {
      Add(out_, path, "key must not contain \".\"");
    } else if (IsStandardAttributeField(key)) {
      // Braze would read it as the standard field (or identifier) instead.
      Add(out_, path, "key is a Braze standard field name; use the UserProfile field instead");
    }
  }

  void CheckAttributeValue(const v1::AttributeValue& value, const std::string& path) {
    switch (value.value_case()) {
      case v1::AttributeValue::VALUE_NOT_SET:
        Add(out_, path,
            "value required: set one of string_value, int_value, double_value, bool_value, "
            "time_value, array_value, object_value, increment, add, remove, null_value, "
            "object_array_value");
        break;
      case v1::AttributeValue::kStringValue:
        CheckMaxChars(value.string_value(), kMaxChars, Field(path, "string_value"), out_);
        break;
      case v1::AttributeValue::kDoubleValue:
        CheckFinite(value.double_value(), Field(path, "double_value"), out_);
        break;
      case v1::AttributeValue::kTimeValue:
        CheckTimestamp(value.time_value(), Field(path, "time_value"), out_);
        break;
      case v1::AttributeValue::kArrayValue:
        CheckStringList(value.array_value(), Field(path, "array_value"));
        break;
      case v1::AttributeValue::kAdd:
        CheckStringList(value.add(), Field(path, "add"));
        break;
      case v1::AttributeValue::kRemove:
        CheckStringList(value.remove(), Field(path, "remove"));
        break;
      case v1::AttributeValue::kObjectValue:
        CheckObject(value.object_value(), Field(path, "object_value"));
        break;
      case v1::AttributeValue::kObjectArrayValue:
        CheckObjectArray(value.object_array_value(), Field(path, "object_array_value"));
        break;
      case v1::AttributeValue::kIntValue:
      case v1::AttributeValue::kBoolValue:
      case v1::AttributeValue::kIncrement:
      case v1::AttributeValue::kNullValue:
        break;
    }
  }

  void CheckStringList(const v1::StringList& list, const std::string& path) {
    const std::string values_path = Field(path, "values");
    if (list.values_size() > limits_.max_array_length) {
      Add(out_, values_path,
          absl::StrFormat("must have at most %d values (got %d)", limits_.max_array_length,
                          list.values_size()));
    }
    for (int i = 0; i < list.values_size(); ++i) {
      CheckMaxChars(list.values(i), kMaxChars, Index(values_path, i), out_);
    }
    CheckJsonSize(JsonSize(list), kMaxNestedBytes, path, out_);
  }

  void CheckObject(const Struct& object, const std::string& path) {
    CheckJsonSize(JsonSize(object), kMaxNestedBytes, path, out_);
    JsonValueChecker(KeyPolicy::kNestedAttribute, out_).CheckStruct(object, path);
  }

  void CheckObjectArray(const ListValue& list, const std::string& path) {
    CheckJsonSize(JsonSize(list), kMaxNestedBytes, path, out_);
    JsonValueChecker checker(KeyPolicy::kNestedAttribute, out_);
    for (int i = 0; i < list.values_size(); ++i) {
      const Value& element = list.values(i);
      if (element.kind_case() != Value::kStructValue) {
        Add(out_, Index(path, i), "must be an object");
      } else {
        checker.CheckStruct(element.struct_value(), Index(path, i));
      }
    }
  }

  // Braze bills every write and an empty object does nothing, so a profile
  // with only `user` is almost certainly a caller bug. update_existing_only
  // false alone is a real request: create the (alias-only) profile.
  void CheckHasUpdate() {
    const v1::UserProfile& p = profile_;
    const bool has_update =
        p.has_first_name() || p.has_last_name() || p.has_email() || p.has_phone() ||
        p.has_home_city() || p.has_country() || p.has_language() || p.has_time_zone() ||
        p.has_dob() || p.gender() != v1::GENDER_UNSPECIFIED ||
        p.email_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED ||
        p.push_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED || p.has_current_location() ||
        p.subscription_groups_size() > 0 || p.custom_attributes_size() > 0 ||
        p.clear_fields_size() > 0 || (p.has_update_existing_only() && !p.update_existing_only());
    if (!has_update) {
      Add(out_, path_,
          "nothing to update: set at least one field besides user (a standard field, "
          "subscription group, custom attribute, clear_fields entry, or update_existing_only "
          "false to create the profile)");
    }
  }

  const v1::UserProfile& profile_;
  const std::string& path_;
  const ValidationLimits& limits_;
  FieldViolations* out_;
};

}  // namespace

void ValidateUserProfile(const v1::UserProfile& profile, const std::string& path,
                         const ValidationLimits& limits, FieldViolations* out) {
  ProfileValidator(profile, path, limits, out).Run();
}

void ValidateEvent(const v1::Event& event, const std::string& path, const ValidationLimits& limits,
                   FieldViolations* out) {
  CheckUserRef(event.user(), Field(path, "user"), out);
  if (CheckRequired(event.name(), Field(path, "name"), out)) {
    CheckMaxChars(event.name(), kMaxChars, Field(path, "name"), out);
  }
  CheckItemTime(event.has_time(), event.time(), Field(path, "time"), out);
  CheckMaxChars(event.app_id(), kMaxChars, Field(path, "app_id"), out);
  if (event.has_properties()) {
    CheckProperties(event.properties(), EventPropertyRules(), Field(path, "properties"), out);
  }
  CheckMaxBytes(event.event_id(), kMaxItemIdBytes, Field(path, "event_id"), out);
}

void ValidatePurchase(const v1::Purchase& purchase, const std::string& path,
                      const ValidationLimits& limits, FieldViolations* out) {
  CheckUserRef(purchase.user(), Field(path, "user"), out);
  if (CheckRequired(purchase.product_id(), Field(path, "product_id"), out)) {
    CheckMaxChars(purchase.product_id(), kMaxChars, Field(path, "product_id"), out);
  }
  const std::string currency_path = Field(path, "currency");
  if (CheckRequired(purchase.currency(), currency_path, out) &&
      !IsIsoCurrency4217(absl::AsciiStrToUpper(purchase.currency()))) {
    Add(out, currency_path,
        "must be an ISO 4217 currency code such as \"USD\"" + Got(purchase.currency()));
  }
  const std::string price_path = Field(path, "price");
  if (!purchase.has_price()) {
    Add(out, price_path, "required: a finite number >= 0 in major units");
  } else if (CheckFinite(purchase.price(), price_path, out) && purchase.price() < 0) {
    Add(out, price_path, absl::StrCat("must be >= 0 (got ", purchase.price(), ")"));
  }
  if (purchase.has_quantity() &&
      (purchase.quantity() < kMinQuantity || purchase.quantity() > kMaxQuantity)) {
    Add(out, Field(path, "quantity"),
        absl::StrFormat("must be in %d..%d (got %d)", kMinQuantity, kMaxQuantity,
                        purchase.quantity()));
  }
  CheckItemTime(purchase.has_time(), purchase.time(), Field(path, "time"), out);
  CheckMaxChars(purchase.app_id(), kMaxChars, Field(path, "app_id"), out);
  if (purchase.has_properties()) {
    CheckProperties(purchase.properties(), PurchasePropertyRules(), Field(path, "properties"), out);
  }
  CheckMaxBytes(purchase.purchase_id(), kMaxItemIdBytes, Field(path, "purchase_id"), out);
}

}  // namespace brazesync
