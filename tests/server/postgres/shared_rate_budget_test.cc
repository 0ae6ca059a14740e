// Tests for server/postgres/shared_rate_budget.h against a real PostgreSQL.
// Several SharedRateBudgets in one process, each with its own session and
// lease thread, stand for replicas spending one budget key: their spends
// never exceed the limit in any window-length interval and still reach most
// of it; a 429 seen by one pauses all; with PostgreSQL unreachable a replica
// reports degraded and spends its static share (or nothing, closed), and
// recovers when PostgreSQL is back. Waits poll a condition with a deadline;
// consumers pace themselves on NextTokenAt.
#include "server/postgres/shared_rate_budget.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/workspace.h"
#include "server/postgres/schema.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using testing_support::PostgresTestDatabase;

constexpr int kLimit = 30;
constexpr absl::Duration kWindow = absl::Milliseconds(300);
constexpr absl::Duration kTokenTtl = absl::Milliseconds(30);
constexpr absl::Duration kDeadline = absl::Seconds(20);

RateGovernorOptions Limit() {
  RateGovernorOptions governor;
  governor.requests_per_window = kLimit;
  governor.window = kWindow;
  governor.burst_fraction = 0.1;
  governor.max_token_hold = absl::ZeroDuration();  // the tests spend at once
  return governor;
}

// Spends from `budget` until `until`, pacing on NextTokenAt; the `now` of
// each successful TryTake (the time the budget judged the token valid at).
std::vector<absl::Time> SpendUntil(RateBudget& budget, absl::Time until) {
  std::vector<absl::Time> spends;
  for (absl::Time now = absl::Now(); now < until; now = absl::Now()) {
    if (budget.TryTake(now)) {
      spends.push_back(now);
      continue;
    }
    const absl::Time next = std::min(budget.NextTokenAt(now), now + absl::Milliseconds(2));
    absl::SleepFor(std::max(absl::ZeroDuration(), next - now));  // pacing a load generator
  }
  return spends;
}

// The most spends in any half-open interval [t, t + window).
int MostInAnyWindow(std::vector<absl::Time> spends, absl::Duration window) {
  std::sort(spends.begin(), spends.end());
  int most = 0;
  size_t first = 0;
  for (size_t last = 0; last < spends.size(); ++last) {
    while (spends[last] - spends[first] >= window) ++first;
    most = std::max(most, static_cast<int>(last - first + 1));
  }
  return most;
}

TEST(SharedBudgetParametersTest, KeepSpendsWithinTheLimitOverTheWindowPlusTheTokenLifetime) {
  const absl::Duration window = absl::Seconds(3);
  const absl::Duration ttl = absl::Milliseconds(300);
  const GcraParameters gcra = SharedBudgetParameters(3000, window, ttl, 0.1);
  EXPECT_EQ(gcra.burst, 300);
  // GCRA grants at most floor((D + tau) / T) + 1 in any interval D = W + L.
  const double most =
      std::floor((absl::ToDoubleSeconds(window + ttl) + gcra.tau_s) / gcra.emission_s) + 1;
  EXPECT_LE(most, 3000);
  EXPECT_GE(most, 2999);
  // A limit of 1 still works: no burst, one token per W + L and then some.
  const GcraParameters one = SharedBudgetParameters(1, window, ttl, 0.1);
  EXPECT_EQ(one.burst, 0);
  EXPECT_LE(std::floor((absl::ToDoubleSeconds(window + ttl) + one.tau_s) / one.emission_s) + 1, 1);
}

class SharedRateBudgetTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUpDatabase(PgConnection& check) override {
    ASSERT_TRUE(CreateOrUpgradeSchema(check, 1).ok());
  }

  SharedRateBudgetOptions Options(RateBudgetFallback fallback = RateBudgetFallback::kStaticShare) {
    SharedRateBudgetOptions options;
    options.uri = database_->uri();
    options.fallback = fallback;
    options.token_ttl = kTokenTtl;
    options.feedback_interval = absl::Milliseconds(20);
    options.members_interval = absl::Milliseconds(50);
    options.degrade_after = absl::Milliseconds(500);
    options.reconnect_delay = absl::Milliseconds(50);
    return options;
  }

  // Registers `count` live members (rows on the check session, which stays
  // up), as PostgresOwnership would for running replicas.
  void AddMembers(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(check_
                      ->Exec("member",
                             "INSERT INTO bs_members SELECT $1, pid, backend_start, now(), now() "
                             "FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                             {PgParam::Text(absl::StrCat("member-", i))})
                      .ok());
    }
  }

  // PostgreSQL goes away for the budgets: the test database takes no new
  // session and the current ones (except the check session) are ended. Run
  // from the server's own database: a database cannot refuse its own.
  void MakeUnreachable() { SetConnectionsAllowed(false); }
  void MakeReachable() { SetConnectionsAllowed(true); }

  void SetConnectionsAllowed(bool allowed) {
    absl::StatusOr<std::unique_ptr<PgConnection>> admin =
        PgConnection::Connect(PostgresTestDatabase::ServerUri(), "admin");
    ASSERT_TRUE(admin.ok()) << admin.status();
    const absl::Status altered = (*admin)->Run(
        "allow connections", absl::StrCat("ALTER DATABASE ", database_->name(),
                                          " ALLOW_CONNECTIONS ", allowed ? "true" : "false"));
    ASSERT_TRUE(altered.ok()) << altered;
    if (allowed) return;
    const absl::StatusOr<PgResult> ended = (*admin)->Exec(
        "end sessions",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2",
        {PgParam::Text(database_->name()), PgParam::Int(check_->backend_pid())});
    ASSERT_TRUE(ended.ok()) << ended.status();
  }
};

