// Implementation of identity_rules.h. Braze's documented 400 texts are used
// where §2.4 gives them (merge); the others are the emulator's own, each
// naming the field, as Braze's texts for them are not published.
#include "tests/emulator/identity_rules.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr char kMergeUpdatesMustBeObjects[] = "'merge_updates' must be an array of objects";
constexpr char kTooManyMergeUpdates[] =
    "a single request may not contain more than 50 merge updates";
constexpr char kMergeIdentifiersMustBeObjects[] =
    "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' "
    "property that is an object, 'email' property that is a string, or 'phone' property that is "
    "a string";
constexpr char kMergeOnlyTwoKeys[] =
    "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'";
constexpr char kBothRecencies[] =
    "Request can not contain both of 'most_recently_updated' and 'least_recently_updated' values "
    "in the 'prioritization' array";
constexpr char kBothIdentifiedAndUnidentified[] =
    "Request can not contain both of 'identified' and 'unidentified' values in the "
    "'prioritization' array";
constexpr char kExternalIdRequired[] = "'external_id' is required";

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

bool Has(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// The "alias_name"/"alias_label" pair only, as the store keeps it.
Json AliasOf(const Json& alias) {
  return {{"alias_name", alias["alias_name"]}, {"alias_label", alias["alias_label"]}};
}

std::string Describe(const Json& identifier) { return identifier.dump(); }

}  // namespace

bool IsValidAlias(const Json& alias) {
  if (!alias.is_object()) return false;
  for (const char* part : {"alias_name", "alias_label"}) {
    auto it = alias.find(part);
    if (it == alias.end() || !IsNonEmptyString(*it) ||
        it->get_ref<const std::string&>().size() > kMaxAliasPartBytes) {
      return false;
    }
  }
  return true;
}

std::string PrioritizationProblem(const Json& prioritization, bool allow_least) {
  if (prioritization.is_null()) return "'prioritization' is required";
  if (!prioritization.is_array() || prioritization.empty()) {
    return "'prioritization' must be a non-empty array";
  }
  std::set<std::string> seen;
  for (const Json& value : prioritization) {
    const bool known = value == "identified" || value == "unidentified" ||
                       value == "most_recently_updated" ||
                       (allow_least && value == "least_recently_updated");
    if (!known) {
      return absl::StrCat(value.dump(), " is not a valid value in the 'prioritization' array");
    }
    if (!seen.insert(value.get<std::string>()).second) {
      return "Request can not contain duplicate values in the 'prioritization' array";
    }
  }
  if (seen.count("identified") && seen.count("unidentified")) {
    return kBothIdentifiedAndUnidentified;
  }
  if (seen.count("most_recently_updated") && seen.count("least_recently_updated")) {
    return kBothRecencies;
  }
  return "";
}

// ---------------------------------------------------------------------------
// POST /users/alias/new

EndpointAnswer NewAliases(const Json& body, ProfileStore& store) {
  auto list = body.find("user_aliases");
  if (list == body.end() || !list->is_array()) {
    return EndpointAnswer::Error(400, "'user_aliases' must be an array of alias objects");
  }
  if (list->empty()) {
    return EndpointAnswer::Error(400, "'user_aliases' must contain at least one alias");
  }
  if (list->size() > kMaxIdentityItems) {
    return EndpointAnswer::Error(400, "a single request may not contain more than 50 aliases");
  }
  for (const Json& item : *list) {
    if (!IsValidAlias(item)) {
      return EndpointAnswer::Error(
          400,
          "each alias must have non-empty 'alias_name' and 'alias_label' strings of at most 236 "
          "bytes");
    }
    if (Has(item, "external_id") && !IsNonEmptyString(item["external_id"])) {
      return EndpointAnswer::Error(400, "'external_id' must be a non-empty string");
    }
  }
  EndpointAnswer out;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const Json alias = AliasOf(item);
    if (Has(item, "external_id")) {
      const std::optional<size_t> user = store.FindIndex({{"external_id", item["external_id"]}});
      if (!user) {
        out.notes.push_back(absl::StrCat("user_aliases[", i, "]: no user has external_id ",
                                         item["external_id"].dump(),
                                         ": the alias is added to nobody (case 95)"));
      } else if (!store.AddAlias(*user, alias)) {
        out.notes.push_back(absl::StrCat(
            "user_aliases[", i, "]: ", Describe(alias),
            " is already on a user, or the user already has an alias with that label: nothing "
            "changes (case 96)"));
      }
    } else if (!store.CreateAliasProfile(alias)) {
      out.notes.push_back(absl::StrCat("user_aliases[", i, "]: ", Describe(alias),
                                       " is already on a user: nothing changes (case 96)"));
    }
  }
  out.status = 201;
  out.body = {{"aliases_processed", list->size()}, {"message", "success"}};
  return out;
}

