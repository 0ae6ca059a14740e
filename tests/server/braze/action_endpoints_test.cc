// Tests for server/braze/action_endpoints.h: the facts table must hold, for
// every BrazeAction, Braze's path, permission and rate pool
// (braze-api-round2.md §2.2-2.10), 50 items per call, and retry only
// triggers cautiously (a second send may send a second message); the pools'
// limits must be §2.13's and their names the ones budgets and metrics use.
#include "server/braze/action_endpoints.h"

#include <set>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

struct ExpectedEndpoint {
  BrazeAction action;
  const char* path;
  const char* permission;
  RatePool pool;
  RetrySafety retry;
};

constexpr ExpectedEndpoint kExpected[] = {
    {BrazeAction::kCreateAlias, "/users/alias/new", "users.alias.new", RatePool::kIdentity,
     RetrySafety::kIdempotent},
    {BrazeAction::kIdentifyUsers, "/users/identify", "users.identify", RatePool::kIdentity,
     RetrySafety::kIdempotent},
    {BrazeAction::kMergeUsers, "/users/merge", "users.merge", RatePool::kIdentity,
     RetrySafety::kIdempotent},
    {BrazeAction::kDeleteUsers, "/users/delete", "users.delete", RatePool::kIdentity,
     RetrySafety::kIdempotent},
    {BrazeAction::kRenameExternalIds, "/users/external_ids/rename", "users.external_ids.rename",
     RatePool::kRename, RetrySafety::kIdempotent},
    {BrazeAction::kRemoveExternalIds, "/users/external_ids/remove", "users.external_ids.remove",
     RatePool::kRemove, RetrySafety::kIdempotent},
    {BrazeAction::kTriggerCanvas, "/canvas/trigger/send", "canvas.trigger.send",
     RatePool::kTargetedTriggers, RetrySafety::kOnlyIfNotProcessed},
    {BrazeAction::kTriggerCampaign, "/campaigns/trigger/send", "campaigns.trigger.send",
     RatePool::kTargetedTriggers, RetrySafety::kOnlyIfNotProcessed},
    {BrazeAction::kSetSubscriptionStatus, "/v2/subscription/status/set", "subscription.status.set",
     RatePool::kSubscriptions, RetrySafety::kIdempotent},
};

TEST(EndpointOfTest, EveryActionHasBrazesFacts) {
  for (const ExpectedEndpoint& expected : kExpected) {
    const ActionEndpoint& endpoint = EndpointOf(expected.action);
    SCOPED_TRACE(expected.path);
    EXPECT_EQ(endpoint.action, expected.action);
    EXPECT_EQ(endpoint.path, expected.path);
    EXPECT_EQ(endpoint.permission, expected.permission);
    EXPECT_EQ(endpoint.pool, expected.pool);
    EXPECT_EQ(endpoint.retry, expected.retry);
    EXPECT_EQ(endpoint.max_items_per_call, 50);
    EXPECT_EQ(endpoint.max_items_per_call, kMaxActionItemsPerCall);
  }
}

TEST(EndpointOfTest, PathsAreDistinct) {
  std::set<std::string> paths;
  for (const ExpectedEndpoint& expected : kExpected) {
    EXPECT_TRUE(paths.insert(std::string(EndpointOf(expected.action).path)).second)
        << expected.path;
  }
}

TEST(PoolForTriggerTest, RecipientsSpendTheTargetedPool) {
  EXPECT_EQ(PoolForTrigger(/*has_recipients=*/true), RatePool::kTargetedTriggers);
  EXPECT_EQ(PoolForTrigger(/*has_recipients=*/false), RatePool::kBroadcastTriggers);
}

TEST(DefaultLimitOfTest, MatchesBrazesRateLimits) {
  const struct {
    RatePool pool;
    int requests;
    absl::Duration window;
  } kLimits[] = {
      {RatePool::kIdentity, 20'000, absl::Minutes(1)},
      {RatePool::kRename, 1'000, absl::Minutes(1)},
      {RatePool::kRemove, 1'000, absl::Minutes(1)},
      {RatePool::kTargetedTriggers, 250'000, absl::Hours(1)},
      {RatePool::kBroadcastTriggers, 250, absl::Minutes(1)},
      {RatePool::kSubscriptions, 5'000, absl::Minutes(1)},
  };
  for (const auto& expected : kLimits) {
    SCOPED_TRACE(std::string(RatePoolName(expected.pool)));
    const PoolLimit limit = DefaultLimitOf(expected.pool);
    EXPECT_EQ(limit.requests, expected.requests);
    EXPECT_EQ(limit.window, expected.window);
  }
}

TEST(DefaultPerAudienceLimitTest, TenPerMinute) {
  const PoolLimit limit = DefaultPerAudienceLimit();
  EXPECT_EQ(limit.requests, 10);
  EXPECT_EQ(limit.window, absl::Minutes(1));
}

TEST(RatePoolNameTest, Names) {
  EXPECT_EQ(RatePoolName(RatePool::kIdentity), "identity");
  EXPECT_EQ(RatePoolName(RatePool::kRename), "rename");
  EXPECT_EQ(RatePoolName(RatePool::kRemove), "remove");
  EXPECT_EQ(RatePoolName(RatePool::kTargetedTriggers), "targeted_triggers");
  EXPECT_EQ(RatePoolName(RatePool::kBroadcastTriggers), "broadcast_triggers");
  EXPECT_EQ(RatePoolName(RatePool::kSubscriptions), "subscriptions");
}

}  // namespace
}  // namespace brazesync
