// Braze's six eCommerce recommended events (ecommerce.product_viewed,
// cart_updated, checkout_started, order_placed, order_cancelled,
// order_refunded): an event with exactly one of these names must carry the
// properties Braze's schema asks for, or Braze rejects it. The schemas, and
// the choices made where Braze's page is loose, are written down in
// docs/braze-rules.md ("eCommerce events"); this file implements that table.
//
// These rules come on top of the ordinary event-property rules
// (json_value_rules.h), which still check keys, string lengths, sizes and
// arrays; a value is reported here only for what those do not cover, so one
// mistake gives one violation.
#ifndef BRAZESYNC_SERVER_VALIDATION_ECOMMERCE_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_ECOMMERCE_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "server/validation/violations.h"

namespace brazesync {

// Whether `name` is one of the six event names (exact, case-sensitive). A
// name that merely starts with "ecommerce." is an ordinary custom event.
bool IsEcommerceEventName(absl::string_view name);

// For an eCommerce event named `name`, checks `properties` (whose path is
// `path`, e.g. "events[3].properties"; absent properties are an empty
// object) against its schema: required properties present, every property
// known to the schema, each of its type and bounds, `products` at least one
// product of exactly the product keys. Does nothing for other names.
void CheckEcommerceProperties(absl::string_view name, const google::protobuf::Struct& properties,
                              const std::string& path, FieldViolations* out);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_ECOMMERCE_RULES_H_
