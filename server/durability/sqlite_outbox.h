// The embedded outbox store (outbox_store.h): an SQLite database (WAL mode) in the server's
// data directory holding accepted-but-undelivered items, the idempotency
// record of event/purchase ids, and the dead-letter store. This file owns the
// schema (and its migration) and the delivery side: acceptance, the relay's
// FetchDue cursor, delivery reports, items in doubt and id pruning. Operator
// queries over the same tables are in sqlite_dead_letter_store.h.
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
#ifndef BRAZESYNC_SERVER_DURABILITY_SQLITE_OUTBOX_H_
#define BRAZESYNC_SERVER_DURABILITY_SQLITE_OUTBOX_H_

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
#include "server/durability/outbox_store.h"
#include "server/durability/sqlite_db.h"

namespace brazesync {

class SqliteOutbox final : public OutboxStore {
 public:
  // Opens (creating or upgrading if needed) `directory`/outbox.sqlite3. Fails
  // FAILED_PRECONDITION naming data_dir when it cannot.
  static absl::StatusOr<std::unique_ptr<SqliteOutbox>> Open(const std::string& directory,
                                                            const OutboxOptions& options);
  // Runs pending group commits first (their callbacks run), then closes.
  ~SqliteOutbox() override;
  SqliteOutbox(const SqliteOutbox&) = delete;
  SqliteOutbox& operator=(const SqliteOutbox&) = delete;

  // OutboxStore. Writes run in the commit thread's group commits; FetchDue
  // reads committed state on its own connection, beside the commit thread.
  // One partition (0): `partition` must be 0.
  void Accept(std::vector<NewOutboxItem> items, AcceptDone done) override;
  absl::StatusOr<std::vector<OutboxItem>> FetchDue(int partition, absl::Time now, int64_t after_id,
                                                   size_t limit) override;
  void Report(std::vector<DeliveryReport> reports, Completion done) override;
  void MarkInDoubt(std::vector<int64_t> ids, Completion done) override;
  absl::StatusOr<int> SettleInDoubt(int partition, bool dead_letter) override;
  absl::Status PruneIds(absl::Time now) override;

  // The database under the outbox, for the stores that query the same tables
  // on the same commit thread (SqliteDeadLetterStore). Lives as long as the outbox.
  Database& database() { return *db_; }

 private:
  SqliteOutbox(std::unique_ptr<Database> db, const OutboxOptions& options);

  const OutboxOptions options_;
  std::unique_ptr<Database> db_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_SQLITE_OUTBOX_H_
