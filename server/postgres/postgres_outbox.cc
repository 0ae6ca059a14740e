// The cluster store's outbox on PostgreSQL: acceptance, the FetchDue cursor,
// delivery reports, the send gate and in-doubt settling, id pruning.
#include "server/postgres/postgres_outbox.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/durability/attempt_history.h"
#include "server/durability/partition_ownership.h"
#include "server/postgres/pg_time.h"

namespace brazesync {
namespace {

int64_t StateValue(ItemIdState state) { return static_cast<int64_t>(state); }

// A longer idempotency window (say, an infinite one) counts as this long:
// PostgreSQL intervals end somewhere.
constexpr absl::Duration kLongestWindow = absl::Hours(24 * 365 * 100);

// Claims the ids (one INSERT ... ON CONFLICT: a repeat within the window is
// a duplicate unless it was dead-lettered, a queued id stays a duplicate
// however old) and stores the items whose id was claimed or who have none,
// in input order so that ids follow acceptance order. Claims go in key
// order: two replicas claiming overlapping ids lock them in the same order
// and so never deadlock. Returns the ordinal (1-based) of each stored item.
constexpr char kAcceptSql[] = R"sql(
WITH input AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::smallint[], $4::text[], $5::text[],
                       $6::bytea[], $7::smallint[])
    WITH ORDINALITY AS u(part, workspace, kind, item_id, user_key, payload, payload_version, ord)),
claimed AS (
  INSERT INTO bs_item_ids AS i (workspace, item_id, state, accepted_at, updated_at)
  SELECT workspace, item_id, $8, now(), now() FROM input WHERE item_id <> ''
  ORDER BY workspace, item_id
  ON CONFLICT (workspace, item_id) DO UPDATE
    SET state = EXCLUDED.state, accepted_at = EXCLUDED.accepted_at,
        updated_at = EXCLUDED.updated_at, attempts = 0, reason = '', dead_letter_id = 0
    WHERE i.state = $9 OR (i.updated_at < now() - $10::bigint * interval '1 microsecond'
                           AND i.state <> $8)
  RETURNING workspace, item_id),
chosen AS (
  SELECT u.* FROM input u
  WHERE u.item_id = '' OR EXISTS (SELECT 1 FROM claimed c
                                  WHERE c.workspace = u.workspace AND c.item_id = u.item_id)),
stored AS (
  INSERT INTO bs_outbox(part, workspace, kind, item_id, user_key, payload, payload_version,
                        accepted_at)
  SELECT part, workspace, kind, item_id, user_key, payload, payload_version, now()
  FROM chosen ORDER BY ord
  RETURNING id)
SELECT ord FROM chosen
)sql";

// Items due in `part` after the cursor, leaving out those of a user with an
// earlier item not yet due or behind the cursor (per-user order;
// outbox_store.h).
const std::string& FetchDueSql() {
  static const std::string* sql = new std::string(absl::StrCat(
      "SELECT o.id, o.workspace, o.kind, o.item_id, o.user_key, o.payload, o.payload_version, ",
      PgMicros("o.accepted_at"),
      ", o.attempts FROM bs_outbox o WHERE o.part = $1 AND o.id > $2 "
      "AND o.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM bs_outbox e "
      "WHERE e.part = o.part AND e.workspace = o.workspace AND e.user_key = o.user_key "
      "AND e.id < o.id AND (e.next_attempt_at > now() OR e.id <= $2)) "
      "ORDER BY o.id LIMIT $3"));
  return *sql;
}

// Every item of `part` after the cursor, as if all were due (for counting).
const std::string& FetchAllSql() {
  static const std::string* sql = new std::string(absl::StrCat(
      "SELECT o.id, o.workspace, o.kind, o.item_id, o.user_key, o.payload, o.payload_version, ",
      PgMicros("o.accepted_at"),
      ", o.attempts FROM bs_outbox o WHERE o.part = $1 AND o.id > $2 ORDER BY o.id LIMIT $3"));
  return *sql;
}

