// Tests for server/delivery/rate_governor.h: per-workspace pacing of Braze
// requests. By default the governor spends a LocalRateBudget (its bucket
// maths are tested in local_rate_budget_test.cc; here through the governor):
// a burst at once, then the refill; the AIMD concurrency limit halves on 429
// and grows by one per success; Braze's X-RateLimit-Remaining/Reset tighten
// the budget before Braze says 429; 429's retry_after pauses everything. With
// a budget of its own (a recording fake), the governor forwards Braze's
// feedback to it and takes exactly one token per request. Time is always
// passed in explicitly, so nothing here depends on the wall clock.
#include "server/delivery/rate_governor.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/braze/users_track.h"
#include "server/delivery/rate_budget.h"

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
// With kRequestsPerWindow: the tokens are capped below 10 remaining.
constexpr double kLowRemainingFraction = 0.5;
constexpr absl::Duration kSlack = absl::Milliseconds(1);
constexpr int kMaxConcurrency = 8;
// 2024-05-01T00:00:00Z
constexpr int64_t kStartSeconds = 1714521600;

absl::Time Start() { return absl::FromUnixSeconds(kStartSeconds); }

RateGovernorOptions Options() {
  RateGovernorOptions options;
  options.requests_per_window = kRequestsPerWindow;
  options.window = kWindow;
  options.burst_fraction = kBurstFraction;
  options.low_remaining_fraction = kLowRemainingFraction;
  options.max_concurrency = kMaxConcurrency;
  return options;
}

BrazeAttempt Success(int64_t remaining = -1) {
  BrazeAttempt attempt;
  attempt.http_status = 201;
  attempt.rate_limit_remaining = remaining;
  return attempt;
}

BrazeAttempt TooManyRequests(std::optional<absl::Duration> retry_after) {
  BrazeAttempt attempt;
  attempt.http_status = 429;
  attempt.status = absl::UnavailableError("Braze answered HTTP 429");
  attempt.retry_after = retry_after;
  return attempt;
}

BrazeAttempt ServiceUnavailable() {
  BrazeAttempt attempt;
  attempt.http_status = 503;
  attempt.status = absl::UnavailableError("Braze answered HTTP 503");
  return attempt;
}

// Starts requests at `now` (none in flight) until the governor refuses.
int StartAll(RateGovernor& governor, absl::Time now) {
  int started = 0;
  while (started < 10'000 && governor.CanStart(now, /*in_flight=*/0)) {
    governor.Started(now);
    ++started;
  }
  return started;
}

// ---- Token bucket (LocalRateBudget, the default) ----

TEST(RateGovernorTest, AllowsABurstThenWaits) {
  RateGovernor governor(Options(), Start());
  EXPECT_THAT(StartAll(governor, Start()), Eq(kBurst));
  EXPECT_FALSE(governor.CanStart(Start(), 0));
}

TEST(RateGovernorTest, RefillsOneTokenPerTokenInterval) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  EXPECT_FALSE(governor.CanStart(Start() + kTokenInterval - kSlack, 0));
  EXPECT_TRUE(governor.CanStart(Start() + kTokenInterval + kSlack, 0));
}

// Braze counts requests per fixed window; a full bucket at the window's start
// plus everything refilled during it must still fit Braze's limit.
TEST(RateGovernorTest, DefaultPacingStaysWithinBrazesLimitPerWindow) {
  const RateGovernorOptions defaults;
  RateGovernor governor(defaults, Start());
  int started = 0;
  for (absl::Duration t = absl::ZeroDuration(); t < defaults.window; t += absl::Milliseconds(1)) {
    started += StartAll(governor, Start() + t);
  }
  EXPECT_THAT(started, Le(defaults.requests_per_window));
  EXPECT_THAT(started, Ge(defaults.requests_per_window * 9 / 10));
}

TEST(RateGovernorTest, CountsARateWait) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  EXPECT_THAT(governor.waits(), Eq(1));  // StartAll's final refusal
  governor.CanStart(Start(), 0);
  EXPECT_THAT(governor.waits(), Eq(2));
}

// ---- Concurrency (AIMD) ----

TEST(RateGovernorTest, ConcurrencyLimitStartsAtTheMaximum) {
  const RateGovernor governor(Options(), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(kMaxConcurrency));
}

