// Pacing, deferral and retries of Braze's identity, messaging and
// subscription calls (see action_dispatcher.h). Built like the export
// dispatcher (lookup/export_dispatcher.cc): one loop thread starts what the
// governors allow, attempts are posted outside the lock, answers come back
// on HTTP threads.
#include "server/delivery/action_dispatcher.h"

#include <algorithm>
#include <array>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/delivery/rate_governor.h"

namespace brazesync {

// One call, from Call() until `done` runs: shared by its queue and the
// attempt in flight.
struct ActionDispatcher::Pending {
  ActionCall call;
  Done done;
  Lane* lane = nullptr;                          // lanes and pools are never removed
  Pool* pool = nullptr;                          // the call's rate pool
  Pool* audience = nullptr;                      // broadcasts: the audience's pool; else null
  absl::Time not_before = absl::InfinitePast();  // a retry's backoff
  std::string api_key;  // of the attempt in flight, to scrub from its answer
  // What the caller gets, filled in attempt by attempt.
  ActionCallOutcome outcome;
};

struct ActionDispatcher::Pool {
  explicit Pool(std::unique_ptr<RateGovernor> governor) : governor(std::move(governor)) {}

  const std::unique_ptr<RateGovernor> governor;
  int in_flight = 0;
  // Calls waiting for a token (and retries waiting out their backoff), in
  // the order they were queued. Unused for an audience's pool: its calls
  // queue in the broadcast pool.
  std::deque<std::shared_ptr<Pending>> queue;
};

struct ActionDispatcher::Lane {
  Lane(const WorkspaceSettings* workspace, RateBudgetFactory budgets)
      : workspace(workspace), budgets(std::move(budgets)) {}

