// The libcurl (multi interface) implementation of HttpClient.
#include "server/http/curl_http_client.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace brazesync {
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

// A request refused or dropped before curl started it: no byte left.
absl::Status NotStartedShutdownStatus() {
  return MarkNotSent(ShutdownStatus("HTTP client is shutting down"));
}

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Collects "Name: value" lines, lower-casing names. A redirect or 100-continue
// starts a new header block, so a status line resets the map.
size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();
  } else if (size_t colon = line.find(':'); colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    (*headers)[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;

// One request in flight: owns its easy handle, headers, body and response.
struct Transfer {
  EasyHandle easy;
  HeaderList headers;
  HttpRequest request;
  HttpResponse response;
  HttpCallback done;
  char error[CURL_ERROR_SIZE] = {0};
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options) : options_(std::move(options)) {
    GlobalInitOnce();
    multi_.reset(curl_multi_init());
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_cached_connections));
    loop_ = std::thread([this] { Loop(); });
  }

  ~CurlHttpClient() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
    loop_.join();
  }

  void Post(HttpRequest request, HttpCallback done) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_) {
        pending_.push_back(std::move(transfer));
        transfer = nullptr;
      }
    }
    if (transfer != nullptr) {
      std::move(transfer->done)(NotStartedShutdownStatus());
      return;
    }
    curl_multi_wakeup(multi_.get());
  }

 private:
  // Configures the easy handle of `transfer`; an error means it cannot start.
  absl::Status Prepare(Transfer& transfer) {
    transfer.easy.reset(curl_easy_init());
    if (transfer.easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    // "Expect:" suppresses 100-continue, which would add a round trip for
    // every body over 1 KB.
    transfer.headers.reset(curl_slist_append(nullptr, "Expect:"));
    for (const auto& [name, value] : transfer.request.headers) {
      if (curl_slist_append(transfer.headers.get(), absl::StrCat(name, ": ", value).c_str()) ==
          nullptr) {
        return absl::ResourceExhaustedError("curl_slist_append failed");
      }
    }
    CURL* curl = transfer.easy.get();
    const HttpRequest& request = transfer.request;
    curl_easy_setopt(curl, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer.error);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, transfer.headers.get());
    // 0 would mean "no timeout" to curl; never let a tiny remainder round to it.
    curl_easy_setopt(
        curl, CURLOPT_TIMEOUT_MS,
        static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(request.timeout))));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required in multi-threaded programs
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer.response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer.response.headers);
    return absl::OkStatus();
  }

  // Moves newly posted transfers into the multi handle; false when stopping.
  bool AdmitPending() {
    std::vector<std::unique_ptr<Transfer>> admitted;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      admitted.swap(pending_);
      stopping = stopping_;
    }
    for (auto& transfer : admitted) {
      if (stopping) {
        std::move(transfer->done)(NotStartedShutdownStatus());
        continue;
      }
      absl::Status prepared = Prepare(*transfer);
      if (!prepared.ok()) {
        // Refused before curl saw it: nothing went out.
        std::move(transfer->done)(MarkNotSent(std::move(prepared)));
        continue;
      }
      curl_multi_add_handle(multi_.get(), transfer->easy.get());
      running_.push_back(std::move(transfer));
    }
    return !stopping;
  }

  void Complete(CURL* easy, CURLcode code) {
    Transfer* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    curl_multi_remove_handle(multi_.get(), easy);
    auto it = std::find_if(running_.begin(), running_.end(),
                           [raw](const auto& transfer) { return transfer.get() == raw; });
    std::unique_ptr<Transfer> transfer = std::move(*it);
    *it = std::move(running_.back());
    running_.pop_back();
    if (code != CURLE_OK) {
      std::move(transfer->done)(CurlCodeToStatus(
          code, transfer->error[0] != '\0' ? transfer->error : curl_easy_strerror(code)));
      return;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    transfer->response.status = static_cast<int>(status);
    std::move(transfer->done)(std::move(transfer->response));
  }

  void Loop() {
    while (AdmitPending()) {
      int still_running = 0;
      curl_multi_perform(multi_.get(), &still_running);
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
        if (message->msg == CURLMSG_DONE) Complete(message->easy_handle, message->data.result);
      }
      curl_multi_poll(multi_.get(), nullptr, 0, /*timeout_ms=*/1000, nullptr);
    }
    for (auto& transfer : running_) {
      curl_multi_remove_handle(multi_.get(), transfer->easy.get());
      std::move(transfer->done)(ShutdownStatus("HTTP client is shutting down"));
    }
    running_.clear();
  }

  const CurlOptions options_;
  MultiHandle multi_;
  std::thread loop_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Transfer>> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Transfer>> running_;  // loop thread only
};

}  // namespace

absl::Status CurlCodeToStatus(CURLcode code, absl::string_view detail) {
  const std::string message = absl::StrCat("HTTP request to Braze failed: ", detail);
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      // No connection was made, so no request byte left: marked so that
      // callers that must not send twice may still retry.
      return NotSentStatus(absl::StatusCode::kUnavailable, message);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return absl::UnavailableError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return absl::FailedPreconditionError(message);
    default:
      return absl::UnavailableError(message);
  }
}

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace brazesync
