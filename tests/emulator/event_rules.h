// The emulator's rules for /users/track event and purchase objects
// (braze-api.md §1.7-§1.9, docs/braze-rules.md): required fields, time
// formats and the future-time rule, property keys, counts, string values and
// sizes, purchase product_id / currency / price / quantity, and the
// eCommerce recommended-event schemas (ecommerce_schema.h). Part of
// track_rules.h; stateless.
#ifndef BRAZESYNC_TESTS_EMULATOR_EVENT_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_EVENT_RULES_H_

#include <functional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/track_types.h"

namespace brazesync::emulator {

inline constexpr char kInvalidProperties[] = "Invalid 'properties' field";

// The object's property keys in the order they were sent (nlohmann::json
// sorts keys, and "the first 256" means the first sent). Called only when an
// object has more than 256 properties.
using PropertyOrder = std::function<std::vector<std::string>()>;

ObjectVerdict JudgeEventObject(const nlohmann::json& object, const TrackRules& rules,
                               absl::Time now, const PropertyOrder& order);
ObjectVerdict JudgePurchaseObject(const nlohmann::json& object, const TrackRules& rules,
                                  absl::Time now, const PropertyOrder& order);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_EVENT_RULES_H_
