// Implementation of profile_store.h.
#include "tests/emulator/profile_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/emulator/attribute_rules.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

bool Present(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// Keys of a track object that address the profile or steer processing, and
// are not themselves written to it.
bool IsControlKey(const std::string& key) {
  return key == "external_id" || key == "user_alias" || key == "braze_id" ||
         key == "_update_existing_only" || key == "_merge_objects" || key == "push_token_import";
}

// Deep merge for `_merge_objects: true`: objects merge key by key, anything
// else (null included) replaces.
void DeepMerge(Json& into, const Json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (const auto& [key, value] : from.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object()) {
      DeepMerge(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

// Index keys: the value's JSON text; an alias by its name and label only.
std::string Key(const Json& value) { return value.dump(); }
std::string AliasKey(const Json& alias) {
  return absl::StrCat(Key(alias.value("alias_name", Json())), "\n",
                      Key(alias.value("alias_label", Json())));
}

bool Matches(const Json& element, const Json& criterion) {
  const std::string& key = criterion["$identifier_key"].get_ref<const std::string&>();
  return element.is_object() && element.contains(key) &&
         element[key] == criterion["$identifier_value"];
}

}  // namespace

ProfileStore::ProfileStore(int max_array_length) : max_array_length_(max_array_length) {}

void ProfileStore::Clear() {
  profiles_.clear();
  clock_ = 0;
  last_applied_.reset();
  by_external_id_.clear();
  by_alias_.clear();
  by_braze_id_.clear();
  by_email_.clear();
  by_phone_.clear();
  by_deprecated_external_id_.clear();
  orphan_states_.clear();
  changed_.clear();
}

Json ProfileStore::AllProfiles() const {
  Json out = Json::array();
  for (const Profile& p : profiles_) {
    if (!p.doc.is_null()) out.push_back(p.doc);
  }
  return out;
}

int ProfileStore::Find(const Json& ids) const {
  auto lookup = [](const std::unordered_map<std::string, int>& index, const std::string& key) {
    auto it = index.find(key);
    return it == index.end() ? -1 : it->second;
  };
  if (Present(ids, "external_id")) {
    const int primary = lookup(by_external_id_, Key(ids["external_id"]));
    return primary >= 0 ? primary : lookup(by_deprecated_external_id_, Key(ids["external_id"]));
  }
  if (Present(ids, "user_alias")) return lookup(by_alias_, AliasKey(ids["user_alias"]));
  if (Present(ids, "braze_id")) return lookup(by_braze_id_, Key(ids["braze_id"]));
  const char* key = Present(ids, "email") ? "email" : Present(ids, "phone") ? "phone" : nullptr;
  if (key == nullptr) return -1;
  if (std::string(key) == "phone" &&
      (!ids["phone"].is_string() || !IsE164(ids["phone"].get_ref<const std::string&>()))) {
    return -1;  // Braze looks up only valid numbers
  }
  const auto& index = std::string(key) == "email" ? by_email_ : by_phone_;
  auto it = index.find(Key(ids[key]));
  if (it == index.end()) return -1;
  // Several profiles may share an e-mail or phone: the most recently updated
  // one with an external_id, else the most recently updated one.
  int best = -1;
  bool best_identified = false;
  for (int i : it->second) {
    const Profile& p = profiles_[i];
    const bool identified = p.doc.contains("external_id");
    if (best < 0 || (identified && !best_identified) ||
        (identified == best_identified && p.updated > profiles_[best].updated)) {
      best = i;
      best_identified = identified;
    }
  }
  return best;
}

void ProfileStore::SetContact(int index, const std::string& key, const Json& value) {
  auto& by = key == "email" ? by_email_ : by_phone_;
  Json& doc = profiles_[index].doc;
  if (doc.contains(key)) {
    auto it = by.find(Key(doc[key]));
    if (it != by.end()) {
      it->second.erase(std::remove(it->second.begin(), it->second.end(), index), it->second.end());
      if (it->second.empty()) by.erase(it);
    }
  }
  if (value.is_null()) {
    doc.erase(key);
    return;
  }
  doc[key] = value;
  by[Key(value)].push_back(index);
  // A state set earlier for this address, when no profile held it, is
  // inherited (Braze keeps it 30 days; the emulator has no expiry).
  if (value.is_string()) {
    auto orphan = orphan_states_.find(absl::StrCat(key, ":", value.get<std::string>()));
    if (orphan != orphan_states_.end()) {
      for (const auto& [group, state] : orphan->second.items()) {
        doc["subscription_groups"][group] = state;
      }
      orphan_states_.erase(orphan);
    }
  }
}

std::vector<size_t> ProfileStore::FindAll(const Json& ids) const {
  std::vector<size_t> out;
  const char* key = Present(ids, "email") ? "email" : Present(ids, "phone") ? "phone" : nullptr;
  if (key == nullptr || Present(ids, "external_id") || Present(ids, "user_alias") ||
      Present(ids, "braze_id")) {
    const int index = Find(ids);
    if (index >= 0) out.push_back(static_cast<size_t>(index));
    return out;
  }
  const auto& index = std::string(key) == "email" ? by_email_ : by_phone_;
  auto it = index.find(Key(ids[key]));
  if (it == index.end()) return out;
  for (int i : it->second) out.push_back(static_cast<size_t>(i));
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<Json> ProfileStore::FindProfile(const Json& identifiers) const {
  const int index = Find(identifiers);
  if (index < 0) return std::nullopt;
  return profiles_[index].doc;
}

int ProfileStore::Create(const Json& stored) {
  const int index = static_cast<int>(profiles_.size());
  Profile p;
  const std::string braze_id = absl::StrFormat("%024x", index + 1);
  p.doc = {{"braze_id", braze_id},
           {"custom_attributes", Json::object()},
           {"custom_events", Json::array()},
           {"purchases", Json::array()}};
  profiles_.push_back(std::move(p));
  by_braze_id_[Key(braze_id)] = index;
  Json& doc = profiles_.back().doc;
  if (Present(stored, "external_id")) {
    doc["external_id"] = stored["external_id"];
    by_external_id_[Key(stored["external_id"])] = index;
  } else if (Present(stored, "user_alias")) {
    doc["user_aliases"] = Json::array({stored["user_alias"]});
    by_alias_[AliasKey(stored["user_alias"])] = index;
  } else if (Present(stored, "email")) {
    SetContact(index, "email", stored["email"]);
  } else if (Present(stored, "phone")) {
    SetContact(index, "phone", stored["phone"]);
  }
  return index;
}

int ProfileStore::Resolve(const std::string& array, const Json& stored, std::string& why) {
  const int found = Find(stored);
  if (found >= 0) return found;
  const bool attributes = array == "attributes";
  auto flag = stored.find("_update_existing_only");
  const bool has_flag = flag != stored.end() && flag->is_boolean();
  if (Present(stored, "external_id")) {
    if (has_flag && flag->get<bool>()) {
      why = "no profile has this external_id and _update_existing_only is true: nothing changes";
      return -1;
    }
    return Create(stored);
  }
  if (Present(stored, "user_alias")) {
    // Attributes: update-only unless the flag says false. Events and
    // purchases: update-only always (braze-api.md §1.3, case #18).
    if (!attributes) {
      why = absl::StrCat("no profile has this user_alias; Braze records ", array,
                         " only for existing alias profiles: nothing is recorded");
      return -1;
    }
    if (!has_flag || flag->get<bool>()) {
      why =
          "no profile has this user_alias and _update_existing_only is not false: nothing is "
          "created";
      return -1;
    }
    return Create(stored);
  }
  if (Present(stored, "braze_id")) {
    why = "no profile has this braze_id, and Braze cannot create one from it: nothing happens";
    return -1;
  }
  if (Present(stored, "email") || Present(stored, "phone")) {
    if (!Present(stored, "email") && !IsE164(stored["phone"].get<std::string>())) {
      why = "the phone is not E.164, so Braze finds no profile by it: nothing happens";
      return -1;
    }
    if (has_flag && flag->get<bool>()) {
      why = "no profile has this e-mail/phone and _update_existing_only is true: nothing changes";
      return -1;
    }
    return Create(stored);
  }
  // push_token_import without an identifier: an anonymous profile per import.
  return Create(stored);
}

void ProfileStore::ApplyCustom(Json& attributes, const std::string& key, const Json& value,
                               bool merge, std::vector<std::string>& alterations) {
  if (value.is_null()) {
    attributes.erase(key);
    return;
  }
  if (!value.is_object()) {
    attributes[key] = value;
    return;
  }
  Json& current = attributes[key];
  if (value.size() == 1 && value.contains("inc")) {
    const int64_t base = current.is_number_integer() ? current.get<int64_t>() : 0;
    current = base + value["inc"].get<int64_t>();
    return;
  }
  if (value.contains("add") || value.contains("remove")) {
    if (!current.is_array()) current = Json::array();
    // add, then remove: the order the emulator models for a value in both
    // lists (docs/braze-rules.md).
    for (const Json& v : value.value("add", Json::array())) {
      // Arrays are sets; adding a value already present moves it to the end.
      current.erase(std::remove(current.begin(), current.end(), v), current.end());
      current.push_back(v);
    }
    for (const Json& v : value.value("remove", Json::array())) {
      current.erase(std::remove(current.begin(), current.end(), v), current.end());
    }
    if (current.size() > static_cast<size_t>(max_array_length_)) {
      const size_t drop = current.size() - static_cast<size_t>(max_array_length_);
      current.erase(current.begin(), current.begin() + static_cast<std::ptrdiff_t>(drop));
      alterations.push_back(absl::StrCat(key, ": the array is over the workspace's ",
                                         max_array_length_, " values; Braze drops the oldest ",
                                         drop));
    }
    return;
  }
  if (value.contains("$add") || value.contains("$remove") || value.contains("$update")) {
    Json next = current.is_array() ? current : Json::array();
    for (const Json& item : value.value("$add", Json::array())) next.push_back(item);
    for (const Json& criterion : value.value("$remove", Json::array())) {
      next.erase(std::remove_if(next.begin(), next.end(),
                                [&](const Json& e) { return Matches(e, criterion); }),
                 next.end());
    }
    for (const Json& update : value.value("$update", Json::array())) {
      for (Json& element : next) {
        if (!Matches(element, update)) continue;
        if (merge) {
          DeepMerge(element, update["$new_object"]);
        } else {
          element = update["$new_object"];
        }
      }
    }
    if (JsonBytes(next) > kHundredKb) {
      alterations.push_back(absl::StrCat(key, ": the array of objects would be ", JsonBytes(next),
                                         " bytes, over Braze's 100 KB; the update is discarded "
                                         "and the attribute keeps its old value"));
      if (current.is_null()) attributes.erase(key);
      return;
    }
    current = std::move(next);
    return;
  }
  if (merge && current.is_object()) {
    DeepMerge(current, value);
  } else {
    current = value;  // without _merge_objects the stored object is replaced
  }
}

void ProfileStore::ApplyAttributes(int index, const Json& stored,
                                   std::vector<std::string>& alterations) {
  Profile& profile = profiles_[index];
  const bool merge = stored.value("_merge_objects", false);
  Json& doc = profile.doc;
  for (const auto& [key, value] : stored.items()) {
    if (IsControlKey(key)) continue;
    if (key == "push_tokens") {
      Json& tokens = doc["push_tokens"];
      if (!tokens.is_array()) tokens = Json::array();
      for (const Json& token : value) {
        const bool known = std::any_of(tokens.begin(), tokens.end(),
                                       [&](const Json& t) { return t["token"] == token["token"]; });
        if (known) {
          alterations.push_back("push_tokens: Braze already has this token and ignores it");
        } else {
          tokens.push_back(token);
        }
      }
    } else if (key == "subscription_groups") {
      for (const Json& group : value) {
        doc["subscription_groups"][group["subscription_group_id"].get<std::string>()] =
            group["subscription_state"];
      }
    } else if (key == "email" || key == "phone") {
      SetContact(index, key, value);
    } else if (IsStandardAttributeKey(key)) {
      if (value.is_null()) {
        doc.erase(key);
      } else {
        doc[key] = value;
      }
    } else {
      ApplyCustom(doc["custom_attributes"], key, value, merge, alterations);
    }
  }
}

std::vector<std::string> ProfileStore::Apply(const std::string& array, const Json& stored) {
  std::vector<std::string> alterations;
  std::string why;
  last_applied_.reset();
  const int index = Resolve(array, stored, why);
  if (index < 0) {
    alterations.push_back(why);
    return alterations;
  }
  last_applied_ = static_cast<size_t>(index);
  Profile& profile = profiles_[index];
  profile.updated = ++clock_;
  if (array == "attributes") {
    ApplyAttributes(index, stored, alterations);
    return alterations;
  }
  Json record = Json::object();
  for (const auto& [key, value] : stored.items()) {
    if (IsControlKey(key) || key == "email" || key == "phone") continue;
    record[key] = value;
  }
  if (array == "events") {
    profile.doc["custom_events"].push_back(std::move(record));
  } else {
    if (!record.contains("quantity") || record["quantity"].is_null()) record["quantity"] = 1;
    profile.doc["purchases"].push_back(std::move(record));
  }
  return alterations;
}

// ---------------------------------------------------------------------------
// Identity operations.

void ProfileStore::Touch(size_t index) {
  profiles_[index].updated = ++clock_;
  changed_.push_back(index);
}

std::vector<size_t> ProfileStore::TakeChanged() {
  std::vector<size_t> out;
  out.swap(changed_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<size_t> ProfileStore::FindIndex(const Json& identifiers) const {
  const int index = Find(identifiers);
  if (index < 0) return std::nullopt;
  return static_cast<size_t>(index);
}

std::optional<size_t> ProfileStore::FindByPrioritization(const std::string& key,
                                                         const std::string& value,
                                                         const Json& prioritization) const {
  const auto& index = key == "email" ? by_email_ : by_phone_;
  if (key == "phone" && !IsE164(value)) return std::nullopt;  // no lookup by invalid numbers
  auto it = index.find(Key(Json(value)));
  if (it == index.end() || it->second.empty()) return std::nullopt;
  std::vector<int> candidates = it->second;
  bool least = false;
  bool recency_chosen = false;
  if (prioritization.is_array()) {
    for (const Json& p : prioritization) {
      if (p == "identified" || p == "unidentified") {
        const bool want_identified = p == "identified";
        std::vector<int> narrowed;
        for (int i : candidates) {
          if (profiles_[i].doc.contains("external_id") == want_identified) narrowed.push_back(i);
        }
        if (!narrowed.empty()) candidates = std::move(narrowed);
      } else if (!recency_chosen &&
                 (p == "most_recently_updated" || p == "least_recently_updated")) {
        least = p == "least_recently_updated";
        recency_chosen = true;
      }
    }
  }
  int best = candidates.front();
  for (int i : candidates) {
    if (least ? profiles_[i].updated < profiles_[best].updated
              : profiles_[i].updated > profiles_[best].updated) {
      best = i;
    }
  }
  return static_cast<size_t>(best);
}

bool ProfileStore::AliasInUse(const Json& alias) const {
  return by_alias_.count(AliasKey(alias)) > 0;
}

bool ProfileStore::HasAliasLabel(size_t index, const std::string& label) const {
  const Json& doc = profiles_[index].doc;
  auto aliases = doc.find("user_aliases");
  if (aliases == doc.end() || !aliases->is_array()) return false;
  return std::any_of(aliases->begin(), aliases->end(),
                     [&](const Json& a) { return a.value("alias_label", Json()) == label; });
}

bool ProfileStore::AddAlias(size_t index, const Json& alias) {
  if (AliasInUse(alias) || profiles_[index].doc.is_null() ||
      HasAliasLabel(index, alias["alias_label"].get<std::string>())) {
    return false;
  }
  const Json stored = {{"alias_name", alias["alias_name"]}, {"alias_label", alias["alias_label"]}};
  profiles_[index].doc["user_aliases"].push_back(stored);
  by_alias_[AliasKey(stored)] = static_cast<int>(index);
  Touch(index);
  return true;
}

std::optional<size_t> ProfileStore::CreateAliasProfile(const Json& alias) {
  if (AliasInUse(alias)) return std::nullopt;
  const Json stored = {{"alias_name", alias["alias_name"]}, {"alias_label", alias["alias_label"]}};
  const size_t index = static_cast<size_t>(Create({{"user_alias", stored}}));
  Touch(index);
  return index;
}

void ProfileStore::SetExternalId(size_t index, const std::string& id) {
  profiles_[index].doc["external_id"] = id;
  by_external_id_[Key(Json(id))] = static_cast<int>(index);
  Touch(index);
}

void ProfileStore::MergeInto(size_t from, size_t into) {
  if (from == into || profiles_[from].doc.is_null() || profiles_[into].doc.is_null()) return;
  const Json source = profiles_[from].doc;
  Remove(from);
  Json& target = profiles_[into].doc;
  const int into_index = static_cast<int>(into);
  for (const auto& [key, value] : source.items()) {
    if (key == "braze_id" || key == "external_id" || key == "deprecated_external_ids") continue;
    if (key == "user_aliases") {
      for (const Json& alias : value) {
        if (HasAliasLabel(into, alias["alias_label"].get<std::string>())) continue;
        target["user_aliases"].push_back(alias);
        by_alias_[AliasKey(alias)] = into_index;
      }
    } else if (key == "custom_attributes" || key == "subscription_groups") {
      for (const auto& [name, v] : value.items()) {
        if (!target[key].contains(name)) target[key][name] = v;
      }
    } else if (key == "custom_events" || key == "purchases") {
      for (const Json& record : value) target[key].push_back(record);
    } else if (key == "push_tokens") {
      Json& tokens = target["push_tokens"];
      if (!tokens.is_array()) tokens = Json::array();
      for (const Json& token : value) {
        if (std::none_of(tokens.begin(), tokens.end(),
                         [&](const Json& t) { return t["token"] == token["token"]; })) {
          tokens.push_back(token);
        }
      }
    } else if (key == "email" || key == "phone") {
      if (!target.contains(key)) SetContact(into_index, key, value);
    } else if (!target.contains(key)) {
      target[key] = value;
    }
  }
  Touch(into);
}

void ProfileStore::Remove(size_t index) {
  Json& doc = profiles_[index].doc;
  if (doc.is_null()) return;
  const int i = static_cast<int>(index);
  auto erase_if_mine = [i](std::unordered_map<std::string, int>& by, const std::string& key) {
    auto it = by.find(key);
    if (it != by.end() && it->second == i) by.erase(it);
  };
  if (doc.contains("external_id")) erase_if_mine(by_external_id_, Key(doc["external_id"]));
  for (const Json& id : doc.value("deprecated_external_ids", Json::array())) {
    erase_if_mine(by_deprecated_external_id_, Key(id));
  }
  for (const Json& alias : doc.value("user_aliases", Json::array())) {
    erase_if_mine(by_alias_, AliasKey(alias));
  }
  erase_if_mine(by_braze_id_, Key(doc["braze_id"]));
  SetContact(i, "email", Json());
  SetContact(i, "phone", Json());
  doc = Json();
  Touch(index);
}

std::optional<std::string> ProfileStore::RenameExternalId(const std::string& current,
                                                          const std::string& next) {
  if (current == next) return "current_external_id and new_external_id are the same";
  const std::string current_key = Key(Json(current));
  const std::string next_key = Key(Json(next));
  if (by_deprecated_external_id_.count(current_key) > 0) {
    return "current_external_id is deprecated";
  }
  auto it = by_external_id_.find(current_key);
  if (it == by_external_id_.end()) return "current_external_id does not exist";
  if (by_external_id_.count(next_key) > 0 || by_deprecated_external_id_.count(next_key) > 0) {
    return "new_external_id is already in use";
  }
  const int index = it->second;
  by_external_id_.erase(it);
  by_external_id_[next_key] = index;
  by_deprecated_external_id_[current_key] = index;
  Json& doc = profiles_[index].doc;
  doc["external_id"] = next;
  doc["deprecated_external_ids"].push_back(current);
  Touch(static_cast<size_t>(index));
  return std::nullopt;
}

std::optional<std::string> ProfileStore::RemoveDeprecatedExternalId(const std::string& id) {
  const std::string key = Key(Json(id));
  if (by_external_id_.count(key) > 0) return "external_id is not deprecated";
  auto it = by_deprecated_external_id_.find(key);
  if (it == by_deprecated_external_id_.end()) return "external_id does not exist";
  const int index = it->second;
  by_deprecated_external_id_.erase(it);
  Json& ids = profiles_[index].doc["deprecated_external_ids"];
  ids.erase(std::remove(ids.begin(), ids.end(), Json(id)), ids.end());
  if (ids.empty()) profiles_[index].doc.erase("deprecated_external_ids");
  Touch(static_cast<size_t>(index));
  return std::nullopt;
}

void ProfileStore::SetSubscriptionState(size_t index, const std::string& group,
                                        const std::string& state) {
  if (profiles_[index].doc.is_null()) return;
  profiles_[index].doc["subscription_groups"][group] = state;
  Touch(index);
}

void ProfileStore::SetOrphanSubscriptionState(const std::string& key, const std::string& value,
                                              const std::string& group, const std::string& state) {
  orphan_states_[absl::StrCat(key, ":", value)][group] = state;
}

}  // namespace brazesync::emulator
