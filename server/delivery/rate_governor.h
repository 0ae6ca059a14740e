// Per-workspace pacing of Braze requests: an AIMD limit on concurrent
// requests (halved on 429, +1 on each success) and this replica's own pause
// after a 429, in front of a RateBudget (rate_budget.h) that the tokens come
// from: by default a LocalRateBudget, today's token bucket derived from
// Braze's limit (kRateLimitRequests per kRateLimitWindow, server/braze/limits.h;
// burst 10%, refill 90%); in cluster mode a SharedRateBudget that all
// replicas spend together. Braze's feedback is forwarded to the budget: a
// 429's Retry-After pauses it, a low X-RateLimit-Remaining caps it. Not
// thread-safe: the delivery engine calls it under its lock.
#ifndef BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_
#define BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/braze/limits.h"
#include "server/braze/users_track.h"
#include "server/delivery/rate_budget.h"

namespace brazesync {

struct RateGovernorOptions {
  // Braze's rate limit (per workspace or, with a shared budget key, per
  // company); in single-node mode lower it when several replicas share a
  // workspace, in cluster mode it is the total of all replicas.
  int requests_per_window = kRateLimitRequests;
  absl::Duration window = kRateLimitWindow;
  // Concurrent requests (the AIMD ceiling: halved on 429, +1 per success).
  int max_concurrency = 32;
  // Below this fraction of the window's limit remaining, spend no more than
  // Braze says is left.
  double low_remaining_fraction = 0.1;
  // The bucket holds this fraction of the window's limit; the refill rate is
  // lowered by the same amount so that burst + refill never exceed Braze's
  // limit within one fixed window.
  double burst_fraction = 0.1;
  // A token CanStart took but no request spent (the engine decided to wait
  // for more items) is dropped after this long: a shared budget's tokens are
  // only valid for a short time after their lease.
  absl::Duration max_token_hold = absl::Milliseconds(20);
};

class RateGovernor final {
 public:
  // Tokens come from a LocalRateBudget built from `options`, full at `now`.
  explicit RateGovernor(const RateGovernorOptions& options, absl::Time now = absl::Now());
  // Tokens come from `budget` (not null).
  RateGovernor(const RateGovernorOptions& options, std::unique_ptr<RateBudget> budget);

  // Whether a request may start now with `in_flight` running. Takes the
  // budget's token for it (kept for Started). Counts a wait when only the
  // rate (not the concurrency limit) holds it back.
  bool CanStart(absl::Time now, int in_flight);
  // Spends the token for a request that starts now.
  void Started(absl::Time now);
  // When the next request may start, given no slot shortage (for wake-ups).
  absl::Time NextStartAt(absl::Time now) const;
  // Feeds back one finished attempt.
  void OnAttempt(const BrazeAttempt& attempt, absl::Time now);

  int concurrency_limit() const { return concurrency_limit_; }
  // How many times a request had to wait for a token or a pause (metrics).
  int64_t waits() const { return waits_; }
  RateBudget& budget() const { return *budget_; }

 private:
  // Whether a token taken from the budget is held, dropping a stale one.
  bool HoldsToken(absl::Time now);

  const RateGovernorOptions options_;
  const std::unique_ptr<RateBudget> budget_;
  // A token taken by CanStart and not yet spent by Started: the budget has
  // no "peek", and taking at CanStart keeps the two calls consistent.
  bool token_held_ = false;
  absl::Time token_taken_at_ = absl::InfinitePast();
  absl::Time paused_until_ = absl::InfinitePast();
  int concurrency_limit_;
  int64_t waits_ = 0;
};

// A governor for one of `workspace`'s Braze limits other than /users/track
// (Braze limits each endpoint family on its own): local token buckets when
// `budgets` is null, else the factory's budget for the key
// "<rate_budget_key or name><budget_suffix>", so every replica spending that
// limit shares one budget (e.g. "prod/users/export/ids", "prod/identity").
std::unique_ptr<RateGovernor> MakeKeyedGovernor(const WorkspaceSettings& workspace,
                                                const RateGovernorOptions& options,
                                                absl::string_view budget_suffix,
                                                const RateBudgetFactory& budgets);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_
