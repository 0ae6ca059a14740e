// Cluster mode's recent writes (durability/recent_writes.h): every replica's
// Track writes shared through bs_recent_writes, so a lookup on one replica
// overlays a write another replica accepted.
//
// Reads are local: a MemoryRecentWrites holds this replica's writes and the
// others' as they arrive. Record stores locally at once (listeners fire) and
// queues a row; the writer thread inserts the queue in batches (one unnest
// INSERT per batch, synchronous_commit off: the rows are soft state). The
// poller thread reads rows of other replicas every poll_interval and records
// them locally (listeners fire for them too). Forget is shared as a row with
// an empty `array` (a tombstone), which the other replicas apply as Forget.
//
// Row ids come from a sequence, and a transaction may commit after one with
// a higher id was read: the poller remembers the ids skipped over for
// gap_wait and reads them again, so a late commit is not lost.
//
// PostgreSQL unreachable: lookups keep seeing this replica's writes; rows
// wait in a bounded queue (the oldest dropped beyond max_queued) and the
// threads reconnect every reconnect_delay. Record never waits for I/O.
// on_status tells the owner (who logs: postgres/ does not) when sharing
// stops working and when it works again.
//
// Thread-safe. Text cannot hold a NUL byte, which alias keys contain: the
// user_key column holds the key with '\' doubled and NUL written as "\0".
#ifndef BRAZESYNC_SERVER_POSTGRES_POSTGRES_RECENT_WRITES_H_
#define BRAZESYNC_SERVER_POSTGRES_POSTGRES_RECENT_WRITES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/durability/memory_recent_writes.h"
#include "server/durability/recent_writes.h"
#include "server/postgres/pg_connection.h"

namespace brazesync {

struct PostgresRecentWritesOptions {
  std::string uri;  // libpq URI of the cluster store (schema already created)
  // This replica's name (bs_recent_writes.replica): unique in the cluster.
  std::string replica;
  // The local store's retention and size cap (MemoryRecentWrites); rows
  // older than retention are purged from the table.
  absl::Duration retention = absl::Minutes(2);
  size_t max_writes = 200'000;
  // How often other replicas' rows are read.
  absl::Duration poll_interval = absl::Milliseconds(50);
  // Most rows per INSERT and per poll.
  size_t max_batch = 2'000;
  // Rows waiting for PostgreSQL beyond this drop the oldest.
  size_t max_queued = 100'000;
  // How long an id skipped by the poller is looked for again.
  absl::Duration gap_wait = absl::Seconds(5);
  absl::Duration purge_interval = absl::Seconds(30);
  absl::Duration reconnect_delay = absl::Milliseconds(200);
  // Called on a background thread when sharing starts failing (the error)
  // and when it works again (OK). Never holds personal data.
  std::function<void(const absl::Status&)> on_status;
};

// Counters for metrics and tests (lock-free reads).
struct PostgresRecentWritesStats {
  std::atomic<int64_t> rows_inserted{0};
  std::atomic<int64_t> rows_received{0};  // other replicas' rows recorded
  std::atomic<int64_t> rows_dropped{0};   // queue over max_queued, or unstorable
  std::atomic<int64_t> failures{0};       // statements failed
  std::atomic<bool> degraded{false};      // the last statement failed
};

class PostgresRecentWrites final : public RecentWrites {
 public:
  // Starts the writer and poller threads; connects on them (an unreachable
  // PostgreSQL is not an error here).
  explicit PostgresRecentWrites(PostgresRecentWritesOptions options);
  // Inserts what is queued when connected, then stops the threads.
  ~PostgresRecentWrites() override;
  PostgresRecentWrites(const PostgresRecentWrites&) = delete;
  PostgresRecentWrites& operator=(const PostgresRecentWrites&) = delete;

  void Record(const std::string& workspace, std::vector<RecentWrite> writes) override;
  std::vector<RecentWrite> Find(const std::string& workspace,
                                const std::vector<std::string>& user_keys,
                                absl::Time since) const override;
  void Forget(const std::string& workspace, const std::vector<std::string>& user_keys) override;
  void Subscribe(Listener listener) override;

  const PostgresRecentWritesStats& stats() const { return stats_; }

 private:
  // Which thread a statement ran on (each has its own session).
  enum Loop { kWriter = 0, kPoller = 1 };
  // One row to insert; an empty `array` is a Forget tombstone.
  struct Row {
    std::string workspace;
    RecentWrite write;
  };

  void Enqueue(std::vector<Row> rows) ABSL_LOCKS_EXCLUDED(mu_);
  void WriterLoop();
  void PollerLoop();
  // Inserts `rows` in one statement.
  absl::Status Insert(PgConnection& connection, const std::vector<Row>& rows);
  absl::Status Purge(PgConnection& connection);
  // Reads the rows after the cursor (and the gaps) and records the other
  // replicas' locally; whether a full batch came back (read again at once).
  absl::StatusOr<bool> Poll(PgConnection& connection);
  // A session for `loop` (null while PostgreSQL is unreachable).
  std::unique_ptr<PgConnection> Connect(Loop loop);
  // Counts a failed statement and reports the transition to failing.
  void Failed(Loop loop, const absl::Status& status);
  // Reports the transition back to working (both loops' last statement ok).
  void Succeeded(Loop loop);
  // Waits until `deadline`, stop, or (with `wake_on_rows`) queued rows;
  // whether to stop.
  bool WaitUntil(absl::Time deadline, bool wake_on_rows) ABSL_LOCKS_EXCLUDED(mu_);

  const PostgresRecentWritesOptions options_;
  MemoryRecentWrites local_;
  PostgresRecentWritesStats stats_;

  absl::Mutex mu_;
  std::deque<Row> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Poller thread only.
  const std::string poll_sql_;
  int64_t cursor_ = 0;
  bool cursor_set_ = false;
  absl::flat_hash_map<int64_t, absl::Time> gaps_;  // id -> looked for until

  absl::Mutex status_mu_;
  bool failing_[2] ABSL_GUARDED_BY(status_mu_) = {false, false};

  std::thread writer_;
  std::thread poller_;
};

// The user_key column's text for `key` (NUL-free), and back.
std::string EncodeRecentWriteKey(const std::string& key);
std::string DecodeRecentWriteKey(const std::string& text);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_POSTGRES_RECENT_WRITES_H_
