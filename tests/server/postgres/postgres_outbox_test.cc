// Tests for server/postgres/postgres_outbox.h that only a shared PostgreSQL
// store has (the store-independent cases run for it in
// tests/server/durability/outbox_test.cc): two replicas accepting the same
// ids at once, the send gate and in-doubt settling fenced by partition
// ownership, a replica taking over a terminated owner's partition, PostgreSQL
// unreachable, text PostgreSQL refuses (failing only its own call), items
// spread over partitions, per-user order.
//
// Each test has a database of its own in the `postgres` fixture's server;
// asynchronous calls are awaited with notifications, nothing sleeps.
#include "server/postgres/postgres_outbox.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/durability/partition_ownership.h"
#include "server/postgres/pg_worker.h"
#include "server/postgres/postgres_dead_letter_store.h"
#include "server/postgres/schema.h"
#include "tests/server/durability/outbox_test_support.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using outbox_testing::AcceptNow;
using outbox_testing::EventItem;
using outbox_testing::IsOkAndHolds;
using outbox_testing::kOtherWorkspace;
using outbox_testing::kWorkspace;
using outbox_testing::MarkInDoubtNow;
using outbox_testing::PartitionOwnerOptions;
using outbox_testing::ReportNow;
using outbox_testing::Retry;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using testing_support::PostgresTestDatabase;
using testing_support::StatusIs;

class PostgresOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { BRAZESYNC_REQUIRE_POSTGRES(); }

  // A database with the schema and `partitions` partitions.
  void CreateDatabase(int partitions) {
    absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> database = PostgresTestDatabase::Create();
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    check_ = database_->Connect();
    ASSERT_NE(check_, nullptr);
    ASSERT_TRUE(CreateOrUpgradeSchema(*check_, partitions).ok());
    partitions_ = partitions;
  }

  // A session owning `partitions` (connected, so it owns them now).
  std::unique_ptr<PgWorker> Owner(std::vector<int> partitions) {
    auto owner = std::make_unique<PgWorker>(PartitionOwnerOptions(database_->uri(), partitions));
    EXPECT_TRUE(owner->Connect().ok());
    return owner;
  }

  // A session that owns nothing.
  std::unique_ptr<PgWorker> Bystander() {
    PgWorkerOptions options;
    options.uri = database_->uri();
    auto session = std::make_unique<PgWorker>(std::move(options));
    EXPECT_TRUE(session->Connect().ok());
    return session;
  }

  // A replica's outbox, its writer and reader at `uri` (default: the test's database).
  std::unique_ptr<PostgresOutbox> Replica(PgWorker* owner_session, std::string uri = "") {
    if (uri.empty()) uri = database_->uri();
    PgWorkerOptions writer;
    writer.uri = uri;
    PgWorkerOptions reader;
    reader.uri = uri;
    return std::make_unique<PostgresOutbox>(std::make_unique<PgWorker>(std::move(writer)),
                                            std::make_unique<PgWorker>(std::move(reader)),
                                            owner_session, OutboxOptions(), partitions_);
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<PgResult> rows = check_->Exec("count", sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->Int(0, 0) : -1;
  }

  // The outbox id of `item_id` (0 and a failure when it is not queued).
  int64_t OutboxIdOf(const std::string& item_id) {
    absl::StatusOr<PgResult> rows = check_->Exec(
        "find", "SELECT id FROM bs_outbox WHERE item_id = $1", {PgParam::Text(item_id)});
    EXPECT_TRUE(rows.ok() && rows->rows() == 1) << item_id;
    return rows.ok() && rows->rows() == 1 ? rows->Int(0, 0) : 0;
  }

  std::unique_ptr<PostgresTestDatabase> database_;
  std::unique_ptr<PgConnection> check_;
  int partitions_ = 1;
};

NewOutboxItem ItemOf(const std::string& user, const std::string& item_id,
                     const std::string& workspace = kWorkspace) {
  NewOutboxItem item = EventItem(item_id, "signed_up", workspace);
  item.user_key = user;
  return item;
}

