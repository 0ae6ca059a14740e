// Exponential backoff with full jitter.
#include "server/delivery/retry_policy.h"

#include <algorithm>

namespace brazesync {

absl::Duration Backoff::Ceiling(int failed_attempts) const {
  absl::Duration ceiling = initial_;
  for (int i = 1; i < failed_attempts && ceiling < max_; ++i) ceiling *= 2;
  return std::min(ceiling, max_);
}

absl::Duration Backoff::Next(int failed_attempts) {
  const absl::Duration ceiling = Ceiling(failed_attempts);
  absl::MutexLock lock(&mu_);
  return absl::Uniform(random_, 0.0, 1.0) * ceiling;
}

}  // namespace brazesync
