// Tests for server/braze_client.h: the Braze /users/track wire protocol of one
// attempt. MakeUsersTrackRequest must build the request Braze expects (URL,
// JSON content type, Bearer auth, body, timeout); InterpretBrazeAttempt must
// classify what came back (success, per-object verdicts, config failure,
// retryable failure, transport failure) and read Braze's rate-limit headers.
// The API key must never reach a status message. Pure functions; no I/O.
#include "server/braze/braze_client.h"

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/http_client.h"
#include "server/config/workspace.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StrEq;
using testing_support::Response;
using testing_support::StatusIs;

constexpr char kEndpoint[] = "https://rest.iad-01.braze.com";
constexpr char kApiKey[] = "sk-test-0123456789";
constexpr char kBody[] =
    R"({"events":[{"external_id":"u1","name":"e","time":"2024-05-01T00:00:00.000Z"}]})";
constexpr char kSuccessBody[] = R"({"message":"success","events_processed":1})";
constexpr char kPartialBody[] =
    R"({"message":"success","errors":[{"type":"bad name","input_array":"events","index":0}]})";
constexpr char kAllInvalidBody[] = R"({"message":"Valid data must be provided","errors":)"
                                   R"([{"type":"no id","input_array":"events","index":0}]})";
constexpr char kInvalidKeyBody[] = R"({"message":"Invalid API Key"})";
constexpr absl::Duration kTimeout = absl::Seconds(7);
// 2024-05-01T00:00:00Z, a fixed "now" so header arithmetic is exact.
constexpr int64_t kNowSeconds = 1714521600;

absl::Time Now() { return absl::FromUnixSeconds(kNowSeconds); }

WorkspaceSettings Workspace() {
  WorkspaceSettings workspace;
  workspace.name = "prod";
  workspace.endpoint = kEndpoint;
  workspace.api_key = kApiKey;
  return workspace;
}

BrazeAttempt Interpret(int status, std::string body,
                       std::map<std::string, std::string> headers = {}) {
  return InterpretBrazeAttempt(Response(status, std::move(body), std::move(headers)), Now());
}

// ---- MakeUsersTrackRequest ----

TEST(BrazeClientRequestTest, PostsToTheWorkspacesUsersTrackUrl) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.url, StrEq("https://rest.iad-01.braze.com/users/track"));
}

TEST(BrazeClientRequestTest, SendsJsonContentType) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.headers, Contains(Pair(StrEq("Content-Type"), StrEq("application/json"))));
}

TEST(BrazeClientRequestTest, SendsTheApiKeyAsABearerToken) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.headers,
              Contains(Pair(StrEq("Authorization"), StrEq(absl::StrCat("Bearer ", kApiKey)))));
}

TEST(BrazeClientRequestTest, CarriesTheBodyUnchanged) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.body, StrEq(kBody));
}

TEST(BrazeClientRequestTest, CarriesTheTimeout) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.timeout, Eq(kTimeout));
}

TEST(BrazeClientRequestTest, KeepsTheKeyOutOfTheUrlAndBody) {
  const HttpRequest request = MakeUsersTrackRequest(Workspace(), kBody, kTimeout);
  EXPECT_THAT(request.url, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(request.body, Not(HasSubstr(kApiKey)));
}

// ---- InterpretBrazeAttempt: success and per-object verdicts ----

TEST(BrazeClientAttemptTest, Http201IsOk) {
  const BrazeAttempt attempt = Interpret(201, kSuccessBody);
  EXPECT_TRUE(attempt.status.ok()) << attempt.status;
  EXPECT_THAT(attempt.http_status, Eq(201));
  EXPECT_THAT(attempt.body.message, StrEq("success"));
  EXPECT_THAT(attempt.body.errors, IsEmpty());
}

TEST(BrazeClientAttemptTest, EveryTwoHundredStatusIsOk) {
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_TRUE(Interpret(status, kSuccessBody).status.ok()) << status;
  }
}

TEST(BrazeClientAttemptTest, SuccessHasItemVerdicts) {
  EXPECT_TRUE(Interpret(201, kSuccessBody).HasItemVerdicts());
}

TEST(BrazeClientAttemptTest, Http201WithErrorsIsOkWithItemVerdicts) {
  const BrazeAttempt attempt = Interpret(201, kPartialBody);
  EXPECT_TRUE(attempt.status.ok()) << attempt.status;
  EXPECT_TRUE(attempt.HasItemVerdicts());
  ASSERT_THAT(attempt.body.errors, SizeIs(1));
  EXPECT_THAT(attempt.body.errors[0].input_array, StrEq("events"));
  EXPECT_THAT(attempt.body.errors[0].index, Eq(0));
  EXPECT_THAT(attempt.body.errors[0].type, StrEq("bad name"));
}

TEST(BrazeClientAttemptTest, Http400WithErrorsHasItemVerdictsButIsNotOk) {
  const BrazeAttempt attempt = Interpret(400, kAllInvalidBody);
  EXPECT_FALSE(attempt.status.ok());
  EXPECT_TRUE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.body.errors, SizeIs(1));
}

