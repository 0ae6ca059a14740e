// Tests for server/http/curl_http_client.h: CurlCodeToStatus, the single
// mapping from a libcurl failure to an absl::Status (timeouts
// DEADLINE_EXCEEDED, connection trouble UNAVAILABLE, bad URL or TLS
// verification FAILED_PRECONDITION), and the client's shutdown outcome. Only
// a loopback socket is used, no network.
#include "server/http/curl_http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/http_client.h"

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

// No connection made: no request byte left, so even a trigger may be resent.
TEST(CurlHttpClientTest, FailuresBeforeConnectingAreMarkedNotSent) {
  for (CURLcode code :
       {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT}) {
    const absl::Status status = CurlCodeToStatus(code, kDetail);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << code;
    EXPECT_TRUE(WasNotSent(status)) << code;
  }
}

// After connecting, Braze may have read the request.
TEST(CurlHttpClientTest, FailuresAfterConnectingAreNotMarkedNotSent) {
  for (CURLcode code : {CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
                        CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2_STREAM}) {
    EXPECT_FALSE(WasNotSent(CurlCodeToStatus(code, kDetail))) << code;
  }
}

TEST(CurlHttpClientTest, TimeoutMessageCarriesTheDetail) {
  const absl::Status status =
      CurlCodeToStatus(CURLE_OPERATION_TIMEDOUT, "Operation timed out after 10001 milliseconds");
  EXPECT_THAT(std::string(status.message()), HasSubstr("timed out after 10001 milliseconds"));
}

// A loopback TCP socket that listens but never accepts: connections complete
// in the kernel's backlog and requests then wait for an answer forever.
class SilentListener final {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int port() const { return port_; }  // 0 when the socket could not listen

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A request cut short by the client's destruction ends UNAVAILABLE (what
// callers have always seen) and carries the typed shutdown mark, which health
// checks read instead of the message.
TEST(CurlHttpClientTest, RequestCutShortByShutdownIsMarkedAsShutdown) {
  SilentListener listener;
  ASSERT_NE(listener.port(), 0);
  std::unique_ptr<HttpClient> client = MakeCurlHttpClient();
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", listener.port(), "/users/track");
  request.timeout = absl::Minutes(5);
  absl::Notification done;
  absl::Status outcome;
  client->Post(std::move(request), [&](absl::StatusOr<HttpResponse> response) {
    outcome = response.status();
    done.Notify();
  });
  client.reset();  // joins the event loop, which fails what is still running
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable) << outcome;
  EXPECT_TRUE(IsShutdown(outcome)) << outcome;
}

}  // namespace
}  // namespace brazesync
