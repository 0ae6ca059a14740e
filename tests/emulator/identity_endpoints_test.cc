// Tests for the emulator's identity endpoints over real HTTP
// (braze-api-round2.md §2.2-§2.6, §2.13, cases 95-127 and 159):
// /users/alias/new, /users/identify, /users/merge, /users/delete and
// /users/external_ids/rename and /remove. Each documented quirk has a test
// that fails without it: the no-op successes, merge's reverse order, the
// rename_errors layout, the shared identity pool, the denied permission.
// Effects are read back through /users/export/ids, as a gateway would.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/braze_emulator.h"
#include "tests/emulator/endpoint_test_support.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

Json Alias(const std::string& name, const std::string& label = "crm") {
  return {{"alias_name", name}, {"alias_label", label}};
}
Json Aliases(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(Alias(absl::StrCat("a", i)));
  return out;
}
Json With(Json base, const Json& patch) {
  base.update(patch);
  return base;
}
Json ExternalIds(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("u", i));
  return out;
}

using IdentityEndpointsTest = EmulatorEndpointTest;

// ---------------------------------------------------------------------------
// /users/alias/new

TEST_F(IdentityEndpointsTest, AliasForAnUnknownExternalIdIsProcessedButAddedToNobody) {
  // Case 95.
  const JsonReply reply =
      Post("/users/alias/new",
           Json{{"user_aliases", {With(Alias("bob"), {{"external_id", "nobody"}})}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body, (Json{{"aliases_processed", 1}, {"message", "success"}}));
  EXPECT_TRUE(Export({{"user_aliases", {Alias("bob")}}}).empty());
  EXPECT_EQ(emulator_->profiles().size(), 0u);
}

TEST_F(IdentityEndpointsTest, AliasPairAlreadyInUseIsProcessedAndChangesNothing) {
  // Case 96, and one alias_name per alias_label.
  Track({{"attributes", {{{"external_id", "u1"}}, {{"external_id", "u2"}}}}});
  ASSERT_EQ(Post("/users/alias/new",
                 Json{{"user_aliases", {With(Alias("bob"), {{"external_id", "u1"}})}}})
                .status,
            201);
  const JsonReply again = Post(
      "/users/alias/new", Json{{"user_aliases",
                                {With(Alias("bob"), {{"external_id", "u2"}}),
                                 With(Alias("robert"), {{"external_id", "u1"}}), Alias("bob")}}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body["aliases_processed"], 3);
  EXPECT_EQ(ExportOne({{"user_aliases", {Alias("bob")}}})["external_id"], "u1");
  EXPECT_EQ(ExportOne({{"external_ids", {"u1"}}})["user_aliases"], Json::array({Alias("bob")}));
  EXPECT_FALSE(ExportOne({{"external_ids", {"u2"}}}).contains("user_aliases"));
  EXPECT_EQ(emulator_->profiles().size(), 2u);  // no alias-only profile for the third
  EXPECT_FALSE(emulator_->endpoint_notes().empty());
}

TEST_F(IdentityEndpointsTest, AliasWithoutExternalIdCreatesAnAliasOnlyProfile) {
  ASSERT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("Bob")}}}).status, 201);
  const Json user = ExportOne({{"user_aliases", {Alias("Bob")}}});
  EXPECT_FALSE(user.contains("external_id"));
  EXPECT_EQ(user["user_aliases"], Json::array({Alias("Bob")}));
  // Case-sensitive.
  EXPECT_TRUE(Export({{"user_aliases", {Alias("bob")}}}).empty());
}

TEST_F(IdentityEndpointsTest, AliasBodyRulesAnswer400) {
  const struct {
    Json body;
    const char* message;
  } cases[] = {
      {Json{{"user_aliases", Aliases(51)}}, "more than 50 aliases"},
      {Json{{"user_aliases", Json::array()}}, "at least one"},
      {Json{{"user_aliases", Alias("a")}}, "must be an array"},
      {Json::object(), "must be an array"},
      {Json{{"user_aliases", {Alias("")}}}, "236 bytes"},
      {Json{{"user_aliases", {Alias(std::string(237, 'x'))}}}, "236 bytes"},
      {Json{{"user_aliases", {{{"alias_name", "a"}}}}}, "alias_label"},
  };
  for (const auto& c : cases) {
    const JsonReply reply = Post("/users/alias/new", c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_THAT(reply.body.value("message", ""), HasSubstr(c.message)) << c.body;
  }
  EXPECT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias(std::string(236, 'x'))}}}).status,
            201);
  // A body that is not a JSON object, as on /users/track.
  EXPECT_EQ(Post("/users/alias/new", std::string("[1,2]")).status, 400);
  EXPECT_EQ(Post("/users/alias/new", std::string("{")).status, 400);
}

