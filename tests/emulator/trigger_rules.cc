// Implementation of trigger_rules.h. Braze's texts are used where §2.8
// gives them ("No Recipients", the 50-recipient cap, the paused/archived
// notices); the others are the emulator's own and name the field.
#include "tests/emulator/trigger_rules.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/emulator/attribute_rules.h"
#include "tests/emulator/identity_rules.h"
#include "tests/emulator/track_types.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

constexpr char kNoRecipients[] = "No Recipients";
constexpr char kTooManyRecipients[] =
    "The max number of external_ids and aliases per request was exceeded";

bool Has(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

// Shallow merge: `over`'s keys win.
Json MergedProperties(const Json& base, const Json& over) {
  Json out = base.is_object() ? base : Json::object();
  if (over.is_object()) {
    for (const auto& [key, value] : over.items()) out[key] = value;
  }
  return out;
}

// Reads the properties of an object (the body or one recipient) into
// `properties` / `key`; an error text when they are not objects.
std::string ReadProperties(const Json& object, bool campaign, Json& properties, std::string& key) {
  static const std::vector<std::string> kCampaignKeys = {"trigger_properties"};
  // Both Canvas keys may be given; context is read last, so it wins.
  static const std::vector<std::string> kCanvasKeys = {"canvas_entry_properties", "context"};
  for (const std::string& name : campaign ? kCampaignKeys : kCanvasKeys) {
    if (!Has(object, name.c_str())) continue;
    if (!object[name].is_object()) return absl::StrCat("'", name, "' must be an object");
    properties = MergedProperties(properties, object[name]);
    key = name;
  }
  return "";
}

std::string Noun(bool campaign) { return campaign ? "campaign" : "Canvas"; }

// The recipient's kind and value, as a dedupe key.
std::string RecipientKey(const Json& identifier) {
  for (const char* key : {"external_user_id", "user_alias", "email", "braze_id"}) {
    if (Has(identifier, key)) return absl::StrCat(key, ":", identifier[key].dump());
  }
  return "";
}

}  // namespace

std::optional<std::string> BroadcastAudienceKey(const Json& body, bool campaign) {
  if (!body.is_object()) return std::nullopt;
  const bool broadcast = body.value("broadcast", Json(false)) == Json(true);
  const bool audience = Has(body, "audience");
  if (!broadcast && !audience) return std::nullopt;
  const Json id = body.value(campaign ? "campaign_id" : "canvas_id", Json());
  return absl::StrCat(
      campaign ? "campaign:" : "canvas:", id.is_string() ? id.get<std::string>() : id.dump(), "\n",
      audience ? body["audience"].dump() : "");
}

