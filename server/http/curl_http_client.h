// The libcurl implementation of HttpClient: one event-loop thread drives a
// curl multi handle, so many requests to Braze are in flight at once over a
// shared, reused connection pool, without a thread per request. Every curl
// resource has an RAII owner.
#ifndef BRAZESYNC_SERVER_HTTP_CURL_HTTP_CLIENT_H_
#define BRAZESYNC_SERVER_HTTP_CURL_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/http/http_client.h"

namespace brazesync {

struct CurlOptions {
  // Connection establishment timeout (each request has its own total).
  absl::Duration connect_timeout = absl::Seconds(5);
  // Verify Braze's TLS certificate; only tests against a local emulator with
  // a self-signed certificate may turn it off.
  bool verify_tls = true;
  // A CA bundle file to trust instead of the system store (tests).
  std::string ca_file;
  // Idle connections kept for reuse.
  int max_cached_connections = 256;
};

// The single mapping from a libcurl failure to a status: timeouts are
// DEADLINE_EXCEEDED, connection trouble UNAVAILABLE (retryable), a bad URL or
// TLS verification failure FAILED_PRECONDITION (fix configuration). The
// failures where no connection was made (host or proxy not resolved,
// connect refused or timed out) carry the not-sent mark (http_client.h).
absl::Status CurlCodeToStatus(CURLcode code, absl::string_view detail);

// Destroying the client fails the requests still in flight with UNAVAILABLE.
std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options = {});

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_HTTP_CURL_HTTP_CLIENT_H_
