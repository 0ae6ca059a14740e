// One PostgreSQL session driven by one thread: tasks queued from any thread
// run on it in order, and whatever is waiting runs in one transaction (group
// commit), so many concurrent callers cost one commit. The PostgreSQL
// counterpart of the SQLite commit worker (server/durability/sqlite_db.h).
//
// A group whose transaction fails is rolled back and its tasks run again one
// per transaction, so one failing task fails only itself (no savepoints on
// the common path). A task may therefore run twice, its first run rolled
// back: it must set, not accumulate, what it hands back. A lost session fails the tasks waiting for
// it with UNAVAILABLE; the next task reconnects (after `on_connect` runs again). Every task and
// completion runs on the worker thread; completions must not block on the worker.
#ifndef BRAZESYNC_SERVER_POSTGRES_PG_WORKER_H_
#define BRAZESYNC_SERVER_POSTGRES_PG_WORKER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/postgres/pg_connection.h"

namespace brazesync {

struct PgWorkerOptions {
  std::string uri;              // libpq URI; the password comes from PGPASSWORD/PGPASSFILE
  std::string label = "store";  // prefix of every error message
  // Runs on every new session before any task (e.g. SET statements); an
  // error drops the session.
  absl::AnyInvocable<absl::Status(PgConnection&)> on_connect;
  // Told, on the worker thread, that the session ended (lost or replaced):
  // whatever it held (advisory locks) is gone.
  absl::AnyInvocable<void()> on_disconnect;
  // Most tasks in one transaction.
  size_t max_group = 512;
  // Pause after a failed connection attempt before the next one.
  absl::Duration reconnect_delay = absl::Milliseconds(200);
};

class PgWorker final {
 public:
  using Task = absl::AnyInvocable<absl::Status(PgConnection&)>;
  using Completion = absl::AnyInvocable<void(absl::Status) &&>;

  explicit PgWorker(PgWorkerOptions options);
  // Runs what is queued (or fails it UNAVAILABLE when there is no session),
  // then closes the session.
  ~PgWorker();
  PgWorker(const PgWorker&) = delete;
  PgWorker& operator=(const PgWorker&) = delete;

  // Queues `task`; `done` runs after its transaction committed (with OK) or
  // with the task's or the commit's error. Urgent tasks (a caller waits) go
  // ahead of background work.
  void Submit(Task task, Completion done, bool urgent = false);
  // Runs `task` in a transaction and waits for the outcome.
  absl::Status RunSync(Task task);

  // Connects now if there is no session (the worker otherwise connects on
  // the first task); the outcome of the attempt.
  absl::Status Connect();
  // The backend pid of the current session, 0 when there is none.
  int backend_pid() const;

 private:
  struct Pending {
    Task task;
    Completion done;
  };

  void Run();
  void RunGroup(std::deque<Pending>& group);
  // Runs `tasks` in one transaction; the first error (rolled back) or OK.
  absl::Status RunInTransaction(std::deque<Pending>& group, size_t first, size_t count);
  // Ensures a session; on failure the status to fail tasks with.
  absl::Status EnsureSession();
  void DropSession();

  PgWorkerOptions options_;
  std::unique_ptr<PgConnection> connection_;  // worker thread only
  absl::Time next_connect_ = absl::InfinitePast();
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int backend_pid_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Pending> tasks_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> urgent_tasks_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_PG_WORKER_H_
