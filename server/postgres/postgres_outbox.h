// The cluster store's outbox (outbox_store.h) on PostgreSQL: one database
// shared by every replica (cluster mode). Acceptance and the idempotency
// record work from any replica; each partition is delivered by its owner
// replica, and the send gate (MarkInDoubt) and SettleInDoubt run on the
// owner session, the session holding the partitions' advisory locks, so
// that a displaced owner can neither send nor settle (fencing by
// bs_partitions.owner_pid = pg_backend_pid()).
//
// Three sessions:
//   - writer: acceptance and delivery reports, group-committed (pg_worker.h);
//     the items of every Accept call waiting for it go into ONE statement;
//   - reader: FetchDue, beside the writer so fetching never waits for a
//     commit;
//   - owner session (not owned): the ownership component's session.
//
// Times are the database's (now()): every replica sees one clock. FetchDue
// therefore ignores its `now`, except absl::InfiniteFuture(), which counts
// everything as due. When PostgreSQL cannot be reached, calls fail
// UNAVAILABLE and nothing is kept locally.
#ifndef BRAZESYNC_SERVER_POSTGRES_POSTGRES_OUTBOX_H_
#define BRAZESYNC_SERVER_POSTGRES_POSTGRES_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/durability/outbox_store.h"
#include "server/postgres/pg_worker.h"

namespace brazesync {

class PostgresOutbox final : public OutboxStore {
 public:
  // `writer` and `reader` are sessions of this outbox's own (owned);
  // `owner_session` is the ownership component's session, which must
  // outlive the outbox. `partitions` is the cluster's partition count
  // (bs_meta; the schema is created beforehand by CreateOrUpgradeSchema).
  PostgresOutbox(std::unique_ptr<PgWorker> writer, std::unique_ptr<PgWorker> reader,
                 PgWorker* owner_session, const OutboxOptions& options, int partitions);
  // Runs the queued accepts and reports first (their callbacks run).
  ~PostgresOutbox() override;
  PostgresOutbox(const PostgresOutbox&) = delete;
  PostgresOutbox& operator=(const PostgresOutbox&) = delete;

  // OutboxStore. Accept: INVALID_ARGUMENT (naming the field) for text with a
  // NUL byte, which PostgreSQL cannot store.
  void Accept(std::vector<NewOutboxItem> items, AcceptDone done) override;
  absl::StatusOr<std::vector<OutboxItem>> FetchDue(int partition, absl::Time now, int64_t after_id,
                                                   size_t limit) override;
  void Report(std::vector<DeliveryReport> reports, Completion done) override;
  // FAILED_PRECONDITION (marking nothing) unless the owner session owns the
  // partition of every item in `ids` and every item is still in the outbox.
  void MarkInDoubt(std::vector<int64_t> ids, Completion done) override;
  // Settles the items marked in an earlier epoch of `partition` than the
  // current one; FAILED_PRECONDITION unless the owner session owns it.
  absl::StatusOr<int> SettleInDoubt(int partition, bool dead_letter) override;
  absl::Status PruneIds(absl::Time now) override;

  // The writer session, for stores that share it (PostgresDeadLetterStore).
  // Lives as long as the outbox.
  PgWorker& writer() { return *writer_; }

 private:
  struct PendingAccept {
    std::vector<NewOutboxItem> items;
    AcceptDone done;
  };
  struct AcceptBatch;

  // Queues the task that stores `batch`: the Accept calls waiting when it
  // runs (coalescing), or those already in it.
  void SubmitAcceptBatch(std::shared_ptr<AcceptBatch> batch);
  // Moves the waiting calls into `batch`, once.
  void TakeWaitingAccepts(AcceptBatch& batch) ABSL_LOCKS_EXCLUDED(accept_mu_);
  absl::Status CheckPartition(int partition) const;

  const OutboxOptions options_;
  const int partitions_;
  PgWorker* const owner_session_;

  // Declared before the workers: their destructors run queued tasks, which
  // use these.
  absl::Mutex accept_mu_;
  std::vector<PendingAccept> pending_accepts_ ABSL_GUARDED_BY(accept_mu_);
  bool batch_queued_ ABSL_GUARDED_BY(accept_mu_) = false;

  std::unique_ptr<PgWorker> writer_;
  std::unique_ptr<PgWorker> reader_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_POSTGRES_OUTBOX_H_
