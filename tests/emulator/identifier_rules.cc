// Implementation of identifier_rules.h.
#include "tests/emulator/identifier_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

constexpr size_t kMaxExternalIdBytes = 987;
constexpr size_t kMaxAliasPartBytes = 236;

bool IsNonEmptyString(const nlohmann::json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

}  // namespace

bool Present(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

std::optional<std::string> JudgeIdentifiers(nlohmann::json& object, const TrackRules& rules,
                                            bool identifier_optional,
                                            std::vector<std::string>& alterations) {
  // external_id and user_alias cannot be removed (§1.4); Braze ignores null.
  for (const char* key : {"external_id", "user_alias", "braze_id"}) {
    auto it = object.find(key);
    if (it != object.end() && it->is_null()) {
      object.erase(it);
      alterations.push_back(
          absl::StrCat(key, ": null cannot remove an identifier; Braze ignores it"));
    }
  }
  const int primaries =
      Present(object, "external_id") + Present(object, "user_alias") + Present(object, "braze_id");
  const bool secondary = Present(object, "email") || Present(object, "phone");
  if (primaries == 0 && !secondary && !identifier_optional) return kIdentifierRequired;
  if (primaries > 1) return kOnePrimaryOnly;

  if (Present(object, "external_id")) {
    const nlohmann::json& id = object["external_id"];
    if (!IsNonEmptyString(id)) return "'external_id' must be a non-empty string";
    const std::string& text = id.get_ref<const std::string&>();
    if (text.size() > kMaxExternalIdBytes) return "EXTERNAL_USER_ID_TOO_LARGE";
    if (std::find(rules.blocked_external_ids.begin(), rules.blocked_external_ids.end(), text) !=
        rules.blocked_external_ids.end()) {
      return "BLACKLISTED_EXTERNAL_USER_ID";
    }
  }
  if (Present(object, "user_alias")) {
    const nlohmann::json& alias = object["user_alias"];
    bool ok = alias.is_object();
    for (const char* part : {"alias_name", "alias_label"}) {
      if (!ok) break;
      auto it = alias.find(part);
      ok = it != alias.end() && IsNonEmptyString(*it) &&
           it->get_ref<const std::string&>().size() <= kMaxAliasPartBytes;
    }
    if (!ok) {
      return "'user_alias' must be an object with non-empty 'alias_name' and 'alias_label' "
             "strings of at most 236 bytes";
    }
  }
  if (Present(object, "braze_id") && !IsNonEmptyString(object["braze_id"])) {
    return "'braze_id' must be a non-empty string";
  }
  if (Present(object, "email")) {
    const nlohmann::json& email = object["email"];
    if (!email.is_string() || !IsValidEmail(email.get_ref<const std::string&>())) {
      return kInvalidEmail;
    }
  }
  if (Present(object, "phone")) {
    const nlohmann::json& phone = object["phone"];
    if (!IsNonEmptyString(phone)) {
      return "The value provided for the 'phone' field is not a valid phone number.";
    }
    if (!IsE164(phone.get_ref<const std::string&>())) {
      const bool is_lookup_key = primaries == 0 && !Present(object, "email");
      alterations.push_back(
          is_lookup_key
              ? absl::StrCat("phone: ", Shown(phone),
                             " is not E.164; Braze finds no profile by it, so nothing happens")
              : absl::StrCat("phone: ", Shown(phone),
                             " is not E.164; Braze stores it but cannot use it for lookup or "
                             "SMS"));
    }
  }
  return std::nullopt;
}

}  // namespace brazesync::emulator
