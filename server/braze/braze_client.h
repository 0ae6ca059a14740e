// The Braze /users/track wire protocol for one attempt: building the HTTP
// request (Bearer auth, JSON content type, the workspace's endpoint) and
// interpreting what came back (success, per-object verdicts, retryable or
// permanent failure, how long Braze asked us to wait). Retrying, batching and
// pacing live in the delivery engine.
#ifndef BRAZESYNC_SERVER_BRAZE_BRAZE_CLIENT_H_
#define BRAZESYNC_SERVER_BRAZE_BRAZE_CLIENT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/braze/braze_response.h"
#include "server/http/http_client.h"
#include "server/config/workspace.h"

namespace brazesync {

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
  // When the rate-limit window resets, if Braze said.
  std::optional<absl::Time> rate_limit_reset;

  // Braze listed per-object errors: in a 2xx (partial success) or a 400
  // where every object was invalid. Those verdicts are final.
  bool HasItemVerdicts() const {
    return status.ok() || (http_status == 400 && !body.errors.empty());
  }
};

// POST {endpoint}/users/track with the workspace's key as a Bearer token.
HttpRequest MakeUsersTrackRequest(const WorkspaceSettings& workspace, std::string body,
                                  absl::Duration timeout);

// Interprets the outcome of one request sent at about `now`.
BrazeAttempt InterpretBrazeAttempt(const absl::StatusOr<HttpResponse>& response, absl::Time now);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_BRAZE_CLIENT_H_
