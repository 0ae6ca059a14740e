// Partition ownership by session advisory locks, liveness by PostgreSQL.
#include "server/postgres/postgres_ownership.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brazesync {
namespace {

// This replica's row, keyed by its current session: (pid, backend_start)
// identify a session for as long as it lives, and PostgreSQL forgets it the
// moment it ends.
constexpr char kUpsertMember[] = R"sql(
INSERT INTO bs_members(replica, backend_pid, backend_start, heartbeat_at, started_at)
SELECT $1, a.pid, a.backend_start, now(), to_timestamp($2::double precision)
FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()
ON CONFLICT (replica) DO UPDATE SET backend_pid = EXCLUDED.backend_pid,
  backend_start = EXCLUDED.backend_start, heartbeat_at = EXCLUDED.heartbeat_at)sql";

// pg_stat_activity is read once per transaction and cached: clearing the
// cache right before each statement that joins it makes the activity newer
// than the rows the statement sees, so a member that just registered is
// never taken for dead.
constexpr char kClearActivity[] = "SELECT pg_stat_clear_snapshot()";

constexpr char kDeleteDeadMembers[] = R"sql(
DELETE FROM bs_members m WHERE NOT EXISTS (
  SELECT 1 FROM pg_stat_activity a
  WHERE a.pid = m.backend_pid AND a.backend_start = m.backend_start))sql";

constexpr char kLiveMembers[] = R"sql(
SELECT m.replica FROM bs_members m
JOIN pg_stat_activity a ON a.pid = m.backend_pid AND a.backend_start = m.backend_start)sql";

// The partition locks this session holds (advisory locks are per database).
constexpr char kHeldLocks[] = R"sql(
SELECT objid::bigint FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1::bigint::oid
  AND objsubid = 2 AND granted)sql";

constexpr char kTryLock[] =
    "SELECT p FROM unnest($2::int[]) AS p WHERE pg_try_advisory_lock($1::int, p)";

constexpr char kTakeOver[] = R"sql(
UPDATE bs_partitions SET owner = $1, owner_pid = pg_backend_pid(), epoch = epoch + 1,
  acquired_at = now()
WHERE part = ANY($2::int[]) RETURNING part, epoch)sql";

constexpr char kUnlock[] = "SELECT pg_advisory_unlock($1::int, p) FROM unnest($2::int[]) AS p";

constexpr char kClearOwner[] = R"sql(
UPDATE bs_partitions SET owner = '', owner_pid = 0
WHERE part = ANY($1::int[]) AND owner_pid = pg_backend_pid())sql";

// Keeps owner_pid exact for the send gate's fence: a row whose recorded
// session no longer holds the partition's lock (it ended, or let go without
// clearing the row) names nobody, so that a later session reusing the pid
// cannot pass the gate.
constexpr char kClearStaleOwners[] = R"sql(
WITH held AS MATERIALIZED (
  SELECT objid::bigint::int AS part, pid FROM pg_locks
  WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND objsubid = 2 AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
UPDATE bs_partitions p SET owner = '', owner_pid = 0
WHERE p.owner_pid <> 0
  AND NOT EXISTS (SELECT 1 FROM held h WHERE h.part = p.part AND h.pid = p.owner_pid))sql";

constexpr char kReleaseAllOwners[] = R"sql(
UPDATE bs_partitions SET owner = '', owner_pid = 0 WHERE owner_pid = pg_backend_pid())sql";

constexpr char kUnlockAll[] = R"sql(
SELECT pg_advisory_unlock($1::int, objid::bigint::int) FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1::bigint::oid
  AND objsubid = 2 AND granted)sql";

constexpr char kDeleteMember[] =
    "DELETE FROM bs_members WHERE replica = $1 AND backend_pid = pg_backend_pid()";

std::string IntArray(const std::vector<int>& values) {
  return PgIntArray(std::vector<int64_t>(values.begin(), values.end()));
}

// splitmix64's finaliser: FNV-1a alone barely mixes its last bytes, so
// replicas named alike would split partitions unevenly.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::string DefaultReplicaName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return absl::StrCat("replica-", getpid());
  }
  return absl::StrCat(host, "-", getpid());
}

