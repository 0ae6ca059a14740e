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
//
// Partitions (outbox_store.h). The relay delivers only the partitions its
// PartitionOwnership says this replica owns. Whenever it sees a partition
// with a new epoch it first settles what a predecessor left in doubt, and
// fetches nothing from it until that succeeded: sending without settling
// could duplicate. A partition marked releasing gets no more fetches and is
// Released once none of its items is in flight here (handed to the engine or
// awaiting its report's commit). Each partition has its own cursor.
//
// Per-user order. The relay never dispatches an item of a (workspace, user)
// while an earlier fetch's item of that user is in flight here; it takes it
// at a later pass, once that item's verdict is stored (then FetchDue hides it
// while the earlier item waits for its retry). Narrower guards (say, only
// while a retry verdict awaits its commit) leave a gap: the engine fixes an
// item's verdict when its attempts run out but reports the call only when all
// of the call's items have one, and an item submitted in between would go
// first. A user's items of one fetch travel in one Submit, where the engine
// keeps them in order and fails them together (delivery_engine.h). The
// cursor never stays past an item that may go before a later one of its
// user: it goes back before items left out for their user once a verdict is
// stored, before items the engine refused, and before each item this relay
// rescheduled once it is due again (FetchDue then returns the user's later
// items too).
#ifndef BRAZESYNC_SERVER_DURABILITY_RELAY_H_
#define BRAZESYNC_SERVER_DURABILITY_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/delivery/retry_policy.h"
#include "server/durability/outbox_store.h"
#include "server/durability/partition_ownership.h"

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
  // Items a killed process (or a displaced replica) left in doubt: dead
  // letters (true) or resent.
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
  Relay(OutboxStore* outbox, PartitionOwnership* ownership, DeliveryEngine* engine,
        const WorkspaceRegistry* workspaces, const RelayOptions& options);
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
  // The loop's view of one owned partition.
  struct PartitionState {
    int64_t epoch = 0;
    bool settled = false;   // SettleInDoubt succeeded in this epoch
    bool released = false;  // Release()d since it was marked releasing
    int64_t cursor = 0;     // FetchDue's after_id
    bool dispatched_this_pass = false;
    // The lowest id left out for its user (0: none): the cursor goes back
    // before it once an item's verdict is stored.
    int64_t left_out = 0;
  };
  // Where an item handed over (and not yet settled) belongs.
  struct InFlight {
    int partition = 0;
    std::string user;  // UserKey()
  };
  // An item rescheduled by this relay: when it is due again (in the outbox's
  // milliseconds), the cursor must not be past it, or the user's later items
  // (no longer hidden by FetchDue) would be fetched first.
  struct DueAgain {
    int64_t due_ms = 0;
    int64_t id = 0;
    bool operator>(const DueAgain& other) const { return due_ms > other.due_ms; }
  };
  using DueAgainQueue =
      std::priority_queue<DueAgain, std::vector<DueAgain>, std::greater<DueAgain>>;

  void Loop();
  // Follows Owned(): settles new epochs, releases drained partitions marked
  // releasing, forgets vanished ones. Returns the partitions to fetch from.
  std::vector<int> TendOwnership();
  // One FetchDue from `partition` at its cursor, and dispatch of what may go.
  void FetchAndDispatch(int partition, absl::Time now);
  // Hands `items` to the engine, or reports them dead when they cannot be
  // delivered at all (unknown workspace, unreadable payload). Returns the
  // lowest id the engine refused (full or stopping), or 0.
  int64_t Dispatch(std::vector<OutboxItem> items);
  void Record(std::vector<DeliveryReport> reports, std::vector<int64_t> ids);
  // Items of `partition` in flight.
  int InFlightIn(int partition) ABSL_LOCKS_EXCLUDED(mu_);
  // Drops `id` from in_flight_ and its user's and partition's counts; with
  // `settled`, also notes that its user's state changed in this pass.
  void ForgetInFlight(int64_t id, bool settled) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  OutboxStore* const outbox_;
  PartitionOwnership* const ownership_;
  DeliveryEngine* const engine_;
  const WorkspaceRegistry* const workspaces_;
  const RelayOptions options_;
  Backoff backoff_;
  // The loop thread's own.
  absl::flat_hash_map<int, PartitionState> partitions_;
  bool gate_installed_ = false;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  // Engine submissions without a verdict yet, and reports not yet stored.
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  // Items handed to the engine or awaiting their report's commit, and how
  // many of them each user and each partition has.
  absl::flat_hash_map<int64_t, InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> users_in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, int> partitions_in_flight_ ABSL_GUARDED_BY(mu_);
  // Ids whose report was stored since the current pass began, and their
  // users: a fetch may have read them before the commit.
  absl::flat_hash_set<int64_t> settled_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> settled_users_ ABSL_GUARDED_BY(mu_);
  // A verdict was stored since the last pass began: items left out for
  // their user may go now.
  bool verdict_stored_ ABSL_GUARDED_BY(mu_) = false;
  // Per partition, the items this relay rescheduled, soonest due first.
  absl::flat_hash_map<int, DueAgainQueue> due_again_ ABSL_GUARDED_BY(mu_);
  std::thread loop_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_RELAY_H_
