// Tests for server/http/http_client.h: header lookup, the typed shutdown
// signal (ShutdownStatus / IsShutdown) that lets code tell "BrazeSync is
// stopping" from a network failure without reading the message, and the
// not-sent mark (NotSentStatus / WasNotSent) that tells a failure where no
// byte left from one Braze may have acted on.
#include "server/http/http_client.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

TEST(HttpClientTest, HeaderIsEmptyWhenAbsent) {
  HttpResponse response;
  response.headers["x-ratelimit-remaining"] = "7";
  EXPECT_EQ(response.Header("x-ratelimit-remaining"), "7");
  EXPECT_EQ(response.Header("x-ratelimit-reset"), "");
}

// Callers outside the process see UNAVAILABLE (retry later), as before the mark.
TEST(HttpClientTest, ShutdownStatusIsUnavailableWithTheMessage) {
  const absl::Status status = ShutdownStatus("HTTP client is shutting down");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "HTTP client is shutting down");
  EXPECT_TRUE(IsShutdown(status));
}

TEST(HttpClientTest, IsShutdownReadsTheMarkNotTheText) {
  EXPECT_FALSE(IsShutdown(absl::UnavailableError("HTTP client is shutting down")));
  EXPECT_FALSE(IsShutdown(absl::OkStatus()));
  EXPECT_TRUE(IsShutdown(ShutdownStatus("")));
}

// Keeping only code and message (what leaves the process) drops the mark.
TEST(HttpClientTest, TheMarkDoesNotSurviveARebuiltStatus) {
  const absl::Status marked = ShutdownStatus("stopping");
  EXPECT_FALSE(IsShutdown(absl::Status(marked.code(), marked.message())));
}

TEST(HttpClientTest, NotSentStatusKeepsCodeAndMessageAndIsMarked) {
  const absl::Status status = NotSentStatus(absl::StatusCode::kUnavailable, "could not connect");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "could not connect");
  EXPECT_TRUE(WasNotSent(status));
  EXPECT_FALSE(IsShutdown(status));
}

TEST(HttpClientTest, WasNotSentReadsTheMarkNotTheText) {
  EXPECT_FALSE(WasNotSent(absl::UnavailableError("could not connect")));
  EXPECT_FALSE(WasNotSent(absl::OkStatus()));
  // A shutdown that abandoned a request in flight may have sent it.
  EXPECT_FALSE(WasNotSent(ShutdownStatus("stopping")));
}

TEST(HttpClientTest, MarkNotSentKeepsTheShutdownMark) {
  const absl::Status status = MarkNotSent(ShutdownStatus("stopping"));
  EXPECT_TRUE(WasNotSent(status));
  EXPECT_TRUE(IsShutdown(status));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

TEST(HttpClientTest, TheNotSentMarkDoesNotSurviveARebuiltStatus) {
  const absl::Status marked = NotSentStatus(absl::StatusCode::kUnavailable, "x");
  EXPECT_FALSE(WasNotSent(absl::Status(marked.code(), marked.message())));
}

}  // namespace
}  // namespace brazesync