TEST(BrazeClientAttemptTest, Http400WithoutErrorsHasNoItemVerdicts) {
  const BrazeAttempt attempt = Interpret(400, R"({"message":"Max Input Length Exceeded"})");
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.status,
              StatusIs(absl::StatusCode::kInternal, HasSubstr("Max Input Length Exceeded")));
}

// ---- InterpretBrazeAttempt: failures ----

TEST(BrazeClientAttemptTest, Http401IsFailedPrecondition) {
  const BrazeAttempt attempt = Interpret(401, kInvalidKeyBody);
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                       AllOf(HasSubstr("401"), HasSubstr("Invalid API Key"))));
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.http_status, Eq(401));
}

TEST(BrazeClientAttemptTest, Http503IsUnavailable) {
  const BrazeAttempt attempt = Interpret(503, "Service Unavailable");
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
  EXPECT_FALSE(attempt.HasItemVerdicts());
}

TEST(BrazeClientAttemptTest, Http429IsUnavailableWithBrazesRetryAfter) {
  const BrazeAttempt attempt =
      Interpret(429, R"({"message":"Rate limit"})", {{"x-ratelimit-retry-after", "7"}});
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("429")));
  EXPECT_THAT(attempt.retry_after, Optional(Eq(absl::Seconds(7))));
}

TEST(BrazeClientAttemptTest, Http429WithoutHeadersHasNoRetryAfter) {
  EXPECT_THAT(Interpret(429, "{}").retry_after, Eq(std::nullopt));
}

TEST(BrazeClientAttemptTest, RetryAfterIsOnlyReadFromA429) {
  EXPECT_THAT(Interpret(503, "{}", {{"x-ratelimit-retry-after", "7"}}).retry_after,
              Eq(std::nullopt));
}

TEST(BrazeClientAttemptTest, ReadsRateLimitRemaining) {
  EXPECT_THAT(Interpret(201, kSuccessBody, {{"x-ratelimit-remaining", "42"}}).rate_limit_remaining,
              Eq(42));
}

TEST(BrazeClientAttemptTest, MissingRateLimitRemainingIsMinusOne) {
  EXPECT_THAT(Interpret(201, kSuccessBody).rate_limit_remaining, Eq(-1));
}

TEST(BrazeClientAttemptTest, UnparseableRateLimitRemainingIsMinusOne) {
  EXPECT_THAT(
      Interpret(201, kSuccessBody, {{"x-ratelimit-remaining", "lots"}}).rate_limit_remaining,
      Eq(-1));
}

TEST(BrazeClientAttemptTest, ReadsRateLimitResetAsEpochSeconds) {
  const BrazeAttempt attempt =
      Interpret(201, kSuccessBody, {{"x-ratelimit-reset", absl::StrCat(kNowSeconds + 30)}});
  EXPECT_THAT(attempt.rate_limit_reset, Optional(Eq(Now() + absl::Seconds(30))));
}

TEST(BrazeClientAttemptTest, ReadsSmallRateLimitResetAsSecondsFromNow) {
  const BrazeAttempt attempt = Interpret(201, kSuccessBody, {{"x-ratelimit-reset", "12"}});
  EXPECT_THAT(attempt.rate_limit_reset, Optional(Eq(Now() + absl::Seconds(12))));
}

TEST(BrazeClientAttemptTest, MissingRateLimitResetIsAbsent) {
  EXPECT_THAT(Interpret(201, kSuccessBody).rate_limit_reset, Eq(std::nullopt));
}

TEST(BrazeClientAttemptTest, Http429WithOnlyAnEpochResetWaitsUntilTheReset) {
  const BrazeAttempt attempt =
      Interpret(429, "{}", {{"x-ratelimit-reset", absl::StrCat(kNowSeconds + 5)}});
  EXPECT_THAT(attempt.retry_after, Optional(Eq(absl::Seconds(5))));
}

TEST(BrazeClientAttemptTest, PassesATransportErrorThrough) {
  const BrazeAttempt attempt =
      InterpretBrazeAttempt(absl::UnavailableError("connect: connection refused"), Now());
  EXPECT_THAT(attempt.status,
              StatusIs(absl::StatusCode::kUnavailable, StrEq("connect: connection refused")));
  EXPECT_THAT(attempt.http_status, Eq(0));
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.retry_after, Eq(std::nullopt));
  EXPECT_THAT(attempt.rate_limit_remaining, Eq(-1));
}

TEST(BrazeClientAttemptTest, PassesATransportTimeoutThrough) {
  const BrazeAttempt attempt =
      InterpretBrazeAttempt(absl::DeadlineExceededError("timed out after 10s"), Now());
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("10s")));
}

// The key travels only in the Authorization header; no failure Braze can
// produce should copy it into a status the caller (or a log) sees.
TEST(BrazeClientAttemptTest, NeverPutsTheApiKeyInAStatusMessage) {
  for (int status : {400, 401, 403, 404, 413, 429, 500, 503}) {
    const BrazeAttempt attempt = InterpretBrazeAttempt(Response(status, kInvalidKeyBody), Now());
    EXPECT_THAT(std::string(attempt.status.message()), Not(HasSubstr(kApiKey))) << status;
    EXPECT_THAT(std::string(attempt.status.message()), Not(HasSubstr("Bearer"))) << status;
  }
}

}  // namespace
}  // namespace brazesync
