// Tests for server/braze/limits.h: the constants say what Braze documents
// (shared/reference/braze-api.md), in the units the code compares them in.
#include "server/braze/limits.h"

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

TEST(BrazeLimitsTest, RequestCapsAreBrazesDocumentedValues) {
  EXPECT_EQ(kMaxObjectsPerRequest, 75);
  EXPECT_EQ(kMaxRequestBytes, 4'000'000u);
  EXPECT_EQ(kRateLimitRequests, 3000);
  EXPECT_EQ(kRateLimitWindow, absl::Seconds(3));
}

TEST(BrazeLimitsTest, SizeCapsAreKilobytesOf1024Bytes) {
  // Braze writes "100 KB" and "50 KB"; the validator compares JSON bytes.
  EXPECT_EQ(kMaxNestedJsonBytes, 100u * 1024);
  EXPECT_EQ(kMaxPurchasePropertiesJsonBytes, 50u * 1024);
}

TEST(BrazeLimitsTest, LatestTimeIsTheLastSecondOfTheLatestYear) {
  const absl::Time latest =
      absl::FromCivil(absl::CivilSecond(kMaxTimeYear, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  EXPECT_EQ(kMaxTimeSeconds, absl::ToUnixSeconds(latest));
  EXPECT_EQ(kMaxTimeYear, 3000);
}

}  // namespace
}  // namespace brazesync
