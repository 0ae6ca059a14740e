// LookupCache: hits and misses (field set, age), negative entries and their
// TTL (case 83), renamed external ids (case 87), case-sensitive aliases
// (case 92), email answers with several users (case 91), own writes overlaid
// on Store and patched in by ApplyOwnWrite, a NOT_FOUND within the window of
// a write (case 88), LRU eviction, retention and Forget.
//
// Own writes are attribute objects setting first_name; the tests rely only
// on ApplyTrackObject setting a top-level standard string field.
#include "server/lookup/lookup_cache.h"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/durability/memory_recent_writes.h"

namespace brazesync {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::vector<std::string> kFields = {"external_id", "first_name"};

std::string ExternalKey(const std::string& id) { return "external_id:" + id; }
std::string AliasKey(const std::string& label, const std::string& name) {
  return "user_alias:" + label + std::string(1, '\0') + name;
}

v1::ExportedUser User(const std::string& external_id, const std::string& braze_id,
                      const std::string& first_name = "Old") {
  v1::ExportedUser user;
  if (!external_id.empty()) user.set_external_id(external_id);
  user.set_braze_id(braze_id);
  user.set_first_name(first_name);
  return user;
}

RecentWrite NameWrite(const std::string& user_key, const std::string& first_name, absl::Time at) {
  return RecentWrite{user_key, "attributes", R"({"first_name":")" + first_name + R"("})", at};
}

class LookupCacheTest : public ::testing::Test {
 protected:
  LookupCacheOptions Options() {
    LookupCacheOptions options;
    options.workspace = "ws";
    return options;
  }

  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
  MemoryRecentWrites writes_{absl::Hours(1)};
};

TEST_F(LookupCacheTest, HitByEveryIdentifierOfTheUser) {
  LookupCache cache(Options(), &writes_);
  v1::ExportedUser user = User("u1", "b1");
  v1::UserAlias* alias = user.add_user_aliases();
  alias->set_alias_label("crm");
  alias->set_alias_name("42");
  const std::vector<CachedAnswer> answers = cache.Store({ExternalKey("u1")}, {user}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(1));
  ASSERT_THAT(answers[0].users, SizeIs(1));
  EXPECT_EQ(answers[0].fetched_at, t0_);
  EXPECT_FALSE(answers[0].pending_own_write);
  for (const std::string& key :
       {ExternalKey("u1"), std::string("braze_id:b1"), AliasKey("crm", "42")}) {
    const std::optional<CachedAnswer> hit =
        cache.Find(key, {"first_name"}, absl::Minutes(5), t0_ + absl::Seconds(1));
    ASSERT_TRUE(hit.has_value()) << key;
    ASSERT_THAT(hit->users, SizeIs(1));
    EXPECT_EQ(hit->users[0].first_name(), "Old");
  }
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(LookupCacheTest, MissWhenMoreFieldsOrTooOld) {
  LookupCache cache(Options(), &writes_);
  cache.Store({ExternalKey("u1")}, {User("u1", "b1")}, kFields, t0_);
  EXPECT_FALSE(cache.Find(ExternalKey("u1"), {"first_name", "email"}, absl::Minutes(5), t0_));
  EXPECT_FALSE(
      cache.Find(ExternalKey("u1"), {"first_name"}, absl::Minutes(5), t0_ + absl::Minutes(6)));
  EXPECT_TRUE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_ + absl::Minutes(4)));
  EXPECT_FALSE(cache.Find(ExternalKey("u2"), {}, absl::Minutes(5), t0_));
}

TEST_F(LookupCacheTest, NegativeEntryLastsNegativeTtl) {
  LookupCache cache(Options(), &writes_);
  const std::vector<CachedAnswer> answers =
      cache.Store({ExternalKey("u1"), ExternalKey("nobody")}, {User("u1", "b1")}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(2));
  EXPECT_THAT(answers[1].users, IsEmpty());
  const std::optional<CachedAnswer> negative =
      cache.Find(ExternalKey("nobody"), {"email"}, absl::Minutes(5), t0_ + absl::Seconds(29));
  ASSERT_TRUE(negative.has_value());
  EXPECT_THAT(negative->users, IsEmpty());
  EXPECT_FALSE(cache.Find(ExternalKey("nobody"), {}, absl::Minutes(5), t0_ + absl::Seconds(31)));
}

