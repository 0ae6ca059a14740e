// Tests for server/delivery_engine.h: coalescing items of many Submit calls
// into shared Braze requests, Braze's 75-object cap, per-user ordering (one
// user's items never in two concurrent requests), the in-flight bound,
// retries with backoff and Braze's retry_after, per-object verdicts from 201
// and 400 responses, deadlines, back-pressure, Shutdown, and the promise that
// every item gets exactly one verdict.
//
// HTTP is a fake that either answers inside Post from a script or parks each
// request until the test releases it, so the test decides exactly what is in
// flight. Waiting is done with absl::Notification / Mutex::Await and timeouts;
// nothing sleeps to synchronise.
#include "server/delivery/delivery_engine.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_budget.h"
#include "server/http/http_client.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Eq;
using ::testing::Field;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::Matcher;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StrEq;
using ::testing::UnorderedElementsAre;
using testing_support::ErrorsBody;
using testing_support::FakeHttpClient;
using testing_support::ItemError;
using testing_support::kWait;
using testing_support::Response;
using testing_support::StatusIs;

using JsonValue = nlohmann::json;

constexpr char kEndpoint[] = "https://rest.iad-01.braze.com";
constexpr char kApiKey[] = "sk-test";
constexpr int kBrazeCap = 75;
constexpr int kMaxAttempts = 3;
constexpr absl::Duration kTinyBackoff = absl::Milliseconds(1);
// EngineOptions::partial_below_in_flight's default: with this many requests
// in flight Braze counts as busy and partial requests linger.
constexpr int kBusyInFlight = 2;

MATCHER_P(VerdictIs, status, "") { return arg.status == status; }

// What one Submit's `done` received, and how often it ran.
struct CallResult {
  absl::Notification done;
  std::atomic<int> done_calls{0};
  DeliveryOutcome outcome;

  bool Wait(absl::Duration timeout = kWait) { return done.WaitForNotificationWithTimeout(timeout); }
};

// An event for `user` named `name`.
EngineItem Item(const std::string& user, const std::string& name) {
  JsonValue json = {{"external_id", user}, {"name", name}, {"time", "2024-05-01T00:00:00Z"}};
  return EngineItem{v1::ITEM_KIND_EVENT, absl::StrCat("external_id:", user), json.dump()};
}

// `count` events, event i for user "<prefix>u<i>" named "<prefix>e<i>".
std::vector<EngineItem> Items(int count, const std::string& prefix = "") {
  std::vector<EngineItem> items;
  for (int i = 0; i < count; ++i) {
    items.push_back(Item(absl::StrCat(prefix, "u", i), absl::StrCat(prefix, "e", i)));
  }
  return items;
}

// The event names of Items(count, prefix), in order.
std::vector<std::string> ItemNames(int count, const std::string& prefix = "") {
  std::vector<std::string> names;
  names.reserve(count);
  for (int i = 0; i < count; ++i) names.push_back(absl::StrCat(prefix, "e", i));
  return names;
}

EngineOptions FastOptions() {
  EngineOptions options;
  options.initial_backoff = kTinyBackoff;
  options.max_backoff = 5 * kTinyBackoff;
  return options;
}

// FastOptions() with one request in flight per workspace: while it is out,
// every new item queues.
EngineOptions OneSlotOptions() {
  EngineOptions options = FastOptions();
  options.governor.max_concurrency = 1;
  return options;
}

class DeliveryEngineTest : public ::testing::Test {
 protected:
  DeliveryEngineTest() {
    workspace_.name = "prod";
    workspace_.endpoint = kEndpoint;
    workspace_.api_key = kApiKey;
    workspace_.max_attempts = kMaxAttempts;
    keys_.Set(workspace_.name, kApiKey);
  }

  ~DeliveryEngineTest() override {
    if (engine_ == nullptr) return;
    // Requests still parked would keep the engine's destructor waiting.
    engine_->Shutdown();
    http_.ReleaseAll(absl::UnavailableError("test over"));
    engine_.reset();
  }

  void StartEngine(const EngineOptions& options = FastOptions()) {
    engine_ = std::make_unique<DeliveryEngine>(&http_, &keys_, options);
  }

  // Starts the engine and parks the request carrying user "a"'s item "a-1"
  // (busy_call_). User "a"'s later items queue behind it; with
  // OneSlotOptions() every later item does. Call it in
  // ASSERT_NO_FATAL_FAILURE.
  void StartWithARequestParked(const EngineOptions& options = FastOptions()) {
    StartEngine(options);
    http_.set_park(true);
    busy_call_ = Submit({Item("a", "a-1")});
    ASSERT_TRUE(http_.AwaitParked(1));
  }

  // Parks kBusyInFlight requests (users "busy<i>"), so Braze counts as busy.
  // Call it in ASSERT_NO_FATAL_FAILURE.
  void ParkBusyRequests() {
    http_.set_park(true);
    for (int i = 0; i < kBusyInFlight; ++i) {
      Submit({Item(absl::StrCat("busy", i), "busy")});
      ASSERT_TRUE(http_.AwaitParked(i + 1));
    }
  }

  // Submits `items`; the returned result fills in when `done` runs.
  std::shared_ptr<CallResult> Submit(std::vector<EngineItem> items,
                                     absl::Time deadline = absl::InfiniteFuture()) {
    auto result = std::make_shared<CallResult>();
    const absl::Status status =
        engine_->Submit(workspace_, std::move(items), deadline, DoneFor(result));
    EXPECT_TRUE(status.ok()) << status;
    return result;
  }

  static DeliveryEngine::Done DoneFor(const std::shared_ptr<CallResult>& result) {
    return [result](DeliveryOutcome outcome) {
      result->outcome = std::move(outcome);
      if (result->done_calls.fetch_add(1) == 0) result->done.Notify();
    };
  }

  WorkspaceSettings workspace_;
  ApiKeySource keys_;
  FakeHttpClient http_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::shared_ptr<CallResult> busy_call_;  // set by StartWithARequestParked
};

// DeliveryEngineTest with a table of `Case`s. Each Case has a `name`.
template <typename Case>
class DeliveryEngineCaseTest : public DeliveryEngineTest,
                               public ::testing::WithParamInterface<Case> {};

template <typename Case>
std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// ---- Batching ----

