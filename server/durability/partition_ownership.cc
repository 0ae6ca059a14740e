// The partition hash.
#include "server/durability/partition_ownership.h"

namespace brazesync {
namespace {

constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t Fnv1a(absl::string_view bytes, uint64_t hash) {
  for (const char byte : bytes) {
    hash ^= static_cast<unsigned char>(byte);
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

int PartitionOf(absl::string_view workspace, absl::string_view user_key, int partitions) {
  if (partitions <= 1) return 0;
  uint64_t hash = Fnv1a(workspace, kFnvOffsetBasis);
  hash = Fnv1a(absl::string_view("\0", 1), hash);
  hash = Fnv1a(user_key, hash);
  return static_cast<int>(hash % static_cast<uint64_t>(partitions));
}

}  // namespace brazesync
