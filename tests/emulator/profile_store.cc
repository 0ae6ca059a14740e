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
}

Json ProfileStore::AllProfiles() const {
  Json out = Json::array();
  for (const Profile& p : profiles_) out.push_back(p.doc);
  return out;
}

int ProfileStore::Find(const Json& ids) const {
  auto lookup = [](const std::unordered_map<std::string, int>& index, const std::string& key) {
    auto it = index.find(key);
    return it == index.end() ? -1 : it->second;
  };
  if (Present(ids, "external_id")) return lookup(by_external_id_, Key(ids["external_id"]));
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

}  // namespace brazesync::emulator
