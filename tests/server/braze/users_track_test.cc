// Tests for server/braze/users_track.h: Braze's POST /users/track for one
// attempt. MakeUsersTrackRequest must build the request Braze expects (URL,
// JSON content type, Bearer auth, body, timeout); the response side parses
// bodies (including malformed and non-JSON ones), maps HTTP statuses to
// absl::Status (the single mapping), decides IsRetryable, reads the rate-limit
// headers (X-Ratelimit-Retry-After, X-RateLimit-Remaining and
// X-RateLimit-Reset as epoch or seconds); InterpretBrazeAttempt must classify
// what came back (success, per-object verdicts, config failure, retryable
// failure, transport failure). The API key must never reach a status message.
// Pure functions; no I/O.
#include "server/braze/users_track.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/base/utf8.h"
#include "server/http/http_client.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
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
constexpr size_t kMaxMessageBytes = 200;
constexpr char kRetryAfterHeader[] = "x-ratelimit-retry-after";
constexpr char kResetHeader[] = "x-ratelimit-reset";
// 2024-05-01T00:00:00Z, a fixed "now" so header arithmetic is exact.
constexpr int64_t kNowSeconds = 1714521600;

absl::Time Now() { return absl::FromUnixSeconds(kNowSeconds); }

BrazeAttempt Interpret(int status, std::string body,
                       std::map<std::string, std::string> headers = {}) {
  return InterpretBrazeAttempt(Response(status, std::move(body), std::move(headers)), Now());
}

auto ItemErrorIs(const std::string& input_array, int index, const std::string& type) {
  return AllOf(Field(&BrazeItemError::input_array, StrEq(input_array)),
               Field(&BrazeItemError::index, Eq(index)), Field(&BrazeItemError::type, StrEq(type)));
}

HttpResponse ResponseWithHeader(const std::string& name, const std::string& value) {
  HttpResponse response;
  response.status = 429;
  response.headers[name] = value;
  return response;
}

// ---- MakeBrazePostRequest / MakeUsersTrackRequest ----

TEST(UsersTrackRequestTest, BrazePostRequestCarriesThePathAndTheSharedHeaders) {
  const HttpRequest request =
      MakeBrazePostRequest(kEndpoint, "/users/export/ids", kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.url, StrEq("https://rest.iad-01.braze.com/users/export/ids"));
  EXPECT_EQ(request.headers, MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout).headers);
  EXPECT_EQ(request.body, kBody);
  EXPECT_EQ(request.timeout, kTimeout);
}

TEST(UsersTrackRequestTest, PostsToTheEndpointsUsersTrackPath) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.url, StrEq("https://rest.iad-01.braze.com/users/track"));
}

TEST(UsersTrackRequestTest, SendsJsonContentType) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.headers, Contains(Pair(StrEq("Content-Type"), StrEq("application/json"))));
}

TEST(UsersTrackRequestTest, SendsTheApiKeyAsABearerToken) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.headers,
              Contains(Pair(StrEq("Authorization"), StrEq(absl::StrCat("Bearer ", kApiKey)))));
}

TEST(UsersTrackRequestTest, CarriesTheBodyUnchanged) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.body, StrEq(kBody));
}

TEST(UsersTrackRequestTest, CarriesTheTimeout) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.timeout, Eq(kTimeout));
}

TEST(UsersTrackRequestTest, KeepsTheKeyOutOfTheUrlAndBody) {
  const HttpRequest request = MakeUsersTrackRequest(kEndpoint, kApiKey, kBody, kTimeout);
  EXPECT_THAT(request.url, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(request.body, Not(HasSubstr(kApiKey)));
}

// ---- InterpretBrazeAttempt: success and per-object verdicts ----

TEST(UsersTrackAttemptTest, Http201IsOk) {
  const BrazeAttempt attempt = Interpret(201, kSuccessBody);
  EXPECT_TRUE(attempt.status.ok()) << attempt.status;
  EXPECT_THAT(attempt.http_status, Eq(201));
  EXPECT_THAT(attempt.body.message, StrEq("success"));
  EXPECT_THAT(attempt.body.errors, IsEmpty());
}

TEST(UsersTrackAttemptTest, EveryTwoHundredStatusIsOk) {
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_TRUE(Interpret(status, kSuccessBody).status.ok()) << status;
  }
}

