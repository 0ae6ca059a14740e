// Per-workspace pacing of Braze requests.
#include "server/delivery/rate_governor.h"

#include <algorithm>

namespace brazesync {

RateGovernor::RateGovernor(const RateGovernorOptions& options, absl::Time now)
    : options_(options),
      // At least one token of burst, and at least one token of refill per
      // window, even for a limit of 1.
      capacity_(std::max(1.0, std::min(options.burst_fraction * options.requests_per_window,
                                       options.requests_per_window - 1.0))),
      tokens_per_second_(std::max(1.0, options.requests_per_window - capacity_) /
                         absl::ToDoubleSeconds(options.window)),
      tokens_(capacity_),
      refilled_at_(now),
      concurrency_limit_(options.max_concurrency) {}

void RateGovernor::Refill(absl::Time now) {
  if (now <= refilled_at_) return;
  tokens_ =
      std::min(capacity_, tokens_ + absl::ToDoubleSeconds(now - refilled_at_) * tokens_per_second_);
  refilled_at_ = now;
}

bool RateGovernor::CanStart(absl::Time now, int in_flight) {
  if (in_flight >= concurrency_limit_) return false;
  Refill(now);
  if (now < paused_until_ || tokens_ < 1.0) {
    ++waits_;
    return false;
  }
  return true;
}

void RateGovernor::Started(absl::Time now) {
  Refill(now);
  tokens_ -= 1.0;
}

absl::Time RateGovernor::NextStartAt(absl::Time now) const {
  absl::Time at = std::max(now, paused_until_);
  if (tokens_ < 1.0) {
    at = std::max(at, refilled_at_ + absl::Seconds((1.0 - tokens_) / tokens_per_second_));
  }
  return at;
}

void RateGovernor::OnAttempt(const BrazeAttempt& attempt, absl::Time now) {
  Refill(now);
  if (attempt.http_status == 429) {
    concurrency_limit_ = std::max(1, concurrency_limit_ / 2);
    const absl::Duration wait = attempt.retry_after.value_or(absl::Seconds(1));
    paused_until_ = std::max(paused_until_, now + wait);
    return;
  }
  if (attempt.status.ok()) {
    concurrency_limit_ = std::min(options_.max_concurrency, concurrency_limit_ + 1);
  }
  const double low = options_.low_remaining_fraction * options_.requests_per_window;
  if (attempt.rate_limit_remaining >= 0 && attempt.rate_limit_remaining < low) {
    tokens_ = std::min<double>(tokens_, attempt.rate_limit_remaining);
    if (attempt.rate_limit_remaining == 0 && attempt.rate_limit_reset.has_value()) {
      paused_until_ = std::max(paused_until_, *attempt.rate_limit_reset);
    }
  }
}

}  // namespace brazesync
