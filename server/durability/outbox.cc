// The durable outbox on SQLite.
#include "server/durability/outbox.h"

#include <sqlite3.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/time_util.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

constexpr int kSchemaVersion = 1;
constexpr size_t kMaxHistoryEntries = 20;

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
absl::Time FromMs(int64_t ms) { return absl::FromUnixMillis(ms); }

google::protobuf::Timestamp ToTimestamp(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
struct DatabaseDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// A prepared statement, reset after each use. Bind/column indexes follow
// SQLite (binds from 1, columns from 0).
class Statement final {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  Statement& Bind(int index, int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  // Strings are bound without a copy (SQLITE_STATIC): the value must outlive
  // the statement's use, so temporaries are refused at compile time.
  Statement& Bind(int index, const std::string& value) {
    sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Statement& Bind(int index, std::string&& value) = delete;
  Statement& BindBlob(int index, const std::string& value) {
    sqlite3_bind_blob(statement_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Statement& BindBlob(int index, std::string&& value) = delete;
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(statement_); }
  int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string Text(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    return data == nullptr ? ""
                           : std::string(static_cast<const char*>(data),
                                         sqlite3_column_bytes(statement_, column));
  }
  ~Statement() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

// The attempt history kept with each item: a JSON array of {at_ms, outcome}.
std::string AppendHistory(const std::string& history, absl::Time at, const std::string& outcome) {
  nlohmann::json entries = nlohmann::json::parse(history, nullptr, /*allow_exceptions=*/false);
  if (!entries.is_array()) entries = nlohmann::json::array();
  entries.push_back({{"at_ms", ToMs(at)}, {"outcome", outcome}});
  while (entries.size() > kMaxHistoryEntries) entries.erase(entries.begin());
  return entries.dump();
}

}  // namespace

class Outbox::Impl final {
 public:
  using Task = absl::AnyInvocable<absl::Status(Impl&) &&>;
  using Completion = absl::AnyInvocable<void(absl::Status) &&>;

  // `reader`: a second, read-only connection for FetchDue, so the relay's
  // reads run on its own thread beside the writer (WAL readers never block it).
  Impl(sqlite3* db, sqlite3* reader, const OutboxOptions& options)
      : db_(db), reader_(reader), options_(options) {
    worker_ = std::thread([this] { Run(); });
  }

  ~Impl() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    worker_.join();
    statements_.clear();
    fetch_due_.reset();
  }

  // Runs `read` on the reader connection with the FetchDue statement.
  template <typename Read>
  absl::Status ReadDue(Read read) {
    absl::MutexLock lock(&reader_mu_);
    if (fetch_due_ == nullptr) {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v3(reader_.get(),
                             "SELECT id, workspace, kind, item_id, user_key, payload, "
                             "payload_version, accepted_ms, attempts FROM outbox WHERE id > ?1 AND "
                             "next_attempt_ms <= ?2 ORDER BY id LIMIT ?3",
                             -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
        return absl::InternalError(
            absl::StrCat("outbox: prepare fetch due: ", sqlite3_errmsg(reader_.get())));
      }
      fetch_due_.reset(raw);
    }
    Statement statement(fetch_due_.get());
    if (!read(statement)) {
      return absl::InternalError(
          absl::StrCat("outbox: fetch due: ", sqlite3_errmsg(reader_.get())));
    }
    return absl::OkStatus();
  }

  // Queues `task` for the next group commit; `done` runs after the commit
  // with the task's status (or the commit's error). Urgent tasks (Accept: a
  // caller waits) commit in a group of their own, ahead of waiting
  // background work (relay reports), so acceptance never waits for it.
  void Submit(Task task, Completion done, bool urgent = false) {
    absl::MutexLock lock(&mu_);
    (urgent ? urgent_tasks_ : tasks_).push_back({std::move(task), std::move(done)});
  }

  // Runs `task` in a group commit and waits for it.
  absl::Status RunSync(Task task) {
    absl::Notification finished;
    absl::Status result;
    Submit(std::move(task), [&](absl::Status status) {
      result = std::move(status);
      finished.Notify();
    });
    finished.WaitForNotification();
    return result;
  }

  Statement Prepare(const char* sql) {
    std::unique_ptr<sqlite3_stmt, StatementDeleter>& statement = statements_[sql];
    if (statement == nullptr) {
      sqlite3_stmt* raw = nullptr;
      sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      statement.reset(raw);
    }
    return Statement(statement.get());
  }

  absl::Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status status = absl::InternalError(absl::StrCat("outbox: ", error ? error : "?"));
      sqlite3_free(error);
      return status;
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InternalError(absl::StrCat("outbox: ", what, ": ", sqlite3_errmsg(db_.get())));
  }

  const OutboxOptions& options() const { return options_; }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_.get()); }
  int Changes() const { return sqlite3_changes(db_.get()); }

 private:
  struct Pending {
    Task task;
    Completion done;
  };

  void Run() {
    while (true) {
      std::deque<Pending> urgent;
      std::deque<Pending> background;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
              return self->stopping_ || !self->tasks_.empty() || !self->urgent_tasks_.empty();
            },
            this));
        if (tasks_.empty() && urgent_tasks_.empty()) return;  // stopping with nothing left
        urgent.swap(urgent_tasks_);
        background.swap(tasks_);
      }
      if (!urgent.empty()) RunGroup(urgent);
      if (!background.empty()) RunGroup(background);
    }
  }

  // Runs `batch` in one transaction, then calls back each task.
  void RunGroup(std::deque<Pending>& batch) {
    std::vector<absl::Status> results;
    results.reserve(batch.size());
    absl::Status commit = Exec("BEGIN IMMEDIATE");
    if (commit.ok()) {
      for (Pending& pending : batch) {
        // A failed task rolls back only its own work.
        Exec("SAVEPOINT task").IgnoreError();
        absl::Status status = std::move(pending.task)(*this);
        Exec(status.ok() ? "RELEASE task" : "ROLLBACK TO task; RELEASE task").IgnoreError();
        results.push_back(std::move(status));
      }
      commit = Exec("COMMIT");
      if (!commit.ok()) Exec("ROLLBACK").IgnoreError();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      std::move(batch[i].done)(commit.ok() ? results[i] : commit);
    }
  }

  std::unique_ptr<sqlite3, DatabaseDeleter> db_;
  absl::Mutex reader_mu_;
  std::unique_ptr<sqlite3, DatabaseDeleter> reader_;
  std::unique_ptr<sqlite3_stmt, StatementDeleter> fetch_due_ ABSL_GUARDED_BY(reader_mu_);
  const OutboxOptions options_;
  absl::flat_hash_map<std::string, std::unique_ptr<sqlite3_stmt, StatementDeleter>> statements_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Pending> tasks_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> urgent_tasks_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