uint64_t RendezvousWeight(absl::string_view replica, int partition) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  };
  for (char c : replica) add(static_cast<unsigned char>(c));
  add(0);
  const uint32_t part = static_cast<uint32_t>(partition);
  for (int shift = 0; shift < 32; shift += 8) add(static_cast<unsigned char>(part >> shift));
  return Mix(hash);
}

absl::StatusOr<std::unique_ptr<PostgresOwnership>> PostgresOwnership::Create(
    PostgresOwnershipOptions options) {
  if (options.uri.empty()) return absl::InvalidArgumentError("cluster ownership: no store URI");
  if (options.partitions < 1) {
    return absl::InvalidArgumentError("cluster_partitions: must be >= 1");
  }
  if (options.owner_idle_timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("cluster_owner_idle_timeout_ms: must be >= 1000");
  }
  if (options.heartbeat_interval <= absl::ZeroDuration() ||
      options.heartbeat_interval * 2 > options.owner_idle_timeout) {
    return absl::InvalidArgumentError(
        "cluster ownership: the heartbeat interval must be positive and at most half the owner "
        "idle timeout (PostgreSQL would end a healthy replica's session)");
  }
  if (options.replica.empty()) options.replica = DefaultReplicaName();
  return std::unique_ptr<PostgresOwnership>(new PostgresOwnership(std::move(options)));
}

PostgresOwnership::PostgresOwnership(PostgresOwnershipOptions options)
    : options_(std::move(options)), started_at_(absl::Now()) {
  PgWorkerOptions worker;
  worker.uri = options_.uri;
  worker.label = "cluster ownership";
  worker.reconnect_delay = options_.reconnect_delay;
  worker.on_connect = [this](PgConnection& connection) { return OnConnect(connection); };
  worker.on_disconnect = [this] { OnDisconnect(); };
  session_ = std::make_unique<PgWorker>(std::move(worker));
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
}

PostgresOwnership::~PostgresOwnership() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  heartbeat_thread_.join();
  // Best effort: when the session is gone its locks already went with it.
  session_->RunSync([this](PgConnection& connection) { return ShutdownTask(connection); })
      .IgnoreError();
  session_.reset();
}

absl::Status PostgresOwnership::OnConnect(PgConnection& connection) {
  {
    absl::MutexLock lock(&mu_);
    // Shutting down: a new session would only register again.
    if (stopping_) return absl::CancelledError("cluster ownership: shutting down");
  }
  absl::Status status = connection.Run(
      "set the idle timeout", absl::StrCat("SET idle_session_timeout = ",
                                           absl::ToInt64Milliseconds(options_.owner_idle_timeout)));
  if (status.ok()) {
    // Operators find the owner sessions in pg_stat_activity by this name.
    absl::StatusOr<PgResult> named =
        connection.Exec("name the session", "SELECT set_config('application_name', $1, false)",
                        {PgParam::Text(absl::StrCat("brazesync owner ", options_.replica))});
    status = named.status();
  }
  if (status.ok()) status = RegisterMember(connection);
  return status;
}

void PostgresOwnership::OnDisconnect() {
  // The session's advisory locks went with it: nothing is owned any more,
  // and a release still queued has nothing left to unlock.
  absl::MutexLock lock(&mu_);
  owned_.clear();
}

absl::Status PostgresOwnership::RegisterMember(PgConnection& connection) {
  absl::StatusOr<PgResult> upserted = connection.Exec(
      "register the replica", kUpsertMember,
      {PgParam::Text(options_.replica),
       PgParam::Text(absl::StrCat(absl::ToDoubleSeconds(started_at_ - absl::UnixEpoch())))});
  if (!upserted.ok()) return upserted.status();
  if (upserted->affected() != 1) {
    return absl::InternalError("cluster ownership: own session missing from pg_stat_activity");
  }
  return absl::OkStatus();
}

