// SQLite plumbing for the durable stores: handles, statements, group commit.
#include "server/durability/sqlite_db.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace brazesync {
namespace {

// How long a connection waits for a lock held by another connection (the
// reader while a checkpoint runs, or a second process by mistake).
constexpr int kBusyTimeoutMs = 5000;
// How much of a statement's SQL an error message quotes.
constexpr size_t kQuotedSqlChars = 60;

std::string ConnectionError(sqlite3* connection) {
  return connection == nullptr ? "out of memory" : sqlite3_errmsg(connection);
}

}  // namespace

// --- Statement ---------------------------------------------------------------

Statement::~Statement() {
  if (statement_ == nullptr) return;  // moved from
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, const std::string& value) {
  sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::BindBlob(int index, const std::string& value) {
  sqlite3_bind_blob(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}

int Statement::Step() { return sqlite3_step(statement_); }

int64_t Statement::Int(int column) const { return sqlite3_column_int64(statement_, column); }

std::string Statement::Text(int column) const {
  const void* data = sqlite3_column_blob(statement_, column);
  return data == nullptr ? ""
                         : std::string(static_cast<const char*>(data),
                                       sqlite3_column_bytes(statement_, column));
}

int64_t Statement::Bytes(int column) const { return sqlite3_column_bytes(statement_, column); }

// --- Database ----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, const DatabaseOptions& options,
    absl::FunctionRef<absl::Status(Database&)> setup) {
  sqlite3* raw = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  ConnectionHandle writer(raw);
  if (opened != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", ConnectionError(raw)));
  }
  sqlite3_busy_timeout(writer.get(), kBusyTimeoutMs);
  const std::string pragmas =
      absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                   options.fsync_every_commit ? "FULL" : "NORMAL", "; PRAGMA foreign_keys=OFF;");
  char* error = nullptr;
  if (sqlite3_exec(writer.get(), pragmas.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = absl::FailedPreconditionError(
        absl::StrCat("cannot initialise ", path, ": ", error ? error : "?"));
    sqlite3_free(error);
    return status;
  }
  // The reader is opened after `setup`, so it sees a file that has its schema.
  std::unique_ptr<Database> db(new Database(std::move(writer), nullptr, options));
  absl::Status set_up = setup(*db);
  if (!set_up.ok()) return set_up;

  sqlite3* reader = nullptr;
  const int reader_opened =
      sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  ConnectionHandle reader_handle(reader);
  if (reader_opened != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, " for reading: ", ConnectionError(reader)));
  }
  sqlite3_busy_timeout(reader, kBusyTimeoutMs);
  {
    absl::MutexLock lock(&db->reader_mu_);
    db->reader_ = std::move(reader_handle);
  }
  db->Start();
  return db;
}

Database::Database(ConnectionHandle writer, ConnectionHandle reader, const DatabaseOptions& options)
    : options_(options), writer_(std::move(writer)), reader_(std::move(reader)) {}

Database::~Database() {
  if (worker_.joinable()) {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    worker_.join();
  }
  // Statements are finalized before their connections close.
  statements_.clear();
  absl::MutexLock lock(&reader_mu_);
  reader_statements_.clear();
}

void Database::Start() {
  worker_ = std::thread([this] { Run(); });
}

void Database::Submit(Task task, Completion done, bool urgent) {
  absl::MutexLock lock(&mu_);
  (urgent ? urgent_tasks_ : tasks_).push_back({std::move(task), std::move(done)});
}

absl::Status Database::RunSync(Task task) {
  absl::Notification finished;
  absl::Status result;
  Submit(std::move(task), [&](absl::Status status) {
    result = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

absl::Status Database::Read(const char* sql, absl::string_view what,
                            absl::FunctionRef<bool(Statement&)> read) {
  absl::MutexLock lock(&reader_mu_);
  auto cached = reader_statements_.find(absl::string_view(sql));
  if (cached == reader_statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(reader_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
        SQLITE_OK) {
      return absl::InternalError(
          absl::StrCat(options_.label, ": prepare ", what, ": ", sqlite3_errmsg(reader_.get())));
    }
    cached = reader_statements_.emplace(sql, StatementHandle(raw)).first;
  }
  Statement statement(cached->second.get());
  if (!read(statement)) {
    return absl::InternalError(
        absl::StrCat(options_.label, ": ", what, ": ", sqlite3_errmsg(reader_.get())));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Database::Prepare(const char* sql) {
  // Looked up by the text without copying it: Prepare runs per row written.
  auto cached = statements_.find(absl::string_view(sql));
  if (cached == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(writer_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
        SQLITE_OK) {
      // Not cached: the next use tries again and reports its own error.
      const absl::string_view text(sql);
      return Error(absl::StrCat("prepare \"", text.substr(0, kQuotedSqlChars),
                                text.size() > kQuotedSqlChars ? "...\"" : "\""));
    }
    cached = statements_.emplace(sql, StatementHandle(raw)).first;
  }
  return Statement(cached->second.get());
}

absl::Status Database::Exec(absl::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  if (sqlite3_exec(writer_.get(), text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status =
        absl::InternalError(absl::StrCat(options_.label, ": ", error ? error : "?"));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::Status Database::Error(absl::string_view what) const {
  return absl::InternalError(
      absl::StrCat(options_.label, ": ", what, ": ", sqlite3_errmsg(writer_.get())));
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(writer_.get()); }

int Database::Changes() const { return sqlite3_changes(writer_.get()); }

void Database::Run() {
  while (true) {
    std::deque<Pending> urgent;
    std::deque<Pending> background;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Database* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
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

void Database::RunGroup(std::deque<Pending>& batch) {
  std::vector<absl::Status> results;
  results.reserve(batch.size());
  absl::Status commit = Exec("BEGIN IMMEDIATE");
  if (commit.ok()) {
    for (Pending& pending : batch) {
      // A failed task rolls back only its own work. Should the savepoint
      // itself fail, the task's error (or the COMMIT's) still reaches it.
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

}  // namespace brazesync