// ---------------------------------------------------------------------------
// POST /users/identify

namespace {

// Identifies the one anonymous profile `anonymous` as `external_id`: merged
// into the profile holding that external_id, or given it when none does.
void IdentifyProfile(ProfileStore& store, size_t anonymous, const std::string& external_id,
                     const std::string& what, std::vector<std::string>& notes) {
  const Json& doc = store.ProfileAt(anonymous);
  if (doc.contains("external_id")) {
    notes.push_back(absl::StrCat(what, " is on a profile that already has external_id ",
                                 doc["external_id"].dump(), ": no merge"));
    return;
  }
  const std::optional<size_t> target = store.FindIndex({{"external_id", external_id}});
  if (!target) {
    store.SetExternalId(anonymous, external_id);
    return;
  }
  store.MergeInto(anonymous, *target);
}

}  // namespace

EndpointAnswer IdentifyUsers(const Json& body, ProfileStore& store) {
  static constexpr const char* kArrays[] = {"aliases_to_identify", "emails_to_identify",
                                            "phone_numbers_to_identify"};
  size_t total = 0;
  bool any = false;
  for (const char* name : kArrays) {
    if (!Has(body, name)) continue;
    any = true;
    if (!body[name].is_array()) {
      return EndpointAnswer::Error(400, absl::StrCat("'", name, "' must be an array"));
    }
    total += body[name].size();
  }
  if (!any || total == 0) {
    return EndpointAnswer::Error(400,
                                 "One of 'aliases_to_identify', 'emails_to_identify' or "
                                 "'phone_numbers_to_identify' is required");
  }
  if (total > kMaxIdentityItems) {
    return EndpointAnswer::Error(
        400,
        "a single request may not contain more than 50 aliases, emails and phone numbers to "
        "identify");
  }

  EndpointAnswer out;
  OrderedJson errors = OrderedJson::array();
  size_t processed[3] = {0, 0, 0};
  for (int a = 0; a < 3; ++a) {
    const char* name = kArrays[a];
    if (!Has(body, name)) continue;
    const Json& items = body[name];
    for (size_t i = 0; i < items.size(); ++i) {
      const Json& item = items[i];
      auto error = [&](const std::string& type) {
        errors.push_back({{"type", type}, {"input_array", name}, {"index", i}});
      };
      if (!item.is_object()) {
        error("each item must be an object");
        continue;
      }
      if (!IsNonEmptyString(item.value("external_id", Json()))) {
        error(kExternalIdRequired);
        continue;
      }
      const std::string external_id = item["external_id"];
      const std::string where = absl::StrCat(name, "[", i, "]");
      if (a == 0) {
        if (!IsValidAlias(item.value("user_alias", Json()))) {
          error("'user_alias' must be an object with 'alias_name' and 'alias_label'");
          continue;
        }
        const Json alias = AliasOf(item["user_alias"]);
        ++processed[a];
        const std::optional<size_t> anonymous = store.FindIndex({{"user_alias", alias}});
        if (!anonymous) {
          out.notes.push_back(absl::StrCat(where, ": no profile has the alias ", Describe(alias),
                                           " (alias_name is case-sensitive): nothing happens"));
          continue;
        }
        const std::optional<size_t> target = store.FindIndex({{"external_id", external_id}});
        if (target && *target != *anonymous &&
            store.HasAliasLabel(*target, alias["alias_label"].get<std::string>())) {
          out.notes.push_back(absl::StrCat(
              where, ": the user ", external_id, " already has an alias labelled ",
              alias["alias_label"].dump(), ": the profiles are not combined (case 106)"));
          continue;
        }
        if (target && *target == *anonymous) continue;  // already identified as external_id
        IdentifyProfile(store, *anonymous, external_id, where, out.notes);
        continue;
      }
      const char* key = a == 1 ? "email" : "phone";
      if (!IsNonEmptyString(item.value(key, Json()))) {
        error(absl::StrCat("'", key, "' is required"));
        continue;
      }
      const std::string problem = PrioritizationProblem(item.value("prioritization", Json()));
      if (!problem.empty()) {
        error(problem);
        continue;
      }
      ++processed[a];
      const std::string value = item[key];
      if (a == 2 && !IsE164(value)) {
        out.notes.push_back(
            absl::StrCat(where, ": ", value, " is not E.164; no profile is found by it"));
        continue;
      }
      const std::vector<size_t> holders = store.FindAll({{key, value}});
      if (holders.empty()) {
        out.notes.push_back(absl::StrCat(where, ": no profile has ", value, ": nothing happens"));
      } else if (holders.size() > 1) {
        out.notes.push_back(absl::StrCat(where, ": ", holders.size(), " profiles have ", value,
                                         ": no merge (case 104)"));
      } else {
        IdentifyProfile(store, holders.front(), external_id, where, out.notes);
      }
    }
  }
  out.status = 201;
  out.body = {{"aliases_processed", processed[0]},
              {"emails_processed", processed[1]},
              {"phone_numbers_processed", processed[2]},
              {"message", "success"}};
  if (!errors.empty()) out.body["errors"] = std::move(errors);
  return out;
}

