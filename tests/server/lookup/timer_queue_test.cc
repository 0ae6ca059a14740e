// Tests of the timer queue: time order, a timer added ahead of a later one,
// and destruction running what is still pending.
#include "server/lookup/timer_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;

TEST(TimerQueueTest, RunsCallbacksInTimeOrderNotInsertionOrder) {
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification last;
  TimerQueue timers;
  const absl::Time now = absl::Now();
  timers.RunAt(now + absl::Milliseconds(60), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(3);
    last.Notify();
  });
  timers.RunAt(now + absl::Milliseconds(30), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
  });
  timers.RunAt(now - absl::Seconds(1), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(testing_support::kWait));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
}

TEST(TimerQueueTest, ACallbackRunsNoEarlierThanItsTime) {
  TimerQueue timers;
  const absl::Time due = absl::Now() + absl::Milliseconds(50);
  absl::Notification ran;
  absl::Time ran_at;
  timers.RunAt(due, [&] {
    ran_at = absl::Now();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(testing_support::kWait));
  EXPECT_GE(ran_at, due);
}

TEST(TimerQueueTest, DestructionRunsPendingCallbacks) {
  int ran = 0;
  {
    TimerQueue timers;
    timers.RunAt(absl::Now() + absl::Hours(1), [&] { ++ran; });
  }
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace brazesync
