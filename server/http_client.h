// The HTTP boundary of BrazeSync: a minimal POST interface so Braze delivery
// logic is testable without a network (tests substitute a fake) and libcurl
// stays behind one implementation (curl_http_client.h).
#ifndef BRAZESYNC_SERVER_HTTP_CLIENT_H_
#define BRAZESYNC_SERVER_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brazesync {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased (HTTP/2 sends them so; HTTP/1.1 may not).
  std::map<std::string, std::string> headers;
  std::string body;

  // The header's value, or "" when absent. `name` must be lower case.
  std::string Header(absl::string_view name) const;
};

// Sends HTTP POST requests. Implementations are thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // A non-OK status means no HTTP response arrived (connect failure, timeout,
  // dropped connection); any HTTP status, 5xx included, is a response.
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_HTTP_CLIENT_H_