TEST_F(DeliveryEngineTest, SendsALoneItemAtOnceWhenIdle) {
  StartEngine();
  std::shared_ptr<CallResult> call = Submit({Item("a", "e-a")});
  ASSERT_TRUE(call->Wait());
  ASSERT_THAT(http_.request_count(), Eq(1u));
  EXPECT_THAT(http_.EventNames(0), ElementsAre("e-a"));
  EXPECT_THAT(call->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
}

TEST_F(DeliveryEngineTest, PostsToTheWorkspaceWithItsKey) {
  StartEngine();
  ASSERT_TRUE(Submit({Item("a", "e-a")})->Wait());
  const HttpRequest request = http_.request(0);
  EXPECT_THAT(request.url, StrEq("https://rest.iad-01.braze.com/users/track"));
  EXPECT_THAT(request.headers,
              testing::Contains(testing::Pair(StrEq("Authorization"), StrEq("Bearer sk-test"))));
}

// What a reload does (BrazeSyncServer::Reload sets the key source): the key
// is looked up per request, so the very next request carries the new one.
TEST_F(DeliveryEngineTest, EachRequestCarriesTheWorkspacesCurrentKey) {
  StartEngine();
  ASSERT_TRUE(Submit({Item("a", "e-a")})->Wait());
  keys_.Set(workspace_.name, "sk-rotated");
  ASSERT_TRUE(Submit({Item("b", "e-b")})->Wait());
  ASSERT_THAT(http_.request_count(), Eq(2u));
  EXPECT_THAT(http_.request(0).headers,
              testing::Contains(testing::Pair(StrEq("Authorization"), StrEq("Bearer sk-test"))));
  EXPECT_THAT(http_.request(1).headers,
              testing::Contains(testing::Pair(StrEq("Authorization"), StrEq("Bearer sk-rotated"))));
}

// The start-up key in WorkspaceSettings is only the key source's seed; the
// engine never falls back to it.
TEST_F(DeliveryEngineTest, WorkspaceWithoutAKeyFailsWithoutSending) {
  workspace_.name = "unkeyed";
  StartEngine();
  std::shared_ptr<CallResult> call = Submit({Item("a", "e-a")});
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(http_.request_count(), Eq(0u));
  ASSERT_THAT(call->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  EXPECT_THAT(call->outcome.verdicts[0].failure,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"unkeyed\"")));
  EXPECT_THAT(std::string(call->outcome.verdicts[0].failure.message()),
              ::testing::Not(HasSubstr(kApiKey)));
}

// Two calls made while the only request slot is busy, so both wait for it.
struct QueuedCallsCase {
  std::string name;
  bool coalesce;
  int second_items;  // Items(second_items, "second-")
  int third_items;   // Items(third_items, "third-")
  // The event names of each request after the busy one.
  std::vector<std::vector<std::string>> later_requests;
};

void PrintTo(const QueuedCallsCase& test, std::ostream* os) { *os << test.name; }

using DeliveryEngineQueuedCallsTest = DeliveryEngineCaseTest<QueuedCallsCase>;

TEST_P(DeliveryEngineQueuedCallsTest, ShareTheNextRequestOnlyWhenCoalescing) {
  const QueuedCallsCase& test = GetParam();
  EngineOptions options = OneSlotOptions();
  options.coalesce = test.coalesce;
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked(options));
  std::shared_ptr<CallResult> second = Submit(Items(test.second_items, "second-"));
  std::shared_ptr<CallResult> third = Submit(Items(test.third_items, "third-"));
  http_.set_park(false);
  ASSERT_TRUE(http_.ReleaseOldest());
  ASSERT_TRUE(busy_call_->Wait());
  ASSERT_TRUE(second->Wait());
  ASSERT_TRUE(third->Wait());
  ASSERT_THAT(http_.request_count(), Eq(1 + test.later_requests.size()));
  for (size_t i = 0; i < test.later_requests.size(); ++i) {
    EXPECT_THAT(http_.EventNames(1 + i), ElementsAreArray(test.later_requests[i]))
        << "request " << 1 + i;
  }
  // A shared request counts once for each call it carries.
  EXPECT_THAT(busy_call_->outcome.braze_requests, Eq(1));
  EXPECT_THAT(second->outcome.braze_requests, Eq(1));
  EXPECT_THAT(third->outcome.braze_requests, Eq(1));
}

std::vector<QueuedCallsCase> QueuedCallsCases() {
  return {
      {"CoalescesThemIntoOneRequest",
       /*coalesce=*/true,
       /*second_items=*/2,
       /*third_items=*/3,
       {{"second-e0", "second-e1", "third-e0", "third-e1", "third-e2"}}},
      {"CoalescesAOneItemCallToo",
       /*coalesce=*/true,
       /*second_items=*/2,
       /*third_items=*/1,
       {{"second-e0", "second-e1", "third-e0"}}},
      {"CoalesceFalseNeverMixesSubmits",
       /*coalesce=*/false,
       /*second_items=*/2,
       /*third_items=*/1,
       {{"second-e0", "second-e1"}, {"third-e0"}}},
  };
}

INSTANTIATE_TEST_SUITE_P(DeliveryEngineTest, DeliveryEngineQueuedCallsTest,
                         ::testing::ValuesIn(QueuedCallsCases()), CaseName<QueuedCallsCase>);

TEST_F(DeliveryEngineTest, RespectsBrazesSeventyFiveObjectCap) {
  StartEngine();
  std::shared_ptr<CallResult> call = Submit(Items(2 * kBrazeCap + 10));
  ASSERT_TRUE(call->Wait());
  ASSERT_THAT(http_.request_count(), Eq(3u));
  EXPECT_THAT(http_.EventNames(0), SizeIs(kBrazeCap));
  EXPECT_THAT(http_.EventNames(1), SizeIs(kBrazeCap));
  EXPECT_THAT(http_.EventNames(2), SizeIs(10));
  EXPECT_THAT(call->outcome.braze_requests, Eq(3));
}

TEST_F(DeliveryEngineTest, RespectsTheWorkspacesSmallerObjectCap) {
  workspace_.max_objects_per_request = 10;
  StartEngine();
  ASSERT_TRUE(Submit(Items(25))->Wait());
  ASSERT_THAT(http_.request_count(), Eq(3u));
  EXPECT_THAT(http_.EventNames(0), SizeIs(10));
  EXPECT_THAT(http_.EventNames(2), SizeIs(5));
}

