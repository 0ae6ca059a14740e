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
}

Json ProfileStore::AllProfiles() const {
  Json out = Json::array();
  for (const Profile& p : profiles_) out.push_back(p.doc);
  return out;
}

int ProfileStore::Find(const Json& ids) const {
  auto match = [&](auto&& predicate) {
    for (size_t i = 0; i < profiles_.size(); ++i) {
      if (predicate(profiles_[i].doc)) return static_cast<int>(i);
    }
    return -1;
  };
  if (Present(ids, "external_id")) {
    return match(
        [&](const Json& d) { return d.value("external_id", Json()) == ids["external_id"]; });
  }
  if (Present(ids, "user_alias")) {
    const Json& alias = ids["user_alias"];
    return match([&](const Json& d) {
      auto it = d.find("user_aliases");
      return it != d.end() && std::find(it->begin(), it->end(), alias) != it->end();
    });
  }
  if (Present(ids, "braze_id")) {
    return match([&](const Json& d) { return d["braze_id"] == ids["braze_id"]; });
  }
  const char* key = Present(ids, "email") ? "email" : Present(ids, "phone") ? "phone" : nullptr;
  if (key == nullptr) return -1;
  if (std::string(key) == "phone" &&
      (!ids["phone"].is_string() || !IsE164(ids["phone"].get_ref<const std::string&>()))) {
    return -1;  // Braze looks up only valid numbers
  }
  // Several profiles may share an e-mail or phone: the most recently updated
  // one with an external_id, else the most recently updated one.
  int best = -1;
  bool best_identified = false;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    const Profile& p = profiles_[i];
    if (p.doc.value(key, Json()) != ids[key]) continue;
    const bool identified = p.doc.contains("external_id");
    if (best < 0 || (identified && !best_identified) ||
        (identified == best_identified && p.updated > profiles_[best].updated)) {
      best = static_cast<int>(i);
      best_identified = identified;
    }
  }
  return best;
}

std::optional<Json> ProfileStore::FindProfile(const Json& identifiers) const {
  const int index = Find(identifiers);
  if (index < 0) return std::nullopt;
  return profiles_[index].doc;
}

int ProfileStore::Create(const Json& stored) {
  Profile p;
  p.doc = {{"braze_id", absl::StrFormat("%024x", profiles_.size() + 1)},
           {"custom_attributes", Json::object()},
           {"custom_events", Json::array()},
           {"purchases", Json::array()}};
  if (Present(stored, "external_id")) {
    p.doc["external_id"] = stored["external_id"];
  } else if (Present(stored, "user_alias")) {
    p.doc["user_aliases"] = Json::array({stored["user_alias"]});
  } else if (Present(stored, "email")) {
    p.doc["email"] = stored["email"];
  } else if (Present(stored, "phone")) {
    p.doc["phone"] = stored["phone"];
  }
  profiles_.push_back(std::move(p));
  return static_cast<int>(profiles_.size() - 1);
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
    for (const Json& v : value.value("remove", Json::array())) {
      current.erase(std::remove(current.begin(), current.end(), v), current.end());
    }
    for (const Json& v : value.value("add", Json::array())) {
      // Arrays are sets; adding a value already present moves it to the end.
      current.erase(std::remove(current.begin(), current.end(), v), current.end());
      current.push_back(v);
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

void ProfileStore::ApplyAttributes(Profile& profile, const Json& stored,
                                   std::vector<std::string>& alterations) {
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
  const int index = Resolve(array, stored, why);
  if (index < 0) {
    alterations.push_back(why);
    return alterations;
  }
  Profile& profile = profiles_[index];
  profile.updated = ++clock_;
  if (array == "attributes") {
    ApplyAttributes(profile, stored, alterations);
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