// ---------------------------------------------------------------------------
// /users/identify

TEST_F(IdentityEndpointsTest, IdentifyMergesTheAliasProfileIntoTheIdentifiedOne) {
  // Within the export's 90-day event window.
  const std::string an_hour_ago =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_->Now() - absl::Hours(1), absl::UTCTimeZone());
  Track({{"attributes",
          {{{"user_alias", Alias("anon")},
            {"_update_existing_only", false},
            {"first_name", "Anon"},
            {"email", "anon@example.com"},
            {"tier", "gold"}},
           {{"external_id", "u1"}, {"first_name", "Ada"}, {"visits", 3}}}},
         {"events",
          {{{"user_alias", Alias("anon")}, {"name", "played"}, {"time", an_hour_ago}},
           {{"external_id", "u1"}, {"name", "played"}, {"time", an_hour_ago}}}}});
  const JsonReply reply =
      Post("/users/identify",
           Json{{"aliases_to_identify", {{{"external_id", "u1"}, {"user_alias", Alias("anon")}}}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body, (Json{{"aliases_processed", 1},
                              {"emails_processed", 0},
                              {"phone_numbers_processed", 0},
                              {"message", "success"}}));
  const Json user = ExportOne({{"external_ids", {"u1"}}});
  EXPECT_EQ(user["first_name"], "Ada");          // the identified profile's value wins
  EXPECT_EQ(user["email"], "anon@example.com");  // missing there: copied
  EXPECT_EQ(user["custom_attributes"], (Json{{"tier", "gold"}, {"visits", 3}}));
  EXPECT_EQ(user["user_aliases"], Json::array({Alias("anon")}));
  ASSERT_EQ(user["custom_events"].size(), 1u);
  EXPECT_EQ(user["custom_events"][0]["count"], 2);  // counts add up
  // The alias now resolves to the identified profile; the anonymous one is gone.
  EXPECT_EQ(ExportOne({{"user_aliases", {Alias("anon")}}})["external_id"], "u1");
  EXPECT_EQ(emulator_->profiles().size(), 1u);
}

TEST_F(IdentityEndpointsTest, IdentifyWithAnUnknownExternalIdIdentifiesTheAliasProfile) {
  // Case 107.
  ASSERT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("anon")}}}).status, 201);
  ASSERT_EQ(
      Post("/users/identify",
           Json{{"aliases_to_identify", {{{"external_id", "new"}, {"user_alias", Alias("anon")}}}}})
          .status,
      201);
  EXPECT_EQ(ExportOne({{"external_ids", {"new"}}})["user_aliases"], Json::array({Alias("anon")}));
}

