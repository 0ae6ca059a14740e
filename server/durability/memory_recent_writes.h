// One replica's recent writes (recent_writes.h) in memory: per workspace, the
// writes indexed by user key, plus one arrival-ordered queue across
// workspaces that expires writes past retention and drops the oldest when
// over the size cap. Expiry is amortised over Record (no thread of its own).
//
// Thread-safe: one mutex, taken once per Record; listeners run after it is
// released, on the recording thread.
#ifndef BRAZESYNC_SERVER_DURABILITY_MEMORY_RECENT_WRITES_H_
#define BRAZESYNC_SERVER_DURABILITY_MEMORY_RECENT_WRITES_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/durability/recent_writes.h"

namespace brazesync {

class MemoryRecentWrites final : public RecentWrites {
 public:
  // Keeps writes for `retention` after written_at (measured on the local
  // clock at Record) and at most `max_writes` of them in all.
  explicit MemoryRecentWrites(absl::Duration retention = absl::Minutes(2),
                              size_t max_writes = 200'000);
  MemoryRecentWrites(const MemoryRecentWrites&) = delete;
  MemoryRecentWrites& operator=(const MemoryRecentWrites&) = delete;

  void Record(const std::string& workspace, std::vector<RecentWrite> writes) override;
  std::vector<RecentWrite> Find(const std::string& workspace,
                                const std::vector<std::string>& user_keys,
                                absl::Time since) const override;
  void Forget(const std::string& workspace, const std::vector<std::string>& user_keys) override;
  void Subscribe(Listener listener) override;

  // Writes held now (after the last expiry pass).
  size_t size() const;

 private:
  // A write with its arrival sequence (expiry and size cap order). Shared,
  // so listeners read it after the lock without a copy.
  struct Stored {
    uint64_t sequence = 0;
    std::shared_ptr<const RecentWrite> write;
  };
  // Where a stored write lives, so expiry can find it.
  struct Arrival {
    uint64_t sequence = 0;
    absl::Time expires_at;
    std::string workspace;
    std::string user_key;
  };
  // user key -> its writes in arrival order.
  // A user rarely has more than a write or two in the window: inline, so
  // recording one costs no allocation beyond the write itself (a deque
  // allocated a 512-byte block per user).
  using UserWrites = absl::flat_hash_map<std::string, absl::InlinedVector<Stored, 2>>;

  // Drops writes past retention or over the cap, oldest first.
  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the write `arrival` names (it may be gone already: Forget).
  void RemoveLocked(const Arrival& arrival) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration retention_;
  const size_t max_writes_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, UserWrites> workspaces_ ABSL_GUARDED_BY(mu_);
  std::deque<Arrival> arrivals_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  size_t size_ ABSL_GUARDED_BY(mu_) = 0;  // writes still in workspaces_
  // Replaced whole by Subscribe, so Record takes a snapshot under the one
  // lock it holds anyway and calls it after releasing it.
  std::shared_ptr<const std::vector<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_MEMORY_RECENT_WRITES_H_
