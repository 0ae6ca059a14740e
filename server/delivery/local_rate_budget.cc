// One replica's token bucket.
#include "server/delivery/local_rate_budget.h"

#include <algorithm>
#include <memory>

namespace brazesync {

LocalRateBudget::LocalRateBudget(const RateGovernorOptions& options, absl::Time now)
    // At least one token of burst, and at least one token of refill per
    // window, even for a limit of 1 (a refill of 0 would stall the
    // workspace for good after its first request).
    : capacity_(std::max(1.0, std::min(options.burst_fraction * options.requests_per_window,
                                       options.requests_per_window - 1.0))),
      tokens_per_second_(std::max(1.0, options.requests_per_window - capacity_) /
                         absl::ToDoubleSeconds(options.window)),
      tokens_(capacity_),
      refilled_at_(now) {}

void LocalRateBudget::Refill(absl::Time now) {
  if (now <= refilled_at_) return;
  tokens_ =
      std::min(capacity_, tokens_ + absl::ToDoubleSeconds(now - refilled_at_) * tokens_per_second_);
  refilled_at_ = now;
}

bool LocalRateBudget::TryTake(absl::Time now) {
  absl::MutexLock lock(&mu_);
  Refill(now);
  if (now < paused_until_ || tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

absl::Time LocalRateBudget::NextTokenAt(absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::Time at = std::max(now, paused_until_);
  if (tokens_ < 1.0) {
    at = std::max(at, refilled_at_ + absl::Seconds((1.0 - tokens_) / tokens_per_second_));
  }
  return at;
}

void LocalRateBudget::ObserveThrottle(absl::Time until) {
  absl::MutexLock lock(&mu_);
  paused_until_ = std::max(paused_until_, until);
}

void LocalRateBudget::ObserveRemaining(int remaining, std::optional<absl::Time> reset,
                                       absl::Time now) {
  absl::MutexLock lock(&mu_);
  Refill(now);
  tokens_ = std::min<double>(tokens_, std::max(0, remaining));
  // Nothing left in Braze's window: nothing before it ends.
  if (remaining <= 0 && reset.has_value()) paused_until_ = std::max(paused_until_, *reset);
}

RateBudgetFactory LocalRateBudgetFactory() {
  return [](const WorkspaceSettings&, const RateGovernorOptions& governor) {
    return std::make_unique<LocalRateBudget>(governor);
  };
}

}  // namespace brazesync
