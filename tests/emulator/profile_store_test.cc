// Unit tests for the emulator's profile store (profile_store.h): identifier
// resolution and _update_existing_only (braze-api.md §1.3), and how stored
// attribute objects, events and purchases change a profile; and the identity
// operations (merge, rename, remove, aliases, prioritization, orphaned
// subscription states).
#include "tests/emulator/profile_store.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const Json kAlias = {{"alias_name", "a"}, {"alias_label", "crm"}};

TEST(ProfileStoreTest, ExternalIdCreatesUnlessUpdateExistingOnly) {
  ProfileStore store;
  EXPECT_THAT(store.Apply("attributes", {{"external_id", "u1"}, {"_update_existing_only", true}}),
              ElementsAre(HasSubstr("nothing changes")));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_THAT(store.Apply("events", {{"external_id", "u1"}, {"name", "e"}, {"time", "2024-01-01"}}),
              IsEmpty());
  ASSERT_TRUE(store.FindProfile({{"external_id", "u1"}}).has_value());
  EXPECT_THAT(
      store.Apply("attributes",
                  {{"external_id", "u1"}, {"_update_existing_only", true}, {"first_name", "Ada"}}),
      IsEmpty());
  EXPECT_EQ((*store.FindProfile({{"external_id", "u1"}}))["first_name"], "Ada");
}

TEST(ProfileStoreTest, AliasesAreUpdateOnlyUnlessAttributesSayFalse) {
  ProfileStore store;
  EXPECT_THAT(store.Apply("attributes", {{"user_alias", kAlias}}),
              ElementsAre(HasSubstr("nothing is created")));
  EXPECT_THAT(
      store.Apply("purchases",
                  {{"user_alias", kAlias}, {"_update_existing_only", false}, {"product_id", "p"}}),
      ElementsAre(HasSubstr("nothing is recorded")));
  EXPECT_THAT(store.Apply("attributes", {{"user_alias", kAlias}, {"_update_existing_only", false}}),
              IsEmpty());
  EXPECT_THAT(store.Apply("purchases", {{"user_alias", kAlias}, {"product_id", "p"}}), IsEmpty());
  const Json profile = *store.FindProfile({{"user_alias", kAlias}});
  EXPECT_EQ(profile["purchases"], (Json{{{"product_id", "p"}, {"quantity", 1}}}));
}

TEST(ProfileStoreTest, BrazeIdNeverCreatesAndFindsExisting) {
  ProfileStore store;
  EXPECT_THAT(store.Apply("attributes", {{"braze_id", "x"}}),
              ElementsAre(HasSubstr("cannot create")));
  store.Apply("attributes", {{"external_id", "u1"}});
  const std::string braze_id = (*store.FindProfile({{"external_id", "u1"}}))["braze_id"];
  EXPECT_THAT(store.Apply("attributes", {{"braze_id", braze_id}, {"home_city", "Oslo"}}),
              IsEmpty());
  EXPECT_EQ((*store.FindProfile({{"external_id", "u1"}}))["home_city"], "Oslo");
}

TEST(ProfileStoreTest, EmailPrefersTheMostRecentProfileWithAnExternalId) {
  ProfileStore store;
  store.Apply("attributes", {{"external_id", "old"}, {"email", "a@b.io"}});
  store.Apply("attributes", {{"external_id", "new"}, {"email", "a@b.io"}});
  store.Apply("attributes", {{"email", "other@b.io"}});
  store.Apply("attributes", {{"external_id", "old"}, {"first_name", "touched"}});
  EXPECT_EQ((*store.FindProfile({{"email", "a@b.io"}}))["external_id"], "old");
  EXPECT_EQ(store.size(), 3u);
}