// Applies `reports` in the current transaction (Report, SettleInDoubt): one
// statement per kind of verdict, plus one read of the rows a retry or dead
// letter rewrites (their history is appended here, in the format
// attempt_history.h shares with SQLite).
absl::Status ApplyReports(PgConnection& connection, const std::vector<DeliveryReport>& reports) {
  const absl::Time now = absl::Now();
  // The first report of an id counts, as in SQLite: the row is gone after it.
  absl::flat_hash_set<int64_t> seen;
  std::vector<int64_t> delivered;
  std::vector<const DeliveryReport*> rewritten;  // retry and dead, in order
  std::vector<int64_t> rewritten_ids;
  for (const DeliveryReport& report : reports) {
    if (!seen.insert(report.id).second) continue;
    if (report.result == DeliveryReport::Result::kDelivered) {
      delivered.push_back(report.id);
    } else {
      rewritten.push_back(&report);
      rewritten_ids.push_back(report.id);
    }
  }

  if (!delivered.empty()) {
    // A delivered item keeps no history.
    absl::StatusOr<PgResult> done = connection.Exec(
        "record delivered items",
        "WITH gone AS (DELETE FROM bs_outbox WHERE id = ANY($1::bigint[]) "
        "RETURNING workspace, item_id, attempts), "
        "settled AS (DELETE FROM bs_in_doubt WHERE id = ANY($1::bigint[])) "
        "UPDATE bs_item_ids i SET state = $2, updated_at = now(), attempts = g.attempts + 1, "
        "reason = '', dead_letter_id = 0 FROM gone g "
        "WHERE g.item_id <> '' AND i.workspace = g.workspace AND i.item_id = g.item_id",
        {PgParam::Text(PgIntArray(delivered)), PgParam::Int(StateValue(ItemIdState::kDelivered))});
    if (!done.ok()) return done.status();
  }
  if (rewritten.empty()) return absl::OkStatus();

  absl::StatusOr<PgResult> rows =
      connection.Exec("read items to reschedule or dead-letter",
                      "SELECT id, history, attempts FROM bs_outbox WHERE id = ANY($1::bigint[]) "
                      "FOR UPDATE",
                      {PgParam::Text(PgIntArray(rewritten_ids))});
  if (!rows.ok()) return rows.status();
  struct Row {
    std::string history;
    int64_t attempts = 0;
  };
  absl::flat_hash_map<int64_t, Row> found;
  for (int r = 0; r < rows->rows(); ++r) {
    found[rows->Int(r, 0)] = Row{rows->Text(r, 1), rows->Int(r, 2)};
  }

  std::vector<int64_t> retry_ids, retry_attempts;
  std::vector<std::string> retry_at, retry_outcomes, retry_histories;
  std::vector<int64_t> dead_ids, dead_attempts;
  std::vector<std::string> dead_reasons, dead_responses, dead_histories;
  for (const DeliveryReport* report : rewritten) {
    auto row = found.find(report->id);
    if (row == found.end()) continue;  // already handled
    const std::string history = AppendAttemptHistory(row->second.history, now, report->outcome);
    const int64_t attempts = row->second.attempts + 1;
    if (report->result == DeliveryReport::Result::kRetry) {
      retry_ids.push_back(report->id);
      retry_attempts.push_back(attempts);
      retry_at.push_back(PgTimestamp(report->retry_at));
      retry_outcomes.push_back(report->outcome);
      retry_histories.push_back(history);
    } else {
      dead_ids.push_back(report->id);
      dead_attempts.push_back(attempts);
      dead_reasons.push_back(report->reason);
      dead_responses.push_back(report->braze_response);
      dead_histories.push_back(history);
    }
  }

  if (!retry_ids.empty()) {
    // A rescheduled item is no longer in doubt: its attempt has a verdict.
    absl::StatusOr<PgResult> done = connection.Exec(
        "reschedule items",
        "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::text[], "
        "$5::text[]) AS r(id, attempts, retry_at, outcome, history)), "
        "settled AS (DELETE FROM bs_in_doubt WHERE id = ANY($1::bigint[])), "
        "moved AS (UPDATE bs_outbox o SET attempts = r.attempts, next_attempt_at = r.retry_at, "
        "last_outcome = r.outcome, history = r.history FROM r WHERE o.id = r.id "
        "RETURNING o.workspace, o.item_id, o.attempts, o.last_outcome) "
        "UPDATE bs_item_ids i SET state = $6, updated_at = now(), attempts = m.attempts, "
        "reason = m.last_outcome, dead_letter_id = 0 FROM moved m "
        "WHERE m.item_id <> '' AND i.workspace = m.workspace AND i.item_id = m.item_id",
        {PgParam::Text(PgIntArray(retry_ids)), PgParam::Text(PgIntArray(retry_attempts)),
         PgParam::Text(PgTextArray(retry_at)), PgParam::Text(PgTextArray(retry_outcomes)),
         PgParam::Text(PgTextArray(retry_histories)),
         PgParam::Int(StateValue(ItemIdState::kQueued))});
    if (!done.ok()) return done.status();
  }

  if (!dead_ids.empty()) {
    // Moved in report order, so dead letter ids follow it; the idempotency
    // record points at its letter (a queued id has one outbox row at most).
    absl::StatusOr<PgResult> done = connection.Exec(
        "dead-letter items",
        "WITH d AS (SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], "
        "$5::text[]) WITH ORDINALITY AS d(id, attempts, reason, braze_response, history, ord)), "
        "letters AS (INSERT INTO bs_dead_letters(part, workspace, kind, item_id, user_key, "
        "payload, payload_version, accepted_at, dead_at, attempts, reason, braze_response, "
        "history) SELECT o.part, o.workspace, o.kind, o.item_id, o.user_key, o.payload, "
        "o.payload_version, o.accepted_at, now(), d.attempts, d.reason, d.braze_response, "
        "d.history FROM d JOIN bs_outbox o ON o.id = d.id ORDER BY d.ord "
        "RETURNING id, workspace, item_id, attempts, reason), "
        "gone AS (DELETE FROM bs_outbox WHERE id = ANY($1::bigint[])), "
        "settled AS (DELETE FROM bs_in_doubt WHERE id = ANY($1::bigint[])) "
        "UPDATE bs_item_ids i SET state = $6, updated_at = now(), attempts = l.attempts, "
        "reason = l.reason, dead_letter_id = l.id FROM letters l "
        "WHERE l.item_id <> '' AND i.workspace = l.workspace AND i.item_id = l.item_id",
        {PgParam::Text(PgIntArray(dead_ids)), PgParam::Text(PgIntArray(dead_attempts)),
         PgParam::Text(PgTextArray(dead_reasons)), PgParam::Text(PgTextArray(dead_responses)),
         PgParam::Text(PgTextArray(dead_histories)),
         PgParam::Int(StateValue(ItemIdState::kDeadLettered))});
    if (!done.ok()) return done.status();
  }
  return absl::OkStatus();
}

