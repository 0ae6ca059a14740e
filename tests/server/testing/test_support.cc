#include "tests/server/testing/test_support.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace testing_support {

namespace {
constexpr absl::Duration kPollStep = absl::Milliseconds(2);
}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = ::testing::TempDir() + prefix + ".XXXXXX";
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp failed for " << pattern;
  path_ = made == nullptr ? "" : std::string(made);
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

HttpResponse Response(int status, std::string body, std::map<std::string, std::string> headers) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

std::string ItemError(const std::string& input_array, int index, const std::string& type) {
  return absl::StrCat(R"({"type":")", type, R"(","input_array":")", input_array, R"(","index":)",
                      index, "}");
}

std::string ErrorsBody(const std::string& message, const std::vector<std::string>& errors) {
  return absl::StrCat(R"({"message":")", message, R"(","errors":[)", absl::StrJoin(errors, ","),
                      "]}");
}

bool Eventually(const std::function<bool()>& condition, absl::Duration deadline) {
  const absl::Time until = absl::Now() + deadline;
  while (absl::Now() < until) {
    if (condition()) return true;
    absl::SleepFor(kPollStep);
  }
  return condition();
}

void FakeHttpClient::Respond(absl::StatusOr<HttpResponse> response) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(response));
}

void FakeHttpClient::Respond(int status, std::string body,
                             std::map<std::string, std::string> headers) {
  Respond(Response(status, std::move(body), std::move(headers)));
}

void FakeHttpClient::set_responder(Responder responder) {
  absl::MutexLock lock(&mu_);
  responder_ = std::move(responder);
}

void FakeHttpClient::set_park(bool park) {
  absl::MutexLock lock(&mu_);
  park_ = park;
}

void FakeHttpClient::Post(HttpRequest request, HttpCallback done) {
  absl::StatusOr<HttpResponse> answer;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(Posted{request, absl::Now()});
    if (park_) {
      parked_.push_back(std::move(done));
      peak_parked_ = std::max(peak_parked_, parked_.size());
      return;
    }
    if (!script_.empty()) {
      answer = script_.front();
      if (script_.size() > 1) script_.pop_front();
    } else if (responder_) {
      answer = responder_(request);
    } else {
      answer = Response(201);
    }
  }
  std::move(done)(std::move(answer));
}

bool FakeHttpClient::AwaitRequests(size_t count) { return AwaitAtLeast(count, /*parked=*/false); }

bool FakeHttpClient::AwaitParked(size_t count) { return AwaitAtLeast(count, /*parked=*/true); }

bool FakeHttpClient::AwaitAtLeast(size_t count, bool parked) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, count, parked] {
    mu_.AssertHeld();
    return (parked ? parked_.size() : requests_.size()) >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), kWait);
}

bool FakeHttpClient::ReleaseOldest(absl::StatusOr<HttpResponse> response) {
  HttpCallback done;
  {
    absl::MutexLock lock(&mu_);
    if (parked_.empty()) return false;
    done = std::move(parked_.front());
    parked_.pop_front();
  }
  std::move(done)(std::move(response));
  return true;
}

void FakeHttpClient::ReleaseAll(const absl::StatusOr<HttpResponse>& response) {
  while (ReleaseOldest(response)) {
  }
}

size_t FakeHttpClient::request_count() const {
  absl::MutexLock lock(&mu_);
  return requests_.size();
}

size_t FakeHttpClient::parked_count() const {
  absl::MutexLock lock(&mu_);
  return parked_.size();
}

size_t FakeHttpClient::peak_parked() const {
  absl::MutexLock lock(&mu_);
  return peak_parked_;
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  absl::MutexLock lock(&mu_);
  std::vector<HttpRequest> requests;
  requests.reserve(requests_.size());
  for (const Posted& posted : requests_) requests.push_back(posted.request);
  return requests;
}

HttpRequest FakeHttpClient::request(size_t i) const {
  absl::MutexLock lock(&mu_);
  return requests_.at(i).request;
}

absl::Time FakeHttpClient::posted_at(size_t i) const {
  absl::MutexLock lock(&mu_);
  return requests_.at(i).at;
}

nlohmann::json FakeHttpClient::Body(size_t i) const {
  return nlohmann::json::parse(request(i).body);
}

std::vector<std::string> FakeHttpClient::EventNames(size_t i) const {
  const nlohmann::json body = Body(i);
  std::vector<std::string> names;
  if (!body.contains("events")) return names;
  for (const nlohmann::json& event : body["events"]) names.push_back(event["name"]);
  return names;
}

std::map<std::string, int> FakeHttpClient::posted_events() const {
  std::map<std::string, int> counts;
  for (const HttpRequest& request : requests()) {
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("events")) continue;
    for (const nlohmann::json& event : body["events"]) {
      ++counts[event.value("name", std::string())];
    }
  }
  return counts;
}

}  // namespace testing_support
}  // namespace brazesync
