// The rules of a LookupUsersRequest (braze-api-round2.md §2.1), reported
// like Track's with field paths: at least one identifier; external ids and
// aliases, or one single-valued identifier (email_address, phone, braze_id,
// device_id), not both kinds; external ids non-empty and at most 987 bytes;
// alias parts 1..236 bytes (case kept); email syntax; phone E.164 (or a
// national number of the workspace's default region); fields_to_export from
// Braze's allow-list, no duplicates, canvases_received / campaigns_received
// only with allow_received_fields; durations not negative.
//
// Paths: a request with no identifier is reported at `external_ids`; a
// single-valued identifier next to external ids or aliases, or next to
// another single-valued one, at its own field (`phone`, naming the others).
// The number of identifiers is not limited: the lookup packs them into
// Braze calls of kMaxExportIdentifiers (case 77).
#ifndef BRAZESYNC_SERVER_VALIDATION_LOOKUP_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_LOOKUP_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "brazesync/v1/lookup.pb.h"
#include "server/validation/violations.h"

namespace brazesync {

// Every rule `request` breaks (empty when valid).
FieldViolations ValidateLookupRequest(const v1::LookupUsersRequest& request,
                                      const std::string& default_phone_region);

// The request's phone as E.164 (call after ValidateLookupRequest found no
// violation; "" when the request has no phone).
absl::StatusOr<std::string> LookupPhoneE164(const v1::LookupUsersRequest& request,
                                            const std::string& default_phone_region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_LOOKUP_RULES_H_
