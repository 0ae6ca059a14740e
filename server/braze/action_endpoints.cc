// The facts table of Braze's identity, trigger and subscription endpoints.
#include "server/braze/action_endpoints.h"

#include <cstdlib>

#include "server/braze/limits.h"

namespace brazesync {
namespace {

constexpr ActionEndpoint kEndpoints[] = {
    {BrazeAction::kCreateAlias, "/users/alias/new", "users.alias.new", RatePool::kIdentity,
     kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kIdentifyUsers, "/users/identify", "users.identify", RatePool::kIdentity,
     kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kMergeUsers, "/users/merge", "users.merge", RatePool::kIdentity,
     kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kDeleteUsers, "/users/delete", "users.delete", RatePool::kIdentity,
     kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kRenameExternalIds, "/users/external_ids/rename", "users.external_ids.rename",
     RatePool::kRename, kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kRemoveExternalIds, "/users/external_ids/remove", "users.external_ids.remove",
     RatePool::kRemove, kMaxActionItemsPerCall, RetrySafety::kIdempotent},
    {BrazeAction::kTriggerCanvas, "/canvas/trigger/send", "canvas.trigger.send",
     RatePool::kTargetedTriggers, kMaxActionItemsPerCall, RetrySafety::kOnlyIfNotProcessed},
    {BrazeAction::kTriggerCampaign, "/campaigns/trigger/send", "campaigns.trigger.send",
     RatePool::kTargetedTriggers, kMaxActionItemsPerCall, RetrySafety::kOnlyIfNotProcessed},
    {BrazeAction::kSetSubscriptionStatus, "/v2/subscription/status/set", "subscription.status.set",
     RatePool::kSubscriptions, kMaxActionItemsPerCall, RetrySafety::kIdempotent},
};

}  // namespace

const ActionEndpoint& EndpointOf(BrazeAction action) {
  for (const ActionEndpoint& endpoint : kEndpoints) {
    if (endpoint.action == action) return endpoint;
  }
  std::abort();  // every enumerator is in the table
}

RatePool PoolForTrigger(bool has_recipients) {
  return has_recipients ? RatePool::kTargetedTriggers : RatePool::kBroadcastTriggers;
}

PoolLimit DefaultLimitOf(RatePool pool) {
  switch (pool) {
    case RatePool::kIdentity:
      return {20'000, absl::Minutes(1)};
    case RatePool::kRename:
    case RatePool::kRemove:
      return {1'000, absl::Minutes(1)};
    case RatePool::kTargetedTriggers:
      return {250'000, absl::Hours(1)};
    case RatePool::kBroadcastTriggers:
      return {250, absl::Minutes(1)};
    case RatePool::kSubscriptions:
      return {5'000, absl::Minutes(1)};
  }
  std::abort();  // every enumerator is handled above
}

PoolLimit DefaultPerAudienceLimit() { return {10, absl::Minutes(1)}; }

absl::string_view RatePoolName(RatePool pool) {
  switch (pool) {
    case RatePool::kIdentity:
      return "identity";
    case RatePool::kRename:
      return "rename";
    case RatePool::kRemove:
      return "remove";
    case RatePool::kTargetedTriggers:
      return "targeted_triggers";
    case RatePool::kBroadcastTriggers:
      return "broadcast_triggers";
    case RatePool::kSubscriptions:
      return "subscriptions";
  }
  return "unknown";
}

}  // namespace brazesync
