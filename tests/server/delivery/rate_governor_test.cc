// Tests for server/rate_governor.h: per-workspace pacing of Braze requests.
// The token bucket allows a burst (a fraction of the window's limit) at once
// and refills over (injected) time at the rest of the rate, so that burst plus
// refill never exceed Braze's limit within one window; the AIMD concurrency limit halves on 429 and
// grows by one per success; Braze's X-RateLimit-Remaining/Reset tighten the bucket before Braze
// says 429; 429's retry_after pauses everything. Time is always passed in explicitly, so nothing
// here depends on the wall clock.
#include "server/delivery/rate_governor.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/braze/users_track.h"

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

// ---- Token bucket ----

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

TEST(RateGovernorTest, RefillsLinearlyOverTime) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  EXPECT_THAT(StartAll(governor, Start() + 3 * kTokenInterval + kSlack), Eq(3));
}

TEST(RateGovernorTest, NeverHoldsMoreThanTheBurst) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  EXPECT_THAT(StartAll(governor, Start() + absl::Hours(1)), Eq(kBurst));
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

TEST(RateGovernorTest, BurstIsAtLeastOneRequest) {
  RateGovernorOptions options = Options();
  options.requests_per_window = 2;
  options.burst_fraction = 0.1;
  RateGovernor governor(options, Start());
  EXPECT_THAT(StartAll(governor, Start()), Eq(1));
}

TEST(RateGovernorTest, CountsARateWait) {
  RateGovernor governor(Options(), Start());
  StartAll(governor, Start());
  EXPECT_THAT(governor.waits(), Eq(1));  // StartAll's final refusal
  governor.CanStart(Start(), 0);
  EXPECT_THAT(governor.waits(), Eq(2));
}

// Regression test (was a bug in server/rate_governor.cc, constructor): capacity_ is at least 1, and
// tokens_per_second_ = (requests_per_window - capacity_) / window, which is 0
// for requests_per_window == 1 (and negative for 0): after the first request
// the bucket never refills, NextStartAt() is infinitely far, and every later
// item of the workspace fails DEADLINE_EXCEEDED. --rate_limit_requests is
// not range-checked (server/main.cc). Fix: reject rate_limit_requests < 2
// where ServerOptions are checked, and/or in the governor use
// capacity_ = min(capacity_, requests_per_window - 1) with a floor of 1 token
// per window for the refill.
TEST(RateGovernorTest, AWindowLimitOfOneStillRefills) {
  RateGovernorOptions options = Options();
  options.requests_per_window = 1;
  RateGovernor governor(options, Start());
  EXPECT_THAT(StartAll(governor, Start()), Eq(1));
  EXPECT_THAT(StartAll(governor, Start() + kWindow + kSlack), Eq(1));
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

}  // namespace
}  // namespace brazesync
