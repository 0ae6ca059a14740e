// The Braze REST endpoints beyond /users/track and the export that
// BrazeSync's identity, messaging and subscription services call
// (braze-api-round2.md §2.2-2.10, §2.13): for each, its path, the API-key
// permission it needs, the rate pool it spends (Braze's limits are per
// endpoint family: the identity endpoints share one), the most items Braze
// takes per call, and whether sending it again after an unknown outcome is
// safe. The one home of these facts; docs/actions.md tabulates them.
#ifndef BRAZESYNC_SERVER_BRAZE_ACTION_ENDPOINTS_H_
#define BRAZESYNC_SERVER_BRAZE_ACTION_ENDPOINTS_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brazesync {

enum class BrazeAction {
  kCreateAlias,            // POST /users/alias/new
  kIdentifyUsers,          // POST /users/identify
  kMergeUsers,             // POST /users/merge
  kDeleteUsers,            // POST /users/delete
  kRenameExternalIds,      // POST /users/external_ids/rename
  kRemoveExternalIds,      // POST /users/external_ids/remove
  kTriggerCanvas,          // POST /canvas/trigger/send
  kTriggerCampaign,        // POST /campaigns/trigger/send
  kSetSubscriptionStatus,  // POST /v2/subscription/status/set
};

// Braze's rate-limit families (§2.13). Each is one budget per workspace.
enum class RatePool {
  kIdentity,           // alias/new, identify, merge, delete (and alias/update): 20,000/min
  kRename,             // external_ids/rename: 1,000/min
  kRemove,             // external_ids/remove: 1,000/min
  kTargetedTriggers,   // Canvas + campaign triggers with recipients: 250,000/h
  kBroadcastTriggers,  // broadcast or audience triggers: 250/min (and 10/min per audience)
  kSubscriptions,      // subscription/status/set v1 + v2: 5,000/min
};

// When a call whose outcome is unknown (timeout, 5xx, dropped connection)
// may be sent again.
enum class RetrySafety {
  // Sending it twice has the effect of sending it once (Braze ignores an
  // alias pair in use, a merged or deleted profile, a state already set,
  // a rename already done): retry on 429, 5xx and network failures.
  kIdempotent,
  // A second send may act twice (a trigger sends a second message): retry
  // only when Braze cannot have processed it (429, or no connection made).
  kOnlyIfNotProcessed,
};

struct ActionEndpoint {
  BrazeAction action;
  absl::string_view path;        // e.g. "/users/identify"
  absl::string_view permission;  // e.g. "users.identify"
  RatePool pool;                 // kTargetedTriggers for triggers; see PoolForTrigger
  int max_items_per_call;        // 50 for every action
  RetrySafety retry;
};

// The facts of `action`.
const ActionEndpoint& EndpointOf(BrazeAction action);

// A trigger spends the broadcast pool when it has no recipients (broadcast
// or audience), else the targeted pool.
RatePool PoolForTrigger(bool has_recipients);

// Braze's documented limit of `pool`: requests per window.
struct PoolLimit {
  int requests;
  absl::Duration window;
};
PoolLimit DefaultLimitOf(RatePool pool);
// Braze's limit per Canvas/campaign and audience for broadcast triggers:
// 10 per minute.
PoolLimit DefaultPerAudienceLimit();

// The pool's name in budget keys, metrics and docs: "identity", "rename",
// "remove", "targeted_triggers", "broadcast_triggers", "subscriptions".
absl::string_view RatePoolName(RatePool pool);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_ACTION_ENDPOINTS_H_
