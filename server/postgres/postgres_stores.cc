// Opening cluster mode's stores.
#include "server/postgres/postgres_stores.h"

#include <libpq-fe.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/postgres/pg_connection.h"
#include "server/postgres/pg_worker.h"
#include "server/postgres/postgres_dead_letter_store.h"
#include "server/postgres/postgres_outbox.h"
#include "server/postgres/postgres_ownership.h"
#include "server/postgres/postgres_recent_writes.h"
#include "server/postgres/schema.h"

namespace brazesync {
namespace {

std::unique_ptr<PgWorker> Worker(const std::string& uri, const std::string& label) {
  PgWorkerOptions options;
  options.uri = uri;
  options.label = label;
  return std::make_unique<PgWorker>(std::move(options));
}

// Synchronous replication is what keeps an acknowledged item (and an
// in-doubt mark) through a failover: without it, a promoted standby may
// lack both, so items are lost or sent twice.
absl::Status CheckReplication(PgConnection& connection, std::vector<std::string>* warnings) {
  absl::StatusOr<PgResult> settings = connection.Exec(
      "read the replication settings",
      "SELECT current_setting('synchronous_standby_names'), current_setting('synchronous_commit')");
  if (!settings.ok()) return settings.status();
  const std::string standbys = settings->Text(0, 0);
  const std::string commit = settings->Text(0, 1);
  if (standbys.empty()) {
    warnings->push_back(
        "store: PostgreSQL has no synchronous standby (synchronous_standby_names is empty): a "
        "failover to an asynchronous standby can lose acknowledged items or send one twice; "
        "zero loss needs synchronous replication (docs/cluster.md)");
  } else if (commit != "on" && commit != "remote_apply") {
    warnings->push_back(
        absl::StrCat("store: synchronous_commit is ", commit,
                     ", so commits do not wait for the synchronous standby: a failover can lose "
                     "acknowledged items or send one twice (docs/cluster.md)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckStoreUri(const std::string& uri) {
  if (uri.empty()) return absl::InvalidArgumentError("store: empty connection URI");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(uri.c_str(), &error);
  if (parsed == nullptr) {
    std::string reason = error == nullptr ? "out of memory" : error;
    if (error != nullptr) PQfreemem(error);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    return absl::InvalidArgumentError(
        absl::StrCat("store: not a libpq connection URI or conninfo: ", reason));
  }
  bool has_password = false;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (std::string(option->keyword) == "password" && option->val != nullptr &&
        option->val[0] != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(parsed);
  if (has_password) {
    return absl::InvalidArgumentError(
        "store: the connection URI must not contain a password (flags and configs are not "
        "secret); give it in PGPASSWORD or a PGPASSFILE");
  }
  return absl::OkStatus();
}

absl::StatusOr<DurableStores> OpenPostgresStores(const PostgresStoresOptions& options,
                                                 std::vector<std::string>* warnings) {
  if (absl::Status uri = CheckStoreUri(options.uri); !uri.ok()) return uri;
  {
    absl::StatusOr<std::unique_ptr<PgConnection>> setup =
        PgConnection::Connect(options.uri, "store");
    if (!setup.ok()) return setup.status();
    if (absl::Status schema = CreateOrUpgradeSchema(**setup, options.partitions); !schema.ok()) {
      return schema;
    }
    if (absl::Status replication = CheckReplication(**setup, warnings); !replication.ok()) {
      return replication;
    }
  }
  PostgresOwnershipOptions ownership_options;
  ownership_options.uri = options.uri;
  ownership_options.replica = options.replica_name;
  ownership_options.partitions = options.partitions;
  ownership_options.owner_idle_timeout = options.owner_idle_timeout;
  ownership_options.heartbeat_interval = std::min(absl::Seconds(1), options.owner_idle_timeout / 4);
  absl::StatusOr<std::unique_ptr<PostgresOwnership>> ownership =
      PostgresOwnership::Create(std::move(ownership_options));
  if (!ownership.ok()) return ownership.status();
  PostgresOwnership* const owner = ownership->get();
  // Connected (and registered as a member) before the server reports health,
  // so a start never reads as an outage.
  if (absl::Status connected = owner->session().Connect(); !connected.ok()) return connected;

  auto outbox =
      std::make_unique<PostgresOutbox>(Worker(options.uri, "store"), Worker(options.uri, "store"),
                                       &owner->session(), options.outbox, options.partitions);
  DurableStores stores;
  stores.dead_letters = std::make_unique<PostgresDeadLetterStore>(&outbox->writer());
  stores.outbox = std::move(outbox);
  std::shared_ptr<SharedRateBudgets> budgets;
  if (options.shared_rate_budget) {
    SharedRateBudgetOptions budget_options;
    budget_options.uri = options.uri;
    budget_options.fallback = options.fallback;
    budgets = std::make_shared<SharedRateBudgets>(std::move(budget_options));
    stores.rate_budgets = [budgets](const WorkspaceSettings& workspace,
                                    const RateGovernorOptions& governor) {
      return budgets->factory()(workspace, governor);
    };
  }
  stores.health = [owner, budgets] {
    StoreHealth health;
    health.reachable = owner->session().backend_pid() != 0;
    health.rate_budget_degraded = budgets != nullptr && budgets->degraded();
    health.live_replicas = owner->live_members();
    health.owned_partitions = static_cast<int>(owner->Owned().size());
    return health;
  };
  PostgresRecentWritesOptions recent_writes;
  recent_writes.uri = options.uri;
  recent_writes.replica =
      options.replica_name.empty() ? DefaultReplicaName() : options.replica_name;
  recent_writes.retention = options.recent_writes_retention;
  recent_writes.on_status = options.on_recent_writes_status;
  stores.recent_writes = std::make_unique<PostgresRecentWrites>(std::move(recent_writes));
  stores.ownership = *std::move(ownership);
  return stores;
}

}  // namespace brazesync
