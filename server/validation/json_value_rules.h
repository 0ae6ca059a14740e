// Rules for free-form JSON values (google.protobuf.Struct / ListValue): event
// and purchase `properties`, and nested custom attributes (`object_value`,
// `object_array_value`, `object_array_operation`). All share the value rules
// (set, finite, strings at most kMaxStringChars characters, no array directly
// inside an array, at every depth) and Braze's JSON size caps; they differ in
// which object keys Braze accepts, and properties also refuse a datetime
// string inside an array.
//
// Each function appends one FieldViolation per broken rule below `path` (the
// value's own path, e.g. `events[1].properties`), in a stable order, and
// never fails otherwise. Paths inside the value read like JSON
// (violations.h: StructFieldPath, IndexPath).
#ifndef BRAZESYNC_SERVER_VALIDATION_JSON_VALUE_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_JSON_VALUE_RULES_H_

#include <string>

#include "brazesync/v1/types.pb.h"
#include "google/protobuf/struct.pb.h"
#include "server/validation/violations.h"

namespace brazesync {

// Event `properties`: at most kMaxPropertyKeys keys and kMaxNestedJsonBytes as
// JSON; keys not empty, at most kMaxStringChars characters, no leading "$" at
// any depth, and not Braze's reserved "event_name" or "time" at the top.
void CheckEventProperties(const google::protobuf::Struct& properties, const std::string& path,
                          FieldViolations* out);

// Purchase `properties`: as event properties, but at most
// kMaxPurchasePropertiesJsonBytes, and "currency", "price", "product_id" and
// "quantity" are reserved too.
void CheckPurchaseProperties(const google::protobuf::Struct& properties, const std::string& path,
                             FieldViolations* out);

// A nested object attribute: at most kMaxNestedJsonBytes as JSON; keys not
// empty, at most kMaxStringChars characters, without ".", spaces or "$" at any
// depth, except the {"$time": "<ISO 8601>"} date wrapper, which must be
// alone in its object and hold a date Braze parses.
void CheckNestedObject(const google::protobuf::Struct& object, const std::string& path,
                       FieldViolations* out);

// An array-of-objects attribute: at most kMaxNestedJsonBytes as JSON, every
// element an object that passes CheckNestedObject's key and value rules.
void CheckObjectArray(const google::protobuf::ListValue& list, const std::string& path,
                      FieldViolations* out);

// An array-of-objects operation (`$add`, `$remove` or `$update`): exactly one
// operator with at least one element, at most kMaxNestedJsonBytes as JSON;
// objects follow CheckNestedObject's key and value rules, identifier keys are
// nested-attribute keys, identifier values strings or finite numbers.
void CheckObjectArrayOperation(const v1::ObjectArrayOperation& operation, const std::string& path,
                               FieldViolations* out);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_JSON_VALUE_RULES_H_
