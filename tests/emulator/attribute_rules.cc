// Implementation of attribute_rules.h. Each check either rejects the object
// (returns its errors[] type) or edits the stored copy and says why in one
// alteration line; the order of the checks decides which error a
// multiply-invalid object reports.
#include "tests/emulator/attribute_rules.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/emulator/datetime_syntax.h"
#include "tests/emulator/identifier_rules.h"
#include "tests/emulator/reference_lists.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

constexpr const char* kStandardKeys[] = {
    "external_id",
    "user_alias",
    "braze_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "home_city",
    "image_url",
    "dob",
    "country",
    "language",
    "gender",
    "time_zone",
    "email_subscribe",
    "push_subscribe",
    "subscription_groups",
    "current_location",
    "date_of_first_session",
    "date_of_last_session",
    "marked_email_as_spam_at",
    "email_open_tracking_disabled",
    "email_click_tracking_disabled",
    "push_tokens",
    "push_token_import",
    "facebook",
    "twitter",
    "bio",
    "email_subscription_info",
    "_update_existing_only",
    "_merge_objects",
};

constexpr const char* kSubscriptionStates[] = {"opted_in", "subscribed", "unsubscribed"};

bool IsOneOf(const Json& value, std::initializer_list<const char*> allowed) {
  if (!value.is_string()) return false;
  const std::string& s = value.get_ref<const std::string&>();
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return s == a; });
}

bool IsSubscriptionState(const Json& value) {
  return value.is_string() &&
         std::any_of(std::begin(kSubscriptionStates), std::end(kSubscriptionStates),
                     [&](const char* s) { return value.get_ref<const std::string&>() == s; });
}

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

// A nested update: an object value (nested object or array-of-objects
// operator, but not inc/add/remove) or an array holding objects or arrays.
struct NestedInfo {
  std::vector<std::string> keys;       // custom keys holding nested updates
  std::optional<std::string> problem;  // the first invalid nested value, if any
};

// How the judge of one object ends: rejected with a type, or stored.
struct Judged {
  ObjectVerdict verdict;
  NestedInfo nested;
};

std::optional<std::string> SubscriptionGroupsError(const Json& groups) {
  if (!groups.is_array()) return "BAD_SUBSCRIPTION_GROUP_ARRAY";
  for (const Json& group : groups) {
    if (!group.is_object() || !group.contains("subscription_group_id") ||
        !group.contains("subscription_state")) {
      return "BAD_SUBSCRIPTION_GROUP_HASH";
    }
    auto opt_in = group.find("use_double_opt_in_logic");
    if (opt_in != group.end() && !opt_in->is_boolean()) return "BAD_SUBSCRIPTION_GROUP_HASH";
    const Json& id = group["subscription_group_id"];
    if (!id.is_string() || !IsUuid(id.get_ref<const std::string&>())) {
      return "BAD_SUBSCRIPTION_GROUP_ID";
    }
    if (!IsOneOf(group["subscription_state"], {"subscribed", "unsubscribed"})) {
      return "BAD_SUBSCRIPTION_GROUP_STATE";
    }
  }
  return std::nullopt;
}

std::optional<std::string> PushTokensError(const Json& tokens, const TrackRules& rules) {
  if (!tokens.is_array()) return "BAD_PUSH_TOKEN_VALUE";
  for (const Json& token : tokens) {
    if (!token.is_object() || !token.contains("token") || !token.contains("app_id")) {
      return "BAD_PUSH_TOKEN_VALUE";
    }
    if (!IsNonEmptyString(token["token"])) return "BAD_PUSH_TOKEN_STRING";
    const Json& app_id = token["app_id"];
    if (!IsNonEmptyString(app_id)) return "BAD_PUSH_TOKEN_APP_ID";
    if (!rules.push_app_ids.empty() &&
        std::find(rules.push_app_ids.begin(), rules.push_app_ids.end(),
                  app_id.get_ref<const std::string&>()) == rules.push_app_ids.end()) {
      return "BAD_PUSH_TOKEN_APP_ID";
    }
    if (token.contains("device_id")) {
      const Json& device = token["device_id"];
      if (!device.is_string() || device.get_ref<const std::string&>().size() < 8 ||
          device.get_ref<const std::string&>().size() > 255) {
        return "BAD_DEVICE_ID";
      }
    }
  }
  return std::nullopt;
}

