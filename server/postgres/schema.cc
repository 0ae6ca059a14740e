// The cluster store's schema.
#include "server/postgres/schema.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/durability/partition_ownership.h"

namespace brazesync {
namespace {

// Serialises schema changes between replicas starting together.
constexpr int64_t kSchemaLockKey = 0x6273'7363'6865'6d61;  // "bsschema"

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS bs_meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS bs_members(
  replica text PRIMARY KEY,
  backend_pid int NOT NULL,
  backend_start timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  started_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS bs_partitions(
  part int PRIMARY KEY,
  owner text NOT NULL DEFAULT '',
  owner_pid int NOT NULL DEFAULT 0,
  epoch bigint NOT NULL DEFAULT 0,
  acquired_at timestamptz);
CREATE TABLE IF NOT EXISTS bs_outbox(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  part int NOT NULL,
  workspace text NOT NULL,
  kind smallint NOT NULL,
  item_id text NOT NULL,
  user_key text NOT NULL,
  payload bytea NOT NULL,
  payload_version smallint NOT NULL,
  accepted_at timestamptz NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
  last_outcome text NOT NULL DEFAULT '',
  history text NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS bs_outbox_walk ON bs_outbox(part, id);
CREATE INDEX IF NOT EXISTS bs_outbox_user ON bs_outbox(part, workspace, user_key, id);
CREATE TABLE IF NOT EXISTS bs_in_doubt(
  id bigint PRIMARY KEY,
  part int NOT NULL,
  epoch bigint NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS bs_in_doubt_part ON bs_in_doubt(part);
CREATE TABLE IF NOT EXISTS bs_item_ids(
  workspace text NOT NULL,
  item_id text NOT NULL,
  state smallint NOT NULL,
  accepted_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  reason text NOT NULL DEFAULT '',
  dead_letter_id bigint NOT NULL DEFAULT 0,
  PRIMARY KEY(workspace, item_id));
CREATE INDEX IF NOT EXISTS bs_item_ids_updated ON bs_item_ids(updated_at);
CREATE TABLE IF NOT EXISTS bs_dead_letters(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  part int NOT NULL,
  workspace text NOT NULL,
  kind smallint NOT NULL,
  item_id text NOT NULL,
  user_key text NOT NULL,
  payload bytea NOT NULL,
  payload_version smallint NOT NULL,
  accepted_at timestamptz NOT NULL,
  dead_at timestamptz NOT NULL,
  attempts int NOT NULL,
  reason text NOT NULL,
  braze_response text NOT NULL,
  history text NOT NULL);
CREATE INDEX IF NOT EXISTS bs_dead_letters_workspace ON bs_dead_letters(workspace, id);
CREATE TABLE IF NOT EXISTS bs_rate_budget(
  key text PRIMARY KEY,
  emission_s double precision NOT NULL,
  tau_s double precision NOT NULL,
  tat timestamptz NOT NULL DEFAULT '-infinity',
  paused_until timestamptz NOT NULL DEFAULT '-infinity');
-- Read-your-writes for lookups (postgres_recent_writes.h): soft state,
-- purged past the retention by every replica.
CREATE TABLE IF NOT EXISTS bs_recent_writes(
  id bigserial PRIMARY KEY,
  workspace text NOT NULL,
  user_key text NOT NULL,
  "array" text NOT NULL,
  braze_json text NOT NULL,
  written_at timestamptz NOT NULL,
  replica text NOT NULL);
CREATE INDEX IF NOT EXISTS bs_recent_writes_user ON bs_recent_writes(workspace, user_key);
CREATE INDEX IF NOT EXISTS bs_recent_writes_written ON bs_recent_writes(written_at);
-- GCRA with a cost (as go-redis/redis_rate's script_allow_n), on the
-- database's clock: grants up to p_want tokens of p_key now.
CREATE OR REPLACE FUNCTION bs_lease(p_key text, p_want int,
    OUT granted int, OUT next_at timestamptz, OUT paused_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  b bs_rate_budget%ROWTYPE;
  t_now timestamptz := clock_timestamp();
  base timestamptz;
BEGIN
  SELECT * INTO b FROM bs_rate_budget WHERE key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'bs_lease: no budget %', p_key USING ERRCODE = 'no_data_found';
  END IF;
  paused_until := b.paused_until;
  IF t_now < b.paused_until THEN
    granted := 0;
    next_at := b.paused_until;
    RETURN;
  END IF;
  base := greatest(b.tat, t_now);
  granted := least(p_want, greatest(0,
      floor((extract(epoch FROM t_now - base) + b.tau_s) / b.emission_s)::int));
  IF granted > 0 THEN
    base := base + make_interval(secs => granted * b.emission_s);
    UPDATE bs_rate_budget SET tat = base WHERE key = p_key;
  END IF;
  next_at := base - make_interval(secs => b.tau_s) + make_interval(secs => b.emission_s);
END $$;
)sql";

}  // namespace

absl::Status CreateOrUpgradeSchema(PgConnection& connection, int partitions) {
  if (partitions < 1) return absl::InvalidArgumentError("cluster_partitions: must be >= 1");
  absl::Status status = connection.Run("begin", "BEGIN");
  if (status.ok()) {
    status = connection
                 .Exec("lock the schema", "SELECT pg_advisory_xact_lock($1)",
                       {PgParam::Int(kSchemaLockKey)})
                 .status();
  }
  if (status.ok()) status = connection.Run("create the schema", kSchema);
  if (status.ok()) {
    status = connection
                 .Exec("record the settings",
                       "INSERT INTO bs_meta(key, value) VALUES ('schema_version', $1), "
                       "('partitions', $2), ('partition_hash', $3) ON CONFLICT (key) DO NOTHING",
                       {PgParam::Int(kPostgresSchemaVersion), PgParam::Int(partitions),
                        PgParam::Text(kPartitionHashName)})
                 .status();
  }
  if (status.ok()) {
    status = connection
                 .Exec("create the partitions",
                       "INSERT INTO bs_partitions(part) SELECT generate_series(0, $1 - 1) "
                       "ON CONFLICT (part) DO NOTHING",
                       {PgParam::Int(partitions)})
                 .status();
  }
  absl::StatusOr<PgResult> meta;
  if (status.ok()) {
    meta = connection.Exec("read the settings",
                           "SELECT (SELECT value FROM bs_meta WHERE key = 'partitions'), "
                           "(SELECT value FROM bs_meta WHERE key = 'partition_hash'), "
                           "(SELECT value FROM bs_meta WHERE key = 'schema_version')");
    status = meta.status();
  }
  if (status.ok()) {
    const std::string stored_partitions = meta->Text(0, 0);
    const std::string stored_hash = meta->Text(0, 1);
    if (stored_partitions != std::to_string(partitions) || stored_hash != kPartitionHashName) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "cluster_partitions: the store was created with ", stored_partitions,
          " partitions (hash ", stored_hash, "), not ", partitions, " (", kPartitionHashName,
          "); every replica must use the store's value (changing it is a migration)"));
    } else if (meta->Int(0, 2) > kPostgresSchemaVersion) {
      status = absl::FailedPreconditionError(
          absl::StrCat("store: schema version ", meta->Text(0, 2),
                       " is newer than this release understands (", kPostgresSchemaVersion, ")"));
    }
  }
  if (status.ok()) return connection.Run("commit the schema", "COMMIT");
  if (connection.healthy()) connection.Run("rollback", "ROLLBACK").IgnoreError();
  return status;
}

}  // namespace brazesync
