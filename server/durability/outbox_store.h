// The durable outbox's contract, shared by both stores: what acceptance
// (Tracker), background delivery (Relay) and the send gate need. Two
// implementations:
//   - SqliteOutbox (server/durability/sqlite_outbox.h): the embedded default,
//     one file in --data_dir, one replica;
//   - PostgresOutbox (server/postgres/postgres_outbox.h): cluster mode, one
//     PostgreSQL database shared by every replica (--store).
//
// Partitions. Every stored item belongs to one partition, a fixed hash of its
// workspace and user (PartitionOf, partition_ownership.h), and every
// partition is delivered by one replica at a time, its owner
// (PartitionOwnership). The embedded store has one partition, always owned.
// Because a user maps to one partition, one replica at a time delivers each
// user's items: the basis of per-user order across replicas.
//
// Per-user order across retries: FetchDue never returns an item of a user
// who has an earlier item in the outbox that is not yet due (rescheduled) or
// that lies behind the cursor (in flight; due again after the walk passed
// it; or committed only after the walk passed its id, since ids are drawn at
// insert and replicas commit concurrently), so a user's later items cannot
// overtake an earlier one; they come out after it, at the next wrap-around
// of the walk.
//
// Payloads are opaque here: each is stored with the format version its
// encoder gave it (stored_payload.h). Stores know no Braze JSON and no wire
// types.
#ifndef BRAZESYNC_SERVER_DURABILITY_OUTBOX_STORE_H_
#define BRAZESYNC_SERVER_DURABILITY_OUTBOX_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"

namespace brazesync {

struct OutboxOptions {
  // Repeats of an item id within this window are dropped as duplicates.
  absl::Duration idempotency_window = absl::Hours(24);
  // SQLite only. true: fsync every commit (survives power loss); false:
  // survives a killed process (WAL with synchronous=NORMAL). PostgreSQL
  // follows the server's synchronous_commit.
  bool fsync_every_commit = false;
};

// An item to store.
struct NewOutboxItem {
  std::string workspace;
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  std::string item_id;  // event_id / purchase_id; empty = no idempotency
  std::string user_key;
  std::string payload;      // opaque, in the format `payload_version` names
  int payload_version = 0;  // set by the encoder (stored_payload.h)
};

// A stored item due for delivery.
struct OutboxItem {
  int64_t id = 0;
  int partition = 0;
  std::string workspace;
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  std::string item_id;
  std::string user_key;
  std::string payload;
  int payload_version = 0;
  absl::Time accepted;
  int attempts = 0;
};

// What the relay learned about one item from one delivery attempt.
struct DeliveryReport {
  int64_t id = 0;
  enum class Result { kDelivered, kRetry, kDead } result = Result::kDelivered;
  std::string outcome;         // for the attempt history, e.g. "HTTP 503"
  std::string reason;          // kDead: why
  std::string braze_response;  // kDead: Braze's text, if any
  absl::Time retry_at;         // kRetry: not before
};

// Where an accepted item with an id is: the idempotency record's state. The
// numbers are stored in both databases, so they are never renumbered.
enum class ItemIdState : int {
  kQueued = 1,        // in the outbox
  kDelivered = 2,     // Braze accepted it
  kDeadLettered = 3,  // in the dead-letter store
};

// What SettleInDoubt records for items a stopped (or displaced) deliverer
// left in doubt: the attempt's outcome, and the dead letter's reason.
inline constexpr char kInDoubtOutcome[] =
    "in doubt: BrazeSync stopped while the item was being sent";
inline constexpr char kInDoubtReason[] =
    "in doubt: BrazeSync stopped while the item was being sent, so Braze may or may not have "
    "it; check Braze before replaying (a replay of an item Braze has counts twice)";

class OutboxStore {
 public:
  using AcceptDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<bool>>) &&>;
  using Completion = absl::AnyInvocable<void(absl::Status) &&>;

  virtual ~OutboxStore() = default;

  // Stores `items` durably (group-committed with other callers). `done`
  // receives, per item, true when stored or false when its id is a duplicate
  // within the window (then it is not stored), on any replica; or an error
  // when nothing was stored (UNAVAILABLE when the store cannot be reached).
  virtual void Accept(std::vector<NewOutboxItem> items, AcceptDone done) = 0;

  // Up to `limit` items of `partition` with id > `after_id` that are due at
  // `now` (a store with its own clock may use that instead), in id
  // (acceptance) order, leaving out every item whose user has an earlier
  // item in the outbox that is not yet due or has id <= `after_id`. The
  // relay walks each owned partition with this cursor. At absl::InfiniteFuture() every item after
  // the cursor is due and none is left out (counting, tests).
  virtual absl::StatusOr<std::vector<OutboxItem>> FetchDue(int partition, absl::Time now,
                                                           int64_t after_id, size_t limit) = 0;

  // Applies delivery outcomes (deletes delivered, reschedules, dead-letters)
  // durably; `done` runs after the commit. A rescheduled item is no longer in
  // doubt. Reports for items already gone are ignored.
  virtual void Report(std::vector<DeliveryReport> reports, Completion done) = 0;

  // The send gate: records durably that the items `ids` are about to be sent
  // to Braze; `done` runs after the commit, and only an OK lets the request
  // leave. Fails (and marks nothing) unless this replica owns the items'
  // partitions at the time of the commit, so a displaced owner cannot send.
  virtual void MarkInDoubt(std::vector<int64_t> ids, Completion done) = 0;

  // Before delivering `partition` (at start-up, or on taking it over):
  // settles the items a previous deliverer left in doubt. `dead_letter`
  // moves them to the dead-letter store with the reason kInDoubtOutcome
  // explains (no duplicate can reach Braze); otherwise they are sent again
  // (at least once). Returns how many there were.
  virtual absl::StatusOr<int> SettleInDoubt(int partition, bool dead_letter) = 0;

  // Forgets item ids whose last change is older than the idempotency window
  // at `now`. Ids of queued items are kept: they guard their live item.
  virtual absl::Status PruneIds(absl::Time now) = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_OUTBOX_STORE_H_
