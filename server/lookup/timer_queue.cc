// One thread running callbacks at their time (see timer_queue.h).
#include "server/lookup/timer_queue.h"

#include <vector>

namespace brazesync {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void TimerQueue::RunAt(absl::Time when, Callback callback) {
  absl::MutexLock lock(&mu_);
  pending_.emplace(std::make_pair(when, next_sequence_++), std::move(callback));
}

void TimerQueue::Loop() {
  while (true) {
    std::vector<Callback> due;
    {
      absl::MutexLock lock(&mu_);
      // Wakes at the earliest timer, or when an earlier one is added, or on
      // stop. The condition is re-evaluated whenever pending_ changes.
      const absl::Time earliest =
          pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first.first;
      auto ready = [this, earliest]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (!pending_.empty() && pending_.begin()->first.first < earliest) ||
               (!pending_.empty() && pending_.begin()->first.first <= absl::Now());
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), earliest);
      const absl::Time now = absl::Now();
      while (!pending_.empty() && (stopping_ || pending_.begin()->first.first <= now)) {
        due.push_back(std::move(pending_.begin()->second));
        pending_.erase(pending_.begin());
      }
      if (stopping_ && due.empty()) return;
    }
    for (Callback& callback : due) std::move(callback)();
  }
}

}  // namespace brazesync
