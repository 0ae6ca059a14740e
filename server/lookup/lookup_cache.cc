// One workspace's cache of Braze's export answers, with own writes overlaid.
#include "server/lookup/lookup_cache.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"
#include "server/braze/export_overlay.h"
#include "server/braze/json.h"
#include "server/braze/request_planner.h"

namespace brazesync {
namespace {

constexpr absl::string_view kExternalIdPrefix = "external_id:";
constexpr absl::string_view kAliasPrefix = "user_alias:";
constexpr absl::string_view kBrazeIdPrefix = "braze_id:";
constexpr absl::string_view kEmailPrefix = "email:";
constexpr absl::string_view kPhonePrefix = "phone:";
constexpr absl::string_view kDeviceIdPrefix = "device_id:";

// Keys whose lookups may answer several users: never a unique index.
bool IsListKey(absl::string_view key) {
  return absl::StartsWith(key, kEmailPrefix) || absl::StartsWith(key, kPhonePrefix) ||
         absl::StartsWith(key, kDeviceIdPrefix);
}

// The identifiers that reach `user` as UserKey() strings (the same function
// Track's writes are keyed with, so a write finds the user).
std::vector<std::string> IdentifyingKeys(const v1::ExportedUser& user) {
  std::vector<std::string> keys;
  v1::UserRef ref;
  if (user.has_braze_id()) {
    ref.set_braze_id(user.braze_id());
    keys.push_back(UserKey(ref));
  }
  if (user.has_external_id()) {
    ref.set_external_id(user.external_id());
    keys.push_back(UserKey(ref));
  }
  for (const v1::UserAlias& alias : user.user_aliases()) {
    *ref.mutable_user_alias() = alias;
    keys.push_back(UserKey(ref));
  }
  return keys;
}

void AddUnique(std::vector<std::string>& keys, const std::string& key) {
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
}

// The user as BrazeSync's writes to `key` describe it, before they apply.
v1::ExportedUser UserFromKey(absl::string_view key) {
  v1::ExportedUser user;
  if (absl::ConsumePrefix(&key, kExternalIdPrefix)) {
    user.set_external_id(std::string(key));
  } else if (absl::ConsumePrefix(&key, kAliasPrefix)) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(key, absl::MaxSplits(std::string(1, '\0'), 1));
    v1::UserAlias* alias = user.add_user_aliases();
    alias->set_alias_label(std::move(parts.first));
    alias->set_alias_name(std::move(parts.second));
  } else if (absl::ConsumePrefix(&key, kBrazeIdPrefix)) {
    user.set_braze_id(std::string(key));
  } else if (absl::ConsumePrefix(&key, kEmailPrefix)) {
    user.set_email(std::string(key));
  } else if (absl::ConsumePrefix(&key, kPhonePrefix)) {
    user.set_phone(std::string(key));
  } else if (absl::ConsumePrefix(&key, kDeviceIdPrefix)) {
    user.add_devices()->set_device_id(std::string(key));
  }
  return user;
}

std::vector<std::string> SortedUnique(std::vector<std::string> fields) {
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  return fields;
}

size_t Fingerprint(const RecentWrite& write) {
  return absl::HashOf(write.user_key, write.array, write.braze_json, write.stored_payload,
                      write.written_at);
}

}  // namespace

LookupCache::LookupCache(LookupCacheOptions options, const RecentWrites* writes)
    : options_(std::move(options)), writes_(writes) {}

std::optional<CachedAnswer> LookupCache::Find(const std::string& key,
                                              const std::vector<std::string>& fields,
                                              absl::Duration max_age, absl::Time now) {
  absl::MutexLock lock(&mu_);
  TrimLocked(now);
  if (TombstonedLocked(key, now)) {
    CachedAnswer deleted;
    deleted.fetched_at = tombstones_.at(key).deleted_at;
    return deleted;
  }
  const auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  const EntryId id = found->second;
  Entry& entry = entries_.at(id);
  const absl::Duration age = now - entry.fetched_at;
  if (entry.kind == EntryKind::kNegative && age > options_.negative_ttl) {
    // Prospects become users mid-conversation: never believed for longer.
    EraseLocked(id);
    return std::nullopt;
  }
  if (age > max_age) return std::nullopt;
  if (entry.kind != EntryKind::kNegative) {
    const std::vector<std::string> wanted = SortedUnique(fields);
    if (!std::includes(entry.fields.begin(), entry.fields.end(), wanted.begin(), wanted.end())) {
      return std::nullopt;
    }
  }
  TouchLocked(entry);
  return AnswerOf(entry);
}