TEST_F(SharedRateBudgetTest, ReplicasTogetherStayWithinTheLimitInEveryWindowAndUseMostOfIt) {
  constexpr int kReplicas = 6;
  const absl::Duration run = absl::Seconds(2);
  std::vector<std::unique_ptr<SharedRateBudgets>> replicas;
  std::vector<std::unique_ptr<RateBudget>> budgets;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(std::make_unique<SharedRateBudgets>(Options()));
    budgets.push_back(replicas.back()->Make("workspace", Limit()));
  }
  std::vector<std::vector<absl::Time>> spends(kReplicas);
  absl::Notification go;
  absl::Time until;
  std::vector<std::thread> consumers;
  for (int i = 0; i < kReplicas; ++i) {
    consumers.emplace_back([&, i] {
      go.WaitForNotification();
      spends[i] = SpendUntil(*budgets[i], until);
    });
  }
  const absl::Time start = absl::Now();
  until = start + run;
  go.Notify();
  for (std::thread& consumer : consumers) consumer.join();

  std::vector<absl::Time> all;
  int replicas_spending = 0;
  for (const std::vector<absl::Time>& one : spends) {
    all.insert(all.end(), one.begin(), one.end());
    replicas_spending += one.empty() ? 0 : 1;
  }
  const int most = MostInAnyWindow(all, kWindow);
  // The share after the first window: connecting and creating the row are
  // not pacing.
  const absl::Time warm = start + kWindow;
  const double windows = absl::FDivDuration(until - warm, kWindow);
  const double share =
      std::count_if(all.begin(), all.end(), [&](absl::Time spent) { return spent >= warm; }) /
      (windows * kLimit);
  EXPECT_LE(most, kLimit) << "spent " << all.size();
  // The design's sustained rate is (limit - burst - 0.5) / (W + L) = 80 % of
  // the limit here. Leases run on threads that a loaded 2-core machine (ctest
  // -j2 beside builds) can starve for a window or two, so the use of the
  // budget is checked loosely here (the benchmark measures it, under
  // docs/benchmarks.md); the limit above is checked strictly.
  EXPECT_GE(share, 0.3) << "spent " << all.size() << ", most in a window " << most;
  EXPECT_GE(replicas_spending, kReplicas / 2);
  EXPECT_FALSE(replicas[0]->degraded());
  EXPECT_GT(replicas[0]->status().leases.load(), 0);
  std::cout << "spent " << all.size() << " in " << run << " (" << 100 * share
            << " % of the limit after the first window), most in one window " << most << " of "
            << kLimit << "; tokens leased " << replicas[0]->status().tokens_leased.load()
            << ", expired unspent " << replicas[0]->status().tokens_expired.load()
            << " (replica 0)\n";
}

TEST_F(SharedRateBudgetTest, AThrottleSeenByOneReplicaPausesTheOthers) {
  SharedRateBudgets a(Options());
  SharedRateBudgets b(Options());
  std::unique_ptr<RateBudget> on_a = a.Make("workspace", Limit());
  std::unique_ptr<RateBudget> on_b = b.Make("workspace", Limit());
  ASSERT_TRUE(testing_support::Eventually([&] { return on_b->TryTake(absl::Now()); }, kDeadline));

  const absl::Time until = absl::Now() + absl::Milliseconds(1500);
  on_a->ObserveThrottle(until);
  EXPECT_FALSE(on_a->TryTake(absl::Now()));  // at once on the replica that saw it
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        absl::StatusOr<PgResult> paused =
            check_->Exec("paused", "SELECT paused_until > clock_timestamp() FROM bs_rate_budget");
        return paused.ok() && paused->rows() == 1 && paused->Bool(0, 0);
      },
      kDeadline));
  // What b leased before the pause reached the row expires within the
  // token lifetime; after that b spends nothing until the pause ends.
  const absl::Time quiet_from = absl::Now() + kTokenTtl + absl::Milliseconds(100);
  const std::vector<absl::Time> during = SpendUntil(*on_b, until - absl::Milliseconds(100));
  const int late = std::count_if(during.begin(), during.end(),
                                 [&](absl::Time spent) { return spent >= quiet_from; });
  EXPECT_EQ(late, 0);
  EXPECT_GE(on_b->NextTokenAt(absl::Now()), absl::Now());
  // And spends again once it is over.
  ASSERT_TRUE(testing_support::Eventually([&] { return on_b->TryTake(absl::Now()); }, kDeadline));
  EXPECT_GE(absl::Now(), until - absl::Milliseconds(50));
}

