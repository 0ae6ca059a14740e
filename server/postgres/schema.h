// The cluster store's schema in PostgreSQL, created or upgraded at start-up
// by whichever replica comes first (the others wait on a transaction-level
// advisory lock), and checked against this replica's partition settings.
//
// Tables (every one prefixed bs_):
//   bs_meta          schema_version, partitions, partition_hash
//   bs_members       one row per running replica: its owner session's pid
//                    and start, for rendezvous assignment and operators
//   bs_partitions    per partition: owner replica, its owner session's pid,
//                    epoch (bumped on every acquisition): the gate's fence
//   bs_outbox        queued items, by partition, with the idempotency id
//   bs_in_doubt      the send gate's narrow record: outbox ids marked before
//                    their Braze request leaves
//   bs_item_ids      the idempotency record (as SQLite's item_ids)
//   bs_dead_letters  dead letters (as SQLite's dead_letters, plus partition)
//   bs_rate_budget   one GCRA row per budget key; bs_lease() leases tokens
//   bs_recent_writes every replica's recent Track writes, for lookups'
//                    read-your-writes (soft state; added without a version
//                    bump: CREATE ... IF NOT EXISTS upgrades, and an older
//                    release ignores the table)
// Times are timestamptz from the database's clock (but bs_recent_writes'
// written_at: the writing replica's); ids are bigint identity (bigserial).
#ifndef BRAZESYNC_SERVER_POSTGRES_SCHEMA_H_
#define BRAZESYNC_SERVER_POSTGRES_SCHEMA_H_

#include "absl/status/status.h"
#include "server/postgres/pg_connection.h"

namespace brazesync {

inline constexpr int kPostgresSchemaVersion = 1;

// Creates the tables (or upgrades an older schema) and records, on first
// use, `partitions` and the partition hash; a database created with other
// values is refused (FAILED_PRECONDITION naming cluster_partitions), since
// items would map to other partitions. Runs in its own transaction.
absl::Status CreateOrUpgradeSchema(PgConnection& connection, int partitions);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_SCHEMA_H_
