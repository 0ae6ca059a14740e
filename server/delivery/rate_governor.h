// Per-workspace pacing of Braze requests: a token bucket derived from Braze's
// limit (kRateLimitRequests per kRateLimitWindow by default, server/braze/limits.h;
// burst 10%, refill 90% of the rate), tightened when Braze's
// X-RateLimit-Remaining runs low so we slow down before Braze says 429, and an
// AIMD limit on concurrent requests (halved on 429, +1 on each success). Not
// thread-safe: the delivery engine calls it under its lock.
#ifndef BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_
#define BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_

#include "absl/time/time.h"
#include "server/braze/limits.h"
#include "server/braze/users_track.h"

namespace brazesync {

struct RateGovernorOptions {
  // Braze's rate limit; lower it when several replicas share a workspace.
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
};

class RateGovernor final {
 public:
  explicit RateGovernor(const RateGovernorOptions& options, absl::Time now = absl::Now());

  // Whether a request may start now with `in_flight` running. Counts a wait
  // when only the rate (not the concurrency limit) holds it back.
  bool CanStart(absl::Time now, int in_flight);
  // Spends a token for a request that starts now.
  void Started(absl::Time now);
  // When the next request may start, given no slot shortage (for wake-ups).
  absl::Time NextStartAt(absl::Time now) const;
  // Feeds back one finished attempt.
  void OnAttempt(const BrazeAttempt& attempt, absl::Time now);

  int concurrency_limit() const { return concurrency_limit_; }
  // How many times a request had to wait for a token or a pause (metrics).
  int64_t waits() const { return waits_; }

 private:
  void Refill(absl::Time now);

  const RateGovernorOptions options_;
  const double capacity_;
  const double tokens_per_second_;
  double tokens_;
  absl::Time refilled_at_;
  absl::Time paused_until_ = absl::InfinitePast();
  int concurrency_limit_;
  int64_t waits_ = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_RATE_GOVERNOR_H_
