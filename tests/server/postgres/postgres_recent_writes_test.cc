// PostgresRecentWrites against the `postgres` fixture's server: two
// instances on one database stand for two replicas. A write is local at
// once and reaches the other replica (its listeners too), alias keys (with
// their NUL) survive the trip, Forget is shared, batches larger than one
// statement arrive whole, rows are purged past retention, and without
// PostgreSQL the store keeps working locally and says so.
#include "server/postgres/postgres_recent_writes.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/postgres/schema.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kDeadline = absl::Seconds(20);

const std::string kAliasKey = "user_alias:crm" + std::string(1, '\0') + "Bob\\x";

RecentWrite Write(const std::string& user_key, const std::string& json) {
  return RecentWrite{user_key, "attributes", json, absl::Now()};
}

std::vector<std::string> Jsons(const std::vector<RecentWrite>& writes) {
  std::vector<std::string> jsons;
  jsons.reserve(writes.size());
  for (const RecentWrite& write : writes) jsons.push_back(write.braze_json);
  return jsons;
}

class PostgresRecentWritesTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUpDatabase(PgConnection& check) override {
    ASSERT_TRUE(CreateOrUpgradeSchema(check, 1).ok());
  }

  PostgresRecentWritesOptions Options(const std::string& replica) {
    PostgresRecentWritesOptions options;
    options.uri = database_->uri();
    options.replica = replica;
    options.poll_interval = absl::Milliseconds(10);
    return options;
  }

  int64_t TableRows() {
    absl::StatusOr<PgResult> rows = check_->Exec("count", "SELECT count(*) FROM bs_recent_writes");
    return rows.ok() ? rows->Int(0, 0) : -1;
  }
};

TEST_F(PostgresRecentWritesTest, WritesReachTheOtherReplicaAndItsListeners) {
  PostgresRecentWrites a(Options("a"));
  PostgresRecentWrites b(Options("b"));
  absl::Mutex mu;
  std::vector<std::string> heard;
  b.Subscribe([&](const std::string& workspace, const RecentWrite& write) {
    absl::MutexLock lock(&mu);
    heard.push_back(workspace + "/" + write.braze_json);
  });

  a.Record("ws", {Write(kAliasKey, R"({"first_name":"Bob"})")});
  EXPECT_THAT(Jsons(a.Find("ws", {kAliasKey}, absl::InfinitePast())),
              ElementsAre(R"({"first_name":"Bob"})"));
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return !b.Find("ws", {kAliasKey}, absl::InfinitePast()).empty(); }, kDeadline));
  const std::vector<RecentWrite> seen = b.Find("ws", {kAliasKey}, absl::InfinitePast());
  ASSERT_THAT(seen, SizeIs(1));
  EXPECT_EQ(seen[0].array, "attributes");
  EXPECT_EQ(seen[0].braze_json, R"({"first_name":"Bob"})");
  EXPECT_LE(absl::AbsDuration(seen[0].written_at -
                              a.Find("ws", {kAliasKey}, absl::InfinitePast())[0].written_at),
            absl::Microseconds(1));
  EXPECT_TRUE(b.Find("other", {kAliasKey}, absl::InfinitePast()).empty());
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(heard, ElementsAre(R"(ws/{"first_name":"Bob"})"));
  }

  // b's own write is not read back into b: once b has a later write of a,
  // it has polled past its own row.
  b.Record("ws", {Write("external_id:u2", "from b")});
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return !a.Find("ws", {"external_id:u2"}, absl::InfinitePast()).empty(); }, kDeadline));
  a.Record("ws", {Write("external_id:u3", "later")});
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return !b.Find("ws", {"external_id:u3"}, absl::InfinitePast()).empty(); }, kDeadline));
  EXPECT_THAT(Jsons(b.Find("ws", {"external_id:u2"}, absl::InfinitePast())), ElementsAre("from b"));
  EXPECT_EQ(b.stats().rows_received.load(), 2);
}

