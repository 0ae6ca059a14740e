// Exponential backoff with full jitter for retrying Braze requests: the wait
// before attempt n+1 is uniform in [0, min(max, initial * 2^(n-1))], which
// spreads retries of many batches instead of synchronising them.
#ifndef BRAZESYNC_SERVER_DELIVERY_RETRY_POLICY_H_
#define BRAZESYNC_SERVER_DELIVERY_RETRY_POLICY_H_

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace brazesync {

class Backoff final {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}

  // The ceiling of the wait after `failed_attempts` (>= 1) failures.
  absl::Duration Ceiling(int failed_attempts) const;
  // A random wait in [0, Ceiling(failed_attempts)]. Thread-safe.
  absl::Duration Next(int failed_attempts);

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_RETRY_POLICY_H_