TEST(ProfileStoreTest, PhoneLookupNeedsE164) {
  ProfileStore store;
  EXPECT_THAT(store.Apply("attributes", {{"phone", "0612345678"}}),
              ElementsAre(HasSubstr("not E.164")));
  EXPECT_THAT(store.Apply("attributes", {{"phone", "+33612345678"}}), IsEmpty());
  EXPECT_TRUE(store.FindProfile({{"phone", "+33612345678"}}).has_value());
  EXPECT_FALSE(store.FindProfile({{"phone", "0612345678"}}).has_value());
}

TEST(ProfileStoreTest, ScalarArraysAreSetsCappedAtTheWorkspaceLength) {
  ProfileStore store(3);
  store.Apply("attributes", {{"external_id", "u"}, {"tags", {"a", "b", "c"}}});
  EXPECT_THAT(store.Apply("attributes", {{"external_id", "u"}, {"tags", {{"add", {"a", "d"}}}}}),
              ElementsAre(HasSubstr("drops the oldest 1")));
  EXPECT_EQ((*store.FindProfile({{"external_id", "u"}}))["custom_attributes"]["tags"],
            (Json{"c", "a", "d"}));
  store.Apply("attributes",
              {{"external_id", "u"}, {"tags", {{"add", {"e"}}, {"remove", {"a", "zz", "e"}}}}});
  EXPECT_EQ((*store.FindProfile({{"external_id", "u"}}))["custom_attributes"]["tags"],
            (Json{"c", "d"}));
}

TEST(ProfileStoreTest, ArraysOfObjectsOperators) {
  ProfileStore store;
  store.Apply("attributes",
              {{"external_id", "u"}, {"pets", {{{"id", 1}, {"type", "dog"}}, {{"id", 2}}}}});
  store.Apply("attributes", {{"external_id", "u"}, {"pets", {{"$add", {{{"id", 3}}}}}}});
  store.Apply(
      "attributes",
      {{"external_id", "u"},
       {"pets", {{"$remove", {{{"$identifier_key", "type"}, {"$identifier_value", "dog"}}}}}}});
  store.Apply("attributes", {{"external_id", "u"},
                             {"_merge_objects", true},
                             {"pets",
                              {{"$update",
                                {{{"$identifier_key", "id"},
                                  {"$identifier_value", 3},
                                  {"$new_object", {{"breed", "goldfish"}}}}}}}}});
  EXPECT_EQ((*store.FindProfile({{"external_id", "u"}}))["custom_attributes"]["pets"],
            (Json{{{"id", 2}}, {{"id", 3}, {"breed", "goldfish"}}}));
}

TEST(ProfileStoreTest, IncNullAndNestedMerge) {
  ProfileStore store;
  store.Apply("attributes",
              {{"external_id", "u"}, {"n", {{"inc", 2}}}, {"o", {{"a", {{"x", 1}}}}}});
  store.Apply("attributes", {{"external_id", "u"},
                             {"n", {{"inc", -5}}},
                             {"_merge_objects", true},
                             {"o", {{"a", {{"y", 2}}}}}});
  Json custom = (*store.FindProfile({{"external_id", "u"}}))["custom_attributes"];
  EXPECT_EQ(custom["n"], -3);
  EXPECT_EQ(custom["o"], (Json{{"a", {{"x", 1}, {"y", 2}}}}));
  store.Apply("attributes", {{"external_id", "u"}, {"o", nullptr}, {"country", nullptr}});
  custom = (*store.FindProfile({{"external_id", "u"}}))["custom_attributes"];
  EXPECT_FALSE(custom.contains("o"));
}

TEST(ProfileStoreTest, EventsAreRecordedWithoutIdentifiers) {
  ProfileStore store;
  const Json event = {
      {"external_id", "u"}, {"name", "e"}, {"time", "2024-01-01"}, {"properties", {{"k", 1}}}};
  store.Apply("events", event);
  store.Apply("events", event);
  const Json events = (*store.FindProfile({{"external_id", "u"}}))["custom_events"];
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (Json{{"name", "e"}, {"time", "2024-01-01"}, {"properties", {{"k", 1}}}}));
  store.Clear();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.AllProfiles(), Json::array());
}