  const WorkspaceSettings* const workspace;
  // Kept to make the audiences' budgets as their keys first appear.
  const RateBudgetFactory budgets;
  absl::flat_hash_map<RatePool, std::unique_ptr<Pool>> pools;
  absl::flat_hash_map<std::string, std::unique_ptr<Pool>> audiences;
};

namespace {

constexpr std::array<RatePool, 6> kAllPools = {
    RatePool::kIdentity,
    RatePool::kRename,
    RatePool::kRemove,
    RatePool::kTargetedTriggers,
    RatePool::kBroadcastTriggers,
    RatePool::kSubscriptions,
};

// Concurrent calls per pool (the AIMD ceiling): Braze's limits are per
// window, this only bounds the requests open at once.
constexpr int kMaxConcurrentCallsPerPool = 16;

// How long the loop waits before asking a governor again whose hint said
// "now" but which refused: keeps it from spinning.
constexpr absl::Duration kMinRecheck = absl::Milliseconds(1);

RateGovernorOptions GovernorOptions(const PoolLimit& limit) {
  RateGovernorOptions options;
  options.requests_per_window = limit.requests;
  options.window = limit.window;
  options.max_concurrency = kMaxConcurrentCallsPerPool;
  return options;
}

// The pool `call` spends: its endpoint's, except that a trigger without
// recipients spends the broadcast pool.
RatePool PoolOf(const ActionCall& call) {
  const RatePool pool = EndpointOf(call.action).pool;
  if (pool == RatePool::kTargetedTriggers || pool == RatePool::kBroadcastTriggers) {
    return PoolForTrigger(call.has_recipients);
  }
  return pool;
}

std::string AudienceSuffix(absl::string_view audience_key) {
  return absl::StrCat("/", RatePoolName(RatePool::kBroadcastTriggers), "/", audience_key);
}

}  // namespace

ActionDispatcher::ActionDispatcher(HttpClient* http, const ApiKeySource* keys)
    : http_(http), keys_(keys), thread_([this] { Loop(); }) {}

ActionDispatcher::~ActionDispatcher() {
  Shutdown();
  thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void ActionDispatcher::AddWorkspace(const WorkspaceSettings* workspace,
                                    const RateBudgetFactory& budgets) {
  auto lane = std::make_unique<Lane>(workspace, budgets);
  for (RatePool pool : kAllPools) {
    lane->pools[pool] = std::make_unique<Pool>(
        MakeKeyedGovernor(*workspace, GovernorOptions(workspace->actions.LimitOf(pool)),
                          absl::StrCat("/", RatePoolName(pool)), budgets));
  }
  absl::MutexLock lock(&mu_);
  lanes_[workspace->name] = std::move(lane);
}

void ActionDispatcher::Call(ActionCall call, Done done) {
  const RatePool pool_name = PoolOf(call);
  const bool per_audience = pool_name == RatePool::kBroadcastTriggers && !call.audience_key.empty();
  ActionCallOutcome refused;
  std::unique_ptr<Pool> new_audience;
  // At most two passes: the second after making a broadcast audience's
  // governor (first seen) outside the lock.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto lane_it = lanes_.find(call.workspace);
      if (stopping_) {
        refused.retry_at = absl::Now();
        ++stats_.deferred;
        break;
      }
      if (lane_it == lanes_.end()) {
        refused.attempt.status = absl::FailedPreconditionError(
            absl::StrCat("no Braze workspace called \"", call.workspace, "\" is configured"));
        refused.retry_at = absl::InfiniteFuture();
        break;
      }
      Lane& lane = *lane_it->second;
      Pool* audience = nullptr;
      if (per_audience) {
        std::unique_ptr<Pool>& slot = lane.audiences[call.audience_key];
        if (slot == nullptr && new_audience != nullptr) slot = std::move(new_audience);
        audience = slot.get();
        if (audience == nullptr) {
          lane.audiences.erase(call.audience_key);
          // Made outside the lock below: a shared budget's factory may be
          // slow, and the loop must not wait for it.
        }
      }
      if (!per_audience || audience != nullptr) {
        auto pending = std::make_shared<Pending>();
        pending->call = std::move(call);
        pending->done = std::move(done);
        pending->lane = &lane;
        Pool* pool = lane.pools.at(pool_name).get();
        pending->pool = pool;
        pending->audience = audience;
        pool->queue.push_back(std::move(pending));
        wake_ = true;
        return;
      }
    }
    const WorkspaceSettings* workspace = nullptr;
    RateBudgetFactory budgets;
    {
      absl::MutexLock lock(&mu_);
      const Lane& lane = *lanes_.at(call.workspace);  // lanes are never removed
      workspace = lane.workspace;
      budgets = lane.budgets;
    }
    new_audience = std::make_unique<Pool>(
        MakeKeyedGovernor(*workspace, GovernorOptions(workspace->actions.broadcast_per_audience),
                          AudienceSuffix(call.audience_key), budgets));
  }
  std::move(done)(std::move(refused));
}

void ActionDispatcher::Shutdown() {
  std::vector<std::shared_ptr<Pending>> given_up;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, lane] : lanes_) {
      for (auto& [pool_name, pool] : lane->pools) {
        for (auto& pending : pool->queue) {
          if (!pending->outcome.sent) ++stats_.deferred;
          given_up.push_back(std::move(pending));
        }
        pool->queue.clear();
      }
    }
  }
  const absl::Time now = absl::Now();
  for (auto& pending : given_up) {
    // A retry waiting out its backoff keeps its last attempt's outcome.
    if (!pending->outcome.sent) pending->outcome.retry_at = now;
    std::move(pending->done)(std::move(pending->outcome));
  }
}

ActionDispatcherStats ActionDispatcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void ActionDispatcher::Loop() {
  while (true) {
    std::vector<Outgoing> outgoing;
    std::vector<Finish> finish;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      const absl::Time now = absl::Now();
      absl::Time wake = absl::InfiniteFuture();
      for (auto& [name, lane] : lanes_) {
        for (auto& [pool_name, pool] : lane->pools) StartDue(*lane, *pool, now, &wake, &finish);
      }
      outgoing.swap(outgoing_);
      if (outgoing.empty() && finish.empty()) {
        wake_ = false;
        mu_.AwaitWithDeadline(absl::Condition(
                                  +[](ActionDispatcher* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return self->wake_ || self->stopping_;
                                  },
                                  this),
                              wake);
        continue;
      }
    }
    for (Finish& run : finish) std::move(run)();
    for (Outgoing& attempt : outgoing) {
      http_->Post(std::move(attempt.request), std::move(attempt.done));
    }
  }
}

