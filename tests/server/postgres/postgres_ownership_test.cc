// Tests for server/postgres/postgres_ownership.h against a real PostgreSQL:
// several ownerships in one process on one database stand for replicas.
// Together they own every partition exactly once, split roughly evenly; a
// replica whose session is killed, or frozen into idle_session_timeout,
// loses its partitions to the others with a higher epoch; a joining replica
// gets its share after the old owners Release() what they mark releasing;
// a write fenced by owner_pid = pg_backend_pid() from a replaced session
// changes nothing. Waits poll a condition with a deadline.
#include "server/postgres/postgres_ownership.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/postgres/schema.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using testing_support::PostgresTestDatabase;

constexpr int kPartitions = 32;
constexpr absl::Duration kHeartbeat = absl::Milliseconds(200);
constexpr absl::Duration kIdleTimeout = absl::Seconds(1);
// Generous: the machine is shared with builds.
constexpr absl::Duration kDeadline = absl::Seconds(20);

class PostgresOwnershipTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUpDatabase(PgConnection& check) override {
    ASSERT_TRUE(CreateOrUpgradeSchema(check, kPartitions).ok());
  }

  std::unique_ptr<PostgresOwnership> Start(const std::string& replica) {
    PostgresOwnershipOptions options;
    options.uri = database_->uri();
    options.replica = replica;
    options.partitions = kPartitions;
    options.owner_idle_timeout = kIdleTimeout;
    options.heartbeat_interval = kHeartbeat;
    options.reconnect_delay = absl::Milliseconds(50);
    absl::StatusOr<std::unique_ptr<PostgresOwnership>> ownership =
        PostgresOwnership::Create(std::move(options));
    EXPECT_TRUE(ownership.ok()) << ownership.status();
    return ownership.ok() ? *std::move(ownership) : nullptr;
  }

  // Plays the relay: hands over whatever is marked releasing (its items in
  // flight would have their verdicts stored by now).
  static void ReleaseReleasing(const std::vector<PostgresOwnership*>& replicas) {
    for (PostgresOwnership* replica : replicas) {
      for (const OwnedPartition& partition : replica->Owned()) {
        if (partition.releasing) replica->Release(partition.partition);
      }
    }
  }

  // Each of `replicas` sees all of them live, every partition is owned (not
  // releasing) by exactly one of them, and bs_partitions names that
  // replica's session as the owner.
  bool SettledAmong(const std::vector<PostgresOwnership*>& replicas) {
    ReleaseReleasing(replicas);
    for (PostgresOwnership* replica : replicas) {
      if (replica->live_members() != static_cast<int>(replicas.size())) return false;
    }
    std::map<int, int> owners;  // partition -> owner session's pid
    for (PostgresOwnership* replica : replicas) {
      const int pid = replica->session().backend_pid();
      for (const OwnedPartition& partition : replica->Owned()) {
        if (partition.releasing || !owners.emplace(partition.partition, pid).second) return false;
      }
    }
    if (static_cast<int>(owners.size()) != kPartitions) return false;
    absl::StatusOr<PgResult> rows =
        check_->Exec("owners", "SELECT part, owner_pid FROM bs_partitions ORDER BY part");
    if (!rows.ok() || rows->rows() != kPartitions) return false;
    for (int row = 0; row < rows->rows(); ++row) {
      if (owners[static_cast<int>(rows->Int(row, 0))] != rows->Int(row, 1)) return false;
    }
    return true;
  }

  static std::map<int, int64_t> Epochs(PostgresOwnership& replica) {
    std::map<int, int64_t> epochs;
    for (const OwnedPartition& partition : replica.Owned()) {
      epochs[partition.partition] = partition.epoch;
    }
    return epochs;
  }

  int64_t LockCount() {
    absl::StatusOr<PgResult> rows =
        check_->Exec("locks",
                     "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                     "AND classid = $1::bigint::oid AND objsubid = 2 AND database = "
                     "(SELECT oid FROM pg_database WHERE datname = current_database())",
                     {PgParam::Int(kOwnershipLockNamespace)});
    return rows.ok() ? rows->Int(0, 0) : -1;
  }
};