// The export's lookups: every holder of an e-mail, at most one profile for
// the other identifiers, and which profile the last Apply() touched.
TEST(ProfileStoreTest, FindAllReturnsEveryEmailHolderAndLastAppliedNamesTheProfile) {
  ProfileStore store;
  EXPECT_FALSE(store.last_applied().has_value());
  store.Apply("attributes", {{"external_id", "u1"}, {"email", "s@example.com"}});
  EXPECT_EQ(store.last_applied(), 0u);
  store.Apply("attributes", {{"external_id", "u2"}, {"email", "s@example.com"}});
  EXPECT_EQ(store.last_applied(), 1u);
  store.Apply("attributes", {{"external_id", "u1"}, {"first_name", "Ada"}});
  EXPECT_EQ(store.last_applied(), 0u);
  store.Apply("events", {{"user_alias", kAlias}, {"name", "e"}, {"time", "2024-01-01"}});
  EXPECT_FALSE(store.last_applied().has_value());  // nothing recorded for an unknown alias

  EXPECT_THAT(store.FindAll({{"email", "s@example.com"}}), ElementsAre(0u, 1u));
  EXPECT_THAT(store.FindAll({{"external_id", "u2"}}), ElementsAre(1u));
  EXPECT_THAT(store.FindAll({{"external_id", "nobody"}}), IsEmpty());
  EXPECT_EQ(store.ProfileAt(0)["first_name"], "Ada");
  store.Apply("attributes", {{"external_id", "u1"}, {"email", "other@example.com"}});
  EXPECT_THAT(store.FindAll({{"email", "s@example.com"}}), ElementsAre(1u));
  store.Clear();
  EXPECT_FALSE(store.last_applied().has_value());
}

// --- Identity operations (identity_rules.h, subscription_rules.h) ---

TEST(ProfileStoreTest, MergeIntoCopiesOnlyMissingFieldsAndRemovesTheSource) {
  ProfileStore store;
  store.Apply("attributes", {{"external_id", "from"},
                             {"first_name", "From"},
                             {"email", "f@example.com"},
                             {"tier", "gold"},
                             {"visits", 1}});
  store.Apply("events", {{"external_id", "from"}, {"name", "e"}, {"time", "2024-01-01"}});
  store.Apply("attributes", {{"external_id", "into"}, {"first_name", "Into"}, {"visits", 9}});
  store.Apply("events", {{"external_id", "into"}, {"name", "e"}, {"time", "2024-01-02"}});
  const size_t from = *store.FindIndex({{"external_id", "from"}});
  const size_t into = *store.FindIndex({{"external_id", "into"}});
  store.TakeChanged();
  store.MergeInto(from, into);
  const Json merged = *store.FindProfile({{"external_id", "into"}});
  EXPECT_EQ(merged["first_name"], "Into");
  EXPECT_EQ(merged["email"], "f@example.com");
  EXPECT_EQ(merged["custom_attributes"], (Json{{"tier", "gold"}, {"visits", 9}}));
  EXPECT_EQ(merged["custom_events"].size(), 2u);
  EXPECT_FALSE(store.FindProfile({{"external_id", "from"}}).has_value());
  EXPECT_TRUE(store.ProfileAt(from).is_null());
  EXPECT_EQ(store.AllProfiles().size(), 1u);
  EXPECT_EQ(store.FindAll({{"email", "f@example.com"}}), std::vector<size_t>{into});
  EXPECT_EQ(store.TakeChanged(), (std::vector<size_t>{from, into}));
  EXPECT_TRUE(store.TakeChanged().empty());
}

