// Validation of BrazeSync items against Braze's documented /users/track rules
// (shared/reference/braze-api.md, section 7 and the standard-field table).
//
// gRPC-free: takes the proto messages and appends one FieldViolation per
// broken rule, with a path from the request root (e.g. `events[2].time`), so
// the caller can report every problem at once. An empty result means valid.
//
// Path syntax of FieldViolation.field:
// - message fields use their proto (= Braze JSON) names joined by ".":
//   `attributes[0].user.external_id`, `purchases[1].price`;
// - repeated fields and list elements use a 0-based index: `[3]`;
// - proto map entries (custom_attributes) always use a bracketed, quoted key:
//   `attributes[2].custom_attributes["a.b"]`, `...custom_attributes["tier"]`;
// - keys inside a google.protobuf.Struct (event/purchase properties, nested
//   object attributes) read like JSON: `.key` when the key consists only of
//   ASCII letters, digits, "_", "$" and "-" (`events[1].properties.$price`),
//   otherwise the bracketed form (`events[1].properties["a b"]`, `[""]`);
// - quoted keys are JSON string literals (`\"`, `\\`, `\n`, `\t`, `\u0001`;
//   UTF-8 kept as is).
// Violations on an attribute value name the oneof member below the entry:
// `attributes[0].custom_attributes["nick"].string_value`.
// violations.h builds these paths; the rules for free-form JSON values
// (properties, nested attributes) are in json_value_rules.h, and Braze's caps
// in braze/limits.h.
#ifndef BRAZESYNC_SERVER_VALIDATION_VALIDATOR_H_
#define BRAZESYNC_SERVER_VALIDATION_VALIDATOR_H_

#include <string>

#include "brazesync/v1/types.pb.h"
#include "server/braze/limits.h"
#include "server/validation/violations.h"

namespace brazesync {

// Per-workspace limits the rules depend on (server/track builds them from
// the workspace's settings: ValidationLimitsFor).
struct ValidationLimits {
  // Largest array attribute (Braze's default and maximum; legacy accounts use
  // 25 or 100).
  int max_array_length = kMaxArrayLength;
  // The workspace's request body cap: an item whose Braze JSON cannot fit in
  // one request on its own is invalid (Braze would answer 413).
  size_t max_request_bytes = kMaxRequestBytes;
  // ISO 3166-1 alpha-2 region of national phone numbers, e.g. "FR"; empty:
  // phones must be E.164 (phone_numbers.h NormalizePhone).
  std::string default_phone_region;
};

// `path` is the item's own path, e.g. "attributes[0]"; violations name
// fields below it, e.g. "attributes[0].email". Every kind takes `limits`
// (array attributes, the phone region of every user's phone, the request
// cap). An item whose fields are all valid but whose Braze JSON is too large
// for one request of `limits.max_request_bytes` gets one violation at `path`
// itself.
void ValidateUserProfile(const v1::UserProfile& profile, const std::string& path,
                         const ValidationLimits& limits, FieldViolations* out);
void ValidateEvent(const v1::Event& event, const std::string& path, const ValidationLimits& limits,
                   FieldViolations* out);
void ValidatePurchase(const v1::Purchase& purchase, const std::string& path,
                      const ValidationLimits& limits, FieldViolations* out);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_VALIDATOR_H_