TEST(UsersTrackAttemptTest, SuccessHasItemVerdicts) {
  EXPECT_TRUE(Interpret(201, kSuccessBody).HasItemVerdicts());
}

TEST(UsersTrackAttemptTest, Http201WithErrorsIsOkWithItemVerdicts) {
  const BrazeAttempt attempt = Interpret(201, kPartialBody);
  EXPECT_TRUE(attempt.status.ok()) << attempt.status;
  EXPECT_TRUE(attempt.HasItemVerdicts());
  ASSERT_THAT(attempt.body.errors, SizeIs(1));
  EXPECT_THAT(attempt.body.errors[0].input_array, StrEq("events"));
  EXPECT_THAT(attempt.body.errors[0].index, Eq(0));
  EXPECT_THAT(attempt.body.errors[0].type, StrEq("bad name"));
}

TEST(UsersTrackAttemptTest, Http400WithErrorsHasItemVerdictsButIsNotOk) {
  const BrazeAttempt attempt = Interpret(400, kAllInvalidBody);
  EXPECT_FALSE(attempt.status.ok());
  EXPECT_TRUE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.body.errors, SizeIs(1));
}

TEST(UsersTrackAttemptTest, Http400WithoutErrorsHasNoItemVerdicts) {
  const BrazeAttempt attempt = Interpret(400, R"({"message":"Max Input Length Exceeded"})");
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.status,
              StatusIs(absl::StatusCode::kInternal, HasSubstr("Max Input Length Exceeded")));
}

// ---- InterpretBrazeAttempt: failures ----

TEST(UsersTrackAttemptTest, Http401IsFailedPrecondition) {
  const BrazeAttempt attempt = Interpret(401, kInvalidKeyBody);
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                       AllOf(HasSubstr("401"), HasSubstr("Invalid API Key"))));
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.http_status, Eq(401));
}

TEST(UsersTrackAttemptTest, Http503IsUnavailable) {
  const BrazeAttempt attempt = Interpret(503, "Service Unavailable");
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
  EXPECT_FALSE(attempt.HasItemVerdicts());
}

TEST(UsersTrackAttemptTest, Http429IsUnavailableWithBrazesRetryAfter) {
  const BrazeAttempt attempt =
      Interpret(429, R"({"message":"Rate limit"})", {{"x-ratelimit-retry-after", "7"}});
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("429")));
  EXPECT_THAT(attempt.retry_after, Optional(Eq(absl::Seconds(7))));
}

TEST(UsersTrackAttemptTest, Http429WithoutHeadersHasNoRetryAfter) {
  EXPECT_THAT(Interpret(429, "{}").retry_after, Eq(std::nullopt));
}

TEST(UsersTrackAttemptTest, RetryAfterIsOnlyReadFromA429) {
  EXPECT_THAT(Interpret(503, "{}", {{"x-ratelimit-retry-after", "7"}}).retry_after,
              Eq(std::nullopt));
}

TEST(UsersTrackAttemptTest, ReadsRateLimitRemaining) {
  EXPECT_THAT(Interpret(201, kSuccessBody, {{"x-ratelimit-remaining", "42"}}).rate_limit_remaining,
              Eq(42));
}

TEST(UsersTrackAttemptTest, MissingRateLimitRemainingIsMinusOne) {
  EXPECT_THAT(Interpret(201, kSuccessBody).rate_limit_remaining, Eq(-1));
}

TEST(UsersTrackAttemptTest, UnparseableRateLimitRemainingIsMinusOne) {
  EXPECT_THAT(
      Interpret(201, kSuccessBody, {{"x-ratelimit-remaining", "lots"}}).rate_limit_remaining,
      Eq(-1));
}

TEST(UsersTrackAttemptTest, ReadsRateLimitResetAsEpochSeconds) {
  const BrazeAttempt attempt =
      Interpret(201, kSuccessBody, {{"x-ratelimit-reset", absl::StrCat(kNowSeconds + 30)}});
  EXPECT_THAT(attempt.rate_limit_reset, Optional(Eq(Now() + absl::Seconds(30))));
}

