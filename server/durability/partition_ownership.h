// Which outbox partitions this replica delivers (outbox_store.h). Each
// partition has one owner at a time; the relay fetches only owned
// partitions, settles what a predecessor left in doubt whenever it sees a
// partition with a new epoch, and hands a partition over (Release) only once
// its items in flight have their verdicts stored.
//
// LocalOwnership (here): the embedded store's single partition, always
// owned. PostgresOwnership (server/postgres/postgres_ownership.h): session
// advisory locks, liveness decided by PostgreSQL.
//
// PartitionOf is the one partition hash, stored in the cluster's metadata:
// changing it is a migration.
#ifndef BRAZESYNC_SERVER_DURABILITY_PARTITION_OWNERSHIP_H_
#define BRAZESYNC_SERVER_DURABILITY_PARTITION_OWNERSHIP_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace brazesync {

// The name recorded with the partition count; a store built with another
// hash refuses to open.
inline constexpr char kPartitionHashName[] = "fnv1a64-v1";

// The partition of `user_key` in `workspace`: 64-bit FNV-1a over
// workspace + '\0' + user_key, modulo `partitions` (>= 1). Stable across
// builds and platforms (unlike absl::Hash).
int PartitionOf(absl::string_view workspace, absl::string_view user_key, int partitions);

struct OwnedPartition {
  int partition = 0;
  // Changes each time this replica (re)acquires the partition: a new epoch
  // means a predecessor may have left items in doubt.
  int64_t epoch = 0;
  // To be handed over: fetch nothing more from it, and Release() it once no
  // item of it is in flight.
  bool releasing = false;
};

class PartitionOwnership {
 public:
  virtual ~PartitionOwnership() = default;
  // The partitions this replica owns now. Thread-safe, cheap.
  virtual std::vector<OwnedPartition> Owned() = 0;
  // Hands `partition` (marked releasing) over; its in-flight items have
  // their verdicts stored.
  virtual void Release(int partition) = 0;
};

// One partition (0), owned from the start, epoch 1, never released.
class LocalOwnership final : public PartitionOwnership {
 public:
  std::vector<OwnedPartition> Owned() override { return {OwnedPartition{0, 1, false}}; }
  void Release(int) override {}
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_PARTITION_OWNERSHIP_H_
