// One replica's share of Braze's rate limit as a token bucket: single-node
// pacing, and the static share a SharedRateBudget falls back to while
// PostgreSQL is unreachable. The bucket holds burst_fraction of the window's
// limit and refills at the rest of it, so that a full bucket at the start of
// Braze's fixed window plus everything refilled during it never exceed the
// limit. Braze's X-RateLimit-Remaining caps the tokens (no more than Braze
// says is left), and a 429 or an exhausted window pauses it.
#ifndef BRAZESYNC_SERVER_DELIVERY_LOCAL_RATE_BUDGET_H_
#define BRAZESYNC_SERVER_DELIVERY_LOCAL_RATE_BUDGET_H_

#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/delivery/rate_budget.h"
#include "server/delivery/rate_governor.h"

namespace brazesync {

class LocalRateBudget final : public RateBudget {
 public:
  // Uses requests_per_window, window and burst_fraction of `options`; the
  // bucket starts full at `now`.
  explicit LocalRateBudget(const RateGovernorOptions& options, absl::Time now = absl::Now());

  bool TryTake(absl::Time now) override;
  absl::Time NextTokenAt(absl::Time now) override;
  void ObserveThrottle(absl::Time until) override;
  void ObserveRemaining(int remaining, std::optional<absl::Time> reset, absl::Time now) override;

  // The bucket's size and refill rate (for tests and the fallback's logs).
  double capacity() const { return capacity_; }
  double tokens_per_second() const { return tokens_per_second_; }

 private:
  void Refill(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double capacity_;
  const double tokens_per_second_;
  // The engine calls under its own lock, but a SharedRateBudget's fallback
  // is also fed from its lease thread: a lock of its own keeps the contract
  // (thread-safe) for every user; uncontended, it costs nanoseconds.
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time refilled_at_ ABSL_GUARDED_BY(mu_);
  absl::Time paused_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// A factory making a LocalRateBudget for every workspace from the engine's
// governor options (the default when EngineOptions::rate_budgets is empty).
RateBudgetFactory LocalRateBudgetFactory();

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_LOCAL_RATE_BUDGET_H_