TEST_F(LookupCacheTest, RenamedExternalIdIsIndexedUnderBoth) {
  LookupCache cache(Options(), &writes_);
  // Asked by the deprecated id; Braze answers with the current one.
  const std::vector<CachedAnswer> answers =
      cache.Store({ExternalKey("old")}, {User("new", "b1")}, kFields, t0_);
  ASSERT_THAT(answers[0].users, SizeIs(1));
  EXPECT_EQ(answers[0].users[0].external_id(), "new");
  for (const std::string& key : {ExternalKey("old"), ExternalKey("new")}) {
    const std::optional<CachedAnswer> hit = cache.Find(key, {}, absl::Minutes(5), t0_);
    ASSERT_TRUE(hit.has_value()) << key;
    EXPECT_EQ(hit->users[0].external_id(), "new");
  }
  // A later export of the profile by its new id keeps the old id reaching it.
  cache.Store({ExternalKey("new")}, {User("new", "b1", "Fresh")}, kFields, t0_ + absl::Seconds(1));
  const std::optional<CachedAnswer> old =
      cache.Find(ExternalKey("old"), {}, absl::Minutes(5), t0_ + absl::Seconds(1));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->users[0].first_name(), "Fresh");
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(LookupCacheTest, AliasesAreCaseSensitive) {
  LookupCache cache(Options(), &writes_);
  v1::ExportedUser user = User("", "b1");
  v1::UserAlias* alias = user.add_user_aliases();
  alias->set_alias_label("email");
  alias->set_alias_name("Bob@x");
  const std::vector<CachedAnswer> answers =
      cache.Store({AliasKey("email", "Bob@x"), AliasKey("email", "bob@x")}, {user}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(2));
  EXPECT_THAT(answers[0].users, SizeIs(1));
  EXPECT_THAT(answers[1].users, IsEmpty());
  const std::optional<CachedAnswer> lower =
      cache.Find(AliasKey("email", "bob@x"), {}, absl::Minutes(5), t0_);
  ASSERT_TRUE(lower.has_value());
  EXPECT_THAT(lower->users, IsEmpty());
}

TEST_F(LookupCacheTest, EmailAnswerKeepsEveryUserAndIndexesNoOne) {
  LookupCache cache(Options(), &writes_);
  const std::vector<CachedAnswer> answers =
      cache.Store({"email:a@x.com"}, {User("u1", "b1"), User("u2", "b2")}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(1));
  EXPECT_THAT(answers[0].users, SizeIs(2));
  const std::optional<CachedAnswer> hit = cache.Find("email:a@x.com", {}, absl::Minutes(5), t0_);
  ASSERT_TRUE(hit.has_value());
  EXPECT_THAT(hit->users, SizeIs(2));
  // Its users are not reachable by their own ids from an email answer.
  EXPECT_FALSE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_));
  // A write to one of them patches that user in the answer.
  cache.ApplyOwnWrite(NameWrite(ExternalKey("u2"), "Second", t0_ + absl::Seconds(1)));
  const std::optional<CachedAnswer> patched =
      cache.Find("email:a@x.com", {}, absl::Minutes(5), t0_ + absl::Seconds(1));
  ASSERT_TRUE(patched.has_value());
  ASSERT_THAT(patched->users, SizeIs(2));
  EXPECT_EQ(patched->users[0].first_name(), "Old");
  EXPECT_EQ(patched->users[1].first_name(), "Second");
  EXPECT_TRUE(patched->pending_own_write);
  cache.Forget({"email:a@x.com"});
  cache.ApplyOwnWrite(NameWrite(ExternalKey("u2"), "Gone", t0_ + absl::Seconds(2)));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(LookupCacheTest, StoreOverlaysWritesWithinTheWindow) {
  LookupCache cache(Options(), &writes_);
  writes_.Record("ws", {NameWrite(ExternalKey("u1"), "Ancient", t0_ - absl::Seconds(61)),
                        NameWrite(ExternalKey("u1"), "New", t0_ - absl::Seconds(10))});
  writes_.Record("other", {NameWrite(ExternalKey("u2"), "Elsewhere", t0_)});
  const std::vector<CachedAnswer> answers = cache.Store(
      {ExternalKey("u1"), ExternalKey("u2")}, {User("u1", "b1"), User("u2", "b2")}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(2));
  EXPECT_EQ(answers[0].users[0].first_name(), "New");
  EXPECT_TRUE(answers[0].pending_own_write);
  EXPECT_EQ(answers[1].users[0].first_name(), "Old");
  EXPECT_FALSE(answers[1].pending_own_write);
  // A write addressed by braze_id reaches the user asked by external id.
  writes_.Record("ws", {NameWrite("braze_id:b2", "ByBrazeId", t0_ + absl::Seconds(1))});
  const std::vector<CachedAnswer> again =
      cache.Store({ExternalKey("u2")}, {User("u2", "b2")}, kFields, t0_ + absl::Seconds(2));
  EXPECT_EQ(again[0].users[0].first_name(), "ByBrazeId");
  EXPECT_TRUE(again[0].pending_own_write);
}