TEST(ProfileStoreTest, RenamedIdsStayResolvableUntilRemoved) {
  ProfileStore store;
  store.Apply("attributes", {{"external_id", "a"}});
  store.Apply("attributes", {{"external_id", "b"}});
  EXPECT_EQ(store.RenameExternalId("a", "a2"), std::nullopt);
  EXPECT_EQ((*store.FindProfile({{"external_id", "a"}}))["external_id"], "a2");
  EXPECT_EQ(store.RenameExternalId("a", "z"), "current_external_id is deprecated");
  EXPECT_EQ(store.RenameExternalId("b", "a"), "new_external_id is already in use");
  EXPECT_EQ(store.RenameExternalId("b", "a2"), "new_external_id is already in use");
  EXPECT_EQ(store.RenameExternalId("nobody", "n"), "current_external_id does not exist");
  EXPECT_EQ(store.RenameExternalId("b", "b"),
            "current_external_id and new_external_id are the same");
  EXPECT_EQ(store.RemoveDeprecatedExternalId("a2"), "external_id is not deprecated");
  EXPECT_EQ(store.RemoveDeprecatedExternalId("a"), std::nullopt);
  EXPECT_FALSE(store.FindProfile({{"external_id", "a"}}).has_value());
  EXPECT_FALSE((*store.FindProfile({{"external_id", "a2"}})).contains("deprecated_external_ids"));
}

TEST(ProfileStoreTest, AliasesOneNamePerLabelAndPairsUnique) {
  ProfileStore store;
  store.Apply("attributes", {{"external_id", "u1"}});
  const size_t u1 = *store.FindIndex({{"external_id", "u1"}});
  EXPECT_TRUE(store.AddAlias(u1, kAlias));
  EXPECT_FALSE(store.AddAlias(u1, {{"alias_name", "other"}, {"alias_label", "crm"}}));
  EXPECT_FALSE(store.CreateAliasProfile(kAlias).has_value());
  EXPECT_TRUE(store.CreateAliasProfile({{"alias_name", "A"}, {"alias_label", "crm"}}));
  EXPECT_EQ(store.size(), 2u);
}

TEST(ProfileStoreTest, PrioritizationPicksAmongTheHoldersOfAnEmail) {
  ProfileStore store;
  // The e-mail-only profile first: a later track by that e-mail would find
  // an existing holder instead of creating one.
  store.Apply("attributes", {{"email", "s@example.com"}, {"_update_existing_only", false}});
  store.Apply("attributes", {{"external_id", "old"}, {"email", "s@example.com"}});
  store.Apply("attributes", {{"external_id", "new"}, {"email", "s@example.com"}});
  auto pick = [&](const Json& prioritization) {
    const Json& doc =
        store.ProfileAt(*store.FindByPrioritization("email", "s@example.com", prioritization));
    return doc.value("external_id", "(none)");
  };
  EXPECT_EQ(pick({"unidentified", "most_recently_updated"}), "(none)");
  EXPECT_EQ(pick({"identified", "most_recently_updated"}), "new");
  EXPECT_EQ(pick({"identified", "least_recently_updated"}), "old");
  EXPECT_EQ(pick(Json::array()), "new");
  EXPECT_FALSE(store.FindByPrioritization("phone", "555", Json::array()).has_value());
}

TEST(ProfileStoreTest, OrphanedSubscriptionStatesAreInheritedOnce) {
  ProfileStore store;
  store.SetOrphanSubscriptionState("email", "o@example.com", "g1", "unsubscribed");
  store.Apply("attributes", {{"external_id", "u1"}, {"email", "o@example.com"}});
  EXPECT_EQ((*store.FindProfile({{"external_id", "u1"}}))["subscription_groups"],
            (Json{{"g1", "unsubscribed"}}));
  EXPECT_TRUE(store.orphan_subscription_states().empty());
  store.Remove(*store.FindIndex({{"external_id", "u1"}}));
  store.Apply("attributes", {{"external_id", "u2"}, {"email", "o@example.com"}});
  EXPECT_FALSE((*store.FindProfile({{"external_id", "u2"}})).contains("subscription_groups"));
}

}  // namespace
}  // namespace brazesync::emulator
