// The durable outbox: an embedded SQLite database (WAL mode) in the server's
// data directory holding accepted-but-undelivered items, the idempotency
// record of event/purchase ids, and the dead-letter store. This file owns the
// schema (and its migration) and the delivery side: acceptance, the relay's
// FetchDue cursor, delivery reports, items in doubt and id pruning. Operator
// queries over the same tables are in dead_letter_store.h.
//
// All database work runs on one thread that groups whatever is waiting into a
// single transaction (group commit, sqlite_db.h): many concurrent Track calls
// cost one commit, so acceptance stays fast while every acknowledged item is
// on disk. With synchronous=NORMAL (the default) a committed item survives a
// killed process; synchronous=FULL also survives power loss.
//
// Payloads are opaque here: each is stored with the format version its
// encoder gave it (stored_payload.h), so items queued or dead-lettered by one
// release are delivered by the next. The outbox knows no Braze JSON and no
// admin wire types.
#ifndef BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_
#define BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/durability/sqlite_db.h"

namespace brazesync {

struct OutboxOptions {
  // Repeats of an item id within this window are dropped as duplicates.
  absl::Duration idempotency_window = absl::Hours(24);
  // true: fsync every commit (survives power loss); false: survives a
  // killed process (WAL with synchronous=NORMAL).
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
// numbers are stored in the database, so they are never renumbered.
enum class ItemIdState : int {
  kQueued = 1,        // in the outbox
  kDelivered = 2,     // Braze accepted it
  kDeadLettered = 3,  // in the dead-letter store
};

// One delivery attempt of an item (its history keeps the last 20).
struct AttemptRecord {
  absl::Time at;
  std::string outcome;
};

// Reads an item's stored attempt history as Report writes it; a history that
// does not parse reads as empty (it is informational, never a reason to fail
// a query).
std::vector<AttemptRecord> ParseAttemptHistory(const std::string& history);

class Outbox final {
 public:
  // Opens (creating or upgrading if needed) `directory`/outbox.sqlite3. Fails
  // FAILED_PRECONDITION naming data_dir when it cannot.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& directory,
                                                      const OutboxOptions& options);
  // Runs pending group commits first (their callbacks run), then closes.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `items` in one group-committed transaction. `done` receives, per
  // item, true when stored or false when its id is a duplicate within the
  // window (then it is not stored); or an error when nothing was stored.
  using AcceptDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<bool>>) &&>;
  void Accept(std::vector<NewOutboxItem> items, AcceptDone done);

  // Up to `limit` items with id > `after_id` that are due at `now`, in id
  // (acceptance) order. The relay walks the outbox with this cursor. Reads
  // committed state on its own connection, beside the commit thread.
  absl::StatusOr<std::vector<OutboxItem>> FetchDue(absl::Time now, int64_t after_id, size_t limit);
  // Applies delivery outcomes (deletes delivered, reschedules, dead-letters)
  // in the next group commit; `done` runs after it. A rescheduled item is no
  // longer in doubt.
  void Report(std::vector<DeliveryReport> reports, absl::AnyInvocable<void(absl::Status) &&> done);
  // Records durably that the items `ids` are about to be sent to Braze: if
  // the process dies before their verdict is reported, they are in doubt
  // (Braze may or may not have them). `done` runs after the commit.
  void MarkInDoubt(std::vector<int64_t> ids, absl::AnyInvocable<void(absl::Status) &&> done);
  // At start-up, before delivery: settles the items left in doubt by the
  // previous process. `dead_letter` moves them to the dead-letter store with
  // the reason (no duplicate can reach Braze); otherwise they are sent again
  // (at least once). Returns how many there were.
  absl::StatusOr<int> SettleInDoubt(bool dead_letter);
  // Forgets item ids whose last change is older than the idempotency window
  // at `now`. Ids of queued items are kept: they guard their live item.
  absl::Status PruneIds(absl::Time now);

  // The database under the outbox, for the stores that query the same tables
  // on the same commit thread (DeadLetterStore). Lives as long as the outbox.
  Database& database() { return *db_; }

 private:
  Outbox(std::unique_ptr<Database> db, const OutboxOptions& options);

  const OutboxOptions options_;
  std::unique_ptr<Database> db_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_
