// The request budget a workspace's RateGovernor spends: Braze's
// /users/track rate limit as tokens. The governor keeps what is local to this
// replica (the AIMD concurrency limit, its own pause after a 429); the
// budget is where tokens come from.
//
// LocalRateBudget (here): one replica's token bucket (burst 10 % of the
// limit, refill 90 %), today's single-node pacing. SharedRateBudget
// (server/postgres/shared_rate_budget.h): one GCRA budget per Braze
// workspace or company key in PostgreSQL, shared by every replica and leased
// in blocks by a background thread, so TryTake never waits on the network.
//
// Called by the delivery engine under its lock: every method is
// non-blocking. Implementations are thread-safe.
#ifndef BRAZESYNC_SERVER_DELIVERY_RATE_BUDGET_H_
#define BRAZESYNC_SERVER_DELIVERY_RATE_BUDGET_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/time/time.h"

namespace brazesync {

struct WorkspaceSettings;
struct RateGovernorOptions;

class RateBudget {
 public:
  virtual ~RateBudget() = default;
  // Takes one request's token when one is available at `now`.
  virtual bool TryTake(absl::Time now) = 0;
  // When a token may be available next (a wake-up hint; may be early, never
  // later than a token could be taken).
  virtual absl::Time NextTokenAt(absl::Time now) = 0;
  // Braze answered 429: no request before `until`, on any replica sharing
  // the budget.
  virtual void ObserveThrottle(absl::Time until) = 0;
  // Braze's X-RateLimit-Remaining said only `remaining` requests are left in
  // its window (ending at `reset` when known): spend no more than that.
  virtual void ObserveRemaining(int remaining, std::optional<absl::Time> reset, absl::Time now) = 0;
};

// Makes each workspace's budget when its delivery lane is created.
using RateBudgetFactory = std::function<std::unique_ptr<RateBudget>(
    const WorkspaceSettings& workspace, const RateGovernorOptions& governor)>;

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_RATE_BUDGET_H_
