// The rate budget shared by every replica through PostgreSQL.
#include "server/postgres/shared_rate_budget.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "server/config/workspace.h"
#include "server/delivery/local_rate_budget.h"
#include "server/postgres/pg_worker.h"

namespace brazesync {
namespace {

constexpr char kUpsertBudget[] = R"sql(
INSERT INTO bs_rate_budget(key, emission_s, tau_s)
VALUES ($1, $2::double precision, $3::double precision)
ON CONFLICT (key) DO UPDATE SET emission_s = EXCLUDED.emission_s, tau_s = EXCLUDED.tau_s)sql";

// Times come back relative to the database's clock, so that replica clocks
// never meet the database's.
constexpr char kLease[] = R"sql(
SELECT granted, extract(epoch FROM next_at - clock_timestamp())::float8,
  CASE WHEN paused_until > clock_timestamp()
       THEN extract(epoch FROM paused_until - clock_timestamp())::float8 ELSE 0 END
FROM bs_lease($1, $2::int))sql";

constexpr char kPause[] = R"sql(
UPDATE bs_rate_budget SET paused_until = greatest(paused_until,
  clock_timestamp() + make_interval(secs => $2::double precision))
WHERE key = $1)sql";

// At most `remaining` more tokens now: tat such that (now - tat + tau) / T
// = remaining.
constexpr char kCapRemaining[] = R"sql(
UPDATE bs_rate_budget SET tat = greatest(tat,
  clock_timestamp() + make_interval(secs => tau_s - $2::double precision * emission_s))
WHERE key = $1)sql";

constexpr char kCountMembers[] = R"sql(
SELECT pg_stat_clear_snapshot(), (SELECT count(*) FROM bs_members m
  JOIN pg_stat_activity a ON a.pid = m.backend_pid AND a.backend_start = m.backend_start))sql";

std::string Number(double value) { return absl::StrFormat("%.9f", value); }

}  // namespace

GcraParameters SharedBudgetParameters(int limit, absl::Duration window, absl::Duration ttl,
                                      double burst_fraction) {
  limit = std::max(1, limit);
  GcraParameters parameters;
  // The burst leaves room for at least one token of sustained rate.
  parameters.burst = std::clamp(static_cast<int>(std::floor(burst_fraction * limit)), 0, limit - 1);
  parameters.emission_s = absl::ToDoubleSeconds(window + ttl) / (limit - parameters.burst - 0.5);
  // A hair above burst * T, so that floating point never grants burst - 1.
  parameters.tau_s = (parameters.burst + 1e-3) * parameters.emission_s;
  return parameters;
}

// One budget key's state in this process, shared by its budgets; every
// field is guarded by the Core's mutex.
struct SharedRateBudgetKey final {
  struct Chunk final {
    int count = 0;
    absl::Time received_at;  // not spendable at an earlier `now`
    absl::Time expires_at;   // lease sent + L
  };

  std::string name;
  RateGovernorOptions governor;
  GcraParameters gcra;
  absl::Duration ttl;  // L: token_ttl + the governor's hold
  bool row_ready = false;
  bool row_in_flight = false;
  absl::Time row_retry_at = absl::InfinitePast();
  std::deque<Chunk> reserve;
  absl::Time paused_until = absl::InfinitePast();
  absl::Time next_lease_at = absl::InfinitePast();
  bool lease_in_flight = false;
  absl::Time lease_sent_at;
  absl::Time last_demand = absl::InfinitePast();
  std::optional<absl::Time> throttle_to_send;
  std::optional<int> remaining_to_send;
  bool feedback_in_flight = false;
  absl::Time feedback_sent_at = absl::InfinitePast();
  std::unique_ptr<LocalRateBudget> fallback;  // while degraded (static share)
};

class SharedRateBudgets::Core final {
 public:
  using Key = SharedRateBudgetKey;
  using Chunk = SharedRateBudgetKey::Chunk;

