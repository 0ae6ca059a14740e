// Tests for server/http/http_client_decorators.h: ObservedHttpClient tells
// its observer every outcome (responses and transport failures) before the
// caller's callback, passes the outcome on unchanged, and shows the observer
// the URL and timeout only (never headers or body: the API key).
#include "server/http/http_client_decorators.h"

#include <memory>
#include <string>
#include <utility>
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

constexpr char kUrl[] = "https://rest.iad-01.braze.com/users/track";

// Answers every Post at once with `next` and remembers the last request.
class FakeHttp final : public HttpClient {
 public:
  void Post(HttpRequest request, HttpCallback done) override {
    last = request;
    std::move(done)(next);
  }
  absl::StatusOr<HttpResponse> next = HttpResponse{201, {}, "{}"};
  HttpRequest last;
};

HttpRequest Request() {
  HttpRequest request;
  request.url = kUrl;
  request.headers = {{"Authorization", "Bearer the-key"}, {"Content-Type", "application/json"}};
  request.body = R"({"events":[]})";
  request.timeout = absl::Seconds(7);
  return request;
}

class ObservedHttpClientTest : public ::testing::Test {
 protected:
  ObservedHttpClientTest() {
    auto fake = std::make_unique<FakeHttp>();
    fake_ = fake.get();
    client_ = std::make_unique<ObservedHttpClient>(
        std::move(fake),
        [this](const HttpRequest& request, const absl::StatusOr<HttpResponse>& outcome) {
          seen_.push_back(request);
          events_.push_back(outcome.ok() ? outcome->status : 0);
        });
  }

  // Posts Request() and returns what the caller's callback received.
  absl::StatusOr<HttpResponse> Post() {
    absl::StatusOr<HttpResponse> received = absl::UnknownError("callback never ran");
    client_->Post(Request(), [this, &received](absl::StatusOr<HttpResponse> outcome) {
      events_.push_back(-1);  // the caller's callback, after the observer
      received = std::move(outcome);
    });
    return received;
  }

  FakeHttp* fake_ = nullptr;
  std::unique_ptr<ObservedHttpClient> client_;
  std::vector<HttpRequest> seen_;
  std::vector<int> events_;  // observer: HTTP status or 0; callback: -1
};

TEST_F(ObservedHttpClientTest, ObservesEachOutcomeBeforeTheCallback) {
  ASSERT_TRUE(Post().ok());
  fake_->next = absl::UnavailableError("down");
  EXPECT_FALSE(Post().ok());
  EXPECT_THAT(events_, ElementsAre(201, -1, 0, -1));
}

TEST_F(ObservedHttpClientTest, PassesTheOutcomeOnUnchanged) {
  fake_->next = absl::UnavailableError("connect failed");
  EXPECT_EQ(Post().status(), absl::UnavailableError("connect failed"));
  fake_->next = HttpResponse{429, {{"x-ratelimit-retry-after", "3"}}, "slow down"};
  const absl::StatusOr<HttpResponse> response = Post();
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->body, "slow down");
  EXPECT_EQ(response->Header("x-ratelimit-retry-after"), "3");
}

TEST_F(ObservedHttpClientTest, SendsTheRequestUnchanged) {
  Post();
  EXPECT_EQ(fake_->last.url, kUrl);
  EXPECT_EQ(fake_->last.headers, Request().headers);
  EXPECT_EQ(fake_->last.body, Request().body);
}

TEST_F(ObservedHttpClientTest, ShowsTheObserverNoHeadersOrBody) {
  Post();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].url, kUrl);
  EXPECT_EQ(seen_[0].timeout, absl::Seconds(7));
  EXPECT_THAT(seen_[0].headers, IsEmpty());
  EXPECT_THAT(seen_[0].body, IsEmpty());
}

}  // namespace
}  // namespace brazesync