TEST_F(LookupCacheTest, ApplyOwnWritePatchesTheCachedUserOnce) {
  LookupCache cache(Options(), &writes_);
  writes_.Subscribe([&cache](const std::string& workspace, const RecentWrite& write) {
    if (workspace == "ws") cache.ApplyOwnWrite(write);
  });
  cache.Store({ExternalKey("u1")}, {User("u1", "b1")}, kFields, t0_);
  writes_.Record("ws", {NameWrite("braze_id:b1", "Patched", t0_ + absl::Seconds(1))});
  const std::optional<CachedAnswer> hit =
      cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_ + absl::Seconds(2));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->users[0].first_name(), "Patched");
  EXPECT_TRUE(hit->pending_own_write);
  // A write older than what the export shows is not applied.
  cache.ApplyOwnWrite(NameWrite(ExternalKey("u1"), "Stale", t0_ - absl::Minutes(5)));
  EXPECT_EQ(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_)->users[0].first_name(),
            "Patched");
}

TEST_F(LookupCacheTest, ApplyOwnWriteTurnsANegativeEntryIntoTheUserAsWritten) {
  LookupCache cache(Options(), &writes_);
  cache.Store({ExternalKey("prospect")}, {}, kFields, t0_);
  cache.ApplyOwnWrite(NameWrite(ExternalKey("prospect"), "Pat", t0_ + absl::Seconds(1)));
  const std::optional<CachedAnswer> hit =
      cache.Find(ExternalKey("prospect"), {}, absl::Minutes(5), t0_ + absl::Seconds(2));
  ASSERT_TRUE(hit.has_value());
  ASSERT_THAT(hit->users, SizeIs(1));
  EXPECT_EQ(hit->users[0].external_id(), "prospect");
  EXPECT_EQ(hit->users[0].first_name(), "Pat");
  EXPECT_TRUE(hit->pending_own_write);
}

TEST_F(LookupCacheTest, NotFoundWithinTheWindowOfAWriteIsTheUserAsWritten) {
  LookupCache cache(Options(), &writes_);
  writes_.Record("ws", {NameWrite(ExternalKey("fresh"), "Neo", t0_ - absl::Seconds(2)),
                        NameWrite(AliasKey("crm", "7"), "Ali", t0_ - absl::Seconds(2))});
  const std::vector<CachedAnswer> answers = cache.Store(
      {ExternalKey("fresh"), AliasKey("crm", "7"), ExternalKey("nobody")}, {}, kFields, t0_);
  ASSERT_THAT(answers, SizeIs(3));
  ASSERT_THAT(answers[0].users, SizeIs(1));
  EXPECT_EQ(answers[0].users[0].external_id(), "fresh");
  EXPECT_EQ(answers[0].users[0].first_name(), "Neo");
  EXPECT_TRUE(answers[0].pending_own_write);
  ASSERT_THAT(answers[1].users, SizeIs(1));
  ASSERT_THAT(answers[1].users[0].user_aliases(), SizeIs(1));
  EXPECT_EQ(answers[1].users[0].user_aliases(0).alias_label(), "crm");
  EXPECT_EQ(answers[1].users[0].user_aliases(0).alias_name(), "7");
  EXPECT_THAT(answers[2].users, IsEmpty());
  EXPECT_FALSE(answers[2].pending_own_write);
  // Past the window, Braze's NOT_FOUND is believed.
  const std::vector<CachedAnswer> later =
      cache.Store({ExternalKey("fresh")}, {}, kFields, t0_ + absl::Seconds(61));
  EXPECT_THAT(later[0].users, IsEmpty());
}

