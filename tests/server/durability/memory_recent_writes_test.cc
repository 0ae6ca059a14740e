// MemoryRecentWrites: indexing by user, Find's window and order, Forget,
// listeners, expiry by retention and by the size cap.
#include "server/durability/memory_recent_writes.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

RecentWrite Write(const std::string& user_key, const std::string& json, absl::Time at) {
  return RecentWrite{user_key, "attributes", json, at};
}

std::vector<std::string> Jsons(const std::vector<RecentWrite>& writes) {
  std::vector<std::string> jsons;
  jsons.reserve(writes.size());
  for (const RecentWrite& write : writes) jsons.push_back(write.braze_json);
  return jsons;
}

TEST(MemoryRecentWritesTest, FindsWritesToAnyKeySinceOldestFirst) {
  MemoryRecentWrites writes;
  const absl::Time t0 = absl::Now();
  writes.Record("ws", {Write("external_id:u1", "b", t0 + absl::Seconds(2)),
                       Write("external_id:u2", "other user", t0 + absl::Seconds(1))});
  writes.Record("ws", {Write("braze_id:x", "a", t0 + absl::Seconds(1)),
                       Write("external_id:u1", "too old", t0 - absl::Seconds(1))});
  EXPECT_THAT(Jsons(writes.Find("ws", {"external_id:u1", "braze_id:x"}, t0)),
              ElementsAre("a", "b"));
  EXPECT_THAT(Jsons(writes.Find("ws", {"external_id:u1", "external_id:u1"}, t0)), ElementsAre("b"));
  EXPECT_THAT(writes.Find("ws", {"external_id:none"}, t0), IsEmpty());
}

TEST(MemoryRecentWritesTest, WorkspacesAreApart) {
  MemoryRecentWrites writes;
  const absl::Time t0 = absl::Now();
  writes.Record("a", {Write("external_id:u1", "in a", t0)});
  EXPECT_THAT(writes.Find("b", {"external_id:u1"}, t0), IsEmpty());
  EXPECT_THAT(Jsons(writes.Find("a", {"external_id:u1"}, t0)), ElementsAre("in a"));
}

TEST(MemoryRecentWritesTest, ForgetDropsOnlyThoseKeys) {
  MemoryRecentWrites writes;
  const absl::Time t0 = absl::Now();
  writes.Record("ws", {Write("external_id:u1", "1", t0), Write("external_id:u2", "2", t0)});
  writes.Forget("ws", {"external_id:u1"});
  EXPECT_THAT(writes.Find("ws", {"external_id:u1"}, t0), IsEmpty());
  EXPECT_THAT(Jsons(writes.Find("ws", {"external_id:u2"}, t0)), ElementsAre("2"));
  EXPECT_EQ(writes.size(), 1u);
  // A write after the Forget is kept.
  writes.Record("ws", {Write("external_id:u1", "again", t0)});
  EXPECT_THAT(Jsons(writes.Find("ws", {"external_id:u1"}, t0)), ElementsAre("again"));
}

TEST(MemoryRecentWritesTest, ListenersSeeEveryWriteOutsideTheLock) {
  MemoryRecentWrites writes;
  std::vector<std::string> seen;
  writes.Subscribe([&](const std::string& workspace, const RecentWrite& write) {
    seen.push_back(workspace + "/" + write.braze_json);
    // Re-entering the store from a listener must not deadlock.
    EXPECT_FALSE(writes.Find(workspace, {write.user_key}, absl::InfinitePast()).empty());
  });
  const absl::Time t0 = absl::Now();
  writes.Record("ws", {Write("external_id:u1", "1", t0), Write("external_id:u2", "2", t0)});
  EXPECT_THAT(seen, ElementsAre("ws/1", "ws/2"));
}

TEST(MemoryRecentWritesTest, SizeCapDropsTheOldestFirst) {
  MemoryRecentWrites writes(absl::Minutes(2), 2);
  const absl::Time t0 = absl::Now();
  writes.Record("ws", {Write("external_id:u1", "1", t0)});
  writes.Record("ws", {Write("external_id:u1", "2", t0)});
  writes.Record("ws", {Write("external_id:u2", "3", t0)});
  EXPECT_EQ(writes.size(), 2u);
  EXPECT_THAT(Jsons(writes.Find("ws", {"external_id:u1", "external_id:u2"}, t0)),
              ElementsAre("2", "3"));
}

TEST(MemoryRecentWritesTest, WritesPastRetentionExpireOnALaterRecord) {
  MemoryRecentWrites writes(absl::ZeroDuration());
  const absl::Time t0 = absl::Now();
  writes.Record("ws", {Write("external_id:u1", "1", t0)});
  writes.Record("ws", {Write("external_id:u2", "2", t0)});
  // Each Record expires everything recorded before it (zero retention).
  EXPECT_THAT(writes.Find("ws", {"external_id:u1"}, absl::InfinitePast()), IsEmpty());
  EXPECT_LE(writes.size(), 1u);
}

TEST(MemoryRecentWritesTest, ConcurrentRecordFindAndForget) {
  MemoryRecentWrites writes(absl::Minutes(2), 1'000);
  std::atomic<int> heard{0};
  writes.Subscribe([&](const std::string&, const RecentWrite&) { heard.fetch_add(1); });
  const absl::Time t0 = absl::Now();
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&writes, t, t0] {
      const std::string key = "external_id:u" + std::to_string(t);
      for (int i = 0; i < 500; ++i) {
        writes.Record("ws", {Write(key, std::to_string(i), t0)});
        writes.Find("ws", {key, "external_id:u0"}, t0);
        if (i % 100 == 99) writes.Forget("ws", {key});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(heard.load(), 2'000);
  EXPECT_LE(writes.size(), 1'000u);
}

}  // namespace
}  // namespace brazesync