void ActionDispatcher::StartDue(Lane& lane, Pool& pool, absl::Time now, absl::Time* wake,
                                std::vector<Finish>* finish) {
  bool pool_busy = false;
  // Audiences whose oldest waiting call could not start: their later calls
  // wait behind it.
  absl::flat_hash_set<const Pool*> busy_audiences;
  for (auto it = pool.queue.begin(); it != pool.queue.end();) {
    const std::shared_ptr<Pending>& pending = *it;
    absl::Time token_at = pool.governor->NextStartAt(now);
    if (pending->audience != nullptr) {
      token_at = std::max(token_at, pending->audience->governor->NextStartAt(now));
    }
    const absl::Time deadline = pending->call.deadline;
    // NextStartAt is never later than a token could be taken: past the
    // deadline, waiting on would only delay the caller's DEFERRED.
    if (deadline <= now || std::max(token_at, pending->not_before) > deadline) {
      ActionCallOutcome& outcome = pending->outcome;
      if (!outcome.sent) {
        outcome.retry_at = token_at;
        ++stats_.deferred;
      }
      finish->push_back(
          [pending = *it]() mutable { std::move(pending->done)(std::move(pending->outcome)); });
      it = pool.queue.erase(it);
      continue;
    }
    const bool waits_for_audience =
        pending->audience != nullptr && busy_audiences.contains(pending->audience);
    if (pending->not_before > now || pool_busy || waits_for_audience) {
      if (pending->not_before > now) *wake = std::min(*wake, pending->not_before);
      *wake = std::min(*wake, deadline);
      ++it;
      continue;
    }
    // Checked before any token is taken: a workspace without a key would
    // spend one for nothing.
    absl::StatusOr<std::string> key = keys_->Current(lane.workspace->name);
    if (!key.ok()) {
      pending->outcome.attempt.status = key.status();
      if (!pending->outcome.sent) pending->outcome.retry_at = absl::InfiniteFuture();
      finish->push_back(
          [pending = *it]() mutable { std::move(pending->done)(std::move(pending->outcome)); });
      it = pool.queue.erase(it);
      continue;
    }
    switch (TakeTokens(pool, pending->audience, now)) {
      case StartResult::kStarted: {
        std::shared_ptr<Pending> starting = std::move(*it);
        it = pool.queue.erase(it);
        Send(lane, std::move(starting), *std::move(key));
        continue;
      }
      case StartResult::kPoolBusy: {
        pool_busy = true;
        // Held back by the concurrency limit, an answer wakes the loop;
        // by the rate, the governor says when.
        if (pool.in_flight < pool.governor->concurrency_limit()) {
          *wake = std::min(*wake, std::max(now + kMinRecheck, pool.governor->NextStartAt(now)));
        }
        break;
      }
      case StartResult::kAudienceBusy: {
        Pool& audience = *pending->audience;
        busy_audiences.insert(&audience);
        if (audience.in_flight < audience.governor->concurrency_limit()) {
          *wake = std::min(*wake, std::max(now + kMinRecheck, audience.governor->NextStartAt(now)));
        }
        break;
      }
    }
    *wake = std::min(*wake, deadline);
    ++it;
  }
}

ActionDispatcher::Finish ActionDispatcher::CompleteLater(std::shared_ptr<Pending> pending) {
  return
      [pending = std::move(pending)]() { std::move(pending->done)(std::move(pending->outcome)); };
}

