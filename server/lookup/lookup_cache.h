// One workspace's cache of Braze's export answers (docs/lookup.md), in
// memory only (it holds personal data): exported users indexed by every
// identifier that reaches them (braze_id, external_id, including the one a
// lookup used when Braze answered with the renamed one, each alias), the
// negative answers ("Braze knows no such user"), and the answers to email
// and phone lookups (several users possible; never a unique index). Each
// entry keeps the fields it was fetched with; a lookup that needs more is a
// miss. The least recently used entries go first when over max_entries, and
// nothing is kept past retention.
//
// Read-your-writes: the cache overlays BrazeSync's own recent writes
// (RecentWrites) on what Braze exported. When an export arrives, writes to
// the user since fetched_at - consistency_window are applied to it
// (braze/export_overlay.h); a write recorded later patches the cached user
// at once (Subscribe it to RecentWrites). A NOT_FOUND within the window of
// a write to that identifier is not believed: the answer is the user as
// written. Answers say whether own writes are overlaid.
//
// Keys are UserKey() strings (braze/request_planner.h): "external_id:u1",
// "user_alias:<label>\0<name>", "braze_id:...", "email:...", "phone:...",
// plus "device_id:..." for device lookups.
//
// Thread-safe.
#ifndef BRAZESYNC_SERVER_LOOKUP_LOOKUP_CACHE_H_
#define BRAZESYNC_SERVER_LOOKUP_LOOKUP_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "brazesync/v1/lookup.pb.h"
#include "server/durability/recent_writes.h"

namespace brazesync {

struct LookupCacheOptions {
  std::string workspace;
  size_t max_entries = 100'000;
  // Nothing older than this is kept (the longest max_stale served).
  absl::Duration retention = absl::Hours(1);
  absl::Duration negative_ttl = absl::Seconds(30);
  absl::Duration consistency_window = absl::Seconds(60);
};

// What the cache knows about one identifier.
struct CachedAnswer {
  // Empty: Braze knows no such user (a negative entry, kept negative_ttl).
  // One user for external ids, aliases, braze and device ids; 0..n for
  // email and phone.
  std::vector<v1::ExportedUser> users;
  absl::Time fetched_at;  // when Braze's export was received
  // Own writes are overlaid on `users` (LookupResult.pending_own_write).
  bool pending_own_write = false;
};

class LookupCache final {
 public:
  // `writes` may be null (no overlay); it must outlive the cache.
  LookupCache(LookupCacheOptions options, const RecentWrites* writes);
  LookupCache(const LookupCache&) = delete;
  LookupCache& operator=(const LookupCache&) = delete;

  // The answer for `key` fetched with every field of `fields`, at most
  // `max_age` old at `now` (negative entries: also within negative_ttl), or
  // nullopt. Refreshes the entry's recency.
  std::optional<CachedAnswer> Find(const std::string& key, const std::vector<std::string>& fields,
                                   absl::Duration max_age, absl::Time now);

  // One export answered: `users` as Braze returned them for a query that
  // asked for `asked` keys with `fields`, received at `fetched_at`. Matches
  // each asked key to its user (by external_id, alias or braze_id; a key
  // Braze answered under a renamed external_id is matched through the other
  // keys and indexed too), stores the users, and a negative entry for each
  // asked key no user matched. For an email, phone or device lookup (one
  // asked key) every returned user is that key's answer. Returns the answer
  // for each asked key, in order, with own writes overlaid.
  std::vector<CachedAnswer> Store(const std::vector<std::string>& asked,
                                  std::vector<v1::ExportedUser> users,
                                  const std::vector<std::string>& fields, absl::Time fetched_at);

  // A write BrazeSync accepted (RecentWrites listener): patches the cached
  // users it addresses, and turns a negative entry for its key into the
  // user as written.
  void ApplyOwnWrite(const RecentWrite& write);

  // Drops every entry reachable from `keys` (identity changes).
  void Forget(const std::vector<std::string>& keys);

  // The users `keys` reach were deleted at `now`: drops their entries, and
  // until `until` every key of theirs answers "no such user" (Find, Store),
  // whatever Braze's export still shows while the deletion propagates
  // (braze-api-round2.md case 119). A later own write to a key (the user
  // created again) lifts its tombstone.
  void Tombstone(const std::vector<std::string>& keys, absl::Time now, absl::Time until);

  size_t size() const;

 private:
  enum class EntryKind {
    kUser,      // one user, indexed by each identifier that reaches it
    kNegative,  // Braze knows no such user: the asked key only
    kList,      // an email, phone or device answer: the asked key only
  };
  using EntryId = uint64_t;
  using LruList = std::list<EntryId>;
  using ExpiryIndex = std::multimap<absl::Time, EntryId>;

  struct Entry {
    EntryKind kind = EntryKind::kNegative;
    std::vector<v1::ExportedUser> users;
    std::vector<std::string> fields;  // sorted, unique
    absl::Time fetched_at;
    bool pending_own_write = false;
    std::vector<std::string> keys;  // the index keys that reach it
    // kList: its users' identifying keys, in list_members_ (so that a write
    // to one of them patches the answer).
    std::vector<std::string> member_keys;
    // Fingerprints of the own writes applied, so that a write Store found
    // and its listener call are applied once.
    absl::flat_hash_set<size_t> applied_writes;
    LruList::iterator recency;
    ExpiryIndex::iterator expiry;
  };

  // Writes to `keys` since fetched_at - consistency_window, applied to
  // `users` (each); whether any was.
  bool OverlayRecentWrites(const std::vector<std::string>& keys, absl::Time fetched_at,
                           std::vector<v1::ExportedUser>& users,
                           absl::flat_hash_set<size_t>& applied) const;
  // Applies `write` to `user` unless its fingerprint is in `applied`.
  static void ApplyWrite(const RecentWrite& write, v1::ExportedUser& user,
                         absl::flat_hash_set<size_t>& applied);
  static void ApplyObject(const RecentWrite& write, v1::ExportedUser& user);

  // Inserts `entry` under its keys, taking each key from the entry that had
  // it (an entry left without keys is dropped), then trims to max_entries.
  // Returns the new entry's id.
  EntryId InsertLocked(Entry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(EntryId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops what is past retention at `now`, and the least recent entries
  // over max_entries.
  void TrimLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TouchLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static CachedAnswer AnswerOf(const Entry& entry);
  // Whether `key` is tombstoned at `now` (dropping an expired tombstone).
  bool TombstonedLocked(const std::string& key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct TombstoneSpan {
    absl::Time deleted_at;
    absl::Time until;
  };

  const LookupCacheOptions options_;
  const RecentWrites* const writes_;

  mutable absl::Mutex mu_;
  absl::node_hash_map<EntryId, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, EntryId> index_ ABSL_GUARDED_BY(mu_);
  // Identifying key of a user in an email, phone or device answer -> those
  // answers (never an answer to the key itself: a write reaches them).
  absl::flat_hash_map<std::string, std::vector<EntryId>> list_members_ ABSL_GUARDED_BY(mu_);
  LruList recency_ ABSL_GUARDED_BY(mu_);     // most recent first
  ExpiryIndex expiry_ ABSL_GUARDED_BY(mu_);  // by fetched_at
  EntryId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, TombstoneSpan> tombstones_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_LOOKUP_LOOKUP_CACHE_H_