// The epoch of `partition` when the owner session's backend owns it.
absl::StatusOr<int64_t> OwnedEpoch(PgConnection& connection, int partition) {
  absl::StatusOr<PgResult> owned = connection.Exec(
      "check the partition's owner",
      "SELECT epoch FROM bs_partitions WHERE part = $1 AND owner_pid = pg_backend_pid()",
      {PgParam::Int(partition)});
  if (!owned.ok()) return owned.status();
  if (owned->rows() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: this replica does not own partition ", partition));
  }
  return owned->Int(0, 0);
}

}  // namespace

// The Accept calls one writer task stores together. A task may run again
// after a rollback, so it takes the waiting calls once and sets (never
// appends to) the results.
struct PostgresOutbox::AcceptBatch {
  bool taken = false;
  std::vector<PendingAccept> accepts;
  std::vector<std::vector<bool>> stored;
};

PostgresOutbox::PostgresOutbox(std::unique_ptr<PgWorker> writer, std::unique_ptr<PgWorker> reader,
                               PgWorker* owner_session, const OutboxOptions& options,
                               int partitions)
    : options_(options),
      partitions_(partitions),
      owner_session_(owner_session),
      writer_(std::move(writer)),
      reader_(std::move(reader)) {}

PostgresOutbox::~PostgresOutbox() {
  // The writer runs its queued tasks (accept batches included) as it stops.
  writer_.reset();
  reader_.reset();
}