absl::Status PostgresOwnership::HeartbeatTask(PgConnection& connection, Round* round) {
  *round = Round();  // the task may run twice (group retry): set, never accumulate
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
  }
  absl::Status status = connection.Run("clear the activity snapshot", kClearActivity);
  if (status.ok()) status = RegisterMember(connection);
  if (status.ok()) status = connection.Run("clear the activity snapshot", kClearActivity);
  if (status.ok()) status = connection.Exec("delete dead members", kDeleteDeadMembers).status();
  if (status.ok()) status = connection.Run("clear the activity snapshot", kClearActivity);
  if (!status.ok()) return status;
  absl::StatusOr<PgResult> live = connection.Exec("read the live members", kLiveMembers);
  if (!live.ok()) return live.status();
  std::vector<std::string> members;
  members.reserve(static_cast<size_t>(live->rows()) + 1);
  for (int row = 0; row < live->rows(); ++row) members.push_back(live->Text(row, 0));
  if (std::find(members.begin(), members.end(), options_.replica) == members.end()) {
    members.push_back(options_.replica);
  }
  round->live_members = static_cast<int>(members.size());

  absl::StatusOr<PgResult> held_rows =
      connection.Exec("read the held locks", kHeldLocks, {PgParam::Int(kOwnershipLockNamespace)});
  if (!held_rows.ok()) return held_rows.status();
  absl::flat_hash_set<int> held;
  for (int row = 0; row < held_rows->rows(); ++row) {
    held.insert(static_cast<int>(held_rows->Int(row, 0)));
  }

  // Rendezvous hashing: each partition goes to the live member with the
  // highest weight (ties, which need equal 64-bit hashes, to the lower name).
  absl::flat_hash_set<int> desired;
  for (int part = 0; part < options_.partitions; ++part) {
    const std::string* best = nullptr;
    uint64_t best_weight = 0;
    for (const std::string& member : members) {
      const uint64_t weight = RendezvousWeight(member, part);
      if (best == nullptr || weight > best_weight || (weight == best_weight && member < *best)) {
        best = &member;
        best_weight = weight;
      }
    }
    if (*best == options_.replica) desired.insert(part);
  }

  std::vector<int> to_lock;    // assigned here, free as far as we know
  std::vector<int> to_record;  // assigned here and locked (a retried round)
  std::vector<int> stale;      // locked by this session for no reason
  {
    absl::MutexLock lock(&mu_);
    for (int part = 0; part < options_.partitions; ++part) {
      if (pending_release_.contains(part)) continue;
      const auto owned = owned_.find(part);
      if (owned != owned_.end()) {
        if (!held.contains(part)) {
          round->lost.push_back(part);
        } else if (!desired.contains(part)) {
          round->to_release.push_back(part);
        } else if (owned->second.releasing) {
          round->to_keep.push_back(part);
        }
      } else if (desired.contains(part)) {
        (held.contains(part) ? to_record : to_lock).push_back(part);
      } else if (held.contains(part)) {
        stale.push_back(part);
      }
    }
  }
  if (!to_lock.empty()) {
    absl::StatusOr<PgResult> locked =
        connection.Exec("lock partitions", kTryLock,
                        {PgParam::Int(kOwnershipLockNamespace), PgParam::Text(IntArray(to_lock))});
    if (!locked.ok()) return locked.status();
    for (int row = 0; row < locked->rows(); ++row) {
      to_record.push_back(static_cast<int>(locked->Int(row, 0)));
    }
  }
  if (!to_record.empty()) {
    absl::StatusOr<PgResult> taken =
        connection.Exec("take partitions over", kTakeOver,
                        {PgParam::Text(options_.replica), PgParam::Text(IntArray(to_record))});
    if (!taken.ok()) return taken.status();
    for (int row = 0; row < taken->rows(); ++row) {
      round->acquired.push_back(
          OwnedPartition{static_cast<int>(taken->Int(row, 0)), taken->Int(row, 1), false});
    }
  }
  if (!stale.empty()) {
    status = connection
                 .Exec("unlock stale partitions", kUnlock,
                       {PgParam::Int(kOwnershipLockNamespace), PgParam::Text(IntArray(stale))})
                 .status();
    if (status.ok()) {
      status = connection.Exec("clear stale owners", kClearOwner, {PgParam::Text(IntArray(stale))})
                   .status();
    }
    if (!status.ok()) return status;
  }
  return connection
      .Exec("clear owners without a lock", kClearStaleOwners,
            {PgParam::Int(kOwnershipLockNamespace)})
      .status();
}

