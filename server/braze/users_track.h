// Braze's POST /users/track for one attempt, both directions in one room:
// building the HTTP request (Bearer auth, JSON content type, the workspace's
// endpoint) and interpreting what came back: the JSON body (message and
// per-object `errors[]`), the single HTTP-status-to-Status mapping, and the
// rate-limit headers that say when to retry. Pure functions, no I/O and no
// configuration types: the caller says which endpoint and which key.
// Retrying, batching and pacing live in the delivery engine.
#ifndef BRAZESYNC_SERVER_BRAZE_USERS_TRACK_H_
#define BRAZESYNC_SERVER_BRAZE_USERS_TRACK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/http_client.h"

namespace brazesync {

// ---- The request ----

// POST {endpoint}{path} with `body` as JSON, `api_key` as a Bearer token and
// BrazeSync's User-Agent: the one place every Braze REST call's headers are
// written (MakeUsersTrackRequest, MakeUsersExportRequest, ...). `path`
// starts with '/', e.g. "/users/export/ids".
HttpRequest MakeBrazePostRequest(absl::string_view endpoint, absl::string_view path,
                                 absl::string_view api_key, std::string body,
                                 absl::Duration timeout);

// POST {endpoint}/users/track carrying `api_key` as a Bearer token (and
// nowhere else: not in the URL, not in the body). `endpoint` is the REST
// endpoint without a trailing '/', e.g. "https://rest.iad-01.braze.com".
HttpRequest MakeUsersTrackRequest(absl::string_view endpoint, absl::string_view api_key,
                                  std::string body, absl::Duration timeout);

// ---- The response ----

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
// `permission` is the API key permission the endpoint needs, named in the
// 401 and 403 messages.
absl::Status BrazeHttpStatusToStatus(int http_status, absl::string_view braze_message,
                                     absl::string_view permission = "users.track");

// Whether a failed attempt (non-OK status from the mapping above or from the
// HTTP client) may succeed if sent again unchanged.
bool IsRetryable(const absl::Status& status);

// When Braze's rate-limit window resets, from `X-RateLimit-Reset`: a value
// above 1e9 is epoch seconds, a smaller one seconds from `now`. nullopt when
// the header is absent, unparsable or negative.
std::optional<absl::Time> ParseRateLimitReset(const HttpResponse& response, absl::Time now);

// How long Braze asked us to wait before the next request, from
// `X-Ratelimit-Retry-After` (seconds) or else the time until
// ParseRateLimitReset (never negative). nullopt when neither is present.
std::optional<absl::Duration> BrazeRetryDelay(const HttpResponse& response, absl::Time now);

// ---- One attempt ----

// What one attempt produced.
struct BrazeAttempt {
  // OK when Braze answered 2xx; otherwise the mapped HTTP status
  // (BrazeHttpStatusToStatus) or the transport failure.
  absl::Status status;
  int http_status = 0;  // 0 when no response arrived
  BrazeResponseBody body;
  // From a 429's rate-limit headers: how long Braze asked us to wait.
  std::optional<absl::Duration> retry_after;
  // X-RateLimit-Remaining, or -1 when absent.
  int64_t rate_limit_remaining = -1;
  // When the rate-limit window resets, if Braze said (ParseRateLimitReset).
  std::optional<absl::Time> rate_limit_reset;

  // Braze listed per-object errors: in a 2xx (partial success) or a 400
  // where every object was invalid. Those verdicts are final.
  bool HasItemVerdicts() const {
    return status.ok() || (http_status == 400 && !body.errors.empty());
  }
};

// Removes `api_key` from everything in `response` that may become text a
// caller sees (the body, a transport failure's message): a Braze answer, or
// a proxy's, that echoes the request's Authorization header must not hand
// the workspace's key to callers, dead letters or logs.
void ScrubApiKey(absl::string_view api_key, absl::StatusOr<HttpResponse>* response);

// Interprets the outcome of one request sent at about `now`. A transport
// failure keeps its code and message but not its payloads: those (such as
// the HTTP layer's shutdown mark, http_client.h) are signals inside the
// process, while this status travels on to callers.
BrazeAttempt InterpretBrazeAttempt(const absl::StatusOr<HttpResponse>& response, absl::Time now,
                                   absl::string_view permission = "users.track");

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_USERS_TRACK_H_