TriggerVerdict JudgeTrigger(const Json& body, bool campaign,
                            const std::map<std::string, std::string>& states) {
  TriggerVerdict out;
  auto refuse = [&out](std::string message) {
    out.refusal = EndpointAnswer::Error(400, std::move(message));
    return out;
  };
  TriggerRequest& request = out.request;
  request.campaign = campaign;
  const char* id_key = campaign ? "campaign_id" : "canvas_id";
  if (!IsNonEmptyString(body.value(id_key, Json()))) {
    return refuse(absl::StrCat(id_key, " is required"));
  }
  request.id = body[id_key].get<std::string>();
  request.state = "active";
  if (!states.empty()) {
    auto it = states.find(request.id);
    if (it == states.end()) {
      return refuse(
          absl::StrCat(campaign ? "Campaign" : "Canvas", " with id ", request.id, " not found"));
    }
    request.state = it->second;
  }
  if (Has(body, "broadcast")) {
    if (!body["broadcast"].is_boolean()) return refuse("'broadcast' must be a boolean");
    request.broadcast = body["broadcast"].get<bool>();
  }
  if (Has(body, "audience")) {
    if (!body["audience"].is_object()) return refuse("'audience' must be an object");
    request.audience = body["audience"];
  }
  if (campaign && Has(body, "send_id")) {
    if (!IsNonEmptyString(body["send_id"])) return refuse("'send_id' must be a string");
    request.send_id = body["send_id"].get<std::string>();
  }
  const bool has_recipients = Has(body, "recipients");
  if (has_recipients && !body["recipients"].is_array()) {
    return refuse("'recipients' must be an array of objects");
  }
  if (request.broadcast && has_recipients) {
    return refuse("'recipients' must not be given when 'broadcast' is true");
  }
  if (!request.broadcast && request.audience.is_null() &&
      (!has_recipients || body["recipients"].empty())) {
    return refuse(kNoRecipients);
  }
  if (campaign && request.broadcast && Has(body, "attachments")) {
    return refuse("'attachments' are not allowed when 'broadcast' is true");
  }
  if (const std::string problem =
          ReadProperties(body, campaign, request.properties, request.properties_key);
      !problem.empty()) {
    return refuse(problem);
  }
  const std::string size_problem =
      absl::StrCat("'", campaign ? "trigger_properties" : "context",
                   "' (top level and recipient together) must be at most 50 KB");
  if (!has_recipients) {
    if (request.properties.dump().size() > kMaxTriggerPropertiesBytes) return refuse(size_problem);
    return out;
  }
  const Json& recipients = body["recipients"];
  if (recipients.size() > kMaxTriggerRecipients) return refuse(kTooManyRecipients);
  for (const Json& entry : recipients) {
    if (!entry.is_object()) return refuse("'recipients' must be an array of objects");
    TriggerRecipient recipient;
    int kinds = 0;
    for (const char* key : {"external_user_id", "user_alias", "email", "braze_id"}) {
      if (!Has(entry, key)) continue;
      ++kinds;
      recipient.identifier[key] = entry[key];
    }
    if (kinds != 1) {
      return refuse(
          "each recipient must have exactly one of 'external_user_id', 'user_alias', 'email' or "
          "'braze_id'");
    }
    if (Has(entry, "external_user_id") && !IsNonEmptyString(entry["external_user_id"])) {
      return refuse("'external_user_id' must be a non-empty string");
    }
    if (Has(entry, "braze_id") && !IsNonEmptyString(entry["braze_id"])) {
      return refuse("'braze_id' must be a non-empty string");
    }
    if (Has(entry, "user_alias") && !IsValidAlias(entry["user_alias"])) {
      return refuse("'user_alias' must have non-empty 'alias_name' and 'alias_label'");
    }
    if (Has(entry, "email")) {
      if (!IsNonEmptyString(entry["email"])) return refuse("'email' must be a non-empty string");
      if (!Has(entry, "prioritization")) return refuse("'prioritization' is required with 'email'");
      const std::string problem = PrioritizationProblem(entry["prioritization"]);
      if (!problem.empty()) return refuse(problem);
      recipient.identifier["prioritization"] = entry["prioritization"];
    }
    if (Has(entry, "send_to_existing_only")) {
      if (!entry["send_to_existing_only"].is_boolean()) {
        return refuse("'send_to_existing_only' must be a boolean");
      }
      recipient.send_to_existing_only = entry["send_to_existing_only"].get<bool>();
    }
    if (Has(entry, "attributes")) {
      if (!entry["attributes"].is_object()) return refuse("'attributes' must be an object");
      recipient.attributes = entry["attributes"];
    }
    if (!recipient.send_to_existing_only) {
      if (Has(entry, "user_alias")) {
        return refuse(
            "'send_to_existing_only' cannot be false for a 'user_alias' recipient: alias-only "
            "users cannot be created here");
      }
      if (recipient.attributes.is_null() || recipient.attributes.empty()) {
        return refuse("'attributes' is required when 'send_to_existing_only' is false");
      }
    }
    if (const std::string problem =
            ReadProperties(entry, campaign, recipient.properties, recipient.properties_key);
        !problem.empty()) {
      return refuse(problem);
    }
    if (MergedProperties(request.properties, recipient.properties).dump().size() >
        kMaxTriggerPropertiesBytes) {
      return refuse(size_problem);
    }
    request.recipients.push_back(std::move(recipient));
  }
  return out;
}

