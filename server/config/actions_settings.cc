// Resolves ActionsConfig into ActionsSettings (see actions_settings.h).
#include "server/config/actions_settings.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brazesync {
namespace {

// A pool's configured requests per window: the default for 0, an error
// naming the field for a negative value.
absl::Status SetRequests(int32_t value, const std::string& field, PoolLimit* limit) {
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be >= 0 (0 = ", limit->requests, ")"));
  }
  if (value > 0) limit->requests = value;
  return absl::OkStatus();
}

absl::Status SetMillis(int32_t value, const std::string& field, absl::Duration* duration) {
  if (value < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= 0"));
  if (value > 0) *duration = absl::Milliseconds(value);
  return absl::OkStatus();
}

}  // namespace

PoolLimit ActionsSettings::LimitOf(RatePool pool) const {
  switch (pool) {
    case RatePool::kIdentity:
      return identity;
    case RatePool::kRename:
      return rename;
    case RatePool::kRemove:
      return remove;
    case RatePool::kTargetedTriggers:
      return targeted_triggers;
    case RatePool::kBroadcastTriggers:
      return broadcast_triggers;
    case RatePool::kSubscriptions:
      return subscriptions;
  }
  return identity;
}

absl::StatusOr<ActionsSettings> ResolveActionsSettings(const v1::ActionsConfig& config,
                                                       const std::string& where) {
  ActionsSettings settings;
  const auto field = [&where](const char* name) { return absl::StrCat(where, ".", name); };
  for (absl::Status status : {
           SetRequests(config.identity_requests_per_minute(), field("identity_requests_per_minute"),
                       &settings.identity),
           SetRequests(config.rename_requests_per_minute(), field("rename_requests_per_minute"),
                       &settings.rename),
           SetRequests(config.remove_requests_per_minute(), field("remove_requests_per_minute"),
                       &settings.remove),
           SetRequests(config.trigger_requests_per_hour(), field("trigger_requests_per_hour"),
                       &settings.targeted_triggers),
           SetRequests(config.broadcast_requests_per_minute(),
                       field("broadcast_requests_per_minute"), &settings.broadcast_triggers),
           SetRequests(config.broadcast_requests_per_audience_per_minute(),
                       field("broadcast_requests_per_audience_per_minute"),
                       &settings.broadcast_per_audience),
           SetRequests(config.subscription_requests_per_minute(),
                       field("subscription_requests_per_minute"), &settings.subscriptions),
           SetMillis(config.max_wait_ms(), field("max_wait_ms"), &settings.max_wait),
           SetMillis(config.delete_tombstone_ms(), field("delete_tombstone_ms"),
                     &settings.delete_tombstone),
       }) {
    if (!status.ok()) return status;
  }
  if (config.canvas_properties_key() != v1::CANVAS_PROPERTIES_KEY_UNSPECIFIED) {
    settings.canvas_properties_key = config.canvas_properties_key();
  }
  return settings;
}

}  // namespace brazesync
