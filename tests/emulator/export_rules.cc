// Implementation of export_rules.h.
#include "tests/emulator/export_rules.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/emulator/datetime_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

// Braze's words for malformed JSON (braze-api.md §2.3), as on /users/track.
constexpr char kParseError[] = "Error while parsing request body. Please check your syntax.";

// The single-valued identifiers; Braze allows one per request (case 79).
constexpr const char* kSingleIdentifiers[] = {"device_id", "braze_id", "email_address", "phone"};

bool Present(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

bool IsEmptyValue(const Json& value) {
  if (value.is_string()) return value.get_ref<const std::string&>().empty();
  // empty() is true for null and for an empty array or object.
  return value.empty();
}

bool IsStringArray(const Json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
}

bool IsAlias(const Json& value) {
  auto part = [&value](const char* key) {
    return value.contains(key) && value[key].is_string() && !value[key].empty();
  };
  return value.is_object() && part("alias_name") && part("alias_label");
}

ExportVerdict Reject(std::string message) {
  ExportVerdict verdict;
  verdict.status = 400;
  verdict.message = std::move(message);
  return verdict;
}

// A stable number in 0..9999 derived from the braze_id: Braze assigns each
// profile a random bucket once; a hash keeps the emulator repeatable.
int RandomBucket(const std::string& braze_id) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : braze_id) hash = (hash ^ c) * 1099511628211ull;
  return static_cast<int>(hash % 10000);
}

}  // namespace

const std::vector<std::string>& ExportableFields() {
  static const std::vector<std::string>* const kFields =
      new std::vector<std::string>{"apps",
                                   "attributed_campaign",
                                   "attributed_source",
                                   "attributed_adgroup",
                                   "attributed_ad",
                                   "braze_id",
                                   "campaigns_received",
                                   "canvases_received",
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
                                   "user_aliases"};
  return *kFields;
}

ExportVerdict ParseExportRequest(absl::string_view body, const ExportRules& rules) {
  const Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  // Like /users/track: a body that is not a JSON object is a parse error.
  if (request.is_discarded() || !request.is_object()) return Reject(kParseError);

  // Types first: a wrongly typed identifier must not be counted as absent.
  if (Present(request, "external_ids") && !IsStringArray(request["external_ids"])) {
    return Reject("'external_ids' must be an array of strings");
  }
  if (Present(request, "user_aliases") &&
      (!request["user_aliases"].is_array() ||
       !std::all_of(request["user_aliases"].begin(), request["user_aliases"].end(), IsAlias))) {
    return Reject(
        "'user_aliases' must be an array of objects with non-empty 'alias_name' and "
        "'alias_label' strings");
  }
  for (const char* key : kSingleIdentifiers) {
    if (Present(request, key) && !request[key].is_string()) {
      return Reject(absl::StrCat("'", key, "' must be a string"));
    }
  }
  if (Present(request, "fields_to_export") && !IsStringArray(request["fields_to_export"])) {
    return Reject("'fields_to_export' must be an array of strings");
  }

  ExportVerdict verdict;
  ExportQuery& query = verdict.query;
  if (Present(request, "external_ids")) {
    query.external_ids = request["external_ids"].get<std::vector<std::string>>();
  }
  if (Present(request, "user_aliases")) {
    for (const Json& alias : request["user_aliases"]) {
      query.user_aliases.push_back(
          {{"alias_name", alias["alias_name"]}, {"alias_label", alias["alias_label"]}});
    }
  }
  // One cap for both arrays: the error names them together (case 78).
  if (query.external_ids.size() + query.user_aliases.size() > kMaxExportIds) {
    return Reject(kTooManyExportIds);
  }
  int singles = 0;
  for (const char* key : kSingleIdentifiers) {
    if (!Present(request, key)) continue;
    ++singles;
    query.single_key = key;
    query.single_value = request[key].get<std::string>();
  }
  if (singles > 1) {
    // Braze's text is UNCONFIRMED (round2 §5 case 79); braze_id is held to the
    // same rule, as §2.1 advises sending it alone.
    return Reject(
        "Only one of 'device_id', 'braze_id', 'email_address' or 'phone' may be given per "
        "request");
  }
  if (query.identifier_count() == 0) {
    return Reject(
        "At least one of 'external_ids', 'user_aliases', 'device_id', 'braze_id', "
        "'email_address' or 'phone' is required");
  }

  const bool fields_given =
      Present(request, "fields_to_export") && !request["fields_to_export"].empty();
  if (!fields_given) {
    // Braze's text for a new workspace is UNCONFIRMED (case 80).
    if (rules.require_fields_to_export) {
      return Reject("'fields_to_export' is required and must list at least one field");
    }
    query.fields = ExportableFields();
    return verdict;
  }
  std::set<std::string> seen;
  for (const Json& field : request["fields_to_export"]) {
    const std::string& name = field.get_ref<const std::string&>();
    const std::vector<std::string>& allowed = ExportableFields();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      // Braze's text is UNCONFIRMED (case 81); this one names the field.
      return Reject(absl::StrCat("'", name, "' is not a valid value for 'fields_to_export'"));
    }
    if (seen.insert(name).second) query.fields.push_back(name);
  }
  return verdict;
}

