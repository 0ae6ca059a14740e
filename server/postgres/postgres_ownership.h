// Partition ownership for cluster mode (partition_ownership.h) on PostgreSQL:
// a replica owns partition p exactly while its owner session holds the
// session-level advisory lock (kOwnershipLockNamespace, p). The session is
// this class's PgWorker, exposed as session() so that the send gate and the
// reports of PostgresOutbox run on the lock-holding session and fence on
// bs_partitions.owner_pid = pg_backend_pid().
//
// Liveness is decided by PostgreSQL, not by replica clocks: the owner
// session runs with idle_session_timeout, a heartbeat transaction keeps it
// busy, and the live members are the bs_members rows whose (backend_pid,
// backend_start) still appear in pg_stat_activity. A SIGKILLed replica's
// session (and its locks) vanish at once; a frozen one's after the idle
// timeout. Each heartbeat assigns partitions by rendezvous hashing over the
// live members, takes the free ones assigned here (bumping the epoch), and
// marks the ones assigned elsewhere as releasing until the relay calls
// Release(). Losing the session loses every partition at once.
//
// Requirements: a direct connection (or a session-mode pooler) for the
// owner session; every replica's role must see the others' sessions in
// pg_stat_activity (same role, or pg_read_all_stats); the schema exists
// (CreateOrUpgradeSchema) with the same partition count.
#ifndef BRAZESYNC_SERVER_POSTGRES_POSTGRES_OWNERSHIP_H_
#define BRAZESYNC_SERVER_POSTGRES_POSTGRES_OWNERSHIP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/durability/partition_ownership.h"
#include "server/postgres/pg_worker.h"

namespace brazesync {

// The first key of every partition's advisory lock (the second is the
// partition): "bsP0".
inline constexpr int32_t kOwnershipLockNamespace = 0x62735030;

struct PostgresOwnershipOptions {
  std::string uri;  // libpq URI of the cluster store (a direct connection)
  // Unique per running replica; empty: DefaultReplicaName().
  std::string replica;
  int partitions = 256;  // as stored in bs_meta
  // PostgreSQL ends the owner session after this long without a statement,
  // so a frozen replica loses its partitions (--cluster_owner_idle_timeout_ms).
  absl::Duration owner_idle_timeout = absl::Seconds(15);
  // How often the heartbeat transaction runs and ownership is rebalanced;
  // must be well below owner_idle_timeout.
  absl::Duration heartbeat_interval = absl::Seconds(1);
  // Pause after a failed connection attempt.
  absl::Duration reconnect_delay = absl::Milliseconds(200);
};

// hostname-pid: unique per process on a host.
std::string DefaultReplicaName();

// The rendezvous weight of `replica` for `partition` (64-bit FNV-1a over the
// replica name and the partition, then a 64-bit finaliser so that similar
// names spread evenly). Stable across builds: every replica must compute the
// same assignment.
uint64_t RendezvousWeight(absl::string_view replica, int partition);

class PostgresOwnership final : public PartitionOwnership {
 public:
  // Checks the options and starts the heartbeat (the first runs at once;
  // connecting happens there, so an unreachable PostgreSQL is not an error
  // here: the replica simply owns nothing until it is reachable).
  static absl::StatusOr<std::unique_ptr<PostgresOwnership>> Create(
      PostgresOwnershipOptions options);
  // Stops the heartbeat, unlocks every partition, clears their owner fields
  // and deletes this replica's bs_members row, so a rolling update does not
  // leave partitions waiting for the idle timeout. Users of session() must
  // be gone.
  ~PostgresOwnership() override;
  PostgresOwnership(const PostgresOwnership&) = delete;
  PostgresOwnership& operator=(const PostgresOwnership&) = delete;

  std::vector<OwnedPartition> Owned() override;
  // Unlocks `partition` on the session (asynchronously) and stops reporting
  // it at once. Not-owned partitions are ignored.
  void Release(int partition) override;

  // The owner session: writes that must be fenced by ownership run here.
  PgWorker& session() { return *session_; }
  const std::string& replica() const { return options_.replica; }
  // Live members at the last heartbeat (0 before the first).
  int live_members() const;
  // Heartbeat rounds completed (successfully or not).
  int64_t heartbeats() const;

  // Test hook: while paused no heartbeat is submitted, as if the process
  // were frozen (the session then idles into owner_idle_timeout).
  void PauseHeartbeatsForTesting(bool paused);

 private:
  // What one heartbeat decided; applied after its transaction committed.
  struct Round {
    std::vector<OwnedPartition> acquired;
    std::vector<int> lost;        // owned here but no longer locked
    std::vector<int> to_release;  // owned here, assigned elsewhere
    std::vector<int> to_keep;     // owned here and assigned here again
    int live_members = 0;
  };

  explicit PostgresOwnership(PostgresOwnershipOptions options);

  absl::Status OnConnect(PgConnection& connection);
  void OnDisconnect();
  absl::Status RegisterMember(PgConnection& connection);
  // The heartbeat transaction (on the session); fills `round`.
  absl::Status HeartbeatTask(PgConnection& connection, Round* round);
  void ApplyRound(const Round& round);
  void HeartbeatLoop();
  absl::Status ShutdownTask(PgConnection& connection);

  const PostgresOwnershipOptions options_;
  const absl::Time started_at_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int, OwnedPartition> owned_ ABSL_GUARDED_BY(mu_);
  // Released by the relay, unlock not yet run: neither taken again nor
  // unlocked as stale by a heartbeat meanwhile.
  absl::flat_hash_set<int> pending_release_ ABSL_GUARDED_BY(mu_);
  int live_members_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t heartbeats_ ABSL_GUARDED_BY(mu_) = 0;
  bool heartbeat_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::unique_ptr<PgWorker> session_;
  std::thread heartbeat_thread_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_POSTGRES_OWNERSHIP_H_