std::vector<CachedAnswer> LookupCache::Store(const std::vector<std::string>& asked,
                                             std::vector<v1::ExportedUser> users,
                                             const std::vector<std::string>& fields,
                                             absl::Time fetched_at) {
  const std::vector<std::string> sorted_fields = SortedUnique(fields);
  std::vector<CachedAnswer> answers(asked.size());
  // The overlay runs under the lock, so that a write recorded meanwhile is
  // either found here or patched in by its listener afterwards (once: the
  // fingerprints), never lost in between.
  absl::MutexLock lock(&mu_);
  TrimLocked(fetched_at);

  // Deleted users: Braze's export may show them for minutes after the
  // deletion (case 119); they are neither cached nor answered.
  if (!tombstones_.empty()) {
    users.erase(std::remove_if(users.begin(), users.end(),
                               [&](const v1::ExportedUser& user) {
                                 for (const std::string& key : IdentifyingKeys(user)) {
                                   if (TombstonedLocked(key, fetched_at)) return true;
                                 }
                                 return false;
                               }),
                users.end());
  }

  // Answers to a negative key: the user as written when BrazeSync wrote to
  // it within the window (Braze's export lags), else a negative entry.
  auto store_unmatched = [&](const std::string& key) {
    if (TombstonedLocked(key, fetched_at)) {
      CachedAnswer deleted;
      deleted.fetched_at = fetched_at;
      return deleted;
    }
    Entry entry;
    entry.fields = sorted_fields;
    entry.fetched_at = fetched_at;
    entry.keys = {key};
    std::vector<v1::ExportedUser> written = {UserFromKey(key)};
    if (OverlayRecentWrites({key}, fetched_at, written, entry.applied_writes)) {
      entry.kind = IsListKey(key) ? EntryKind::kList : EntryKind::kUser;
      entry.users = std::move(written);
      entry.pending_own_write = true;
    } else {
      entry.kind = EntryKind::kNegative;
    }
    return AnswerOf(entries_.at(InsertLocked(std::move(entry))));
  };

  if (asked.size() == 1 && IsListKey(asked[0])) {
    if (users.empty()) {
      answers[0] = store_unmatched(asked[0]);
      return answers;
    }
    Entry entry;
    entry.kind = EntryKind::kList;
    entry.fields = sorted_fields;
    entry.fetched_at = fetched_at;
    entry.keys = {asked[0]};
    for (v1::ExportedUser& user : users) {
      std::vector<std::string> keys = IdentifyingKeys(user);
      AddUnique(keys, asked[0]);
      std::vector<v1::ExportedUser> one = {std::move(user)};
      if (OverlayRecentWrites(keys, fetched_at, one, entry.applied_writes)) {
        entry.pending_own_write = true;
      }
      entry.users.push_back(std::move(one[0]));
    }
    answers[0] = AnswerOf(entries_.at(InsertLocked(std::move(entry))));
    return answers;
  }

  // Match each asked key to the user it reaches.
  std::vector<std::vector<std::string>> user_keys(users.size());
  absl::flat_hash_map<std::string, size_t> user_by_key;
  for (size_t u = 0; u < users.size(); ++u) {
    user_keys[u] = IdentifyingKeys(users[u]);
    for (const std::string& key : user_keys[u]) user_by_key.emplace(key, u);
  }
  constexpr size_t kNoUser = static_cast<size_t>(-1);
  std::vector<size_t> user_of_ask(asked.size(), kNoUser);
  std::vector<bool> user_matched(users.size(), false);
  for (size_t a = 0; a < asked.size(); ++a) {
    const auto found = user_by_key.find(asked[a]);
    if (found == user_by_key.end()) continue;
    user_of_ask[a] = found->second;
    user_matched[found->second] = true;
  }
  // A renamed external id resolves to the profile, which Braze answers
  // under its current external id (case 87): with one such ask and one such
  // user, they belong together.
  std::vector<size_t> unmatched_external_asks;
  for (size_t a = 0; a < asked.size(); ++a) {
    if (user_of_ask[a] == kNoUser && absl::StartsWith(asked[a], kExternalIdPrefix)) {
      unmatched_external_asks.push_back(a);
    }
  }
  std::vector<size_t> unmatched_users;
  for (size_t u = 0; u < users.size(); ++u) {
    if (!user_matched[u]) unmatched_users.push_back(u);
  }
  if (unmatched_external_asks.size() == 1 && unmatched_users.size() == 1) {
    user_of_ask[unmatched_external_asks[0]] = unmatched_users[0];
    user_matched[unmatched_users[0]] = true;
  }

  std::vector<CachedAnswer> user_answers(users.size());
  for (size_t u = 0; u < users.size(); ++u) {
    // A user no asked key reaches answers nothing; Braze sent it anyway, so
    // it is cached under its own identifiers.
    Entry entry;
    entry.kind = EntryKind::kUser;
    entry.fields = sorted_fields;
    entry.fetched_at = fetched_at;
    entry.keys = std::move(user_keys[u]);
    for (size_t a = 0; a < asked.size(); ++a) {
      if (user_of_ask[a] == u) AddUnique(entry.keys, asked[a]);
    }
    entry.users = {std::move(users[u])};
    entry.pending_own_write =
        OverlayRecentWrites(entry.keys, fetched_at, entry.users, entry.applied_writes);
    if (entry.keys.empty()) continue;  // nothing identifies it
    user_answers[u] = AnswerOf(entries_.at(InsertLocked(std::move(entry))));
  }
  for (size_t a = 0; a < asked.size(); ++a) {
    answers[a] =
        user_of_ask[a] == kNoUser ? store_unmatched(asked[a]) : user_answers[user_of_ask[a]];
  }
  return answers;
}

