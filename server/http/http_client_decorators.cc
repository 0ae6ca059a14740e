// HttpClient decorators: outcome observation, Braze reachability, key rotation.
#include "server/http/http_client_decorators.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace brazesync {
namespace {

constexpr char kBearer[] = "Bearer ";

// Timeouts shorter than this are the caller's deadline, not Braze's health.
constexpr absl::Duration kMinTimeoutThatCounts = absl::Seconds(1);

}  // namespace

BrazeReachability::BrazeReachability(int failures_to_unreachable,
                                     std::function<void(bool)> on_change)
    : failures_to_unreachable_(std::max(1, failures_to_unreachable)),
      on_change_(std::move(on_change)) {}

void BrazeReachability::Observe(const HttpRequest& request,
                                const absl::StatusOr<HttpResponse>& outcome) {
  bool counts_as_failure = false;
  if (!outcome.ok()) {
    switch (outcome.status().code()) {
      case absl::StatusCode::kUnavailable:
      case absl::StatusCode::kFailedPrecondition:
        counts_as_failure = !absl::StrContains(outcome.status().message(), "shutting down");
        break;
      case absl::StatusCode::kDeadlineExceeded:
        counts_as_failure = request.timeout >= kMinTimeoutThatCounts;
        break;
      default:
        break;
    }
    if (!counts_as_failure) return;  // neither evidence of health nor of trouble
  }
  bool flipped = false;
  bool now_reachable = false;
  {
    absl::MutexLock lock(&mu_);
    if (counts_as_failure) {
      ++consecutive_failures_;
      if (reachable_ && consecutive_failures_ >= failures_to_unreachable_) {
        reachable_ = false;
        flipped = true;
      }
    } else {
      consecutive_failures_ = 0;
      if (!reachable_) {
        reachable_ = true;
        flipped = true;
      }
    }
    now_reachable = reachable_;
  }
  if (flipped && on_change_) on_change_(now_reachable);
}

bool BrazeReachability::reachable() const {
  absl::MutexLock lock(&mu_);
  return reachable_;
}

ObservedHttpClient::ObservedHttpClient(std::unique_ptr<HttpClient> inner, Observer observer)
    : inner_(std::move(inner)), observer_(std::move(observer)) {}

void ObservedHttpClient::Post(HttpRequest request, HttpCallback done) {
  // The observer needs the request after the inner client consumed it; keep
  // what it reads (URL and timeout), not the body.
  HttpRequest summary;
  summary.url = request.url;
  summary.timeout = request.timeout;
  inner_->Post(std::move(request), [this, summary = std::move(summary), done = std::move(done)](
                                       absl::StatusOr<HttpResponse> outcome) mutable {
    if (observer_) observer_(summary, outcome);
    std::move(done)(std::move(outcome));
  });
}

void ApiKeyRing::Set(const std::string& original, const std::string& current) {
  absl::MutexLock lock(&mu_);
  keys_[original] = current;
}

std::string ApiKeyRing::Current(const std::string& original) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(original);
  return it == keys_.end() ? original : it->second;
}

KeyRotatingHttpClient::KeyRotatingHttpClient(std::unique_ptr<HttpClient> inner,
                                             const ApiKeyRing* ring)
    : inner_(std::move(inner)), ring_(ring) {}

void KeyRotatingHttpClient::Post(HttpRequest request, HttpCallback done) {
  for (auto& [name, value] : request.headers) {
    if (!absl::EqualsIgnoreCase(name, "authorization") || !absl::StartsWith(value, kBearer)) {
      continue;
    }
    const std::string original = value.substr(sizeof(kBearer) - 1);
    std::string current = ring_->Current(original);
    if (current != original) value = absl::StrCat(kBearer, current);
  }
  inner_->Post(std::move(request), std::move(done));
}

}  // namespace brazesync
