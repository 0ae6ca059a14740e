// Cluster mode's rate budget (rate_budget.h): one GCRA row per budget key in
// bs_rate_budget, shared by every replica, so that together they stay below
// Braze's limit instead of each spending all of it.
//
// TryTake never touches the network: it spends a local reserve that a
// background thread fills by leasing chunks with bs_lease() (the GCRA on the
// database's clock; synchronous_commit off, since rate state is soft).
// Leased tokens expire `token_ttl` after their lease was sent and are never
// returned. The row's emission interval T and tolerance tau are chosen so
// that spends within any interval of Braze's window W stay <= the limit:
// GCRA grants at most floor((D + tau)/T) + 1 tokens in any interval D, a
// token is spent at most L = token_ttl + the governor's max_token_hold after
// its grant, so with burst = 10 % of the limit, tau = burst * T and
// T = (W + L) / (limit - burst - 0.5), spends in W are at most
// floor(limit - 0.5 + tiny) + 1 = limit.
//
// Braze's feedback is shared: a 429 pauses the row (paused_until, which
// every replica's next lease sees), a low X-RateLimit-Remaining pushes its
// tat forward so that at most `remaining` more tokens are granted now. Both
// are coalesced (at most one write per key per feedback_interval).
//
// PostgreSQL unreachable (a lease fails, or stays unanswered for
// degrade_after): the replica is `degraded` and, after its reserve, spends a
// static share, limit * 0.9 / (live members last seen, at least 1), from a
// local token bucket (kStaticShare), or nothing (kClosed). Leasing resumes
// (and degraded clears) as soon as a lease succeeds.
#ifndef BRAZESYNC_SERVER_POSTGRES_SHARED_RATE_BUDGET_H_
#define BRAZESYNC_SERVER_POSTGRES_SHARED_RATE_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/delivery/rate_budget.h"
#include "server/delivery/rate_governor.h"

namespace brazesync {

// --rate_budget_fallback: what a replica spends while PostgreSQL is
// unreachable.
enum class RateBudgetFallback {
  kStaticShare,  // its share of the limit, from a local bucket
  kClosed,       // nothing (Braze traffic stops until PostgreSQL is back)
};

struct SharedRateBudgetOptions {
  std::string uri;  // libpq URI of the cluster store
  RateBudgetFallback fallback = RateBudgetFallback::kStaticShare;
  // L without the governor's hold: how long a leased token may be spent
  // after its lease was sent (lease TTL plus send jitter).
  absl::Duration token_ttl = absl::Milliseconds(300);
  // A chunk is what the sustained rate grants in this long, divided by the
  // live members, clamped to [1, max_chunk].
  absl::Duration chunk_horizon = absl::Milliseconds(50);
  int max_chunk = 75;
  // Braze feedback writes per key at most this often.
  absl::Duration feedback_interval = absl::Milliseconds(100);
  // How often the live members are counted (chunk size, static share).
  absl::Duration members_interval = absl::Seconds(1);
  // A lease unanswered this long counts as PostgreSQL unreachable.
  absl::Duration degrade_after = absl::Seconds(1);
  absl::Duration reconnect_delay = absl::Milliseconds(200);
  // The static share's fraction of the limit.
  double fallback_fraction = 0.9;
};

// The process-wide state of the shared budgets, for health and metrics
// (lock-free reads).
struct RateBudgetStatus {
  std::atomic<bool> degraded{false};
  std::atomic<int64_t> leases{0};          // lease statements answered
  std::atomic<int64_t> lease_failures{0};  // lease statements failed
  std::atomic<int64_t> tokens_leased{0};
  std::atomic<int64_t> tokens_expired{0};  // leased but never spent
  std::atomic<int> live_members{0};        // at the last count
};

// The row's parameters for `limit` requests per `window` when a token may
// be spent up to `ttl` after its lease (exposed for tests and operators).
struct GcraParameters {
  double emission_s = 0;  // T
  double tau_s = 0;       // burst * T (plus a hair, so that the burst is granted whole)
  int burst = 0;
};
GcraParameters SharedBudgetParameters(int limit, absl::Duration window, absl::Duration ttl,
                                      double burst_fraction);

struct SharedRateBudgetKey;
class SharedRateBudget;

// One per process: the lease thread, its PostgreSQL session and every key's
// reserve. Budgets made by it share a key's reserve within the process. Must
// outlive the delivery engine (the budgets it made).
class SharedRateBudgets final {
 public:
  explicit SharedRateBudgets(SharedRateBudgetOptions options);
  ~SharedRateBudgets();
  SharedRateBudgets(const SharedRateBudgets&) = delete;
  SharedRateBudgets& operator=(const SharedRateBudgets&) = delete;

  // For EngineOptions::rate_budgets: the key is the workspace's
  // rate_budget_key (its name when empty), the limit the governor's
  // requests_per_window per window.
  RateBudgetFactory factory();
  // A budget on `key` for `governor`'s limit.
  std::unique_ptr<SharedRateBudget> Make(absl::string_view key,
                                         const RateGovernorOptions& governor);

  // Whether PostgreSQL is unreachable and the fallback is in use (health,
  // metrics).
  bool degraded() const;
  const RateBudgetStatus& status() const;

  class Core;

 private:
  std::shared_ptr<Core> core_;
};

// One workspace lane's view of a budget key; made by SharedRateBudgets.
// Non-blocking (a short local lock), thread-safe.
class SharedRateBudget final : public RateBudget {
 public:
  ~SharedRateBudget() override;

  bool TryTake(absl::Time now) override;
  absl::Time NextTokenAt(absl::Time now) override;
  void ObserveThrottle(absl::Time until) override;
  void ObserveRemaining(int remaining, std::optional<absl::Time> reset, absl::Time now) override;
  // Whether its SharedRateBudgets is degraded (PostgreSQL unreachable).
  bool degraded() const;

 private:
  friend class SharedRateBudgets;
  SharedRateBudget(std::shared_ptr<SharedRateBudgets::Core> core,
                   std::shared_ptr<SharedRateBudgetKey> key);

  const std::shared_ptr<SharedRateBudgets::Core> core_;
  const std::shared_ptr<SharedRateBudgetKey> key_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_SHARED_RATE_BUDGET_H_
