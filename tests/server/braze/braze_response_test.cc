// Tests for server/braze_response.h: parsing Braze /users/track response
// bodies (including malformed and non-JSON ones), the single HTTP-status to
// absl::Status mapping, IsRetryable, and the retry delay Braze asks for via
// X-Ratelimit-Retry-After or X-RateLimit-Reset (epoch or seconds).
#include "server/braze/braze_response.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/http_client.h"
#include "server/base/utf8.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;
using ::testing::StrEq;

// 2024-06-01T00:00:00Z.
constexpr int64_t kNowEpochSeconds = 1717200000;
constexpr size_t kMaxMessageBytes = 200;
constexpr char kRetryAfterHeader[] = "x-ratelimit-retry-after";
constexpr char kResetHeader[] = "x-ratelimit-reset";

const absl::Time kNow = absl::FromUnixSeconds(kNowEpochSeconds);

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

// ---- ParseBrazeResponseBody ----

TEST(BrazeResponseTest, ParsesSuccessMessageWithoutErrors) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody(R"({"message":"success","attributes_processed":2})");
  EXPECT_THAT(body.message, StrEq("success"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(BrazeResponseTest, ParsesEveryEntryOfErrors) {
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

TEST(BrazeResponseTest, KeepsNonStringErrorTypeAsJsonText) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"message":"success","errors":[{"type":{"code":42},"input_array":"attributes","index":0}]})");
  EXPECT_THAT(body.errors, ElementsAre(ItemErrorIs("attributes", 0, R"({"code":42})")));
}

TEST(BrazeResponseTest, MarksErrorWithoutIntegerIndexAsMinusOne) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"errors":[{"type":"t","input_array":"events"},{"type":"t","input_array":"events","index":"2"}]})");
  EXPECT_THAT(body.errors,
              ElementsAre(ItemErrorIs("events", -1, "t"), ItemErrorIs("events", -1, "t")));
}

TEST(BrazeResponseTest, SkipsErrorEntriesThatAreNotObjects) {
  const BrazeResponseBody body = ParseBrazeResponseBody(
      R"({"errors":["boom",7,null,{"type":"t","input_array":"attributes","index":3}]})");
  EXPECT_THAT(body.errors, ElementsAre(ItemErrorIs("attributes", 3, "t")));
}

TEST(BrazeResponseTest, IgnoresErrorsThatIsNotAnArray) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody(R"({"message":"Invalid API Key","errors":"nope"})");
  EXPECT_THAT(body.message, StrEq("Invalid API Key"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(BrazeResponseTest, LeavesMessageEmptyWhenItIsNotAString) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":42})");
  EXPECT_THAT(body.message, IsEmpty());
}

TEST(BrazeResponseTest, UsesMalformedJsonBodyAsMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":"success",)");
  EXPECT_THAT(body.message, StrEq(R"({"message":"success",)"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(BrazeResponseTest, UsesHtmlBodyAsMessage) {
  const BrazeResponseBody body =
      ParseBrazeResponseBody("<html><body>502 Bad Gateway</body></html>");
  EXPECT_THAT(body.message, StrEq("<html><body>502 Bad Gateway</body></html>"));
}

TEST(BrazeResponseTest, UsesJsonThatIsNotAnObjectAsMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody(R"(["success"])");
  EXPECT_THAT(body.message, StrEq(R"(["success"])"));
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(BrazeResponseTest, ParsesEmptyBodyAsEmptyMessage) {
  const BrazeResponseBody body = ParseBrazeResponseBody("");
  EXPECT_THAT(body.message, IsEmpty());
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(BrazeResponseTest, TruncatesLongNonJsonBodyToFirstTwoHundredBytes) {
  const std::string html = "<html>" + std::string(5000, 'x') + "</html>";
  const BrazeResponseBody body = ParseBrazeResponseBody(html);
  EXPECT_THAT(body.message, StrEq(html.substr(0, kMaxMessageBytes - 3) + "..."));
}

TEST(BrazeResponseTest, TruncatesLongJsonMessage) {
  const std::string message(1000, 'm');
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"message":")" + message + R"("})");
  EXPECT_THAT(body.message, SizeIs(kMaxMessageBytes));
}

TEST(BrazeResponseTest, TruncatesLongErrorType) {
  const std::string type(1000, 't');
  const BrazeResponseBody body = ParseBrazeResponseBody(R"({"errors":[{"type":")" + type +
                                                        R"(","input_array":"events","index":0}]})");
  ASSERT_THAT(body.errors, SizeIs(1));
  EXPECT_THAT(body.errors[0].type, SizeIs(kMaxMessageBytes));
}

