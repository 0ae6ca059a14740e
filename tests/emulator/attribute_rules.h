// The emulator's rules for /users/track attribute objects (braze-api.md
// §1.4-§1.6, docs/braze-rules.md): standard fields with their types and
// accepted forms, custom attribute keys and values, scalar arrays and their
// add/remove operators, nested objects and arrays of objects with their
// $add/$remove/$update operators, and the request-wide rule that one invalid
// nested value drops every nested-attribute update in the request (case
// #51). Part of track_rules.h; stateless.
#ifndef BRAZESYNC_TESTS_EMULATOR_ATTRIBUTE_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_ATTRIBUTE_RULES_H_

#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/track_types.h"

namespace brazesync::emulator {

// One verdict per element of a request's "attributes" array, in order.
std::vector<ObjectVerdict> JudgeAttributeObjects(const nlohmann::json& attributes,
                                                 const TrackRules& rules);

// True for the keys Braze treats as standard fields or flags of an
// attributes object (never custom attributes).
bool IsStandardAttributeKey(const std::string& key);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_ATTRIBUTE_RULES_H_
