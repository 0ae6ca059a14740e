// One PostgreSQL session driven by one thread, with group commit.
#include "server/postgres/pg_worker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace brazesync {

PgWorker::PgWorker(PgWorkerOptions options)
    : options_(std::move(options)), worker_([this] { Run(); }) {}

PgWorker::~PgWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void PgWorker::Submit(Task task, Completion done, bool urgent) {
  absl::MutexLock lock(&mu_);
  (urgent ? urgent_tasks_ : tasks_).push_back(Pending{std::move(task), std::move(done)});
}

absl::Status PgWorker::RunSync(Task task) {
  absl::Notification finished;
  absl::Status outcome;
  Submit(
      std::move(task),
      [&](absl::Status status) {
        outcome = std::move(status);
        finished.Notify();
      },
      /*urgent=*/true);
  finished.WaitForNotification();
  return outcome;
}

absl::Status PgWorker::Connect() {
  return RunSync([](PgConnection&) { return absl::OkStatus(); });
}

int PgWorker::backend_pid() const {
  absl::MutexLock lock(&mu_);
  return backend_pid_;
}

void PgWorker::Run() {
  while (true) {
    std::deque<Pending> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](PgWorker* worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(worker->mu_) {
            return worker->stopping_ || !worker->tasks_.empty() || !worker->urgent_tasks_.empty();
          },
          this));
      std::deque<Pending>& source = !urgent_tasks_.empty() ? urgent_tasks_ : tasks_;
      if (source.empty()) break;  // stopping, nothing left
      while (!source.empty() && group.size() < options_.max_group) {
        group.push_back(std::move(source.front()));
        source.pop_front();
      }
    }
    RunGroup(group);
  }
  DropSession();
}

absl::Status PgWorker::EnsureSession() {
  if (connection_ != nullptr && connection_->healthy()) return absl::OkStatus();
  if (connection_ != nullptr) DropSession();
  const absl::Time now = absl::Now();
  if (now < next_connect_) {
    return absl::UnavailableError(
        absl::StrCat(options_.label, ": PostgreSQL is unreachable (reconnecting)"));
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> connected =
      PgConnection::Connect(options_.uri, options_.label);
  if (connected.ok() && options_.on_connect) {
    absl::Status setup = options_.on_connect(**connected);
    if (!setup.ok()) connected = setup;
  }
  if (!connected.ok()) {
    next_connect_ = now + options_.reconnect_delay;
    return connected.status();
  }
  connection_ = *std::move(connected);
  absl::MutexLock lock(&mu_);
  backend_pid_ = connection_->backend_pid();
  return absl::OkStatus();
}

void PgWorker::DropSession() {
  if (connection_ == nullptr) return;
  connection_.reset();
  {
    absl::MutexLock lock(&mu_);
    backend_pid_ = 0;
  }
  if (options_.on_disconnect) options_.on_disconnect();
}

absl::Status PgWorker::RunInTransaction(std::deque<Pending>& group, size_t first, size_t count) {
  absl::Status status = connection_->Run("begin", "BEGIN");
  for (size_t i = first; status.ok() && i < first + count; ++i) {
    status = group[i].task(*connection_);
  }
  if (status.ok()) return connection_->Run("commit", "COMMIT");
  if (connection_->healthy()) connection_->Run("rollback", "ROLLBACK").IgnoreError();
  return status;
}

void PgWorker::RunGroup(std::deque<Pending>& group) {
  absl::Status session = EnsureSession();
  if (!session.ok()) {
    for (Pending& pending : group) std::move(pending.done)(session);
    return;
  }
  absl::Status together = RunInTransaction(group, 0, group.size());
  if (together.ok() || group.size() == 1 || !connection_->healthy()) {
    if (!connection_->healthy()) DropSession();
    for (Pending& pending : group) std::move(pending.done)(together);
    return;
  }
  // One task (or more) failed: each alone, so only those fail.
  for (size_t i = 0; i < group.size(); ++i) {
    absl::Status alone =
        connection_ != nullptr && connection_->healthy()
            ? RunInTransaction(group, i, 1)
            : absl::UnavailableError(absl::StrCat(options_.label, ": the session was lost"));
    if (connection_ != nullptr && !connection_->healthy()) DropSession();
    std::move(group[i].done)(std::move(alone));
  }
}

}  // namespace brazesync
