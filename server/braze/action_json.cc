// BrazeSync's identity, messaging and subscription items as the JSON objects
// Braze documents for them (braze-api-round2.md §2.2-2.10).
#include "server/braze/action_json.h"

#include <string>

#include "server/braze/converter.h"
#include "server/braze/profile_fields.h"

namespace brazesync {
namespace {

// The state names Braze's subscription endpoints take; null for a state
// they do not (the validator refuses those, and null makes Braze refuse the
// item rather than guess a state).
Json SubscriptionStateToBraze(v1::SubscriptionState state) {
  const char* name = SubscriptionStateName(state);
  return name == nullptr ? Json(nullptr) : Json(name);
}

// {"email": ..., "prioritization": [...]} and its phone twin: how every
// endpoint addresses a user by a non-unique identifier.
Json ContactWithPrioritization(absl::string_view key, const std::string& contact,
                               const google::protobuf::RepeatedField<int>& prioritization) {
  Json out = Json::object();
  out[std::string(key)] = contact;
  out["prioritization"] = PrioritizationsToBraze(prioritization);
  return out;
}

// The recipient's own properties for `key`: Canvas keys carry `context`,
// campaigns `trigger_properties`.
const google::protobuf::Struct& RecipientProperties(const v1::Recipient& recipient,
                                                    TriggerPropertiesKey key) {
  return key == TriggerPropertiesKey::kTriggerProperties ? recipient.trigger_properties()
                                                         : recipient.context();
}

void AppendRecipientIdentifier(const v1::Recipient& recipient, Json* out) {
  switch (recipient.id_case()) {
    case v1::Recipient::kExternalUserId:
      (*out)["external_user_id"] = recipient.external_user_id();
      break;
    case v1::Recipient::kUserAlias:
      (*out)["user_alias"] = UserAliasToBraze(recipient.user_alias());
      break;
    case v1::Recipient::kEmail:
      (*out)["email"] = recipient.email();
      (*out)["prioritization"] = PrioritizationsToBraze(recipient.prioritization());
      break;
    case v1::Recipient::kBrazeId:
      (*out)["braze_id"] = recipient.braze_id();
      break;
    case v1::Recipient::ID_NOT_SET:
      break;
  }
}

Json StringsToJson(const google::protobuf::RepeatedPtrField<std::string>& values) {
  Json out = Json::array();
  for (const std::string& value : values) out.push_back(value);
  return out;
}

}  // namespace

absl::string_view PrioritizationToBraze(v1::Prioritization value) {
  switch (value) {
    case v1::PRIORITIZATION_IDENTIFIED:
      return "identified";
    case v1::PRIORITIZATION_UNIDENTIFIED:
      return "unidentified";
    case v1::PRIORITIZATION_MOST_RECENTLY_UPDATED:
      return "most_recently_updated";
    case v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED:
      return "least_recently_updated";
    default:
      // Unset or unknown (refused by the validator): an empty name, which
      // Braze refuses, rather than a guessed order.
      return "";
  }
}

Json PrioritizationsToBraze(const google::protobuf::RepeatedField<int>& values) {
  Json out = Json::array();
  for (const int value : values) {
    out.push_back(std::string(PrioritizationToBraze(static_cast<v1::Prioritization>(value))));
  }
  return out;
}

Json UserAliasToBraze(const v1::UserAlias& alias) {
  return Json{{"alias_name", alias.alias_name()}, {"alias_label", alias.alias_label()}};
}

Json NewUserAliasToBraze(const v1::NewUserAlias& alias) {
  Json out = Json::object();
  // Without external_id Braze creates an alias-only user, so an unset id
  // must be absent, not "".
  if (alias.has_external_id()) out["external_id"] = alias.external_id();
  out["alias_name"] = alias.alias_name();
  out["alias_label"] = alias.alias_label();
  return out;
}

Json AliasToIdentifyToBraze(const v1::AliasToIdentify& item) {
  return Json{{"external_id", item.external_id()},
              {"user_alias", UserAliasToBraze(item.user_alias())}};
}

Json EmailToIdentifyToBraze(const v1::EmailToIdentify& item) {
  Json out = Json{{"external_id", item.external_id()}};
  out.update(ContactWithPrioritization("email", item.email(), item.prioritization()));
  return out;
}

Json PhoneToIdentifyToBraze(const v1::PhoneToIdentify& item) {
  Json out = Json{{"external_id", item.external_id()}};
  out.update(ContactWithPrioritization("phone", item.phone(), item.prioritization()));
  return out;
}

Json MergeIdentifierToBraze(const v1::MergeIdentifier& identifier) {
  switch (identifier.id_case()) {
    case v1::MergeIdentifier::kExternalId:
      return Json{{"external_id", identifier.external_id()}};
    case v1::MergeIdentifier::kUserAlias:
      return Json{{"user_alias", UserAliasToBraze(identifier.user_alias())}};
    case v1::MergeIdentifier::kEmail:
      return ContactWithPrioritization("email", identifier.email(), identifier.prioritization());
    case v1::MergeIdentifier::kPhone:
      return ContactWithPrioritization("phone", identifier.phone(), identifier.prioritization());
    case v1::MergeIdentifier::ID_NOT_SET:
      break;
  }
  return Json::object();
}

Json MergeUpdateToBraze(const v1::MergeUpdate& update) {
  return Json{{"identifier_to_merge", MergeIdentifierToBraze(update.identifier_to_merge())},
              {"identifier_to_keep", MergeIdentifierToBraze(update.identifier_to_keep())}};
}

Json EmailToDeleteToBraze(const v1::EmailToDelete& item) {
  return ContactWithPrioritization("email", item.email(), item.prioritization());
}

Json PhoneToDeleteToBraze(const v1::PhoneToDelete& item) {
  return ContactWithPrioritization("phone", item.phone(), item.prioritization());
}

Json ExternalIdRenameToBraze(const v1::ExternalIdRename& rename) {
  return Json{{"current_external_id", rename.current_external_id()},
              {"new_external_id", rename.new_external_id()}};
}

absl::string_view TriggerPropertiesKeyName(TriggerPropertiesKey key) {
  switch (key) {
    case TriggerPropertiesKey::kContext:
      return "context";
    case TriggerPropertiesKey::kCanvasEntryProperties:
      return "canvas_entry_properties";
    case TriggerPropertiesKey::kTriggerProperties:
      return "trigger_properties";
  }
  return "context";
}

TriggerPropertiesKey CanvasPropertiesKeyOf(v1::CanvasPropertiesKey key) {
  return key == v1::CANVAS_PROPERTIES_KEY_CANVAS_ENTRY_PROPERTIES
             ? TriggerPropertiesKey::kCanvasEntryProperties
             : TriggerPropertiesKey::kContext;
}

Json RecipientToBraze(const v1::Recipient& recipient, TriggerPropertiesKey key,
                      const Json& attributes) {
  Json out = Json::object();
  AppendRecipientIdentifier(recipient, &out);
  const google::protobuf::Struct& properties = RecipientProperties(recipient, key);
  if (properties.fields_size() > 0) {
    out[std::string(TriggerPropertiesKeyName(key))] = StructToJson(properties);
  }
  // Braze's default is true; sending it only when the caller chose keeps
  // the body as the caller meant it.
  if (recipient.has_send_to_existing_only()) {
    out["send_to_existing_only"] = recipient.send_to_existing_only();
  }
  if (!attributes.is_null()) out["attributes"] = attributes;
  return out;
}

Json TriggerCanvasEnvelope(const v1::TriggerCanvasRequest& request, TriggerPropertiesKey key) {
  Json out = Json{{"canvas_id", request.canvas_id()}};
  if (request.context().fields_size() > 0) {
    out[std::string(TriggerPropertiesKeyName(key))] = StructToJson(request.context());
  }
  if (request.broadcast()) out["broadcast"] = true;
  if (request.audience().fields_size() > 0) out["audience"] = StructToJson(request.audience());
  return out;
}

Json TriggerCampaignEnvelope(const v1::TriggerCampaignRequest& request) {
  Json out = Json{{"campaign_id", request.campaign_id()}};
  if (!request.send_id().empty()) out["send_id"] = request.send_id();
  if (request.trigger_properties().fields_size() > 0) {
    out["trigger_properties"] = StructToJson(request.trigger_properties());
  }
  if (request.broadcast()) out["broadcast"] = true;
  if (request.has_audience()) out["audience"] = StructToJson(request.audience());
  if (request.attachments_size() > 0) {
    Json attachments = Json::array();
    for (const v1::Attachment& attachment : request.attachments()) {
      attachments.push_back(Json{{"file_name", attachment.file_name()}, {"url", attachment.url()}});
    }
    out["attachments"] = std::move(attachments);
  }
  return out;
}

Json SubscriptionGroupToBraze(const v1::SubscriptionGroupStatus& entry, bool with_double_opt_in) {
  Json out = Json{{"subscription_group_id", entry.subscription_group_id()},
                  {"subscription_state", SubscriptionStateToBraze(entry.subscription_state())}};
  // Braze refuses emails and phones in one request, so only the id kinds
  // present may appear, never as empty arrays.
  if (entry.external_ids_size() > 0) out["external_ids"] = StringsToJson(entry.external_ids());
  if (entry.emails_size() > 0) out["emails"] = StringsToJson(entry.emails());
  if (entry.phones_size() > 0) out["phones"] = StringsToJson(entry.phones());
  if (entry.has_use_double_opt_in_logic() && with_double_opt_in) {
    out["use_double_opt_in_logic"] = entry.use_double_opt_in_logic();
  }
  return out;
}

std::string MakeActionBody(absl::string_view array, const Json& items) {
  Json body = Json::object();
  body[std::string(array)] = items;
  // Validated proto strings are UTF-8; should one not be, a replacement
  // character beats an exception escaping from a request handler.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace brazesync
