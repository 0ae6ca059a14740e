// Tests for server/postgres/pg_worker.h and schema.h against a real
// PostgreSQL: group commit, one failing task failing alone, a lost session
// failing its tasks UNAVAILABLE and the next task reconnecting; the schema
// created once and a different partition count refused.
#include "server/postgres/pg_worker.h"

#include <atomic>
#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/postgres/schema.h"
#include "tests/server/testing/postgres_test_database.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using testing_support::PostgresTestDatabase;

class PgWorkerTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUpDatabase(PgConnection& check) override {
    ASSERT_TRUE(check.Run("table", "CREATE TABLE t(x int PRIMARY KEY)").ok());
  }

  int64_t Count() {
    absl::StatusOr<PgResult> rows = check_->Exec("count", "SELECT count(*) FROM t");
    return rows.ok() ? rows->Int(0, 0) : -1;
  }

  PgWorkerOptions Options() {
    PgWorkerOptions options;
    options.uri = database_->uri();
    options.label = "store";
    options.reconnect_delay = absl::ZeroDuration();
    return options;
  }
};

PgWorker::Task Insert(int x) {
  return [x](PgConnection& connection) {
    return connection.Exec("insert", "INSERT INTO t VALUES ($1)", {PgParam::Int(x)}).status();
  };
}

TEST_F(PgWorkerTest, QueuedTasksCommitAndOneFailingTaskFailsAlone) {
  std::vector<absl::Status> outcomes(3);
  absl::Notification last;
  {
    PgWorker worker(Options());
    // Held by a first task so that the next three queue into one group.
    absl::Notification release;
    worker.Submit(
        [&](PgConnection&) {
          release.WaitForNotification();
          return absl::OkStatus();
        },
        [](absl::Status) {});
    worker.Submit(Insert(1), [&](absl::Status s) { outcomes[0] = s; });
    worker.Submit(Insert(1), [&](absl::Status s) { outcomes[1] = s; });  // duplicate key
    worker.Submit(Insert(2), [&](absl::Status s) {
      outcomes[2] = s;
      last.Notify();
    });
    release.Notify();
    last.WaitForNotification();
  }
  EXPECT_TRUE(outcomes[0].ok()) << outcomes[0];
  EXPECT_EQ(outcomes[1].code(), absl::StatusCode::kInternal);
  EXPECT_THAT(outcomes[1].message(), HasSubstr("store: insert: "));
  EXPECT_TRUE(outcomes[2].ok()) << outcomes[2];
  EXPECT_EQ(Count(), 2);
}

TEST_F(PgWorkerTest, ALostSessionFailsUnavailableThenTheWorkerReconnects) {
  std::atomic<int> connects{0};
  std::atomic<int> disconnects{0};
  PgWorkerOptions options = Options();
  options.on_connect = [&](PgConnection&) {
    ++connects;
    return absl::OkStatus();
  };
  options.on_disconnect = [&] { ++disconnects; };
  PgWorker worker(std::move(options));
  ASSERT_TRUE(worker.Connect().ok());
  const int pid = worker.backend_pid();
  ASSERT_NE(pid, 0);
  ASSERT_TRUE(check_->Exec("kill", "SELECT pg_terminate_backend($1)", {PgParam::Int(pid)}).ok());
  EXPECT_EQ(worker.RunSync(Insert(5)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(disconnects.load(), 1);
  EXPECT_TRUE(worker.RunSync(Insert(6)).ok());
  EXPECT_EQ(connects.load(), 2);
  EXPECT_NE(worker.backend_pid(), pid);
  EXPECT_EQ(Count(), 1);
}

TEST_F(PgWorkerTest, TheSchemaIsCreatedOnceAndRefusesAnotherPartitionCount) {
  std::unique_ptr<PgConnection> first = database_->Connect();
  ASSERT_TRUE(CreateOrUpgradeSchema(*first, 16).ok());
  ASSERT_TRUE(CreateOrUpgradeSchema(*first, 16).ok());  // idempotent
  absl::StatusOr<PgResult> parts = check_->Exec("parts", "SELECT count(*) FROM bs_partitions");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->Int(0, 0), 16);
  absl::Status other = CreateOrUpgradeSchema(*first, 8);
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.message(), HasSubstr("cluster_partitions"));
}

TEST_F(PgWorkerTest, TheLeaseFunctionGrantsTheBurstThenPaces) {
  ASSERT_TRUE(CreateOrUpgradeSchema(*check_, 1).ok());
  ASSERT_TRUE(check_
                  ->Run("budget",
                        "INSERT INTO bs_rate_budget(key, emission_s, tau_s) "
                        "VALUES ('w', 10, 50)")
                  .ok());
  absl::StatusOr<PgResult> first = check_->Exec("lease", "SELECT granted FROM bs_lease('w', 100)");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->Int(0, 0), 5);  // the burst, tau / T, at once
  absl::StatusOr<PgResult> second = check_->Exec("lease", "SELECT granted FROM bs_lease('w', 100)");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->Int(0, 0), 0);  // then one per 10 s
}

}  // namespace
}  // namespace brazesync
