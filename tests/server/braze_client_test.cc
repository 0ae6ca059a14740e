// Tests for server/braze_client.h: the /users/track request BrazeClient sends
// (URL, Bearer auth, JSON content type, body), which failures it retries
// (429, 5xx, transport) and which it never retries (400/401/413, a 201 with
// errors), the delays it waits (Braze's X-Ratelimit-Retry-After, bounded
// backoff) through an injected no-op sleeper, and deadline handling. HTTP is a
// scripted fake; nothing sleeps.
#include "server/braze_client.h"

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_client.h"
#include "server/workspace.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StrEq;

constexpr char kEndpoint[] = "https://rest.iad-01.braze.com";
constexpr char kApiKey[] = "sk-test-0123456789";
constexpr char kBody[] =
    R"({"events":[{"external_id":"u1","name":"e","time":"2024-05-01T00:00:00.000Z"}]})";
constexpr char kSuccessBody[] = R"({"message":"success","events_processed":1})";
constexpr int kMaxAttempts = 3;

// Returns scripted results in order (the last one repeats) and records every
// request.
class FakeHttpClient final : public HttpClient {
 public:
  void Respond(int status, std::string body = "{}",
               std::map<std::string, std::string> headers = {}) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    script_.push_back(std::move(response));
  }
  void Fail(absl::Status status) { script_.push_back(std::move(status)); }

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    requests_.push_back(request);
    if (script_.empty()) return absl::InternalError("FakeHttpClient: nothing scripted");
    absl::StatusOr<HttpResponse> result = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return result;
  }

  const std::vector<HttpRequest>& requests() const { return requests_; }

 private:
  std::deque<absl::StatusOr<HttpResponse>> script_;
  std::vector<HttpRequest> requests_;
};

class BrazeClientTest : public ::testing::Test {
 protected:
  BrazeClientTest() {
    workspace_.name = "prod";
    workspace_.endpoint = kEndpoint;
    workspace_.api_key = kApiKey;
    workspace_.max_attempts = kMaxAttempts;
  }

  BrazeClientOptions Options() {
    BrazeClientOptions options;
    options.initial_backoff = absl::Milliseconds(100);
    options.max_backoff = absl::Milliseconds(150);
    options.sleep = [this](absl::Duration wait) { waits_.push_back(wait); };
    return options;
  }

  BrazeDelivery Post(absl::Time deadline = absl::InfiniteFuture()) {
    BrazeClient client(&http_, Options());
    return client.PostUsersTrack(workspace_, kBody, deadline);
  }

  FakeHttpClient http_;
  WorkspaceSettings workspace_;
  std::vector<absl::Duration> waits_;
};

// ---- The request ----

TEST_F(BrazeClientTest, SendsBearerAuthorization) {
  http_.Respond(201, kSuccessBody);
  Post();
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].headers,
              Contains(Pair(StrEq("Authorization"), StrEq("Bearer sk-test-0123456789"))));
}

TEST_F(BrazeClientTest, SendsJsonContentType) {
  http_.Respond(201, kSuccessBody);
  Post();
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].headers,
              Contains(Pair(StrEq("Content-Type"), StrEq("application/json"))));
}

TEST_F(BrazeClientTest, PostsToEndpointUsersTrack) {
  http_.Respond(201, kSuccessBody);
  Post();
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].url, StrEq("https://rest.iad-01.braze.com/users/track"));
}

TEST_F(BrazeClientTest, SendsBodyUnchanged) {
  http_.Respond(201, kSuccessBody);
  Post();
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].body, StrEq(kBody));
}

TEST_F(BrazeClientTest, UsesWorkspaceTimeoutWhenDeadlineIsFar) {
  workspace_.request_timeout = absl::Seconds(7);
  http_.Respond(201, kSuccessBody);
  Post();
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].timeout, Eq(absl::Seconds(7)));
}

TEST_F(BrazeClientTest, CapsRequestTimeoutAtTheDeadline) {
  workspace_.request_timeout = absl::Seconds(10);
  http_.Respond(201, kSuccessBody);
  Post(absl::Now() + absl::Seconds(2));
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].timeout, Le(absl::Seconds(2)));
}

// ---- Success ----

TEST_F(BrazeClientTest, ReturnsOkWithParsedBodyOn201) {
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post();
  EXPECT_TRUE(delivery.status.ok()) << delivery.status;
  EXPECT_THAT(delivery.http_status, Eq(201));
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_THAT(delivery.body.message, StrEq("success"));
}

TEST_F(BrazeClientTest, NeverRetries201WithErrors) {
  http_.Respond(
      201, R"({"message":"success","errors":[{"type":"bad","input_array":"events","index":0}]})");
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post();
  EXPECT_TRUE(delivery.status.ok()) << delivery.status;
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(delivery.body.errors, SizeIs(1));
  EXPECT_TRUE(delivery.HasItemVerdicts());
}

// ---- Retried failures ----

TEST_F(BrazeClientTest, Retries503UpToMaxAttemptsThenReturnsUnavailable) {
  http_.Respond(503, "Service Unavailable");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kUnavailable));
  EXPECT_THAT(delivery.attempts, Eq(kMaxAttempts));
  EXPECT_THAT(http_.requests(), SizeIs(kMaxAttempts));
  EXPECT_THAT(delivery.http_status, Eq(503));
  EXPECT_FALSE(delivery.HasItemVerdicts());
}