  explicit Core(SharedRateBudgetOptions options) : options_(std::move(options)) {
    PgWorkerOptions worker;
    worker.uri = options_.uri;
    worker.label = "rate budget";
    worker.reconnect_delay = options_.reconnect_delay;
    worker.on_connect = [](PgConnection& connection) {
      // Rate state is soft: a crash forgetting the last grants costs a short
      // burst that Braze's 429 still catches, and not waiting for the WAL
      // flush makes a lease ~100x cheaper.
      return connection.Run("configure the session",
                            "SET synchronous_commit = off; "
                            "SET application_name = 'brazesync rate budget'");
    };
    worker_ = std::make_unique<PgWorker>(std::move(worker));
    thread_ = std::thread([this] { Loop(); });
  }

  ~Core() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    worker_.reset();  // runs (or fails) what is queued; completions need mu_
  }

  std::shared_ptr<Key> Register(absl::string_view name, const RateGovernorOptions& governor) {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Key>& key = keys_[std::string(name)];
    if (key == nullptr) {
      key = std::make_shared<Key>();
      key->name = std::string(name);
    }
    // The last limit configured for a key wins (it is one row for all).
    key->governor = governor;
    key->ttl = options_.token_ttl + governor.max_token_hold;
    key->gcra = SharedBudgetParameters(governor.requests_per_window, governor.window, key->ttl,
                                       governor.burst_fraction);
    key->row_ready = false;
    key->row_retry_at = absl::InfinitePast();
    wake_ = true;
    return key;
  }

  bool TryTake(Key& key, absl::Time now) {
    absl::MutexLock lock(&mu_);
    key.last_demand = std::max(key.last_demand, now);
    if (now < key.paused_until) return false;
    DropExpired(key, now);
    if (!key.reserve.empty() && key.reserve.front().received_at <= now) {
      if (--key.reserve.front().count == 0) key.reserve.pop_front();
      if (Available(key, now) <= LowWater(key)) wake_ = true;
      return true;
    }
    if (status_.degraded.load(std::memory_order_relaxed)) {
      if (options_.fallback == RateBudgetFallback::kClosed) return false;
      return Fallback(key, now).TryTake(now);
    }
    wake_ = true;  // demand: lease now
    return false;
  }

  absl::Time NextTokenAt(Key& key, absl::Time now) {
    absl::MutexLock lock(&mu_);
    const absl::Time at = std::max(now, key.paused_until);
    DropExpired(key, now);
    if (!key.reserve.empty()) return std::max(at, key.reserve.front().received_at);
    if (status_.degraded.load(std::memory_order_relaxed)) {
      if (options_.fallback == RateBudgetFallback::kClosed) {
        return std::max(at, now + options_.reconnect_delay);
      }
      return std::max(at, Fallback(key, now).NextTokenAt(now));
    }
    // A lease is due or under way: its tokens come one round trip after
    // next_lease_at; waking a little early is allowed, spinning is not.
    return std::max({at, key.next_lease_at, now + absl::Milliseconds(1)});
  }

  void ObserveThrottle(Key& key, absl::Time until) {
    absl::MutexLock lock(&mu_);
    key.paused_until = std::max(key.paused_until, until);
    Discard(key, Held(key));
    key.throttle_to_send = std::max(key.throttle_to_send.value_or(until), until);
    if (key.fallback != nullptr) key.fallback->ObserveThrottle(until);
    wake_ = true;
  }

  void ObserveRemaining(Key& key, int remaining, std::optional<absl::Time> reset, absl::Time now) {
    absl::MutexLock lock(&mu_);
    remaining = std::max(0, remaining);
    DropExpired(key, now);
    const int held = Held(key);
    if (held > remaining) Discard(key, held - remaining);
    if (remaining == 0 && reset.has_value()) {
      // Braze's window is spent for everyone: a shared pause until it ends.
      key.paused_until = std::max(key.paused_until, *reset);
      key.throttle_to_send = std::max(key.throttle_to_send.value_or(*reset), *reset);
    } else {
      key.remaining_to_send = std::min(key.remaining_to_send.value_or(remaining), remaining);
    }
    if (key.fallback != nullptr) key.fallback->ObserveRemaining(remaining, reset, now);
    wake_ = true;
  }

  RateBudgetStatus status_;

 private:
  // Tokens in the reserve spendable at `now` or later.
  static int Available(const Key& key, absl::Time now) {
    int available = 0;
    for (const Chunk& chunk : key.reserve) {
      if (chunk.expires_at > now) available += chunk.count;
    }
    return available;
  }

  // Every token in the reserve.
  static int Held(const Key& key) {
    int held = 0;
    for (const Chunk& chunk : key.reserve) held += chunk.count;
    return held;
  }

  void DropExpired(Key& key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!key.reserve.empty() && key.reserve.front().expires_at <= now) {
      status_.tokens_expired.fetch_add(key.reserve.front().count, std::memory_order_relaxed);
      key.reserve.pop_front();
    }
  }

  // Drops the `count` newest tokens (never spent, never returned).
  void Discard(Key& key, int count) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (count > 0 && !key.reserve.empty()) {
      Chunk& newest = key.reserve.back();
      const int dropped = std::min(count, newest.count);
      newest.count -= dropped;
      count -= dropped;
      status_.tokens_expired.fetch_add(dropped, std::memory_order_relaxed);
      if (newest.count == 0) key.reserve.pop_back();
    }
  }

  int Members() const { return std::max(1, status_.live_members.load(std::memory_order_relaxed)); }

  // clamp(rate * horizon / members, 1, max_chunk).
  int ChunkSize(const Key& key) const {
    const double rate = 1.0 / key.gcra.emission_s;
    const double chunk = rate * absl::ToDoubleSeconds(options_.chunk_horizon) / Members();
    return std::clamp(static_cast<int>(std::lround(chunk)), 1, std::max(1, options_.max_chunk));
  }
  int LowWater(const Key& key) const { return ChunkSize(key) / 2; }

  LocalRateBudget& Fallback(Key& key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (key.fallback == nullptr) {
      RateGovernorOptions share = key.governor;
      share.requests_per_window =
          std::max(1, static_cast<int>(std::floor(key.governor.requests_per_window *
                                                  options_.fallback_fraction / Members())));
      key.fallback = std::make_unique<LocalRateBudget>(share, now);
      if (key.paused_until > now) key.fallback->ObserveThrottle(key.paused_until);
    }
    return *key.fallback;
  }

  void SetDegraded(bool degraded) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (status_.degraded.exchange(degraded) == degraded) return;
    // Recomputed from the members last seen when PostgreSQL goes away again.
    if (!degraded) {
      for (auto& [name, key] : keys_) key->fallback.reset();
    }
  }

  void Loop() {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      const absl::Time now = absl::Now();
      absl::Time deadline = now + absl::Milliseconds(100);
      std::vector<std::pair<PgWorker::Task, PgWorker::Completion>> work;
      if (!members_in_flight_ && now >= members_at_) {
        members_in_flight_ = true;
        members_at_ = now + options_.members_interval;
        work.push_back(CountMembers());
      }
      for (auto& [name, key_ptr] : keys_) {
        Key& key = *key_ptr;
        if (!key.row_ready) {
          if (!key.row_in_flight && now >= key.row_retry_at) {
            key.row_in_flight = true;
            work.push_back(UpsertRow(key_ptr));
          }
          continue;
        }
        if ((key.throttle_to_send || key.remaining_to_send) && !key.feedback_in_flight) {
          if (now >= key.feedback_sent_at + options_.feedback_interval) {
            key.feedback_in_flight = true;
            work.push_back(SendFeedback(key_ptr));
          } else {
            deadline = std::min(deadline, key.feedback_sent_at + options_.feedback_interval);
          }
        }
        if (key.lease_in_flight) {
          if (now - key.lease_sent_at > options_.degrade_after) SetDegraded(true);
          continue;
        }
        // Lease only for a workspace that is spending: idle replicas must
        // not let tokens expire that busy ones could use.
        const bool demand = now - key.last_demand <= std::max(key.ttl, absl::Milliseconds(100));
        if (!demand) continue;
        DropExpired(key, now);
        const int available = Available(key, now);
        if (available > LowWater(key)) continue;
        const absl::Time due = std::max(key.next_lease_at, key.paused_until);
        if (now < due) {
          deadline = std::min(deadline, due);
          continue;
        }
        key.lease_in_flight = true;
        key.lease_sent_at = now;
        work.push_back(Lease(key_ptr, std::max(1, ChunkSize(key) - available), now));
      }
      wake_ = false;
      if (!work.empty()) {
        mu_.Unlock();
        for (auto& [task, done] : work) worker_->Submit(std::move(task), std::move(done));
        mu_.Lock();
      }
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](Core* core) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core->mu_) {
                                  return core->wake_ || core->stopping_;
                                },
                                this),
                            deadline);
    }
  }

  std::pair<PgWorker::Task, PgWorker::Completion> CountMembers() {
    auto count = std::make_shared<int64_t>(0);
    return {[count](PgConnection& connection) {
              absl::StatusOr<PgResult> rows = connection.Exec("count the members", kCountMembers);
              if (!rows.ok()) return rows.status();
              *count = rows->Int(0, 1);
              return absl::OkStatus();
            },
            [this, count](absl::Status status) {
              absl::MutexLock lock(&mu_);
              members_in_flight_ = false;
              if (status.ok()) status_.live_members.store(static_cast<int>(*count));
            }};
  }

  std::pair<PgWorker::Task, PgWorker::Completion> UpsertRow(std::shared_ptr<Key> key) {
    const std::vector<PgParam> params = {PgParam::Text(key->name),
                                         PgParam::Text(Number(key->gcra.emission_s)),
                                         PgParam::Text(Number(key->gcra.tau_s))};
    return {[params](PgConnection& connection) {
              return connection.Exec("create the budget", kUpsertBudget, params).status();
            },
            [this, key](absl::Status status) {
              absl::MutexLock lock(&mu_);
              key->row_in_flight = false;
              if (status.ok()) {
                key->row_ready = true;
              } else {
                // Without its row nothing can be leased: as unreachable.
                key->row_retry_at = absl::Now() + options_.reconnect_delay;
                SetDegraded(true);
              }
              wake_ = true;
            }};
  }

  std::pair<PgWorker::Task, PgWorker::Completion> SendFeedback(std::shared_ptr<Key> key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::optional<absl::Time> throttle = std::exchange(key->throttle_to_send, std::nullopt);
    const std::optional<int> remaining = std::exchange(key->remaining_to_send, std::nullopt);
    // Relative to now, applied on the database's clock.
    const std::optional<double> pause_s =
        throttle ? std::optional<double>(absl::ToDoubleSeconds(*throttle - absl::Now()))
                 : std::nullopt;
    return {[name = key->name, pause_s, remaining](PgConnection& connection) {
              if (pause_s.has_value() && *pause_s > 0) {
                absl::Status status =
                    connection
                        .Exec("share a pause", kPause,
                              {PgParam::Text(name), PgParam::Text(Number(*pause_s))})
                        .status();
                if (!status.ok()) return status;
              }
              if (remaining.has_value()) {
                return connection
                    .Exec("share the remaining count", kCapRemaining,
                          {PgParam::Text(name), PgParam::Int(*remaining)})
                    .status();
              }
              return absl::OkStatus();
            },
            [this, key, throttle, remaining](absl::Status status) {
              absl::MutexLock lock(&mu_);
              key->feedback_in_flight = false;
              key->feedback_sent_at = absl::Now();
              if (!status.ok()) {
                // Kept for when PostgreSQL answers again (if still relevant).
                if (throttle && *throttle > absl::Now() && !key->throttle_to_send) {
                  key->throttle_to_send = throttle;
                }
              }
              wake_ = true;
            }};
  }

  std::pair<PgWorker::Task, PgWorker::Completion> Lease(std::shared_ptr<Key> key, int want,
                                                        absl::Time sent_at) {
    struct Answer {
      int granted = 0;
      double next_s = 0;
      double paused_s = 0;
    };
    auto answer = std::make_shared<Answer>();
    return {[name = key->name, want, answer](PgConnection& connection) {
              absl::StatusOr<PgResult> rows = connection.Exec(
                  "lease tokens", kLease, {PgParam::Text(name), PgParam::Int(want)});
              if (!rows.ok()) return rows.status();
              answer->granted = static_cast<int>(rows->Int(0, 0));
              answer->next_s = rows->Double(0, 1);
              answer->paused_s = rows->Double(0, 2);
              return absl::OkStatus();
            },
            [this, key, answer, sent_at](absl::Status status) {
              const absl::Time received = absl::Now();
              absl::MutexLock lock(&mu_);
              key->lease_in_flight = false;
              wake_ = true;
              if (!status.ok()) {
                status_.lease_failures.fetch_add(1, std::memory_order_relaxed);
                key->next_lease_at = received + options_.reconnect_delay;
                // Perhaps the row is gone (a recreated database): create it again.
                if (status.code() != absl::StatusCode::kUnavailable) key->row_ready = false;
                SetDegraded(true);
                return;
              }
              status_.leases.fetch_add(1, std::memory_order_relaxed);
              SetDegraded(false);
              if (answer->paused_s > 0) {
                // Another replica saw a 429: tokens held here would land in
                // the pause.
                key->paused_until =
                    std::max(key->paused_until, received + absl::Seconds(answer->paused_s));
                Discard(*key, Held(*key));
              }
              if (answer->granted > 0) {
                status_.tokens_leased.fetch_add(answer->granted, std::memory_order_relaxed);
                // Expiry counts from the send: the grant happened after it.
                key->reserve.push_back(Chunk{answer->granted, received, sent_at + key->ttl});
              }
              key->next_lease_at = received + absl::Seconds(std::max(0.0, answer->next_s));
            }};
  }

  const SharedRateBudgetOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Key>> keys_ ABSL_GUARDED_BY(mu_);
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool members_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time members_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::unique_ptr<PgWorker> worker_;
  std::thread thread_;
};

