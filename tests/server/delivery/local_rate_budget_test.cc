// Tests for server/delivery/local_rate_budget.h: one replica's token bucket.
// It allows a burst (a fraction of the window's limit) at once and refills
// over (injected) time at the rest of the rate, so that burst plus refill
// never exceed Braze's limit within one window; Braze's remaining count caps
// it, and a throttle or an exhausted window pauses it. Time is always passed
// in explicitly, so nothing here depends on the wall clock.
#include "server/delivery/local_rate_budget.h"

#include <memory>
#include <optional>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_governor.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Eq;
using ::testing::Ge;
using ::testing::Le;

// A burst of 10, then 10 tokens per second: one every 100 ms.
constexpr int kRequestsPerWindow = 20;
constexpr double kBurstFraction = 0.5;
constexpr int kBurst = 10;
constexpr absl::Duration kWindow = absl::Seconds(1);
constexpr absl::Duration kTokenInterval = absl::Milliseconds(100);
constexpr absl::Duration kSlack = absl::Milliseconds(1);
// 2024-05-01T00:00:00Z
constexpr int64_t kStartSeconds = 1714521600;

absl::Time Start() { return absl::FromUnixSeconds(kStartSeconds); }

RateGovernorOptions Options() {
  RateGovernorOptions options;
  options.requests_per_window = kRequestsPerWindow;
  options.window = kWindow;
  options.burst_fraction = kBurstFraction;
  return options;
}

// Takes tokens at `now` until the budget refuses.
int TakeAll(RateBudget& budget, absl::Time now) {
  int taken = 0;
  while (taken < 10'000 && budget.TryTake(now)) ++taken;
  return taken;
}

TEST(LocalRateBudgetTest, AllowsABurstThenWaits) {
  LocalRateBudget budget(Options(), Start());
  EXPECT_THAT(TakeAll(budget, Start()), Eq(kBurst));
  EXPECT_FALSE(budget.TryTake(Start()));
}

TEST(LocalRateBudgetTest, RefillsOneTokenPerTokenInterval) {
  LocalRateBudget budget(Options(), Start());
  TakeAll(budget, Start());
  EXPECT_FALSE(budget.TryTake(Start() + kTokenInterval - kSlack));
  EXPECT_TRUE(budget.TryTake(Start() + kTokenInterval + kSlack));
}

TEST(LocalRateBudgetTest, RefillsLinearlyOverTime) {
  LocalRateBudget budget(Options(), Start());
  TakeAll(budget, Start());
  EXPECT_THAT(TakeAll(budget, Start() + 3 * kTokenInterval + kSlack), Eq(3));
}

TEST(LocalRateBudgetTest, NeverHoldsMoreThanTheBurst) {
  LocalRateBudget budget(Options(), Start());
  TakeAll(budget, Start());
  EXPECT_THAT(TakeAll(budget, Start() + absl::Hours(1)), Eq(kBurst));
}

// Braze counts requests per fixed window; a full bucket at the window's start
// plus everything refilled during it must still fit Braze's limit.
TEST(LocalRateBudgetTest, DefaultPacingStaysWithinBrazesLimitPerWindow) {
  const RateGovernorOptions defaults;
  LocalRateBudget budget(defaults, Start());
  int taken = 0;
  for (absl::Duration t = absl::ZeroDuration(); t < defaults.window; t += absl::Milliseconds(1)) {
    taken += TakeAll(budget, Start() + t);
  }
  EXPECT_THAT(taken, Le(defaults.requests_per_window));
  EXPECT_THAT(taken, Ge(defaults.requests_per_window * 9 / 10));
}

TEST(LocalRateBudgetTest, BurstIsAtLeastOneRequest) {
  RateGovernorOptions options = Options();
  options.requests_per_window = 2;
  options.burst_fraction = 0.1;
  LocalRateBudget budget(options, Start());
  EXPECT_THAT(TakeAll(budget, Start()), Eq(1));
}

// Regression test (was a bug in the governor's bucket): with a limit of 1 the
// refill was 0 and the workspace stalled after its first request.
TEST(LocalRateBudgetTest, AWindowLimitOfOneStillRefills) {
  RateGovernorOptions options = Options();
  options.requests_per_window = 1;
  LocalRateBudget budget(options, Start());
  EXPECT_THAT(TakeAll(budget, Start()), Eq(1));
  EXPECT_THAT(TakeAll(budget, Start() + kWindow + kSlack), Eq(1));
}

TEST(LocalRateBudgetTest, NextTokenAtIsNowWhenATokenIsFree) {
  LocalRateBudget budget(Options(), Start());
  EXPECT_THAT(budget.NextTokenAt(Start()), Eq(Start()));
}

TEST(LocalRateBudgetTest, NextTokenAtIsWhenTheNextTokenArrives) {
  LocalRateBudget budget(Options(), Start());
  TakeAll(budget, Start());
  const absl::Time next = budget.NextTokenAt(Start());
  EXPECT_THAT(next,
              AllOf(Ge(Start() + kTokenInterval - kSlack), Le(Start() + kTokenInterval + kSlack)));
  EXPECT_TRUE(budget.TryTake(next + kSlack));
}

TEST(LocalRateBudgetTest, AThrottlePausesUntilItsEnd) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveThrottle(Start() + absl::Seconds(2));
  EXPECT_THAT(budget.NextTokenAt(Start()), Eq(Start() + absl::Seconds(2)));
  EXPECT_FALSE(budget.TryTake(Start() + absl::Seconds(2) - kSlack));
  EXPECT_TRUE(budget.TryTake(Start() + absl::Seconds(2)));
}

