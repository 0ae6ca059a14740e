// Read-your-writes for lookups (docs/lookup.md): the Braze objects BrazeSync
// itself accepted for each user in the last few minutes. Braze's
// /users/export/ids shows a write tens of seconds late, so the lookup cache
// overlays these on exported users until an export fetched a consistency
// window after the write arrives.
//
// MemoryRecentWrites (memory_recent_writes.h) keeps one replica's writes;
// PostgresRecentWrites (server/postgres/postgres_recent_writes.h) shares
// them between the replicas of a cluster through bs_recent_writes, so a
// lookup on one replica sees a Track answered by another.
//
// Thread-safe. Record is on Track's path: it never blocks on I/O.
#ifndef BRAZESYNC_SERVER_DURABILITY_RECENT_WRITES_H_
#define BRAZESYNC_SERVER_DURABILITY_RECENT_WRITES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace brazesync {

// One Braze object BrazeSync accepted.
struct RecentWrite {
  std::string user_key;    // UserKey() of the object's identifier
  std::string array;       // "attributes", "events" or "purchases"
  std::string braze_json;  // the object as sent to Braze
  absl::Time written_at;
  // An asynchronous Track stores items, not their JSON: then braze_json is
  // empty and the stored item (stored_payload.h) is here instead, converted
  // only when someone needs it (BrazeJsonOf), never on Track's path.
  std::string stored_payload;
  int payload_version = 0;
};

// The write's Braze object as JSON text: braze_json, or the stored item
// converted ("" when it cannot be, which no overlay applies).
std::string BrazeJsonOf(const RecentWrite& write);

class RecentWrites {
 public:
  // Sees one write of `workspace`.
  using Listener = std::function<void(const std::string& workspace, const RecentWrite& write)>;

  virtual ~RecentWrites() = default;
  // Records writes accepted for `workspace`; listeners see each at once.
  virtual void Record(const std::string& workspace, std::vector<RecentWrite> writes) = 0;
  // The writes to any of `user_keys` written at or after `since`, oldest
  // first. Writes are kept for the retention the store was made with (at
  // least the longest consistency window), fewer when over its size cap.
  virtual std::vector<RecentWrite> Find(const std::string& workspace,
                                        const std::vector<std::string>& user_keys,
                                        absl::Time since) const = 0;
  // Drops every write to `user_keys` (the user was deleted).
  virtual void Forget(const std::string& workspace, const std::vector<std::string>& user_keys) = 0;
  // `listener` sees every write recorded from now on: this replica's, and in
  // a cluster the other replicas' when they arrive. Call before traffic.
  virtual void Subscribe(Listener listener) = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_RECENT_WRITES_H_
