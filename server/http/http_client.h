// The HTTP boundary of BrazeSync: a minimal asynchronous POST interface so
// Braze delivery logic is testable without a network (tests substitute a fake)
// and libcurl stays behind one implementation (curl_http_client.h).
#ifndef BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_H_
#define BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
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

// Receives the outcome of one request. A non-OK status means no HTTP
// response arrived (connect failure, timeout, dropped connection, shutdown);
// any HTTP status, 5xx included, is a response.
using HttpCallback = absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

// The outcome an HttpClient reports for a request it did not send, or
// abandoned, because it is shutting down: UNAVAILABLE with `message`, marked
// so that code (health, which must not count our own stop as Braze being
// down) can tell it from a network failure without reading the text.
absl::Status ShutdownStatus(absl::string_view message);
// Whether `status` came from ShutdownStatus. The mark is a status payload, an
// in-process signal: whoever turns a transport failure into a status that
// leaves the process keeps only its code and message
// (braze/users_track.h, InterpretBrazeAttempt).
bool IsShutdown(const absl::Status& status);

// The outcome an HttpClient reports for a request whose bytes never left
// the process (the host did not resolve, no connection could be made, the
// request was refused before it started): `code` with `message`, marked so
// that a caller for whom a second send may act twice (a Braze trigger) knows
// Braze cannot have processed it and a retry is safe. Like the shutdown
// mark, an in-process payload that InterpretBrazeAttempt drops.
absl::Status NotSentStatus(absl::StatusCode code, absl::string_view message);
// `status` with the not-sent mark added (e.g. a ShutdownStatus for a
// request the client never started).
absl::Status MarkNotSent(absl::Status status);
// Whether `status` carries the not-sent mark. Unmarked failures may have
// reached Braze.
bool WasNotSent(const absl::Status& status);

// Sends HTTP POST requests asynchronously. Implementations are thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts the request; `done` runs exactly once, on an arbitrary thread
  // (possibly before Post returns). It must not block.
  virtual void Post(HttpRequest request, HttpCallback done) = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_HTTP_HTTP_CLIENT_H_