TEST(LocalRateBudgetTest, AnEarlierThrottleDoesNotShortenAPause) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveThrottle(Start() + absl::Seconds(5));
  budget.ObserveThrottle(Start() + absl::Seconds(1));
  EXPECT_THAT(budget.NextTokenAt(Start()), Eq(Start() + absl::Seconds(5)));
}

TEST(LocalRateBudgetTest, RemainingCapsTheTokens) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveRemaining(3, std::nullopt, Start());
  EXPECT_THAT(TakeAll(budget, Start()), Eq(3));
}

TEST(LocalRateBudgetTest, RemainingAboveTheTokensLeavesThem) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveRemaining(15, std::nullopt, Start());
  EXPECT_THAT(TakeAll(budget, Start()), Eq(kBurst));
}

TEST(LocalRateBudgetTest, NoRemainingAndAResetPausesUntilTheReset) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveRemaining(0, Start() + absl::Seconds(30), Start());
  EXPECT_THAT(budget.NextTokenAt(Start()), Eq(Start() + absl::Seconds(30)));
  EXPECT_FALSE(budget.TryTake(Start() + absl::Seconds(29)));
  EXPECT_TRUE(budget.TryTake(Start() + absl::Seconds(30)));
}

TEST(LocalRateBudgetTest, NoRemainingWithoutAResetWaitsForOneRefill) {
  LocalRateBudget budget(Options(), Start());
  budget.ObserveRemaining(0, std::nullopt, Start());
  EXPECT_FALSE(budget.TryTake(Start()));
  EXPECT_THAT(budget.NextTokenAt(Start()),
              AllOf(Ge(Start() + kTokenInterval - kSlack), Le(Start() + kTokenInterval + kSlack)));
}

TEST(LocalRateBudgetTest, TheFactoryBuildsABucketFromTheGovernorOptions) {
  const RateBudgetFactory factory = LocalRateBudgetFactory();
  std::unique_ptr<RateBudget> budget = factory(WorkspaceSettings(), Options());
  ASSERT_NE(budget, nullptr);
  // Full now (the factory uses the real clock): the burst, then nothing.
  const absl::Time now = absl::Now();
  EXPECT_THAT(TakeAll(*budget, now), Eq(kBurst));
}

}  // namespace
}  // namespace brazesync