void LookupCache::ApplyOwnWrite(const RecentWrite& write) {
  absl::MutexLock lock(&mu_);
  // A write after the deletion creates the user again.
  const auto tombstone = tombstones_.find(write.user_key);
  if (tombstone != tombstones_.end() && write.written_at > tombstone->second.deleted_at) {
    tombstones_.erase(tombstone);
  }
  const auto found = index_.find(write.user_key);
  if (found != index_.end()) {
    Entry& entry = entries_.at(found->second);
    // Braze's export already showed a write this old.
    if (write.written_at >= entry.fetched_at - options_.consistency_window) {
      switch (entry.kind) {
        case EntryKind::kNegative:
          entry.kind = IsListKey(write.user_key) ? EntryKind::kList : EntryKind::kUser;
          entry.users = {UserFromKey(write.user_key)};
          ApplyWrite(write, entry.users[0], entry.applied_writes);
          break;
        case EntryKind::kUser:
          ApplyWrite(write, entry.users[0], entry.applied_writes);
          break;
        case EntryKind::kList:
          // Which of several profiles Braze updated is unknown: the answer
          // only says a write is pending.
          if (entry.users.size() == 1) ApplyWrite(write, entry.users[0], entry.applied_writes);
          break;
      }
      entry.pending_own_write = true;
    }
  }
  // The user may also be one of an email, phone or device answer's.
  const auto lists = list_members_.find(write.user_key);
  if (lists == list_members_.end()) return;
  for (const EntryId id : lists->second) {
    Entry& list = entries_.at(id);
    if (write.written_at < list.fetched_at - options_.consistency_window) continue;
    for (v1::ExportedUser& user : list.users) {
      const std::vector<std::string> keys = IdentifyingKeys(user);
      if (std::find(keys.begin(), keys.end(), write.user_key) == keys.end()) continue;
      ApplyWrite(write, user, list.applied_writes);
      list.pending_own_write = true;
      break;
    }
  }
}

void LookupCache::Forget(const std::vector<std::string>& keys) {
  absl::MutexLock lock(&mu_);
  for (const std::string& key : keys) {
    const auto found = index_.find(key);
    if (found != index_.end()) EraseLocked(found->second);
  }
}

void LookupCache::Tombstone(const std::vector<std::string>& keys, absl::Time now,
                            absl::Time until) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> reached = keys;
  for (const std::string& key : keys) {
    const auto found = index_.find(key);
    if (found == index_.end()) continue;
    const Entry& entry = entries_.at(found->second);
    // The user's other identifiers (its alias, braze_id) are gone with it.
    if (entry.kind == EntryKind::kUser) {
      for (const std::string& other : entry.keys) AddUnique(reached, other);
    }
    EraseLocked(found->second);
  }
  for (const std::string& key : reached) {
    const auto found = index_.find(key);
    if (found != index_.end()) EraseLocked(found->second);
    tombstones_[key] = TombstoneSpan{now, until};
  }
}

bool LookupCache::TombstonedLocked(const std::string& key, absl::Time now) {
  const auto found = tombstones_.find(key);
  if (found == tombstones_.end()) return false;
  if (now < found->second.until) return true;
  tombstones_.erase(found);
  return false;
}

