// The delivery engine: coalescing, pacing and retrying Braze requests.
#include "server/delivery/delivery_engine.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "server/braze/item_kind.h"
#include "server/braze/users_track.h"
#include "server/delivery/local_rate_budget.h"

namespace brazesync {
namespace {

// How often queued items are checked against their callers' deadlines.
constexpr absl::Duration kDeadlineSweepInterval = absl::Milliseconds(50);
// Upper bound of one dispatcher sleep, so deadlines are noticed.
constexpr absl::Duration kMaxDispatcherSleep = absl::Milliseconds(100);
// Items one batch search may look at (bounds CPU when many users are blocked).
constexpr size_t kMaxScan = 4096;

// Why a queued item whose caller's deadline passed was never sent.
absl::Status DeadlinePassed() {
  return absl::DeadlineExceededError("the caller's deadline passed before Braze accepted the item");
}

}  // namespace

struct DeliveryEngine::Call {
  std::vector<ItemVerdict> verdicts;
  size_t remaining = 0;
  int braze_requests = 0;
  absl::Time deadline;
  Done done;
};

struct DeliveryEngine::QueuedItem {
  std::shared_ptr<Call> call;
  int slot = 0;  // index in call->verdicts
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  // A 64-bit hash of the user key: equal users always collide; a rare false
  // collision only delays an item, never reorders one.
  uint64_t user = 0;
  std::string json;
  int64_t durable_id = 0;
  int failed_attempts = 0;
  absl::Time not_before = absl::InfinitePast();
  absl::Time enqueued;
};

// One user's queued items, in order. A user with items in flight is not
// ready: its next items wait until that request finishes.
struct DeliveryEngine::UserQueue {
  std::deque<QueuedItem> items;
  bool in_flight = false;
};

// Items wait in per-user queues, and `ready` lists the users whose next items
// may leave now, roughly in arrival order. Building a request therefore costs
// O(items taken), however many items of busy users are waiting.
struct DeliveryEngine::Lane {
  Lane(const WorkspaceSettings* workspace, const RateGovernorOptions& governor_options,
       std::unique_ptr<RateBudget> budget)
      : workspace(workspace), governor(governor_options, std::move(budget)) {}

  // Queues `item` behind its user's earlier items.
  void PushBack(QueuedItem item) {
    UserQueue& user = users[item.user];
    if (user.items.empty() && !user.in_flight) ready.push_back(item.user);
    user.items.push_back(std::move(item));
    ++queued;
  }

  // After its request finished: the user's remaining items may go.
  void Release(uint64_t user_key) {
    auto it = users.find(user_key);
    if (it == users.end()) return;
    it->second.in_flight = false;
    if (it->second.items.empty()) {
      users.erase(it);
    } else {
      ready.push_front(user_key);  // its items are older than most
    }
  }

  const WorkspaceSettings* workspace;
  absl::flat_hash_map<uint64_t, UserQueue> users;  // users with items queued or in flight
  std::deque<uint64_t> ready;                      // users with queued items and none in flight
  size_t queued = 0;                               // items in all user queues
  int in_flight = 0;
  RateGovernor governor;
  absl::Time next_sweep = absl::InfinitePast();
};

struct DeliveryEngine::Batch {
  Lane* lane = nullptr;
  std::vector<QueuedItem> items;  // ItemRef.index in `request` = position here
  std::vector<uint64_t> users;    // made busy by this request
  PlannedRequest request;
  absl::Duration timeout;
};

DeliveryEngine::DeliveryEngine(HttpClient* http, const ApiKeySource* keys,
                               const EngineOptions& options)
    : http_(http),
      keys_(keys),
      options_(options),
      backoff_(options.initial_backoff, options.max_backoff),
      dispatcher_([this] { DispatchLoop(); }) {}

DeliveryEngine::~DeliveryEngine() {
  Shutdown();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_total_));
}

void DeliveryEngine::Shutdown() {
  std::vector<std::shared_ptr<Call>> finished;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      wake_ = true;
    }
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  {
    absl::MutexLock lock(&mu_);
    for (auto& [workspace, lane] : lanes_) {
      for (auto& [user_key, user] : lane->users) {
        for (QueuedItem& item : user.items) {
          Resolve(item,
                  ItemVerdict{v1::ITEM_STATUS_FAILED, "",
                              absl::UnavailableError("BrazeSync is shutting down; not sent")},
                  &finished);
        }
        user.items.clear();
      }
      lane->queued = 0;
      lane->ready.clear();
    }
  }
  RunDone(finished);
}

