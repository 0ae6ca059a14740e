// Unit tests for export_rules.h: how the emulator judges a
// POST /users/export/ids body (braze-api-round2.md §2.1), which calls may use
// the fast budget, and the user object it builds from a profile. The HTTP
// side (auth, limits, lag) is in export_endpoint_test.cc.
#include "tests/emulator/export_rules.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/datetime_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExportVerdict Parse(const Json& body, bool require_fields = true) {
  ExportRules rules;
  rules.require_fields_to_export = require_fields;
  return ParseExportRequest(body.dump(), rules);
}

Json Ids(int n, const char* prefix = "u") {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(prefix, i));
  return out;
}

Json Aliases(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) {
    out.push_back({{"alias_name", absl::StrCat("a", i)}, {"alias_label", "crm"}});
  }
  return out;
}

TEST(EmulatorExportRulesTest, AValidRequestIsParsedInOrder) {
  const ExportVerdict v =
      Parse({{"external_ids", {"u1", "u2"}},
             {"user_aliases", {{{"alias_name", "Bob"}, {"alias_label", "crm"}}}},
             {"email_address", "a@example.com"},
             {"fields_to_export", {"first_name", "email", "first_name"}}});
  ASSERT_EQ(v.status, 200) << v.message;
  EXPECT_THAT(v.query.external_ids, ElementsAre("u1", "u2"));
  ASSERT_EQ(v.query.user_aliases.size(), 1u);
  EXPECT_EQ(v.query.user_aliases[0]["alias_name"], "Bob");
  EXPECT_EQ(v.query.single_key, "email_address");
  EXPECT_EQ(v.query.single_value, "a@example.com");
  EXPECT_THAT(v.query.fields, ElementsAre("first_name", "email"));  // repeats dropped
  EXPECT_EQ(v.query.identifier_count(), 4u);
}

TEST(EmulatorExportRulesTest, FiftyIdsAndAliasesCombinedAreTheCap) {  // cases 77, 78
  EXPECT_EQ(Parse({{"external_ids", Ids(50)}, {"fields_to_export", {"email"}}}).status, 200);
  EXPECT_EQ(Parse({{"external_ids", Ids(25)},
                   {"user_aliases", Aliases(25)},
                   {"fields_to_export", {"email"}}})
                .status,
            200);
  for (const Json& body : {Json{{"external_ids", Ids(51)}, {"fields_to_export", {"email"}}},
                           Json{{"external_ids", Ids(30)},
                                {"user_aliases", Aliases(30)},
                                {"fields_to_export", {"email"}}},
                           Json{{"user_aliases", Aliases(51)}, {"fields_to_export", {"email"}}}}) {
    const ExportVerdict v = Parse(body);
    EXPECT_EQ(v.status, 400);
    EXPECT_EQ(v.message, kTooManyExportIds);
  }
}

TEST(EmulatorExportRulesTest, AtMostOneSingleValuedIdentifier) {  // case 79
  const Json pairs[] = {
      {{"email_address", "a@example.com"}, {"phone", "+15555550123"}},
      {{"device_id", "d1"}, {"braze_id", "b1"}},
      {{"braze_id", "b1"}, {"email_address", "a@example.com"}},
  };
  for (Json body : pairs) {
    body["fields_to_export"] = {"email"};
    const ExportVerdict v = Parse(body);
    EXPECT_EQ(v.status, 400) << body;
    EXPECT_THAT(v.message, HasSubstr("Only one of"));
  }
  // One single identifier beside the arrays is fine (peers do it).
  EXPECT_EQ(
      Parse({{"external_ids", {"u1"}}, {"phone", "+15555550123"}, {"fields_to_export", {"email"}}})
          .status,
      200);
}

TEST(EmulatorExportRulesTest, SomeIdentifierIsRequired) {
  for (const Json& body : {Json{{"fields_to_export", {"email"}}},
                           Json{{"external_ids", Json::array()},
                                {"user_aliases", Json::array()},
                                {"fields_to_export", {"email"}}},
                           Json{{"email_address", nullptr}, {"fields_to_export", {"email"}}}}) {
    const ExportVerdict v = Parse(body);
    EXPECT_EQ(v.status, 400) << body;
    EXPECT_THAT(v.message, HasSubstr("is required"));
  }
}