size_t LookupCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

bool LookupCache::OverlayRecentWrites(const std::vector<std::string>& keys, absl::Time fetched_at,
                                      std::vector<v1::ExportedUser>& users,
                                      absl::flat_hash_set<size_t>& applied) const {
  if (writes_ == nullptr || keys.empty()) return false;
  const std::vector<RecentWrite> recent =
      writes_->Find(options_.workspace, keys, fetched_at - options_.consistency_window);
  for (const RecentWrite& write : recent) {
    if (!applied.insert(Fingerprint(write)).second) continue;
    for (v1::ExportedUser& user : users) ApplyObject(write, user);
  }
  return !recent.empty();
}

void LookupCache::ApplyWrite(const RecentWrite& write, v1::ExportedUser& user,
                             absl::flat_hash_set<size_t>& applied) {
  if (applied.insert(Fingerprint(write)).second) ApplyObject(write, user);
}

void LookupCache::ApplyObject(const RecentWrite& write, v1::ExportedUser& user) {
  const Json object = Json::parse(BrazeJsonOf(write), nullptr, /*allow_exceptions=*/false);
  // An unreadable object changes nothing; the answer still says a write is
  // pending. What ApplyTrackObject cannot apply is likewise left as is.
  if (!object.is_discarded()) ApplyTrackObject(write.array, object, &user);
}

LookupCache::EntryId LookupCache::InsertLocked(Entry entry) {
  const EntryId id = next_id_++;
  if (entry.kind == EntryKind::kUser && entry.users[0].has_braze_id()) {
    // The same profile cached before (e.g. under an external id since
    // renamed): its keys reach the fresh data now.
    const auto previous = index_.find(absl::StrCat(kBrazeIdPrefix, entry.users[0].braze_id()));
    if (previous != index_.end()) {
      const Entry& old = entries_.at(previous->second);
      if (old.kind == EntryKind::kUser) {
        for (const std::string& key : old.keys) AddUnique(entry.keys, key);
      }
    }
  }
  for (const std::string& key : entry.keys) {
    const auto owner = index_.find(key);
    if (owner != index_.end()) {
      const EntryId old_id = owner->second;
      Entry& old = entries_.at(old_id);
      old.keys.erase(std::remove(old.keys.begin(), old.keys.end(), key), old.keys.end());
      index_.erase(owner);
      if (old.keys.empty()) EraseLocked(old_id);
    }
    index_.emplace(key, id);
  }
  if (entry.kind == EntryKind::kList) {
    for (const v1::ExportedUser& user : entry.users) {
      for (std::string& key : IdentifyingKeys(user)) {
        list_members_[key].push_back(id);
        entry.member_keys.push_back(std::move(key));
      }
    }
  }
  recency_.push_front(id);
  entry.recency = recency_.begin();
  entry.expiry = expiry_.emplace(entry.fetched_at, id);
  entries_.emplace(id, std::move(entry));
  TrimLocked(absl::InfinitePast());
  return id;
}

void LookupCache::EraseLocked(EntryId id) {
  const auto found = entries_.find(id);
  if (found == entries_.end()) return;
  Entry& entry = found->second;
  for (const std::string& key : entry.keys) {
    const auto indexed = index_.find(key);
    if (indexed != index_.end() && indexed->second == id) index_.erase(indexed);
  }
  for (const std::string& key : entry.member_keys) {
    const auto members = list_members_.find(key);
    if (members == list_members_.end()) continue;
    std::vector<EntryId>& ids = members->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) list_members_.erase(members);
  }
  recency_.erase(entry.recency);
  expiry_.erase(entry.expiry);
  entries_.erase(found);
}

void LookupCache::TrimLocked(absl::Time now) {
  const absl::Time oldest_kept = now - options_.retention;
  while (!expiry_.empty() && expiry_.begin()->first < oldest_kept) {
    EraseLocked(expiry_.begin()->second);
  }
  // The newest entry stays even with a cap of zero: Store answers from it.
  while (entries_.size() > std::max<size_t>(1, options_.max_entries)) {
    EraseLocked(recency_.back());
  }
}

void LookupCache::TouchLocked(Entry& entry) {
  recency_.splice(recency_.begin(), recency_, entry.recency);
}

CachedAnswer LookupCache::AnswerOf(const Entry& entry) {
  CachedAnswer answer;
  answer.users = entry.users;
  answer.fetched_at = entry.fetched_at;
  answer.pending_own_write = entry.pending_own_write;
  return answer;
}

}  // namespace brazesync