// ---- Lingering under load ----

// With kBusyInFlight requests in flight, a partial request waits for more
// items; a long max_linger makes "waits" observable without timing.
TEST_F(DeliveryEngineTest, FillsARequestWhileBrazeIsBusy) {
  EngineOptions options = FastOptions();
  options.max_linger = absl::Hours(1);
  StartEngine(options);
  ASSERT_NO_FATAL_FAILURE(ParkBusyRequests());
  std::shared_ptr<CallResult> small = Submit(Items(2, "small-"));
  std::shared_ptr<CallResult> rest = Submit(Items(kBrazeCap - 2, "rest-"));
  ASSERT_TRUE(http_.AwaitParked(kBusyInFlight + 1));
  ASSERT_THAT(http_.request_count(), Eq(static_cast<size_t>(kBusyInFlight + 1)));
  const std::vector<std::string> names = http_.EventNames(kBusyInFlight);
  ASSERT_THAT(names, SizeIs(kBrazeCap));
  EXPECT_THAT(names.front(), StrEq("small-e0"));
  EXPECT_THAT(names.back(), StrEq(absl::StrCat("rest-e", kBrazeCap - 3)));
}

TEST_F(DeliveryEngineTest, SendsAPartialRequestAfterMaxLingerWhileBrazeIsBusy) {
  constexpr absl::Duration kLinger = absl::Milliseconds(20);
  EngineOptions options = FastOptions();
  options.max_linger = kLinger;
  StartEngine(options);
  ASSERT_NO_FATAL_FAILURE(ParkBusyRequests());
  const absl::Time submitted = absl::Now();
  Submit({Item("late", "late")});
  ASSERT_TRUE(http_.AwaitParked(kBusyInFlight + 1));
  EXPECT_THAT(http_.EventNames(kBusyInFlight), ElementsAre("late"));
  EXPECT_THAT(http_.posted_at(kBusyInFlight) - submitted, Ge(kLinger));
}

// ---- Per-user ordering ----

TEST_F(DeliveryEngineTest, KeepsOneUsersItemsOutOfConcurrentRequests) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  std::shared_ptr<CallResult> a2 = Submit({Item("a", "a-2")});
  std::shared_ptr<CallResult> b1 = Submit({Item("b", "b-1")});
  ASSERT_TRUE(http_.AwaitParked(2));
  // A's second item waits for A's first request, though a slot is free.
  EXPECT_THAT(http_.EventNames(1), ElementsAre("b-1"));
  EXPECT_THAT(engine_->stats().queued_items, Eq(1u));
}

TEST_F(DeliveryEngineTest, SendsAUsersNextItemAfterItsRequestFinishes) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  std::shared_ptr<CallResult> a2 = Submit({Item("a", "a-2")});
  std::shared_ptr<CallResult> b1 = Submit({Item("b", "b-1")});
  ASSERT_TRUE(http_.AwaitParked(2));
  ASSERT_TRUE(http_.ReleaseOldest());  // A's first request
  ASSERT_TRUE(busy_call_->Wait());
  ASSERT_TRUE(http_.AwaitParked(2));  // B's, and A's second
  http_.ReleaseAll(Response(201));
  ASSERT_TRUE(a2->Wait());
  ASSERT_THAT(http_.request_count(), Eq(3u));
  EXPECT_THAT(http_.EventNames(2), ElementsAre("a-2"));
}

TEST_F(DeliveryEngineTest, KeepsAUsersItemsInOrderWithinARequest) {
  StartEngine();
  ASSERT_TRUE(
      Submit({Item("a", "a-1"), Item("b", "b-1"), Item("a", "a-2"), Item("a", "a-3")})->Wait());
  ASSERT_THAT(http_.request_count(), Eq(1u));
  // Braze applies a request's objects in order; only each user's order matters.
  std::vector<std::string> names = http_.EventNames(0);
  EXPECT_THAT(names, UnorderedElementsAre("a-1", "b-1", "a-2", "a-3"));
  names.erase(std::remove(names.begin(), names.end(), "b-1"), names.end());
  EXPECT_THAT(names, ElementsAre("a-1", "a-2", "a-3"));
}

// A busy user's backlog waits in that user's queue: however long it is, other
// users' items still leave while its request is in flight.
TEST_F(DeliveryEngineTest, ABusyUsersBacklogDoesNotHoldBackOtherUsers) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  std::vector<EngineItem> backlog;
  for (int i = 2; i <= 5001; ++i) backlog.push_back(Item("a", absl::StrCat("a-", i)));
  std::shared_ptr<CallResult> behind = Submit(std::move(backlog));
  std::shared_ptr<CallResult> other = Submit({Item("b", "b-1")});
  ASSERT_TRUE(http_.AwaitParked(2));
  EXPECT_THAT(http_.EventNames(1), ElementsAre("b-1"));
  http_.set_park(false);
  http_.ReleaseAll(Response(201));
  ASSERT_TRUE(other->Wait());
  ASSERT_TRUE(behind->Wait());
  EXPECT_THAT(behind->outcome.verdicts, Each(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
}

TEST_F(DeliveryEngineTest, RetriedItemsGoBeforeTheUsersLaterItems) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  std::shared_ptr<CallResult> second = Submit({Item("a", "a-2")});
  http_.set_park(false);
  ASSERT_TRUE(http_.ReleaseOldest(Response(503, "Service Unavailable")));
  ASSERT_TRUE(busy_call_->Wait());
  ASSERT_TRUE(second->Wait());
  ASSERT_THAT(http_.request_count(), Eq(2u));
  EXPECT_THAT(http_.EventNames(1), ElementsAre("a-1", "a-2"));
}

// ---- Concurrency ----

