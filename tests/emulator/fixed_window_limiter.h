// A fixed-window rate limiter for the Braze emulator's endpoints
// (braze-api-round2.md §2.13): the window starts with the first request
// after the previous window ended and admits `limit` requests; each answer
// carries what Braze's X-RateLimit-Limit/-Remaining/-Reset headers say.
// One instance per budget (the identity pool, rename, remove, targeted
// triggers, broadcasts in total and per audience, subscriptions, the default
// pool). Not thread-safe: the emulator calls it under its own mutex.
#ifndef BRAZESYNC_TESTS_EMULATOR_FIXED_WINDOW_LIMITER_H_
#define BRAZESYNC_TESTS_EMULATOR_FIXED_WINDOW_LIMITER_H_

#include <cstdint>

#include "absl/time/time.h"

namespace brazesync::emulator {

// One budget as a response reports it.
struct RateWindowState {
  bool limited = false;  // this request is over the budget: answer 429
  int limit = 0;
  int remaining = 0;
  int64_t reset_epoch_seconds = 0;  // when the window ends, rounded up
};

class FixedWindowLimiter final {
 public:
  FixedWindowLimiter(int limit, absl::Duration window) : limit_(limit), window_(window) {}

  // Counts one request at `now` (consume) or only reads the window (for the
  // headers of an injected fault).
  RateWindowState Count(absl::Time now, bool consume) {
    if (now >= end_) {
      end_ = now + window_;
      count_ = 0;
    }
    if (consume) ++count_;
    RateWindowState w;
    w.limit = limit_;
    w.limited = consume && count_ > limit_;
    w.remaining = count_ >= limit_ ? 0 : limit_ - count_;
    w.reset_epoch_seconds = absl::ToUnixSeconds(end_);
    if (absl::FromUnixSeconds(w.reset_epoch_seconds) < end_) ++w.reset_epoch_seconds;
    return w;
  }

 private:
  int limit_;
  absl::Duration window_;
  absl::Time end_ = absl::InfinitePast();
  int count_ = 0;
};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_FIXED_WINDOW_LIMITER_H_
