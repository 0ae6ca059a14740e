// The rules of the BrazeMessaging requests (trigger_rules.h;
// braze-api-round2.md §2.8-2.9, cases 128-146): request-level rules
// (canvas_id / campaign_id, broadcast, audience, attachments) apart from each
// recipient's own; recipient attributes go through Track's validator below
// `recipients[i].attributes`, the recipient's identifier standing for `user`.
#include "server/validation/trigger_rules.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "server/braze/converter.h"
#include "server/braze/json.h"
#include "server/braze/json_size.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

using google::protobuf::RepeatedPtrField;
using google::protobuf::Struct;

// What differs between the Canvas and the campaign trigger.
struct TriggerKind {
  // "canvas_id" or "campaign_id", and its value.
  absl::string_view id_field;
  const std::string* id;
  // The properties namespace this endpoint takes ("context" or
  // "trigger_properties"), and the one it does not.
  absl::string_view properties_field;
  absl::string_view other_properties_field;
  const Struct* shared_properties;
  bool has_shared_properties;
  bool broadcast;
  bool has_audience;
  const RepeatedPtrField<v1::Recipient>* recipients;
  bool subscription_groups_allowed;
};

const Struct* RecipientProperties(const v1::Recipient& recipient, absl::string_view field,
                                  bool* has) {
  if (field == "context") {
    *has = recipient.has_context();
    return &recipient.context();
  }
  *has = recipient.has_trigger_properties();
  return &recipient.trigger_properties();
}

void CheckTriggerRequest(const TriggerKind& kind, FieldViolations* out) {
  CheckRequired(*kind.id, std::string(kind.id_field), out);
  const bool has_recipients = !kind.recipients->empty();
  if (kind.broadcast && has_recipients) {
    AddViolation(out, "broadcast",
                 "not allowed with recipients: broadcast sends to the whole target segment");
  }
  if (!has_recipients && !kind.broadcast && !kind.has_audience) {
    AddViolation(out, "recipients",
                 "required: recipients, or broadcast true, or an audience (Braze refuses a "
                 "trigger with no one to send to)");
  }
  if (kind.has_shared_properties) {
    CheckJsonSize(JsonSize(*kind.shared_properties), kMaxTriggerPropertiesBytes,
                  std::string(kind.properties_field), out);
  }
}

// Sets `user` to the recipient's identifier (the user its attributes are
// written to); leaves it empty when the recipient has none.
void RecipientUser(const v1::Recipient& recipient, v1::UserRef* user) {
  switch (recipient.id_case()) {
    case v1::Recipient::kExternalUserId:
      user->set_external_id(recipient.external_user_id());
      return;
    case v1::Recipient::kUserAlias:
      *user->mutable_user_alias() = recipient.user_alias();
      return;
    case v1::Recipient::kEmail:
      user->set_email(recipient.email());
      return;
    case v1::Recipient::kBrazeId:
      user->set_braze_id(recipient.braze_id());
      return;
    case v1::Recipient::ID_NOT_SET:
      return;
  }
}

void CheckRecipientId(const v1::Recipient& recipient, const std::string& path,
                      FieldViolations* out) {
  switch (recipient.id_case()) {
    case v1::Recipient::kExternalUserId:
      CheckExternalId(recipient.external_user_id(), FieldPath(path, "external_user_id"), out);
      break;
    case v1::Recipient::kUserAlias:
      CheckUserAlias(recipient.user_alias(), FieldPath(path, "user_alias"), out);
      break;
    case v1::Recipient::kEmail:
      CheckEmailAddress(recipient.email(), FieldPath(path, "email"), out);
      break;
    case v1::Recipient::kBrazeId:
      CheckRequired(recipient.braze_id(), FieldPath(path, "braze_id"), out);
      break;
    case v1::Recipient::ID_NOT_SET:
      AddViolation(out, path, "one of external_user_id, user_alias, email, braze_id is required");
      break;
  }
  const std::string prioritization_path = FieldPath(path, "prioritization");
  if (recipient.id_case() == v1::Recipient::kEmail) {
    CheckPrioritization(recipient.prioritization(), prioritization_path, /*required=*/true,
                        /*allow_least_recently_updated=*/true, out);
  } else if (recipient.prioritization_size() > 0) {
    AddViolation(out, prioritization_path, "only allowed with an email recipient");
  }
}

// Whether `field` is `prefix` itself or a path below it.
bool IsAtOrBelow(const std::string& field, const std::string& prefix) {
  if (!absl::StartsWith(field, prefix)) return false;
  return field.size() == prefix.size() || field[prefix.size()] == '.' ||
         field[prefix.size()] == '[';
}

// Track's rules on the attributes, the recipient's identifier standing for
// `user` (whose own checks CheckRecipientId makes at the recipient's path).
void CheckRecipientAttributes(const v1::Recipient& recipient, const std::string& path,
                              const TriggerKind& kind, const ValidationLimits& limits,
                              FieldViolations* out) {
  const std::string attributes_path = FieldPath(path, "attributes");
  const std::string user_path = FieldPath(attributes_path, "user");
  if (recipient.attributes().has_user()) {
    AddViolation(out, user_path, "must be empty: the recipient's identifier stands for the user");
  }
  v1::UserProfile profile = recipient.attributes();
  profile.clear_user();
  RecipientUser(recipient, profile.mutable_user());
  FieldViolations profile_violations;
  ValidateUserProfile(profile, attributes_path, limits, &profile_violations);
  for (v1::FieldViolation& violation : profile_violations) {
    if (!IsAtOrBelow(violation.field(), user_path)) out->push_back(std::move(violation));
  }
  if (!kind.subscription_groups_allowed && recipient.attributes().subscription_groups_size() > 0) {
    AddViolation(out, FieldPath(attributes_path, "subscription_groups"),
                 "not allowed on TriggerCanvas: Braze does not update subscription groups "
                 "through Canvas trigger attributes; set them first with "
                 "BrazeSubscriptions.SetSubscriptionStatus");
  }
}