// ---------------------------------------------------------------------------
// POST /users/merge

namespace {

// The 400 text for a /users/merge identifier, or empty when it is valid.
std::string MergeIdentifierProblem(const Json& identifier) {
  if (!identifier.is_object()) return kMergeIdentifiersMustBeObjects;
  int kinds = 0;
  for (const char* key : {"external_id", "user_alias", "email", "phone"})
    kinds += Has(identifier, key);
  if (kinds != 1) return kMergeIdentifiersMustBeObjects;
  if (Has(identifier, "external_id") && !IsNonEmptyString(identifier["external_id"])) {
    return kMergeIdentifiersMustBeObjects;
  }
  if (Has(identifier, "user_alias") && !IsValidAlias(identifier["user_alias"])) {
    return kMergeIdentifiersMustBeObjects;
  }
  for (const char* key : {"email", "phone"}) {
    if (!Has(identifier, key)) continue;
    if (!IsNonEmptyString(identifier[key])) return kMergeIdentifiersMustBeObjects;
    return PrioritizationProblem(identifier.value("prioritization", Json()));
  }
  return "";
}

std::optional<size_t> ResolveIdentifier(const Json& identifier, const ProfileStore& store) {
  if (Has(identifier, "external_id")) {
    return store.FindIndex({{"external_id", identifier["external_id"]}});
  }
  if (Has(identifier, "user_alias")) {
    return store.FindIndex({{"user_alias", AliasOf(identifier["user_alias"])}});
  }
  if (Has(identifier, "braze_id")) return store.FindIndex({{"braze_id", identifier["braze_id"]}});
  for (const char* key : {"email", "phone"}) {
    if (Has(identifier, key)) {
      return store.FindByPrioritization(key, identifier[key].get<std::string>(),
                                        identifier.value("prioritization", Json()));
    }
  }
  return std::nullopt;
}

}  // namespace