TEST(RendezvousWeightTest, IsStableAndDependsOnBothInputs) {
  EXPECT_EQ(RendezvousWeight("a", 1), RendezvousWeight("a", 1));
  EXPECT_NE(RendezvousWeight("a", 1), RendezvousWeight("a", 2));
  EXPECT_NE(RendezvousWeight("a", 1), RendezvousWeight("b", 1));
}

TEST(PostgresOwnershipOptionsTest, RefusesAHeartbeatNotWellBelowTheIdleTimeout) {
  PostgresOwnershipOptions options;
  options.uri = "postgresql:///nowhere";
  options.owner_idle_timeout = absl::Seconds(2);
  options.heartbeat_interval = absl::Seconds(2);
  EXPECT_EQ(PostgresOwnership::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PostgresOwnershipTest, AloneItOwnsEveryPartitionAndRegistersItself) {
  std::unique_ptr<PostgresOwnership> a = Start("a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(testing_support::Eventually([&] { return SettledAmong({a.get()}); }, kDeadline));
  EXPECT_EQ(LockCount(), kPartitions);
  for (const OwnedPartition& partition : a->Owned()) EXPECT_GE(partition.epoch, 1);
  absl::StatusOr<PgResult> member =
      check_->Exec("member", "SELECT backend_pid FROM bs_members WHERE replica = 'a'");
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_EQ(member->rows(), 1);
  EXPECT_EQ(member->Int(0, 0), a->session().backend_pid());
  EXPECT_EQ(a->live_members(), 1);
}

TEST_F(PostgresOwnershipTest, TwoAndThenThreeSplitEveryPartitionExactlyOnceRoughlyEvenly) {
  std::unique_ptr<PostgresOwnership> a = Start("replica-a");
  std::unique_ptr<PostgresOwnership> b = Start("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return SettledAmong({a.get(), b.get()});
      },
      kDeadline));
  EXPECT_EQ(LockCount(), kPartitions);
  // Rendezvous over 32 partitions: an even split is 16; allow the hash's
  // spread but not a lopsided assignment.
  EXPECT_GE(a->Owned().size(), kPartitions / 4);
  EXPECT_GE(b->Owned().size(), kPartitions / 4);

  // A third joins: the old owners mark its share releasing (checked through
  // the epochs: what it takes over was owned before, so its epoch is higher)
  // and hand it over once released.
  std::map<int, int64_t> before = Epochs(*a);
  for (const auto& [part, epoch] : Epochs(*b)) before[part] = epoch;
  std::unique_ptr<PostgresOwnership> c = Start("replica-c");
  ASSERT_NE(c, nullptr);
  bool saw_releasing = false;
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        for (PostgresOwnership* old : {a.get(), b.get()}) {
          for (const OwnedPartition& partition : old->Owned()) saw_releasing |= partition.releasing;
        }
        return SettledAmong({a.get(), b.get(), c.get()});
      },
      kDeadline));
  EXPECT_TRUE(saw_releasing);
  EXPECT_EQ(LockCount(), kPartitions);
  EXPECT_GE(c->Owned().size(), kPartitions / 8);
  for (const auto& [part, epoch] : Epochs(*c)) EXPECT_GT(epoch, before[part]) << part;
  EXPECT_EQ(c->live_members(), 3);
}

