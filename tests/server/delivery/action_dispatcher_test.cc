// Tests for server/delivery/action_dispatcher.h: the request each action
// sends, the shared rate pools and per-audience limits (deferral, never
// sending), the budget keys, the retry rules per RetrySafety (idempotent
// calls on 5xx; triggers only on 429 and not-sent failures) and shutdown.
// A FakeHttpClient answers inside Post, the hardest case for the
// dispatcher's locking; nothing sleeps to synchronise.
#include "server/delivery/action_dispatcher.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/local_rate_budget.h"
#include "server/delivery/rate_governor.h"
#include "server/http/http_client.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsTrue;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using testing_support::FakeHttpClient;
using testing_support::kWait;
using testing_support::StatusIs;

constexpr char kApiKey[] = "braze-key-0123";

// Where one call's outcome lands.
struct Landing {
  absl::Notification done;
  ActionCallOutcome outcome;

  ActionDispatcher::Done Catch() {
    return [this](ActionCallOutcome got) {
      outcome = std::move(got);
      done.Notify();
    };
  }
  bool Arrived() { return done.WaitForNotificationWithTimeout(kWait); }
};

ActionCall Identify(absl::Time deadline = absl::InfiniteFuture()) {
  ActionCall call;
  call.workspace = "prod";
  call.action = BrazeAction::kIdentifyUsers;
  call.body = R"({"aliases_to_identify":[]})";
  call.deadline = deadline;
  return call;
}

ActionCall Delete() {
  ActionCall call = Identify();
  call.action = BrazeAction::kDeleteUsers;
  call.body = R"({"external_ids":["u1"]})";
  return call;
}

ActionCall TargetedTrigger() {
  ActionCall call;
  call.workspace = "prod";
  call.action = BrazeAction::kTriggerCanvas;
  call.body = R"({"canvas_id":"c1","recipients":[{"external_user_id":"u1"}]})";
  return call;
}

ActionCall Broadcast(const std::string& audience_key,
                     absl::Time deadline = absl::InfiniteFuture()) {
  ActionCall call;
  call.workspace = "prod";
  call.action = BrazeAction::kTriggerCampaign;
  call.body = R"({"campaign_id":"c1","broadcast":true})";
  call.has_recipients = false;
  call.audience_key = audience_key;
  call.deadline = deadline;
  return call;
}

class ActionDispatcherTest : public ::testing::Test {
 protected:
  ActionDispatcherTest() {
    workspace_.name = "prod";
    workspace_.endpoint = "https://rest.example.braze.com";
    workspace_.max_attempts = 3;
    keys_.Set("prod", kApiKey);
  }

  // Made on first use, so that a test can change the workspace first.
  ActionDispatcher& dispatcher(const RateBudgetFactory& budgets = nullptr) {
    if (dispatcher_ == nullptr) {
      dispatcher_ = std::make_unique<ActionDispatcher>(&http_, &keys_);
      dispatcher_->AddWorkspace(&workspace_, budgets);
    }
    return *dispatcher_;
  }

  ActionCallOutcome CallAndWait(ActionCall call) {
    Landing landing;
    dispatcher().Call(std::move(call), landing.Catch());
    EXPECT_THAT(landing.Arrived(), IsTrue());
    return landing.outcome;
  }

  WorkspaceSettings workspace_;
  ApiKeySource keys_;
  FakeHttpClient http_;
  std::unique_ptr<ActionDispatcher> dispatcher_;
};

TEST_F(ActionDispatcherTest, SendsTheActionToItsPathAndKeepsTheScrubbedBody) {
  const std::string body = absl::StrCat(R"({"message":"success","echo":")", kApiKey, R"("})");
  http_.Respond(201, body);

  const ActionCallOutcome outcome = CallAndWait(Identify());

  EXPECT_TRUE(outcome.sent);
  EXPECT_TRUE(outcome.attempt.status.ok()) << outcome.attempt.status;
  EXPECT_THAT(outcome.attempts, Eq(1));
  EXPECT_THAT(outcome.response_body, HasSubstr("<redacted>"));
  EXPECT_THAT(outcome.response_body, Not(HasSubstr(kApiKey)));
  ASSERT_THAT(http_.request_count(), Eq(1u));
  const HttpRequest request = http_.request(0);
  EXPECT_THAT(request.url, Eq("https://rest.example.braze.com/users/identify"));
  EXPECT_THAT(request.body, Eq(R"({"aliases_to_identify":[]})"));
  EXPECT_THAT(request.headers,
              ::testing::Contains(Pair("Authorization", absl::StrCat("Bearer ", kApiKey))));
  EXPECT_THAT(dispatcher().stats().calls, Eq(1));
}

