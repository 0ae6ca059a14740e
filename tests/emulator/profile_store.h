// A minimal model of the Braze profiles a /users/track stream leaves behind,
// so the emulator can assert the state-dependent cases of braze-api.md §6
// (#11-#18 identifier resolution and _update_existing_only, #42-#46 and #53
// value semantics, #54 an array of objects over 100 KB, #62 no dedupe, #64
// default quantity).
//
// The HTTP emulator judges a body with JudgeTrackBody (stateless, content
// only) and then applies each stored object here, in Braze's processing order
// (attributes, events, purchases). When Braze would do nothing with a stored
// object (no profile and none created, an update discarded), Apply() returns
// that as an alteration line, e.g. "no profile has this user_alias and
// _update_existing_only is not false: nothing is created".
//
// Profiles are JSON documents shaped like /users/export/ids users:
//   {"braze_id", "external_id"?, "user_aliases"?: [{alias_name, alias_label}],
//    "email"?, "phone"?, <standard fields>, "custom_attributes": {...},
//    "custom_events": [{name, time, properties?, app_id?}, ...],
//    "purchases": [{product_id, currency, price, quantity, time, ...}, ...],
//    "push_tokens"?: [...], "subscription_groups"?: {id: state},
//    "deprecated_external_ids"?: [...]}
// so the emulator can serve /users/export/ids from them (FindAll(),
// ProfileAt(), export_rules.h).
//
// The identity endpoints (identity_rules.h) change profiles through the
// operations below: add an alias, give an alias-only profile an external_id,
// merge one profile into another, rename and remove external_ids, delete.
// A deleted or merged-away profile keeps its index (indexes stay stable for
// the export's history) but its document becomes null and no lookup finds
// it. Subscription states (subscription_rules.h) live on the profiles'
// "subscription_groups"; a state set for an e-mail or phone no profile holds
// is kept apart ("orphaned") and inherited by the first profile that gets
// that e-mail or phone.
//
// Not thread-safe: the emulator calls it under its own mutex.
#ifndef BRAZESYNC_TESTS_EMULATOR_PROFILE_STORE_H_
#define BRAZESYNC_TESTS_EMULATOR_PROFILE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nlohmann/json.hpp"

namespace brazesync::emulator {

class ProfileStore final {
 public:
  // max_array_length: the workspace's cap on scalar array attributes (the
  // oldest values are dropped when `add` goes over it).
  explicit ProfileStore(int max_array_length = 500);

  // Applies one stored object (ObjectVerdict::stored) of `array`
  // ("attributes", "events" or "purchases"). Returns one line per thing Braze
  // does not do with it; empty when it was applied as is.
  std::vector<std::string> Apply(const std::string& array, const nlohmann::json& stored);

  // The profile that `identifiers` resolves to, looked up the way Braze
  // resolves a track object (braze-api.md §1.3): external_id, user_alias or
  // braze_id; else email (the most recently updated profile, preferring one
  // with an external_id); else phone. nullopt when none matches.
  //   FindProfile({{"external_id", "u1"}})
  //   FindProfile({{"user_alias", {{"alias_name", "a"}, {"alias_label", "l"}}}})
  std::optional<nlohmann::json> FindProfile(const nlohmann::json& identifiers) const;

  // Indexes (creation order, stable: a removed profile keeps its index) of every
  // profile `identifiers` names, for /users/export/ids: external_id,
  // user_alias (case-sensitive) and braze_id name at most one; an email or
  // phone names every profile holding it (round2 case 91), in creation order.
  std::vector<size_t> FindAll(const nlohmann::json& identifiers) const;
  // The profile at `index` (< size()); null once it was deleted or merged away.
  const nlohmann::json& ProfileAt(size_t index) const { return profiles_[index].doc; }
  // The profile the most recent Apply() created or changed; nullopt when it
  // touched none (or after Clear()).
  std::optional<size_t> last_applied() const { return last_applied_; }

  // Every live profile, in creation order.
  nlohmann::json AllProfiles() const;
  // Profiles ever created, removed ones included (indexes are < size()).
  size_t size() const { return profiles_.size(); }
  void Clear();

  // --- Identity operations (identity_rules.h, trigger_rules.h,
  // subscription_rules.h). Each marks the profiles it changes (TakeChanged).