TEST_F(IdentityEndpointsTest, IdentifyWithTheAliasInTheWrongCaseIsASilentNoOp) {
  // Case 105.
  ASSERT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("Anon")}}}).status, 201);
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  const JsonReply reply =
      Post("/users/identify",
           Json{{"aliases_to_identify", {{{"external_id", "u1"}, {"user_alias", Alias("anon")}}}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["message"], "success");
  EXPECT_FALSE(ExportOne({{"external_ids", {"u1"}}}).contains("user_aliases"));
  EXPECT_EQ(emulator_->profiles().size(), 2u);
}

TEST_F(IdentityEndpointsTest, IdentifyDoesNotCombineWhenTheTargetHasAnAliasWithTheSameLabel) {
  // Case 106.
  ASSERT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("anon")}}}).status, 201);
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  ASSERT_EQ(Post("/users/alias/new",
                 Json{{"user_aliases", {With(Alias("known"), {{"external_id", "u1"}})}}})
                .status,
            201);
  const JsonReply reply =
      Post("/users/identify",
           Json{{"aliases_to_identify", {{{"external_id", "u1"}, {"user_alias", Alias("anon")}}}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["aliases_processed"], 1);
  EXPECT_EQ(ExportOne({{"external_ids", {"u1"}}})["user_aliases"], Json::array({Alias("known")}));
  EXPECT_FALSE(ExportOne({{"user_aliases", {Alias("anon")}}}).contains("external_id"));
}

TEST_F(IdentityEndpointsTest, IdentifyItemProblemsAreListedWithoutFailingTheRequest) {
  // Cases 101-103, 108: errors[] names the request array and the index.
  Track({{"attributes", {{{"email", "solo@example.com"}, {"_update_existing_only", false}}}}});
  const Json body = {
      {"aliases_to_identify", {{{"user_alias", Alias("anon")}}}},
      {"emails_to_identify",
       {{{"external_id", "u1"}, {"email", "x@example.com"}},
        {{"external_id", "u1"},
         {"email", "x@example.com"},
         {"prioritization", {"most_recently_updated", "least_recently_updated"}}},
        {{"external_id", "u1"},
         {"email", "x@example.com"},
         {"prioritization", {"identified", "unidentified"}}},
        {{"external_id", "u1"},
         {"email", "solo@example.com"},
         {"prioritization", {"unidentified", "most_recently_updated"}}}}},
      {"phone_numbers_to_identify", {{{"external_id", "u2"}, {"phone", "+12223334444"}}}}};
  const JsonReply reply = Post("/users/identify", body);
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["aliases_processed"], 0);
  EXPECT_EQ(reply.body["emails_processed"], 1);
  EXPECT_EQ(reply.body["phone_numbers_processed"], 0);
  EXPECT_EQ(reply.body["message"], "success");
  const Json expected_errors = {
      {{"type", "'external_id' is required"}, {"input_array", "aliases_to_identify"}, {"index", 0}},
      {{"type", "'prioritization' is required"},
       {"input_array", "emails_to_identify"},
       {"index", 0}},
      {{"type",
        "Request can not contain both of 'most_recently_updated' and 'least_recently_updated' "
        "values in the 'prioritization' array"},
       {"input_array", "emails_to_identify"},
       {"index", 1}},
      {{"type",
        "Request can not contain both of 'identified' and 'unidentified' values in the "
        "'prioritization' array"},
       {"input_array", "emails_to_identify"},
       {"index", 2}},
      {{"type", "'prioritization' is required"},
       {"input_array", "phone_numbers_to_identify"},
       {"index", 0}}};
  EXPECT_EQ(reply.body["errors"], expected_errors);
  // The valid email item identified the email-only profile.
  EXPECT_EQ(ExportOne({{"external_ids", {"u1"}}})["email"], "solo@example.com");
}