TEST_F(LookupCacheTest, LeastRecentlyUsedGoesFirst) {
  LookupCacheOptions options = Options();
  options.max_entries = 2;
  LookupCache cache(options, &writes_);
  cache.Store({ExternalKey("u1")}, {User("u1", "b1")}, kFields, t0_);
  cache.Store({ExternalKey("u2")}, {User("u2", "b2")}, kFields, t0_);
  ASSERT_TRUE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_));  // u2 is now the LRU
  cache.Store({ExternalKey("u3")}, {User("u3", "b3")}, kFields, t0_);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_));
  EXPECT_FALSE(cache.Find(ExternalKey("u2"), {}, absl::Minutes(5), t0_));
  EXPECT_FALSE(cache.Find("braze_id:b2", {}, absl::Minutes(5), t0_));
  EXPECT_TRUE(cache.Find(ExternalKey("u3"), {}, absl::Minutes(5), t0_));
}

TEST_F(LookupCacheTest, NothingIsKeptPastRetention) {
  LookupCacheOptions options = Options();
  options.retention = absl::Minutes(10);
  LookupCache cache(options, &writes_);
  cache.Store({ExternalKey("u1")}, {User("u1", "b1")}, kFields, t0_);
  cache.Store({ExternalKey("u2")}, {User("u2", "b2")}, kFields, t0_ + absl::Minutes(9));
  EXPECT_FALSE(
      cache.Find(ExternalKey("u1"), {}, absl::InfiniteDuration(), t0_ + absl::Minutes(11)));
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(LookupCacheTest, ForgetDropsEveryKeyOfTheEntry) {
  LookupCache cache(Options(), &writes_);
  cache.Store({ExternalKey("u1")}, {User("u1", "b1")}, kFields, t0_);
  cache.Forget({"braze_id:b1"});
  EXPECT_FALSE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(LookupCacheTest, BrazeIdAndDeviceLookups) {
  LookupCache cache(Options(), &writes_);
  const std::vector<CachedAnswer> by_id =
      cache.Store({"braze_id:b1"}, {User("u1", "b1")}, kFields, t0_);
  ASSERT_THAT(by_id[0].users, SizeIs(1));
  EXPECT_TRUE(cache.Find(ExternalKey("u1"), {}, absl::Minutes(5), t0_));
  const std::vector<CachedAnswer> by_device =
      cache.Store({"device_id:d1"}, {User("u2", "b2")}, kFields, t0_);
  ASSERT_THAT(by_device[0].users, SizeIs(1));
  EXPECT_EQ(by_device[0].users[0].external_id(), "u2");
  EXPECT_TRUE(cache.Find("device_id:d1", {}, absl::Minutes(5), t0_));
}

TEST_F(LookupCacheTest, ConcurrentStoresFindsAndWrites) {
  LookupCacheOptions options = Options();
  options.max_entries = 50;
  LookupCache cache(options, &writes_);
  writes_.Subscribe(
      [&cache](const std::string&, const RecentWrite& write) { cache.ApplyOwnWrite(write); });
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string id = "u" + std::to_string((t * 300 + i) % 80);
        cache.Store({ExternalKey(id)}, {User(id, "b" + id)}, kFields, t0_);
        writes_.Record("ws", {NameWrite(ExternalKey(id), "W", t0_)});
        cache.Find(ExternalKey(id), {}, absl::Minutes(5), t0_);
        if (i % 50 == 0) cache.Forget({ExternalKey(id)});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 50u);
}

TEST_F(LookupCacheTest, WorksWithoutRecentWrites) {
  LookupCache cache(Options(), nullptr);
  const std::vector<CachedAnswer> answers = cache.Store({ExternalKey("u1")}, {}, kFields, t0_);
  EXPECT_THAT(answers[0].users, IsEmpty());
  EXPECT_FALSE(answers[0].pending_own_write);
}

// ---- Deleted users (case 119) ----

TEST_F(LookupCacheTest, ADeletedUserIsNotFoundByAnyOfItsKeysUntilTheTombstoneEnds) {
  LookupCache cache(Options(), &writes_);
  v1::ExportedUser user = User("u1", "b1");
  v1::UserAlias* alias = user.add_user_aliases();
  alias->set_alias_label("crm");
  alias->set_alias_name("42");
  cache.Store({ExternalKey("u1")}, {user}, kFields, t0_);

  const absl::Time deleted_at = t0_ + absl::Seconds(1);
  cache.Tombstone({ExternalKey("u1")}, deleted_at, deleted_at + absl::Minutes(10));

  // Every identifier of the user answers "no such user", from the cache,
  // and for longer than the negative TTL.
  for (const std::string& key :
       {ExternalKey("u1"), std::string("braze_id:b1"), AliasKey("crm", "42")}) {
    const std::optional<CachedAnswer> hit =
        cache.Find(key, kFields, absl::Minutes(5), deleted_at + absl::Minutes(5));
    ASSERT_TRUE(hit.has_value()) << key;
    EXPECT_THAT(hit->users, IsEmpty()) << key;
  }
  // After the tombstone the cache asks Braze again.
  EXPECT_FALSE(
      cache.Find(ExternalKey("u1"), kFields, absl::Hours(1), deleted_at + absl::Minutes(11))
          .has_value());
}

TEST_F(LookupCacheTest, AnExportThatStillShowsADeletedUserDoesNotBringItBack) {
  LookupCache cache(Options(), &writes_);
  const absl::Time deleted_at = t0_;
  cache.Tombstone({ExternalKey("u1")}, deleted_at, deleted_at + absl::Minutes(10));

  // Braze's export lags the deletion and still returns the profile.
  const std::vector<CachedAnswer> answers =
      cache.Store({ExternalKey("u1"), ExternalKey("u2")}, {User("u1", "b1"), User("u2", "b2")},
                  kFields, deleted_at + absl::Seconds(2));
  ASSERT_THAT(answers, SizeIs(2));
  EXPECT_THAT(answers[0].users, IsEmpty());
  ASSERT_THAT(answers[1].users, SizeIs(1));
  EXPECT_EQ(answers[1].users[0].external_id(), "u2");
  const std::optional<CachedAnswer> hit =
      cache.Find(ExternalKey("u1"), kFields, absl::Minutes(5), deleted_at + absl::Seconds(3));
  ASSERT_TRUE(hit.has_value());
  EXPECT_THAT(hit->users, IsEmpty());
}

TEST_F(LookupCacheTest, AWriteAfterTheDeletionCreatesTheUserAgain) {
  LookupCache cache(Options(), &writes_);
  cache.Tombstone({ExternalKey("u1")}, t0_, t0_ + absl::Minutes(10));

  const RecentWrite write = NameWrite(ExternalKey("u1"), "Reborn", t0_ + absl::Seconds(5));
  writes_.Record("ws", {write});
  cache.ApplyOwnWrite(write);

  EXPECT_FALSE(
      cache.Find(ExternalKey("u1"), kFields, absl::Minutes(5), t0_ + absl::Seconds(6)).has_value());
  const std::vector<CachedAnswer> answers =
      cache.Store({ExternalKey("u1")}, {}, kFields, t0_ + absl::Seconds(7));
  ASSERT_THAT(answers[0].users, SizeIs(1));
  EXPECT_EQ(answers[0].users[0].first_name(), "Reborn");
}

}  // namespace
}  // namespace brazesync
