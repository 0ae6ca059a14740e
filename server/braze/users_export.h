// Braze's POST /users/export/ids, both directions: the export field
// allow-list and which fields keep a call on the fast budget, the request
// body and HTTP request for one call, and the response parsed into
// brazesync.v1.ExportedUser (the one mapping from Braze's export JSON to the
// proto: keys Braze left out stay unset, unknown keys go to other_fields).
// Pure functions; the HTTP status and rate-limit headers are interpreted by
// InterpretBrazeAttempt (users_track.h), which every Braze endpoint shares.
#ifndef BRAZESYNC_SERVER_BRAZE_USERS_EXPORT_H_
#define BRAZESYNC_SERVER_BRAZE_USERS_EXPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "brazesync/v1/lookup.pb.h"
#include "server/http/http_client.h"

namespace brazesync {

// Whether `field` is one of Braze's documented fields_to_export.
bool IsExportField(absl::string_view field);
// canvases_received / campaigns_received: valid, but heavy; a call that asks
// for either is charged to the slow export budget.
bool IsReceivedField(absl::string_view field);
// Whether a call with `fields` may spend the fast export budget.
bool QualifiesForFastExport(const std::vector<std::string>& fields);
// The fields BrazeSync needs in every export to match users back to the
// identifiers asked for: external_id, user_aliases, braze_id.
const std::vector<std::string>& IdentifyingExportFields();
// The default fields_to_export of a workspace that configures none.
const std::vector<std::string>& DefaultExportFields();

// One Braze call: up to kMaxExportIdentifiers external ids and aliases
// together, or exactly one single-valued identifier.
struct ExportQuery {
  std::vector<std::string> external_ids;
  std::vector<v1::UserAlias> user_aliases;
  std::string email_address;
  std::string phone;  // E.164
  std::string braze_id;
  std::string device_id;
  std::vector<std::string> fields_to_export;  // never empty when sent
};

// The JSON body of `query` (empty arrays and strings left out).
std::string UsersExportBody(const ExportQuery& query);

// POST {endpoint}/users/export/ids carrying `api_key` as a Bearer token.
HttpRequest MakeUsersExportRequest(absl::string_view endpoint, absl::string_view api_key,
                                   std::string body, absl::Duration timeout);

// A 2xx export answer.
struct ExportAnswer {
  std::vector<v1::ExportedUser> users;
  std::vector<std::string> invalid_user_ids;
};

// Parses a 2xx body: INTERNAL naming what is wrong when it is not Braze's
// export shape (not JSON, not an object, `users` or `invalid_user_ids` not
// an array, a user not an object). `users` absent or null: no users.
// Within a user, a key whose value is null stays unset, and a key whose
// value has a type its field cannot hold (a number for external_id, an
// activity whose count is a string) is not an error: the typed field stays
// unset and the raw value is kept in other_fields under the same key.
// Members of devices / push_tokens / apps entries the proto does not model
// (e.g. push_tokens[].provisionally_opted_in) are dropped. A non-string
// entry of invalid_user_ids is kept as its JSON text.
absl::StatusOr<ExportAnswer> ParseUsersExportBody(absl::string_view body);

// Clears every field of `user` that is not among `fields` (Braze's export
// field names, which are ExportedUser's field names), as Braze's export
// leaves out what was not asked for; other_fields is kept. For users that
// BrazeSync's own writes were overlaid on (which set whatever they wrote).
void KeepExportFields(const std::vector<std::string>& fields, v1::ExportedUser* user);

// A time as Braze's export writes it: ISO 8601 ("2023-03-17T20:51:58.297Z",
// fraction and offset optional) or the form of its documented sample
// ("2020-07-10 15:00:00.000 UTC", case 85). nullopt for anything else.
std::optional<absl::Time> ParseExportTime(absl::string_view text);

// `time` the way the export writes times: "2021-06-28T17:02:43.032Z".
std::string FormatExportTime(absl::Time time);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_USERS_EXPORT_H_