bool LocationOk(const Json& location) {
  if (!location.is_object()) return false;
  auto lat = location.find("latitude");
  auto lon = location.find("longitude");
  return lat != location.end() && lon != location.end() && lat->is_number() && lon->is_number() &&
         std::abs(lat->get<double>()) <= 90 && std::abs(lon->get<double>()) <= 180;
}

// {"id": string, "likes": [string], "num_friends": integer}, each optional.
bool FacebookOk(const Json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, v] : value.items()) {
    if (key == "id") {
      if (!v.is_string()) return false;
    } else if (key == "likes") {
      if (!v.is_array() ||
          !std::all_of(v.begin(), v.end(), [](const Json& l) { return l.is_string(); })) {
        return false;
      }
    } else if (key == "num_friends") {
      if (!v.is_number_integer()) return false;
    } else {
      return false;
    }
  }
  return true;
}

// {"id": integer, "screen_name": string, "followers_count", "friends_count",
// "statuses_count": integer}, each optional.
bool TwitterOk(const Json& value) {
  if (!value.is_object()) return false;
  for (const auto& [key, v] : value.items()) {
    if (key == "screen_name") {
      if (!v.is_string()) return false;
    } else if (key == "id" || key == "followers_count" || key == "friends_count" ||
               key == "statuses_count") {
      if (!v.is_number_integer()) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Nested-object keys: non-empty, at most 255 characters, no '.', '$' or
// space (braze-api.md §1.5; any ASCII whitespace, a tab included, counts as
// a space, docs/braze-rules.md); the $time wrapper is handled by the caller.
std::optional<std::string> NestedKeyProblem(const std::string& key, const std::string& path) {
  if (key.empty()) return absl::StrCat(path, ": an empty key");
  if (CharCount(key) > kMaxChars) return absl::StrCat(path, ": a key over 255 characters");
  if (key.find_first_of(".$ \t\n\v\f\r") != std::string::npos) {
    return absl::StrCat(path, ": the key ", Shown(key), " contains '.', '$' or a space");
  }
  return std::nullopt;
}

// The first value inside a nested object / array of objects that Braze
// refuses, described for the alteration line.
std::optional<std::string> NestedValueProblem(const Json& value, const std::string& path) {
  if (value.is_object()) {
    if (value.contains("$time")) {
      const Json& time = value["$time"];
      if (value.size() != 1) return absl::StrCat(path, ": $time must be the object's only key");
      if (!time.is_string()) return absl::StrCat(path, ".$time: ", Shown(time), " is not a date");
      const std::optional<ParsedDatetime> parsed =
          ParseDatetime(time.get_ref<const std::string&>());
      if (!parsed) return absl::StrCat(path, ".$time: ", Shown(time), " does not parse");
      if (parsed->year > 3000) {
        return absl::StrCat(path, ".$time: ", Shown(time), " is after the year 3000");
      }
      return std::nullopt;
    }
    for (const auto& [key, v] : value.items()) {
      const std::string child = absl::StrCat(path, ".", key);
      if (auto problem = NestedKeyProblem(key, child)) return problem;
      if (auto problem = NestedValueProblem(v, child)) return problem;
    }
    return std::nullopt;
  }
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string child = absl::StrCat(path, "[", i, "]");
      if (value[i].is_array()) return absl::StrCat(child, ": an array directly inside an array");
      if (auto problem = NestedValueProblem(value[i], child)) return problem;
    }
    return std::nullopt;
  }
  if (value.is_string() && CharCount(value.get_ref<const std::string&>()) > kMaxChars) {
    return absl::StrCat(path, ": a string over 255 characters");
  }
  return std::nullopt;
}

// JSON numbers are always finite (the parser refuses NaN and infinities).
bool IsIdentifierValue(const Json& value) { return IsShortString(value) || value.is_number(); }

// $add / $remove / $update on an array of objects (braze-api.md §1.6).
std::optional<std::string> OperatorProblem(const Json& op, const std::string& path) {
  if (op.size() != 1) {
    return absl::StrCat(path,
                        ": an array-of-objects update takes exactly one of $add, $remove or "
                        "$update");
  }
  // Not a structured binding over op.items(): that proxy is a temporary, and
  // the binding would outlive it (ASan: stack-use-after-scope).
  const auto first = op.begin();
  const std::string& name = first.key();
  const Json& list = first.value();
  const std::string where = absl::StrCat(path, ".", name);
  if (!list.is_array() || list.empty()) {
    return absl::StrCat(where, ": must be an array of at least one element");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& item = list[i];
    const std::string at = absl::StrCat(where, "[", i, "]");
    if (!item.is_object()) return absl::StrCat(at, ": must be an object");
    if (name == "$add") {
      if (auto problem = NestedValueProblem(item, at)) return problem;
      continue;
    }
    const size_t keys = name == "$remove" ? 2 : 3;
    if (item.size() != keys || !item.contains("$identifier_key") ||
        !item.contains("$identifier_value") ||
        (name == "$update" && !item.contains("$new_object"))) {
      return absl::StrCat(at, name == "$remove"
                                  ? ": must be {\"$identifier_key\", \"$identifier_value\"}"
                                  : ": must be {\"$identifier_key\", \"$identifier_value\", "
                                    "\"$new_object\"}");
    }
    const Json& key = item["$identifier_key"];
    if (!key.is_string()) return absl::StrCat(at, ".$identifier_key: must be a string");
    if (auto problem = NestedKeyProblem(key.get_ref<const std::string&>(),
                                        absl::StrCat(at, ".$identifier_key"))) {
      return problem;
    }
    if (!IsIdentifierValue(item["$identifier_value"])) {
      return absl::StrCat(at,
                          ".$identifier_value: must be a string of at most 255 characters or a "
                          "number");
    }
    if (name == "$update") {
      const Json& next = item["$new_object"];
      if (!next.is_object()) return absl::StrCat(at, ".$new_object: must be an object");
      if (auto problem = NestedValueProblem(next, absl::StrCat(at, ".$new_object"))) {
        return problem;
      }
    }
  }
  return std::nullopt;
}

bool IsArrayOfObjectsOperator(const Json& value) {
  return value.is_object() &&
         (value.contains("$add") || value.contains("$remove") || value.contains("$update"));
}

bool IsScalarOperator(const Json& value) {
  if (!value.is_object() || value.empty()) return false;
  for (const auto& [key, v] : value.items()) {
    if (key != "add" && key != "remove") return false;
  }
  return true;
}

bool IsScalar(const Json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

// A scalar array as Braze stores it: values at most 255 characters, no
// duplicates (first kept), at most max_array_length (oldest dropped), at
// most 100 KB. Returns nullopt when the update is not applied at all.
std::optional<Json> StoredScalarArray(const Json& values, const std::string& path,
                                      const TrackRules& rules, bool cap_length,
                                      std::vector<std::string>& alterations) {
  Json out = Json::array();
  bool had_null = false;
  for (const Json& v : values) {
    if (v.is_null()) {
      had_null = true;
      continue;
    }
    if (!IsScalar(v)) {
      alterations.push_back(absl::StrCat(path, ": ", Shown(v),
                                         " is not a string, number or boolean; the update is not "
                                         "applied"));
      return std::nullopt;
    }
    if (v.is_string() && CharCount(v.get_ref<const std::string&>()) > kMaxChars) {
      alterations.push_back(
          absl::StrCat(path, ": a value of ", CharCount(v.get_ref<const std::string&>()),
                       " characters is over Braze's 255; the update is not applied"));
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), v) != out.end()) {
      alterations.push_back(absl::StrCat(path, ": the duplicate ", Shown(v),
                                         " is removed; arrays are sets at Braze"));
      continue;
    }
    out.push_back(v);
  }
  if (had_null) alterations.push_back(absl::StrCat(path, ": null values are dropped"));
  if (cap_length && out.size() > static_cast<size_t>(rules.max_array_length)) {
    const size_t drop = out.size() - static_cast<size_t>(rules.max_array_length);
    alterations.push_back(absl::StrCat(path, ": ", out.size(), " values is over the workspace's ",
                                       rules.max_array_length, "; Braze drops the oldest ", drop));
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  if (JsonBytes(out) > kHundredKb) {
    alterations.push_back(absl::StrCat(path, ": ", JsonBytes(out),
                                       " bytes is over Braze's 100 KB array cap; the update is "
                                       "not applied"));
    return std::nullopt;
  }
  return out;
}

// Judges one custom attribute. Returns an errors[] type to reject the whole
// object, else edits `stored` (erases or replaces stored[key]).
std::optional<std::string> JudgeCustomAttribute(const std::string& key, const Json& value,
                                                Json& stored, const TrackRules& rules,
                                                std::vector<std::string>& alterations,
                                                NestedInfo& nested) {
  if (key.empty() || CharCount(key) > kMaxChars || key[0] == '$' ||
      key.find('.') != std::string::npos) {
    alterations.push_back(absl::StrCat("custom attribute key ", Shown(key),
                                       ": empty, over 255 characters, starting with '$' or "
                                       "containing '.'; Braze does not store it"));
    stored.erase(key);
    return std::nullopt;
  }
  if (value.is_null() || value.is_number() || value.is_boolean()) return std::nullopt;
  if (value.is_string()) {
    const size_t chars = CharCount(value.get_ref<const std::string&>());
    if (chars > kMaxChars) {
      alterations.push_back(absl::StrCat(key, ": a string of ", chars,
                                         " characters is over Braze's 255; the update is not "
                                         "applied"));
      stored.erase(key);
    }
    return std::nullopt;
  }
  if (value.is_array()) {
    const bool of_objects = std::any_of(
        value.begin(), value.end(), [](const Json& v) { return v.is_object() || v.is_array(); });
    if (of_objects) {
      nested.keys.push_back(key);
      if (!nested.problem) {
        for (size_t i = 0; i < value.size() && !nested.problem; ++i) {
          if (!value[i].is_object()) {
            nested.problem = absl::StrCat(key, "[", i, "]: ", Shown(value[i]),
                                          " in an array of objects (every element must be an "
                                          "object)");
          }
        }
      }
      if (!nested.problem) nested.problem = NestedValueProblem(value, key);
      if (!nested.problem && JsonBytes(value) > kHundredKb) {
        alterations.push_back(absl::StrCat(key, ": ", JsonBytes(value),
                                           " bytes is over Braze's 100 KB; the update is "
                                           "discarded"));
        stored.erase(key);
      }
      return std::nullopt;
    }
    std::optional<Json> kept = StoredScalarArray(value, key, rules, true, alterations);
    if (kept) {
      stored[key] = *kept;
    } else {
      stored.erase(key);
    }
    return std::nullopt;
  }
  // An object: inc, add/remove, an array-of-objects operator or a nested object.
  if (value.size() == 1 && value.contains("inc")) {
    if (!value["inc"].is_number_integer()) {
      return absl::StrCat("'", key, "': 'inc' must be an integer");
    }
    return std::nullopt;
  }
  if (IsScalarOperator(value)) {
    Json kept_op = Json::object();
    for (const auto& [op, list] : value.items()) {
      const std::string path = absl::StrCat(key, ".", op);
      if (!list.is_array()) {
        alterations.push_back(
            absl::StrCat(path, ": ", Shown(list), " is not an array; the update is not applied"));
        continue;
      }
      std::optional<Json> kept = StoredScalarArray(list, path, rules, op == "add", alterations);
      if (kept) kept_op[op] = *kept;
    }
    if (kept_op.contains("add") && kept_op.contains("remove")) {
      for (const Json& v : kept_op["add"]) {
        if (std::find(kept_op["remove"].begin(), kept_op["remove"].end(), v) !=
            kept_op["remove"].end()) {
          // Braze does not say which list applies first (docs/braze-rules.md).
          alterations.push_back(absl::StrCat(key, ": ", Shown(v),
                                             " is in both add and remove; the emulator applies "
                                             "add, then remove"));
        }
      }
    }
    size_t values = 0;
    for (const auto& [op, list] : kept_op.items()) values += list.size();
    if (values == 0) {
      if (!kept_op.empty()) {
        alterations.push_back(absl::StrCat(key, ": no value to add or remove; nothing changes"));
      }
      stored.erase(key);
    } else {
      stored[key] = kept_op;
    }
    return std::nullopt;
  }
  nested.keys.push_back(key);
  if (!nested.problem) {
    nested.problem = IsArrayOfObjectsOperator(value) ? OperatorProblem(value, key)
                                                     : NestedValueProblem(value, key);
  }
  if (!nested.problem && JsonBytes(value) > kHundredKb) {
    alterations.push_back(absl::StrCat(key, ": ", JsonBytes(value),
                                       " bytes is over Braze's 100 KB; the update is discarded"));
    stored.erase(key);
  }
  return std::nullopt;
}

Judged Reject(std::string type) {
  Judged out;
  out.verdict.fate = Fate::kRejected;
  out.verdict.error = std::move(type);
  return out;
}

// Standard string fields: a string (at most 255 characters, else not
// applied) or null.
constexpr const char* kStringFields[] = {"first_name", "last_name", "home_city", "image_url"};
// Datetime standard fields: not set unless a datetime string (or null).
constexpr const char* kDatetimeFields[] = {"date_of_first_session", "date_of_last_session",
                                           "marked_email_as_spam_at"};
// Fields that must be JSON booleans (anything else, null included, rejected).
constexpr const char* kBooleanFields[] = {"_update_existing_only", "_merge_objects",
                                          "push_token_import", "email_open_tracking_disabled",
                                          "email_click_tracking_disabled"};

Judged JudgeOne(const Json& object, const TrackRules& rules) {
  if (!object.is_object()) return Reject("Each element must be a JSON object");
  Judged out;
  Json stored = object;
  std::vector<std::string>& alt = out.verdict.alterations;

  for (const char* key : kBooleanFields) {
    auto it = object.find(key);
    if (it != object.end() && !it->is_boolean()) {
      return Reject(absl::StrCat("'", key, "' must be true or false"));
    }
  }
  const bool push_token_import = object.value("push_token_import", false);
  if (push_token_import && (Present(object, "external_id") || Present(object, "braze_id") ||
                            !Present(object, "push_tokens"))) {
    return Reject("BAD_PUSH_TOKEN_IMPORT");
  }
  if (auto error = JudgeIdentifiers(stored, rules, push_token_import, alt)) return Reject(*error);
  if (object.contains("email_subscription_info")) {
    return Reject("INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO");
  }
  if (object.contains("email_subscribe") && !IsSubscriptionState(object["email_subscribe"])) {
    return Reject("BAD_EMAIL_SUBSCRIPTION_STATE");
  }
  if (object.contains("push_subscribe") && !IsSubscriptionState(object["push_subscribe"])) {
    return Reject("BAD_PUSH_SUBSCRIPTION_STATE");
  }
  if (object.contains("subscription_groups")) {
    if (auto error = SubscriptionGroupsError(object["subscription_groups"])) {
      return Reject(*error);
    }
  }
  if (Present(object, "current_location") && !LocationOk(object["current_location"])) {
    return Reject("BAD_LOCATION_UPDATE");
  }
  // null is not an array of objects either: push tokens cannot be cleared.
  if (object.contains("push_tokens")) {
    if (auto error = PushTokensError(object["push_tokens"], rules)) return Reject(*error);
  }
  if (object.contains("gender") && !object["gender"].is_null() &&
      !IsOneOf(object["gender"], {"M", "F", "O", "N", "P"})) {
    return Reject("'gender' must be one of \"M\", \"F\", \"O\", \"N\", \"P\" or null");
  }
  for (const char* key : {"first_name", "last_name", "home_city", "image_url", "dob", "country",
                          "language", "time_zone"}) {
    if (Present(object, key) && !object[key].is_string()) {
      return Reject(absl::StrCat("'", key, "' must be a string"));
    }
  }
  if (Present(object, "facebook") && !FacebookOk(object["facebook"])) {
    return Reject(
        "'facebook' must be {\"id\": string, \"likes\": [string], \"num_friends\": integer}");
  }
  if (Present(object, "twitter") && !TwitterOk(object["twitter"])) {
    return Reject(
        "'twitter' must be {\"id\": integer, \"screen_name\": string, \"followers_count\", "
        "\"friends_count\", \"statuses_count\": integer}");
  }

  // Silent drops and alterations of standard fields.
  if (Present(object, "subscription_groups")) {
    const Json& groups = object["subscription_groups"];
    for (size_t i = 0; i < groups.size(); ++i) {
      // "use_double_opt_in_logic ... only applies when the state is
      // subscribed" (braze-api.md §1.4): Braze ignores it otherwise.
      if (groups[i].value("use_double_opt_in_logic", false) &&
          groups[i]["subscription_state"] != "subscribed") {
        alt.push_back(absl::StrCat("subscription_groups[", i,
                                   "].use_double_opt_in_logic: only applies when subscribing; "
                                   "Braze ignores it"));
        stored["subscription_groups"][i].erase("use_double_opt_in_logic");
      }
    }
  }
  for (const char* key : kStringFields) {
    if (!Present(object, key)) continue;
    const size_t chars = CharCount(object[key].get_ref<const std::string&>());
    if (chars > kMaxChars) {
      alt.push_back(absl::StrCat(key, ": ", chars,
                                 " characters is over Braze's 255; the update is not applied"));
      stored.erase(key);
    }
  }
  if (Present(object, "dob") && !IsCalendarDate(object["dob"].get_ref<const std::string&>())) {
    alt.push_back(absl::StrCat("dob: ", Shown(object["dob"]),
                               " is not a YYYY-MM-DD date; Braze does not set it"));
    stored.erase("dob");
  }
  if (Present(object, "country")) {
    const std::string& text = object["country"].get_ref<const std::string&>();
    if (!IsCountryCode(text)) {
      if (std::optional<std::string> code = MapCountry(text)) {
        alt.push_back(
            absl::StrCat("country: ", Shown(object["country"]), " is mapped to \"", *code, "\""));
        stored["country"] = *code;
      } else {
        alt.push_back(absl::StrCat("country: ", Shown(object["country"]),
                                   " is not a country; Braze sets country to null"));
        stored["country"] = nullptr;
      }
    }
  }
  if (Present(object, "language") &&
      !IsLanguageCode(object["language"].get_ref<const std::string&>())) {
    alt.push_back(absl::StrCat("language: ", Shown(object["language"]),
                               " is not an ISO 639-1 code; Braze does not set it"));
    stored.erase("language");
  }
  if (Present(object, "time_zone")) {
    const std::string& zone = object["time_zone"].get_ref<const std::string&>();
    if (!IsIanaTimeZone(zone) && !IsRailsTimeZoneName(zone)) {
      alt.push_back(absl::StrCat("time_zone: ", Shown(object["time_zone"]),
                                 " is not a time zone Braze knows; it is not set"));
      stored.erase("time_zone");
    }
  }
  for (const char* key : kDatetimeFields) {
    if (!Present(object, key)) continue;
    const Json& value = object[key];
    if (!value.is_string() || !ParseDatetime(value.get_ref<const std::string&>())) {
      alt.push_back(absl::StrCat(key, ": ", Shown(value),
                                 " is not a datetime string; Braze does not set it"));
      stored.erase(key);
    }
  }
  if (object.contains("bio")) {
    alt.push_back("bio: Braze no longer processes bio, even as a custom attribute; not stored");
    stored.erase("bio");
  }

  for (const auto& [key, value] : object.items()) {
    if (IsStandardAttributeKey(key)) continue;
    if (auto error = JudgeCustomAttribute(key, value, stored, rules, alt, out.nested)) {
      return Reject(*error);
    }
  }
  out.verdict.stored = std::move(stored);
  return out;
}

}  // namespace