void DeliveryEngine::SetSendGate(SendGate* gate) {
  absl::MutexLock lock(&mu_);
  gate_ = gate;
}

EngineStats DeliveryEngine::stats() const {
  absl::MutexLock lock(&mu_);
  EngineStats stats = stats_;
  stats.queued_items = 0;
  stats.governor_waits = 0;
  for (const auto& [workspace, lane] : lanes_) {
    stats.queued_items += lane->queued;
    stats.governor_waits += lane->governor.waits();
  }
  return stats;
}

DeliveryEngine::Lane& DeliveryEngine::LaneFor(const WorkspaceSettings& workspace) {
  std::unique_ptr<Lane>& lane = lanes_[&workspace];
  if (lane == nullptr) {
    std::unique_ptr<RateBudget> budget =
        options_.rate_budgets ? options_.rate_budgets(workspace, options_.governor) : nullptr;
    if (budget == nullptr) budget = std::make_unique<LocalRateBudget>(options_.governor);
    lane = std::make_unique<Lane>(&workspace, options_.governor, std::move(budget));
  }
  return *lane;
}

absl::Status DeliveryEngine::Submit(const WorkspaceSettings& workspace,
                                    std::vector<EngineItem> items, absl::Time deadline, Done done) {
  auto call = std::make_shared<Call>();
  call->verdicts.resize(items.size());
  call->remaining = items.size();
  call->deadline = deadline;
  call->done = std::move(done);
  if (items.empty()) {
    std::move(call->done)(DeliveryOutcome{});
    return absl::OkStatus();
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("BrazeSync is shutting down");
    Lane& lane = LaneFor(workspace);
    if (lane.queued + items.size() > options_.max_queued_items_per_workspace) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the delivery queue of workspace \"", workspace.name, "\" is full (",
                       lane.queued, " items waiting for Braze); retry with backoff"));
    }
    const bool was_empty = lane.queued == 0;
    const absl::Time now = absl::Now();
    for (size_t i = 0; i < items.size(); ++i) {
      QueuedItem queued;
      queued.enqueued = now;
      queued.call = call;
      queued.slot = static_cast<int>(i);
      queued.kind = items[i].kind;
      queued.user = absl::Hash<std::string>{}(items[i].user_key);
      queued.json = std::move(items[i].json);
      queued.durable_id = items[i].durable_id;
      lane.PushBack(std::move(queued));
    }
    // Wake the dispatcher only when it has something to decide: a request
    // could leave now, or the linger timer of a new oldest item must start.
    // Waking it per item would cost a context switch per event.
    if (was_empty || !options_.coalesce || lane.in_flight < options_.partial_below_in_flight ||
        lane.queued >= static_cast<size_t>(workspace.max_objects_per_request)) {
      wake_ = true;
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<DeliveryEngine::Batch> DeliveryEngine::TakeBatch(
    Lane& lane, absl::Time now, absl::Time* wake, std::vector<std::shared_ptr<Call>>* finished) {
  const WorkspaceSettings& workspace = *lane.workspace;
  RequestBuilder builder(RequestLimits{workspace.per_array_cap, workspace.max_objects_per_request,
                                       workspace.max_request_bytes});
  auto batch = std::make_unique<Batch>();
  batch->lane = &lane;
  std::vector<uint64_t> waiting;  // ready users whose next item may not go yet
  const Call* only_call = nullptr;
  absl::Time latest_deadline = absl::InfinitePast();
  auto fail = [&](std::deque<QueuedItem>& items, absl::Status failure) {
    Resolve(items.front(), ItemVerdict{v1::ITEM_STATUS_FAILED, "", std::move(failure)}, finished);
    items.pop_front();
    --lane.queued;
  };
  auto expired = [now](const QueuedItem& item) { return item.call->deadline <= now; };
  size_t scanned = 0;
  bool full = false;
  while (!full && !lane.ready.empty() && scanned++ < kMaxScan) {
    const uint64_t user_key = lane.ready.front();
    UserQueue& user = lane.users[user_key];
    std::deque<QueuedItem>& items = user.items;
    size_t taken = 0;
    while (!items.empty()) {
      QueuedItem& item = items.front();
      if (expired(item)) {  // between deadline sweeps: never send late
        const bool durable = item.durable_id != 0;
        fail(items, DeadlinePassed());
        if (durable) FailDurableBehind(lane, user_key, DeadlinePassed(), finished);
        continue;
      }
      if (item.not_before > now) {
        *wake = std::min(*wake, item.not_before);
        break;
      }
      if (!options_.coalesce && only_call == nullptr) only_call = item.call.get();
      if (only_call != nullptr && item.call.get() != only_call) break;
      if (!builder.Fits(item.kind, item.json.size())) {
        if (!builder.empty()) {
          full = true;
          break;
        }
        // Too large for any request: fail it rather than block the lane.
        // The validator refuses such items up front (ValidationLimits::
        // max_request_bytes), so only the relay can bring one here: an item
        // stored before that rule existed, or after the workspace's
        // max_request_bytes was lowered. Kept as a defensive check.
        fail(items, absl::InvalidArgumentError(
                        absl::StrCat("the item's Braze JSON (", item.json.size(),
                                     " bytes) exceeds the workspace's max_request_bytes")));
        continue;
      }
      builder.Add(ItemRef{item.kind, static_cast<int>(batch->items.size())}, item.json);
      latest_deadline = std::max(latest_deadline, item.call->deadline);
      batch->items.push_back(std::move(item));
      items.pop_front();
      --lane.queued;
      ++taken;
    }
    lane.ready.pop_front();
    if (taken > 0) {
      user.in_flight = true;
      batch->users.push_back(user_key);
    } else if (items.empty()) {
      lane.users.erase(user_key);
    } else {
      waiting.push_back(user_key);
    }
  }
  // Back in front, in their order: they were ready first.
  for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) lane.ready.push_front(*it);
  if (batch->items.empty()) return nullptr;
  batch->request = builder.Finish();
  batch->timeout =
      std::min(workspace.request_timeout, std::max(latest_deadline - now, absl::Milliseconds(1)));
  return batch;
}

