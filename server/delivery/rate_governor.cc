// Per-workspace pacing of Braze requests.
#include "server/delivery/rate_governor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/config/workspace.h"
#include "server/delivery/local_rate_budget.h"

namespace brazesync {

RateGovernor::RateGovernor(const RateGovernorOptions& options, absl::Time now)
    : RateGovernor(options, std::make_unique<LocalRateBudget>(options, now)) {}

RateGovernor::RateGovernor(const RateGovernorOptions& options, std::unique_ptr<RateBudget> budget)
    : options_(options), budget_(std::move(budget)), concurrency_limit_(options.max_concurrency) {}

bool RateGovernor::HoldsToken(absl::Time now) {
  if (token_held_ && now - token_taken_at_ > options_.max_token_hold) token_held_ = false;
  return token_held_;
}

bool RateGovernor::CanStart(absl::Time now, int in_flight) {
  if (in_flight >= concurrency_limit_) return false;
  if (now < paused_until_ || (!HoldsToken(now) && !budget_->TryTake(now))) {
    ++waits_;
    return false;
  }
  if (!token_held_) {
    token_held_ = true;
    token_taken_at_ = now;
  }
  return true;
}

void RateGovernor::Started(absl::Time now) {
  // The engine calls CanStart first; a caller that did not still pays.
  if (!HoldsToken(now)) budget_->TryTake(now);
  token_held_ = false;
}

absl::Time RateGovernor::NextStartAt(absl::Time now) const {
  const absl::Time at = std::max(now, paused_until_);
  if (token_held_ && now - token_taken_at_ <= options_.max_token_hold) return at;
  return std::max(at, budget_->NextTokenAt(now));
}

void RateGovernor::OnAttempt(const BrazeAttempt& attempt, absl::Time now) {
  if (attempt.http_status == 429) {
    concurrency_limit_ = std::max(1, concurrency_limit_ / 2);
    const absl::Duration wait = attempt.retry_after.value_or(absl::Seconds(1));
    paused_until_ = std::max(paused_until_, now + wait);
    // Every replica spending the budget pauses too.
    budget_->ObserveThrottle(now + wait);
    return;
  }
  if (attempt.status.ok()) {
    concurrency_limit_ = std::min(options_.max_concurrency, concurrency_limit_ + 1);
  }
  const double low = options_.low_remaining_fraction * options_.requests_per_window;
  if (attempt.rate_limit_remaining >= 0 && attempt.rate_limit_remaining < low) {
    const int remaining = static_cast<int>(attempt.rate_limit_remaining);
    // A held token counts against what Braze says is left.
    if (remaining <= 0) token_held_ = false;
    budget_->ObserveRemaining(std::max(0, remaining - (token_held_ ? 1 : 0)),
                              attempt.rate_limit_reset, now);
  }
}

std::unique_ptr<RateGovernor> MakeKeyedGovernor(const WorkspaceSettings& workspace,
                                                const RateGovernorOptions& options,
                                                absl::string_view budget_suffix,
                                                const RateBudgetFactory& budgets) {
  if (!budgets) return std::make_unique<RateGovernor>(options);
  // The factory keys budgets by rate_budget_key: a copy carries this
  // limit's own key.
  WorkspaceSettings keyed = workspace;
  keyed.rate_budget_key =
      absl::StrCat(workspace.rate_budget_key.empty() ? workspace.name : workspace.rate_budget_key,
                   budget_suffix);
  return std::make_unique<RateGovernor>(options, budgets(keyed, options));
}

}  // namespace brazesync