TEST_F(SharedRateBudgetTest, LowRemainingCapsWhatEveryReplicaCanLease) {
  // A long window (T about 11 s): the row refills nothing while the test
  // looks, even on a loaded machine, so a grant after the cap could only come
  // from a missed cap.
  RateGovernorOptions slow = Limit();
  slow.window = absl::Seconds(300);
  SharedRateBudgets a(Options());
  SharedRateBudgets b(Options());
  std::unique_ptr<RateBudget> on_a = a.Make("workspace", slow);
  std::unique_ptr<RateBudget> on_b = b.Make("workspace", slow);
  ASSERT_TRUE(testing_support::Eventually([&] { return on_b->TryTake(absl::Now()); }, kDeadline));
  // Braze says nothing is left: the row's tat moves a whole tolerance ahead.
  on_a->ObserveRemaining(0, std::nullopt, absl::Now());
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        absl::StatusOr<PgResult> ahead =
            // The cap puts tat a whole tolerance ahead; b's own leases
            // before it (a token or two, T each) cannot get this close.
            check_->Exec("tat",
                         "SELECT tat >= clock_timestamp() + "
                         "make_interval(secs => tau_s - emission_s * 0.5) FROM bs_rate_budget");
        return ahead.ok() && ahead->rows() == 1 && ahead->Bool(0, 0);
      },
      kDeadline));
  absl::StatusOr<PgResult> granted =
      check_->Exec("lease", "SELECT granted FROM bs_lease('workspace', 100)");
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_EQ(granted->Int(0, 0), 0);
}

TEST_F(SharedRateBudgetTest, UnreachableMeansDegradedAndTheStaticShareThenRecovery) {
  constexpr int kMembers = 3;
  AddMembers(kMembers);
  SharedRateBudgets replica(Options());
  std::unique_ptr<RateBudget> budget = replica.Make("workspace", Limit());
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return replica.status().live_members.load() == kMembers && budget->TryTake(absl::Now());
      },
      kDeadline));
  EXPECT_FALSE(replica.degraded());

  MakeUnreachable();
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        budget->TryTake(absl::Now());  // demand: the lease that fails
        return replica.degraded();
      },
      kDeadline));
  // Static share: floor(30 * 0.9 / 3) = 9 per 300 ms, as a local bucket
  // (burst 1, refill 8 per window).
  const absl::Time start = absl::Now();
  const std::vector<absl::Time> spends = SpendUntil(*budget, start + absl::Milliseconds(1200));
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double expected = 1 + 8 / absl::ToDoubleSeconds(kWindow) * elapsed;
  EXPECT_LE(spends.size(), expected + 2);
  EXPECT_GE(spends.size(), expected / 2);
  EXPECT_LE(MostInAnyWindow(spends, kWindow), 9 + 1);
  EXPECT_TRUE(replica.degraded());
  EXPECT_GT(replica.status().lease_failures.load(), 0);

  MakeReachable();
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        budget->TryTake(absl::Now());
        return !replica.degraded();
      },
      kDeadline));
}

TEST_F(SharedRateBudgetTest, ClosedFallbackSpendsNothingWhileUnreachable) {
  SharedRateBudgets replica(Options(RateBudgetFallback::kClosed));
  std::unique_ptr<RateBudget> budget = replica.Make("workspace", Limit());
  ASSERT_TRUE(testing_support::Eventually([&] { return budget->TryTake(absl::Now()); }, kDeadline));
  MakeUnreachable();
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        budget->TryTake(absl::Now());
        return replica.degraded();
      },
      kDeadline));
  // Whatever was leased has expired by now (token lifetime 30 ms).
  absl::SleepFor(kTokenTtl);  // lets leased tokens expire; not synchronisation
  const std::vector<absl::Time> spends = SpendUntil(*budget, absl::Now() + absl::Milliseconds(500));
  EXPECT_TRUE(spends.empty()) << spends.size();
  MakeReachable();
  ASSERT_TRUE(testing_support::Eventually([&] { return budget->TryTake(absl::Now()); }, kDeadline));
  EXPECT_FALSE(replica.degraded());
}

TEST_F(SharedRateBudgetTest, TheFactoryKeysByRateBudgetKeyOrWorkspaceName) {
  SharedRateBudgets replica(Options());
  RateBudgetFactory factory = replica.factory();
  WorkspaceSettings us;
  us.name = "us";
  WorkspaceSettings eu;
  eu.name = "eu";
  eu.rate_budget_key = "company";
  std::unique_ptr<RateBudget> on_us = factory(us, Limit());
  std::unique_ptr<RateBudget> on_eu = factory(eu, Limit());
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        on_us->TryTake(absl::Now());
        on_eu->TryTake(absl::Now());
        absl::StatusOr<PgResult> keys =
            check_->Exec("keys", "SELECT string_agg(key, ',' ORDER BY key) FROM bs_rate_budget");
        return keys.ok() && keys->Text(0, 0) == "company,us";
      },
      kDeadline));
}

}  // namespace
}  // namespace brazesync
