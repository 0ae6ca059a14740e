// SQLite plumbing for the durable stores: RAII handles, prepared statements
// and the group-commit worker. Knows nothing of any schema; the outbox
// (outbox.h) and the dead-letter store (dead_letter_store.h) bring their SQL.
//
// A Database is one SQLite file with two connections:
//   - the writer, used only by one worker thread. Work is queued as tasks;
//     the worker runs whatever is waiting in one transaction (group commit),
//     each task inside its own savepoint, so a failing task undoes only its
//     own writes and many concurrent callers share one commit.
//   - a read-only reader, for reads that must not wait behind the writer's
//     queue (in WAL mode readers never block the writer or each other).
// Every statement error is returned as a status naming the statement; none
// is dropped.
#ifndef BRAZESYNC_SERVER_DURABILITY_SQLITE_DB_H_
#define BRAZESYNC_SERVER_DURABILITY_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace brazesync {

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
struct ConnectionDeleter {
  void operator()(sqlite3* connection) const { sqlite3_close_v2(connection); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementDeleter>;
using ConnectionHandle = std::unique_ptr<sqlite3, ConnectionDeleter>;

// One use of a prepared statement owned by the Database's cache: it is reset
// and its bindings cleared when this goes out of scope, ready for the next
// use. Move-only. Bind/column indexes follow SQLite (binds from 1, columns
// from 0).
class Statement final {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  Statement(Statement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  // Strings are bound without a copy (SQLITE_STATIC): the value must outlive
  // the statement's use, so temporaries are refused at compile time.
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, std::string&& value) = delete;
  Statement& BindBlob(int index, const std::string& value);
  Statement& BindBlob(int index, std::string&& value) = delete;

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step();
  int64_t Int(int column) const;
  // TEXT or BLOB column as bytes ("" for NULL).
  std::string Text(int column) const;
  // The column's size in bytes, without copying it.
  int64_t Bytes(int column) const;

 private:
  sqlite3_stmt* statement_;
};

struct DatabaseOptions {
  // Prefix of every error message, e.g. "outbox" -> "outbox: insert: ...".
  std::string label = "database";
  // true: synchronous=FULL (an fsync per commit: survives power loss);
  // false: synchronous=NORMAL (WAL: survives a killed process).
  bool fsync_every_commit = false;
};

class Database final {
 public:
  // A unit of work run on the worker thread inside the current transaction.
  using Task = absl::AnyInvocable<absl::Status(Database&) &&>;
  using Completion = absl::AnyInvocable<void(absl::Status) &&>;

  // Opens (creating if needed) the file at `path` in WAL mode, runs `setup`
  // (e.g. schema creation and migration) on the writer before any task, then
  // starts the worker. Fails FAILED_PRECONDITION, naming `path`, when the
  // file cannot be opened or set up (`setup`'s error is returned as is).
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, const DatabaseOptions& options,
      absl::FunctionRef<absl::Status(Database&)> setup);
  // Runs every queued task, then stops the worker and closes the file.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Queues `task` for the next group commit; `done` runs on the worker after
  // the commit with the task's status (or the commit's error). Urgent tasks
  // (a caller is waiting) commit in a group of their own, ahead of waiting
  // background work, so they never wait for it.
  void Submit(Task task, Completion done, bool urgent = false);
  // Runs `task` in a group commit and waits for its status.
  absl::Status RunSync(Task task);

  // Runs `read` with the reader connection's statement for `sql` (prepared
  // once). `read` returns false when a step failed; then the result is an
  // error naming `what`. Reads are serialised with each other, never with
  // the writer. Any thread.
  absl::Status Read(const char* sql, absl::string_view what,
                    absl::FunctionRef<bool(Statement&)> read);

  // --- For tasks and `setup` only (the writer connection). ---

  // The prepared statement for `sql`, prepared on first use and cached by
  // its text (SQLITE_PREPARE_PERSISTENT): build SQL once, not per call.
  absl::StatusOr<Statement> Prepare(const char* sql);
  // Runs `sql` (one or more statements) without results.
  absl::Status Exec(absl::string_view sql);
  // An INTERNAL error "<label>: <what>: <SQLite's last error>".
  absl::Status Error(absl::string_view what) const;
  int64_t LastInsertId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int Changes() const;

 private:
  struct Pending {
    Task task;
    Completion done;
  };

  Database(ConnectionHandle writer, ConnectionHandle reader, const DatabaseOptions& options);
  void Start();
  void Run();
  // Runs `batch` in one transaction, then calls back each task.
  void RunGroup(std::deque<Pending>& batch);

  const DatabaseOptions options_;
  ConnectionHandle writer_;
  absl::flat_hash_map<std::string, StatementHandle> statements_;  // worker only
  absl::Mutex reader_mu_;
  ConnectionHandle reader_ ABSL_GUARDED_BY(reader_mu_);
  absl::flat_hash_map<std::string, StatementHandle> reader_statements_ ABSL_GUARDED_BY(reader_mu_);
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Pending> tasks_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> urgent_tasks_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_SQLITE_DB_H_
