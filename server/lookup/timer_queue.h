// Callbacks at a time, on one background thread: the latency budget of each
// lookup (LookupUsersRequest.max_wait) ends with a timer, whether or not
// Braze has answered. Callbacks run one at a time, in time order; they must
// be quick. Destruction runs the callbacks still pending at once (so every
// lookup is answered) and joins the thread.
#ifndef BRAZESYNC_SERVER_LOOKUP_TIMER_QUEUE_H_
#define BRAZESYNC_SERVER_LOOKUP_TIMER_QUEUE_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace brazesync {

class TimerQueue final {
 public:
  using Callback = absl::AnyInvocable<void() &&>;

  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `callback` at `when` (at once, on the timer thread, when `when` has
  // passed).
  void RunAt(absl::Time when, Callback callback);

 private:
  void Loop();

  absl::Mutex mu_;
  // Keyed by time, then by arrival so equal times keep their order.
  std::map<std::pair<absl::Time, uint64_t>, Callback> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_LOOKUP_TIMER_QUEUE_H_