bool DeliveryEngine::ShouldSendNow(const Lane& lane, absl::Time now, absl::Time* wake) const {
  if (!options_.coalesce || lane.in_flight < options_.partial_below_in_flight) return true;
  if (lane.queued >= static_cast<size_t>(lane.workspace->max_objects_per_request)) return true;
  const std::deque<QueuedItem>& next = lane.users.at(lane.ready.front()).items;
  if (next.empty()) return true;  // TakeBatch tidies it away
  const absl::Time linger_end = next.front().enqueued + options_.max_linger;
  if (now >= linger_end) return true;
  *wake = std::min(*wake, linger_end);
  return false;
}

void DeliveryEngine::FailExpired(Lane& lane, absl::Time now,
                                 std::vector<std::shared_ptr<Call>>* finished) {
  if (now < lane.next_sweep) return;
  lane.next_sweep = now + kDeadlineSweepInterval;
  auto expired = [now](const QueuedItem& item) { return item.call->deadline <= now; };
  for (auto& [user_key, user] : lane.users) {
    if (std::none_of(user.items.begin(), user.items.end(), expired)) continue;
    // Behind an expired durable item, the user's later durable items (of
    // calls with later deadlines) fail with it rather than overtake it.
    bool durable_expired = false;
    std::deque<QueuedItem> kept;
    for (QueuedItem& item : user.items) {
      const bool durable = item.durable_id != 0;
      if (!expired(item) && !(durable_expired && durable)) {
        kept.push_back(std::move(item));
        continue;
      }
      durable_expired = durable_expired || durable;
      Resolve(item, ItemVerdict{v1::ITEM_STATUS_FAILED, "", DeadlinePassed()}, finished);
      --lane.queued;
    }
    user.items.swap(kept);
  }
  // Users left with nothing queued are no longer ready.
  lane.ready.erase(std::remove_if(lane.ready.begin(), lane.ready.end(),
                                  [&lane](uint64_t user_key) {
                                    auto it = lane.users.find(user_key);
                                    if (!it->second.items.empty()) return false;
                                    lane.users.erase(it);
                                    return true;
                                  }),
                   lane.ready.end());
}