TEST_F(DeliveryEngineTest, NeverExceedsMaxInFlight) {
  constexpr int kCalls = 12;
  constexpr int kMaxInFlight = 2;
  EngineOptions options = FastOptions();
  options.coalesce = false;
  options.governor.max_concurrency = kMaxInFlight;
  StartEngine(options);
  http_.set_park(true);
  std::vector<std::shared_ptr<CallResult>> calls;
  for (int i = 0; i < kCalls; ++i) calls.push_back(Submit(Items(1, absl::StrCat("c", i, "-"))));
  ASSERT_TRUE(http_.AwaitParked(kMaxInFlight));
  for (int released = 0; released < kCalls; ++released) {
    ASSERT_TRUE(http_.AwaitParked(1)) << released;
    ASSERT_TRUE(http_.ReleaseOldest());
  }
  for (const auto& call : calls) ASSERT_TRUE(call->Wait());
  EXPECT_THAT(http_.request_count(), Eq(static_cast<size_t>(kCalls)));
  EXPECT_THAT(http_.peak_parked(), Eq(static_cast<size_t>(kMaxInFlight)));
}

// ---- Send gate (durable items) ----

// A gate that records what it was asked and lets each request through, or
// fails it, when the test says so.
class RecordingGate final : public SendGate {
 public:
  void BeforeSend(std::vector<int64_t> durable_ids,
                  absl::AnyInvocable<void(absl::Status) &&> proceed) override {
    absl::MutexLock lock(&mu_);
    asked_.push_back(std::move(durable_ids));
    waiting_.push_back(std::move(proceed));
  }
  // Waits for the gate's next question; returns its ids (empty on timeout).
  std::vector<int64_t> AwaitAsked(size_t count) {
    absl::MutexLock lock(&mu_);
    auto asked = [this, count]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return asked_.size() >= count; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&asked), kWait)) return {};
    return asked_[count - 1];
  }
  void Answer(absl::Status status) {
    absl::AnyInvocable<void(absl::Status) &&> proceed;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(waiting_.empty());
      proceed = std::move(waiting_.front());
      waiting_.pop_front();
    }
    std::move(proceed)(std::move(status));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<int64_t>> asked_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::AnyInvocable<void(absl::Status) &&>> waiting_ ABSL_GUARDED_BY(mu_);
};

EngineItem DurableItem(const std::string& user, const std::string& name, int64_t durable_id) {
  EngineItem item = Item(user, name);
  item.durable_id = durable_id;
  return item;
}

