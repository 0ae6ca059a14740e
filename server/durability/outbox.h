// The durable outbox: an embedded SQLite database (WAL mode) in the server's
// data directory holding accepted-but-undelivered items, the idempotency
// record of event/purchase ids, and the dead-letter store.
//
// All database work runs on one thread that groups whatever is waiting into a
// single transaction (group commit): many concurrent Track calls cost one
// commit, so acceptance stays fast while every acknowledged item is on disk.
// With synchronous=NORMAL (the default) a committed item survives a killed
// process; synchronous=FULL also survives power loss.
//
// Payloads are stored with a format version (kPayloadVersion: a serialized
// brazesync.v1 UserProfile/Event/Purchase with receipt time stamped), so
// items queued or dead-lettered by one release are delivered by the next.
#ifndef BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_
#define BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/admin.pb.h"
#include "brazesync/v1/brazesync.pb.h"

namespace brazesync {

inline constexpr int kPayloadVersion = 1;

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
  std::string payload;  // kPayloadVersion format
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

// The Braze JSON object a stored payload converts to at `now` (event and
// purchase times clamp to it). Fails for an unknown version or a payload
// that does not parse.
absl::StatusOr<std::string> PayloadToBrazeJson(int payload_version, v1::ItemKind kind,
                                               const std::string& payload, absl::Time accepted,
                                               absl::Time now);

class Outbox final {
 public:
  // Opens (creating if needed) `directory`/outbox.sqlite3.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& directory,
                                                      const OutboxOptions& options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `items` in one group-committed transaction. `done` receives, per
  // item, true when stored or false when its id is a duplicate within the
  // window (then it is not stored); or an error when nothing was stored.
  using AcceptDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<bool>>) &&>;
  void Accept(std::vector<NewOutboxItem> items, AcceptDone done);

  // Up to `limit` items with id > `after_id` that are due at `now`, in id
  // (acceptance) order. The relay walks the outbox with this cursor.
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
  // Items waiting in the outbox.
  absl::StatusOr<int64_t> QueuedCount();
  // Forgets item ids whose last change is older than the idempotency window.
  absl::Status PruneIds(absl::Time now);

  // Admin queries (see protos/brazesync/v1/admin.proto).
  absl::StatusOr<v1::ItemState> GetItemStatus(const std::string& workspace,
                                              const std::string& item_id);
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(const std::string& workspace,
                                                              int page_size, int64_t after_id);
  absl::StatusOr<v1::DeadLetter> GetDeadLetter(int64_t id);
  absl::StatusOr<v1::ReplayDeadLettersResponse> ReplayDeadLetters(const std::vector<int64_t>& ids,
                                                                  bool all,
                                                                  const std::string& workspace);
  absl::StatusOr<v1::PurgeDeadLettersResponse> PurgeDeadLetters(const std::vector<int64_t>& ids,
                                                                bool all,
                                                                const std::string& workspace);

  // The database thread and connection; defined in outbox.cc only.
  class Impl;

 private:
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_OUTBOX_H_