void PostgresOwnership::ApplyRound(const Round& round) {
  absl::MutexLock lock(&mu_);
  live_members_ = round.live_members;
  for (int part : round.lost) owned_.erase(part);
  for (const OwnedPartition& partition : round.acquired) owned_[partition.partition] = partition;
  for (int part : round.to_release) {
    const auto it = owned_.find(part);
    if (it != owned_.end()) it->second.releasing = true;
  }
  for (int part : round.to_keep) {
    const auto it = owned_.find(part);
    if (it != owned_.end()) it->second.releasing = false;
  }
}

void PostgresOwnership::HeartbeatLoop() {
  absl::Time next = absl::Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(absl::Condition(&stopping_), next);
      if (stopping_) return;
      next = std::max(next + options_.heartbeat_interval, absl::Now());
      // A slow round is not overtaken by the next one.
      if (paused_ || heartbeat_in_flight_) continue;
      heartbeat_in_flight_ = true;
    }
    auto round = std::make_shared<Round>();
    session_->Submit(
        [this, round](PgConnection& connection) { return HeartbeatTask(connection, round.get()); },
        [this, round](absl::Status status) {
          if (status.ok()) ApplyRound(*round);
          absl::MutexLock lock(&mu_);
          heartbeat_in_flight_ = false;
          ++heartbeats_;
        });
  }
}

std::vector<OwnedPartition> PostgresOwnership::Owned() {
  absl::MutexLock lock(&mu_);
  std::vector<OwnedPartition> owned;
  owned.reserve(owned_.size());
  for (const auto& [part, partition] : owned_) owned.push_back(partition);
  std::sort(owned.begin(), owned.end(), [](const OwnedPartition& a, const OwnedPartition& b) {
    return a.partition < b.partition;
  });
  return owned;
}

void PostgresOwnership::Release(int partition) {
  {
    absl::MutexLock lock(&mu_);
    if (owned_.erase(partition) == 0) return;
    pending_release_.insert(partition);
  }
  const std::vector<int> parts = {partition};
  session_->Submit(
      [parts](PgConnection& connection) {
        absl::Status status =
            connection.Exec("release a partition", kClearOwner, {PgParam::Text(IntArray(parts))})
                .status();
        if (!status.ok()) return status;
        return connection
            .Exec("unlock a partition", kUnlock,
                  {PgParam::Int(kOwnershipLockNamespace), PgParam::Text(IntArray(parts))})
            .status();
      },
      // Whatever the outcome: a lock still held is unlocked as stale by the
      // next heartbeat, a lost session held nothing.
      [this, partition](absl::Status) {
        absl::MutexLock lock(&mu_);
        pending_release_.erase(partition);
      });
}

absl::Status PostgresOwnership::ShutdownTask(PgConnection& connection) {
  absl::Status status = connection.Exec("release the partitions", kReleaseAllOwners).status();
  if (status.ok()) {
    status = connection
                 .Exec("unlock the partitions", kUnlockAll, {PgParam::Int(kOwnershipLockNamespace)})
                 .status();
  }
  if (status.ok()) {
    status =
        connection.Exec("unregister the replica", kDeleteMember, {PgParam::Text(options_.replica)})
            .status();
  }
  absl::MutexLock lock(&mu_);
  owned_.clear();
  return status;
}

int PostgresOwnership::live_members() const {
  absl::MutexLock lock(&mu_);
  return live_members_;
}

int64_t PostgresOwnership::heartbeats() const {
  absl::MutexLock lock(&mu_);
  return heartbeats_;
}

void PostgresOwnership::PauseHeartbeatsForTesting(bool paused) {
  absl::MutexLock lock(&mu_);
  paused_ = paused;
}

}  // namespace brazesync