SharedRateBudget::SharedRateBudget(std::shared_ptr<SharedRateBudgets::Core> core,
                                   std::shared_ptr<SharedRateBudgetKey> key)
    : core_(std::move(core)), key_(std::move(key)) {}

SharedRateBudget::~SharedRateBudget() = default;

bool SharedRateBudget::TryTake(absl::Time now) { return core_->TryTake(*key_, now); }

absl::Time SharedRateBudget::NextTokenAt(absl::Time now) { return core_->NextTokenAt(*key_, now); }

void SharedRateBudget::ObserveThrottle(absl::Time until) { core_->ObserveThrottle(*key_, until); }

void SharedRateBudget::ObserveRemaining(int remaining, std::optional<absl::Time> reset,
                                        absl::Time now) {
  core_->ObserveRemaining(*key_, remaining, reset, now);
}

bool SharedRateBudget::degraded() const {
  return core_->status_.degraded.load(std::memory_order_relaxed);
}

SharedRateBudgets::SharedRateBudgets(SharedRateBudgetOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {}

SharedRateBudgets::~SharedRateBudgets() = default;

RateBudgetFactory SharedRateBudgets::factory() {
  return [core = core_](const WorkspaceSettings& workspace,
                        const RateGovernorOptions& governor) -> std::unique_ptr<RateBudget> {
    const std::string& key =
        workspace.rate_budget_key.empty() ? workspace.name : workspace.rate_budget_key;
    return std::unique_ptr<RateBudget>(new SharedRateBudget(core, core->Register(key, governor)));
  };
}

std::unique_ptr<SharedRateBudget> SharedRateBudgets::Make(absl::string_view key,
                                                          const RateGovernorOptions& governor) {
  return std::unique_ptr<SharedRateBudget>(
      new SharedRateBudget(core_, core_->Register(key, governor)));
}

bool SharedRateBudgets::degraded() const {
  return core_->status_.degraded.load(std::memory_order_relaxed);
}

const RateBudgetStatus& SharedRateBudgets::status() const { return core_->status_; }

}  // namespace brazesync