TEST(UsersTrackAttemptTest, ReadsSmallRateLimitResetAsSecondsFromNow) {
  const BrazeAttempt attempt = Interpret(201, kSuccessBody, {{"x-ratelimit-reset", "12"}});
  EXPECT_THAT(attempt.rate_limit_reset, Optional(Eq(Now() + absl::Seconds(12))));
}

TEST(UsersTrackAttemptTest, MissingRateLimitResetIsAbsent) {
  EXPECT_THAT(Interpret(201, kSuccessBody).rate_limit_reset, Eq(std::nullopt));
}

TEST(UsersTrackAttemptTest, Http429WithOnlyAnEpochResetWaitsUntilTheReset) {
  const BrazeAttempt attempt =
      Interpret(429, "{}", {{"x-ratelimit-reset", absl::StrCat(kNowSeconds + 5)}});
  EXPECT_THAT(attempt.retry_after, Optional(Eq(absl::Seconds(5))));
}

TEST(UsersTrackAttemptTest, PassesATransportErrorThrough) {
  const BrazeAttempt attempt =
      InterpretBrazeAttempt(absl::UnavailableError("connect: connection refused"), Now());
  EXPECT_THAT(attempt.status,
              StatusIs(absl::StatusCode::kUnavailable, StrEq("connect: connection refused")));
  EXPECT_THAT(attempt.http_status, Eq(0));
  EXPECT_FALSE(attempt.HasItemVerdicts());
  EXPECT_THAT(attempt.retry_after, Eq(std::nullopt));
  EXPECT_THAT(attempt.rate_limit_remaining, Eq(-1));
}

TEST(UsersTrackAttemptTest, PassesATransportTimeoutThrough) {
  const BrazeAttempt attempt =
      InterpretBrazeAttempt(absl::DeadlineExceededError("timed out after 10s"), Now());
  EXPECT_THAT(attempt.status, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("10s")));
}

// The key travels only in the Authorization header; no failure Braze can
// produce should copy it into a status the caller (or a log) sees.
TEST(UsersTrackAttemptTest, NeverPutsTheApiKeyInAStatusMessage) {
  for (int status : {400, 401, 403, 404, 413, 429, 500, 503}) {
    const BrazeAttempt attempt = InterpretBrazeAttempt(Response(status, kInvalidKeyBody), Now());
    EXPECT_THAT(std::string(attempt.status.message()), Not(HasSubstr(kApiKey))) << status;
    EXPECT_THAT(std::string(attempt.status.message()), Not(HasSubstr("Bearer"))) << status;
  }
}

// ---- ParseBrazeResponseBody ----

TEST(UsersTrackResponseTest, ParsesSuccessMessageWithoutErrors) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody(R"({"message":"success","attributes_processed":2})");
  EXPECT_THAT(body.message, StrEq("success"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(UsersTrackResponseTest, ParsesEveryEntryOfErrors) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({
    "message": "success", "events_processed": 1,
    "errors": [
      {"type": "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
       "input_array": "events", "index": 1},
      {"type": "'quantity' is not valid", "input_array": "purchases", "index": 0}
    ]})");
  EXPECT_THAT(body.errors,
              ElementsAre(ItemErrorIs("events", 1,
                                      "'external_id', 'braze_id', 'user_alias', 'email' or "
                                      "'phone' is required"),
                          ItemErrorIs("purchases", 0, "'quantity' is not valid")));
}

TEST(UsersTrackResponseTest, KeepsNonStringErrorTypeAsJsonText) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"message":"success","errors":[{"type":{"code":42},"input_array":"attributes","index":0}]})");
  EXPECT_THAT(body.errors, ElementsAre(ItemErrorIs("attributes", 0, R"({"code":42})")));
}

TEST(UsersTrackResponseTest, MarksErrorWithoutIntegerIndexAsMinusOne) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"errors":[{"type":"t","input_array":"events"},{"type":"t","input_array":"events","index":"2"}]})");
  EXPECT_THAT(body.errors,
              ElementsAre(ItemErrorIs("events", -1, "t"), ItemErrorIs("events", -1, "t")));
}

