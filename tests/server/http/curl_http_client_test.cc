// Tests for CurlCodeToStatus in server/curl_http_client.h: the single mapping
// from a libcurl failure to an absl::Status (timeouts DEADLINE_EXCEEDED,
// connection trouble UNAVAILABLE, bad URL or TLS verification
// FAILED_PRECONDITION). No network is used.
#include "server/http/curl_http_client.h"

#include <curl/curl.h>

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::HasSubstr;

constexpr char kDetail[] = "Failed to connect to rest.iad-01.braze.com port 443";

struct CurlCase {
  CURLcode curl_code;
  absl::StatusCode code;
  const char* name;
};

class CurlCodeToStatusTest : public ::testing::TestWithParam<CurlCase> {};

TEST_P(CurlCodeToStatusTest, MapsCurlCodeToStatusCode) {
  EXPECT_THAT(CurlCodeToStatus(GetParam().curl_code, kDetail).code(), Eq(GetParam().code));
}

INSTANTIATE_TEST_SUITE_P(
    CurlHttpClientTest, CurlCodeToStatusTest,
    ::testing::Values(
        CurlCase{CURLE_OK, absl::StatusCode::kOk, "Ok"},
        CurlCase{CURLE_OPERATION_TIMEDOUT, absl::StatusCode::kDeadlineExceeded, "TimedOut"},
        CurlCase{CURLE_COULDNT_RESOLVE_HOST, absl::StatusCode::kUnavailable, "ResolveHost"},
        CurlCase{CURLE_COULDNT_RESOLVE_PROXY, absl::StatusCode::kUnavailable, "ResolveProxy"},
        CurlCase{CURLE_COULDNT_CONNECT, absl::StatusCode::kUnavailable, "Connect"},
        CurlCase{CURLE_SEND_ERROR, absl::StatusCode::kUnavailable, "Send"},
        CurlCase{CURLE_RECV_ERROR, absl::StatusCode::kUnavailable, "Recv"},
        CurlCase{CURLE_GOT_NOTHING, absl::StatusCode::kUnavailable, "GotNothing"},
        CurlCase{CURLE_PARTIAL_FILE, absl::StatusCode::kUnavailable, "PartialFile"},
        CurlCase{CURLE_HTTP2, absl::StatusCode::kUnavailable, "Http2"},
        CurlCase{CURLE_HTTP2_STREAM, absl::StatusCode::kUnavailable, "Http2Stream"},
        CurlCase{CURLE_SSL_CONNECT_ERROR, absl::StatusCode::kUnavailable, "SslConnect"},
        CurlCase{CURLE_URL_MALFORMAT, absl::StatusCode::kFailedPrecondition, "UrlMalformat"},
        CurlCase{CURLE_UNSUPPORTED_PROTOCOL, absl::StatusCode::kFailedPrecondition,
                 "UnsupportedProtocol"},
        CurlCase{CURLE_PEER_FAILED_VERIFICATION, absl::StatusCode::kFailedPrecondition,
                 "PeerFailedVerification"},
        CurlCase{CURLE_SSL_CACERT_BADFILE, absl::StatusCode::kFailedPrecondition, "CaCertBadFile"},
        CurlCase{CURLE_SSL_CERTPROBLEM, absl::StatusCode::kFailedPrecondition, "CertProblem"},
        CurlCase{CURLE_TOO_MANY_REDIRECTS, absl::StatusCode::kUnavailable, "OtherIsUnavailable"}),
    [](const ::testing::TestParamInfo<CurlCase>& info) { return std::string(info.param.name); });

TEST(CurlHttpClientTest, FailureMessageCarriesTheDetail) {
  const absl::Status status = CurlCodeToStatus(CURLE_COULDNT_CONNECT, kDetail);
  EXPECT_THAT(std::string(status.message()), HasSubstr(kDetail));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Braze"));
}

TEST(CurlHttpClientTest, TimeoutMessageCarriesTheDetail) {
  const absl::Status status =
      CurlCodeToStatus(CURLE_OPERATION_TIMEDOUT, "Operation timed out after 10001 milliseconds");
  EXPECT_THAT(std::string(status.message()), HasSubstr("timed out after 10001 milliseconds"));
}

}  // namespace
}  // namespace brazesync