TEST_F(PostgresOutboxTest, TwoReplicasAcceptingTheSameIdsAtOnceStoreEachOnce) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> owner = Owner({0});
  std::unique_ptr<PostgresOutbox> first = Replica(owner.get());
  std::unique_ptr<PostgresOutbox> second = Replica(owner.get());

  constexpr int kIds = 200;
  constexpr int kPerCall = 5;
  constexpr int kThreadsPerReplica = 2;
  // stored[i]: how many replicas stored id i; duplicates: how many said DUPLICATE.
  std::vector<std::atomic<int>> stored(kIds);
  std::atomic<int> duplicates{0};
  std::atomic<int> failed{0};
  absl::BlockingCounter remaining(2 * kThreadsPerReplica * (kIds / kPerCall / kThreadsPerReplica));
  std::vector<std::thread> threads;
  for (int replica = 0; replica < 2; ++replica) {
    for (int t = 0; t < kThreadsPerReplica; ++t) {
      threads.emplace_back([&, replica, t] {
        PostgresOutbox& outbox = replica == 0 ? *first : *second;
        for (int call = t; call < kIds / kPerCall; call += kThreadsPerReplica) {
          // The second replica claims each call's ids in the opposite order.
          std::vector<int> ids;
          std::vector<NewOutboxItem> items;
          for (int k = 0; k < kPerCall; ++k) {
            const int id = replica == 0 ? call * kPerCall + k : kIds - 1 - (call * kPerCall + k);
            ids.push_back(id);
            items.push_back(ItemOf(absl::StrCat("user", id % 7), absl::StrCat("e", id)));
          }
          outbox.Accept(std::move(items), [&, ids](absl::StatusOr<std::vector<bool>> result) {
            if (!result.ok()) {
              failed.fetch_add(1);
            } else {
              for (size_t k = 0; k < ids.size(); ++k) {
                if ((*result)[k]) {
                  stored[ids[k]].fetch_add(1);
                } else {
                  duplicates.fetch_add(1);
                }
              }
            }
            remaining.DecrementCount();
          });
        }
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  remaining.Wait();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(duplicates.load(), kIds);
  for (int i = 0; i < kIds; ++i) EXPECT_EQ(stored[i].load(), 1) << "e" << i;
  EXPECT_EQ(Count("SELECT count(*) FROM bs_outbox"), kIds);
  EXPECT_EQ(Count("SELECT count(*) FROM bs_item_ids WHERE state = 1"), kIds);
}

TEST_F(PostgresOutboxTest, MarkInDoubtFailsAndMarksNothingUnlessTheSessionOwnsEveryPartition) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(2));
  std::unique_ptr<PgWorker> owner = Owner({0});
  std::unique_ptr<PgWorker> bystander = Bystander();
  std::unique_ptr<PostgresOutbox> replica = Replica(owner.get());
  std::unique_ptr<PostgresOutbox> displaced = Replica(bystander.get());
  // One user in each partition.
  std::string in_owned, in_other;
  for (int u = 0; in_owned.empty() || in_other.empty(); ++u) {
    const std::string user = absl::StrCat("user", u);
    (PartitionOf(kWorkspace, user, 2) == 0 ? in_owned : in_other) = user;
  }
  ASSERT_THAT(AcceptNow(*replica, {ItemOf(in_owned, "owned"), ItemOf(in_other, "other")}),
              IsOkAndHolds(ElementsAre(true, true)));
  const int64_t owned = OutboxIdOf("owned");
  const int64_t other = OutboxIdOf("other");

  // A session that owns nothing (as a replica whose partition moved on).
  EXPECT_THAT(MarkInDoubtNow(*displaced, {owned}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no longer owns")));
  // Partly owned: all or nothing.
  EXPECT_THAT(MarkInDoubtNow(*replica, {owned, other}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(absl::StrCat(other))));
  EXPECT_EQ(Count("SELECT count(*) FROM bs_in_doubt"), 0);

  EXPECT_TRUE(MarkInDoubtNow(*replica, {owned, owned}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM bs_in_doubt"), 1);
  EXPECT_THAT(displaced->SettleInDoubt(0, true).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("partition 0")));
}

TEST_F(PostgresOutboxTest, TheNextOwnerDeadLettersWhatATerminatedOwnerLeftInDoubt) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> first_owner = Owner({0});
  std::unique_ptr<PostgresOutbox> first = Replica(first_owner.get());
  ASSERT_THAT(AcceptNow(*first, {ItemOf("u1", "sent"), ItemOf("u2", "waiting")}),
              IsOkAndHolds(ElementsAre(true, true)));
  ASSERT_TRUE(MarkInDoubtNow(*first, {OutboxIdOf("sent")}).ok());

  // PostgreSQL ends the first owner's session (as when its replica hangs or
  // its connection drops): its advisory lock goes with it.
  const int first_pid = first_owner->backend_pid();
  ASSERT_NE(first_pid, 0);
  ASSERT_TRUE(
      check_->Exec("terminate", "SELECT pg_terminate_backend($1)", {PgParam::Int(first_pid)}).ok());
  std::unique_ptr<PgWorker> second_owner = Owner({0});  // the next epoch
  std::unique_ptr<PostgresOutbox> second = Replica(second_owner.get());
  PostgresDeadLetterStore store(&second->writer());

  EXPECT_THAT(second->SettleInDoubt(0, /*dead_letter=*/true), IsOkAndHolds(1));
  EXPECT_THAT(second->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::item_id, "waiting"))));
  absl::StatusOr<DeadLetterPage> letters = store.ListDeadLetters("", 10, 0);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_THAT(letters->letters, SizeIs(1));
  EXPECT_EQ(letters->letters[0].item_id, "sent");
  EXPECT_EQ(letters->letters[0].reason, kInDoubtReason);
  EXPECT_THAT(letters->letters[0].attempts,
              ElementsAre(Field(&AttemptRecord::outcome, kInDoubtOutcome)));
  absl::StatusOr<ItemStatus> status = store.GetItemStatus(kWorkspace, "sent");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->state, ItemIdState::kDeadLettered);
  EXPECT_EQ(status->dead_letter_id, letters->letters[0].id);
  EXPECT_EQ(Count("SELECT count(*) FROM bs_in_doubt"), 0);

  // The new owner's own sends in flight (this epoch) are not settled.
  ASSERT_TRUE(MarkInDoubtNow(*second, {OutboxIdOf("waiting")}).ok());
  EXPECT_THAT(second->SettleInDoubt(0, true), IsOkAndHolds(0));
  EXPECT_EQ(Count("SELECT count(*) FROM bs_in_doubt"), 1);
}

