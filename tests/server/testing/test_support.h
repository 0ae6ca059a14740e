// Shared helpers for the server unit tests in tests/server/: one copy of what
// the *_test.cc files used to repeat. Test-only code, linked into the test
// binaries and nowhere else.
//   - StatusIs(code, message_matcher): gMock matcher for absl::Status.
//   - TempDir: a mkdtemp directory, removed with everything in it at the end.
//   - Response / ItemError / ErrorsBody: Braze /users/track responses.
//   - Eventually(condition): polls until the condition holds or kWait passes.
//   - FakeHttpClient: an HttpClient the test drives (script, responder,
//     parking, recorded requests).
#ifndef BRAZESYNC_TESTS_SERVER_TESTING_TEST_SUPPORT_H_
#define BRAZESYNC_TESTS_SERVER_TESTING_TEST_SUPPORT_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "server/http/http_client.h"

namespace brazesync {
namespace testing_support {

// Braze's body for a fully successful /users/track request.
inline constexpr char kSuccess[] = R"({"message":"success"})";
// How long a test waits for something that should happen promptly.
inline constexpr absl::Duration kWait = absl::Seconds(10);

// Matches an absl::Status with code `code` whose message matches
// `message_matcher` (a string or a matcher of std::string).
MATCHER_P2(StatusIs, code, message_matcher, "") {
  if (arg.code() != code) {
    *result_listener << "code is " << absl::StatusCodeToString(arg.code()) << " (" << arg.message()
                     << ")";
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(arg.message()),
                                       result_listener);
}

// A directory made with mkdtemp under ::testing::TempDir(), removed with
// everything in it at the end.
class TempDir final {
 public:
  explicit TempDir(const std::string& prefix = "brazesync_test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An HTTP response with `status`, `body` and (lower-case) `headers`.
HttpResponse Response(int status, std::string body = kSuccess,
                      std::map<std::string, std::string> headers = {});

// One entry of Braze's errors[]: {"type":..,"input_array":..,"index":..}.
std::string ItemError(const std::string& input_array, int index, const std::string& type);

// A Braze response body with `message` and the `errors` (ItemError()s).
std::string ErrorsBody(const std::string& message, const std::vector<std::string>& errors);

// Polls `condition` until it holds or `deadline` passes; returns whether it
// held.
bool Eventually(const std::function<bool()>& condition, absl::Duration deadline = kWait);

// Either answers each request inside Post (from the script, whose last entry
// repeats; else from the responder; else 201 kSuccess) or, when parking,
// holds it until the test releases it. Records every request with the time
// it was posted. Thread-safe: engines post from their own threads.
class FakeHttpClient final : public HttpClient {
 public:
  using Responder = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  // Appends to the script.
  void Respond(absl::StatusOr<HttpResponse> response);
  void Respond(int status, std::string body = kSuccess,
               std::map<std::string, std::string> headers = {});
  void set_responder(Responder responder);
  void set_park(bool park);

  void Post(HttpRequest request, HttpCallback done) override;

  // Waits (up to kWait) until at least `count` requests were posted.
  bool AwaitRequests(size_t count);
  // Waits (up to kWait) until at least `count` requests are parked.
  bool AwaitParked(size_t count);

  // Answers the oldest parked request. Returns false when none is parked.
  bool ReleaseOldest(absl::StatusOr<HttpResponse> response = Response(201));
  // Answers every parked request with `response`.
  void ReleaseAll(const absl::StatusOr<HttpResponse>& response);

  size_t request_count() const;
  size_t parked_count() const;
  size_t peak_parked() const;
  std::vector<HttpRequest> requests() const;
  HttpRequest request(size_t i) const;
  absl::Time posted_at(size_t i) const;
  // The parsed body of request `i`.
  nlohmann::json Body(size_t i) const;
  // The `name`s of the events in request `i`, in body order.
  std::vector<std::string> EventNames(size_t i) const;
  // How often each event name was sent, over every request.
  std::map<std::string, int> posted_events() const;

 private:
  struct Posted {
    HttpRequest request;
    absl::Time at;
  };

  // Waits (up to kWait) until at least `count` requests are parked (or, when
  // `parked` is false, were posted).
  bool AwaitAtLeast(size_t count, bool parked);

  mutable absl::Mutex mu_;
  bool park_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<absl::StatusOr<HttpResponse>> script_ ABSL_GUARDED_BY(mu_);
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<Posted> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<HttpCallback> parked_ ABSL_GUARDED_BY(mu_);
  size_t peak_parked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing_support
}  // namespace brazesync

#endif  // BRAZESYNC_TESTS_SERVER_TESTING_TEST_SUPPORT_H_