TEST_F(ActionDispatcherTest, ForbiddenNamesTheEndpointsPermissionAndIsNotRetried) {
  http_.Respond(403, R"({"message":"Insufficient permissions"})");

  const ActionCallOutcome outcome = CallAndWait(Identify());

  EXPECT_TRUE(outcome.sent);
  EXPECT_THAT(outcome.attempt.status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("users.identify")));
  EXPECT_THAT(outcome.attempts, Eq(1));
  EXPECT_FALSE(outcome.may_have_been_processed);
}

TEST_F(ActionDispatcherTest, UnknownWorkspaceFailsAtOnceUnsent) {
  ActionCall call = Identify();
  call.workspace = "staging";

  const ActionCallOutcome outcome = CallAndWait(std::move(call));

  EXPECT_FALSE(outcome.sent);
  EXPECT_THAT(outcome.attempt.status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("staging")));
  EXPECT_THAT(http_.request_count(), Eq(0u));
}

TEST_F(ActionDispatcherTest, IdentifyAndDeleteShareTheIdentityPool) {
  // 20 per minute holds a burst of 2 (10 %), the next token ~3 s later.
  workspace_.actions.identity = PoolLimit{20, absl::Minutes(1)};
  const absl::Time start = absl::Now();

  const ActionCallOutcome first = CallAndWait(Identify());
  const ActionCallOutcome second = CallAndWait(Delete());
  const ActionCallOutcome third = CallAndWait(Identify(start + absl::Milliseconds(500)));

  EXPECT_TRUE(first.sent);
  EXPECT_TRUE(second.sent);
  EXPECT_FALSE(third.sent);
  EXPECT_THAT(third.attempts, Eq(0));
  EXPECT_THAT(third.retry_at, Gt(start + absl::Milliseconds(500)));
  EXPECT_THAT(http_.request_count(), Eq(2u));
  EXPECT_THAT(http_.request(1).url, HasSubstr("/users/delete"));
  EXPECT_THAT(dispatcher().stats().deferred, Eq(1));
}

TEST_F(ActionDispatcherTest, IdempotentCallIsRetriedOn5xx) {
  http_.Respond(503, R"({"message":"unavailable"})");
  http_.Respond(201);

  const ActionCallOutcome outcome = CallAndWait(Delete());

  EXPECT_TRUE(outcome.attempt.status.ok()) << outcome.attempt.status;
  EXPECT_THAT(outcome.attempts, Eq(2));
  EXPECT_FALSE(outcome.may_have_been_processed);
  EXPECT_THAT(http_.request_count(), Eq(2u));
  EXPECT_THAT(dispatcher().stats().retries, Eq(1));
}

