// Read-your-writes for lookups: a /users/track object BrazeSync sent,
// applied to a user as Braze's export would show it once Braze catches up.
// Attributes: standard fields and custom attributes set or cleared (null),
// `inc` added, scalar arrays' `add` / `remove` applied. Events and
// purchases: the custom_events / purchases summary of that name gains the
// occurrence (count + 1, first / last widened) unless the export already
// shows one at or after its time. What cannot be applied faithfully (nested
// object-array operations `$add` / `$update` / `$remove`, push tokens,
// subscription groups) is left as exported; the caller still learns a write
// is pending (LookupResult.pending_own_write).
//
// The object's first key among external_id, user_alias, braze_id, email and
// phone is its identifier (the converter writes it first); a later email or
// phone is the standard field. time_zone is set
// to the IANA name written (Braze's export may show a display name). A USD
// purchase adds price x quantity to total_revenue; another currency leaves
// it and reports false. The overlay sets what the write changed whether or
// not the lookup asked for that field: the caller keeps only the requested
// fields_to_export. export_overlay.cc lists the mapping field by field.
#ifndef BRAZESYNC_SERVER_BRAZE_EXPORT_OVERLAY_H_
#define BRAZESYNC_SERVER_BRAZE_EXPORT_OVERLAY_H_

#include "absl/strings/string_view.h"
#include "brazesync/v1/lookup.pb.h"
#include "server/braze/json.h"

namespace brazesync {

// Applies one Braze object of `array` ("attributes", "events" or
// "purchases"), as the converter built it (identifier keys included and
// ignored), to `user`. Returns false when some part of it could not be
// applied (see above); the rest is applied either way.
bool ApplyTrackObject(absl::string_view array, const Json& object, v1::ExportedUser* user);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_EXPORT_OVERLAY_H_
