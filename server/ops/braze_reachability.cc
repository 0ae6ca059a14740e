// Braze's reachability from the outcomes of BrazeSync's HTTP requests.
#include "server/ops/braze_reachability.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace brazesync {
namespace {

// Timeouts shorter than this are the caller's deadline, not Braze's health.
constexpr absl::Duration kMinTimeoutThatCounts = absl::Seconds(1);

// Whether a transport failure is evidence that Braze is unreachable.
bool CountsAsFailure(const HttpRequest& request, const absl::Status& failure) {
  if (IsShutdown(failure)) return false;  // we stopped; Braze did nothing
  switch (failure.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kFailedPrecondition:
      return true;
    case absl::StatusCode::kDeadlineExceeded:
      return request.timeout >= kMinTimeoutThatCounts;
    default:
      return false;
  }
}

}  // namespace

BrazeReachability::BrazeReachability(int failures_to_unreachable,
                                     std::function<void(bool)> on_change)
    : failures_to_unreachable_(std::max(1, failures_to_unreachable)),
      on_change_(std::move(on_change)) {}

void BrazeReachability::Observe(const HttpRequest& request,
                                const absl::StatusOr<HttpResponse>& outcome) {
  const bool counts_as_failure = !outcome.ok() && CountsAsFailure(request, outcome.status());
  // Neither evidence of health nor of trouble.
  if (!outcome.ok() && !counts_as_failure) return;
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

}  // namespace brazesync