TEST_F(PostgresOutboxTest, CallsAreUnavailableWhilePostgresIsUnreachable) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> owner = Owner({0});
  // No server listens in a directory that does not exist. The password in
  // the URI must not reach any message.
  std::unique_ptr<PostgresOutbox> replica = Replica(
      owner.get(), "postgresql://brazesync:hunter2secret@/brazesync?host=/nonexistent/bs-socket");

  absl::StatusOr<std::vector<bool>> accepted = AcceptNow(*replica, {ItemOf("u1", "e1")});
  EXPECT_THAT(accepted.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("store")));
  EXPECT_THAT(std::string(accepted.status().message()), Not(HasSubstr("hunter2secret")));
  EXPECT_THAT(replica->FetchDue(0, absl::Now(), 0, 10).status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_THAT(ReportNow(*replica, {Retry(1, absl::Now())}),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  // A later call fails the same way: nothing was kept to be stored later.
  EXPECT_THAT(AcceptNow(*replica, {ItemOf("u1", "e2")}).status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(Count("SELECT count(*) FROM bs_outbox"), 0);
}

TEST_F(PostgresOutboxTest, TextWithANulByteIsRefusedNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> owner = Owner({0});
  std::unique_ptr<PostgresOutbox> replica = Replica(owner.get());
  EXPECT_THAT(
      AcceptNow(*replica, {ItemOf("u1", "e1"), ItemOf(std::string("u\0x", 3), "e2")}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user_key of item 1")));
  EXPECT_EQ(Count("SELECT count(*) FROM bs_outbox"), 0);
}

TEST_F(PostgresOutboxTest, ACallPostgresRefusesFailsAloneWhenBatchedWithOthers) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> owner = Owner({0});
  std::unique_ptr<PostgresOutbox> replica = Replica(owner.get());
  // Holds the writer busy, so that both calls wait for one batch.
  absl::Notification started;
  absl::Notification release;
  replica->writer().Submit(
      [&](PgConnection&) {
        started.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      },
      [](absl::Status) {}, /*urgent=*/true);
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(testing_support::kWait));
  absl::Notification bad_done;
  absl::Notification good_done;
  absl::StatusOr<std::vector<bool>> bad = absl::UnknownError("not run");
  absl::StatusOr<std::vector<bool>> good = absl::UnknownError("not run");
  // Not UTF-8: the database (UTF8) refuses it.
  replica->Accept({ItemOf("\xff\xfe", "bad")}, [&](absl::StatusOr<std::vector<bool>> result) {
    bad = std::move(result);
    bad_done.Notify();
  });
  replica->Accept({ItemOf("u1", "good")}, [&](absl::StatusOr<std::vector<bool>> result) {
    good = std::move(result);
    good_done.Notify();
  });
  release.Notify();
  ASSERT_TRUE(bad_done.WaitForNotificationWithTimeout(testing_support::kWait));
  ASSERT_TRUE(good_done.WaitForNotificationWithTimeout(testing_support::kWait));

  EXPECT_THAT(bad.status(), StatusIs(absl::StatusCode::kInternal, HasSubstr("accept items")));
  EXPECT_THAT(good, IsOkAndHolds(ElementsAre(true)));
  EXPECT_EQ(Count("SELECT count(*) FROM bs_outbox"), 1);
}

TEST_F(PostgresOutboxTest, ItemsGoToThePartitionOfTheirUser) {
  constexpr int kPartitions = 4;
  constexpr int kUsers = 24;
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(kPartitions));
  std::unique_ptr<PgWorker> owner = Owner({0, 1, 2, 3});
  std::unique_ptr<PostgresOutbox> replica = Replica(owner.get());
  std::vector<NewOutboxItem> items;
  for (int u = 0; u < kUsers; ++u) {
    items.push_back(ItemOf(absl::StrCat("external_id:user", u), absl::StrCat("e", u)));
  }
  ASSERT_TRUE(AcceptNow(*replica, std::move(items)).ok());

  int total = 0;
  std::set<int> used;
  for (int part = 0; part < kPartitions; ++part) {
    absl::StatusOr<std::vector<OutboxItem>> due =
        replica->FetchDue(part, absl::InfiniteFuture(), 0, 100);
    ASSERT_TRUE(due.ok()) << due.status();
    for (const OutboxItem& item : *due) {
      EXPECT_EQ(item.partition, part);
      EXPECT_EQ(PartitionOf(item.workspace, item.user_key, kPartitions), part) << item.user_key;
      used.insert(part);
      ++total;
    }
  }
  EXPECT_EQ(total, kUsers);
  EXPECT_GT(used.size(), 1u);
  EXPECT_THAT(replica->FetchDue(kPartitions, absl::Now(), 0, 10).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partition")));
}

TEST_F(PostgresOutboxTest, ARetriedItemHoldsBackOnlyTheLaterItemsOfItsUser) {
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(1));
  std::unique_ptr<PgWorker> owner = Owner({0});
  std::unique_ptr<PostgresOutbox> replica = Replica(owner.get());
  ASSERT_TRUE(AcceptNow(*replica, {ItemOf("u", "a1"), ItemOf("u", "a2"), ItemOf("v", "b1"),
                                   ItemOf("u", "c1", kOtherWorkspace)})
                  .ok());
  const int64_t a1 = OutboxIdOf("a1");
  ASSERT_TRUE(ReportNow(*replica, {Retry(a1, absl::Now() + absl::Hours(1))}).ok());

  // a2 waits behind a1; another user, and the same user key in another
  // workspace, go on.
  EXPECT_THAT(replica->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::item_id, "b1"),
                                       Field(&OutboxItem::item_id, "c1"))));
  // Rescheduled to a time already past (the database's clock): all due, in order.
  ASSERT_TRUE(ReportNow(*replica, {Retry(a1, absl::Now() - absl::Seconds(1))}).ok());
  EXPECT_THAT(replica->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(
                  Field(&OutboxItem::item_id, "a1"), Field(&OutboxItem::item_id, "a2"),
                  Field(&OutboxItem::item_id, "b1"), Field(&OutboxItem::item_id, "c1"))));
}

}  // namespace
}  // namespace brazesync