TEST_F(IdentityEndpointsTest, IdentifyAnEmailHeldByTwoProfilesDoesNotMerge) {
  // Case 104.
  Track({{"attributes",
          {{{"external_id", "a"}, {"email", "shared@example.com"}},
           {{"external_id", "b"}, {"email", "shared@example.com"}}}}});
  const JsonReply reply = Post(
      "/users/identify", Json{{"emails_to_identify",
                               {{{"external_id", "c"},
                                 {"email", "shared@example.com"},
                                 {"prioritization", {"unidentified", "most_recently_updated"}}}}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["message"], "success");
  EXPECT_TRUE(Export({{"external_ids", {"c"}}}).empty());
  EXPECT_EQ(Export({{"email_address", "shared@example.com"}}).size(), 2u);
}

TEST_F(IdentityEndpointsTest, IdentifyBodyRulesAnswer400) {
  EXPECT_EQ(Post("/users/identify", Json::object()).status, 400);
  Json items = Json::array();
  for (int i = 0; i < 26; ++i) {
    items.push_back({{"external_id", absl::StrCat("u", i)}, {"user_alias", Alias("a")}});
  }
  const JsonReply reply = Post(
      "/users/identify", Json{{"aliases_to_identify", items},
                              {"emails_to_identify", Json(items.begin(), items.begin() + 25)}});
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body.value("message", ""), HasSubstr("more than 50"));
}

// ---------------------------------------------------------------------------
// /users/merge

Json Merge(const std::string& from, const std::string& into) {
  return {{"identifier_to_merge", {{"external_id", from}}},
          {"identifier_to_keep", {{"external_id", into}}}};
}

TEST_F(IdentityEndpointsTest, MergeAppliesOneRequestsUpdatesInReverseOrder) {
  // Case 113: "order of merge_updates is not guaranteed". With a dependent
  // chain in one request the emulator runs B->C first (B's data moves to C
  // and B is gone), then A->B finds no B: A stays apart. Two sequential
  // calls end with everything in C.
  auto seed = [this] {
    Track({{"attributes",
            {{{"external_id", "A"}, {"first_name", "Ada"}},
             {{"external_id", "B"}, {"home_city", "Bergen"}},
             {{"external_id", "C"}}}}});
  };
  seed();
  const JsonReply reply =
      Post("/users/merge", Json{{"merge_updates", {Merge("A", "B"), Merge("B", "C")}}});
  EXPECT_EQ(reply.status, 202);
  EXPECT_EQ(reply.body, (Json{{"message", "success"}}));
  // In request order A would end up in C; in reverse order it does not.
  EXPECT_FALSE(ExportOne({{"external_ids", {"C"}}}).contains("first_name"));
  EXPECT_EQ(ExportOne({{"external_ids", {"A"}}})["first_name"], "Ada");
  EXPECT_TRUE(Export({{"external_ids", {"B"}}}).empty());

  emulator_->Reset();
  seed();
  ASSERT_EQ(Post("/users/merge", Json{{"merge_updates", {Merge("A", "B")}}}).status, 202);
  ASSERT_EQ(Post("/users/merge", Json{{"merge_updates", {Merge("B", "C")}}}).status, 202);
  const Json c = ExportOne({{"external_ids", {"C"}}});
  EXPECT_EQ(c["first_name"], "Ada");
  EXPECT_TRUE(Export({{"external_ids", {"A", "B"}}}).empty());
}

TEST_F(IdentityEndpointsTest, MergeKeepsTheKeptProfilesValuesAndAcceptsMixedIdentifiers) {
  Track({{"attributes",
          {{{"email", "old@example.com"},
            {"first_name", "Old"},
            {"_update_existing_only", false},
            {"tier", "gold"}},
           {{"external_id", "keep"}, {"first_name", "Kept"}}}}});
  ASSERT_EQ(Post("/users/merge",
                 Json{{"merge_updates",
                       {{{"identifier_to_merge",
                          {{"email", "old@example.com"},
                           {"prioritization", {"unidentified", "most_recently_updated"}}}},
                         {"identifier_to_keep", {{"external_id", "keep"}}}}}}})
                .status,
            202);
  const Json user = ExportOne({{"external_ids", {"keep"}}});
  EXPECT_EQ(user["first_name"], "Kept");
  EXPECT_EQ(user["email"], "old@example.com");
  EXPECT_EQ(user["custom_attributes"], (Json{{"tier", "gold"}}));
  EXPECT_EQ(emulator_->profiles().size(), 1u);
}

TEST_F(IdentityEndpointsTest, MergeOfInvalidPhonesOrUnknownUsersIsAcceptedAndDoesNothing) {
  // Cases 114 and 116.
  Track({{"attributes",
          {{{"external_id", "p1"}, {"phone", "555-0100"}},
           {{"external_id", "p2"}, {"phone", "555-0101"}}}}});
  const Json phones = {{{"identifier_to_merge",
                         {{"phone", "555-0100"}, {"prioritization", {"most_recently_updated"}}}},
                        {"identifier_to_keep",
                         {{"phone", "555-0101"}, {"prioritization", {"most_recently_updated"}}}}},
                       Merge("ghost", "p1")};
  const JsonReply reply = Post("/users/merge", Json{{"merge_updates", phones}});
  EXPECT_EQ(reply.status, 202);
  EXPECT_EQ(emulator_->profiles().size(), 2u);
}

TEST_F(IdentityEndpointsTest, MergeBodyRulesAnswerBrazesTexts) {
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back(Merge("a", "b"));
  const struct {
    Json body;
    std::string message;
  } cases[] = {
      {Json::object(), "'merge_updates' must be an array of objects"},
      {Json{{"merge_updates", {1}}}, "'merge_updates' must be an array of objects"},
      {Json{{"merge_updates", many}},
       "a single request may not contain more than 50 merge updates"},
      {Json{{"merge_updates", {With(Merge("a", "b"), {{"extra", 1}})}}},
       "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'"},
      {Json{{"merge_updates",
             {{{"identifier_to_merge", "a"}, {"identifier_to_keep", {{"external_id", "b"}}}}}}},
       "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' "
       "property that is an object, 'email' property that is a string, or 'phone' property that "
       "is a string"},
      {Json{{"merge_updates",
             {{{"identifier_to_merge", {{"email", "a@example.com"}}},
               {"identifier_to_keep", {{"external_id", "b"}}}}}}},
       "'prioritization' is required"},
  };
  for (const auto& c : cases) {
    const JsonReply reply = Post("/users/merge", c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_EQ(reply.body.value("message", ""), c.message) << c.body;
  }
}

// ---------------------------------------------------------------------------
// /users/delete

TEST_F(IdentityEndpointsTest, DeleteCountsEveryIdAndRemovesTheProfiles) {
  Track({{"attributes", {{{"external_id", "u1"}}, {{"external_id", "u2"}}}}});
  const JsonReply reply = Post("/users/delete", Json{{"external_ids", {"u1", "ghost"}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body, (Json{{"deleted", 2}, {"message", "success"}}));
  EXPECT_TRUE(Export({{"external_ids", {"u1"}}}).empty());
  EXPECT_EQ(Export({{"external_ids", {"u2"}}}).size(), 1u);
  EXPECT_EQ(emulator_->profiles().size(), 1u);
  // The external_id is free again: /users/track creates a new profile.
  Track({{"attributes", {{{"external_id", "u1"}, {"first_name", "New"}}}}});
  EXPECT_EQ(ExportOne({{"external_ids", {"u1"}}})["first_name"], "New");
}

TEST_F(IdentityEndpointsTest, DeleteByADeprecatedExternalIdDeletesTheWholeProfile) {
  // Case 120.
  Track({{"attributes", {{{"external_id", "old"}}}}});
  ASSERT_EQ(Post("/users/external_ids/rename",
                 Json{{"external_id_renames",
                       {{{"current_external_id", "old"}, {"new_external_id", "new"}}}}})
                .status,
            201);
  ASSERT_EQ(Post("/users/delete", Json{{"external_ids", {"old"}}}).status, 201);
  EXPECT_TRUE(Export({{"external_ids", {"new"}}}).empty());
}

TEST_F(IdentityEndpointsTest, DeleteByEmailAliasAndBrazeId) {
  Track({{"attributes",
          {{{"external_id", "e"}, {"email", "e@example.com"}},
           {{"user_alias", Alias("al")}, {"_update_existing_only", false}},
           {{"external_id", "b"}}}}});
  const std::string braze_id = (*emulator_->profile({{"external_id", "b"}}))["braze_id"];
  EXPECT_EQ(
      Post("/users/delete",
           Json{{"email_addresses",
                 {{{"email", "e@example.com"}, {"prioritization", {"most_recently_updated"}}}}}})
          .status,
      201);
  EXPECT_EQ(Post("/users/delete", Json{{"user_aliases", {Alias("al")}}}).status, 201);
  EXPECT_EQ(Post("/users/delete", Json{{"braze_ids", {braze_id}}}).status, 201);
  EXPECT_EQ(emulator_->profiles().size(), 0u);
}

TEST_F(IdentityEndpointsTest, DeleteBodyRulesAnswer400) {
  const struct {
    Json body;
    const char* message;
  } cases[] = {
      {Json{{"external_ids", {"a"}}, {"braze_ids", {"b"}}}, "Only one of"},  // case 117
      {Json::object(), "is required"},
      {Json{{"external_ids", ExternalIds(51)}}, "more than 50"},
      {Json{{"email_addresses", {{{"email", "a@example.com"}}}}},
       "'prioritization' is required"},  // 118
      {Json{{"phone_numbers", {{{"phone", "+12223334444"}}}}}, "'prioritization' is required"},
      {Json{{"external_ids", {1}}}, "array of strings"},
  };
  for (const auto& c : cases) {
    const JsonReply reply = Post("/users/delete", c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_THAT(reply.body.value("message", ""), HasSubstr(c.message)) << c.body;
  }
}

TEST_F(IdentityEndpointsTest, DeleteShowsInTheExportOnlyAfterTheExportLag) {
  // Case 119: the export may still return the user for a while.
  EmulatorOptions options;
  options.export_lag = absl::Seconds(30);
  Start(options);
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  clock_->Advance(absl::Seconds(31));
  ASSERT_EQ(Post("/users/delete", Json{{"external_ids", {"u1"}}}).status, 201);
  EXPECT_EQ(Export({{"external_ids", {"u1"}}}).size(), 1u);
  clock_->Advance(absl::Seconds(31));
  EXPECT_TRUE(Export({{"external_ids", {"u1"}}}).empty());
}

// ---------------------------------------------------------------------------
// /users/external_ids/rename and /remove

TEST_F(IdentityEndpointsTest, RenameErrorsAreIndexMessagePairs) {
  // Cases 122-124. rename_errors: [[index, message], ...].
  Track({{"attributes", {{{"external_id", "a"}}, {{"external_id", "b"}}, {{"external_id", "c"}}}}});
  auto rename = [](const std::string& from, const std::string& to) {
    return Json{{"current_external_id", from}, {"new_external_id", to}};
  };
  const JsonReply first =
      Post("/users/external_ids/rename", Json{{"external_id_renames", {rename("a", "a2")}}});
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(
      first.body,
      (Json{{"message", "success"}, {"external_ids", {"a"}}, {"rename_errors", Json::array()}}));
  const JsonReply reply = Post("/users/external_ids/rename",
                               Json{{"external_id_renames",
                                     {rename("b", "b2"), rename("a", "x"), rename("ghost", "y"),
                                      rename("c", "b"), rename("c", "a"), rename("c", "c")}}});
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body["message"], "success");
  EXPECT_EQ(reply.body["external_ids"], Json::array({"b"}));
  EXPECT_EQ(reply.body["rename_errors"],
            (Json{{1, "current_external_id is deprecated"},
                  {2, "current_external_id does not exist"},
                  {3, "new_external_id is already in use"},
                  {4, "new_external_id is already in use"},
                  {5, "current_external_id and new_external_id are the same"}}));
}

TEST_F(IdentityEndpointsTest, ExportByARenamedIdReturnsTheNewPrimaryId) {
  // Case 87.
  Track({{"attributes", {{{"external_id", "old"}, {"first_name", "Ada"}}}}});
  ASSERT_EQ(Post("/users/external_ids/rename",
                 Json{{"external_id_renames",
                       {{{"current_external_id", "old"}, {"new_external_id", "new"}}}}})
                .status,
            201);
  const Json user = ExportOne({{"external_ids", {"old"}}});
  EXPECT_EQ(user["external_id"], "new");
  EXPECT_EQ(user["first_name"], "Ada");
  // /users/track by the old id still reaches the profile.
  Track({{"attributes", {{{"external_id", "old"}, {"home_city", "Oslo"}}}}});
  EXPECT_EQ(emulator_->profiles().size(), 1u);
  // Once removed, the old id resolves no more.
  const JsonReply removed =
      Post("/users/external_ids/remove", Json{{"external_ids", {"old", "new", "ghost"}}});
  EXPECT_EQ(removed.status, 201);
  EXPECT_EQ(removed.body, (Json{{"message", "success"},
                                {"removed_ids", {"old"}},
                                {"removal_errors",
                                 {{1, "external_id is not deprecated"},
                                  {2, "external_id does not exist"}}}}));  // case 126
  EXPECT_TRUE(Export({{"external_ids", {"old"}}}).empty());
  EXPECT_EQ(Export({{"external_ids", {"new"}}}).size(), 1u);
}

TEST_F(IdentityEndpointsTest, RenameAndRemoveBodyRulesAnswer400) {
  Json renames = Json::array();
  for (int i = 0; i < 51; ++i) {
    renames.push_back({{"current_external_id", absl::StrCat("a", i)}, {"new_external_id", "b"}});
  }
  for (const Json& body :
       {Json{{"external_id_renames", Json::array()}}, Json{{"external_id_renames", renames}},
        Json{{"external_id_renames", "a"}},
        Json{{"external_id_renames", {{{"current_external_id", "a"}, {"oops", "b"}}}}}}) {
    const JsonReply reply = Post("/users/external_ids/rename", body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_TRUE(reply.body.contains("message")) << body;
  }
  EXPECT_EQ(Post("/users/external_ids/remove", Json{{"external_ids", Json::array()}}).status, 400);
  EXPECT_EQ(Post("/users/external_ids/remove", Json{{"external_ids", ExternalIds(51)}}).status,
            400);
}

// ---------------------------------------------------------------------------
// Permissions, limits, faults, stats

TEST_F(IdentityEndpointsTest, ADeniedPermissionAnswers401AccessDenied) {
  EmulatorOptions options;
  options.denied_permissions = {"users.merge", "users.external_ids.remove"};
  Start(options);
  const JsonReply merge = Post("/users/merge", Json{{"merge_updates", {Merge("a", "b")}}});
  EXPECT_EQ(merge.status, 401);
  EXPECT_EQ(merge.body, (Json{{"message", "Access Denied"}}));
  EXPECT_EQ(Post("/users/external_ids/remove", Json{{"external_ids", {"a"}}}).status, 401);
  // Other endpoints keep working.
  EXPECT_EQ(Post("/users/delete", Json{{"external_ids", {"a"}}}).status, 201);
  // A wrong key is 401 Invalid API Key, before the permission.
  EXPECT_EQ(Post("/users/delete", Json{{"external_ids", {"a"}}}, "wrong").body["message"],
            "Invalid API Key");
}

TEST_F(IdentityEndpointsTest, TheIdentityPoolIsSharedByAliasIdentifyMergeAndDelete) {
  // Case 159, scaled down.
  EmulatorOptions options;
  options.identity_rate_limit_requests = 4;
  options.rename_rate_limit_requests = 1;
  Start(options);
  EXPECT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("a")}}}).status, 201);
  EXPECT_EQ(Post("/users/identify", Json{{"aliases_to_identify",
                                          {{{"external_id", "u"}, {"user_alias", Alias("a")}}}}})
                .status,
            201);
  EXPECT_EQ(Post("/users/merge", Json{{"merge_updates", {Merge("x", "y")}}}).status, 202);
  const JsonReply fourth = Post("/users/delete", Json{{"external_ids", {"x"}}});
  EXPECT_EQ(fourth.status, 201);
  EXPECT_EQ(fourth.header("X-RateLimit-Limit"), "4");
  EXPECT_EQ(fourth.header("X-RateLimit-Remaining"), "0");
  EXPECT_FALSE(fourth.header("X-RateLimit-Reset").empty());
  const JsonReply fifth = Post("/users/alias/new", Json{{"user_aliases", {Alias("b")}}});
  EXPECT_EQ(fifth.status, 429);
  EXPECT_EQ(fifth.body["message"], "Rate Limit Exceeded");
  // Rename has its own budget.
  const Json rename = {
      {"external_id_renames", {{{"current_external_id", "u"}, {"new_external_id", "v"}}}}};
  EXPECT_EQ(Post("/users/external_ids/rename", rename).status, 201);
  EXPECT_EQ(Post("/users/external_ids/rename", rename).status, 429);
  // The window ends.
  clock_->Advance(absl::Seconds(61));
  EXPECT_EQ(Post("/users/alias/new", Json{{"user_aliases", {Alias("b")}}}).status, 201);

  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.endpoint_rate_limited.at("/users/alias/new"), 1u);
  EXPECT_EQ(stats.endpoint_rate_limited.at("/users/external_ids/rename"), 1u);
  EXPECT_EQ(stats.endpoint_requests.at("/users/alias/new"), 3u);
  EXPECT_EQ(stats.endpoint_by_status.at("/users/alias/new").at(429), 1u);
  EXPECT_EQ(stats.requests, 0u);  // /users/track's counters are apart
}

TEST_F(IdentityEndpointsTest, FaultsRecordingAndStatsApply) {
  Faults faults;
  faults.fail_next = 1;
  faults.fail_next_status = 503;
  emulator_->SetFaults(faults);
  EXPECT_EQ(Post("/users/merge", Json{{"merge_updates", {Merge("a", "b")}}}).status, 503);
  EXPECT_EQ(Post("/users/merge", Json{{"merge_updates", {Merge("a", "b")}}}).status, 202);
  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.endpoint_injected.at("/users/merge"), 1u);
  EXPECT_EQ(stats.endpoint_requests.at("/users/merge"), 2u);
  const auto requests = emulator_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].path, "/users/merge");
  EXPECT_EQ(requests[1].status, 202);
  EXPECT_EQ(requests[1].headers.at("authorization"), "Bearer <redacted>");
  // Over HTTP as well.
  const JsonReply admin = Get("/_emulator/stats");
  EXPECT_EQ(admin.body["endpoint_requests"]["/users/merge"], 2);
  EXPECT_EQ(admin.body["endpoint_by_status"]["/users/merge"]["202"], 1);
}

}  // namespace
}  // namespace brazesync::emulator