TEST_F(BrazeClientTest, WaitsBetweenAttemptsButNotAfterTheLast) {
  http_.Respond(503);
  Post();
  EXPECT_THAT(waits_, SizeIs(kMaxAttempts - 1));
}

TEST_F(BrazeClientTest, SucceedsWhenARetryOf503Succeeds) {
  http_.Respond(503);
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post();
  EXPECT_TRUE(delivery.status.ok()) << delivery.status;
  EXPECT_THAT(delivery.attempts, Eq(2));
}

TEST_F(BrazeClientTest, RetriesTransportUnavailable) {
  http_.Fail(absl::UnavailableError("connection refused"));
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post();
  EXPECT_TRUE(delivery.status.ok()) << delivery.status;
  EXPECT_THAT(delivery.attempts, Eq(2));
  EXPECT_THAT(delivery.http_status, Eq(201));
}

TEST_F(BrazeClientTest, ReportsTransportFailureOfTheLastAttemptWithoutHttpStatus) {
  http_.Respond(503);
  http_.Fail(absl::UnavailableError("connection reset"));
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(delivery.status.message()), HasSubstr("connection reset"));
  EXPECT_THAT(delivery.http_status, Eq(0));
  EXPECT_THAT(delivery.attempts, Eq(kMaxAttempts));
}

TEST_F(BrazeClientTest, Retries429) {
  http_.Respond(429);
  http_.Respond(201, kSuccessBody);
  EXPECT_THAT(Post().attempts, Eq(2));
}

TEST_F(BrazeClientTest, Waits429RetryAfterDelay) {
  http_.Respond(429, R"({"message":"Too Many Requests"})", {{"x-ratelimit-retry-after", "2"}});
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post();
  EXPECT_TRUE(delivery.status.ok()) << delivery.status;
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(2)));
}

TEST_F(BrazeClientTest, Waits429ResetSecondsDelay) {
  http_.Respond(429, "{}", {{"x-ratelimit-reset", "4"}});
  http_.Respond(201, kSuccessBody);
  Post();
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(4)));
}

TEST_F(BrazeClientTest, GivesUpWhenTheRequestedDelayOutlastsTheDeadline) {
  http_.Respond(429, "{}", {{"x-ratelimit-retry-after", "3600"}});
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post(absl::Now() + absl::Seconds(30));
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kUnavailable));
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_THAT(waits_, IsEmpty());
}

TEST_F(BrazeClientTest, BacksOffWithinInitialAndMaxBackoff) {
  workspace_.max_attempts = 4;
  http_.Respond(500);
  Post();
  ASSERT_THAT(waits_, SizeIs(3));
  EXPECT_THAT(waits_[0], Le(absl::Milliseconds(100)));
  for (absl::Duration wait : waits_) {
    EXPECT_THAT(wait, Ge(absl::ZeroDuration()));
    EXPECT_THAT(wait, Le(absl::Milliseconds(150)));
  }
}

TEST_F(BrazeClientTest, MakesOneAttemptWhenMaxAttemptsIsOne) {
  workspace_.max_attempts = 1;
  http_.Respond(503);
  EXPECT_THAT(Post().attempts, Eq(1));
}

// ---- Never retried ----

TEST_F(BrazeClientTest, NeverRetries400) {
  http_.Respond(400,
                R"({"message":"Error while parsing request body. Please check your syntax."})");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kInternal));
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_THAT(waits_, IsEmpty());
}

TEST_F(BrazeClientTest, NeverRetries401) {
  http_.Respond(401, R"({"message":"Invalid API Key"})");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

TEST_F(BrazeClientTest, NeverRetries413) {
  http_.Respond(413, "Request Entity Too Large");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kInternal));
  EXPECT_THAT(delivery.attempts, Eq(1));
}

TEST_F(BrazeClientTest, KeepsApiKeyOutOfTheStatusMessage) {
  http_.Respond(401, R"({"message":"Invalid API Key"})");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(std::string(delivery.status.message()), Not(HasSubstr(kApiKey)));
  EXPECT_THAT(std::string(delivery.status.message()), HasSubstr("Invalid API Key"));
}

TEST_F(BrazeClientTest, Reports400WithErrorsAsItemVerdicts) {
  http_.Respond(
      400,
      R"({"message":"Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
                         "errors":[{"type":"bad","input_array":"events","index":0}]})");
  const BrazeDelivery delivery = Post();
  EXPECT_THAT(delivery.attempts, Eq(1));
  EXPECT_TRUE(delivery.HasItemVerdicts());
}

TEST_F(BrazeClientTest, Reports400WithoutErrorsAsNoVerdicts) {
  http_.Respond(400, R"({"message":"Max Input Length Exceeded"})");
  EXPECT_FALSE(Post().HasItemVerdicts());
}

// ---- Deadline ----

TEST_F(BrazeClientTest, ReturnsDeadlineExceededWithoutARequestWhenDeadlinePassed) {
  http_.Respond(201, kSuccessBody);
  const BrazeDelivery delivery = Post(absl::Now() - absl::Seconds(1));
  EXPECT_THAT(delivery.status.code(), Eq(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(delivery.attempts, Eq(0));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

}  // namespace
}  // namespace brazesync
