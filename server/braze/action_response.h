// What Braze answered to an identity, messaging or subscription call: the
// 2xx bodies of §2.2-2.10 parsed leniently into one struct (every field
// optional; unknown keys ignored), so the use cases can say per item what
// Braze did. HTTP statuses and rate-limit headers are interpreted by
// InterpretBrazeAttempt (users_track.h), as for every Braze call.
#ifndef BRAZESYNC_SERVER_BRAZE_ACTION_RESPONSE_H_
#define BRAZESYNC_SERVER_BRAZE_ACTION_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/braze/users_track.h"

namespace brazesync {

// One entry of rename_errors / removal_errors ("array of arrays" whose inner
// layout Braze does not document): the first integer found is the index of
// the request's item, the first string the message. index -1 when the
// entry holds no integer (then the message applies to no known item).
struct IndexedBrazeError {
  int index = -1;
  std::string message;
};

struct ActionResponseBody {
  std::string message;  // "success" or Braze's error text
  // Per-item errors of /users/alias/new and /users/identify (input_array as
  // Braze names it: the request's array, or "user_identifiers").
  std::vector<BrazeItemError> errors;
  std::optional<int64_t> aliases_processed;
  std::optional<int64_t> emails_processed;
  std::optional<int64_t> phone_numbers_processed;
  std::optional<int64_t> deleted;  // /users/delete
  // /users/external_ids/rename: the current ids renamed; errors per item.
  std::vector<std::string> external_ids;
  std::vector<IndexedBrazeError> rename_errors;
  // /users/external_ids/remove.
  std::vector<std::string> removed_ids;
  std::vector<IndexedBrazeError> removal_errors;
  // Triggers.
  std::string dispatch_id;
  std::string notice;  // paused or archived Canvas/campaign: nothing was sent
  std::string send_id;
};

// Parses a response body. Never fails: a body that is not a JSON object
// yields its first 200 bytes as `message`.
ActionResponseBody ParseActionResponseBody(absl::string_view body);

// Whether Braze's 400 message says the Canvas or campaign id is unknown
// ("Canvas with id ... not found"): the caller's configuration, not a
// BrazeSync bug.
bool IsUnknownMessagingIdMessage(absl::string_view message);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_ACTION_RESPONSE_H_