void DeliveryEngine::DispatchLoop() {
  while (true) {
    std::vector<std::unique_ptr<Batch>> ready;
    std::vector<std::shared_ptr<Call>> finished;
    SendGate* gate;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      gate = gate_;
      const absl::Time now = absl::Now();
      absl::Time wake = now + kMaxDispatcherSleep;
      for (auto& [workspace, lane] : lanes_) {
        FailExpired(*lane, now, &finished);
        bool rate_limited = false;
        while (!lane->ready.empty()) {
          if (!lane->governor.CanStart(now, lane->in_flight)) {
            rate_limited = lane->in_flight < lane->governor.concurrency_limit();
            break;
          }
          if (!ShouldSendNow(*lane, now, &wake)) break;
          std::unique_ptr<Batch> batch = TakeBatch(*lane, now, &wake, &finished);
          if (batch == nullptr) break;
          lane->governor.Started(now);
          ++lane->in_flight;
          ++in_flight_total_;
          ++stats_.braze_requests;
          stats_.items_sent += static_cast<int64_t>(batch->items.size());
          ready.push_back(std::move(batch));
        }
        // Only the rate holds items back: wake when the next token is due.
        // (Items waiting for their user, a retry time or a fuller request
        // already lowered `wake`; a free token must not make this spin.)
        if (rate_limited) wake = std::min(wake, lane->governor.NextStartAt(now));
      }
      if (ready.empty() && finished.empty()) {
        wake_ = false;
        mu_.AwaitWithDeadline(absl::Condition(&wake_), wake);
        continue;
      }
    }
    RunDone(finished);
    for (std::unique_ptr<Batch>& batch : ready) Send(std::move(batch), gate);
  }
}

void DeliveryEngine::Send(std::unique_ptr<Batch> batch, SendGate* gate) {
  std::vector<int64_t> durable_ids;
  if (gate != nullptr) {
    for (const QueuedItem& item : batch->items) {
      if (item.durable_id != 0) durable_ids.push_back(item.durable_id);
    }
  }
  if (durable_ids.empty()) {
    Post(std::move(batch));
    return;
  }
  gate->BeforeSend(std::move(durable_ids), [this,
                                            batch = std::move(batch)](absl::Status passed) mutable {
    if (passed.ok()) {
      Post(std::move(batch));
    } else {
      OnAttemptDone(std::move(batch),
                    absl::UnavailableError(absl::StrCat(
                        "not sent: the outbox could not record the attempt: ", passed.message())));
    }
  });
}

void DeliveryEngine::Post(std::unique_ptr<Batch> batch) {
  const WorkspaceSettings& workspace = *batch->lane->workspace;
  // Looked up per request, not per lane: a reload's new key must go out with
  // the very next request.
  absl::StatusOr<std::string> key = keys_->Current(workspace.name);
  if (!key.ok()) {
    OnAttemptDone(std::move(batch), key.status());
    return;
  }
  HttpRequest request =
      MakeUsersTrackRequest(workspace.endpoint, *key, batch->request.body, batch->timeout);
  http_->Post(std::move(request), [this, batch = std::move(batch), key = *std::move(key)](
                                      absl::StatusOr<HttpResponse> response) mutable {
    ScrubApiKey(key, &response);  // the key this request carried, even if rotated since
    OnAttemptDone(std::move(batch), std::move(response));
  });
}

void DeliveryEngine::Resolve(QueuedItem& item, ItemVerdict verdict,
                             std::vector<std::shared_ptr<Call>>* finished) {
  Call& call = *item.call;
  call.verdicts[item.slot] = std::move(verdict);
  if (--call.remaining == 0) finished->push_back(item.call);
}

void DeliveryEngine::RunDone(std::vector<std::shared_ptr<Call>>& finished) {
  for (std::shared_ptr<Call>& call : finished) {
    std::move(call->done)(DeliveryOutcome{std::move(call->verdicts), call->braze_requests});
  }
  finished.clear();
}