namespace {

// Columns: id, workspace, kind, item_id, reason, braze_response, history,
// accepted_ms, dead_ms, payload_version, payload.
constexpr char kDeadLetterColumns[] =
    "id, workspace, kind, item_id, reason, braze_response, history, accepted_ms, dead_ms, "
    "payload_version, payload";

v1::DeadLetter ReadDeadLetter(const Statement& row) {
  v1::DeadLetter letter;
  letter.set_id(row.Int(0));
  letter.set_workspace(row.Text(1));
  letter.set_kind(static_cast<v1::ItemKind>(row.Int(2)));
  letter.set_item_id(row.Text(3));
  letter.set_reason(row.Text(4));
  letter.set_braze_response(row.Text(5));
  nlohmann::json history = nlohmann::json::parse(row.Text(6), nullptr, false);
  if (history.is_array()) {
    for (const auto& entry : history) {
      v1::DeliveryAttempt* attempt = letter.add_attempts();
      *attempt->mutable_at() = ToTimestamp(entry.value("at_ms", int64_t{0}));
      attempt->set_outcome(entry.value("outcome", std::string()));
    }
  }
  *letter.mutable_accepted_at() = ToTimestamp(row.Int(7));
  *letter.mutable_dead_lettered_at() = ToTimestamp(row.Int(8));
  letter.set_payload_version(static_cast<int>(row.Int(9)));
  absl::StatusOr<std::string> json = PayloadToBrazeJson(
      letter.payload_version(), letter.kind(), row.Text(10), FromMs(row.Int(7)), absl::Now());
  letter.set_braze_json(json.ok() ? *json : std::string(json.status().message()));
  return letter;
}

// Selects dead letters by explicit ids, or all (optionally of a workspace),
// and applies `fn` to each id.
template <typename Fn>
absl::Status ForEachDeadLetter(Outbox::Impl& impl, const std::vector<int64_t>& ids, bool all,
                               const std::string& workspace, Fn fn) {
  std::vector<int64_t> selected = ids;
  if (all) {
    Statement list =
        impl.Prepare("SELECT id FROM dead_letters WHERE (?1 = '' OR workspace = ?1) ORDER BY id");
    list.Bind(1, workspace);
    int step;
    while ((step = list.Step()) == SQLITE_ROW) selected.push_back(list.Int(0));
    if (step != SQLITE_DONE) return impl.Error("list dead letters");
  }
  for (int64_t id : selected) {
    absl::Status status = fn(id);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

enum IdState : int {
  kQueued = v1::DELIVERY_STATE_QUEUED,
  kDelivered = v1::DELIVERY_STATE_DELIVERED,
  kDead = v1::DELIVERY_STATE_DEAD_LETTERED,
};

}  // namespace

absl::StatusOr<std::string> PayloadToBrazeJson(int payload_version, v1::ItemKind kind,
                                               const std::string& payload, absl::Time accepted,
                                               absl::Time now) {
  if (payload_version != kPayloadVersion) {
    return absl::DataLossError(
        absl::StrCat("payload version ", payload_version, " is not supported by this release"));
  }
  const absl::Status unreadable = absl::DataLossError("payload does not parse");
  switch (kind) {
    case v1::ITEM_KIND_ATTRIBUTES: {
      v1::UserProfile profile;
      if (!profile.ParseFromString(payload)) return unreadable;
      return ProfileToBraze(profile).dump();
    }
    case v1::ITEM_KIND_EVENT: {
      v1::Event event;
      if (!event.ParseFromString(payload)) return unreadable;
      return EventToBraze(event, accepted, now).dump();
    }
    case v1::ITEM_KIND_PURCHASE: {
      v1::Purchase purchase;
      if (!purchase.ParseFromString(payload)) return unreadable;
      return PurchaseToBraze(purchase, accepted, now).dump();
    }
    default:
      return absl::DataLossError(absl::StrCat("unknown item kind ", kind));
  }
}

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& directory,
                                                     const OutboxOptions& options) {
  const std::string path = absl::StrCat(directory, "/outbox.sqlite3");
  sqlite3* raw = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, DatabaseDeleter> db(raw);
  if (opened != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat("data_dir: cannot open ", path, ": ",
                                                      raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  const std::string pragmas =
      absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                   options.fsync_every_commit ? "FULL" : "NORMAL", "; PRAGMA foreign_keys=OFF;");
  char* error = nullptr;
  for (const std::string& sql : {pragmas, std::string(kSchema)}) {
    if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      absl::Status status = absl::FailedPreconditionError(
          absl::StrCat("data_dir: cannot initialise ", path, ": ", error ? error : "?"));
      sqlite3_free(error);
      return status;
    }
  }
  // Databases created before `in_doubt` existed get the column (no items
  // were in doubt then).
  sqlite3_stmt* probe = nullptr;
  const bool has_in_doubt = sqlite3_prepare_v2(db.get(), "SELECT in_doubt FROM outbox LIMIT 0", -1,
                                               &probe, nullptr) == SQLITE_OK;
  sqlite3_finalize(probe);
  if (!has_in_doubt &&
      sqlite3_exec(db.get(), "ALTER TABLE outbox ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot upgrade ", path, ": ", sqlite3_errmsg(db.get())));
  }
  const std::string version_sql = absl::StrCat(
      "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '", kSchemaVersion, "')");
  sqlite3_exec(db.get(), version_sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3* reader = nullptr;
  const int reader_opened =
      sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, DatabaseDeleter> reader_db(reader);
  if (reader_opened != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: cannot open ", path,
                     " for reading: ", reader ? sqlite3_errmsg(reader) : "out of memory"));
  }
  sqlite3_busy_timeout(reader, 5000);
  return std::unique_ptr<Outbox>(
      new Outbox(std::make_unique<Impl>(db.release(), reader_db.release(), options)));
}

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

