// Tests for server/ops/braze_reachability.h: Braze turns unreachable after N
// consecutive transport failures and reachable again on any HTTP response;
// the caller's short deadlines and BrazeSync's own shutdown (told by the
// typed mark of http/http_client.h, not by the message text) are no evidence.
#include "server/ops/braze_reachability.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/http_client.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int kFailuresToUnreachable = 3;

// A request with Braze's usual timeout, long enough for a timeout to count.
HttpRequest Request() {
  HttpRequest request;
  request.url = "https://rest.iad-01.braze.com/users/track";
  request.timeout = absl::Seconds(10);
  return request;
}

class BrazeReachabilityTest : public ::testing::Test {
 protected:
  void Observe(const absl::StatusOr<HttpResponse>& outcome, HttpRequest request = Request()) {
    reachability_.Observe(request, outcome);
  }

  std::vector<bool> flips_;
  BrazeReachability reachability_{kFailuresToUnreachable,
                                  [this](bool reachable) { flips_.push_back(reachable); }};
};

TEST_F(BrazeReachabilityTest, FlipsAfterConsecutiveTransportFailures) {
  const absl::Status down = absl::UnavailableError("connect failed");
  Observe(down);
  Observe(down);
  EXPECT_TRUE(reachability_.reachable());
  Observe(HttpResponse{503, {}, ""});  // a response resets the count
  Observe(down);
  Observe(down);
  EXPECT_TRUE(reachability_.reachable());
  Observe(down);
  EXPECT_FALSE(reachability_.reachable());
  HttpRequest short_deadline = Request();
  short_deadline.timeout = absl::Milliseconds(10);  // the caller's deadline: not evidence
  Observe(absl::DeadlineExceededError("timeout"), short_deadline);
  EXPECT_FALSE(reachability_.reachable());
  Observe(HttpResponse{201, {}, ""});
  EXPECT_TRUE(reachability_.reachable());
  EXPECT_THAT(flips_, ElementsAre(false, true));
}

TEST_F(BrazeReachabilityTest, LongTimeoutsAndTlsFailuresCount) {
  Observe(absl::DeadlineExceededError("timed out after 10s"));
  Observe(absl::FailedPreconditionError("SSL certificate problem"));
  Observe(absl::DeadlineExceededError("timed out after 10s"));
  EXPECT_FALSE(reachability_.reachable());
}

TEST_F(BrazeReachabilityTest, IgnoresRequestsDroppedByShutdown) {
  for (int i = 0; i < 2 * kFailuresToUnreachable; ++i) {
    Observe(ShutdownStatus("HTTP client is shutting down"));
  }
  EXPECT_TRUE(reachability_.reachable());
  EXPECT_THAT(flips_, IsEmpty());
}

// The shutdown signal is the mark, not the wording: a reworded shutdown
// message is still ignored, and a network failure whose text happens to say
// "shutting down" still counts.
TEST_F(BrazeReachabilityTest, TellsShutdownByTheMarkNotByTheMessage) {
  for (int i = 0; i < kFailuresToUnreachable; ++i) Observe(ShutdownStatus("stopping"));
  EXPECT_TRUE(reachability_.reachable());
  for (int i = 0; i < kFailuresToUnreachable; ++i) {
    Observe(absl::UnavailableError("Braze's proxy is shutting down"));
  }
  EXPECT_FALSE(reachability_.reachable());
}

TEST_F(BrazeReachabilityTest, ShutdownDoesNotResetTheFailureCount) {
  const absl::Status down = absl::UnavailableError("connect failed");
  Observe(down);
  Observe(down);
  Observe(ShutdownStatus("HTTP client is shutting down"));
  Observe(down);
  EXPECT_FALSE(reachability_.reachable());
}

TEST_F(BrazeReachabilityTest, OtherCodesAreNoEvidence) {
  for (int i = 0; i < kFailuresToUnreachable; ++i) {
    Observe(absl::ResourceExhaustedError("curl_easy_init failed"));
    Observe(absl::InternalError("unexpected"));
  }
  EXPECT_TRUE(reachability_.reachable());
}

}  // namespace
}  // namespace brazesync
