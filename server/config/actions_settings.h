// A workspace's settings for BrazeIdentity, BrazeMessaging and
// BrazeSubscriptions (brazesync.v1.ActionsConfig) with every default applied
// and every value checked, errors naming the field. The rate-pool defaults
// are Braze's limits (braze/action_endpoints.h); the others are written
// once, here.
#ifndef BRAZESYNC_SERVER_CONFIG_ACTIONS_SETTINGS_H_
#define BRAZESYNC_SERVER_CONFIG_ACTIONS_SETTINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"
#include "server/braze/action_endpoints.h"

namespace brazesync {

struct ActionsSettings {
  PoolLimit identity = DefaultLimitOf(RatePool::kIdentity);
  PoolLimit rename = DefaultLimitOf(RatePool::kRename);
  PoolLimit remove = DefaultLimitOf(RatePool::kRemove);
  PoolLimit targeted_triggers = DefaultLimitOf(RatePool::kTargetedTriggers);
  PoolLimit broadcast_triggers = DefaultLimitOf(RatePool::kBroadcastTriggers);
  PoolLimit broadcast_per_audience = DefaultPerAudienceLimit();
  PoolLimit subscriptions = DefaultLimitOf(RatePool::kSubscriptions);
  // How long a call waits for its pool before its items are DEFERRED.
  absl::Duration max_wait = absl::Seconds(10);
  // How long lookups answer NOT_FOUND for deleted users.
  absl::Duration delete_tombstone = absl::Minutes(10);
  v1::CanvasPropertiesKey canvas_properties_key = v1::CANVAS_PROPERTIES_KEY_CONTEXT;

  // The configured limit of `pool`.
  PoolLimit LimitOf(RatePool pool) const;
};

// `where` prefixes error fields, e.g. `workspaces["prod"].actions`.
absl::StatusOr<ActionsSettings> ResolveActionsSettings(const v1::ActionsConfig& config,
                                                       const std::string& where);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONFIG_ACTIONS_SETTINGS_H_
