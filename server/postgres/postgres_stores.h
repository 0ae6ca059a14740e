// Cluster mode's stores opened together (durable_stores.h): the schema
// checked or created, partition ownership (its owner session), the shared
// outbox and its operator queries, and the shared Braze rate budgets, all on
// one PostgreSQL database given by a libpq URI. Also the start-up checks an
// operator needs: no password in the URI (it comes from PGPASSWORD or
// PGPASSFILE), and a warning when replication is not synchronous (a failover
// could then lose acknowledged items or send one twice; docs/cluster.md).
#ifndef BRAZESYNC_SERVER_POSTGRES_POSTGRES_STORES_H_
#define BRAZESYNC_SERVER_POSTGRES_POSTGRES_STORES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/durability/durable_stores.h"
#include "server/durability/outbox_store.h"
#include "server/postgres/shared_rate_budget.h"

namespace brazesync {

struct PostgresStoresOptions {
  std::string uri;  // libpq URI; no password in it
  int partitions = 64;
  absl::Duration owner_idle_timeout = absl::Seconds(15);
  std::string replica_name;  // empty: host name and process id
  // false: each replica spends the whole limit (local budgets).
  bool shared_rate_budget = true;
  RateBudgetFallback fallback = RateBudgetFallback::kStaticShare;
  OutboxOptions outbox;
  // Lookups' read-your-writes shared by the replicas (bs_recent_writes):
  // how long writes are kept, and who hears when sharing them fails or
  // works again (the server logs it; the status never holds personal data).
  absl::Duration recent_writes_retention = absl::Minutes(2);
  std::function<void(const absl::Status&)> on_recent_writes_status;
};

// INVALID_ARGUMENT (naming store) when `uri` does not parse or carries a
// password; the message never repeats the URI.
absl::Status CheckStoreUri(const std::string& uri);

// Opens the stores: fails (naming store) when PostgreSQL cannot be reached
// at start-up or the schema does not fit (e.g. another partition count).
// Appends to `warnings` what an operator should know (asynchronous
// replication).
absl::StatusOr<DurableStores> OpenPostgresStores(const PostgresStoresOptions& options,
                                                 std::vector<std::string>* warnings);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_POSTGRES_STORES_H_
