// Tests of the export dispatcher: packing into calls of at most 50,
// single-flight, one call per single-valued identifier, the export budget,
// retries on 429 and 5xx, no retry on a refused key, and shutdown.
#include "server/lookup/export_dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/config/workspace.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing_support::FakeHttpClient;
using testing_support::Response;
using testing_support::StatusIs;

constexpr char kNobody[] = R"({"message":"success","users":[]})";

// Collects fetch outcomes.
class Outcomes final {
 public:
  ExportDispatcher::Done Add() {
    return [this](absl::StatusOr<ExportFetch> fetch) {
      absl::MutexLock lock(&mu_);
      outcomes_.push_back(std::move(fetch));
    };
  }
  bool Await(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outcomes_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), testing_support::kWait);
  }
  std::vector<absl::StatusOr<ExportFetch>> all() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusOr<ExportFetch>> outcomes_ ABSL_GUARDED_BY(mu_);
};

LookupIdentifier External(const std::string& id) {
  return {LookupIdentifier::Kind::kExternalId, id, {}};
}

class ExportDispatcherTest : public ::testing::Test {
 protected:
  ExportDispatcherTest() {
    workspace_.name = "sandbox";
    workspace_.endpoint = "http://braze.test";
    workspace_.api_key = "key-1";
    workspace_.max_attempts = 3;
    workspace_.lookup.pack_window = absl::Milliseconds(50);
    v1::ServerConfig config;
    v1::WorkspaceConfig* ws = config.add_workspaces();
    ws->set_name("sandbox");
    ws->set_endpoint("http://braze.test");
    ws->set_api_key_env("KEY");
    registry_ = *WorkspaceRegistry::Create(config, [](const std::string&) { return "key-1"; });
    keys_ = std::make_unique<ApiKeySource>(registry_);
  }

  void Start(size_t max_queued = 10'000) {
    dispatcher_ = std::make_unique<ExportDispatcher>(&http_, keys_.get(), max_queued);
    dispatcher_->AddWorkspace(&workspace_, &cache_, nullptr);
  }

  void TearDown() override { dispatcher_.reset(); }

  const std::vector<std::string> fields_ = {"braze_id", "external_id", "first_name",
                                            "user_aliases"};
  WorkspaceSettings workspace_;
  WorkspaceRegistry registry_;
  std::unique_ptr<ApiKeySource> keys_;
  FakeHttpClient http_;
  LookupCache cache_{LookupCacheOptions{"sandbox"}, nullptr};
  // Outlives the dispatcher: fetches still queued at the end of a test are
  // answered (UNAVAILABLE) when it shuts down.
  Outcomes outcomes_;
  std::unique_ptr<ExportDispatcher> dispatcher_;
};

TEST_F(ExportDispatcherTest, PacksExternalIdsIntoCallsOfAtMostFifty) {
  http_.Respond(200, kNobody);
  Start();
  Outcomes& outcomes = outcomes_;
  for (int i = 0; i < 120; ++i) {
    dispatcher_->Fetch("sandbox", External(absl::StrCat("u", i)), fields_, outcomes.Add());
  }
  ASSERT_TRUE(outcomes.Await(120));

  std::vector<size_t> sizes;
  for (size_t i = 0; i < http_.request_count(); ++i) {
    const nlohmann::json body = http_.Body(i);
    sizes.push_back(body["external_ids"].size());
    EXPECT_EQ(body["fields_to_export"].size(), fields_.size());
    EXPECT_EQ(http_.request(i).url, "http://braze.test/users/export/ids");
  }
  EXPECT_THAT(sizes, ElementsAre(50, 50, 20));
  for (const auto& outcome : outcomes.all()) {
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_TRUE(outcome->answer.users.empty());
  }
}

TEST_F(ExportDispatcherTest, IdenticalConcurrentFetchesShareOneSlot) {
  http_.set_park(true);
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  ASSERT_TRUE(http_.AwaitParked(1));
  http_.ReleaseAll(Response(
      200,
      R"({"message":"success","users":[{"external_id":"u1","braze_id":"b1","first_name":"Ada"}]})"));
  ASSERT_TRUE(outcomes.Await(2));

  EXPECT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.Body(0)["external_ids"], nlohmann::json::array({"u1"}));
  for (const auto& outcome : outcomes.all()) {
    ASSERT_TRUE(outcome.ok());
    ASSERT_THAT(outcome->answer.users, SizeIs(1));
    EXPECT_EQ(outcome->answer.users[0].first_name(), "Ada");
  }
  EXPECT_EQ(dispatcher_->stats().shared, 1);
  // The answer is in the cache for the next lookup.
  EXPECT_TRUE(cache_.Find("external_id:u1", fields_, absl::Minutes(1), absl::Now()).has_value());
}