bool IsStandardAttributeKey(const std::string& key) {
  return std::any_of(std::begin(kStandardKeys), std::end(kStandardKeys),
                     [&](const char* k) { return key == k; });
}

std::vector<ObjectVerdict> JudgeAttributeObjects(const Json& attributes, const TrackRules& rules) {
  std::vector<Judged> judged;
  judged.reserve(attributes.size());
  std::optional<std::string> problem;
  for (const Json& object : attributes) {
    judged.push_back(JudgeOne(object, rules));
    const Judged& j = judged.back();
    if (!problem && j.verdict.fate == Fate::kStored && j.nested.problem) problem = j.nested.problem;
  }
  // Case #51: one invalid nested value drops every nested-attribute update
  // in the request, in every object.
  std::vector<ObjectVerdict> out;
  out.reserve(judged.size());
  for (Judged& j : judged) {
    if (problem && j.verdict.fate == Fate::kStored) {
      for (const std::string& key : j.nested.keys) {
        if (!j.verdict.stored.contains(key)) continue;
        j.verdict.stored.erase(key);
        j.verdict.alterations.push_back(
            j.nested.problem && *j.nested.problem == *problem
                ? absl::StrCat(key, ": dropped because ", *problem,
                               "; Braze drops every nested-attribute update in the request")
                : absl::StrCat(key,
                               ": dropped because another nested attribute in the request "
                               "is invalid (",
                               *problem, ")"));
      }
    }
    out.push_back(std::move(j.verdict));
  }
  return out;
}

}  // namespace brazesync::emulator
