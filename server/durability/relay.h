// The relay: background delivery of the durable outbox through the delivery
// engine. It walks the outbox in acceptance order, hands due items to the
// engine, and records each verdict: delivered items leave the outbox, items
// Braze rejects (or that outlive the retry horizon) become dead letters with
// their reason, and retryable failures are rescheduled with exponential
// backoff. After a crash or restart it resumes from the outbox.
//
// Before a Braze request carrying outbox items leaves, the relay (as the
// engine's SendGate) marks them in doubt in the outbox. A process killed
// mid-request leaves them so; at the next start they are dead-lettered with
// the reason (default: no item can reach Braze twice) or sent again
// (`dead_letter_in_doubt = false`: at least once, a duplicate possible).
#ifndef BRAZESYNC_SERVER_DURABILITY_RELAY_H_
#define BRAZESYNC_SERVER_DURABILITY_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/delivery/retry_policy.h"
#include "server/durability/outbox_store.h"

namespace brazesync {

struct RelayOptions {
  // Items failing retryably for longer than this become dead letters.
  absl::Duration retry_horizon = absl::Hours(24);
  absl::Duration initial_retry_delay = absl::Seconds(1);
  absl::Duration max_retry_delay = absl::Minutes(5);
  // Items handed to the engine and not yet reported back.
  size_t max_in_flight_items = 20'000;
  size_t fetch_batch = 2'000;
  // Deadline of one hand-over to the engine (its own retries included).
  absl::Duration attempt_deadline = absl::Seconds(60);
  // How often the outbox is polled for items whose retry time has come.
  absl::Duration poll_interval = absl::Seconds(1);
  // Items a killed process left in doubt: dead letters (true) or resent.
  bool dead_letter_in_doubt = true;
  // Told when the outbox could not store `reports` verdicts (`error`). Those
  // items keep their previous state and are fetched and sent again, so a
  // delivered one may reach Braze twice: worth a log line. Runs on the
  // outbox's thread, without the relay's lock; must be quick. May be empty.
  std::function<void(const absl::Status& error, size_t reports)> on_report_error;
};

class Relay final : public SendGate {
 public:
  // All must outlive the relay. Starts delivering at once.
  Relay(OutboxStore* outbox, DeliveryEngine* engine, const WorkspaceRegistry* workspaces,
        const RelayOptions& options);
  // Stop(), then waits until every hand-over to the engine has its verdicts
  // stored (shut the engine down first so none is left waiting for Braze).
  ~Relay() override;
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // New items were accepted: look now rather than at the next poll.
  void Notify();
  // Stops fetching. Items already with the engine still get their verdicts
  // recorded; anything else stays queued for the next start.
  void Stop();

  // SendGate: marks the items in doubt before their request leaves.
  void BeforeSend(std::vector<int64_t> durable_ids,
                  absl::AnyInvocable<void(absl::Status) &&> proceed) override;

 private:
  void Loop();
  // Hands `items` to the engine, or reports them dead when they cannot be
  // delivered at all (unknown workspace, unreadable payload).
  void Dispatch(std::vector<OutboxItem> items);
  void Record(std::vector<DeliveryReport> reports, std::vector<int64_t> ids);

  OutboxStore* const outbox_;
  DeliveryEngine* const engine_;
  const WorkspaceRegistry* const workspaces_;
  const RelayOptions options_;
  Backoff backoff_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  // Engine submissions without a verdict yet, and reports not yet stored.
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<int64_t> in_flight_ ABSL_GUARDED_BY(mu_);
  // Ids whose report was stored since the current fetch began.
  absl::flat_hash_set<int64_t> settled_ ABSL_GUARDED_BY(mu_);
  std::thread loop_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_RELAY_H_