TEST_F(ExportDispatcherTest, EachEmailGoesInACallOfItsOwn) {
  http_.Respond(200, kNobody);
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "a@example.com", {}}, fields_,
                     outcomes.Add());
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "b@example.com", {}}, fields_,
                     outcomes.Add());
  ASSERT_TRUE(outcomes.Await(2));

  ASSERT_EQ(http_.request_count(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const nlohmann::json body = http_.Body(i);
    EXPECT_TRUE(body.contains("email_address"));
    EXPECT_FALSE(body.contains("external_ids"));
  }
}

TEST_F(ExportDispatcherTest, ThrottledCallIsRetriedAfterRetryAfter) {
  http_.Respond(Response(429, R"({"message":"rate limited"})", {{"x-ratelimit-retry-after", "1"}}));
  http_.Respond(200, kNobody);
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  ASSERT_TRUE(outcomes.Await(1));

  ASSERT_TRUE(outcomes.all()[0].ok()) << outcomes.all()[0].status();
  ASSERT_EQ(http_.request_count(), 2u);
  EXPECT_GE(http_.posted_at(1) - http_.posted_at(0), absl::Milliseconds(900));
  EXPECT_EQ(dispatcher_->stats().throttled, 1);
}

TEST_F(ExportDispatcherTest, ThrottlingThatOutlastsEveryAttemptIsResourceExhausted) {
  workspace_.max_attempts = 1;
  http_.Respond(Response(429, R"({"message":"rate limited"})", {}));
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  ASSERT_TRUE(outcomes.Await(1));
  EXPECT_THAT(outcomes.all()[0].status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("throttl")));
}

TEST_F(ExportDispatcherTest, ServerErrorIsRetriedThenAnswered) {
  http_.Respond(503, R"({"message":"unavailable"})");
  http_.Respond(200, kNobody);
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  ASSERT_TRUE(outcomes.Await(1));
  EXPECT_TRUE(outcomes.all()[0].ok());
  EXPECT_EQ(http_.request_count(), 2u);
}

TEST_F(ExportDispatcherTest, RefusedKeyIsNotRetried) {
  http_.Respond(401, R"({"message":"Invalid API Key"})");
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", External("u1"), fields_, outcomes.Add());
  ASSERT_TRUE(outcomes.Await(1));
  EXPECT_THAT(outcomes.all()[0].status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("401")));
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(ExportDispatcherTest, TheBudgetHoldsCallsBackOnceSpent) {
  // 20 calls a minute: a burst of 10 % is 2 calls, then one every 3.3 s.
  workspace_.lookup.export_requests_per_minute = 20;
  workspace_.lookup.pack_window = absl::ZeroDuration();
  http_.Respond(200, kNobody);
  Start();
  Outcomes& outcomes = outcomes_;
  for (int i = 0; i < 5; ++i) {
    dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, absl::StrCat(i, "@x.com"), {}},
                       fields_, outcomes.Add());
  }
  ASSERT_TRUE(outcomes.Await(2));
  EXPECT_LE(http_.request_count(), 3u);
  EXPECT_GT(dispatcher_->NextCallAt("sandbox", absl::Now()), absl::Now());
}

TEST_F(ExportDispatcherTest, FullQueueRefusesAtOnce) {
  http_.set_park(true);
  workspace_.lookup.max_concurrent_exports = 1;
  Start(/*max_queued=*/1);
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "a@x.com", {}}, fields_,
                     outcomes.Add());
  ASSERT_TRUE(http_.AwaitParked(1));
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "b@x.com", {}}, fields_,
                     outcomes.Add());
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "c@x.com", {}}, fields_,
                     outcomes.Add());
  ASSERT_TRUE(outcomes.Await(1));
  EXPECT_THAT(outcomes.all()[0].status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("waiting")));
  EXPECT_EQ(dispatcher_->stats().refused, 1);
  // The queued one still gets its answer.
  http_.set_park(false);
  http_.Respond(200, kNobody);
  http_.ReleaseAll(Response(200, kNobody));
  ASSERT_TRUE(outcomes.Await(3));
}

TEST_F(ExportDispatcherTest, ShutdownFailsWhatIsQueued) {
  http_.set_park(true);
  workspace_.lookup.max_concurrent_exports = 1;
  Start();
  Outcomes& outcomes = outcomes_;
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "a@x.com", {}}, fields_,
                     outcomes.Add());
  ASSERT_TRUE(http_.AwaitParked(1));
  dispatcher_->Fetch("sandbox", {LookupIdentifier::Kind::kEmail, "b@x.com", {}}, fields_,
                     outcomes.Add());
  dispatcher_->Shutdown();
  ASSERT_TRUE(outcomes.Await(1));
  EXPECT_THAT(outcomes.all()[0].status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  http_.ReleaseAll(Response(200, kNobody));
  ASSERT_TRUE(outcomes.Await(2));
}

}  // namespace
}  // namespace brazesync
