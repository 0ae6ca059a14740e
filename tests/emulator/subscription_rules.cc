// Implementation of subscription_rules.h. Braze's texts are used where §2.10
// gives them (e-mail and phone together, the external_ids array); the others
// are the emulator's own and name the field.
#include "tests/emulator/subscription_rules.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

bool Has(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

// One group update, judged.
struct GroupUpdate {
  std::string group;
  std::string state;
  std::vector<std::string> external_ids;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  bool double_opt_in = false;
};

// Reads `value` (an array, or with `scalar_ok` a single string) of
// non-empty strings into `out`; false when it is anything else.
bool ReadStrings(const Json& value, bool scalar_ok, std::vector<std::string>& out) {
  if (scalar_ok && value.is_string()) {
    if (!IsNonEmptyString(value)) return false;
    out.push_back(value.get<std::string>());
    return true;
  }
  if (!value.is_array()) return false;
  for (const Json& v : value) {
    if (!IsNonEmptyString(v)) return false;
    out.push_back(v.get<std::string>());
  }
  return true;
}

// Judges one group update: v1 reads external_id / email / phone (each a
// string or an array), v2 external_ids / emails / phones (arrays). Returns
// the 400 text, or "" with `out` filled.
std::string JudgeGroupUpdate(const Json& entry, bool v1, GroupUpdate& out) {
  if (!entry.is_object()) return "'subscription_groups' must be an array of objects";
  if (!IsNonEmptyString(entry.value("subscription_group_id", Json()))) {
    return "'subscription_group_id' is required";
  }
  out.group = entry["subscription_group_id"].get<std::string>();
  const Json state = entry.value("subscription_state", Json());
  if (state != "subscribed" && state != "unsubscribed") {
    return "'subscription_state' must be 'subscribed' or 'unsubscribed'";
  }
  out.state = state.get<std::string>();
  if (Has(entry, "use_double_opt_in_logic")) {
    if (!entry["use_double_opt_in_logic"].is_boolean()) {
      return "'use_double_opt_in_logic' must be a boolean";
    }
    out.double_opt_in = entry["use_double_opt_in_logic"].get<bool>();
  }
  const char* ids_key = v1 ? "external_id" : "external_ids";
  const char* emails_key = v1 ? "email" : "emails";
  const char* phones_key = v1 ? "phone" : "phones";
  if (Has(entry, ids_key) && !ReadStrings(entry[ids_key], v1, out.external_ids)) {
    return kInvalidExternalIdArray;
  }
  if (Has(entry, emails_key)) {
    if (!ReadStrings(entry[emails_key], v1, out.emails)) {
      return absl::StrCat("The value provided for the ", emails_key,
                          " field is not a valid email array.");
    }
    for (const std::string& email : out.emails) {
      if (!IsValidEmail(email)) {
        return absl::StrCat("The value provided for the ", emails_key, " field has an invalid ",
                            "email address: ", email);
      }
    }
  }
  if (Has(entry, phones_key)) {
    if (!ReadStrings(entry[phones_key], v1, out.phones)) {
      return absl::StrCat("The value provided for the ", phones_key,
                          " field is not a valid phone array.");
    }
    for (const std::string& phone : out.phones) {
      if (!IsE164(phone)) {
        return absl::StrCat("The value provided for the ", phones_key,
                            " field has a phone number that is not in E.164 format: ", phone);
      }
    }
  }
  if (!out.emails.empty() && !out.phones.empty()) return kEmailOrPhoneNotBoth;
  if (out.external_ids.empty() && out.emails.empty() && out.phones.empty()) {
    return absl::StrCat("One of '", ids_key, "', '", emails_key, "' or '", phones_key,
                        "' is required");
  }
  for (const auto* list : {&out.external_ids, &out.emails, &out.phones}) {
    if (list->size() > kMaxSubscriptionIds) {
      return "a subscription group update may not contain more than 50 external_ids, 50 emails "
             "or 50 phones";
    }
  }
  return "";
}

void ApplyGroupUpdate(const GroupUpdate& update, ProfileStore& store,
                      std::vector<std::string>& notes) {
  for (const std::string& id : update.external_ids) {
    const std::optional<size_t> index = store.FindIndex({{"external_id", id}});
    if (!index) {
      notes.push_back(
          absl::StrCat(update.group, ": no user has external_id ", id, ": nothing changes"));
      continue;
    }
    store.SetSubscriptionState(*index, update.group, update.state);
  }
  for (const auto& [key, values] :
       {std::pair<std::string, const std::vector<std::string>*>{"email", &update.emails},
        {"phone", &update.phones}}) {
    for (const std::string& value : *values) {
      const std::vector<size_t> holders = store.FindAll({{key, value}});
      for (size_t index : holders) store.SetSubscriptionState(index, update.group, update.state);
      if (!holders.empty()) continue;
      if (key == "phone" && update.double_opt_in) {
        notes.push_back(absl::StrCat(update.group, ": no profile has ", value,
                                     " and use_double_opt_in_logic is true: nothing is stored "
                                     "(case 154)"));
        continue;
      }
      store.SetOrphanSubscriptionState(key, value, update.group, update.state);
      notes.push_back(absl::StrCat(update.group, ": no profile has ", value,
                                   ": the state is kept for the first profile that gets it "
                                   "(case 153)"));
    }
  }
}

EndpointAnswer Success(std::vector<std::string> notes) {
  EndpointAnswer out;
  out.status = 201;
  out.body = {{"message", "success"}};
  out.notes = std::move(notes);
  return out;
}

}  // namespace

