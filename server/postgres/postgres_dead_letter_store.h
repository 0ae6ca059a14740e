// The cluster store's operator queries (dead_letter_store.h) over the shared
// PostgreSQL database: where an accepted item is, and the dead letters of
// every replica (list, inspect, replay, purge). Same answers as
// SqliteDeadLetterStore; rendering and paging are the shared helpers. Each
// call is one transaction on a session (PgWorker) of its own or shared with
// the outbox's writer.
#ifndef BRAZESYNC_SERVER_POSTGRES_POSTGRES_DEAD_LETTER_STORE_H_
#define BRAZESYNC_SERVER_POSTGRES_POSTGRES_DEAD_LETTER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/durability/dead_letter_store.h"
#include "server/postgres/pg_worker.h"

namespace brazesync {

class PostgresDeadLetterStore final : public DeadLetterStore {
 public:
  // Over a session of its own.
  explicit PostgresDeadLetterStore(std::unique_ptr<PgWorker> worker,
                                   size_t max_page_bytes = kDefaultMaxPageBytes);
  // Over a shared session (e.g. PostgresOutbox::writer()), which must
  // outlive the store.
  explicit PostgresDeadLetterStore(PgWorker* worker, size_t max_page_bytes = kDefaultMaxPageBytes);
  PostgresDeadLetterStore(const PostgresDeadLetterStore&) = delete;
  PostgresDeadLetterStore& operator=(const PostgresDeadLetterStore&) = delete;

  absl::StatusOr<ItemStatus> GetItemStatus(const std::string& workspace,
                                           const std::string& item_id) override;
  absl::StatusOr<DeadLetterPage> ListDeadLetters(const std::string& workspace, int page_size,
                                                 int64_t after_id) override;
  absl::StatusOr<DeadLetter> GetDeadLetter(int64_t id) override;
  // Replayed items go back to the partition they were dead-lettered from
  // (the partition of a user never changes: the hash and count are fixed).
  absl::StatusOr<ReplayResult> ReplayDeadLetters(const DeadLetterSelection& selection) override;
  absl::StatusOr<int> PurgeDeadLetters(const DeadLetterSelection& selection) override;

 private:
  std::unique_ptr<PgWorker> owned_;
  PgWorker* const worker_;
  const size_t max_page_bytes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_POSTGRES_DEAD_LETTER_STORE_H_
