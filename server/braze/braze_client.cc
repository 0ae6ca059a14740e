// The Braze /users/track wire protocol for one attempt.
#include "server/braze/braze_client.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace brazesync {

HttpRequest MakeUsersTrackRequest(const WorkspaceSettings& workspace, std::string body,
                                  absl::Duration timeout) {
  HttpRequest request;
  request.url = workspace.UsersTrackUrl();
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", absl::StrCat("Bearer ", workspace.api_key)},
                     {"User-Agent", "brazesync/0.1"}};
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

BrazeAttempt InterpretBrazeAttempt(const absl::StatusOr<HttpResponse>& response, absl::Time now) {
  BrazeAttempt attempt;
  if (!response.ok()) {
    attempt.status = response.status();
    return attempt;
  }
  attempt.http_status = response->status;
  attempt.body = ParseBrazeResponseBody(response->body);
  attempt.status = BrazeHttpStatusToStatus(response->status, attempt.body.message);
  if (response->status == 429) attempt.retry_after = BrazeRetryDelay(*response, now);
  int64_t value = 0;
  if (absl::SimpleAtoi(response->Header("x-ratelimit-remaining"), &value)) {
    attempt.rate_limit_remaining = value;
  }
  if (absl::SimpleAtoi(response->Header("x-ratelimit-reset"), &value) && value >= 0) {
    attempt.rate_limit_reset =
        value > 1'000'000'000 ? absl::FromUnixSeconds(value) : now + absl::Seconds(value);
  }
  return attempt;
}

}  // namespace brazesync
