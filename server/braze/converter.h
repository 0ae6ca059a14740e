// Conversion of validated BrazeSync items to Braze /users/track JSON objects.
//
// One function per item kind; the output is exactly what Braze documents
// (shared/reference/braze-api.md §1.4-1.9): identifiers first, only fields that
// are set, `_update_existing_only` / `_merge_objects` only when set, times as
// ISO 8601 UTC with milliseconds and "Z". Inputs must have passed the
// validator for the output to mean anything, but conversion is total: any
// item converts without failing (the differential test and the fuzzer
// convert invalid items too).
#ifndef BRAZESYNC_SERVER_BRAZE_CONVERTER_H_
#define BRAZESYNC_SERVER_BRAZE_CONVERTER_H_

#include <string>

#include "absl/time/time.h"
#include "brazesync/v1/types.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/braze/json.h"

namespace brazesync {

// "2024-05-01T12:34:56.789Z": UTC, millisecond precision (truncated).
std::string FormatBrazeTime(absl::Time time);
std::string FormatBrazeTime(const google::protobuf::Timestamp& timestamp);

// The JSON number rule: a google.protobuf.Value number that is integral and
// within ±2^53 (so exactly an integer) is written as a JSON integer, so
// `{"count": 1}` stays `1`, not `1.0`; any other finite number as a double in
// its shortest round-trip form; NaN and infinities as null. braze/json_size
// measures numbers with this same function.
Json NumberToJson(double number);

// google.protobuf.Value/Struct to JSON, numbers as NumberToJson.
Json ValueToJson(const google::protobuf::Value& value);
Json StructToJson(const google::protobuf::Struct& fields);

// {"$add": [...]}, {"$remove": [...]} or {"$update": [...]} (braze-api.md
// §1.6); the validator measures it against the 100 KB cap.
Json ObjectArrayOperationToJson(const v1::ObjectArrayOperation& operation);

// The Braze identifier key/value pair(s) for `user`, e.g. {"external_id": "u1"}.
void AppendUserRef(const v1::UserRef& user, Json* object);

// The identifier, `_update_existing_only`, `_merge_objects` and
// `push_token_import` when set, the standard fields that are set
// (braze/profile_fields.h, in that order), the cleared fields as null, then
// the custom attributes by key. Array values (array_value, add, remove,
// array_change) are sent without duplicates, each at its first occurrence,
// as Braze stores an array as a unique set.
Json ProfileToBraze(const v1::UserProfile& profile);
// Event and purchase times: absent -> `received`; in the future -> `now`
// (Braze records future times as the current time anyway).
Json EventToBraze(const v1::Event& event, absl::Time received, absl::Time now);
Json PurchaseToBraze(const v1::Purchase& purchase, absl::Time received, absl::Time now);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_CONVERTER_H_
