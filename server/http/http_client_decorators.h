// Decorators around an HttpClient (the libcurl one in production), so the
// delivery engine stays unaware of them: ObservedHttpClient reports every
// outcome (HTTP status or transport failure) to an observer, which the server
// uses for metrics of Braze status codes and for Braze's reachability
// (ops/braze_reachability.h), which drives the gRPC health status.
#ifndef BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_
#define BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "server/http/http_client.h"

namespace brazesync {

class ObservedHttpClient final : public HttpClient {
 public:
  // Called once per request, before the engine's callback, on the thread
  // that completes the request; must be quick and must not block. The
  // request it sees carries only the URL and the timeout: no headers (the
  // API key), no body.
  using Observer =
      std::function<void(const HttpRequest& request, const absl::StatusOr<HttpResponse>&)>;

  ObservedHttpClient(std::unique_ptr<HttpClient> inner, Observer observer);
  void Post(HttpRequest request, HttpCallback done) override;

 private:
  const std::unique_ptr<HttpClient> inner_;
  const Observer observer_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_DECORATORS_H_