TEST(UsersTrackResponseTest, SkipsErrorEntriesThatAreNotObjects) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"errors":["boom",7,null,{"type":"t","input_array":"attributes","index":3}]})");
  EXPECT_THAT(body.errors, ElementsAre(ItemErrorIs("attributes", 3, "t")));
}

TEST(UsersTrackResponseTest, IgnoresErrorsThatIsNotAnArray) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody(R"({"message":"Invalid API Key","errors":"nope"})");
  EXPECT_THAT(body.message, StrEq("Invalid API Key"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(UsersTrackResponseTest, LeavesMessageEmptyWhenItIsNotAString) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":42})");
  EXPECT_THAT(body.message, IsEmpty());
}

TEST(UsersTrackResponseTest, UsesMalformedJsonBodyAsMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":"success",)");
  EXPECT_THAT(body.message, StrEq(R"({"message":"success",)"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(UsersTrackResponseTest, UsesHtmlBodyAsMessage) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody("<html><body>502 Bad Gateway</body></html>");
  EXPECT_THAT(body.message, StrEq("<html><body>502 Bad Gateway</body></html>"));
}

TEST(UsersTrackResponseTest, UsesJsonThatIsNotAnObjectAsMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"(["success"])");
  EXPECT_THAT(body.message, StrEq(R"(["success"])"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(UsersTrackResponseTest, ParsesEmptyBodyAsEmptyMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody("");
  EXPECT_THAT(body.message, IsEmpty());
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(UsersTrackResponseTest, TruncatesLongNonJsonBodyToFirstTwoHundredBytes) {
  const std::string html = "<html>" + std::string(5000, 'x') + "</html>";
  const BrazeResponseBody body = ParseBrazeResponseBody(html);
  EXPECT_THAT(body.message, StrEq(html.substr(0, kMaxMessageBytes - 3) + "..."));
}

TEST(UsersTrackResponseTest, TruncatesLongJsonMessage) {
  const std::string message(1000, 'm');
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":")" + message + R"("})");
  EXPECT_THAT(body.message, SizeIs(kMaxMessageBytes));
}

TEST(UsersTrackResponseTest, TruncatesLongErrorType) {
  const std::string type(1000, 't');
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"errors":[{"type":")" + type +
                                                        R"(","input_array":"events","index":0}]})");
  ASSERT_THAT(body.errors, SizeIs(1));
  EXPECT_THAT(body.errors[0].type, SizeIs(kMaxMessageBytes));
}

// The text reaches ItemResult.error_message / braze_error (proto3 strings): a
// split character would make the whole TrackResult unparseable for clients.
TEST(UsersTrackResponseTest, TruncatesOnAUtf8CharacterBoundary) {
  std::string html = "<p>";  // odd length, so byte 200 falls inside a character
  for (int i = 0; i < 300; ++i) html += "\xC3\xA9";  // "é", 2 bytes each
  const BrazeResponseBody body = ParseBrazeResponseBody(html);
  EXPECT_THAT(body.message.size(), ::testing::Le(kMaxMessageBytes + 3));
  EXPECT_TRUE(IsValidUtf8(body.message));
}

// ---- BrazeHttpStatusToStatus ----

struct HttpMappingCase {
  int http_status;
  absl::StatusCode code;
};

class BrazeHttpStatusMappingTest : public ::testing::TestWithParam<HttpMappingCase> {};

TEST_P(BrazeHttpStatusMappingTest, MapsHttpStatusToCode) {
  EXPECT_THAT(BrazeHttpStatusToStatus(GetParam().http_status, "msg").code(), Eq(GetParam().code));
}

INSTANTIATE_TEST_SUITE_P(
    UsersTrackResponseTest, BrazeHttpStatusMappingTest,
    ::testing::Values(HttpMappingCase{200, absl::StatusCode::kOk},
                      HttpMappingCase{201, absl::StatusCode::kOk},
                      HttpMappingCase{202, absl::StatusCode::kOk},
                      HttpMappingCase{400, absl::StatusCode::kInternal},
                      HttpMappingCase{401, absl::StatusCode::kFailedPrecondition},
                      HttpMappingCase{403, absl::StatusCode::kFailedPrecondition},
                      HttpMappingCase{404, absl::StatusCode::kFailedPrecondition},
                      HttpMappingCase{413, absl::StatusCode::kInternal},
                      HttpMappingCase{415, absl::StatusCode::kInternal},
                      HttpMappingCase{429, absl::StatusCode::kUnavailable},
                      HttpMappingCase{500, absl::StatusCode::kUnavailable},
                      HttpMappingCase{502, absl::StatusCode::kUnavailable},
                      HttpMappingCase{503, absl::StatusCode::kUnavailable},
                      HttpMappingCase{504, absl::StatusCode::kUnavailable}),
    [](const ::testing::TestParamInfo<HttpMappingCase>& info) {
      return "Http" + std::to_string(info.param.http_status);
    });

TEST(UsersTrackResponseTest, MappedMessageNamesHttpStatusAndBrazeMessage) {
  const absl::Status status = BrazeHttpStatusToStatus(401, "Invalid API Key");
  EXPECT_THAT(std::string(status.message()), HasSubstr("HTTP 401: Invalid API Key"));
}

TEST(UsersTrackResponseTest, MappedMessageOmitsEmptyBrazeMessage) {
  const absl::Status status = BrazeHttpStatusToStatus(503, "");
  EXPECT_THAT(std::string(status.message()), StrEq("Braze answered HTTP 503"));
}

// ---- IsRetryable ----

TEST(UsersTrackResponseTest, RetriesUnavailable) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("503")));
}