void PostgresOutbox::Accept(std::vector<NewOutboxItem> items, AcceptDone done) {
  // PostgreSQL text cannot hold a NUL byte (SQLite can): refused here, so
  // the call fails alone and says which field.
  for (size_t i = 0; i < items.size(); ++i) {
    const NewOutboxItem& item = items[i];
    const char* field = item.workspace.find('\0') != std::string::npos  ? "workspace"
                        : item.user_key.find('\0') != std::string::npos ? "user_key"
                        : item.item_id.find('\0') != std::string::npos  ? "item_id"
                                                                        : nullptr;
    if (field != nullptr) {
      std::move(done)(absl::InvalidArgumentError(absl::StrCat(
          field, " of item ", i, ": contains a NUL byte, which the store cannot hold")));
      return;
    }
  }
  absl::MutexLock lock(&accept_mu_);
  pending_accepts_.push_back(PendingAccept{std::move(items), std::move(done)});
  if (!batch_queued_) {
    batch_queued_ = true;
    SubmitAcceptBatch(std::make_shared<AcceptBatch>());
  }
}

void PostgresOutbox::SubmitAcceptBatch(std::shared_ptr<AcceptBatch> batch) {
  writer_->Submit(
      [this, batch](PgConnection& connection) -> absl::Status {
        // Every call waiting now goes into this statement; later ones queue
        // the next batch.
        TakeWaitingAccepts(*batch);
        // Duplicates within the batch are settled here, as one statement
        // cannot claim a row twice: the first occurrence counts.
        std::vector<std::vector<bool>> stored;
        std::vector<std::pair<size_t, size_t>> position;  // (call, item) per input row
        std::vector<int64_t> parts, kinds, versions;
        std::vector<std::string> workspaces, item_ids, user_keys, payloads;
        std::set<std::pair<std::string, std::string>> claimed_here;
        for (size_t a = 0; a < batch->accepts.size(); ++a) {
          const std::vector<NewOutboxItem>& items = batch->accepts[a].items;
          stored.emplace_back(items.size(), false);
          for (size_t i = 0; i < items.size(); ++i) {
            const NewOutboxItem& item = items[i];
            if (!item.item_id.empty() &&
                !claimed_here.emplace(item.workspace, item.item_id).second) {
              continue;
            }
            position.emplace_back(a, i);
            parts.push_back(PartitionOf(item.workspace, item.user_key, partitions_));
            workspaces.push_back(item.workspace);
            kinds.push_back(static_cast<int64_t>(item.kind));
            item_ids.push_back(item.item_id);
            user_keys.push_back(item.user_key);
            payloads.push_back(item.payload);
            versions.push_back(item.payload_version);
          }
        }
        if (!position.empty()) {
          absl::StatusOr<PgResult> rows = connection.Exec(
              "accept items", kAcceptSql,
              {PgParam::Text(PgIntArray(parts)), PgParam::Text(PgTextArray(workspaces)),
               PgParam::Text(PgIntArray(kinds)), PgParam::Text(PgTextArray(item_ids)),
               PgParam::Text(PgTextArray(user_keys)), PgParam::Text(PgByteaArray(payloads)),
               PgParam::Text(PgIntArray(versions)), PgParam::Int(StateValue(ItemIdState::kQueued)),
               PgParam::Int(StateValue(ItemIdState::kDeadLettered)),
               PgParam::Int(absl::ToInt64Microseconds(
                   std::min(options_.idempotency_window, kLongestWindow)))});
          if (!rows.ok()) return rows.status();
          for (int r = 0; r < rows->rows(); ++r) {
            const int64_t ordinal = rows->Int(r, 0);
            if (ordinal < 1 || ordinal > static_cast<int64_t>(position.size())) continue;
            const auto [call, item] = position[ordinal - 1];
            stored[call][item] = true;
          }
        }
        batch->stored = std::move(stored);
        return absl::OkStatus();
      },
      [this, batch](absl::Status status) {
        // Not run at all (no session): the calls waiting fail with it.
        TakeWaitingAccepts(*batch);
        if (!status.ok() && !absl::IsUnavailable(status) && batch->accepts.size() > 1) {
          // One call's items (e.g. text PostgreSQL refuses) failed the
          // statement for all: each call again on its own, so that only
          // such a call fails.
          for (PendingAccept& accept : batch->accepts) {
            auto alone = std::make_shared<AcceptBatch>();
            alone->taken = true;
            alone->accepts.push_back(std::move(accept));
            SubmitAcceptBatch(std::move(alone));
          }
          return;
        }
        for (size_t a = 0; a < batch->accepts.size(); ++a) {
          if (status.ok()) {
            std::move(batch->accepts[a].done)(std::move(batch->stored[a]));
          } else {
            std::move(batch->accepts[a].done)(status);
          }
        }
      },
      /*urgent=*/true);
}