void DeliveryEngine::FailDurableBehind(Lane& lane, uint64_t user_key, const absl::Status& failure,
                                       std::vector<std::shared_ptr<Call>>* finished) {
  // A failure the relay dead-letters needs no company: nothing waits for it.
  if (!IsRetryable(failure)) return;
  auto it = lane.users.find(user_key);
  if (it == lane.users.end()) return;
  std::deque<QueuedItem>& items = it->second.items;
  std::deque<QueuedItem> kept;
  for (QueuedItem& item : items) {
    if (item.durable_id == 0) {
      kept.push_back(std::move(item));
      continue;
    }
    Resolve(item, ItemVerdict{v1::ITEM_STATUS_FAILED, "", failure}, finished);
    --lane.queued;
  }
  items.swap(kept);
  // A user left with nothing queued is tidied away by Release (in flight) or
  // TakeBatch and FailExpired (ready).
}

void DeliveryEngine::RetryOrFail(Batch& batch, const std::vector<size_t>& positions,
                                 const absl::Status& failure, absl::Duration delay, absl::Time now,
                                 std::vector<std::shared_ptr<Call>>* finished) {
  Lane& lane = *batch.lane;
  const int max_attempts = lane.workspace->max_attempts;
  // Walk backwards so push_front restores the original order.
  for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
    QueuedItem& item = batch.items[*it];
    ++item.failed_attempts;
    const absl::Time retry_at = now + delay;
    if (stopping_ || item.failed_attempts >= max_attempts || retry_at >= item.call->deadline) {
      const bool durable = item.durable_id != 0;
      const uint64_t user = item.user;
      Resolve(item, ItemVerdict{v1::ITEM_STATUS_FAILED, "", failure}, finished);
      if (durable) FailDurableBehind(lane, user, failure, finished);
      continue;
    }
    item.not_before = retry_at;
    ++lane.queued;
    lane.users[item.user].items.push_front(std::move(item));
  }
}

void DeliveryEngine::OnAttemptDone(std::unique_ptr<Batch> batch,
                                   absl::StatusOr<HttpResponse> response) {
  const absl::Time now = absl::Now();
  const BrazeAttempt attempt = InterpretBrazeAttempt(response, now);
  std::vector<std::shared_ptr<Call>> finished;
  {
    absl::MutexLock lock(&mu_);
    Lane& lane = *batch->lane;
    --lane.in_flight;
    --in_flight_total_;
    absl::flat_hash_set<Call*> calls;
    for (const QueuedItem& item : batch->items) {
      if (calls.insert(item.call.get()).second) ++item.call->braze_requests;
    }
    lane.governor.OnAttempt(attempt, now);

    std::vector<size_t> to_retry;
    if (attempt.HasItemVerdicts()) {
      std::vector<bool> rejected(batch->items.size(), false);
      for (const BrazeItemError& error : attempt.body.errors) {
        const ItemRef* ref =
            batch->request.Find(KindFromBrazeArray(error.input_array), error.index);
        if (ref == nullptr || rejected[ref->index]) continue;  // not an object we sent
        rejected[ref->index] = true;
        Resolve(batch->items[ref->index],
                ItemVerdict{v1::ITEM_STATUS_REJECTED_BY_BRAZE, error.type, absl::OkStatus()},
                &finished);
      }
      for (size_t i = 0; i < batch->items.size(); ++i) {
        if (rejected[i]) continue;
        if (attempt.status.ok()) {
          Resolve(batch->items[i], ItemVerdict{v1::ITEM_STATUS_DELIVERED, "", absl::OkStatus()},
                  &finished);
        } else {
          to_retry.push_back(i);  // a 400 processed nothing: the valid rest may go again
        }
      }
    } else if (IsRetryable(attempt.status)) {
      for (size_t i = 0; i < batch->items.size(); ++i) to_retry.push_back(i);
    } else {
      for (QueuedItem& item : batch->items) {
        Resolve(item, ItemVerdict{v1::ITEM_STATUS_FAILED, "", attempt.status}, &finished);
      }
    }
    if (!to_retry.empty()) {
      ++stats_.retries;
      const int failed = batch->items[to_retry.front()].failed_attempts + 1;
      const absl::Duration delay = attempt.retry_after.value_or(backoff_.Next(failed));
      RetryOrFail(*batch, to_retry, attempt.status, delay, now, &finished);
    }
    // Backwards, so the users keep their order at the front of `ready`.
    for (auto it = batch->users.rbegin(); it != batch->users.rend(); ++it) lane.Release(*it);
    wake_ = true;
  }
  RunDone(finished);
}

}  // namespace brazesync
