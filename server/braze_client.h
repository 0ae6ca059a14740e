// Delivery of one /users/track request body to Braze: Bearer auth, JSON
// content type, bounded retries of 429/5xx/network failures with exponential
// backoff and full jitter (honouring Braze's rate-limit headers), all within
// the caller's deadline. Never retries a response Braze has processed.
#ifndef BRAZESYNC_SERVER_BRAZE_CLIENT_H_
#define BRAZESYNC_SERVER_BRAZE_CLIENT_H_

#include <functional>
#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/braze_response.h"
#include "server/http_client.h"
#include "server/workspace.h"

namespace brazesync {

// What happened to one request body.
struct BrazeDelivery {
  // OK when Braze answered 2xx. Otherwise the mapped HTTP status
  // (BrazeHttpStatusToStatus) or transport failure of the last attempt, or
  // DEADLINE_EXCEEDED when the caller's deadline ran out first.
  absl::Status status;
  int http_status = 0;  // of the last attempt; 0 when no response arrived
  BrazeResponseBody body;
  int attempts = 0;  // HTTP requests made

  // Braze listed per-object errors: in a 201 (partial success) or a 400 where
  // every object was invalid. Those verdicts are final.
  bool HasItemVerdicts() const {
    return status.ok() || (http_status == 400 && !body.errors.empty());
  }
};

struct BrazeClientOptions {
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Injectable for tests; defaults to absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
};

class BrazeClient final {
 public:
  // `http` must outlive the client.
  explicit BrazeClient(HttpClient* http, BrazeClientOptions options = {});
  BrazeClient(const BrazeClient&) = delete;
  BrazeClient& operator=(const BrazeClient&) = delete;

  BrazeDelivery PostUsersTrack(const WorkspaceSettings& workspace, const std::string& body,
                               absl::Time deadline);

 private:
  absl::Duration Backoff(int attempt);

  HttpClient* const http_;
  const BrazeClientOptions options_;
  absl::Mutex mu_;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_CLIENT_H_
