// Implementation of http_plumbing.h.
#include "tests/emulator/http_plumbing.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace brazesync::emulator {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

bool IsJsonContentType(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ';');
  if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0])) != "application/json") {
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string param = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
    param.erase(std::remove(param.begin(), param.end(), '"'), param.end());
    if (absl::StartsWith(param, "charset=") && param != "charset=utf-8" &&
        param != "charset=utf8") {
      return false;
    }
  }
  return true;
}

std::string StatusMessage(int status) {
  switch (status) {
    case 429:
      return kRateLimitExceeded;
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

std::string Dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void SendJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

namespace {

bool GetEndpoint(int fd, bool peer, Endpoint& out) {
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  if ((peer ? getpeername(fd, addr, &len) : getsockname(fd, addr, &len)) != 0) return false;
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    out.port = ntohs(in->sin_port);
  } else if (storage.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    out.port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  out.addr = text;
  return true;
}

}  // namespace

// cpp-httplib 0.11.4 never hands a handler its socket, and its keep-alive loop
// only notices Server::stop() between requests. To drop a connection without
// sending a byte, and to make Stop() close idle keep-alive connections at
// once, we find the server-side sockets ourselves: connected TCP sockets whose
// local port is the emulator's port (client sockets in this process have an
// ephemeral local port, so they never match). With `peer` set, only the
// socket of that one connection matches; a handler that is running keeps its
// socket open, so that fd cannot be reused under us. shutdown() (not close())
// leaves the fd to httplib, which closes it when its write/read fails.
int ShutdownServerSockets(int local_port, const Endpoint* peer) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    int fd = 0;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(dir)) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    Endpoint local, remote;
    if (!GetEndpoint(fd, /*peer=*/false, local) || local.port != local_port) continue;
    if (!GetEndpoint(fd, /*peer=*/true, remote)) continue;  // the listening socket
    if (peer != nullptr && (remote.port != peer->port || remote.addr != peer->addr)) continue;
    ::shutdown(fd, SHUT_RDWR);
    ++count;
  }
  closedir(dir);
  return count;
}

GrowingThreadPool::GrowingThreadPool(int initial, int max)
    : max_(static_cast<size_t>(std::max(1, max))) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < std::min(initial, max); ++i) SpawnLocked();
}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::enqueue(std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(std::move(fn));
  if (!shutdown_ && jobs_.size() > idle_ && threads_.size() < max_) SpawnLocked();
}

void GrowingThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void GrowingThreadPool::SpawnLocked() {
  threads_.emplace_back([this] { Work(); });
}

void GrowingThreadPool::Work() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock lock(&mu_);
      ++idle_;
      mu_.Await(absl::Condition(
          +[](GrowingThreadPool* p)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->shutdown_ || !p->jobs_.empty(); },
          this));
      --idle_;
      if (jobs_.empty()) return;  // shutting down and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

Json BodyAsJson(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return body;
  return parsed;
}

}  // namespace brazesync::emulator
