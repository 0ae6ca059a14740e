// The rules of the identity, messaging and subscription requests
// (braze-api-round2.md §2.2-2.10 and the §5 cases 95-157), reported like
// Track's: one FieldViolation per broken rule with a path from the request
// root (`aliases_to_identify[2].user_alias.alias_name`,
// `recipients[4].attributes.first_name`), so a caller sees every problem at
// once. Request-level rules (broadcast with recipients, no item at all,
// confirm_irreversible) are reported apart from the items' own, so that
// allow_partial can send the valid items of a request whose request-level
// rules hold.
//
// Item counts are not limited: the use cases split items into Braze's 50 per
// call. Phones may be national numbers of the workspace's default region;
// NormalizeActionPhones turns them into E.164 after validation.
#ifndef BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "brazesync/v1/identity.pb.h"
#include "brazesync/v1/messaging.pb.h"
#include "brazesync/v1/subscriptions.pb.h"
#include "server/validation/validator.h"
#include "server/validation/violations.h"

namespace brazesync {

// The violations of one caller item: `array` and `index` say which
// ("aliases_to_identify", 2).
struct ItemViolations {
  std::string array;
  int index = 0;
  FieldViolations violations;
};

struct ActionViolations {
  // Rules of the request as a whole; any of them rejects the whole request
  // whatever allow_partial says.
  FieldViolations request;
  // Only items with at least one violation, in request order.
  std::vector<ItemViolations> items;

  bool ok() const { return request.empty() && items.empty(); }
  // Every violation, request-level first (for google.rpc.BadRequest).
  FieldViolations All() const;
};

// ---- BrazeIdentity ----
// External ids non-empty, at most 987 bytes; alias parts 1..236 bytes (never
// case-folded); no (label, name) twice among user_aliases.
ActionViolations ValidateCreateAlias(const v1::CreateAliasRequest& request);
// At least one item across the arrays; each item's external_id; the alias,
// or email syntax, or phone (E.164 / default region); prioritization
// required for email and phone (CheckPrioritization).
ActionViolations ValidateIdentifyUsers(const v1::IdentifyUsersRequest& request,
                                       const std::string& default_phone_region);
// Both identifiers set, each exactly one kind; prioritization with email or
// phone only; phone E.164; identifier_to_merge != identifier_to_keep.
ActionViolations ValidateMergeUsers(const v1::MergeUsersRequest& request,
                                    const std::string& default_phone_region);
// At least one id; confirm_irreversible (unless validate_only);
// prioritization required for emails and phones, without
// LEAST_RECENTLY_UPDATED.
ActionViolations ValidateDeleteUsers(const v1::DeleteUsersRequest& request,
                                     const std::string& default_phone_region);
// Both ids present, at most 987 bytes, different; no new id twice.
ActionViolations ValidateRenameExternalIds(const v1::RenameExternalIdsRequest& request);
ActionViolations ValidateRemoveExternalIds(const v1::RemoveExternalIdsRequest& request);

// ---- BrazeMessaging ----
// Request: canvas_id required; broadcast not with recipients; without
// recipients broadcast or audience required. Each recipient: exactly one
// identifier; prioritization with email only; send_to_existing_only false
// needs attributes and is not allowed with user_alias; no
// trigger_properties (campaign-only); attributes valid as Track's
// (`limits`) with `user` empty (the recipient's identifier stands for it)
// and no subscription_groups (Braze ignores them on Canvas triggers); the
// top-level context with the recipient's on top at most 50 KB of JSON
// (kMaxTriggerPropertiesBytes).
ActionViolations ValidateTriggerCanvas(const v1::TriggerCanvasRequest& request,
                                       const ValidationLimits& limits);
// Same for campaigns with trigger_properties (no context); attachments not
// with broadcast, each with file_name and an https url; subscription_groups
// allowed in attributes.
ActionViolations ValidateTriggerCampaign(const v1::TriggerCampaignRequest& request,
                                         const ValidationLimits& limits);

// ---- BrazeSubscriptions ----
// At least one entry; each: group id, state SUBSCRIBED or UNSUBSCRIBED
// (OPTED_IN is not a group state), at least one id, emails and phones not
// both, no empty id, email syntax, phones E.164 / default region.
ActionViolations ValidateSetSubscriptionStatus(const v1::SetSubscriptionStatusRequest& request,
                                               const std::string& default_phone_region);

// ---- Shared ----
// Braze's prioritization rules at `path`: required (when `required`), no
// UNSPECIFIED, no value twice, not both IDENTIFIED and UNIDENTIFIED, not
// both MOST_ and LEAST_RECENTLY_UPDATED, no LEAST_RECENTLY_UPDATED unless
// `allow_least_recently_updated` (delete refuses it).
void CheckPrioritization(const google::protobuf::RepeatedField<int>& values,
                         const std::string& path, bool required,
                         bool allow_least_recently_updated, FieldViolations* out);

// Rewrites every phone of a validated request to E.164 (identify, merge,
// delete, subscriptions), so the Braze JSON carries E.164. INVALID_ARGUMENT
// when a phone cannot be (validation missed it).
absl::Status NormalizeActionPhones(v1::IdentifyUsersRequest* request, const std::string& region);
absl::Status NormalizeActionPhones(v1::MergeUsersRequest* request, const std::string& region);
absl::Status NormalizeActionPhones(v1::DeleteUsersRequest* request, const std::string& region);
absl::Status NormalizeActionPhones(v1::SetSubscriptionStatusRequest* request,
                                   const std::string& region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_