TEST(EmulatorExportRulesTest, FieldsToExportRequiredOnNewWorkspaces) {  // case 80
  for (const Json& body : {Json{{"external_ids", {"u1"}}},
                           Json{{"external_ids", {"u1"}}, {"fields_to_export", Json::array()}}}) {
    const ExportVerdict v = Parse(body);
    EXPECT_EQ(v.status, 400);
    EXPECT_THAT(v.message, HasSubstr("'fields_to_export' is required"));
    // An older workspace gets every field instead.
    const ExportVerdict legacy = Parse(body, /*require_fields=*/false);
    ASSERT_EQ(legacy.status, 200);
    EXPECT_EQ(legacy.query.fields, ExportableFields());
  }
}

TEST(EmulatorExportRulesTest, AFieldOutsideTheAllowListIsNamed) {  // case 81
  const ExportVerdict v =
      Parse({{"external_ids", {"u1"}}, {"fields_to_export", {"email", "loyaltyPoints"}}});
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(v.message, "'loyaltyPoints' is not a valid value for 'fields_to_export'");
  // Every documented field is accepted.
  Json all = Json::array();
  for (const std::string& f : ExportableFields()) all.push_back(f);
  EXPECT_EQ(all.size(), 33u);
  EXPECT_EQ(Parse({{"external_ids", {"u1"}}, {"fields_to_export", all}}).status, 200);
}

TEST(EmulatorExportRulesTest, MalformedJsonAndWrongTypesAre400) {
  ExportRules rules;
  for (const char* body : {"{bad", "[]", "\"x\"", R"({"external_ids":["u1"],})"}) {
    const ExportVerdict v = ParseExportRequest(body, rules);
    EXPECT_EQ(v.status, 400) << body;
    EXPECT_EQ(v.message, "Error while parsing request body. Please check your syntax.");
  }
  const struct {
    Json body;
    const char* message_part;
  } cases[] = {
      {{{"external_ids", "u1"}}, "'external_ids' must be an array of strings"},
      {{{"external_ids", {1, 2}}}, "'external_ids' must be an array of strings"},
      {{{"user_aliases", {{{"alias_name", "a"}}}}}, "'user_aliases' must be an array of objects"},
      {{{"user_aliases", {"a"}}}, "'user_aliases' must be an array of objects"},
      {{{"email_address", {"a@example.com"}}}, "'email_address' must be a string"},
      {{{"braze_id", 5}}, "'braze_id' must be a string"},
      {{{"external_ids", {"u1"}}, {"fields_to_export", "email"}},
       "'fields_to_export' must be an array of strings"},
  };
  for (const auto& c : cases) {
    const ExportVerdict v = ParseExportRequest(c.body.dump(), rules);
    EXPECT_EQ(v.status, 400) << c.body;
    EXPECT_THAT(v.message, HasSubstr(c.message_part)) << c.body;
  }
}

TEST(EmulatorExportRulesTest, FastBudgetNeedsFieldsWithoutCanvasesOrCampaigns) {  // case 82
  EXPECT_TRUE(QualifiesForFastExport(R"({"external_ids":["u"],"fields_to_export":["email"]})"));
  EXPECT_FALSE(QualifiesForFastExport(R"({"external_ids":["u"]})"));
  EXPECT_FALSE(QualifiesForFastExport(R"({"external_ids":["u"],"fields_to_export":[]})"));
  EXPECT_FALSE(QualifiesForFastExport(
      R"({"external_ids":["u"],"fields_to_export":["email","canvases_received"]})"));
  EXPECT_FALSE(QualifiesForFastExport(
      R"({"external_ids":["u"],"fields_to_export":["campaigns_received"]})"));
  EXPECT_FALSE(QualifiesForFastExport("{bad"));
}