bool QualifiesForFastExport(absl::string_view body) {
  const Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("fields_to_export")) return false;
  const Json& fields = request["fields_to_export"];
  if (!IsStringArray(fields) || fields.empty()) return false;
  return std::none_of(fields.begin(), fields.end(), [](const Json& f) {
    return f == "canvases_received" || f == "campaigns_received";
  });
}

Json SummariseRecords(const Json& records, bool purchases, absl::Time now) {
  struct Summary {
    absl::Time first = absl::InfiniteFuture();
    absl::Time last = absl::InfinitePast();
    int64_t count = 0;
  };
  const absl::Time oldest = now - absl::Hours(24 * 90);
  std::map<std::string, Summary> by_name;
  if (records.is_array()) {
    for (const Json& record : records) {
      const char* name_key = purchases ? "product_id" : "name";
      if (!record.contains(name_key) || !record[name_key].is_string()) continue;
      if (!record.contains("time") || !record["time"].is_string()) continue;
      const std::optional<ParsedDatetime> time =
          ParseDatetime(record["time"].get_ref<const std::string&>());
      if (!time || time->time < oldest) continue;
      Summary& s = by_name[record[name_key].get<std::string>()];
      s.first = std::min(s.first, time->time);
      s.last = std::max(s.last, time->time);
      const Json quantity = record.value("quantity", Json(1));
      s.count += purchases && quantity.is_number_integer() ? quantity.get<int64_t>() : 1;
    }
  }
  Json out = Json::array();
  for (const auto& [name, s] : by_name) {
    out.push_back({{"name", name},
                   {"first", FormatDatetime(s.first)},
                   {"last", FormatDatetime(s.last)},
                   {"count", s.count}});
  }
  return out;
}

Json ExportUser(const Json& profile, absl::Time created_at, const std::vector<std::string>& fields,
                absl::Time now) {
  Json user = Json::object();
  auto put = [&user](const std::string& key, Json value) {
    if (!IsEmptyValue(value)) user[key] = std::move(value);
  };
  for (const std::string& field : fields) {
    if (field == "created_at") {
      // ISO 8601 as §2.1 describes it; Braze's own sample also shows
      // "2020-07-10 15:00:00.000 UTC" (case 85), which clients must accept too.
      put(field, FormatDatetime(created_at));
    } else if (field == "random_bucket") {
      put(field, RandomBucket(profile.value("braze_id", "")));
    } else if (field == "custom_attributes") {
      put(field, profile.value("custom_attributes", Json::object()));
    } else if (field == "custom_events") {
      put(field, SummariseRecords(profile.value("custom_events", Json::array()), false, now));
    } else if (field == "purchases") {
      put(field, SummariseRecords(profile.value("purchases", Json::array()), true, now));
    } else if (field == "total_revenue") {
      // Over every purchase the profile has, not only the last 90 days.
      const Json purchases = profile.value("purchases", Json::array());
      if (purchases.empty()) continue;
      double revenue = 0;
      for (const Json& p : purchases) {
        const Json quantity = p.value("quantity", Json(1));
        if (p.contains("price") && p["price"].is_number()) {
          revenue +=
              p["price"].get<double>() * (quantity.is_number() ? quantity.get<double>() : 1.0);
        }
      }
      put(field, revenue);
    } else if (field == "last_coordinates") {
      // Braze's text says [longitude, latitude], its sample is (lat, lon)
      // (case 86); the emulator follows the sample, i.e. what a real answer
      // carries. Clients pass the array through unchanged.
      const Json location = profile.value("current_location", Json());
      if (location.is_object() && location.contains("latitude") && location.contains("longitude")) {
        put(field, Json::array({location["latitude"], location["longitude"]}));
      }
    } else if (field == "push_tokens") {
      Json tokens = Json::array();
      for (const Json& t : profile.value("push_tokens", Json::array())) {
        Json token = {{"app", t.value("app_id", Json())}, {"token", t.value("token", Json())}};
        if (t.contains("device_id")) token["device_id"] = t["device_id"];
        tokens.push_back(std::move(token));
      }
      put(field, std::move(tokens));
    } else {
      // Stored under the same name by /users/track (braze_id, external_id,
      // user_aliases, email, phone, first_name, dob, country, ...), or never
      // held by the emulator (apps, attributed_*, campaigns_received, ...)
      // and then omitted like any empty value.
      put(field, profile.value(field, Json()));
    }
  }
  return user;
}

}  // namespace brazesync::emulator