// The recipient's properties over the request's, as Braze receives them.
void CheckMergedPropertiesSize(const Struct& shared, const Struct& own, const std::string& path,
                               FieldViolations* out) {
  Json merged = StructToJson(shared);
  const Json overrides = StructToJson(own);
  for (const auto& [key, value] : overrides.items()) merged[key] = value;
  CheckJsonSize(merged.dump().size(), kMaxTriggerPropertiesBytes, path, out);
}

FieldViolations CheckRecipient(const v1::Recipient& recipient, const std::string& path,
                               const TriggerKind& kind, const ValidationLimits& limits) {
  FieldViolations out;
  CheckRecipientId(recipient, path, &out);
  const bool attributes_empty =
      !recipient.has_attributes() || recipient.attributes().ByteSizeLong() == 0;
  const bool creates_user =
      recipient.has_send_to_existing_only() && !recipient.send_to_existing_only();
  if (creates_user) {
    if (recipient.id_case() == v1::Recipient::kUserAlias) {
      AddViolation(&out, FieldPath(path, "send_to_existing_only"),
                   "user_alias recipients cannot use send_to_existing_only false: Braze cannot "
                   "create alias-only users here");
    }
    if (attributes_empty) {
      AddViolation(&out, FieldPath(path, "attributes"),
                   "required with send_to_existing_only false: Braze creates the user from them "
                   "before the send");
    }
  }
  // Case 137: the other endpoint's namespace would never reach the Liquid.
  bool has_other = false;
  RecipientProperties(recipient, kind.other_properties_field, &has_other);
  if (has_other) {
    AddViolation(&out, FieldPath(path, kind.other_properties_field),
                 absl::StrCat("not allowed here: this trigger takes ", kind.properties_field, " (",
                              kind.other_properties_field,
                              " belongs to the other trigger and would never reach the message)"));
  }
  bool has_own = false;
  const Struct* own = RecipientProperties(recipient, kind.properties_field, &has_own);
  if (has_own) {
    CheckMergedPropertiesSize(*kind.shared_properties, *own, FieldPath(path, kind.properties_field),
                              &out);
  }
  // Attributes reported as required above are not checked again.
  if (recipient.has_attributes() && !(creates_user && attributes_empty)) {
    CheckRecipientAttributes(recipient, path, kind, limits, &out);
  }
  return out;
}

ActionViolations ValidateTrigger(const TriggerKind& kind, const ValidationLimits& limits) {
  ActionViolations result;
  CheckTriggerRequest(kind, &result.request);
  for (int i = 0; i < kind.recipients->size(); ++i) {
    AddItemViolations(
        "recipients", i,
        CheckRecipient(kind.recipients->Get(i), IndexPath("recipients", i), kind, limits), &result);
  }
  return result;
}

void CheckAttachments(const v1::TriggerCampaignRequest& request, FieldViolations* out) {
  if (request.attachments_size() == 0) return;
  if (request.broadcast()) {
    AddViolation(out, "attachments", "not allowed with broadcast");
  }
  for (int i = 0; i < request.attachments_size(); ++i) {
    const v1::Attachment& attachment = request.attachments(i);
    const std::string path = IndexPath("attachments", i);
    CheckRequired(attachment.file_name(), FieldPath(path, "file_name"), out);
    const std::string url_path = FieldPath(path, "url");
    if (CheckRequired(attachment.url(), url_path, out) &&
        !absl::StartsWithIgnoreCase(attachment.url(), "https://")) {
      AddViolation(out, url_path, "must be an https URL" + GotValue(attachment.url()));
    }
  }
}

}  // namespace

ActionViolations ValidateTriggerCanvas(const v1::TriggerCanvasRequest& request,
                                       const ValidationLimits& limits) {
  const TriggerKind kind{"canvas_id",
                         &request.canvas_id(),
                         "context",
                         "trigger_properties",
                         &request.context(),
                         request.has_context(),
                         request.broadcast(),
                         request.has_audience(),
                         &request.recipients(),
                         /*subscription_groups_allowed=*/false};
  return ValidateTrigger(kind, limits);
}

ActionViolations ValidateTriggerCampaign(const v1::TriggerCampaignRequest& request,
                                         const ValidationLimits& limits) {
  const TriggerKind kind{"campaign_id",
                         &request.campaign_id(),
                         "trigger_properties",
                         "context",
                         &request.trigger_properties(),
                         request.has_trigger_properties(),
                         request.broadcast(),
                         request.has_audience(),
                         &request.recipients(),
                         /*subscription_groups_allowed=*/true};
  ActionViolations result = ValidateTrigger(kind, limits);
  // Attachments belong to every recipient's message: request-level.
  CheckAttachments(request, &result.request);
  return result;
}

}  // namespace brazesync
