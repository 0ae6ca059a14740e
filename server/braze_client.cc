// Delivery of one /users/track request body to Braze with bounded retries.
#include "server/braze_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace brazesync {

BrazeClient::BrazeClient(HttpClient* http, BrazeClientOptions options)
    : http_(http), options_(std::move(options)) {}

absl::Duration BrazeClient::Backoff(int attempt) {
  // Full jitter: uniform in [0, min(max, initial * 2^(attempt-1))].
  absl::Duration ceiling = options_.initial_backoff;
  for (int i = 1; i < attempt && ceiling < options_.max_backoff; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.max_backoff);
  absl::MutexLock lock(&mu_);
  return absl::Uniform(random_, 0.0, 1.0) * ceiling;
}

BrazeDelivery BrazeClient::PostUsersTrack(const WorkspaceSettings& workspace,
                                          const std::string& body, absl::Time deadline) {
  HttpRequest request;
  request.url = workspace.UsersTrackUrl();
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", absl::StrCat("Bearer ", workspace.api_key)},
                     {"User-Agent", "brazesync/0.1"}};
  request.body = body;

  BrazeDelivery delivery;
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      delivery.status = absl::DeadlineExceededError(absl::StrCat(
          "deadline passed before Braze accepted the request",
          delivery.attempts > 0 ? absl::StrCat(" (last: ", delivery.status.message(), ")") : ""));
      return delivery;
    }
    request.timeout = std::min(workspace.request_timeout, deadline - now);
    ++delivery.attempts;
    absl::StatusOr<HttpResponse> response = http_->Post(request);
    std::optional<absl::Duration> requested_delay;
    if (response.ok()) {
      delivery.http_status = response->status;
      delivery.body = ParseBrazeResponseBody(response->body);
      delivery.status = BrazeHttpStatusToStatus(response->status, delivery.body.message);
      if (response->status == 429) requested_delay = BrazeRetryDelay(*response, absl::Now());
    } else {
      delivery.http_status = 0;
      delivery.body = {};
      delivery.status = response.status();
    }
    if (delivery.status.ok() || !IsRetryable(delivery.status) ||
        delivery.attempts >= workspace.max_attempts) {
      return delivery;
    }
    const absl::Duration wait = requested_delay.value_or(Backoff(delivery.attempts));
    if (absl::Now() + wait >= deadline) return delivery;  // waiting cannot help in time
    if (options_.sleep) {
      options_.sleep(wait);
    } else {
      absl::SleepFor(wait);
    }
  }
}

}  // namespace brazesync
