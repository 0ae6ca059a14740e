// HttpClient decorators: outcome observation.
#include "server/http/http_client_decorators.h"

#include <utility>

namespace brazesync {

ObservedHttpClient::ObservedHttpClient(std::unique_ptr<HttpClient> inner, Observer observer)
    : inner_(std::move(inner)), observer_(std::move(observer)) {}

void ObservedHttpClient::Post(HttpRequest request, HttpCallback done) {
  // The observer needs the request after the inner client consumed it; keep
  // what it reads (URL and timeout), not the body.
  HttpRequest summary;
  summary.url = request.url;
  summary.timeout = request.timeout;
  inner_->Post(std::move(request), [this, summary = std::move(summary), done = std::move(done)](
                                       absl::StatusOr<HttpResponse> outcome) mutable {
    if (observer_) observer_(summary, outcome);
    std::move(done)(std::move(outcome));
  });
}

}  // namespace brazesync
