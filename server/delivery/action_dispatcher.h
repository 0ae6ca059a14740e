// Sends the identity, messaging and subscription calls to Braze
// (docs/actions.md): each call spends a token of its workspace's rate pool
// (action_endpoints.h: one RateGovernor per workspace and pool, Braze's
// limit as tokens, corrected by X-RateLimit-Remaining, paused by 429 and
// Retry-After; broadcast triggers also spend a per-audience pool), waits for
// one at most until the call's deadline (then it is DEFERRED, never sent),
// and is retried with backoff only as its endpoint's RetrySafety allows:
// idempotent endpoints on 429, 5xx and network failures; triggers only on
// 429 and failures where no connection was made, so a retry never sends a
// message twice.
//
// In cluster mode the budgets come from the shared RateBudgetFactory keyed
// "<rate_budget_key or workspace>/<pool name>" (per audience:
// "<...>/broadcast_triggers/<audience key>"), so every replica spends one
// pool.
//
// A broadcast trigger with an audience key needs a token of the broadcast
// pool AND one of its audience, asked for the audience's first then the
// pool's (asked, not looked at: a shared budget leases only for demand);
// should the pool's be refused, the audience's stays held by its governor
// for the next pass (RateGovernorOptions::max_token_hold) rather than being
// spent on a call that does not go. Broadcasts are FIFO per audience: one held back by
// its audience's limit does not hold back another audience's.
//
// An unknown workspace, or one without an API key, completes the call at
// once, unsent, with attempt.status FAILED_PRECONDITION naming it (a
// configuration gap, which waiting would not fix: retry_at is
// InfiniteFuture); such calls are not counted as deferred.
#ifndef BRAZESYNC_SERVER_DELIVERY_ACTION_DISPATCHER_H_
#define BRAZESYNC_SERVER_DELIVERY_ACTION_DISPATCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/braze/action_endpoints.h"
#include "server/braze/users_track.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_budget.h"
#include "server/delivery/retry_policy.h"
#include "server/http/http_client.h"

namespace brazesync {

// One Braze call to make.
struct ActionCall {
  std::string workspace;  // a name AddWorkspace was given
  BrazeAction action;
  std::string body;  // the JSON body
  // Triggers: whether the body has recipients (targeted pool) or not
  // (broadcast pool), and for a broadcast the per-audience key (the Canvas
  // or campaign id and a hash of the audience).
  bool has_recipients = true;
  std::string audience_key;
  // Waits for a token at most until then; also no retry starts after it.
  absl::Time deadline = absl::InfiniteFuture();
};

// What became of one ActionCall.
struct ActionCallOutcome {
  // false: no token within the deadline (or shutdown): never sent.
  bool sent = false;
  // The last attempt (sent only): status OK for 2xx, else the mapped
  // failure (BrazeHttpStatusToStatus with the endpoint's permission, or the
  // transport's).
  BrazeAttempt attempt;
  // The last attempt's body, with the API key scrubbed ("" without one).
  std::string response_body;
  int attempts = 0;
  // Not sent: when the pool may have a token again.
  absl::Time retry_at;
  // Failed: whether Braze may have processed an attempt (a timeout, a 5xx,
  // a connection dropped after sending). A trigger's caller must not resend
  // blindly then.
  bool may_have_been_processed = false;
};

struct ActionDispatcherStats {
  int64_t calls = 0;      // attempts sent
  int64_t retries = 0;    // attempts after the first
  int64_t throttled = 0;  // 429 answers
  int64_t deferred = 0;   // calls never sent (no token by the deadline)
};

class ActionDispatcher final {
 public:
  using Done = absl::AnyInvocable<void(ActionCallOutcome) &&>;

  // `http` and `keys` must outlive the dispatcher.
  ActionDispatcher(HttpClient* http, const ApiKeySource* keys);
  // Shutdown(), then waits for the attempts in flight.
  ~ActionDispatcher();
  ActionDispatcher(const ActionDispatcher&) = delete;
  ActionDispatcher& operator=(const ActionDispatcher&) = delete;

  // Serves `workspace` (must outlive the dispatcher): one governor per
  // pool with the workspace's limits (workspace.actions), budgets from
  // `budgets` (null: local token buckets). Call for every workspace before
  // the first Call.
  void AddWorkspace(const WorkspaceSettings* workspace, const RateBudgetFactory& budgets);

  // Queues `call`; `done` runs exactly once, on a dispatcher or HTTP
  // thread, after the last attempt (or when the call is given up unsent;
  // on the caller's thread for an unknown workspace or after Shutdown).
  // Calls of one workspace and pool (broadcasts: and audience) start in
  // the order they were queued; a retry waiting out its backoff lets later
  // calls go first. A call is given up as soon as its pool cannot have a
  // token before its deadline.
  void Call(ActionCall call, Done done);

  // Gives up every queued call (unsent) and sends nothing more.
  void Shutdown();

  ActionDispatcherStats stats() const;

 private:
  struct Pending;  // one call and its attempts so far
  struct Pool;     // a governor, its calls in flight and its queue
  struct Lane;     // one workspace's pools
  // An attempt ready to go out, posted once the lock is released (an
  // HttpClient may answer before Post returns).
  struct Outgoing {
    HttpRequest request;
    HttpCallback done;
  };
  using Finish = absl::AnyInvocable<void() &&>;
  // Why a call could not start now.
  enum class StartResult { kStarted, kPoolBusy, kAudienceBusy };

  void Loop();
  // Starts the pool's queued calls that are due and have tokens, gives up
  // the ones that cannot get a token before their deadline (into `finish`),
  // and lowers `wake` to when the next may change.
  void StartDue(Lane& lane, Pool& pool, absl::Time now, absl::Time* wake,
                std::vector<Finish>* finish) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `pending`'s done with its outcome, once the lock is released.
  static Finish CompleteLater(std::shared_ptr<Pending> pending);
  // Takes the tokens a call of `pool` (and `audience`, null for none) needs.
  static StartResult TakeTokens(Pool& pool, Pool* audience, absl::Time now);
  void Send(Lane& lane, std::shared_ptr<Pending> pending, std::string api_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnResponse(std::shared_ptr<Pending> pending, absl::StatusOr<HttpResponse> response);

  HttpClient* const http_;
  const ApiKeySource* const keys_;
  Backoff backoff_{absl::Milliseconds(200), absl::Seconds(5)};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Lane>> lanes_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  ActionDispatcherStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<Outgoing> outgoing_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_ACTION_DISPATCHER_H_
