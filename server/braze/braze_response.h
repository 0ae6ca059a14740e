// Interpretation of Braze /users/track responses: the JSON body (message and
// per-object `errors[]`), the single HTTP-status-to-Status mapping, and the
// rate-limit headers that say when to retry.
#ifndef BRAZESYNC_SERVER_BRAZE_BRAZE_RESPONSE_H_
#define BRAZESYNC_SERVER_BRAZE_BRAZE_RESPONSE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/http_client.h"

namespace brazesync {

// One entry of Braze's `errors` array: which object was rejected and why.
struct BrazeItemError {
  std::string input_array;  // "attributes", "events" or "purchases"
  int index = -1;           // 0-based position in that array
  std::string type;         // Braze's reason text or code, opaque
};

struct BrazeResponseBody {
  std::string message;  // e.g. "success", "Invalid API Key"
  std::vector<BrazeItemError> errors;
};

// Parses a response body. Never fails: a body that is not Braze's JSON shape
// yields its first 200 bytes as `message` and no errors.
BrazeResponseBody ParseBrazeResponseBody(absl::string_view body);

// The one mapping from a Braze HTTP status to what BrazeSync's caller should
// do: 2xx OK; 429 and 5xx UNAVAILABLE (retry); 401/403/404
// FAILED_PRECONDITION (fix BrazeSync's workspace config); 400/413/415 and
// other 4xx INTERNAL (BrazeSync built a request Braze refused: a bug).
absl::Status BrazeHttpStatusToStatus(int http_status, absl::string_view braze_message);

// Whether a failed attempt (non-OK status from the mapping above or from the
// HTTP client) may succeed if sent again unchanged.
bool IsRetryable(const absl::Status& status);

// How long Braze asked us to wait before the next request, from
// `X-Ratelimit-Retry-After` (seconds) or `X-RateLimit-Reset` (epoch seconds
// when > 1e9, else seconds remaining). nullopt when neither is present.
std::optional<absl::Duration> BrazeRetryDelay(const HttpResponse& response, absl::Time now);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_BRAZE_RESPONSE_H_
