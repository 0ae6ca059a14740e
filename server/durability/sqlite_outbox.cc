// The embedded outbox store on SQLite: schema, acceptance and the delivery side.
#include "server/durability/sqlite_outbox.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/durability/attempt_history.h"

namespace brazesync {
namespace {

constexpr int kSchemaVersion = 1;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace TEXT NOT NULL,
  kind INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_version INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_outcome TEXT NOT NULL DEFAULT '',
  history TEXT NOT NULL DEFAULT '[]',
  in_doubt INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_ms, id);
CREATE INDEX IF NOT EXISTS outbox_user ON outbox(workspace, user_key, id);
CREATE TABLE IF NOT EXISTS item_ids(
  workspace TEXT NOT NULL,
  item_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  dead_letter_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(workspace, item_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_ids_updated ON item_ids(updated_ms);
CREATE TABLE IF NOT EXISTS dead_letters(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace TEXT NOT NULL,
  kind INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_version INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  dead_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  braze_response TEXT NOT NULL,
  history TEXT NOT NULL);
)sql";

int64_t ToMs(absl::Time time) { return absl::ToUnixMillis(time); }

int64_t StateValue(ItemIdState state) { return static_cast<int64_t>(state); }

// Creates the tables of a new file, and brings a file of an older release up
// to date. Runs once, before any other use of the database.
absl::Status CreateOrUpgradeSchema(Database& db, const std::string& path) {
  absl::Status created = db.Exec(kSchema);
  if (!created.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot initialise ", path, ": ", created.message()));
  }
  // Databases created before `in_doubt` existed get the column (no items
  // were in doubt then). The probe's prepare fails exactly when it is missing.
  if (!db.Prepare("SELECT in_doubt FROM outbox LIMIT 0").ok()) {
    absl::Status added =
        db.Exec("ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0");
    if (!added.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot upgrade ", path, ": ", added.message()));
    }
  }
  absl::Status versioned = db.Exec(absl::StrCat(
      "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '", kSchemaVersion, "')"));
  if (!versioned.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot record the schema version in ", path, ": ", versioned.message()));
  }
  return absl::OkStatus();
}

// Applies `reports` in the current transaction (Report, SettleInDoubt).
absl::Status ApplyReports(Database& db, const std::vector<DeliveryReport>& reports) {
  const absl::Time now = absl::Now();
  for (const DeliveryReport& report : reports) {
    std::string workspace;
    std::string item_id;
    std::string history;
    int64_t attempts = 0;
    if (report.result == DeliveryReport::Result::kDelivered) {
      // The common case in one statement; a delivered item keeps no history.
      absl::StatusOr<Statement> remove =
          db.Prepare("DELETE FROM outbox WHERE id = ?1 RETURNING workspace, item_id, attempts");
      if (!remove.ok()) return remove.status();
      remove->Bind(1, report.id);
      const int step = remove->Step();
      if (step == SQLITE_DONE) continue;  // already handled
      if (step != SQLITE_ROW) return db.Error("delete delivered");
      workspace = remove->Text(0);
      item_id = remove->Text(1);
      attempts = remove->Int(2) + 1;
    } else {
      absl::StatusOr<Statement> row =
          db.Prepare("SELECT workspace, item_id, history, attempts FROM outbox WHERE id = ?1");
      if (!row.ok()) return row.status();
      row->Bind(1, report.id);
      if (row->Step() != SQLITE_ROW) continue;  // already handled
      workspace = row->Text(0);
      item_id = row->Text(1);
      history = AppendAttemptHistory(row->Text(2), now, report.outcome);
      attempts = row->Int(3) + 1;
    }
    int64_t dead_letter_id = 0;
    ItemIdState state = ItemIdState::kQueued;
    std::string reason;
    switch (report.result) {
      case DeliveryReport::Result::kDelivered:
        state = ItemIdState::kDelivered;
        break;
      case DeliveryReport::Result::kRetry: {
        absl::StatusOr<Statement> update = db.Prepare(
            "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_outcome = ?4, "
            "history = ?5, in_doubt = 0 WHERE id = ?1");
        if (!update.ok()) return update.status();
        update->Bind(1, report.id)
            .Bind(2, attempts)
            .Bind(3, ToMs(report.retry_at))
            .Bind(4, report.outcome)
            .Bind(5, history);
        if (update->Step() != SQLITE_DONE) return db.Error("reschedule");
        reason = report.outcome;
        break;
      }
      case DeliveryReport::Result::kDead: {
        absl::StatusOr<Statement> move = db.Prepare(
            "INSERT INTO dead_letters(workspace, kind, item_id, user_key, payload, "
            "payload_version, accepted_ms, dead_ms, attempts, reason, braze_response, history) "
            "SELECT workspace, kind, item_id, user_key, payload, payload_version, accepted_ms, "
            "?2, ?3, ?4, ?5, ?6 FROM outbox WHERE id = ?1");
        if (!move.ok()) return move.status();
        move->Bind(1, report.id)
            .Bind(2, ToMs(now))
            .Bind(3, attempts)
            .Bind(4, report.reason)
            .Bind(5, report.braze_response)
            .Bind(6, history);
        if (move->Step() != SQLITE_DONE) return db.Error("dead-letter");
        dead_letter_id = db.LastInsertId();
        absl::StatusOr<Statement> remove = db.Prepare("DELETE FROM outbox WHERE id = ?1");
        if (!remove.ok()) return remove.status();
        remove->Bind(1, report.id);
        if (remove->Step() != SQLITE_DONE) return db.Error("delete dead-lettered");
        state = ItemIdState::kDeadLettered;
        reason = report.reason;
        break;
      }
    }
    if (item_id.empty()) continue;
    absl::StatusOr<Statement> record = db.Prepare(
        "UPDATE item_ids SET state = ?3, updated_ms = ?4, attempts = ?5, reason = ?6, "
        "dead_letter_id = ?7 WHERE workspace = ?1 AND item_id = ?2");
    if (!record.ok()) return record.status();
    record->Bind(1, workspace)
        .Bind(2, item_id)
        .Bind(3, StateValue(state))
        .Bind(4, ToMs(now))
        .Bind(5, attempts)
        .Bind(6, reason)
        .Bind(7, dead_letter_id);
    if (record->Step() != SQLITE_DONE) return db.Error("record outcome");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteOutbox>> SqliteOutbox::Open(const std::string& directory,
                                                                 const OutboxOptions& options) {
  const std::string path = absl::StrCat(directory, "/outbox.sqlite3");
  DatabaseOptions database_options;
  database_options.label = "outbox";
  database_options.fsync_every_commit = options.fsync_every_commit;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(
      path, database_options, [&path](Database& db) { return CreateOrUpgradeSchema(db, path); });
  if (!db.ok()) {
    return absl::Status(db.status().code(), absl::StrCat("data_dir: ", db.status().message()));
  }
  return std::unique_ptr<SqliteOutbox>(new SqliteOutbox(*std::move(db), options));
}

SqliteOutbox::SqliteOutbox(std::unique_ptr<Database> db, const OutboxOptions& options)
    : options_(options), db_(std::move(db)) {}

SqliteOutbox::~SqliteOutbox() = default;

void SqliteOutbox::Accept(std::vector<NewOutboxItem> items, AcceptDone done) {
  auto stored = std::make_shared<std::vector<bool>>(items.size(), false);
  db_->Submit(
      [items = std::move(items), stored,
       window = options_.idempotency_window](Database& db) -> absl::Status {
        const int64_t now = ToMs(absl::Now());
        const int64_t window_start = ToMs(absl::Now() - window);
        for (size_t i = 0; i < items.size(); ++i) {
          const NewOutboxItem& item = items[i];
          if (!item.item_id.empty()) {
            // Claims the id, or finds it a duplicate (no row changed): a
            // repeat within the window is a duplicate unless it was
            // dead-lettered (the caller may send it again on purpose), and a
            // queued id stays a duplicate however old it is.
            absl::StatusOr<Statement> claim = db.Prepare(
                "INSERT INTO item_ids(workspace, item_id, state, accepted_ms, updated_ms) "
                "VALUES(?1, ?2, ?3, ?4, ?4) ON CONFLICT(workspace, item_id) DO UPDATE SET "
                "state = excluded.state, accepted_ms = excluded.accepted_ms, "
                "updated_ms = excluded.updated_ms, attempts = 0, reason = '', dead_letter_id = 0 "
                "WHERE item_ids.state = ?6 OR (item_ids.updated_ms < ?5 AND item_ids.state != ?3)");
            if (!claim.ok()) return claim.status();
            claim->Bind(1, item.workspace)
                .Bind(2, item.item_id)
                .Bind(3, StateValue(ItemIdState::kQueued))
                .Bind(4, now)
                .Bind(5, window_start)
                .Bind(6, StateValue(ItemIdState::kDeadLettered));
            if (claim->Step() != SQLITE_DONE) return db.Error("record item id");
            if (db.Changes() == 0) continue;
          }
          absl::StatusOr<Statement> insert = db.Prepare(
              "INSERT INTO outbox(workspace, kind, item_id, user_key, payload, payload_version, "
              "accepted_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
          if (!insert.ok()) return insert.status();
          insert->Bind(1, item.workspace)
              .Bind(2, static_cast<int64_t>(item.kind))
              .Bind(3, item.item_id)
              .Bind(4, item.user_key)
              .BindBlob(5, item.payload)
              .Bind(6, int64_t{item.payload_version})
              .Bind(7, now);
          if (insert->Step() != SQLITE_DONE) return db.Error("insert");
          (*stored)[i] = true;
        }
        return absl::OkStatus();
      },
      [stored, done = std::move(done)](absl::Status status) mutable {
        if (!status.ok()) {
          std::move(done)(status);
          return;
        }
        std::move(done)(std::move(*stored));
      },
      /*urgent=*/true);
}

absl::StatusOr<std::vector<OutboxItem>> SqliteOutbox::FetchDue(int partition, absl::Time now,
                                                               int64_t after_id, size_t limit) {
  if (partition != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition: the embedded outbox has only partition 0, not ", partition));
  }
  std::vector<OutboxItem> items;
  // An item waits while an earlier item of its user waits for its retry or
  // lies behind the cursor (per-user order, outbox_store.h; the index
  // outbox_user finds those). At the
  // infinite future everything is due and nothing waits (counting).
  absl::Status status = db_->Read(
      "SELECT o.id, o.workspace, o.kind, o.item_id, o.user_key, o.payload, o.payload_version, "
      "o.accepted_ms, o.attempts FROM outbox o WHERE o.id > ?1 AND o.next_attempt_ms <= ?2 "
      "AND (?4 = 1 OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.workspace = o.workspace "
      "AND e.user_key = o.user_key AND e.id < o.id "
      "AND (e.next_attempt_ms > ?2 OR e.id <= ?1))) "
      "ORDER BY o.id LIMIT ?3",
      "fetch due", [&](Statement& select) {
        select.Bind(1, after_id)
            .Bind(2, ToMs(now))
            .Bind(3, static_cast<int64_t>(limit))
            .Bind(4, int64_t{now == absl::InfiniteFuture()});
        int step;
        while ((step = select.Step()) == SQLITE_ROW) {
          OutboxItem item;
          item.id = select.Int(0);
          item.workspace = select.Text(1);
          item.kind = static_cast<v1::ItemKind>(select.Int(2));
          item.item_id = select.Text(3);
          item.user_key = select.Text(4);
          item.payload = select.Text(5);
          item.payload_version = static_cast<int>(select.Int(6));
          item.accepted = absl::FromUnixMillis(select.Int(7));
          item.attempts = static_cast<int>(select.Int(8));
          items.push_back(std::move(item));
        }
        return step == SQLITE_DONE;
      });
  if (!status.ok()) return status;
  return items;
}

void SqliteOutbox::Report(std::vector<DeliveryReport> reports, Completion done) {
  db_->Submit([reports = std::move(reports)](
                  Database& db) -> absl::Status { return ApplyReports(db, reports); },
              std::move(done));
}

void SqliteOutbox::MarkInDoubt(std::vector<int64_t> ids, Completion done) {
  db_->Submit(
      [ids = std::move(ids)](Database& db) -> absl::Status {
        // One statement for the whole request: the ids as a JSON array.
        const std::string id_list = absl::StrCat("[", absl::StrJoin(ids, ","), "]");
        absl::StatusOr<Statement> mark = db.Prepare(
            "UPDATE outbox SET in_doubt = 1 WHERE id IN (SELECT value FROM json_each(?1))");
        if (!mark.ok()) return mark.status();
        mark->Bind(1, id_list);
        return mark->Step() == SQLITE_DONE ? absl::OkStatus() : db.Error("mark in doubt");
      },
      std::move(done));
}

absl::StatusOr<int> SqliteOutbox::SettleInDoubt(int partition, bool dead_letter) {
  if (partition != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition: the embedded outbox has only partition 0, not ", partition));
  }
  int settled = 0;
  absl::Status status = db_->RunSync([&](Database& db) -> absl::Status {
    if (!dead_letter) {  // sent again: they are simply queued items
      absl::StatusOr<Statement> clear =
          db.Prepare("UPDATE outbox SET in_doubt = 0 WHERE in_doubt = 1");
      if (!clear.ok()) return clear.status();
      if (clear->Step() != SQLITE_DONE) return db.Error("clear in doubt");
      settled = db.Changes();
      return absl::OkStatus();
    }
    std::vector<DeliveryReport> reports;
    {
      absl::StatusOr<Statement> select =
          db.Prepare("SELECT id FROM outbox WHERE in_doubt = 1 ORDER BY id");
      if (!select.ok()) return select.status();
      int step;
      while ((step = select->Step()) == SQLITE_ROW) {
        DeliveryReport report;
        report.id = select->Int(0);
        report.result = DeliveryReport::Result::kDead;
        report.outcome = kInDoubtOutcome;
        report.reason = kInDoubtReason;
        reports.push_back(std::move(report));
      }
      if (step != SQLITE_DONE) return db.Error("find items in doubt");
    }
    settled = static_cast<int>(reports.size());
    return ApplyReports(db, reports);
  });
  if (!status.ok()) return status;
  return settled;
}

absl::Status SqliteOutbox::PruneIds(absl::Time now) {
  const int64_t horizon = ToMs(now - options_.idempotency_window);
  return db_->RunSync([horizon](Database& db) -> absl::Status {
    // Queued ids stay: they still guard against duplicates of live items.
    absl::StatusOr<Statement> prune =
        db.Prepare("DELETE FROM item_ids WHERE updated_ms < ?1 AND state != ?2");
    if (!prune.ok()) return prune.status();
    prune->Bind(1, horizon).Bind(2, StateValue(ItemIdState::kQueued));
    return prune->Step() == SQLITE_DONE ? absl::OkStatus() : db.Error("prune");
  });
}

}  // namespace brazesync
