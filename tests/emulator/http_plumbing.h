// HTTP plumbing of the Braze emulator (braze_emulator.h), apart from what it
// emulates: Content-Type parsing, JSON responses, the connection killer used
// for dropped-connection faults and fast Stop(), and the growing worker pool
// that lets 1,000 keep-alive clients be served at once. cpp-httplib 0.11.4.
#ifndef BRAZESYNC_TESTS_EMULATOR_HTTP_PLUMBING_H_
#define BRAZESYNC_TESTS_EMULATOR_HTTP_PLUMBING_H_

#include <httplib.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {

inline constexpr char kRateLimitExceeded[] = "Rate Limit Exceeded";

// "application/json", optionally with a UTF-8 charset parameter.
bool IsJsonContentType(absl::string_view value);
// The {"message": ...} text for an injected or unexpected status.
std::string StatusMessage(int status);
// Compact JSON; invalid UTF-8 is replaced rather than thrown on.
std::string Dump(const nlohmann::ordered_json& json);
std::string Dump(const nlohmann::json& json);
void SendJson(httplib::Response& res, int status, const std::string& body);

struct Endpoint {
  std::string addr;
  int port = -1;
};

// Shuts down (without closing) the server-side sockets of connections to
// `local_port`, or only the one from `peer` when given. Returns how many.
int ShutdownServerSockets(int local_port, const Endpoint* peer);

// A thread pool that starts `initial` threads and adds one whenever a job
// arrives and no thread is idle, up to `max`. httplib serves each keep-alive
// connection on one pool thread for the connection's lifetime, so a fixed
// small pool would leave most of 1,000 concurrent clients waiting in a queue.
class GrowingThreadPool final : public httplib::TaskQueue {
 public:
  GrowingThreadPool(int initial, int max);
  ~GrowingThreadPool() override;

  void enqueue(std::function<void()> fn) override;
  // Finishes queued jobs, then joins every thread.
  void shutdown() override;

 private:
  void SpawnLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Work();

  const size_t max_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

// "2024-05-01T12:34:56.789Z".
std::string Rfc3339(absl::Time t);
// A recorded body as JSON when it parses, else as the raw string.
nlohmann::json BodyAsJson(const std::string& body);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_HTTP_PLUMBING_H_