// The text reaches ItemResult.error_message / braze_error (proto3 strings): a
// split character would make the whole TrackResult unparseable for clients.
TEST(BrazeResponseTest, TruncatesOnAUtf8CharacterBoundary) {
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
    BrazeResponseTest, BrazeHttpStatusMappingTest,
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

TEST(BrazeResponseTest, MappedMessageNamesHttpStatusAndBrazeMessage) {
  const absl::Status status = BrazeHttpStatusToStatus(401, "Invalid API Key");
  EXPECT_THAT(std::string(status.message()), HasSubstr("HTTP 401: Invalid API Key"));
}

TEST(BrazeResponseTest, MappedMessageOmitsEmptyBrazeMessage) {
  const absl::Status status = BrazeHttpStatusToStatus(503, "");
  EXPECT_THAT(std::string(status.message()), StrEq("Braze answered HTTP 503"));
}

// ---- IsRetryable ----

TEST(BrazeResponseTest, RetriesUnavailable) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("503")));
}

TEST(BrazeResponseTest, RetriesDeadlineExceeded) {
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("timeout")));
}

TEST(BrazeResponseTest, DoesNotRetryPermanentFailures) {
  EXPECT_FALSE(IsRetryable(absl::InternalError("400")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("401")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("bad")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

TEST(BrazeResponseTest, RetryableFollowsTheHttpMapping) {
  EXPECT_TRUE(IsRetryable(BrazeHttpStatusToStatus(429, "")));
  EXPECT_TRUE(IsRetryable(BrazeHttpStatusToStatus(502, "")));
  EXPECT_FALSE(IsRetryable(BrazeHttpStatusToStatus(413, "")));
  EXPECT_FALSE(IsRetryable(BrazeHttpStatusToStatus(403, "")));
}

// ---- BrazeRetryDelay ----

TEST(BrazeResponseTest, RetryDelayUsesRetryAfterSeconds) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "7"), kNow),
              Optional(Eq(absl::Seconds(7))));
}

TEST(BrazeResponseTest, RetryDelayPrefersRetryAfterOverReset) {
  HttpResponse response = ResponseWithHeader(kRetryAfterHeader, "3");
  response.headers[kResetHeader] = "60";
  EXPECT_THAT(BrazeRetryDelay(response, kNow), Optional(Eq(absl::Seconds(3))));
}

TEST(BrazeResponseTest, RetryDelayTreatsLargeResetAsEpochSeconds) {
  EXPECT_THAT(BrazeRetryDelay(
                  ResponseWithHeader(kResetHeader, std::to_string(kNowEpochSeconds + 30)), kNow),
              Optional(Eq(absl::Seconds(30))));
}

TEST(BrazeResponseTest, RetryDelayIsZeroForEpochResetInThePast) {
  EXPECT_THAT(BrazeRetryDelay(
                  ResponseWithHeader(kResetHeader, std::to_string(kNowEpochSeconds - 30)), kNow),
              Optional(Eq(absl::ZeroDuration())));
}

TEST(BrazeResponseTest, RetryDelayTreatsSmallResetAsSecondsRemaining) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kResetHeader, "45"), kNow),
              Optional(Eq(absl::Seconds(45))));
}

TEST(BrazeResponseTest, RetryDelayIsAbsentWithoutRateLimitHeaders) {
  HttpResponse response;
  response.status = 429;
  response.headers["x-ratelimit-limit"] = "3000";
  EXPECT_THAT(BrazeRetryDelay(response, kNow), Eq(std::nullopt));
}

TEST(BrazeResponseTest, RetryDelayIgnoresUnparsableRetryAfter) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "soon"), kNow),
              Eq(std::nullopt));
}

TEST(BrazeResponseTest, RetryDelayIgnoresNegativeRetryAfter) {
  EXPECT_THAT(BrazeRetryDelay(ResponseWithHeader(kRetryAfterHeader, "-5"), kNow), Eq(std::nullopt));
}

}  // namespace
}  // namespace brazesync