TriggerResult RunTrigger(const TriggerRequest& request, const std::string& dispatch_id,
                         ProfileStore& store) {
  TriggerResult out;
  const std::string path = request.campaign ? "/campaigns/trigger/send" : "/canvas/trigger/send";
  const char* id_key = request.campaign ? "campaign_id" : "canvas_id";
  const std::string default_key = request.campaign ? "trigger_properties" : "context";
  out.answer.status = 201;
  out.answer.body = {{"dispatch_id", dispatch_id}, {"message", "success"}};
  if (request.state == "paused" || request.state == "archived") {
    const std::string noun = Noun(request.campaign);
    out.answer.body["notice"] =
        request.state == "paused" ? absl::StrCat("The ", noun, " is paused. Resume the ", noun,
                                                 " to ensure trigger requests will take effect.")
                                  : absl::StrCat("The ", noun, " is archived. Unarchive the ", noun,
                                                 " to ensure trigger requests will take effect.");
    out.answer.notes.push_back(
        absl::StrCat("the ", noun, " is ", request.state, ": nothing is sent"));
  }
  if (!request.send_id.empty()) out.answer.body["send_id"] = request.send_id;
  if (request.state == "paused" || request.state == "archived") return out;

  auto message = [&](Json recipient, const Json& properties, const std::string& key) {
    Json m = {{"endpoint", path},           {id_key, request.id},
              {"dispatch_id", dispatch_id}, {"recipient", std::move(recipient)},
              {"properties", properties},   {"properties_key", key.empty() ? default_key : key}};
    return m;
  };
  if (request.recipients.empty()) {  // broadcast or audience
    Json m =
        message("broadcast", MergedProperties(request.properties, Json()), request.properties_key);
    if (!request.audience.is_null()) m["audience"] = request.audience;
    out.messages.push_back(std::move(m));
    return out;
  }

  // Attributes first, for every entry in order, as Braze processes them
  // before the send.
  for (size_t i = 0; i < request.recipients.size(); ++i) {
    const TriggerRecipient& r = request.recipients[i];
    if (r.attributes.is_null()) continue;
    Json object = r.attributes;
    if (!request.campaign && object.contains("subscription_groups")) {
      object.erase("subscription_groups");
      out.answer.notes.push_back(absl::StrCat(
          "recipients[", i,
          "]: by default subscription groups cannot be updated through a Canvas trigger: "
          "attributes.subscription_groups is ignored"));
    }
    const Json& id = r.identifier;
    if (Has(id, "external_user_id")) object["external_id"] = id["external_user_id"];
    if (Has(id, "user_alias")) object["user_alias"] = id["user_alias"];
    if (Has(id, "braze_id")) object["braze_id"] = id["braze_id"];
    if (Has(id, "email")) object["email"] = id["email"];
    object["_update_existing_only"] = r.send_to_existing_only;
    const std::vector<ObjectVerdict> verdicts =
        JudgeAttributeObjects(Json::array({object}), TrackRules());
    if (verdicts.empty() || verdicts.front().fate != Fate::kStored) {
      out.answer.notes.push_back(
          absl::StrCat("recipients[", i, "]: attributes rejected (",
                       verdicts.empty() ? "no verdict" : verdicts.front().error, "): not applied"));
      continue;
    }
    for (const std::string& text : verdicts.front().alterations) {
      out.answer.notes.push_back(absl::StrCat("recipients[", i, "]: ", text));
    }
    for (const std::string& text : store.Apply("attributes", verdicts.front().stored)) {
      out.answer.notes.push_back(absl::StrCat("recipients[", i, "]: ", text));
    }
    if (std::optional<size_t> changed = store.last_applied()) out.touched.push_back(*changed);
  }

  // One message per distinct recipient, with its last entry's properties.
  std::map<std::string, size_t> last_entry;
  for (size_t i = 0; i < request.recipients.size(); ++i) {
    last_entry[RecipientKey(request.recipients[i].identifier)] = i;
  }
  for (size_t i = 0; i < request.recipients.size(); ++i) {
    const TriggerRecipient& r = request.recipients[i];
    if (last_entry[RecipientKey(r.identifier)] != i) {
      out.answer.notes.push_back(
          absl::StrCat("recipients[", i,
                       "]: listed again later: one message, with the last entry's properties"));
      continue;
    }
    const Json& id = r.identifier;
    std::optional<size_t> profile;
    if (Has(id, "external_user_id")) {
      profile = store.FindIndex({{"external_id", id["external_user_id"]}});
    } else if (Has(id, "user_alias")) {
      profile = store.FindIndex({{"user_alias", id["user_alias"]}});
    } else if (Has(id, "braze_id")) {
      profile = store.FindIndex({{"braze_id", id["braze_id"]}});
    } else {
      profile = store.FindByPrioritization("email", id["email"].get<std::string>(),
                                           id.value("prioritization", Json()));
    }
    if (!profile) {
      out.answer.notes.push_back(
          absl::StrCat("recipients[", i, "]: no such user: nothing is sent (case 139)"));
      continue;
    }
    Json m = message(id, MergedProperties(request.properties, r.properties),
                     r.properties_key.empty() ? request.properties_key : r.properties_key);
    const Json& doc = store.ProfileAt(*profile);
    if (doc.contains("external_id")) m["external_id"] = doc["external_id"];
    out.messages.push_back(std::move(m));
  }
  return out;
}

}  // namespace brazesync::emulator
