// BrazeSync's identity, messaging and subscription items as Braze JSON: one
// function per item type, field for field, since the proto names are
// Braze's (identity.proto, messaging.proto, subscriptions.proto). Request
// bodies are the item arrays wrapped in Braze's envelope
// (MakeActionBody). Call after validation: the input is assumed valid, and
// phones are already E.164.
#ifndef BRAZESYNC_SERVER_BRAZE_ACTION_JSON_H_
#define BRAZESYNC_SERVER_BRAZE_ACTION_JSON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "brazesync/v1/actions.pb.h"
#include "brazesync/v1/config.pb.h"
#include "brazesync/v1/identity.pb.h"
#include "brazesync/v1/messaging.pb.h"
#include "brazesync/v1/subscriptions.pb.h"
#include "google/protobuf/repeated_field.h"
#include "server/braze/json.h"

namespace brazesync {

// "identified", "unidentified", "most_recently_updated",
// "least_recently_updated".
absl::string_view PrioritizationToBraze(v1::Prioritization value);
// The array of a repeated prioritization field.
Json PrioritizationsToBraze(const google::protobuf::RepeatedField<int>& values);

Json UserAliasToBraze(const v1::UserAlias& alias);  // {"alias_name","alias_label"}

// ---- /users/alias/new, /users/identify, /users/merge, /users/delete,
//      /users/external_ids/rename and /remove: one array element each ----
Json NewUserAliasToBraze(const v1::NewUserAlias& alias);
Json AliasToIdentifyToBraze(const v1::AliasToIdentify& item);
Json EmailToIdentifyToBraze(const v1::EmailToIdentify& item);
Json PhoneToIdentifyToBraze(const v1::PhoneToIdentify& item);
Json MergeIdentifierToBraze(const v1::MergeIdentifier& identifier);
Json MergeUpdateToBraze(const v1::MergeUpdate& update);
Json EmailToDeleteToBraze(const v1::EmailToDelete& item);
Json PhoneToDeleteToBraze(const v1::PhoneToDelete& item);
Json ExternalIdRenameToBraze(const v1::ExternalIdRename& rename);

// ---- /canvas/trigger/send and /campaigns/trigger/send ----

// Which key carries per-user properties in a trigger body.
enum class TriggerPropertiesKey { kContext, kCanvasEntryProperties, kTriggerProperties };
absl::string_view TriggerPropertiesKeyName(TriggerPropertiesKey key);
// The Canvas key a workspace configured (CONTEXT when unspecified).
TriggerPropertiesKey CanvasPropertiesKeyOf(v1::CanvasPropertiesKey key);

// One recipients[] element: its identifier (external_user_id, user_alias,
// email + prioritization, braze_id), its properties under `key` (the
// recipient's context for Canvas keys, trigger_properties for campaigns;
// omitted when empty), send_to_existing_only when set, and `attributes`
// when not null (the recipient's UserProfile already converted by Track's
// converter, without identifier keys).
Json RecipientToBraze(const v1::Recipient& recipient, TriggerPropertiesKey key,
                      const Json& attributes);

// A trigger body without its recipients: canvas_id / campaign_id, send_id,
// the top-level properties under `key` (omitted when empty), broadcast when
// true, audience when set, attachments. The caller adds "recipients".
Json TriggerCanvasEnvelope(const v1::TriggerCanvasRequest& request, TriggerPropertiesKey key);
Json TriggerCampaignEnvelope(const v1::TriggerCampaignRequest& request);

// ---- /v2/subscription/status/set ----

// One subscription_groups[] element with the given ids (a slice of the
// entry's, at most 50, only one kind of id list set by the caller):
// subscription_group_id, subscription_state ("subscribed" /
// "unsubscribed"), the non-empty id arrays, use_double_opt_in_logic when
// set and `with_double_opt_in`.
Json SubscriptionGroupToBraze(const v1::SubscriptionGroupStatus& entry, bool with_double_opt_in);

// ---- The envelope ----

// {"<array>": items}: the body of one identity or subscription call.
std::string MakeActionBody(absl::string_view array, const Json& items);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_ACTION_JSON_H_