TEST_F(ActionDispatcherTest, IdempotentCallStopsAtMaxAttempts) {
  workspace_.max_attempts = 2;
  http_.Respond(500, R"({"message":"boom"})");

  const ActionCallOutcome outcome = CallAndWait(Delete());

  EXPECT_THAT(outcome.attempt.status, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_THAT(outcome.attempts, Eq(2));
  EXPECT_TRUE(outcome.may_have_been_processed);
}

TEST_F(ActionDispatcherTest, TriggerIsNotRetriedOn5xx) {
  http_.Respond(503, R"({"message":"unavailable"})");
  http_.Respond(201);

  const ActionCallOutcome outcome = CallAndWait(TargetedTrigger());

  EXPECT_TRUE(outcome.sent);
  EXPECT_THAT(outcome.attempt.status, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_THAT(outcome.attempts, Eq(1));
  EXPECT_TRUE(outcome.may_have_been_processed);
  EXPECT_THAT(http_.request_count(), Eq(1u));
  EXPECT_THAT(http_.request(0).url, HasSubstr("/canvas/trigger/send"));
}

TEST_F(ActionDispatcherTest, TriggerIsNotRetriedAfterAFailureThatMayHaveSent) {
  http_.Respond(absl::UnavailableError("connection reset after the request went out"));
  http_.Respond(201);

  const ActionCallOutcome outcome = CallAndWait(TargetedTrigger());

  EXPECT_THAT(outcome.attempts, Eq(1));
  EXPECT_TRUE(outcome.may_have_been_processed);
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

TEST_F(ActionDispatcherTest, TriggerIsRetriedOn429AfterRetryAfter) {
  http_.Respond(429, R"({"message":"rate limited"})", {{"x-ratelimit-retry-after", "1"}});
  http_.Respond(201);

  const ActionCallOutcome outcome = CallAndWait(TargetedTrigger());

  EXPECT_TRUE(outcome.attempt.status.ok()) << outcome.attempt.status;
  EXPECT_THAT(outcome.attempts, Eq(2));
  ASSERT_THAT(http_.request_count(), Eq(2u));
  EXPECT_GE(http_.posted_at(1) - http_.posted_at(0), absl::Milliseconds(999));
  EXPECT_THAT(dispatcher().stats().throttled, Eq(1));
}

TEST_F(ActionDispatcherTest, TriggerIsRetriedWhenTheRequestWasNotSent) {
  http_.Respond(NotSentStatus(absl::StatusCode::kUnavailable, "could not connect"));
  http_.Respond(201);

  const ActionCallOutcome outcome = CallAndWait(TargetedTrigger());

  EXPECT_TRUE(outcome.attempt.status.ok()) << outcome.attempt.status;
  EXPECT_THAT(outcome.attempts, Eq(2));
  EXPECT_FALSE(outcome.may_have_been_processed);
}

TEST_F(ActionDispatcherTest, TriggerNotSentOnTheLastAttemptWasNotProcessed) {
  workspace_.max_attempts = 1;
  http_.Respond(NotSentStatus(absl::StatusCode::kUnavailable, "could not connect"));

  const ActionCallOutcome outcome = CallAndWait(TargetedTrigger());

  EXPECT_THAT(outcome.attempt.status, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_FALSE(outcome.may_have_been_processed);
}

TEST_F(ActionDispatcherTest, BroadcastsAreLimitedPerAudience) {
  workspace_.actions.broadcast_per_audience = PoolLimit{1, absl::Minutes(1)};
  const absl::Time deadline = absl::Now() + absl::Milliseconds(500);

  const ActionCallOutcome first = CallAndWait(Broadcast("campaign-1:audience-a"));
  const ActionCallOutcome again = CallAndWait(Broadcast("campaign-1:audience-a", deadline));
  const ActionCallOutcome other = CallAndWait(Broadcast("campaign-1:audience-b", deadline));

  EXPECT_TRUE(first.sent);
  EXPECT_FALSE(again.sent);
  EXPECT_THAT(again.retry_at, Gt(deadline));
  EXPECT_TRUE(other.sent);
  EXPECT_THAT(http_.request_count(), Eq(2u));
}

TEST_F(ActionDispatcherTest, ABroadcastHeldByItsAudienceDoesNotHoldBackAnother) {
  workspace_.actions.broadcast_per_audience = PoolLimit{1, absl::Minutes(1)};
  ASSERT_TRUE(CallAndWait(Broadcast("a")).sent);
  http_.set_park(true);

  // Queued behind "a"'s second call, which waits for its audience's next
  // token (a minute away); "b" goes first.
  Landing held;
  Landing other;
  dispatcher().Call(Broadcast("a"), held.Catch());
  dispatcher().Call(Broadcast("b"), other.Catch());

  ASSERT_TRUE(http_.AwaitParked(1));
  EXPECT_FALSE(held.done.HasBeenNotified());
  http_.ReleaseAll(testing_support::Response(201));
  ASSERT_TRUE(other.Arrived());
  EXPECT_TRUE(other.outcome.sent);
  // `held` lives on this stack: give it up before leaving.
  dispatcher().Shutdown();
  ASSERT_TRUE(held.Arrived());
  EXPECT_FALSE(held.outcome.sent);
}

// Records the keys budgets are made for; the budgets are local buckets.
class RecordingBudgets {
 public:
  RateBudgetFactory factory() {
    return [this](const WorkspaceSettings& workspace, const RateGovernorOptions& options) {
      absl::MutexLock lock(&mu_);
      keys_[workspace.rate_budget_key] = options.requests_per_window;
      return std::make_unique<LocalRateBudget>(options);
    };
  }
  std::map<std::string, int> keys() const {
    absl::MutexLock lock(&mu_);
    return keys_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> keys_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ActionDispatcherTest, BudgetsAreKeyedByPoolAndAudience) {
  workspace_.rate_budget_key = "acme";
  workspace_.actions.broadcast_per_audience = PoolLimit{7, absl::Minutes(1)};
  RecordingBudgets budgets;
  dispatcher(budgets.factory());

  ASSERT_TRUE(CallAndWait(Broadcast("campaign-9:hash")).sent);

  const int broadcast = workspace_.actions.broadcast_triggers.requests;
  EXPECT_THAT(budgets.keys(),
              UnorderedElementsAre(
                  Pair("acme/identity", workspace_.actions.identity.requests),
                  Pair("acme/rename", workspace_.actions.rename.requests),
                  Pair("acme/remove", workspace_.actions.remove.requests),
                  Pair("acme/targeted_triggers", workspace_.actions.targeted_triggers.requests),
                  Pair("acme/broadcast_triggers", broadcast),
                  Pair("acme/subscriptions", workspace_.actions.subscriptions.requests),
                  Pair("acme/broadcast_triggers/campaign-9:hash", 7)));
}

TEST_F(ActionDispatcherTest, BudgetKeyDefaultsToTheWorkspaceName) {
  RecordingBudgets budgets;
  dispatcher(budgets.factory());

  EXPECT_THAT(budgets.keys(), ::testing::Contains(Pair("prod/identity", ::testing::_)));
}

TEST_F(ActionDispatcherTest, ShutdownGivesUpQueuedCallsUnsent) {
  // One token: the first call goes (and is held in flight), the second waits.
  workspace_.actions.identity = PoolLimit{1, absl::Minutes(1)};
  http_.set_park(true);
  Landing in_flight;
  Landing queued;
  dispatcher().Call(Identify(), in_flight.Catch());
  ASSERT_TRUE(http_.AwaitParked(1));
  dispatcher().Call(Delete(), queued.Catch());

  dispatcher().Shutdown();

  ASSERT_TRUE(queued.Arrived());
  EXPECT_FALSE(queued.outcome.sent);
  EXPECT_FALSE(in_flight.done.HasBeenNotified());
  Landing late;
  dispatcher().Call(Identify(), late.Catch());
  ASSERT_TRUE(late.Arrived());
  EXPECT_FALSE(late.outcome.sent);

  // The attempt in flight still finishes.
  ASSERT_TRUE(http_.ReleaseOldest(testing_support::Response(201)));
  ASSERT_TRUE(in_flight.Arrived());
  EXPECT_TRUE(in_flight.outcome.sent);
  EXPECT_TRUE(in_flight.outcome.attempt.status.ok());
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

TEST_F(ActionDispatcherTest, DestructorWaitsForTheAttemptInFlight) {
  http_.set_park(true);
  Landing in_flight;
  dispatcher().Call(Identify(), in_flight.Catch());
  ASSERT_TRUE(http_.AwaitParked(1));

  absl::Notification destroyed;
  std::thread destroy([&] {
    dispatcher_.reset();
    destroyed.Notify();
  });
  EXPECT_FALSE(destroyed.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  ASSERT_TRUE(http_.ReleaseOldest(testing_support::Response(201)));
  destroy.join();
  EXPECT_TRUE(in_flight.done.HasBeenNotified());
}

}  // namespace
}  // namespace brazesync