EndpointAnswer MergeUsers(const Json& body, ProfileStore& store) {
  auto updates = body.find("merge_updates");
  if (updates == body.end() || !updates->is_array() ||
      std::any_of(updates->begin(), updates->end(), [](const Json& u) { return !u.is_object(); })) {
    return EndpointAnswer::Error(400, kMergeUpdatesMustBeObjects);
  }
  if (updates->size() > kMaxIdentityItems) return EndpointAnswer::Error(400, kTooManyMergeUpdates);
  for (const Json& update : *updates) {
    for (const auto& [key, value] : update.items()) {
      if (key != "identifier_to_merge" && key != "identifier_to_keep") {
        return EndpointAnswer::Error(400, kMergeOnlyTwoKeys);
      }
    }
    for (const char* side : {"identifier_to_merge", "identifier_to_keep"}) {
      const std::string problem = MergeIdentifierProblem(update.value(side, Json()));
      if (!problem.empty()) return EndpointAnswer::Error(400, problem);
    }
  }
  EndpointAnswer out;
  // Braze does not guarantee the order; the emulator applies the last update
  // first, so that a caller relying on request order sees the difference.
  for (size_t n = updates->size(); n-- > 0;) {
    const Json& update = (*updates)[n];
    const std::string where = absl::StrCat("merge_updates[", n, "]");
    const std::optional<size_t> from = ResolveIdentifier(update["identifier_to_merge"], store);
    const std::optional<size_t> into = ResolveIdentifier(update["identifier_to_keep"], store);
    if (!from || !into) {
      out.notes.push_back(absl::StrCat(
          where, ": ", !from ? "identifier_to_merge" : "identifier_to_keep",
          " names no profile (an unknown id, or a phone that is not E.164): no merge"));
      continue;
    }
    if (*from == *into) {
      out.notes.push_back(absl::StrCat(where, ": both identifiers name one profile: no merge"));
      continue;
    }
    store.MergeInto(*from, *into);
  }
  out.status = 202;
  out.body = {{"message", "success"}};
  return out;
}

// ---------------------------------------------------------------------------
// POST /users/delete

EndpointAnswer DeleteUsers(const Json& body, ProfileStore& store) {
  static constexpr const char* kKinds[] = {"external_ids", "user_aliases", "braze_ids",
                                           "email_addresses", "phone_numbers"};
  const char* kind = nullptr;
  int kinds = 0;
  for (const char* k : kKinds) {
    if (Has(body, k)) {
      kind = k;
      ++kinds;
    }
  }
  if (kinds == 0) {
    return EndpointAnswer::Error(400,
                                 "One of 'external_ids', 'user_aliases', 'braze_ids', "
                                 "'email_addresses' or 'phone_numbers' is required");
  }
  if (kinds > 1) {
    return EndpointAnswer::Error(400,
                                 "Only one of 'external_ids', 'user_aliases', 'braze_ids', "
                                 "'email_addresses' or 'phone_numbers' may be given per request");
  }
  const Json& items = body[kind];
  const std::string name = kind;
  if (!items.is_array() || items.empty()) {
    return EndpointAnswer::Error(400, absl::StrCat("'", name, "' must be a non-empty array"));
  }
  if (items.size() > kMaxIdentityItems) {
    return EndpointAnswer::Error(400,
                                 "a single request may not contain more than 50 users to delete");
  }
  for (const Json& item : items) {
    if (name == "external_ids" || name == "braze_ids") {
      if (!IsNonEmptyString(item)) {
        return EndpointAnswer::Error(400, absl::StrCat("'", name, "' must be an array of strings"));
      }
    } else if (name == "user_aliases") {
      if (!IsValidAlias(item)) {
        return EndpointAnswer::Error(
            400, "each of 'user_aliases' must have non-empty 'alias_name' and 'alias_label'");
      }
    } else {
      const char* key = name == "email_addresses" ? "email" : "phone";
      if (!item.is_object() || !IsNonEmptyString(item.value(key, Json()))) {
        return EndpointAnswer::Error(
            400, absl::StrCat("each of '", name, "' must be an object with '", key,
                              "' and 'prioritization'"));
      }
      const std::string problem =
          PrioritizationProblem(item.value("prioritization", Json()), /*allow_least=*/false);
      if (!problem.empty()) return EndpointAnswer::Error(400, problem);
    }
  }
  EndpointAnswer out;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    std::optional<size_t> found;
    if (name == "external_ids") {
      found = store.FindIndex({{"external_id", item}});
    } else if (name == "braze_ids") {
      found = store.FindIndex({{"braze_id", item}});
    } else if (name == "user_aliases") {
      found = store.FindIndex({{"user_alias", AliasOf(item)}});
    } else {
      found = ResolveIdentifier(item, store);
    }
    if (!found) {
      out.notes.push_back(
          absl::StrCat(name, "[", i, "]: no such user; Braze queues it all the same"));
      continue;
    }
    store.Remove(*found);
  }
  out.status = 201;
  out.body = {{"deleted", items.size()}, {"message", "success"}};
  return out;
}