TEST(EmulatorExportRulesTest, EventsAndPurchasesAreSummarisedOverNinetyDays) {  // case 93
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  auto at = [&](absl::Duration ago) { return FormatDatetime(now - ago); };
  const Json events = {
      {{"name", "played"}, {"time", at(absl::Hours(48))}, {"properties", {{"level", 3}}}},
      {{"name", "played"}, {"time", at(absl::Hours(1))}},
      {{"name", "joined"}, {"time", at(absl::Hours(5))}},
      {{"name", "old"}, {"time", at(absl::Hours(24 * 91))}},  // outside the 90 days
  };
  EXPECT_EQ(SummariseRecords(events, /*purchases=*/false, now),
            (Json{{{"name", "joined"},
                   {"first", at(absl::Hours(5))},
                   {"last", at(absl::Hours(5))},
                   {"count", 1}},
                  {{"name", "played"},
                   {"first", at(absl::Hours(48))},
                   {"last", at(absl::Hours(1))},
                   {"count", 2}}}));
  const Json purchases = {
      {{"product_id", "sku-1"}, {"price", 2.5}, {"quantity", 3}, {"time", at(absl::Hours(2))}},
      {{"product_id", "sku-1"}, {"price", 2.5}, {"quantity", 1}, {"time", at(absl::Hours(1))}},
  };
  EXPECT_EQ(SummariseRecords(purchases, /*purchases=*/true, now),
            (Json{{{"name", "sku-1"},
                   {"first", at(absl::Hours(2))},
                   {"last", at(absl::Hours(1))},
                   {"count", 4}}}));  // quantity 3 counts as 3 purchases
}

TEST(EmulatorExportRulesTest, UserObjectCarriesOnlyRequestedNonEmptyFields) {  // cases 84, 93
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const absl::Time created = now - absl::Hours(24 * 400);
  const std::string recent = FormatDatetime(now - absl::Hours(3));
  const Json profile = {
      {"braze_id", "000000000000000000000001"},
      {"external_id", "u1"},
      {"first_name", "Ada"},
      {"home_city", ""},
      {"current_location", {{"latitude", 41.8}, {"longitude", -87.8}}},
      {"custom_attributes", {{"tier", "gold"}}},
      {"custom_events", {{{"name", "played"}, {"time", recent}, {"properties", {{"x", 1}}}}}},
      {"purchases",
       {{{"product_id", "sku-1"},
         {"price", 2.5},
         {"quantity", 2},
         {"time", recent},
         {"currency", "USD"},
         {"properties", {{"color", "red"}}}}}},
      {"push_tokens", {{{"app_id", "app-1"}, {"token", "t1"}, {"device_id", "device-0001"}}}},
  };
  const Json user = ExportUser(
      profile, created,
      {"external_id", "first_name", "email", "home_city", "custom_attributes", "custom_events",
       "purchases", "created_at", "total_revenue", "last_coordinates", "push_tokens", "devices"},
      now);
  EXPECT_EQ(
      user,
      (Json{{"external_id", "u1"},
            {"first_name", "Ada"},
            {"custom_attributes", {{"tier", "gold"}}},
            {"custom_events",
             {{{"name", "played"}, {"first", recent}, {"last", recent}, {"count", 1}}}},
            {"purchases", {{{"name", "sku-1"}, {"first", recent}, {"last", recent}, {"count", 2}}}},
            {"created_at", FormatDatetime(created)},
            {"total_revenue", 5.0},
            {"last_coordinates", {41.8, -87.8}},
            {"push_tokens", {{{"app", "app-1"}, {"token", "t1"}, {"device_id", "device-0001"}}}}}));
  // No email, empty home_city, no devices: omitted, not null (case 84).
  EXPECT_FALSE(user.contains("email"));
  EXPECT_FALSE(user.contains("home_city"));

  const Json bare = ExportUser({{"braze_id", "b"}, {"custom_attributes", Json::object()}}, created,
                               {"braze_id", "custom_attributes", "custom_events", "purchases",
                                "total_revenue", "random_bucket"},
                               now);
  EXPECT_EQ(bare["braze_id"], "b");
  EXPECT_FALSE(bare.contains("custom_attributes"));
  EXPECT_FALSE(bare.contains("custom_events"));
  EXPECT_FALSE(bare.contains("purchases"));
  EXPECT_FALSE(bare.contains("total_revenue"));
  ASSERT_TRUE(bare.contains("random_bucket"));
  EXPECT_GE(bare["random_bucket"].get<int>(), 0);
  EXPECT_LT(bare["random_bucket"].get<int>(), 10000);
}

}  // namespace
}  // namespace brazesync::emulator