TEST(RateGovernorTest, ConcurrencyLimitBlocksEvenWithTokensLeft) {
  RateGovernor governor(Options(), Start());
  EXPECT_FALSE(governor.CanStart(Start(), kMaxConcurrency));
  EXPECT_TRUE(governor.CanStart(Start(), kMaxConcurrency - 1));
}

TEST(RateGovernorTest, WaitingForAConcurrencySlotIsNotARateWait) {
  RateGovernor governor(Options(), Start());
  governor.CanStart(Start(), kMaxConcurrency);
  EXPECT_THAT(governor.waits(), Eq(0));
}

TEST(RateGovernorTest, A429HalvesTheConcurrencyLimitDownToOne) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(kMaxConcurrency / 2));
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(1));
}

TEST(RateGovernorTest, A429PausesUntilRetryAfter) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::Seconds(2)), Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Seconds(2)));
  EXPECT_FALSE(governor.CanStart(Start() + absl::Seconds(2) - kSlack, 0));
  EXPECT_TRUE(governor.CanStart(Start() + absl::Seconds(2), 0));
}

TEST(RateGovernorTest, A429WithoutRetryAfterPausesOneSecond) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(std::nullopt), Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Seconds(1)));
  EXPECT_FALSE(governor.CanStart(Start() + absl::Seconds(1) - kSlack, 0));
}

TEST(RateGovernorTest, AShorterRetryAfterDoesNotShortenAPause) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::Seconds(5)), Start());
  governor.OnAttempt(TooManyRequests(absl::Seconds(1)), Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Seconds(5)));
}

TEST(RateGovernorTest, SuccessAddsOneToTheConcurrencyLimitUpToTheMaximum) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());  // 8 -> 4
  governor.OnAttempt(Success(), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(kMaxConcurrency / 2 + 1));
  for (int i = 0; i < 2 * kMaxConcurrency; ++i) governor.OnAttempt(Success(), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(kMaxConcurrency));
}

TEST(RateGovernorTest, OtherFailuresLeaveTheConcurrencyLimitAlone) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::ZeroDuration()), Start());
  governor.OnAttempt(ServiceUnavailable(), Start());
  EXPECT_THAT(governor.concurrency_limit(), Eq(kMaxConcurrency / 2));
}

// ---- Braze's rate-limit headers ----

TEST(RateGovernorTest, LowRemainingCapsTheTokens) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(Success(/*remaining=*/3), Start());
  EXPECT_THAT(StartAll(governor, Start()), Eq(3));
}

TEST(RateGovernorTest, RemainingAboveTheLowMarkLeavesTheTokens) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(Success(/*remaining=*/15), Start());
  EXPECT_THAT(StartAll(governor, Start()), Eq(kBurst));
}

TEST(RateGovernorTest, NoRemainingAndAResetPausesUntilTheReset) {
  RateGovernor governor(Options(), Start());
  BrazeAttempt attempt = Success(/*remaining=*/0);
  attempt.rate_limit_reset = Start() + absl::Seconds(30);
  governor.OnAttempt(attempt, Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Seconds(30)));
  EXPECT_FALSE(governor.CanStart(Start() + absl::Seconds(29), 0));
  EXPECT_TRUE(governor.CanStart(Start() + absl::Seconds(30), 0));
}

TEST(RateGovernorTest, NoRemainingWithoutAResetDoesNotPause) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(Success(/*remaining=*/0), Start());
  // Only the empty bucket holds the next request back: one token's refill.
  EXPECT_THAT(governor.NextStartAt(Start()),
              AllOf(Ge(Start() + kTokenInterval - kSlack), Le(Start() + kTokenInterval + kSlack)));
  EXPECT_FALSE(governor.CanStart(Start(), 0));  // no token is left
}

// ---- NextStartAt ----

TEST(RateGovernorTest, NextStartAtIsNowWhenATokenIsFree) {
  const RateGovernor governor(Options(), Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start()));
}

TEST(RateGovernorTest, NextStartAtIsWhenTheNextTokenArrives) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  const absl::Time next = governor.NextStartAt(Start());
  EXPECT_THAT(next, Ge(Start() + kTokenInterval - kSlack));
  EXPECT_TRUE(next <= Start() + kTokenInterval + kSlack) << next;
  EXPECT_TRUE(governor.CanStart(next + kSlack, 0));
}

TEST(RateGovernorTest, NextStartAtIsTheEndOfAPause) {
  RateGovernor governor(Options(), Start());
  governor.OnAttempt(TooManyRequests(absl::Seconds(3)), Start());
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Seconds(3)));
}