TEST(UsersTrackResponseTest, RetriesDeadlineExceeded) {
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("timeout")));
}

TEST(UsersTrackResponseTest, DoesNotRetryPermanentFailures) {
  EXPECT_FALSE(IsRetryable(absl::InternalError("400")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("401")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("bad")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

TEST(UsersTrackResponseTest, RetryableFollowsTheHttpMapping) {
  EXPECT_TRUE(IsRetryable(BrazeHttpStatusToStatus(429, "")));
  EXPECT_TRUE(IsRetryable(BrazeHttpStatusToStatus(502, "")));
  EXPECT_FALSE(IsRetryable(BrazeHttpStatusToStatus(413, "")));
  EXPECT_FALSE(IsRetryable(BrazeHttpStatusToStatus(403, "")));
}

// ---- BrazeRetryDelay ----

TEST(UsersTrackResponseTest, RetryDelayUsesRetryAfterSeconds) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "7"), Now()),
              Optional(Eq(absl::Seconds(7))));
}

TEST(UsersTrackResponseTest, RetryDelayPrefersRetryAfterOverReset) {
  HttpResponse response = ResponseWithHeader(kRetryAfterHeader, "3");
  response.headers[kResetHeader] = "60";
  EXPECT_THAT(BrazeRetryDelay(response, Now()), Optional(Eq(absl::Seconds(3))));
}

TEST(UsersTrackResponseTest, RetryDelayTreatsLargeResetAsEpochSeconds) {
  EXPECT_THAT(
      BrazeRetryDelay(ResponseWithHeader(kResetHeader, std::to_string(kNowSeconds + 30)), Now()),
      Optional(Eq(absl::Seconds(30))));
}

TEST(UsersTrackResponseTest, RetryDelayIsZeroForEpochResetInThePast) {
  EXPECT_THAT(
      BrazeRetryDelay(ResponseWithHeader(kResetHeader, std::to_string(kNowSeconds - 30)), Now()),
      Optional(Eq(absl::ZeroDuration())));
}

TEST(UsersTrackResponseTest, RetryDelayTreatsSmallResetAsSecondsRemaining) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kResetHeader, "45"), Now()),
              Optional(Eq(absl::Seconds(45))));
}

TEST(UsersTrackResponseTest, RetryDelayIsAbsentWithoutRateLimitHeaders) {
  HttpResponse response;
  response.status = 429;
  response.headers["x-ratelimit-limit"] = "3000";
  EXPECT_THAT(BrazeRetryDelay(response, Now()), Eq(std::nullopt));
}

TEST(UsersTrackResponseTest, RetryDelayIgnoresUnparsableRetryAfter) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "soon"), Now()),
              Eq(std::nullopt));
}