void PostgresOutbox::TakeWaitingAccepts(AcceptBatch& batch) {
  if (batch.taken) return;
  absl::MutexLock lock(&accept_mu_);
  batch.accepts = std::move(pending_accepts_);
  pending_accepts_.clear();
  batch_queued_ = false;
  batch.taken = true;
}

absl::Status PostgresOutbox::CheckPartition(int partition) const {
  if (partition < 0 || partition >= partitions_) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition: ", partition, " is not in [0, ", partitions_, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxItem>> PostgresOutbox::FetchDue(int partition, absl::Time now,
                                                                 int64_t after_id, size_t limit) {
  if (absl::Status valid = CheckPartition(partition); !valid.ok()) return valid;
  std::vector<OutboxItem> items;
  const std::string& sql = now == absl::InfiniteFuture() ? FetchAllSql() : FetchDueSql();
  absl::Status status = reader_->RunSync([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> rows =
        connection.Exec("fetch due items", sql,
                        {PgParam::Int(partition), PgParam::Int(after_id),
                         PgParam::Int(static_cast<int64_t>(limit))});
    if (!rows.ok()) return rows.status();
    items.clear();
    for (int r = 0; r < rows->rows(); ++r) {
      OutboxItem item;
      item.id = rows->Int(r, 0);
      item.partition = partition;
      item.workspace = rows->Text(r, 1);
      item.kind = static_cast<v1::ItemKind>(rows->Int(r, 2));
      item.item_id = rows->Text(r, 3);
      item.user_key = rows->Text(r, 4);
      item.payload = rows->Bytes(r, 5);
      item.payload_version = static_cast<int>(rows->Int(r, 6));
      item.accepted = FromPgMicros(rows->Int(r, 7));
      item.attempts = static_cast<int>(rows->Int(r, 8));
      items.push_back(std::move(item));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return items;
}

void PostgresOutbox::Report(std::vector<DeliveryReport> reports, Completion done) {
  writer_->Submit([reports = std::move(reports)](
                      PgConnection& connection) { return ApplyReports(connection, reports); },
                  std::move(done));
}

void PostgresOutbox::MarkInDoubt(std::vector<int64_t> ids, Completion done) {
  // ON CONFLICT cannot touch one row twice in a statement.
  std::vector<int64_t> unique(ids.begin(), ids.end());
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  owner_session_->Submit(
      [unique = std::move(unique)](PgConnection& connection) -> absl::Status {
        // Marked only where the owner session's backend owns the partition
        // now: a replica displaced (its session ended) marks nothing, so
        // its request does not leave. A re-sent item is marked again.
        absl::StatusOr<PgResult> marked = connection.Exec(
            "mark items in doubt",
            "INSERT INTO bs_in_doubt(id, part, epoch) SELECT o.id, o.part, p.epoch "
            "FROM bs_outbox o JOIN bs_partitions p ON p.part = o.part "
            "AND p.owner_pid = pg_backend_pid() WHERE o.id = ANY($1::bigint[]) "
            "ON CONFLICT (id) DO UPDATE SET epoch = EXCLUDED.epoch, marked_at = now() "
            "RETURNING id",
            {PgParam::Text(PgIntArray(unique))});
        if (!marked.ok()) return marked.status();
        if (marked->rows() == static_cast<int>(unique.size())) return absl::OkStatus();
        absl::flat_hash_set<int64_t> ok;
        for (int r = 0; r < marked->rows(); ++r) ok.insert(marked->Int(r, 0));
        std::vector<int64_t> refused;
        for (int64_t id : unique) {
          if (!ok.contains(id)) refused.push_back(id);
        }
        // The error rolls the transaction back: nothing stays marked.
        return absl::FailedPreconditionError(absl::StrCat(
            "store: this replica no longer owns the partition of outbox item(s) ",
            absl::StrJoin(refused, ", "), " (or they left the outbox); not sending them"));
      },
      std::move(done), /*urgent=*/true);
}

absl::StatusOr<int> PostgresOutbox::SettleInDoubt(int partition, bool dead_letter) {
  if (absl::Status valid = CheckPartition(partition); !valid.ok()) return valid;
  int settled = 0;
  absl::Status status = owner_session_->RunSync([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<int64_t> epoch = OwnedEpoch(connection, partition);
    if (!epoch.ok()) return epoch.status();
    // Marked in an earlier epoch: by a predecessor (or this replica before it
    // lost the partition), whose request may or may not have reached Braze.
    // The current epoch's marks are this owner's own sends in flight.
    if (!dead_letter) {  // sent again: they are simply queued items
      absl::StatusOr<PgResult> cleared = connection.Exec(
          "clear items in doubt", "DELETE FROM bs_in_doubt WHERE part = $1 AND epoch < $2",
          {PgParam::Int(partition), PgParam::Int(*epoch)});
      if (!cleared.ok()) return cleared.status();
      settled = static_cast<int>(cleared->affected());
      return absl::OkStatus();
    }
    absl::StatusOr<PgResult> rows =
        connection.Exec("find items in doubt",
                        "SELECT id FROM bs_in_doubt WHERE part = $1 AND epoch < $2 ORDER BY id",
                        {PgParam::Int(partition), PgParam::Int(*epoch)});
    if (!rows.ok()) return rows.status();
    std::vector<DeliveryReport> reports;
    std::vector<int64_t> ids;
    for (int r = 0; r < rows->rows(); ++r) {
      DeliveryReport report;
      report.id = rows->Int(r, 0);
      report.result = DeliveryReport::Result::kDead;
      report.outcome = kInDoubtOutcome;
      report.reason = kInDoubtReason;
      ids.push_back(report.id);
      reports.push_back(std::move(report));
    }
    settled = static_cast<int>(reports.size());
    if (reports.empty()) return absl::OkStatus();
    if (absl::Status applied = ApplyReports(connection, reports); !applied.ok()) return applied;
    // A mark whose item already left the outbox has nothing to settle.
    return connection
        .Exec("clear items in doubt", "DELETE FROM bs_in_doubt WHERE id = ANY($1::bigint[])",
              {PgParam::Text(PgIntArray(ids))})
        .status();
  });
  if (!status.ok()) return status;
  return settled;
}

absl::Status PostgresOutbox::PruneIds(absl::Time now) {
  const std::string horizon = PgTimestamp(now - options_.idempotency_window);
  return writer_->RunSync([&horizon](PgConnection& connection) -> absl::Status {
    // Queued ids stay: they still guard against duplicates of live items.
    return connection
        .Exec("prune item ids",
              "DELETE FROM bs_item_ids WHERE updated_at < $1::timestamptz AND state <> $2",
              {PgParam::Text(horizon), PgParam::Int(StateValue(ItemIdState::kQueued))})
        .status();
  });
}

}  // namespace brazesync