TEST_F(PostgresOwnershipTest, AKilledSessionsPartitionsMoveWithAHigherEpoch) {
  std::unique_ptr<PostgresOwnership> a = Start("replica-a");
  std::unique_ptr<PostgresOwnership> b = Start("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return SettledAmong({a.get(), b.get()});
      },
      kDeadline));
  const std::map<int, int64_t> a_epochs = Epochs(*a);
  ASSERT_FALSE(a_epochs.empty());
  const int a_pid = a->session().backend_pid();

  // As if a were SIGKILLed: its session ends, and a itself does nothing more.
  a->PauseHeartbeatsForTesting(true);
  ASSERT_TRUE(check_->Exec("kill", "SELECT pg_terminate_backend($1)", {PgParam::Int(a_pid)}).ok());
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return static_cast<int>(b->Owned().size()) == kPartitions; },
      10 * kHeartbeat + absl::Seconds(10)));
  const std::map<int, int64_t> b_epochs = Epochs(*b);
  for (const auto& [part, epoch] : a_epochs) EXPECT_GT(b_epochs.at(part), epoch) << part;
  EXPECT_EQ(LockCount(), kPartitions);

  // a's row is gone with its session.
  absl::StatusOr<PgResult> members =
      check_->Exec("members", "SELECT count(*) FROM bs_members WHERE replica = 'replica-a'");
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->Int(0, 0), 0);

  // a's next statement runs on a new session, which owns nothing: a write
  // fenced on ownership changes no row, while b's passes.
  const int part = a_epochs.begin()->first;
  auto fenced_write = [part](int64_t* changed) {
    return [part, changed](PgConnection& connection) {
      absl::StatusOr<PgResult> updated =
          connection.Exec("fenced write",
                          "UPDATE bs_partitions SET acquired_at = acquired_at "
                          "WHERE part = $1 AND owner_pid = pg_backend_pid()",
                          {PgParam::Int(part)});
      if (!updated.ok()) return updated.status();
      *changed = updated->affected();
      return absl::OkStatus();
    };
  };
  int64_t changed_by_a = -1;
  int64_t changed_by_b = -1;
  // The first statement on a's dead session fails (that is how a learns it);
  // the next runs on a fresh one.
  a->session().RunSync(fenced_write(&changed_by_a)).IgnoreError();
  EXPECT_TRUE(a->Owned().empty());
  ASSERT_TRUE(a->session().RunSync(fenced_write(&changed_by_a)).ok());
  EXPECT_NE(a->session().backend_pid(), a_pid);
  EXPECT_EQ(changed_by_a, 0);
  ASSERT_TRUE(b->session().RunSync(fenced_write(&changed_by_b)).ok());
  EXPECT_EQ(changed_by_b, 1);
}

TEST_F(PostgresOwnershipTest, AFrozenReplicasSessionEndsAfterTheIdleTimeoutAndItsPartitionsMove) {
  std::unique_ptr<PostgresOwnership> a = Start("replica-a");
  std::unique_ptr<PostgresOwnership> b = Start("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return SettledAmong({a.get(), b.get()});
      },
      kDeadline));
  const int a_pid = a->session().backend_pid();
  const std::map<int, int64_t> a_epochs = Epochs(*a);
  ASSERT_FALSE(a_epochs.empty());

  // Frozen: no heartbeat, no statement. Nobody kills the session but
  // PostgreSQL, once it has idled for kIdleTimeout.
  a->PauseHeartbeatsForTesting(true);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        absl::StatusOr<PgResult> alive = check_->Exec(
            "alive", "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {PgParam::Int(a_pid)});
        return alive.ok() && alive->Int(0, 0) == 0;
      },
      kDeadline));
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return static_cast<int>(b->Owned().size()) == kPartitions; }, kDeadline));
  const std::map<int, int64_t> b_epochs = Epochs(*b);
  for (const auto& [part, epoch] : a_epochs) EXPECT_GT(b_epochs.at(part), epoch) << part;

  // Thawed: a learns the loss at its next statement, rejoins, and the
  // partitions are split again.
  a->PauseHeartbeatsForTesting(false);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return SettledAmong({a.get(), b.get()});
      },
      kDeadline));
  EXPECT_NE(a->session().backend_pid(), a_pid);
  EXPECT_FALSE(a->Owned().empty());
}

TEST_F(PostgresOwnershipTest, ShutdownHandsEverythingOverAtOnce) {
  std::unique_ptr<PostgresOwnership> a = Start("replica-a");
  std::unique_ptr<PostgresOwnership> b = Start("replica-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        return SettledAmong({a.get(), b.get()});
      },
      kDeadline));
  a.reset();
  absl::StatusOr<PgResult> rows =
      check_->Exec("after shutdown",
                   "SELECT (SELECT count(*) FROM bs_members WHERE replica = 'replica-a'), "
                   "(SELECT count(*) FROM bs_partitions WHERE owner = 'replica-a')");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->Int(0, 0), 0);
  EXPECT_EQ(rows->Int(0, 1), 0);
  ASSERT_TRUE(testing_support::Eventually([&] { return SettledAmong({b.get()}); }, kDeadline));
}

}  // namespace
}  // namespace brazesync