// ---- A budget of its own ----

// Records what the governor tells it; hands out `tokens`.
class FakeBudget final : public RateBudget {
 public:
  struct Log {
    int takes = 0;
    int tokens = 0;
    absl::Time next_token_at = absl::InfinitePast();
    absl::Time throttled_until = absl::InfinitePast();
    int remaining = -1;
    std::optional<absl::Time> reset;
  };
  explicit FakeBudget(Log* log) : log_(log) {}

  bool TryTake(absl::Time) override {
    ++log_->takes;
    if (log_->tokens <= 0) return false;
    --log_->tokens;
    return true;
  }
  absl::Time NextTokenAt(absl::Time now) override { return std::max(now, log_->next_token_at); }
  void ObserveThrottle(absl::Time until) override { log_->throttled_until = until; }
  void ObserveRemaining(int remaining, std::optional<absl::Time> reset, absl::Time) override {
    log_->remaining = remaining;
    log_->reset = reset;
  }

 private:
  Log* const log_;
};

TEST(RateGovernorTest, TakesOneTokenPerRequestFromItsBudget) {
  FakeBudget::Log log;
  log.tokens = 3;
  RateGovernor governor(Options(), std::make_unique<FakeBudget>(&log));
  // CanStart takes the token; a second CanStart before Started reuses it.
  EXPECT_TRUE(governor.CanStart(Start(), 0));
  EXPECT_TRUE(governor.CanStart(Start(), 0));
  governor.Started(Start());
  EXPECT_THAT(log.tokens, Eq(2));
  EXPECT_THAT(StartAll(governor, Start()), Eq(2));
  EXPECT_THAT(log.tokens, Eq(0));
}

TEST(RateGovernorTest, DropsATokenHeldTooLong) {
  FakeBudget::Log log;
  log.tokens = 2;
  RateGovernorOptions options = Options();
  options.max_token_hold = absl::Milliseconds(50);
  RateGovernor governor(options, std::make_unique<FakeBudget>(&log));
  EXPECT_TRUE(governor.CanStart(Start(), 0));  // held, never spent
  // Much later the held token is stale: the request takes a fresh one.
  EXPECT_TRUE(governor.CanStart(Start() + absl::Seconds(1), 0));
  EXPECT_THAT(log.tokens, Eq(0));
}

TEST(RateGovernorTest, WaitsUntilTheBudgetsNextToken) {
  FakeBudget::Log log;
  log.next_token_at = Start() + absl::Milliseconds(70);
  RateGovernor governor(Options(), std::make_unique<FakeBudget>(&log));
  EXPECT_FALSE(governor.CanStart(Start(), 0));
  EXPECT_THAT(governor.waits(), Eq(1));
  EXPECT_THAT(governor.NextStartAt(Start()), Eq(Start() + absl::Milliseconds(70)));
}

TEST(RateGovernorTest, ForwardsA429ToTheBudget) {
  FakeBudget::Log log;
  log.tokens = 10;
  RateGovernor governor(Options(), std::make_unique<FakeBudget>(&log));
  governor.OnAttempt(TooManyRequests(absl::Seconds(4)), Start());
  EXPECT_THAT(log.throttled_until, Eq(Start() + absl::Seconds(4)));
  // The governor's own pause holds even if the budget has tokens.
  EXPECT_FALSE(governor.CanStart(Start() + absl::Seconds(3), 0));
  EXPECT_THAT(log.tokens, Eq(10));
}

TEST(RateGovernorTest, ForwardsLowRemainingToTheBudget) {
  FakeBudget::Log log;
  RateGovernor governor(Options(), std::make_unique<FakeBudget>(&log));
  BrazeAttempt attempt = Success(/*remaining=*/0);
  attempt.rate_limit_reset = Start() + absl::Seconds(30);
  governor.OnAttempt(attempt, Start());
  EXPECT_THAT(log.remaining, Eq(0));
  EXPECT_THAT(log.reset, Eq(std::optional<absl::Time>(Start() + absl::Seconds(30))));
}

TEST(RateGovernorTest, DoesNotForwardRemainingAboveTheLowMark) {
  FakeBudget::Log log;
  RateGovernor governor(Options(), std::make_unique<FakeBudget>(&log));
  governor.OnAttempt(Success(/*remaining=*/15), Start());
  EXPECT_THAT(log.remaining, Eq(-1));
}

}  // namespace
}  // namespace brazesync