// ---------------------------------------------------------------------------
// POST /users/external_ids/rename and /remove

EndpointAnswer RenameExternalIds(const Json& body, ProfileStore& store) {
  auto renames = body.find("external_id_renames");
  if (renames == body.end() || !renames->is_array()) {
    return EndpointAnswer::Error(400, "'external_id_renames' must be an array of objects");
  }
  if (renames->empty()) {
    return EndpointAnswer::Error(400, "'external_id_renames' must not be empty");
  }
  if (renames->size() > kMaxIdentityItems) {
    return EndpointAnswer::Error(
        400, "a single request may not contain more than 50 external_id renames");
  }
  for (const Json& item : *renames) {
    if (!item.is_object()) {
      return EndpointAnswer::Error(400, "'external_id_renames' must be an array of objects");
    }
    for (const auto& [key, value] : item.items()) {
      if (key != "current_external_id" && key != "new_external_id") {
        return EndpointAnswer::Error(
            400, absl::StrCat("invalid key '", key, "': 'external_id_renames' objects only have ",
                              "'current_external_id' and 'new_external_id'"));
      }
    }
  }
  OrderedJson renamed = OrderedJson::array();
  OrderedJson errors = OrderedJson::array();
  for (size_t i = 0; i < renames->size(); ++i) {
    const Json& item = (*renames)[i];
    const Json current = item.value("current_external_id", Json());
    const Json next = item.value("new_external_id", Json());
    if (!IsNonEmptyString(current) || !IsNonEmptyString(next)) {
      errors.push_back({i, "current_external_id and new_external_id must be non-empty strings"});
      continue;
    }
    if (std::optional<std::string> error =
            store.RenameExternalId(current.get<std::string>(), next.get<std::string>())) {
      errors.push_back({i, *error});
      continue;
    }
    renamed.push_back(current.get<std::string>());
  }
  EndpointAnswer out;
  out.status = 201;
  out.body = {{"message", "success"}, {"external_ids", renamed}, {"rename_errors", errors}};
  return out;
}

EndpointAnswer RemoveExternalIds(const Json& body, ProfileStore& store) {
  auto ids = body.find("external_ids");
  if (ids == body.end() || !ids->is_array()) {
    return EndpointAnswer::Error(400, "'external_ids' must be an array of strings");
  }
  if (ids->empty()) return EndpointAnswer::Error(400, "'external_ids' must not be empty");
  if (ids->size() > kMaxIdentityItems) {
    return EndpointAnswer::Error(400, "a single request may not contain more than 50 external_ids");
  }
  OrderedJson removed = OrderedJson::array();
  OrderedJson errors = OrderedJson::array();
  for (size_t i = 0; i < ids->size(); ++i) {
    const Json& id = (*ids)[i];
    if (!IsNonEmptyString(id)) {
      errors.push_back({i, "external_id must be a non-empty string"});
      continue;
    }
    if (std::optional<std::string> error =
            store.RemoveDeprecatedExternalId(id.get<std::string>())) {
      errors.push_back({i, *error});
      continue;
    }
    removed.push_back(id.get<std::string>());
  }
  EndpointAnswer out;
  out.status = 201;
  out.body = {{"message", "success"}, {"removed_ids", removed}, {"removal_errors", errors}};
  return out;
}

}  // namespace brazesync::emulator