  // The index FindProfile would return. An external_id also finds the
  // profile holding it as a deprecated (renamed) id.
  std::optional<size_t> FindIndex(const nlohmann::json& identifiers) const;
  // The one profile an e-mail or phone (`key` "email" or "phone") names
  // under Braze's `prioritization` (an ordered list of "identified" or
  // "unidentified", "most_recently_updated", "least_recently_updated"):
  // each identified/unidentified narrows the candidates when any remain,
  // then the first recency value picks (most recently updated by default).
  std::optional<size_t> FindByPrioritization(const std::string& key, const std::string& value,
                                             const nlohmann::json& prioritization) const;
  // Whether any live profile holds the alias (name and label, case-sensitive).
  bool AliasInUse(const nlohmann::json& alias) const;
  // Whether profile `index` holds an alias with this label.
  bool HasAliasLabel(size_t index, const std::string& label) const;
  // Adds an alias to profile `index`; false (nothing changes) when the pair
  // is on any profile or the profile already has an alias with that label.
  bool AddAlias(size_t index, const nlohmann::json& alias);
  // Creates an alias-only profile; nullopt when the pair is in use.
  std::optional<size_t> CreateAliasProfile(const nlohmann::json& alias);
  // Gives profile `index` (which has none) the unused external_id `id`.
  void SetExternalId(size_t index, const std::string& id);
  // Copies into profile `into` what it lacks from profile `from` (standard
  // fields, e-mail, phone, custom attributes, subscription states, aliases
  // whose label `into` lacks, push tokens), appends `from`'s events and
  // purchases (so counts add up), then removes `from`.
  void MergeInto(size_t from, size_t into);
  // Deletes profile `index`: its identifiers free, its document null, its
  // subscription states gone with it.
  void Remove(size_t index);
  // Renames a primary external_id; the old one becomes deprecated and still
  // resolves. Returns Braze's per-item error when it cannot.
  std::optional<std::string> RenameExternalId(const std::string& current, const std::string& next);
  // Removes a deprecated external_id; an error when it is not one.
  std::optional<std::string> RemoveDeprecatedExternalId(const std::string& id);
  // Sets `group`'s state ("subscribed"/"unsubscribed") on profile `index`.
  void SetSubscriptionState(size_t index, const std::string& group, const std::string& state);
  // Keeps a state for an e-mail or phone no profile holds yet.
  void SetOrphanSubscriptionState(const std::string& key, const std::string& value,
                                  const std::string& group, const std::string& state);
  // The orphaned states per "email:<value>" / "phone:<value>".
  const std::unordered_map<std::string, nlohmann::json>& orphan_subscription_states() const {
    return orphan_states_;
  }
  // The profiles the operations above changed (removed ones included) since
  // the last call, in index order; clears the list.
  std::vector<size_t> TakeChanged();

 private:
  struct Profile {
    nlohmann::json doc;
    uint64_t updated = 0;  // for "the most recently updated profile"
  };

  // Index into profiles_ or -1.
  int Find(const nlohmann::json& identifiers) const;
  // Finds or creates the profile `stored` addresses; -1 with `why` set when
  // Braze would neither find nor create one.
  int Resolve(const std::string& array, const nlohmann::json& stored, std::string& why);
  int Create(const nlohmann::json& stored);
  void ApplyAttributes(int index, const nlohmann::json& stored,
                       std::vector<std::string>& alterations);
  void ApplyCustom(nlohmann::json& attributes, const std::string& key, const nlohmann::json& value,
                   bool merge, std::vector<std::string>& alterations);

  // Marks profile `index` updated now and changed.
  void Touch(size_t index);
  // Keeps by_email_ / by_phone_ in step when `key` ("email" or "phone") of
  // profile `index` is set to `value` (null: removed).
  void SetContact(int index, const std::string& key, const nlohmann::json& value);

  const int max_array_length_;
  std::vector<Profile> profiles_;
  uint64_t clock_ = 0;
  std::optional<size_t> last_applied_;
  // Indexes into profiles_, so that a benchmark's hundreds of thousands of
  // objects do not each scan every profile. Keys are the JSON text of the
  // value (an alias: name and label).
  std::unordered_map<std::string, int> by_external_id_;
  std::unordered_map<std::string, int> by_alias_;
  std::unordered_map<std::string, int> by_braze_id_;
  std::unordered_map<std::string, std::vector<int>> by_email_;
  std::unordered_map<std::string, std::vector<int>> by_phone_;
  std::unordered_map<std::string, int> by_deprecated_external_id_;
  // "email:<value>" or "phone:<value>" -> {group: state}.
  std::unordered_map<std::string, nlohmann::json> orphan_states_;
  std::vector<size_t> changed_;
};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_PROFILE_STORE_H_