void Outbox::Accept(std::vector<NewOutboxItem> items, AcceptDone done) {
  auto stored = std::make_shared<std::vector<bool>>(items.size(), false);
  impl_->Submit(
      [items = std::move(items), stored](Impl& impl) -> absl::Status {
        const int64_t now = ToMs(absl::Now());
        const int64_t window_start = ToMs(absl::Now() - impl.options().idempotency_window);
        for (size_t i = 0; i < items.size(); ++i) {
          const NewOutboxItem& item = items[i];
          if (!item.item_id.empty()) {
            // Claims the id, or finds it a duplicate (no row changed): a
            // repeat within the window is a duplicate unless it was
            // dead-lettered (the caller may send it again on purpose), and a
            // queued id stays a duplicate however old it is.
            Statement claim = impl.Prepare(
                "INSERT INTO item_ids(workspace, item_id, state, accepted_ms, updated_ms) "
                "VALUES(?1, ?2, ?3, ?4, ?4) ON CONFLICT(workspace, item_id) DO UPDATE SET "
                "state = excluded.state, accepted_ms = excluded.accepted_ms, "
                "updated_ms = excluded.updated_ms, attempts = 0, reason = '', dead_letter_id = 0 "
                "WHERE item_ids.state = ?6 OR (item_ids.updated_ms < ?5 AND item_ids.state != ?3)");
            claim.Bind(1, item.workspace)
                .Bind(2, item.item_id)
                .Bind(3, int64_t{kQueued})
                .Bind(4, now)
                .Bind(5, window_start)
                .Bind(6, int64_t{kDead});
            if (claim.Step() != SQLITE_DONE) return impl.Error("record item id");
            if (impl.Changes() == 0) continue;
          }
          Statement insert = impl.Prepare(
              "INSERT INTO outbox(workspace, kind, item_id, user_key, payload, payload_version, "
              "accepted_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
          insert.Bind(1, item.workspace)
              .Bind(2, static_cast<int64_t>(item.kind))
              .Bind(3, item.item_id)
              .Bind(4, item.user_key)
              .BindBlob(5, item.payload)
              .Bind(6, int64_t{kPayloadVersion})
              .Bind(7, now);
          if (insert.Step() != SQLITE_DONE) return impl.Error("insert");
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

absl::StatusOr<std::vector<OutboxItem>> Outbox::FetchDue(absl::Time now, int64_t after_id,
                                                         size_t limit) {
  std::vector<OutboxItem> items;
  absl::Status status = impl_->ReadDue([&](Statement& select) {
    select.Bind(1, after_id).Bind(2, ToMs(now)).Bind(3, static_cast<int64_t>(limit));
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
      item.accepted = FromMs(select.Int(7));
      item.attempts = static_cast<int>(select.Int(8));
      items.push_back(std::move(item));
    }
    return step == SQLITE_DONE;
  });
  if (!status.ok()) return status;
  return items;
}

namespace {

// Applies `reports` in the current transaction (Report, SettleInDoubt).
absl::Status ApplyReports(Outbox::Impl& impl, const std::vector<DeliveryReport>& reports) {
  const absl::Time now = absl::Now();
  for (const DeliveryReport& report : reports) {
    std::string workspace;
    std::string item_id;
    std::string history;
    int64_t attempts = 0;
    if (report.result == DeliveryReport::Result::kDelivered) {
      // The common case in one statement; a delivered item keeps no history.
      Statement remove =
          impl.Prepare("DELETE FROM outbox WHERE id = ?1 RETURNING workspace, item_id, attempts");
      remove.Bind(1, report.id);
      const int step = remove.Step();
      if (step == SQLITE_DONE) continue;  // already handled
      if (step != SQLITE_ROW) return impl.Error("delete delivered");
      workspace = remove.Text(0);
      item_id = remove.Text(1);
      attempts = remove.Int(2) + 1;
    } else {
      Statement row =
          impl.Prepare("SELECT workspace, item_id, history, attempts FROM outbox WHERE id = ?1");
      row.Bind(1, report.id);
      if (row.Step() != SQLITE_ROW) continue;  // already handled
      workspace = row.Text(0);
      item_id = row.Text(1);
      history = AppendHistory(row.Text(2), now, report.outcome);
      attempts = row.Int(3) + 1;
    }
    int64_t dead_letter_id = 0;
    int state = kQueued;
    std::string reason;
    switch (report.result) {
      case DeliveryReport::Result::kDelivered:
        state = kDelivered;
        break;
      case DeliveryReport::Result::kRetry: {
        Statement update = impl.Prepare(
            "UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_outcome = ?4, "
            "history = ?5, in_doubt = 0 WHERE id = ?1");
        update.Bind(1, report.id)
            .Bind(2, attempts)
            .Bind(3, ToMs(report.retry_at))
            .Bind(4, report.outcome)
            .Bind(5, history);
        if (update.Step() != SQLITE_DONE) return impl.Error("reschedule");
        reason = report.outcome;
        break;
      }
      case DeliveryReport::Result::kDead: {
        Statement move = impl.Prepare(
            "INSERT INTO dead_letters(workspace, kind, item_id, user_key, payload, "
            "payload_version, accepted_ms, dead_ms, attempts, reason, braze_response, "
            "history) "
            "SELECT workspace, kind, item_id, user_key, payload, payload_version, "
            "accepted_ms, "
            "?2, ?3, ?4, ?5, ?6 FROM outbox WHERE id = ?1");
        move.Bind(1, report.id)
            .Bind(2, ToMs(now))
            .Bind(3, attempts)
            .Bind(4, report.reason)
            .Bind(5, report.braze_response)
            .Bind(6, history);
        if (move.Step() != SQLITE_DONE) return impl.Error("dead-letter");
        dead_letter_id = impl.LastInsertId();
        Statement remove = impl.Prepare("DELETE FROM outbox WHERE id = ?1");
        remove.Bind(1, report.id);
        if (remove.Step() != SQLITE_DONE) return impl.Error("delete dead-lettered");
        state = kDead;
        reason = report.reason;
        break;
      }
    }
    if (item_id.empty()) continue;
    Statement record = impl.Prepare(
        "UPDATE item_ids SET state = ?3, updated_ms = ?4, attempts = ?5, reason = ?6, "
        "dead_letter_id = ?7 WHERE workspace = ?1 AND item_id = ?2");
    record.Bind(1, workspace)
        .Bind(2, item_id)
        .Bind(3, int64_t{state})
        .Bind(4, ToMs(now))
        .Bind(5, attempts)
        .Bind(6, reason)
        .Bind(7, dead_letter_id);
    if (record.Step() != SQLITE_DONE) return impl.Error("record outcome");
  }
  return absl::OkStatus();
}

}  // namespace

void Outbox::Report(std::vector<DeliveryReport> reports,
                    absl::AnyInvocable<void(absl::Status) &&> done) {
  impl_->Submit([reports = std::move(reports)](
                    Impl& impl) -> absl::Status { return ApplyReports(impl, reports); },
                std::move(done));
}

void Outbox::MarkInDoubt(std::vector<int64_t> ids, absl::AnyInvocable<void(absl::Status) &&> done) {
  impl_->Submit(
      [ids = std::move(ids)](Impl& impl) -> absl::Status {
        // One statement for the whole request: the ids as a JSON array.
        const std::string id_list = absl::StrCat("[", absl::StrJoin(ids, ","), "]");
        Statement mark = impl.Prepare(
            "UPDATE outbox SET in_doubt = 1 WHERE id IN (SELECT value FROM json_each(?1))");
        mark.Bind(1, id_list);
        return mark.Step() == SQLITE_DONE ? absl::OkStatus() : impl.Error("mark in doubt");
      },
      std::move(done));
}

absl::StatusOr<int> Outbox::SettleInDoubt(bool dead_letter) {
  int settled = 0;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    if (!dead_letter) {  // sent again: they are simply queued items
      Statement clear = impl.Prepare("UPDATE outbox SET in_doubt = 0 WHERE in_doubt = 1");
      if (clear.Step() != SQLITE_DONE) return impl.Error("clear in doubt");
      settled = impl.Changes();
      return absl::OkStatus();
    }
    constexpr char kInDoubt[] = "in doubt: BrazeSync stopped while the item was being sent";
    std::vector<DeliveryReport> reports;
    {
      Statement select = impl.Prepare("SELECT id FROM outbox WHERE in_doubt = 1 ORDER BY id");
      int step;
      while ((step = select.Step()) == SQLITE_ROW) {
        DeliveryReport report;
        report.id = select.Int(0);
        report.result = DeliveryReport::Result::kDead;
        report.outcome = kInDoubt;
        report.reason = absl::StrCat(kInDoubt,
                                     ", so Braze may or may not have it; check Braze before "
                                     "replaying (a replay of an item Braze has counts twice)");
        reports.push_back(std::move(report));
      }
      if (step != SQLITE_DONE) return impl.Error("find items in doubt");
    }
    settled = static_cast<int>(reports.size());
    return ApplyReports(impl, reports);
  });
  if (!status.ok()) return status;
  return settled;
}

absl::StatusOr<int64_t> Outbox::QueuedCount() {
  int64_t count = 0;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    Statement select = impl.Prepare("SELECT COUNT(*) FROM outbox");
    if (select.Step() != SQLITE_ROW) return impl.Error("count");
    count = select.Int(0);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return count;
}

absl::Status Outbox::PruneIds(absl::Time now) {
  return impl_->RunSync([now](Impl& impl) -> absl::Status {
    // Queued ids stay: they still guard against duplicates of live items.
    Statement prune = impl.Prepare("DELETE FROM item_ids WHERE updated_ms < ?1 AND state != ?2");
    prune.Bind(1, ToMs(now - impl.options().idempotency_window)).Bind(2, int64_t{kQueued});
    return prune.Step() == SQLITE_DONE ? absl::OkStatus() : impl.Error("prune");
  });
}

absl::StatusOr<v1::ItemState> Outbox::GetItemStatus(const std::string& workspace,
                                                    const std::string& item_id) {
  v1::ItemState state;
  bool found = false;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    Statement select = impl.Prepare(
        "SELECT state, accepted_ms, updated_ms, attempts, reason, dead_letter_id FROM item_ids "
        "WHERE workspace = ?1 AND item_id = ?2");
    select.Bind(1, workspace).Bind(2, item_id);
    if (select.Step() != SQLITE_ROW) return absl::OkStatus();
    found = true;
    state.set_workspace(workspace);
    state.set_item_id(item_id);
    state.set_state(static_cast<v1::DeliveryState>(select.Int(0)));
    *state.mutable_accepted_at() = ToTimestamp(select.Int(1));
    *state.mutable_updated_at() = ToTimestamp(select.Int(2));
    state.set_attempts(static_cast<int>(select.Int(3)));
    state.set_reason(select.Text(4));
    state.set_dead_letter_id(select.Int(5));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) {
    return absl::NotFoundError(absl::StrCat("item_id: \"", item_id,
                                            "\" was not accepted in workspace \"", workspace,
                                            "\" within the idempotency window"));
  }
  return state;
}

absl::StatusOr<v1::ListDeadLettersResponse> Outbox::ListDeadLetters(const std::string& workspace,
                                                                    int page_size,
                                                                    int64_t after_id) {
  const int64_t limit = page_size <= 0 ? 100 : std::min(page_size, 1000);
  v1::ListDeadLettersResponse response;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    static const std::string sql = absl::StrCat(
        "SELECT ", kDeadLetterColumns,
        " FROM dead_letters WHERE id > ?1 AND (?2 = '' OR workspace = ?2) ORDER BY id LIMIT ?3");
    Statement select = impl.Prepare(sql.c_str());
    select.Bind(1, after_id).Bind(2, workspace).Bind(3, limit + 1);
    int step;
    while ((step = select.Step()) == SQLITE_ROW) {
      if (response.dead_letters_size() == limit) {
        response.set_next_after_id(response.dead_letters(limit - 1).id());
        break;
      }
      *response.add_dead_letters() = ReadDeadLetter(select);
    }
    return step == SQLITE_ROW || step == SQLITE_DONE ? absl::OkStatus() : impl.Error("list");
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::DeadLetter> Outbox::GetDeadLetter(int64_t id) {
  v1::DeadLetter letter;
  bool found = false;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    static const std::string sql =
        absl::StrCat("SELECT ", kDeadLetterColumns, " FROM dead_letters WHERE id = ?1");
    Statement select = impl.Prepare(sql.c_str());
    select.Bind(1, id);
    if (select.Step() == SQLITE_ROW) {
      letter = ReadDeadLetter(select);
      found = true;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("id: no dead letter ", id));
  return letter;
}

absl::StatusOr<v1::ReplayDeadLettersResponse> Outbox::ReplayDeadLetters(
    const std::vector<int64_t>& ids, bool all, const std::string& workspace) {
  v1::ReplayDeadLettersResponse response;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    const int64_t now = ToMs(absl::Now());
    return ForEachDeadLetter(impl, ids, all, workspace, [&](int64_t id) -> absl::Status {
      Statement row = impl.Prepare("SELECT workspace, item_id FROM dead_letters WHERE id = ?1");
      row.Bind(1, id);
      if (row.Step() != SQLITE_ROW) return absl::OkStatus();
      const std::string item_workspace = row.Text(0);
      const std::string item_id = row.Text(1);
      bool delivered_since = false;
      if (!item_id.empty()) {
        Statement seen =
            impl.Prepare("SELECT state FROM item_ids WHERE workspace = ?1 AND item_id = ?2");
        seen.Bind(1, item_workspace).Bind(2, item_id);
        // Delivered since, or queued again (sent anew by the caller, or a
        // second dead letter of the same id already replayed).
        delivered_since =
            seen.Step() == SQLITE_ROW && (seen.Int(0) == kDelivered || seen.Int(0) == kQueued);
      }
      if (!delivered_since) {
        // A fresh retry horizon from now; the payload keeps the event time.
        Statement move = impl.Prepare(
            "INSERT INTO outbox(workspace, kind, item_id, user_key, payload, payload_version, "
            "accepted_ms, history) SELECT workspace, kind, item_id, user_key, payload, "
            "payload_version, ?2, history FROM dead_letters WHERE id = ?1");
        move.Bind(1, id).Bind(2, now);
        if (move.Step() != SQLITE_DONE) return impl.Error("replay");
        if (!item_id.empty()) {
          Statement record = impl.Prepare(
              "UPDATE item_ids SET state = ?3, updated_ms = ?4, reason = '', dead_letter_id = 0 "
              "WHERE workspace = ?1 AND item_id = ?2");
          record.Bind(1, item_workspace).Bind(2, item_id).Bind(3, int64_t{kQueued}).Bind(4, now);
          if (record.Step() != SQLITE_DONE) return impl.Error("record replay");
        }
        response.set_replayed(response.replayed() + 1);
      } else {
        response.set_skipped_delivered(response.skipped_delivered() + 1);
      }
      Statement remove = impl.Prepare("DELETE FROM dead_letters WHERE id = ?1");
      remove.Bind(1, id);
      return remove.Step() == SQLITE_DONE ? absl::OkStatus() : impl.Error("remove replayed");
    });
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::PurgeDeadLettersResponse> Outbox::PurgeDeadLetters(
    const std::vector<int64_t>& ids, bool all, const std::string& workspace) {
  v1::PurgeDeadLettersResponse response;
  absl::Status status = impl_->RunSync([&](Impl& impl) -> absl::Status {
    return ForEachDeadLetter(impl, ids, all, workspace, [&](int64_t id) -> absl::Status {
      Statement remove = impl.Prepare("DELETE FROM dead_letters WHERE id = ?1");
      remove.Bind(1, id);
      if (remove.Step() != SQLITE_DONE) return impl.Error("purge");
      response.set_purged(response.purged() + impl.Changes());
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace brazesync