TEST_F(DeliveryEngineTest, ARequestWithDurableItemsLeavesOnlyAfterTheGateLetsItThrough) {
  StartEngine();
  RecordingGate gate;
  engine_->SetSendGate(&gate);
  std::shared_ptr<CallResult> call =
      Submit({DurableItem("a", "a-1", 7), Item("b", "b-1"), DurableItem("c", "c-1", 9)});
  EXPECT_THAT(gate.AwaitAsked(1), UnorderedElementsAre(7, 9));
  EXPECT_THAT(http_.request_count(), Eq(0u));  // held until the gate answers
  gate.Answer(absl::OkStatus());
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(call->outcome.verdicts, Each(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  EXPECT_THAT(http_.request_count(), Eq(1u));
  engine_->SetSendGate(nullptr);
}

TEST_F(DeliveryEngineTest, AGateFailureFailsTheAttemptRetryablyWithoutSending) {
  StartEngine();
  RecordingGate gate;
  engine_->SetSendGate(&gate);
  std::shared_ptr<CallResult> call = Submit({DurableItem("a", "a-1", 7)});
  ASSERT_THAT(gate.AwaitAsked(1), ElementsAre(7));
  gate.Answer(absl::InternalError("disk full"));
  ASSERT_THAT(gate.AwaitAsked(2), ElementsAre(7));  // the retry asks again
  EXPECT_THAT(http_.request_count(), Eq(0u));
  gate.Answer(absl::OkStatus());
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(call->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  EXPECT_THAT(http_.request_count(), Eq(1u));
  engine_->SetSendGate(nullptr);
}

TEST_F(DeliveryEngineTest, ItemsWithoutADurableIdNeverWaitForTheGate) {
  StartEngine();
  RecordingGate gate;
  engine_->SetSendGate(&gate);
  ASSERT_TRUE(Submit({Item("a", "a-1")})->Wait());
  EXPECT_THAT(http_.request_count(), Eq(1u));
  engine_->SetSendGate(nullptr);
}

// Regression test (the per-user order gap): a durable item out of attempts
// with a retryable failure was handed back (the relay reschedules it) while
// the same user's durable item queued behind it was sent next, reaching Braze
// first. Now that one fails with it; the user's non-durable item and other
// users are unaffected.
TEST_F(DeliveryEngineTest, ADurableItemOutOfAttemptsFailsTheUsersDurableItemsBehindIt) {
  workspace_.max_attempts = 1;
  StartEngine();
  http_.set_park(true);
  std::shared_ptr<CallResult> first = Submit({DurableItem("a", "a-1", 1)});
  ASSERT_TRUE(http_.AwaitParked(1));
  std::shared_ptr<CallResult> behind = Submit({DurableItem("a", "a-2", 2)});
  std::shared_ptr<CallResult> sync = Submit({Item("a", "a-sync")});
  std::shared_ptr<CallResult> other = Submit({DurableItem("b", "b-1", 3)});
  ASSERT_TRUE(http_.AwaitParked(2));  // b-1: a's items wait for a-1
  ASSERT_THAT(http_.EventNames(0), ElementsAre("a-1"));

  http_.set_park(false);
  ASSERT_TRUE(http_.ReleaseOldest(Response(503, "Service Unavailable")));
  ASSERT_TRUE(first->Wait());
  ASSERT_TRUE(behind->Wait());
  ASSERT_TRUE(sync->Wait());
  http_.ReleaseAll(Response(201));
  ASSERT_TRUE(other->Wait());

  ASSERT_THAT(first->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  ASSERT_THAT(behind->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  EXPECT_EQ(behind->outcome.verdicts[0].failure, first->outcome.verdicts[0].failure);
  EXPECT_THAT(sync->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  EXPECT_THAT(other->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  for (size_t i = 0; i < http_.request_count(); ++i) {
    EXPECT_THAT(http_.EventNames(i), Not(Contains("a-2"))) << "request " << i;
  }
}

// Only a final failure the relay will retry takes the user's later durable
// items along: one Braze refuses for good dead-letters the item alone.
TEST_F(DeliveryEngineTest, APermanentFailureLeavesTheUsersLaterDurableItemsQueued) {
  workspace_.max_attempts = 1;
  StartEngine();
  http_.set_park(true);
  std::shared_ptr<CallResult> first = Submit({DurableItem("a", "a-1", 1)});
  ASSERT_TRUE(http_.AwaitParked(1));
  std::shared_ptr<CallResult> behind = Submit({DurableItem("a", "a-2", 2)});
  http_.set_park(false);
  ASSERT_TRUE(http_.ReleaseOldest(Response(401, R"({"message":"Invalid API key"})")));
  ASSERT_TRUE(first->Wait());
  ASSERT_TRUE(behind->Wait());
  EXPECT_THAT(first->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  EXPECT_THAT(behind->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
}

// A queued durable item whose caller's deadline passes fails; the same
// user's later durable items, of a call with a later deadline, fail with it
// rather than overtake it.
TEST_F(DeliveryEngineTest, AnExpiredDurableItemTakesTheUsersLaterDurableItemsAlong) {
  StartEngine();
  http_.set_park(true);
  std::shared_ptr<CallResult> busy = Submit({Item("a", "a-0")});
  ASSERT_TRUE(http_.AwaitParked(1));
  const absl::Time soon = absl::Now() + absl::Milliseconds(20);
  std::shared_ptr<CallResult> expiring = Submit({DurableItem("a", "a-1", 1)}, soon);
  std::shared_ptr<CallResult> later = Submit({DurableItem("a", "a-2", 2)});
  ASSERT_TRUE(expiring->Wait());
  ASSERT_TRUE(later->Wait());
  EXPECT_THAT(expiring->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  ASSERT_THAT(later->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(later->outcome.verdicts[0].failure));
  EXPECT_THAT(http_.request_count(), Eq(1u));  // only a-0's
}

// ---- Retries ----

// A first answer that the engine retries, then a 201.
struct RetryCase {
  std::string name;
  absl::StatusOr<HttpResponse> first_answer;
  int items;
  // How long after the first post the retry may leave at the earliest.
  absl::Duration min_retry_delay;
};

void PrintTo(const RetryCase& test, std::ostream* os) { *os << test.name; }

using DeliveryEngineRetryTest = DeliveryEngineCaseTest<RetryCase>;

TEST_P(DeliveryEngineRetryTest, RetriesOnceAndThenDelivers) {
  const RetryCase& test = GetParam();
  StartEngine();
  http_.Respond(test.first_answer);
  http_.Respond(Response(201));
  std::shared_ptr<CallResult> call = Submit(Items(test.items));
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(call->outcome.verdicts,
              AllOf(SizeIs(test.items), Each(VerdictIs(v1::ITEM_STATUS_DELIVERED))));
  EXPECT_THAT(call->outcome.braze_requests, Eq(2));
  ASSERT_THAT(http_.request_count(), Eq(2u));
  EXPECT_THAT(http_.EventNames(1), ElementsAreArray(ItemNames(test.items)));
  EXPECT_THAT(http_.posted_at(1) - http_.posted_at(0), Ge(test.min_retry_delay));
}

std::vector<RetryCase> RetryCases() {
  return {
      {"Http503", Response(503, "Service Unavailable"), 2, absl::ZeroDuration()},
      {"TransportFailure", absl::UnavailableError("connection reset"), 1, absl::ZeroDuration()},
      // The 429 arrived after the first request was posted, so the wait it
      // asks for starts no earlier than that.
      {"Http429HonoursRetryAfter",
       Response(429, R"({"message":"rate limited"})", {{"x-ratelimit-retry-after", "1"}}), 1,
       absl::Seconds(1)},
  };
}

INSTANTIATE_TEST_SUITE_P(DeliveryEngineTest, DeliveryEngineRetryTest,
                         ::testing::ValuesIn(RetryCases()), CaseName<RetryCase>);

// An answer to every post after which every item fails.
struct FailureCase {
  std::string name;
  HttpResponse answer;
  int items;
  absl::Duration deadline_in;  // from Submit; absl::InfiniteDuration() for none
  absl::StatusCode code;
  std::string message_part;
  int posts;  // the requests sent before the items fail
};

void PrintTo(const FailureCase& test, std::ostream* os) { *os << test.name; }

using DeliveryEngineFailureTest = DeliveryEngineCaseTest<FailureCase>;

TEST_P(DeliveryEngineFailureTest, FailsEveryItem) {
  const FailureCase& test = GetParam();
  StartEngine();
  http_.Respond(test.answer);
  std::shared_ptr<CallResult> call = Submit(Items(test.items), absl::Now() + test.deadline_in);
  ASSERT_TRUE(call->Wait());
  ASSERT_THAT(call->outcome.verdicts, SizeIs(test.items));
  EXPECT_THAT(
      call->outcome.verdicts,
      Each(AllOf(VerdictIs(v1::ITEM_STATUS_FAILED),
                 Field(&ItemVerdict::failure, StatusIs(test.code, HasSubstr(test.message_part))))));
  EXPECT_THAT(http_.request_count(), Eq(static_cast<size_t>(test.posts)));
  EXPECT_THAT(call->outcome.braze_requests, Eq(test.posts));
}

std::vector<FailureCase> FailureCases() {
  return {
      {"UnavailableAfterMaxAttempts", Response(503, "Service Unavailable"), 1,
       absl::InfiniteDuration(), absl::StatusCode::kUnavailable, "503", kMaxAttempts},
      {"AtOnceOnA429WhoseRetryAfterOutlastsTheDeadline",
       Response(429, "{}", {{"x-ratelimit-retry-after", "60"}}), 1, absl::Seconds(30),
       absl::StatusCode::kUnavailable, "429", 1},
      {"WithoutRetryOnANonRetryable401", Response(401, R"({"message":"Invalid API Key"})"), 3,
       absl::InfiniteDuration(), absl::StatusCode::kFailedPrecondition, "401", 1},
  };
}

INSTANTIATE_TEST_SUITE_P(DeliveryEngineTest, DeliveryEngineFailureTest,
                         ::testing::ValuesIn(FailureCases()), CaseName<FailureCase>);

// ---- Braze's per-object verdicts ----

// Braze's answers (one per request, the last repeating) to Items(items), and
// what each item and each request end up with.
struct ObjectErrorsCase {
  std::string name;
  std::vector<HttpResponse> answers;
  int items;
  std::vector<v1::ItemStatus> statuses;            // one per item
  std::vector<std::string> braze_errors;           // one per item; "" unless rejected
  std::vector<std::vector<std::string>> requests;  // each request's event names
};

void PrintTo(const ObjectErrorsCase& test, std::ostream* os) { *os << test.name; }

using DeliveryEngineObjectErrorsTest = DeliveryEngineCaseTest<ObjectErrorsCase>;

TEST_P(DeliveryEngineObjectErrorsTest, RejectsExactlyTheListedItems) {
  const ObjectErrorsCase& test = GetParam();
  ASSERT_THAT(test.braze_errors, SizeIs(test.statuses.size()));
  StartEngine();
  for (const HttpResponse& answer : test.answers) http_.Respond(answer);
  std::shared_ptr<CallResult> call = Submit(Items(test.items));
  ASSERT_TRUE(call->Wait());
  std::vector<Matcher<ItemVerdict>> verdicts;
  for (size_t i = 0; i < test.statuses.size(); ++i) {
    verdicts.push_back(AllOf(VerdictIs(test.statuses[i]),
                             Field(&ItemVerdict::braze_error, StrEq(test.braze_errors[i]))));
  }
  EXPECT_THAT(call->outcome.verdicts, ElementsAreArray(verdicts));
  ASSERT_THAT(http_.request_count(), Eq(test.requests.size()));
  for (size_t i = 0; i < test.requests.size(); ++i) {
    EXPECT_THAT(http_.EventNames(i), ElementsAreArray(test.requests[i])) << "request " << i;
  }
}

std::vector<ObjectErrorsCase> ObjectErrorsCases() {
  constexpr v1::ItemStatus kDelivered = v1::ITEM_STATUS_DELIVERED;
  constexpr v1::ItemStatus kRejected = v1::ITEM_STATUS_REJECTED_BY_BRAZE;
  return {
      {"Http201RejectsTheListedAndDeliversTheOthers",
       {Response(201, ErrorsBody("success", {ItemError("events", 1, "bad name")}))},
       3,
       {kDelivered, kRejected, kDelivered},
       {"", "bad name", ""},
       {{"e0", "e1", "e2"}}},
      {"Http400RejectsTheListedAndRetriesTheRest",
       {Response(400, ErrorsBody("Valid data must be provided", {ItemError("events", 1, "no id")})),
        Response(201)},
       3,
       {kDelivered, kRejected, kDelivered},
       {"", "no id", ""},
       {{"e0", "e1", "e2"}, {"e0", "e2"}}},
      {"Http400ListingEveryItemRejectsAllWithoutRetry",
       {Response(400,
                 ErrorsBody("Valid data must be provided",
                            {ItemError("events", 0, "no id"), ItemError("events", 1, "no id")}))},
       2,
       {kRejected, kRejected},
       {"no id", "no id"},
       {{"e0", "e1"}}},
      {"IgnoresErrorsNamingObjectsThatWereNotSent",
       {Response(201, ErrorsBody("success",
                                 {ItemError("purchases", 0, "x"), ItemError("events", 9, "y")}))},
       2,
       {kDelivered, kDelivered},
       {"", ""},
       {{"e0", "e1"}}},
  };
}

INSTANTIATE_TEST_SUITE_P(DeliveryEngineTest, DeliveryEngineObjectErrorsTest,
                         ::testing::ValuesIn(ObjectErrorsCases()), CaseName<ObjectErrorsCase>);

TEST_F(DeliveryEngineTest, Maps201ErrorsToTheRightCallOfACoalescedRequest) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked(OneSlotOptions()));
  std::shared_ptr<CallResult> second = Submit(Items(2, "second-"));
  std::shared_ptr<CallResult> third = Submit(Items(2, "third-"));
  ASSERT_TRUE(http_.ReleaseOldest());
  ASSERT_TRUE(http_.AwaitParked(1));
  ASSERT_THAT(http_.EventNames(1), SizeIs(4));
  // Body position 2 is the third call's first item.
  ASSERT_TRUE(
      http_.ReleaseOldest(Response(201, ErrorsBody("success", {ItemError("events", 2, "bad")}))));
  ASSERT_TRUE(second->Wait());
  ASSERT_TRUE(third->Wait());
  EXPECT_THAT(second->outcome.verdicts, Each(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  EXPECT_THAT(third->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_REJECTED_BY_BRAZE),
                                                   VerdictIs(v1::ITEM_STATUS_DELIVERED)));
}

// ---- Deadlines, back-pressure, shutdown ----

TEST_F(DeliveryEngineTest, QueuedItemsFailDeadlineExceededWhenTheirDeadlinePasses) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  // Queued behind A's request, which never finishes in time.
  std::shared_ptr<CallResult> second =
      Submit({Item("a", "a-2")}, absl::Now() + absl::Milliseconds(50));
  ASSERT_TRUE(second->Wait());
  ASSERT_THAT(second->outcome.verdicts, SizeIs(1));
  EXPECT_THAT(second->outcome.verdicts[0].status, Eq(v1::ITEM_STATUS_FAILED));
  EXPECT_THAT(second->outcome.verdicts[0].failure,
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

TEST_F(DeliveryEngineTest, AnItemWhoseDeadlineHasPassedIsNeverSent) {
  StartEngine();
  std::shared_ptr<CallResult> call = Submit(Items(1), absl::Now() - absl::Seconds(1));
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(call->outcome.verdicts[0].failure,
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_THAT(http_.request_count(), Eq(0u));
}

// Regression test (was a bug in server/delivery_engine.cc, TakeBatch): expired items are only
// failed by FailExpired, which runs at most every kDeadlineSweepInterval (50 ms) per lane; in
// between, TakeBatch takes an item whose caller's deadline already passed and sends it (with a 1 ms
// timeout), breaking the header's contract "items not sent by `deadline` fail DEADLINE_EXCEEDED"
// and risking a duplicate when the caller retries. Here the first Submit's dispatch sweeps the
// lane, so the second Submit (within 50 ms) is not swept before TakeBatch.
TEST_F(DeliveryEngineTest, AnExpiredItemIsNotSentBetweenDeadlineSweeps) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  http_.set_park(false);  // so a wrongly sent item gets its verdict at once
  std::shared_ptr<CallResult> late = Submit({Item("b", "b-1")}, absl::Now() - absl::Seconds(1));
  ASSERT_TRUE(late->Wait());
  EXPECT_THAT(late->outcome.verdicts[0].failure,
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

// Regression test (was a bug in server/delivery_engine.cc, TakeBatch, the `if (!builder.Fits(...))
// break;` line): an item that does not fit even an empty request (its JSON
// exceeds the workspace's max_request_bytes; validated items can reach
// several MB through custom attributes) makes TakeBatch return nullptr
// forever. It never gets a verdict before its deadline and blocks every item
// queued behind it in the workspace. Fix: when `builder.empty()` and the item
// does not fit, Resolve it at once as FAILED with a non-retryable
// INVALID_ARGUMENT ("item is N bytes; a Braze request holds at most M") and
// continue scanning (TakeBatch needs the `finished` vector for that).
TEST_F(DeliveryEngineTest, AnItemTooLargeForAnyRequestFailsWithoutBlockingOthers) {
  constexpr absl::Duration kShortWait = absl::Seconds(2);
  workspace_.max_request_bytes = 200;
  StartEngine();
  std::shared_ptr<CallResult> huge = Submit({Item("a", std::string(300, 'x'))});
  std::shared_ptr<CallResult> small = Submit({Item("b", "b-1")});
  ASSERT_TRUE(small->Wait(kShortWait));
  EXPECT_THAT(small->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_DELIVERED)));
  ASSERT_TRUE(huge->Wait(kShortWait));
  EXPECT_THAT(huge->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
}

// Regression test (was a bug in server/delivery_engine.cc, DispatchLoop, the
// `if (!lane->queue.empty() && lane->in_flight < concurrency_limit())
// wake = std::min(wake, NextStartAt(now));` lines): when queued items cannot
// leave for a reason other than the rate (their user is in flight, they wait
// out a retry backoff, or the lane lingers for a fuller request), the governor
// has a token, so NextStartAt(now) == now and AwaitWithDeadline returns at
// once: the dispatcher busy-loops (measured ~30% of a core, ~12k wake-ups/s)
// until the blocking request finishes. Fix: lower `wake` to NextStartAt only
// when the loop stopped because CanStart() refused (remember
// `bool rate_limited = !CanStart(...)` for the exit); TakeBatch and
// ShouldSendNow already lower `wake` to the not_before / linger end they saw.
// Measures process CPU time, so it is inherently timing-based; run it alone.
TEST_F(DeliveryEngineTest, DoesNotSpinWhileQueuedItemsWaitForTheirUser) {
  constexpr absl::Duration kWindow = absl::Milliseconds(500);
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  const std::clock_t before = std::clock();
  Submit({Item("a", "a-2")});  // waits for A's request, which stays parked
  absl::Notification never;
  never.WaitForNotificationWithTimeout(kWindow);
  const double cpu_seconds = static_cast<double>(std::clock() - before) / CLOCKS_PER_SEC;
  EXPECT_THAT(cpu_seconds, Le(0.1 * absl::ToDoubleSeconds(kWindow)));
}

TEST_F(DeliveryEngineTest, FullQueueIsResourceExhaustedAndNeverCallsDone) {
  EngineOptions options = OneSlotOptions();
  options.max_queued_items_per_workspace = 2;
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked(options));  // the queue is empty again
  std::shared_ptr<CallResult> queued = Submit(Items(2, "q-"));
  auto rejected = std::make_shared<CallResult>();
  EXPECT_THAT(
      engine_->Submit(workspace_, Items(1, "r-"), absl::InfiniteFuture(), DoneFor(rejected)),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("full")));
  http_.set_park(false);
  http_.ReleaseAll(Response(201));
  ASSERT_TRUE(busy_call_->Wait());
  ASSERT_TRUE(queued->Wait());
  EXPECT_THAT(rejected->done_calls.load(), Eq(0));
  EXPECT_THAT(http_.request_count(), Eq(2u));
}

TEST_F(DeliveryEngineTest, EmptySubmitCompletesAtOnceWithoutARequest) {
  StartEngine();
  std::shared_ptr<CallResult> call = Submit({});
  ASSERT_TRUE(call->done.HasBeenNotified());
  EXPECT_THAT(call->outcome.verdicts, IsEmpty());
  EXPECT_THAT(call->outcome.braze_requests, Eq(0));
  EXPECT_THAT(http_.request_count(), Eq(0u));
}

TEST_F(DeliveryEngineTest, ShutdownFailsQueuedItemsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked(OneSlotOptions()));
  std::shared_ptr<CallResult> queued = Submit(Items(2, "q-"));
  engine_->Shutdown();
  ASSERT_TRUE(queued->done.HasBeenNotified());
  EXPECT_THAT(queued->outcome.verdicts,
              Each(AllOf(VerdictIs(v1::ITEM_STATUS_FAILED),
                         Field(&ItemVerdict::failure,
                               StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting"))))));
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

// Braze's answer to a request that was in flight when Shutdown ran.
struct InFlightAtShutdownCase {
  std::string name;
  HttpResponse answer;
  v1::ItemStatus status;
};

void PrintTo(const InFlightAtShutdownCase& test, std::ostream* os) { *os << test.name; }

using DeliveryEngineInFlightAtShutdownTest = DeliveryEngineCaseTest<InFlightAtShutdownCase>;

TEST_P(DeliveryEngineInFlightAtShutdownTest, ItemsGetTheirRequestsVerdictWithoutRetry) {
  const InFlightAtShutdownCase& test = GetParam();
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked());
  engine_->Shutdown();
  ASSERT_TRUE(http_.ReleaseOldest(test.answer));
  ASSERT_TRUE(busy_call_->Wait());
  EXPECT_THAT(busy_call_->outcome.verdicts, ElementsAre(VerdictIs(test.status)));
  EXPECT_THAT(http_.request_count(), Eq(1u));
}

std::vector<InFlightAtShutdownCase> InFlightAtShutdownCases() {
  return {
      {"Http201Delivers", Response(201), v1::ITEM_STATUS_DELIVERED},
      {"Http503FailsWithoutRetry", Response(503, "Service Unavailable"), v1::ITEM_STATUS_FAILED},
  };
}

INSTANTIATE_TEST_SUITE_P(DeliveryEngineTest, DeliveryEngineInFlightAtShutdownTest,
                         ::testing::ValuesIn(InFlightAtShutdownCases()),
                         CaseName<InFlightAtShutdownCase>);

TEST_F(DeliveryEngineTest, SubmitAfterShutdownIsUnavailable) {
  StartEngine();
  engine_->Shutdown();
  auto call = std::make_shared<CallResult>();
  EXPECT_THAT(engine_->Submit(workspace_, Items(1), absl::InfiniteFuture(), DoneFor(call)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  EXPECT_THAT(call->done_calls.load(), Eq(0));
}

TEST_F(DeliveryEngineTest, ShutdownIsIdempotent) {
  StartEngine();
  engine_->Shutdown();
  engine_->Shutdown();
  EXPECT_THAT(engine_->stats().queued_items, Eq(0u));
}

// ---- Accounting ----

// Many callers on several threads against a Braze that succeeds, rejects
// objects, fails and drops connections: each call's done runs once, with one
// final verdict per item.
TEST_F(DeliveryEngineTest, EveryItemGetsExactlyOneVerdict) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 25;
  StartEngine();
  std::atomic<int> n{0};
  http_.set_responder([&n](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    switch (n.fetch_add(1) % 4) {
      case 0:
        return Response(201);
      case 1:
        return Response(201, ErrorsBody("success", {ItemError("events", 0, "bad")}));
      case 2:
        return Response(503, "Service Unavailable");
      default:
        return absl::UnavailableError("connection reset");
    }
  });
  std::vector<std::vector<std::shared_ptr<CallResult>>> calls(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCallsPerThread; ++c) {
        // Users overlap across threads so per-user ordering is exercised.
        calls[t].push_back(Submit(Items(1 + c % 7, absl::StrCat("c", c % 3, "-"))));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kCallsPerThread; ++c) {
      const std::shared_ptr<CallResult>& call = calls[t][c];
      ASSERT_TRUE(call->Wait()) << t << "/" << c;
      EXPECT_THAT(call->outcome.verdicts, SizeIs(1 + c % 7));
      for (const ItemVerdict& verdict : call->outcome.verdicts) {
        EXPECT_THAT(verdict.status,
                    AllOf(Ge(v1::ITEM_STATUS_DELIVERED), Le(v1::ITEM_STATUS_FAILED)));
        EXPECT_THAT(verdict.status, testing::Ne(v1::ITEM_STATUS_REJECTED_INVALID));
      }
    }
  }
  // Late duplicate calls would show up after the engine has drained.
  engine_.reset();
  for (const auto& per_thread : calls) {
    for (const auto& call : per_thread) EXPECT_THAT(call->done_calls.load(), Eq(1));
  }
}

TEST_F(DeliveryEngineTest, StatsCountRequestsItemsAndRetries) {
  StartEngine();
  http_.Respond(Response(503, "Service Unavailable"));
  http_.Respond(Response(201));
  ASSERT_TRUE(Submit(Items(2))->Wait());
  const EngineStats stats = engine_->stats();
  EXPECT_THAT(stats.braze_requests, Eq(2));
  EXPECT_THAT(stats.items_sent, Eq(4));
  EXPECT_THAT(stats.retries, Eq(1));
  EXPECT_THAT(stats.queued_items, Eq(0u));
}

// ---- Rate budgets (EngineOptions::rate_budgets) ----

// Grants a token while `open`; counts what the governor asks for.
class CountingBudget final : public RateBudget {
 public:
  struct Counts {
    std::atomic<int> takes{0};
    std::atomic<int> granted{0};
    bool open = true;
  };
  explicit CountingBudget(Counts* counts) : counts_(counts) {}
  bool TryTake(absl::Time) override {
    ++counts_->takes;
    if (!counts_->open) return false;
    ++counts_->granted;
    return true;
  }
  absl::Time NextTokenAt(absl::Time now) override {
    return counts_->open ? now : now + absl::Hours(1);
  }
  void ObserveThrottle(absl::Time) override {}
  void ObserveRemaining(int, std::optional<absl::Time>, absl::Time) override {}

 private:
  Counts* const counts_;
};

TEST_F(DeliveryEngineTest, EachLaneSpendsTheBudgetItsFactoryMade) {
  CountingBudget::Counts counts;
  std::vector<std::string> made_for;
  EngineOptions options = FastOptions();
  options.rate_budgets = [&](const WorkspaceSettings& workspace, const RateGovernorOptions&) {
    made_for.push_back(workspace.name);  // lanes are created under the engine lock
    return std::make_unique<CountingBudget>(&counts);
  };
  StartEngine(options);
  ASSERT_TRUE(Submit({Item("a", "e-a")})->Wait());
  ASSERT_TRUE(Submit({Item("b", "e-b")})->Wait());
  EXPECT_THAT(made_for, ElementsAre("prod"));
  EXPECT_THAT(counts.granted.load(), Eq(2));
  EXPECT_THAT(http_.request_count(), Eq(2u));
}

TEST_F(DeliveryEngineTest, NothingLeavesWhileTheBudgetHasNoToken) {
  CountingBudget::Counts counts;
  counts.open = false;
  EngineOptions options = FastOptions();
  options.rate_budgets = [&](const WorkspaceSettings&, const RateGovernorOptions&) {
    return std::make_unique<CountingBudget>(&counts);
  };
  StartEngine(options);
  std::shared_ptr<CallResult> call =
      Submit({Item("a", "e-a")}, absl::Now() + absl::Milliseconds(300));
  ASSERT_TRUE(call->Wait());
  EXPECT_THAT(http_.request_count(), Eq(0u));
  EXPECT_THAT(counts.takes.load(), Ge(1));
  EXPECT_THAT(call->outcome.verdicts, ElementsAre(VerdictIs(v1::ITEM_STATUS_FAILED)));
}

TEST_F(DeliveryEngineTest, StatsCountQueuedItems) {
  ASSERT_NO_FATAL_FAILURE(StartWithARequestParked(OneSlotOptions()));
  Submit(Items(3, "q-"));
  EXPECT_THAT(engine_->stats().queued_items, Eq(3u));
}

}  // namespace
}  // namespace brazesync
