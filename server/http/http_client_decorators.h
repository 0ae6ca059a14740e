// Decorators around an HttpClient (the libcurl one in production), so the
// delivery engine stays unaware of them:
//  - ObservedHttpClient reports every outcome (HTTP status or transport
//    failure) to an observer: metrics of Braze status codes, and
//    BrazeReachability, which drives the gRPC health status;
//  - KeyRotatingHttpClient swaps the Braze API key in the Authorization
//    header for the current one after a reload (ApiKeyRing), so keys rotate
//    without a restart while WorkspaceSettings stays immutable.
#ifndef BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_
#define BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/http/http_client.h"

namespace brazesync {

// Whether Braze answers: unreachable after `failures_to_unreachable`
// consecutive transport failures (no HTTP response: connect errors, TLS
// verification failures, timeouts of at least one second); reachable again
// on any HTTP response (5xx included: Braze is up, and the engine retries).
// `on_change` runs (outside the lock) whenever the verdict flips.
class BrazeReachability final {
 public:
  BrazeReachability(int failures_to_unreachable, std::function<void(bool reachable)> on_change);
  void Observe(const HttpRequest& request, const absl::StatusOr<HttpResponse>& outcome);
  bool reachable() const;

 private:
  const int failures_to_unreachable_;
  const std::function<void(bool)> on_change_;
  mutable absl::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
};

class ObservedHttpClient final : public HttpClient {
 public:
  // Called once per request, before the engine's callback, on the thread
  // that completes the request; must be quick and must not block.
  using Observer =
      std::function<void(const HttpRequest& request, const absl::StatusOr<HttpResponse>&)>;

  ObservedHttpClient(std::unique_ptr<HttpClient> inner, Observer observer);
  void Post(HttpRequest request, HttpCallback done) override;

 private:
  const std::unique_ptr<HttpClient> inner_;
  const Observer observer_;
};

// Maps the API key each workspace started with to its current key.
class ApiKeyRing final {
 public:
  // After this, requests sent with `original` carry `current` instead.
  void Set(const std::string& original, const std::string& current);
  // The current key for `original` (itself when never rotated).
  std::string Current(const std::string& original) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> keys_ ABSL_GUARDED_BY(mu_);
};

class KeyRotatingHttpClient final : public HttpClient {
 public:
  // `ring` must outlive the client.
  KeyRotatingHttpClient(std::unique_ptr<HttpClient> inner, const ApiKeyRing* ring);
  void Post(HttpRequest request, HttpCallback done) override;

 private:
  const std::unique_ptr<HttpClient> inner_;
  const ApiKeyRing* const ring_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_
