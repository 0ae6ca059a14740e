// The libcurl implementation of HttpClient. Keeps a pool of easy handles so
// connections to Braze are reused across requests (keep-alive, TLS sessions),
// with RAII ownership of every curl resource.
#ifndef BRAZESYNC_SERVER_CURL_HTTP_CLIENT_H_
#define BRAZESYNC_SERVER_CURL_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <memory>

#include "absl/status/status.h"
#include "server/http_client.h"

namespace brazesync {

struct CurlOptions {
  // Connection establishment timeout (the whole request has its own).
  absl::Duration connect_timeout = absl::Seconds(5);
  // Verify Braze's TLS certificate; only tests against a local emulator with
  // a self-signed certificate may turn it off.
  bool verify_tls = true;
  // A CA bundle file to trust instead of the system store (tests).
  std::string ca_file;
};

// The single mapping from a libcurl failure to a status: timeouts are
// DEADLINE_EXCEEDED, connection trouble UNAVAILABLE (retryable), a bad URL or
// TLS verification failure FAILED_PRECONDITION (fix configuration).
absl::Status CurlCodeToStatus(CURLcode code, absl::string_view detail);

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options = {});

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CURL_HTTP_CLIENT_H_
