// Tests for server/retry_policy.h: exponential backoff with full jitter. The
// ceiling starts at the initial wait, doubles per failed attempt and stops at
// the maximum; each random wait lies in [0, ceiling].
#include "server/delivery/retry_policy.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Eq;
using ::testing::Ge;
using ::testing::Gt;
using ::testing::Le;

constexpr absl::Duration kInitial = absl::Milliseconds(200);
constexpr absl::Duration kMax = absl::Seconds(5);
constexpr int kSamples = 1000;

TEST(RetryPolicyBackoffTest, FirstCeilingIsTheInitialWait) {
  const Backoff backoff(kInitial, kMax);
  EXPECT_THAT(backoff.Ceiling(1), Eq(kInitial));
}

TEST(RetryPolicyBackoffTest, CeilingDoublesPerFailedAttempt) {
  const Backoff backoff(kInitial, kMax);
  EXPECT_THAT(backoff.Ceiling(2), Eq(absl::Milliseconds(400)));
  EXPECT_THAT(backoff.Ceiling(3), Eq(absl::Milliseconds(800)));
  EXPECT_THAT(backoff.Ceiling(4), Eq(absl::Milliseconds(1600)));
}

TEST(RetryPolicyBackoffTest, CeilingStopsAtTheMaximum) {
  const Backoff backoff(kInitial, kMax);
  EXPECT_THAT(backoff.Ceiling(6), Eq(kMax));  // 200ms * 32 = 6.4s > 5s
  EXPECT_THAT(backoff.Ceiling(7), Eq(kMax));
}

TEST(RetryPolicyBackoffTest, CeilingOfManyAttemptsDoesNotOverflow) {
  const Backoff backoff(kInitial, kMax);
  EXPECT_THAT(backoff.Ceiling(1'000'000), Eq(kMax));
}

TEST(RetryPolicyBackoffTest, InitialAboveTheMaximumIsCapped) {
  const Backoff backoff(absl::Seconds(10), kMax);
  EXPECT_THAT(backoff.Ceiling(1), Eq(kMax));
}

TEST(RetryPolicyBackoffTest, NextLiesWithinZeroAndTheCeiling) {
  Backoff backoff(kInitial, kMax);
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const absl::Duration ceiling = backoff.Ceiling(attempt);
    for (int i = 0; i < kSamples; ++i) {
      EXPECT_THAT(backoff.Next(attempt), AllOf(Ge(absl::ZeroDuration()), Le(ceiling)))
          << "attempt " << attempt;
    }
  }
}

// Full jitter: the waits spread over the range instead of all being equal.
TEST(RetryPolicyBackoffTest, NextIsJittered) {
  Backoff backoff(kInitial, kMax);
  absl::Duration smallest = absl::InfiniteDuration();
  absl::Duration largest = absl::ZeroDuration();
  for (int i = 0; i < kSamples; ++i) {
    const absl::Duration wait = backoff.Next(3);
    smallest = std::min(smallest, wait);
    largest = std::max(largest, wait);
  }
  EXPECT_THAT(largest - smallest, Gt(backoff.Ceiling(3) / 2));
}

}  // namespace
}  // namespace brazesync
