// The embedded store's operator queries (dead_letter_store.h) over the SQLite
// outbox's item ids and dead letters. Queries run as tasks on the outbox's
// commit thread (sqlite_db.h), so each sees and changes a consistent state.
#ifndef BRAZESYNC_SERVER_DURABILITY_SQLITE_DEAD_LETTER_STORE_H_
#define BRAZESYNC_SERVER_DURABILITY_SQLITE_DEAD_LETTER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "server/durability/dead_letter_store.h"
#include "server/durability/sqlite_db.h"
#include "server/durability/sqlite_outbox.h"

namespace brazesync {

class SqliteDeadLetterStore final : public DeadLetterStore {
 public:
  // `outbox` must outlive the store.
  explicit SqliteDeadLetterStore(SqliteOutbox* outbox,
                                 size_t max_page_bytes = kDefaultMaxPageBytes);
  SqliteDeadLetterStore(const SqliteDeadLetterStore&) = delete;
  SqliteDeadLetterStore& operator=(const SqliteDeadLetterStore&) = delete;

  absl::StatusOr<ItemStatus> GetItemStatus(const std::string& workspace,
                                           const std::string& item_id) override;
  absl::StatusOr<DeadLetterPage> ListDeadLetters(const std::string& workspace, int page_size,
                                                 int64_t after_id) override;
  absl::StatusOr<DeadLetter> GetDeadLetter(int64_t id) override;
  absl::StatusOr<ReplayResult> ReplayDeadLetters(const DeadLetterSelection& selection) override;
  absl::StatusOr<int> PurgeDeadLetters(const DeadLetterSelection& selection) override;

 private:
  Database& db_;
  const size_t max_page_bytes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_SQLITE_DEAD_LETTER_STORE_H_
