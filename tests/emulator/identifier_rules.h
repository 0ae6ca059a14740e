// The identifier rules every /users/track object shares (braze-api.md §1.3,
// cases #7-#10, #19-#22, #47): one primary identifier (external_id,
// user_alias or braze_id) or a secondary one (email, phone), with Braze's
// byte limits. Part of the emulator's track rules (track_rules.h).
#ifndef BRAZESYNC_TESTS_EMULATOR_IDENTIFIER_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_IDENTIFIER_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/track_types.h"

namespace brazesync::emulator {

// Braze's wording for the identifier errors (braze-api.md §2.2).
inline constexpr char kIdentifierRequired[] =
    "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
inline constexpr char kOnePrimaryOnly[] =
    "Only one of 'external_id', 'braze_id' or 'user_alias' may be provided";
inline constexpr char kInvalidEmail[] =
    "The value provided for the 'email' field is not a valid email.";

// A key present with a non-null value (null is Braze's "remove", so it does
// not supply an identifier).
bool Present(const nlohmann::json& object, const char* key);

// Checks the identifiers of `object` (a copy the caller will store). Returns
// the errors[] type when the object is rejected. Otherwise it may alter
// `object`: a null external_id / user_alias / braze_id is dropped (they cannot
// be removed, case #47), and a phone that is not E.164 is noted. With
// `identifier_optional` (push_token_import) no identifier is needed.
std::optional<std::string> JudgeIdentifiers(nlohmann::json& object, const TrackRules& rules,
                                            bool identifier_optional,
                                            std::vector<std::string>& alterations);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_IDENTIFIER_RULES_H_