EndpointAnswer SetSubscriptionStatusV1(const Json& body, ProfileStore& store) {
  GroupUpdate update;
  if (Has(body, "email") && Has(body, "phone"))
    return EndpointAnswer::Error(400, kEmailOrPhoneNotBoth);
  const std::string problem = JudgeGroupUpdate(body, /*v1=*/true, update);
  if (!problem.empty()) return EndpointAnswer::Error(400, problem);
  std::vector<std::string> notes;
  ApplyGroupUpdate(update, store, notes);
  return Success(std::move(notes));
}

EndpointAnswer SetSubscriptionStatusV2(const Json& body, ProfileStore& store) {
  auto groups = body.find("subscription_groups");
  if (groups == body.end() || !groups->is_array() || groups->empty()) {
    return EndpointAnswer::Error(400, "'subscription_groups' must be a non-empty array of objects");
  }
  std::vector<GroupUpdate> updates(groups->size());
  bool emails = false;
  bool phones = false;
  for (size_t i = 0; i < groups->size(); ++i) {
    const Json& entry = (*groups)[i];
    if (entry.is_object()) {
      emails = emails || Has(entry, "emails");
      phones = phones || Has(entry, "phones");
    }
    if (emails && phones) return EndpointAnswer::Error(400, kEmailOrPhoneNotBoth);
    const std::string problem = JudgeGroupUpdate(entry, /*v1=*/false, updates[i]);
    if (!problem.empty()) return EndpointAnswer::Error(400, problem);
  }
  std::vector<std::string> notes;
  for (const GroupUpdate& update : updates) ApplyGroupUpdate(update, store, notes);
  return Success(std::move(notes));
}

EndpointAnswer UserSubscriptionStatus(const SubscriptionStatusQuery& query,
                                      const ProfileStore& store) {
  if (query.external_ids.empty() && query.emails.empty() && query.phones.empty()) {
    return EndpointAnswer::Error(400, "One of 'external_id', 'email' or 'phone' is required");
  }
  if (query.external_ids.size() > kMaxSubscriptionIds ||
      query.emails.size() > kMaxSubscriptionIds || query.phones.size() > kMaxSubscriptionIds) {
    return EndpointAnswer::Error(
        400, "a request may not ask about more than 50 external_ids, 50 emails or 50 phones");
  }
  if (query.limit < 1 || query.limit > 100) {
    return EndpointAnswer::Error(400, "'limit' must be between 1 and 100");
  }
  if (query.offset < 0) return EndpointAnswer::Error(400, "'offset' must not be negative");
  std::vector<size_t> found;
  auto add = [&found](size_t index) {
    if (std::find(found.begin(), found.end(), index) == found.end()) found.push_back(index);
  };
  for (const std::string& id : query.external_ids) {
    if (std::optional<size_t> index = store.FindIndex({{"external_id", id}})) add(*index);
  }
  for (const std::string& email : query.emails) {
    for (size_t index : store.FindAll({{"email", email}})) add(index);
  }
  for (const std::string& phone : query.phones) {
    for (size_t index : store.FindAll({{"phone", phone}})) add(index);
  }
  OrderedJson users = OrderedJson::array();
  for (size_t n = static_cast<size_t>(query.offset);
       n < found.size() && users.size() < static_cast<size_t>(query.limit); ++n) {
    const Json& doc = store.ProfileAt(found[n]);
    OrderedJson user = OrderedJson::object();
    for (const char* key : {"email", "phone", "external_id"}) {
      if (doc.contains(key)) user[key] = doc[key];
    }
    OrderedJson groups = OrderedJson::array();
    const Json states = doc.value("subscription_groups", Json::object());
    for (const auto& [id, state] : states.items()) {
      groups.push_back({{"id", id},
                        {"name", ""},
                        {"channel", ""},
                        {"status", state == "subscribed" ? "Subscribed" : "Unsubscribed"}});
    }
    user["subscription_groups"] = std::move(groups);
    users.push_back(std::move(user));
  }
  EndpointAnswer out;
  out.status = 200;
  out.body = {{"users", std::move(users)}, {"total_count", found.size()}, {"message", "success"}};
  return out;
}

}  // namespace brazesync::emulator