ActionDispatcher::StartResult ActionDispatcher::TakeTokens(Pool& pool, Pool* audience,
                                                           absl::Time now) {
  // Asked, not looked at: a shared budget leases tokens only for demand
  // (TryTake), so a look (NextStartAt) alone would never see one. The
  // audience's first: refused by the pool after it, the audience's token
  // stays held by its governor for this call's next pass
  // (RateGovernorOptions::max_token_hold).
  if (audience != nullptr && !audience->governor->CanStart(now, audience->in_flight)) {
    return StartResult::kAudienceBusy;
  }
  if (!pool.governor->CanStart(now, pool.in_flight)) return StartResult::kPoolBusy;
  if (audience != nullptr) audience->governor->Started(now);
  pool.governor->Started(now);
  return StartResult::kStarted;
}

void ActionDispatcher::Send(Lane& lane, std::shared_ptr<Pending> pending, std::string api_key) {
  ++in_flight_;
  ++pending->pool->in_flight;
  if (pending->audience != nullptr) ++pending->audience->in_flight;
  ++stats_.calls;
  if (pending->outcome.attempts > 0) ++stats_.retries;
  ++pending->outcome.attempts;
  pending->outcome.sent = true;
  const WorkspaceSettings& workspace = *lane.workspace;
  HttpRequest request =
      MakeBrazePostRequest(workspace.endpoint, EndpointOf(pending->call.action).path, api_key,
                           pending->call.body, workspace.request_timeout);
  pending->api_key = std::move(api_key);
  auto done = [this, pending = std::move(pending)](absl::StatusOr<HttpResponse> response) mutable {
    OnResponse(std::move(pending), std::move(response));
  };
  outgoing_.push_back(Outgoing{std::move(request), std::move(done)});
}

void ActionDispatcher::OnResponse(std::shared_ptr<Pending> pending,
                                  absl::StatusOr<HttpResponse> response) {
  const absl::Time now = absl::Now();
  const ActionEndpoint& endpoint = EndpointOf(pending->call.action);
  // Read before ScrubApiKey and InterpretBrazeAttempt, which both rebuild a
  // transport failure without its payloads.
  const bool transport_failed = !response.ok();
  const bool not_sent = transport_failed && WasNotSent(response.status());
  ScrubApiKey(pending->api_key, &response);
  BrazeAttempt attempt = InterpretBrazeAttempt(response, now, endpoint.permission);
  const bool throttled = attempt.http_status == 429;
  const bool failed = !attempt.status.ok();

  ActionCallOutcome& outcome = pending->outcome;
  outcome.response_body = response.ok() ? std::move(response->body) : "";
  // A 429 was refused before processing; a 4xx was refused outright. A 5xx,
  // a timeout or a dropped connection may have been acted on.
  outcome.may_have_been_processed =
      failed && !throttled && (attempt.http_status >= 500 || (transport_failed && !not_sent));

  const bool safe_to_resend = endpoint.retry == RetrySafety::kIdempotent || throttled || not_sent;
  const bool retryable = failed && IsRetryable(attempt.status) && safe_to_resend;
  bool retry = false;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    --pending->pool->in_flight;
    if (pending->audience != nullptr) --pending->audience->in_flight;
    // Braze's rate-limit headers describe the pool's window; the audience's
    // governor only counts its own tokens.
    pending->pool->governor->OnAttempt(attempt, now);
    if (throttled) ++stats_.throttled;
    wake_ = true;
    absl::Time retry_at = absl::InfiniteFuture();
    if (retryable && !stopping_ && outcome.attempts < pending->lane->workspace->max_attempts) {
      const absl::Duration wait = throttled && attempt.retry_after.has_value()
                                      ? *attempt.retry_after
                                      : backoff_.Next(outcome.attempts);
      retry_at = now + wait;
    }
    // Filled in before the call may be queued again: the loop may start its
    // next attempt as soon as the lock is released.
    outcome.attempt = std::move(attempt);
    if (retry_at < pending->call.deadline) {
      retry = true;
      pending->not_before = retry_at;
      // In front of its queue: it was queued before everything there.
      pending->pool->queue.push_front(pending);
    }
  }
  if (retry) return;
  std::move(pending->done)(std::move(outcome));
}

}  // namespace brazesync
