// Tests of Metrics: each label set is one series, counted across calls
// (the per-call handles are cached, so repeated calls must land on the same
// series), and the text exposition carries what was counted.
#include "server/ops/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RepeatedCallsWithOneLabelSetCountOnOneSeries) {
  Metrics metrics;
  metrics.CountCall("Track", "OK", 0.002);
  metrics.CountCall("Track", "OK", 0.003);
  metrics.CountCall("Track", "INVALID_ARGUMENT", 0.001);
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("brazesync_requests_total{code=\"OK\",method=\"Track\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("brazesync_requests_total{code=\"INVALID_ARGUMENT\",method=\"Track\"} 1"));
  EXPECT_THAT(text, HasSubstr("brazesync_request_duration_seconds_count{method=\"Track\"} 3"));
}

TEST(MetricsTest, ItemsAreCountedByKindAndOutcome) {
  Metrics metrics;
  metrics.CountItems("events", "delivered", 1);
  metrics.CountItems("events", "delivered", 2);
  metrics.CountItems("purchases", "rejected_invalid", 1);
  metrics.CountItems("attributes", "delivered", 0);  // nothing counted: no series
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("brazesync_items_total{kind=\"events\",outcome=\"delivered\"} 3"));
  EXPECT_THAT(
      text, HasSubstr("brazesync_items_total{kind=\"purchases\",outcome=\"rejected_invalid\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("kind=\"attributes\"")));
}

}  // namespace
}  // namespace brazesync
