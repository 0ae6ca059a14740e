// Opening the embedded stores.
#include "server/durability/durable_stores.h"

#include <utility>

#include "server/durability/sqlite_dead_letter_store.h"
#include "server/durability/sqlite_outbox.h"

namespace brazesync {

absl::StatusOr<DurableStores> OpenEmbeddedStores(const std::string& data_dir,
                                                 const OutboxOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox = SqliteOutbox::Open(data_dir, options);
  if (!outbox.ok()) return outbox.status();
  DurableStores stores;
  stores.ownership = std::make_unique<LocalOwnership>();
  stores.dead_letters = std::make_unique<SqliteDeadLetterStore>(outbox->get());
  stores.outbox = *std::move(outbox);
  return stores;
}

}  // namespace brazesync