TEST_F(PostgresRecentWritesTest, ForgetReachesTheOtherReplica) {
  PostgresRecentWrites a(Options("a"));
  PostgresRecentWrites b(Options("b"));
  a.Record("ws", {Write("external_id:u1", "1")});
  ASSERT_TRUE(testing_support::Eventually(
      [&] { return !b.Find("ws", {"external_id:u1"}, absl::InfinitePast()).empty(); }, kDeadline));
  a.Forget("ws", {"external_id:u1"});
  EXPECT_THAT(a.Find("ws", {"external_id:u1"}, absl::InfinitePast()), IsEmpty());
  EXPECT_TRUE(testing_support::Eventually(
      [&] { return b.Find("ws", {"external_id:u1"}, absl::InfinitePast()).empty(); }, kDeadline));
}

TEST_F(PostgresRecentWritesTest, ManyBatchesArriveWhole) {
  PostgresRecentWritesOptions options_a = Options("a");
  options_a.max_batch = 100;
  PostgresRecentWritesOptions options_b = Options("b");
  options_b.max_batch = 70;
  PostgresRecentWrites a(std::move(options_a));
  PostgresRecentWrites b(std::move(options_b));
  std::vector<RecentWrite> writes;
  writes.reserve(1'000);
  for (int i = 0; i < 1'000; ++i) writes.push_back(Write("external_id:u" + std::to_string(i), "w"));
  a.Record("ws", std::move(writes));
  ASSERT_TRUE(testing_support::Eventually([&] { return b.stats().rows_received.load() >= 1'000; },
                                          kDeadline));
  EXPECT_EQ(b.stats().rows_received.load(), 1'000);
  EXPECT_EQ(a.stats().rows_inserted.load(), 1'000);
  EXPECT_THAT(b.Find("ws", {"external_id:u999", "external_id:u0"}, absl::InfinitePast()),
              SizeIs(2));
}

TEST_F(PostgresRecentWritesTest, RowsArePurgedPastRetention) {
  PostgresRecentWritesOptions options = Options("a");
  options.retention = absl::Milliseconds(200);
  options.purge_interval = absl::Milliseconds(20);
  PostgresRecentWrites a(std::move(options));
  a.Record("ws", {Write("external_id:u1", "1")});
  ASSERT_TRUE(
      testing_support::Eventually([&] { return a.stats().rows_inserted.load() == 1; }, kDeadline));
  EXPECT_TRUE(testing_support::Eventually([&] { return TableRows() == 0; }, kDeadline));
}

TEST_F(PostgresRecentWritesTest, WithoutPostgresItWorksLocallyAndSaysSo) {
  absl::Mutex mu;
  std::vector<absl::Status> reported;
  PostgresRecentWritesOptions options = Options("a");
  options.uri = "postgresql://127.0.0.1:1/nowhere?connect_timeout=2";
  options.reconnect_delay = absl::Milliseconds(20);
  options.on_status = [&](const absl::Status& status) {
    absl::MutexLock lock(&mu);
    reported.push_back(status);
  };
  PostgresRecentWrites alone(std::move(options));
  alone.Record("ws", {Write("external_id:u1", "1")});
  EXPECT_THAT(Jsons(alone.Find("ws", {"external_id:u1"}, absl::InfinitePast())), ElementsAre("1"));
  ASSERT_TRUE(testing_support::Eventually(
      [&] {
        absl::MutexLock lock(&mu);
        return !reported.empty();
      },
      kDeadline));
  EXPECT_TRUE(alone.stats().degraded.load());
  absl::MutexLock lock(&mu);
  EXPECT_EQ(reported[0].code(), absl::StatusCode::kUnavailable);
  // Reported once while it stays down, not once per attempt.
  EXPECT_THAT(reported, SizeIs(1));
}

TEST(RecentWriteKeyTest, EncodingRoundTripsAndHasNoNul) {
  for (const std::string& key : {std::string("external_id:u1"), kAliasKey, std::string("x\\0y"),
                                 std::string("\\"), std::string(1, '\0')}) {
    const std::string text = EncodeRecentWriteKey(key);
    EXPECT_EQ(text.find('\0'), std::string::npos);
    EXPECT_EQ(DecodeRecentWriteKey(text), key);
  }
}

}  // namespace
}  // namespace brazesync
