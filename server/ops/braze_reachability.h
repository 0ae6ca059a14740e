// Whether Braze answers, as seen from the outcomes of BrazeSync's own HTTP
// requests (fed by ObservedHttpClient, http/http_client_decorators.h); the
// server turns the verdict into the gRPC health status of
// brazesync.v1.BrazeSync and the brazesync_braze_reachable metric.
//
// Contract: unreachable after `failures_to_unreachable` consecutive transport
// failures (no HTTP response: connect errors, TLS verification failures,
// timeouts of at least one second); reachable again on any HTTP response (5xx
// included: Braze is up, and the engine retries). Outcomes that say nothing
// about Braze are ignored: requests the HTTP client dropped because BrazeSync
// is stopping (IsShutdown, http/http_client.h), the caller's own short
// deadlines, and other codes.
#ifndef BRAZESYNC_SERVER_OPS_BRAZE_REACHABILITY_H_
#define BRAZESYNC_SERVER_OPS_BRAZE_REACHABILITY_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/http/http_client.h"

namespace brazesync {

class BrazeReachability final {
 public:
  // `on_change` runs (outside the lock, on the observing thread) whenever the
  // verdict flips. Braze starts out reachable.
  BrazeReachability(int failures_to_unreachable, std::function<void(bool reachable)> on_change);
  BrazeReachability(const BrazeReachability&) = delete;
  BrazeReachability& operator=(const BrazeReachability&) = delete;

  // Thread-safe; matches ObservedHttpClient::Observer.
  void Observe(const HttpRequest& request, const absl::StatusOr<HttpResponse>& outcome);
  bool reachable() const;

 private:
  const int failures_to_unreachable_;
  const std::function<void(bool)> on_change_;
  mutable absl::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_OPS_BRAZE_REACHABILITY_H_
