// The durable stores a server runs on, opened together: the outbox, its
// operator queries and the partition ownership, plus the rate budgets the
// delivery engine spends. Embedded (SQLite in --data_dir, one replica; here)
// or shared (PostgreSQL, --store; server/postgres/postgres_stores.h).
#ifndef BRAZESYNC_SERVER_DURABILITY_DURABLE_STORES_H_
#define BRAZESYNC_SERVER_DURABILITY_DURABLE_STORES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/delivery/rate_budget.h"
#include "server/durability/dead_letter_store.h"
#include "server/durability/outbox_store.h"
#include "server/durability/partition_ownership.h"
#include "server/durability/recent_writes.h"

namespace brazesync {

// A shared store's state as health and metrics report it.
struct StoreHealth {
  // The store's sessions are connected (async acceptance and delivery work).
  bool reachable = true;
  // The shared rate budget is unreachable and its fallback is in use.
  bool rate_budget_degraded = false;
  // Replicas whose owner session PostgreSQL saw alive at the last heartbeat.
  int live_replicas = 0;
  // Partitions this replica delivers now.
  int owned_partitions = 0;
};

struct DurableStores {
  // Declared so that they are destroyed in the right order: the queries and
  // the outbox before the ownership whose session the outbox's gate uses.
  std::unique_ptr<PartitionOwnership> ownership;
  std::unique_ptr<OutboxStore> outbox;
  std::unique_ptr<DeadLetterStore> dead_letters;
  // Empty: each workspace gets a LocalRateBudget.
  RateBudgetFactory rate_budgets;
  // Lookups' read-your-writes shared by the replicas (PostgreSQL); null: the
  // server keeps its own in memory.
  std::unique_ptr<RecentWrites> recent_writes;
  // Shared (PostgreSQL) stores only: what health and metrics report.
  std::function<StoreHealth()> health;
};

// SQLite in `data_dir` (outbox.sqlite3): one partition, always owned, local
// budgets.
absl::StatusOr<DurableStores> OpenEmbeddedStores(const std::string& data_dir,
                                                 const OutboxOptions& options);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_DURABLE_STORES_H_
