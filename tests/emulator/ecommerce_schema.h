// The schemas Braze checks its six eCommerce recommended events against
// (braze-api.md §1.8; Braze's "Recommended events" page): an event whose name
// is exactly one of ecommerce.product_viewed, .cart_updated,
// .checkout_started, .order_placed, .order_cancelled or .order_refunded must
// carry its required properties with their types, and nothing else at the
// top level (custom data goes in `metadata`). A failing event is rejected.
// The schemas are docs/braze-rules.md's "eCommerce events" section.
#ifndef BRAZESYNC_TESTS_EMULATOR_ECOMMERCE_SCHEMA_H_
#define BRAZESYNC_TESTS_EMULATOR_ECOMMERCE_SCHEMA_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"

namespace brazesync::emulator {

// True for the six recommended event names.
bool IsEcommerceEventName(const std::string& name);

// nullopt when `name` is not a recommended event or `properties` (null when
// absent) fits its schema; otherwise the errors[] type, naming the property.
std::optional<std::string> EcommerceEventError(const std::string& name,
                                               const nlohmann::json& properties);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_ECOMMERCE_SCHEMA_H_