TEST(UsersTrackResponseTest, RetryDelayIgnoresNegativeRetryAfter) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "-5"), Now()),
              Eq(std::nullopt));
}

// ---- ParseRateLimitReset: the one "epoch or seconds" rule ----

TEST(UsersTrackResponseTest, RateLimitResetAboveOneBillionIsEpochSeconds) {
  EXPECT_THAT(ParseRateLimitReset(ResponseWithHeader(kResetHeader, "1000000001"), Now()),
              Optional(Eq(absl::FromUnixSeconds(1'000'000'001))));
}

TEST(UsersTrackResponseTest, RateLimitResetOfOneBillionIsSecondsFromNow) {
  EXPECT_THAT(ParseRateLimitReset(ResponseWithHeader(kResetHeader, "1000000000"), Now()),
              Optional(Eq(Now() + absl::Seconds(1'000'000'000))));
}

TEST(UsersTrackResponseTest, RateLimitResetIgnoresNegativeAndUnparsableValues) {
  EXPECT_THAT(ParseRateLimitReset(ResponseWithHeader(kResetHeader, "-1"), Now()), Eq(std::nullopt));
  EXPECT_THAT(ParseRateLimitReset(ResponseWithHeader(kResetHeader, "soon"), Now()),
              Eq(std::nullopt));
  EXPECT_THAT(ParseRateLimitReset(HttpResponse{}, Now()), Eq(std::nullopt));
}

// The attempt's reset and a 429's retry delay read the header the same way.
TEST(UsersTrackAttemptTest, RetryAfterAndResetAgreeOnTheSameHeader) {
  for (const std::string& value : {std::string("12"), absl::StrCat(kNowSeconds + 30)}) {
    const BrazeAttempt attempt = Interpret(429, "{}", {{kResetHeader, value}});
    ASSERT_TRUE(attempt.retry_after.has_value()) << value;
    ASSERT_TRUE(attempt.rate_limit_reset.has_value()) << value;
    EXPECT_EQ(Now() + *attempt.retry_after, *attempt.rate_limit_reset) << value;
  }
}

// Marks the HTTP layer puts on a status for code inside the process (e.g.
// its shutdown mark) must not travel on to callers as error details.
TEST(UsersTrackAttemptTest, TransportFailureKeepsCodeAndMessageButNoPayload) {
  absl::Status marked = absl::UnavailableError("HTTP client is shutting down");
  marked.SetPayload("type.example/in-process-mark", absl::Cord("x"));
  const BrazeAttempt attempt = InterpretBrazeAttempt(marked, Now());
  EXPECT_THAT(attempt.status,
              StatusIs(absl::StatusCode::kUnavailable, StrEq("HTTP client is shutting down")));
  EXPECT_FALSE(attempt.status.GetPayload("type.example/in-process-mark").has_value());
}

// A Braze or proxy answer that echoes the Authorization header must not carry
// the key into statuses, item errors or dead letters.
TEST(UsersTrackAttemptTest, ScrubApiKeyRemovesTheKeyFromBodiesAndTransportErrors) {
  constexpr char kKey[] = "sk-live-0123456789abcdef";
  HttpResponse response;
  response.status = 401;
  response.body =
      absl::StrCat(R"({"message":"Bearer )", kKey, R"( is not valid","errors":[")", kKey, R"("]})");
  absl::StatusOr<HttpResponse> echoed = response;
  ScrubApiKey(kKey, &echoed);
  ASSERT_TRUE(echoed.ok());
  EXPECT_THAT(echoed->body, Not(HasSubstr(kKey)));
  EXPECT_THAT(echoed->body, HasSubstr("Bearer <redacted> is not valid"));
  const BrazeAttempt attempt = InterpretBrazeAttempt(echoed, Now());
  EXPECT_THAT(attempt.status.message(), Not(HasSubstr(kKey)));

  absl::StatusOr<HttpResponse> failed =
      absl::UnavailableError(absl::StrCat("proxy refused key ", kKey));
  ScrubApiKey(kKey, &failed);
  EXPECT_THAT(failed.status(),
              StatusIs(absl::StatusCode::kUnavailable, StrEq("proxy refused key <redacted>")));
}

}  // namespace
}  // namespace brazesync
