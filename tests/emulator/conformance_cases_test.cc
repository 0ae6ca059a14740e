// The 76 conformance cases of shared/reference/braze-api.md §6, one test
// each (Case01_... to Case76_...), asserted through the HTTP emulator: the
// status and body Braze answers, errors[], the stored form and alterations
// of each object, and what the profile store holds afterwards. Where Braze's
// outcome is about the client or undocumented, the test asserts what the
// emulator models (docs/braze-rules.md) and says so.
//
// Then the /users/export/ids cases of braze-api-round2.md §5 (Case77_... to
// Case94_...), the "Braze does" column as the emulator answers it. Case 87
// (a renamed external_id) and the identity, trigger and subscription cases
// (95-159) are in identity_endpoints_test.cc, trigger_endpoints_test.cc and
// subscription_endpoints_test.cc.
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/braze_emulator.h"
#include "tests/emulator/datetime_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kValidData[] =
    "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
constexpr char kMaxInput[] = "Max Input Length Exceeded";
constexpr char kIdRequired[] =
    "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
constexpr char kInvalidProperties[] = "Invalid 'properties' field";
constexpr char kGroupId[] = "3c2a8d4e-1111-2222-3333-444455556666";

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

Json Attr(int i) { return {{"external_id", absl::StrCat("user-", i)}, {"first_name", "Ada"}}; }
Json Event(int i) {
  return {{"external_id", absl::StrCat("user-", i)},
          {"name", "played"},
          {"time", "2024-05-01T12:00:00Z"}};
}
Json Purchase(int i) {
  return {{"external_id", absl::StrCat("user-", i)},
          {"product_id", "sku-1"},
          {"currency", "USD"},
          {"price", 9.99},
          {"time", "2024-05-01T12:00:00Z"}};
}
Json Many(Json (*make)(int), int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(make(i));
  return out;
}
Json With(Json base, const Json& patch) {
  base.update(patch);
  return base;
}
Json ExternalId(const std::string& id) { return {{"external_id", id}}; }
Json Alias(const std::string& name) { return {{"alias_name", name}, {"alias_label", "crm"}}; }

class ConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(EmulatorOptions()); }

  void Start(EmulatorOptions options) {
    emulator_.reset();
    emulator_ = std::make_unique<BrazeEmulator>(std::move(options));
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
  }

  httplib::Result Post(const std::string& body, const std::string& path = "/users/track",
                       httplib::Headers headers = {{"Authorization", "Bearer emulator-key"}},
                       const char* content_type = "application/json") {
    httplib::Client client("127.0.0.1", emulator_->port());
    client.set_read_timeout(30);
    return content_type == nullptr ? client.Post(path.c_str(), headers, body, "")
                                   : client.Post(path.c_str(), headers, body, content_type);
  }

  // POSTs `body` and returns {status, parsed response}.
  std::pair<int, Json> Track(const Json& body) {
    auto res = Post(body.dump());
    EXPECT_TRUE(res);
    if (!res) return {0, Json()};
    return {res->status, Json::parse(res->body)};
  }
  // A request that must succeed with no errors[].
  void TrackOk(const Json& body) {
    auto [status, response] = Track(body);
    ASSERT_EQ(status, 201) << response;
    ASSERT_FALSE(response.contains("errors")) << response;
  }
  // One object of `array` that must come back as the only errors[] entry.
  void ExpectObjectError(const char* array, const Json& object, const std::string& type) {
    auto [status, response] = Track({{array, {object}}});
    EXPECT_EQ(status, 400) << response;  // the only object is invalid
    EXPECT_EQ(response["message"], kValidData);
    EXPECT_EQ(response["errors"], (Json{{{"type", type}, {"input_array", array}, {"index", 0}}}));
  }

  std::vector<std::string> AlterationTexts() const {
    std::vector<std::string> out;
    for (const Alteration& a : emulator_->alterations()) out.push_back(a.text);
    return out;
  }
  Json Custom(const std::string& external_id) const {
    return emulator_->profile(ExternalId(external_id)).value_or(Json())["custom_attributes"];
  }

  // POSTs `body` to /users/export/ids and returns {status, parsed response}.
  std::pair<int, Json> Export(const Json& body) {
    auto res = Post(body.dump(), "/users/export/ids");
    EXPECT_TRUE(res);
    if (!res) return {0, Json()};
    return {res->status, Json::parse(res->body)};
  }

  std::unique_ptr<BrazeEmulator> emulator_;
};

TEST_F(ConformanceTest, Case01_76AttributesOnACombinedAccountAre400) {
  auto [status, response] = Track({{"attributes", Many(Attr, 76)}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(response, (Json{{"message", kMaxInput}}));
  EXPECT_TRUE(emulator_->accepted()["attributes"].empty());
  EXPECT_TRUE(emulator_->profiles().empty());
}

TEST_F(ConformanceTest, Case02_225ObjectsOnALegacyAccountAreAccepted) {
  EmulatorOptions legacy;
  legacy.per_array_cap = true;
  Start(legacy);
  auto [status, response] = Track({{"attributes", Many(Attr, 75)},
                                   {"events", Many(Event, 75)},
                                   {"purchases", Many(Purchase, 75)}});
  EXPECT_EQ(status, 201);
  EXPECT_EQ(response, (Json{{"message", "success"},
                            {"attributes_processed", 75},
                            {"events_processed", 75},
                            {"purchases_processed", 75}}));
}

TEST_F(ConformanceTest, Case03_225ObjectsOnACombinedAccountAre400) {
  auto [status, response] = Track({{"attributes", Many(Attr, 75)},
                                   {"events", Many(Event, 75)},
                                   {"purchases", Many(Purchase, 75)}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(response["message"], kMaxInput);
  EXPECT_TRUE(emulator_->profiles().empty());
}

TEST_F(ConformanceTest, Case04_75CombinedAreAccepted) {
  auto [status, response] = Track({{"attributes", Many(Attr, 30)},
                                   {"events", Many(Event, 30)},
                                   {"purchases", Many(Purchase, 15)}});
  EXPECT_EQ(status, 201);
  EXPECT_EQ(response["purchases_processed"], 15);
}

TEST_F(ConformanceTest, Case05_76EventsOnALegacyAccountAre400) {
  EmulatorOptions legacy;
  legacy.per_array_cap = true;
  Start(legacy);
  auto [status, response] = Track({{"events", Many(Event, 76)}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(response["message"], kMaxInput);
}

TEST_F(ConformanceTest, Case06_NoDataIs400) {
  for (const Json& body :
       {Json::object(), Json{{"attributes", Json::array()}, {"events", Json::array()}}}) {
    auto [status, response] = Track(body);
    EXPECT_EQ(status, 400);
    EXPECT_EQ(response, (Json{{"message", kValidData}}));
  }
}

TEST_F(ConformanceTest, Case07_OneEventWithoutIdentifierIsListedTheRestProcessed) {
  Json events = Many(Event, 3);
  events[1].erase("external_id");
  auto [status, response] = Track({{"events", events}});
  EXPECT_EQ(status, 201);
  EXPECT_EQ(response,
            (Json{{"message", "success"},
                  {"events_processed", 2},
                  {"errors", {{{"type", kIdRequired}, {"input_array", "events"}, {"index", 1}}}}}));
  EXPECT_EQ(emulator_->accepted()["events"], (Json{events[0], events[2]}));
}

TEST_F(ConformanceTest, Case08_EveryObjectInvalidIs400WithOneErrorEach) {
  Json event = Event(0);
  event.erase("name");
  auto [status, response] = Track({{"attributes", {{{"first_name", "x"}}}}, {"events", {event}}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(response["message"], kValidData);
  EXPECT_EQ(response["errors"],
            (Json{{{"type", kIdRequired}, {"input_array", "attributes"}, {"index", 0}},
                  {{"type", "'name' is required"}, {"input_array", "events"}, {"index", 0}}}));
}

TEST_F(ConformanceTest, Case09_ExternalIdAndUserAliasRejectThatObjectOnly) {
  auto [status, response] =
      Track({{"attributes", {With(Attr(0), {{"user_alias", Alias("a")}}), Attr(1)}}});
  EXPECT_EQ(status, 201);
  EXPECT_EQ(response["attributes_processed"], 1);
  EXPECT_EQ(response["errors"][0]["index"], 0);
  EXPECT_THAT(response["errors"][0]["type"].get<std::string>(), HasSubstr("Only one"));
  EXPECT_FALSE(emulator_->profile(ExternalId("user-0")).has_value());
  EXPECT_TRUE(emulator_->profile(ExternalId("user-1")).has_value());
}

TEST_F(ConformanceTest, Case10_ExternalIdAndBrazeIdRejectTheObject) {
  ExpectObjectError("attributes", With(Attr(0), {{"braze_id", "b-1"}}),
                    "Only one of 'external_id', 'braze_id' or 'user_alias' may be provided");
}

TEST_F(ConformanceTest, Case11_ExternalIdWithEmailWritesTheEmailAsAnAttribute) {
  TrackOk({{"attributes", {{{"email", "ada@example.com"}, {"first_name", "Email-only"}}}}});
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"email", "ada@example.com"}}}}});
  // A second profile: the e-mail did not look up the e-mail-only one.
  EXPECT_EQ(emulator_->profiles().size(), 2u);
  EXPECT_EQ(emulator_->profile(ExternalId("u1"))->value("email", ""), "ada@example.com");
  EXPECT_FALSE(emulator_->profile(ExternalId("u1"))->contains("first_name"));
  // Lookup by e-mail prefers the profile with an external_id.
  EXPECT_EQ((*emulator_->profile({{"email", "ada@example.com"}}))["external_id"], "u1");
}

TEST_F(ConformanceTest, Case12_EmailAndPhoneLookUpByEmail) {
  TrackOk({{"attributes", {{{"email", "ada@example.com"}, {"first_name", "Ada"}}}}});
  TrackOk({{"attributes", {{{"email", "ada@example.com"}, {"phone", "+15043277269"}}}}});
  ASSERT_EQ(emulator_->profiles().size(), 1u);
  const Json profile = *emulator_->profile({{"email", "ada@example.com"}});
  EXPECT_EQ(profile["phone"], "+15043277269");
  EXPECT_EQ(profile["first_name"], "Ada");
}

TEST_F(ConformanceTest, Case13_AnUnknownEmailCreatesAnEmailOnlyProfile) {
  TrackOk({{"attributes", {{{"email", "new@example.com"}}}}});
  ASSERT_EQ(emulator_->profiles().size(), 1u);
  const Json profile = emulator_->profiles()[0];
  EXPECT_EQ(profile["email"], "new@example.com");
  EXPECT_FALSE(profile.contains("external_id"));
  EXPECT_FALSE(profile.contains("user_aliases"));
}

TEST_F(ConformanceTest, Case14_AnUnknownExternalIdCreatesAProfile) {
  TrackOk({{"attributes", {Attr(7)}}});
  ASSERT_TRUE(emulator_->profile(ExternalId("user-7")).has_value());
  EXPECT_EQ((*emulator_->profile(ExternalId("user-7")))["first_name"], "Ada");
  EXPECT_THAT(AlterationTexts(), IsEmpty());
}

TEST_F(ConformanceTest, Case15_UpdateExistingOnlyChangesNothingForAnUnknownExternalId) {
  TrackOk({{"attributes", {With(Attr(1), {{"_update_existing_only", true}})}}});
  EXPECT_TRUE(emulator_->profiles().empty());
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("_update_existing_only is true")));
  EXPECT_EQ(emulator_->accepted()["attributes"].size(), 1u);  // still "processed"
}

TEST_F(ConformanceTest, Case16_AnUnknownAliasCreatesNothingByDefault) {
  TrackOk({{"attributes", {{{"user_alias", Alias("a")}, {"first_name", "x"}}}}});
  EXPECT_TRUE(emulator_->profiles().empty());
  EXPECT_THAT(AlterationTexts(),
              ElementsAre("no profile has this user_alias and _update_existing_only is not "
                          "false: nothing is created"));
}

TEST_F(ConformanceTest, Case17_AnUnknownAliasWithUpdateExistingOnlyFalseIsCreated) {
  TrackOk(
      {{"attributes",
        {{{"user_alias", Alias("a")}, {"_update_existing_only", false}, {"first_name", "x"}}}}});
  const auto profile = emulator_->profile({{"user_alias", Alias("a")}});
  ASSERT_TRUE(profile.has_value());
  EXPECT_EQ((*profile)["user_aliases"], Json::array({Alias("a")}));
  EXPECT_FALSE(profile->contains("external_id"));
}

TEST_F(ConformanceTest, Case18_AnEventForAnUnknownAliasIsNotRecorded) {
  const Json event = {{"user_alias", Alias("a")},
                      {"_update_existing_only", false},
                      {"name", "played"},
                      {"time", "2024-05-01T12:00:00Z"}};
  TrackOk({{"events", {event}}});
  EXPECT_TRUE(emulator_->profiles().empty());
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("nothing is recorded")));
  // Create the alias first, then the event is recorded.
  TrackOk({{"attributes", {{{"user_alias", Alias("a")}, {"_update_existing_only", false}}}}});
  TrackOk({{"events", {event}}});
  EXPECT_EQ((*emulator_->profile({{"user_alias", Alias("a")}}))["custom_events"].size(), 1u);
}

TEST_F(ConformanceTest, Case19_ExternalIdOf988BytesIsTooLarge) {
  ExpectObjectError("attributes", {{"external_id", Repeat("€", 329) + "x"}},
                    "EXTERNAL_USER_ID_TOO_LARGE");
  TrackOk({{"attributes", {{{"external_id", Repeat("€", 329)}}}}});  // 987 bytes
}

TEST_F(ConformanceTest, Case20_AliasNameOf237BytesOrEmptyIsRejected) {
  const std::string type =
      "'user_alias' must be an object with non-empty 'alias_name' and 'alias_label' strings of "
      "at most 236 bytes";
  ExpectObjectError("attributes", {{"user_alias", Alias(Repeat("€", 79))}}, type);
  ExpectObjectError("attributes", {{"user_alias", Alias("")}}, type);
}

TEST_F(ConformanceTest, Case21_ABlocklistedExternalIdIsRejected) {
  // Braze's list is unpublished; the workspace under test names its dummies.
  EmulatorOptions options;
  options.blocked_external_ids = {"undefined", "null"};
  Start(options);
  ExpectObjectError("attributes", ExternalId("undefined"), "BLACKLISTED_EXTERNAL_USER_ID");
}

TEST_F(ConformanceTest, Case22_AnInvalidEmailIsRejected) {
  ExpectObjectError("attributes", {{"email", "not-an-email"}},
                    "The value provided for the 'email' field is not a valid email.");
}

TEST_F(ConformanceTest, Case23_BadEmailSubscribe) {
  ExpectObjectError("attributes", With(Attr(0), {{"email_subscribe", "yes"}}),
                    "BAD_EMAIL_SUBSCRIPTION_STATE");
}

TEST_F(ConformanceTest, Case24_BadPushSubscribe) {
  ExpectObjectError("attributes", With(Attr(0), {{"push_subscribe", "opted_out"}}),
                    "BAD_PUSH_SUBSCRIPTION_STATE");
}

TEST_F(ConformanceTest, Case25_SubscriptionGroupsNotAnArray) {
  ExpectObjectError(
      "attributes",
      With(Attr(0),
           {{"subscription_groups",
             {{"subscription_group_id", kGroupId}, {"subscription_state", "subscribed"}}}}),
      "BAD_SUBSCRIPTION_GROUP_ARRAY");
}

TEST_F(ConformanceTest, Case26_SubscriptionGroupWithoutState) {
  ExpectObjectError(
      "attributes",
      With(Attr(0), {{"subscription_groups", {{{"subscription_group_id", kGroupId}}}}}),
      "BAD_SUBSCRIPTION_GROUP_HASH");
}

TEST_F(ConformanceTest, Case27_SubscriptionGroupIdNotAUuid) {
  ExpectObjectError(
      "attributes",
      With(Attr(0), {{"subscription_groups",
                      {{{"subscription_group_id", "abc"}, {"subscription_state", "subscribed"}}}}}),
      "BAD_SUBSCRIPTION_GROUP_ID");
}

TEST_F(ConformanceTest, Case28_SubscriptionStateOptedIn) {
  ExpectObjectError(
      "attributes",
      With(Attr(0),
           {{"subscription_groups",
             {{{"subscription_group_id", kGroupId}, {"subscription_state", "opted_in"}}}}}),
      "BAD_SUBSCRIPTION_GROUP_STATE");
  TrackOk({{"attributes",
            {With(Attr(0), {{"subscription_groups",
                             {{{"subscription_group_id", kGroupId},
                               {"subscription_state", "subscribed"}}}}})}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["subscription_groups"][kGroupId],
            "subscribed");
}

TEST_F(ConformanceTest, Case29_LocationWithoutLongitude) {
  ExpectObjectError("attributes", With(Attr(0), {{"current_location", {{"latitude", 40.7}}}}),
                    "BAD_LOCATION_UPDATE");
}

TEST_F(ConformanceTest, Case30_PushTokenImportWithExternalId) {
  ExpectObjectError("attributes",
                    With(Attr(0), {{"push_token_import", true},
                                   {"push_tokens", {{{"app_id", "x"}, {"token", "t"}}}}}),
                    "BAD_PUSH_TOKEN_IMPORT");
}

TEST_F(ConformanceTest, Case31_ShortDeviceId) {
  ExpectObjectError(
      "attributes",
      With(Attr(0), {{"push_tokens", {{{"app_id", "x"}, {"token", "t"}, {"device_id", "abc"}}}}}),
      "BAD_DEVICE_ID");
}

TEST_F(ConformanceTest, Case32_TokenNotAString) {
  ExpectObjectError("attributes",
                    With(Attr(0), {{"push_tokens", {{{"app_id", "x"}, {"token", 123}}}}}),
                    "BAD_PUSH_TOKEN_STRING");
}

TEST_F(ConformanceTest, Case33_AnAppIdFromAnotherWorkspace) {
  EmulatorOptions options;
  options.push_app_ids = {"our-app"};
  Start(options);
  ExpectObjectError("attributes",
                    With(Attr(0), {{"push_tokens", {{{"app_id", "their-app"}, {"token", "t"}}}}}),
                    "BAD_PUSH_TOKEN_APP_ID");
  TrackOk({{"attributes",
            {With(Attr(0), {{"push_tokens", {{{"app_id", "our-app"}, {"token", "t"}}}}})}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["push_tokens"].size(), 1u);
}

TEST_F(ConformanceTest, Case34_EmailSubscriptionInfo) {
  ExpectObjectError("attributes", With(Attr(0), {{"email_subscription_info", {{"a", 1}}}}),
                    "INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO");
}

TEST_F(ConformanceTest, Case35_GenderOutsideMFONP) {
  // Braze's outcome is undocumented; the emulator models a rejection.
  for (const char* gender : {"X", "male"}) {
    ExpectObjectError("attributes", With(Attr(0), {{"gender", gender}}),
                      "'gender' must be one of \"M\", \"F\", \"O\", \"N\", \"P\" or null");
  }
}

TEST_F(ConformanceTest, Case36_ACountryNameIsMappedToItsCode) {
  TrackOk({{"attributes", {With(Attr(0), {{"country", "Australia"}})}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["country"], "AU");
  EXPECT_EQ(emulator_->stored()["attributes"][0]["country"], "AU");
  EXPECT_EQ(emulator_->accepted()["attributes"][0]["country"], "Australia");
  EXPECT_THAT(AlterationTexts(), ElementsAre("country: \"Australia\" is mapped to \"AU\""));
}

TEST_F(ConformanceTest, Case37_AnUnmappableCountryWipesTheStoredOne) {
  TrackOk({{"attributes", {With(Attr(0), {{"country", "FR"}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"country", "Narnia"}})}}});
  EXPECT_FALSE(emulator_->profile(ExternalId("user-0"))->contains("country"));
  const std::vector<Alteration> alterations = emulator_->alterations();
  ASSERT_EQ(alterations.size(), 1u);
  EXPECT_EQ(alterations[0].text,
            "country: \"Narnia\" is not a country; Braze sets country to null");
  EXPECT_EQ(alterations[0].array, "attributes");
  EXPECT_EQ(alterations[0].index, 0u);
}

TEST_F(ConformanceTest, Case38_AnUnknownTimeZoneIsIgnored) {
  TrackOk({{"attributes", {With(Attr(0), {{"time_zone", "America/New_York"}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"time_zone", "Mars/Base"}})}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["time_zone"], "America/New_York");
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("time_zone: \"Mars/Base\"")));
}

TEST_F(ConformanceTest, Case39_AUsFormatDobIsNotSet) {
  // Braze documents the format; the emulator models "not set" (braze-rules.md).
  TrackOk({{"attributes", {With(Attr(0), {{"dob", "12/21/1980"}})}}});
  EXPECT_FALSE(emulator_->profile(ExternalId("user-0"))->contains("dob"));
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("not a YYYY-MM-DD date")));
}

TEST_F(ConformanceTest, Case40_A300CharacterStringIsNotApplied) {
  TrackOk({{"attributes", {With(Attr(0), {{"motto", "old"}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"motto", Repeat("é", 300)}})}}});
  EXPECT_EQ(Custom("user-0")["motto"], "old");
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("not applied")));
}

TEST_F(ConformanceTest, Case41_An600ValueArrayKeepsTheNewest500) {
  Json values = Json::array();
  for (int i = 0; i < 600; ++i) values.push_back(absl::StrCat("v", i));
  TrackOk({{"attributes", {With(Attr(0), {{"tags", values}})}}});
  const Json tags = Custom("user-0")["tags"];
  ASSERT_EQ(tags.size(), 500u);
  EXPECT_EQ(tags[0], "v100");
  EXPECT_EQ(tags[499], "v599");
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("drops the oldest 100")));
}

TEST_F(ConformanceTest, Case42_DuplicateArrayValuesAreStoredOnce) {
  TrackOk({{"attributes", {With(Attr(0), {{"tags", {"a", "a", "b"}}})}}});
  EXPECT_EQ(Custom("user-0")["tags"], (Json{"a", "b"}));
  EXPECT_EQ(emulator_->stored()["attributes"][0]["tags"], (Json{"a", "b"}));
}

TEST_F(ConformanceTest, Case43_AddingAPresentValueMovesItToTheEnd) {
  TrackOk({{"attributes", {With(Attr(0), {{"tags", {"a", "b"}}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"tags", {{"add", {"a"}}}}})}}});
  EXPECT_EQ(Custom("user-0")["tags"], (Json{"b", "a"}));
  EXPECT_THAT(AlterationTexts(), IsEmpty());
}

TEST_F(ConformanceTest, Case44_NegativeIncDecrements) {
  TrackOk({{"attributes", {With(Attr(0), {{"score", 10}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"score", {{"inc", -3}}}})}}});
  EXPECT_EQ(Custom("user-0")["score"], 7);
}

TEST_F(ConformanceTest, Case45_ANonIntegerIncIsRejected) {
  // Braze says integers only; the emulator models a rejection (braze-rules.md).
  ExpectObjectError("attributes", With(Attr(0), {{"score", {{"inc", 2.5}}}}),
                    "'score': 'inc' must be an integer");
}

TEST_F(ConformanceTest, Case46_NullRemovesAnAttribute) {
  TrackOk({{"attributes", {With(Attr(0), {{"my_attr", "x"}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"my_attr", nullptr}})}}});
  EXPECT_FALSE(Custom("user-0").contains("my_attr"));
}

TEST_F(ConformanceTest, Case47_NullDoesNotRemoveTheExternalId) {
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"email", "u1@example.com"}}}}});
  TrackOk({{"attributes", {{{"external_id", nullptr}, {"email", "u1@example.com"}}}}});
  EXPECT_EQ((*emulator_->profile({{"email", "u1@example.com"}}))["external_id"], "u1");
  EXPECT_EQ(emulator_->stored()["attributes"][1], (Json{{"email", "u1@example.com"}}));
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("Braze ignores it")));
}

TEST_F(ConformanceTest, Case48_AnEmptyStringDoesNotClearABoolean) {
  TrackOk({{"attributes", {With(Attr(0), {{"vip", true}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"vip", ""}})}}});
  // Not removed: only null clears (the emulator keeps no attribute types).
  EXPECT_TRUE(Custom("user-0").contains("vip"));
  TrackOk({{"attributes", {With(Attr(0), {{"vip", nullptr}})}}});
  EXPECT_FALSE(Custom("user-0").contains("vip"));
}

TEST_F(ConformanceTest, Case49_AnUnparseableDateIsStoredAsAString) {
  TrackOk({{"attributes", {With(Attr(0), {{"last_seen", "Mar 26 2026 06:12 PM +00:00"}})}}});
  EXPECT_EQ(Custom("user-0")["last_seen"], "Mar 26 2026 06:12 PM +00:00");
  EXPECT_THAT(AlterationTexts(), IsEmpty());
}

TEST_F(ConformanceTest, Case50_AYearAbove3000IsStoredAsAString) {
  TrackOk({{"attributes", {With(Attr(0), {{"far", "3500-01-01"}})}}});
  EXPECT_EQ(Custom("user-0")["far"], "3500-01-01");
}

TEST_F(ConformanceTest, Case51_ABadNestedTimeDropsEveryNestedUpdateInTheRequest) {
  TrackOk({{"attributes",
            {With(Attr(0), {{"song", {{"released", {{"$time", "bad"}}}}}, {"plain", 1}}),
             With(Attr(1), {{"pets", {{{"id", 1}}}}, {"car", {{"make", "x"}}}})}}});
  EXPECT_EQ(Custom("user-0"), (Json{{"plain", 1}}));
  EXPECT_EQ(Custom("user-1"), Json::object());
  EXPECT_EQ(emulator_->alterations().size(), 3u);
  EXPECT_THAT(AlterationTexts()[0], HasSubstr("song.released.$time: \"bad\" does not parse"));
}

TEST_F(ConformanceTest, Case52_NestedKeysWithDotOrDollarAreNotStored) {
  for (const char* key : {"a.b", "$x"}) {
    emulator_->Reset();
    TrackOk({{"attributes", {With(Attr(0), {{"obj", {{key, 1}}}})}}});
    EXPECT_FALSE(Custom("user-0").contains("obj")) << key;
    EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("contains '.', '$' or a space")));
  }
}

TEST_F(ConformanceTest, Case53_ANestedObjectWithoutMergeReplacesTheStoredOne) {
  TrackOk({{"attributes", {With(Attr(0), {{"song", {{"title", "x"}, {"year", 1959}}}})}}});
  TrackOk({{"attributes", {With(Attr(0), {{"song", {{"year", 1960}}}})}}});
  EXPECT_EQ(Custom("user-0")["song"], (Json{{"year", 1960}}));
  TrackOk(
      {{"attributes", {With(Attr(0), {{"_merge_objects", true}, {"song", {{"title", "y"}}}})}}});
  EXPECT_EQ(Custom("user-0")["song"], (Json{{"title", "y"}, {"year", 1960}}));
}

TEST_F(ConformanceTest, Case54_AnAddThatPushesAnArrayOfObjectsOver100KbIsDiscarded) {
  Json pets = Json::array();
  for (int i = 0; i < 300; ++i) pets.push_back({{"id", i}, {"bio", Repeat("x", 240)}});
  TrackOk({{"attributes", {With(Attr(0), {{"pets", pets}})}}});  // ~77 KB
  ASSERT_EQ(Custom("user-0")["pets"].size(), 300u);
  TrackOk({{"attributes", {With(Attr(0), {{"pets", {{"$add", pets}}}})}}});
  EXPECT_EQ(Custom("user-0")["pets"].size(), 300u);
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("keeps its old value")));
}

TEST_F(ConformanceTest, Case55_AnEventWithoutTimeIsRejected) {
  Json event = Event(0);
  event.erase("time");
  ExpectObjectError("events", event, "'time' is required");
}

TEST_F(ConformanceTest, Case56_AnEventWithoutNameIsRejected) {
  Json event = Event(0);
  event.erase("name");
  ExpectObjectError("events", event, "'name' is required");
}

TEST_F(ConformanceTest, Case57_AFutureTimeIsRecordedAsNow) {
  const absl::Time before = absl::Now();
  const std::string future = FormatDatetime(before + absl::Hours(24 * 365));
  TrackOk({{"events", {With(Event(0), {{"time", future}})}}});
  const absl::Time after = absl::Now();
  const std::string recorded =
      (*emulator_->profile(ExternalId("user-0")))["custom_events"][0]["time"];
  const absl::Time at = ParseDatetime(recorded)->time;
  EXPECT_GE(at, before - absl::Milliseconds(1));
  EXPECT_LE(at, after);
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("is in the future")));
}

TEST_F(ConformanceTest, Case58_ATimeWithoutZoneIsUtc) {
  TrackOk({{"events", {With(Event(0), {{"time", "2024-01-01T10:00:00"}})}}});
  EXPECT_EQ(emulator_->stored()["events"][0]["time"], "2024-01-01T10:00:00");
  EXPECT_THAT(AlterationTexts(), IsEmpty());
  EXPECT_EQ(ParseDatetime("2024-01-01T10:00:00")->time,
            absl::FromCivil(absl::CivilSecond(2024, 1, 1, 10, 0, 0), absl::UTCTimeZone()));
}

TEST_F(ConformanceTest, Case59_ReservedOrDollarPropertyKeysAreRejected) {
  for (const char* key : {"$price", "time", "event_name"}) {
    ExpectObjectError("events", With(Event(0), {{"properties", {{key, 1}}}}), kInvalidProperties);
  }
}

TEST_F(ConformanceTest, Case60_300PropertiesKeepTheFirst256) {
  Json properties = Json::object();
  for (int i = 0; i < 300; ++i) properties[absl::StrCat("p", 100 + i)] = i;
  TrackOk({{"events", {With(Event(0), {{"properties", properties}})}}});
  const Json recorded = (*emulator_->profile(ExternalId("user-0")))["custom_events"][0];
  EXPECT_EQ(recorded["properties"].size(), 256u);
  EXPECT_THAT(AlterationTexts(), ElementsAre(HasSubstr("keeps the first 256")));
}

TEST_F(ConformanceTest, Case61_PropertiesOver100KbAreRejected) {
  Json properties = Json::object();
  for (int i = 0; i < 500; ++i) properties[absl::StrCat("p", i)] = {Repeat("x", 250)};
  ExpectObjectError("events", With(Event(0), {{"properties", properties}}), kInvalidProperties);
}

TEST_F(ConformanceTest, Case62_TheSameEventTwiceIsRecordedTwice) {
  TrackOk({{"events", {Event(0), Event(0)}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["custom_events"].size(), 2u);
}

TEST_F(ConformanceTest, Case63_QuantityOutOfRangeOrNotANumber) {
  for (const Json& quantity : {Json(101), Json("abc")}) {
    ExpectObjectError("purchases", With(Purchase(0), {{"quantity", quantity}}),
                      "'quantity' is not valid");
  }
}

TEST_F(ConformanceTest, Case64_QuantityDefaultsTo1) {
  TrackOk({{"purchases", {Purchase(0)}}});
  EXPECT_EQ((*emulator_->profile(ExternalId("user-0")))["purchases"][0]["quantity"], 1);
  EXPECT_EQ(emulator_->stored()["purchases"][0], Purchase(0));  // as sent
}

TEST_F(ConformanceTest, Case65_AnUnknownCurrency) {
  ExpectObjectError("purchases", With(Purchase(0), {{"currency", "XYZ"}}),
                    "'currency' must be an ISO 4217 currency");
}

TEST_F(ConformanceTest, Case66_PurchaseWithoutPriceOrProductId) {
  Json no_price = Purchase(0);
  no_price.erase("price");
  ExpectObjectError("purchases", no_price, "'price' is required");
  Json no_product = Purchase(0);
  no_product.erase("product_id");
  ExpectObjectError("purchases", no_product, "'product_id' is required");
}

TEST_F(ConformanceTest, Case67_APurchasePropertyNamedPrice) {
  ExpectObjectError("purchases", With(Purchase(0), {{"properties", {{"price", 1}}}}),
                    kInvalidProperties);
}

TEST_F(ConformanceTest, Case68_BadAuthorizationIs401) {
  for (const httplib::Headers& headers :
       {httplib::Headers{{"Authorization", "Bearer \"emulator-key\""}},
        httplib::Headers{{"Authorization", "emulator-key"}},
        httplib::Headers{{"Authorization", "Bearer another-workspace-key"}}}) {
    auto res = Post(Json{{"attributes", {Attr(0)}}}.dump(), "/users/track", headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(Json::parse(res->body)["message"], "Invalid API Key");
  }
}

TEST_F(ConformanceTest, Case69_AKeyWithoutUsersTrackIs403) {
  EmulatorOptions options;
  options.track_permission = false;
  Start(options);
  auto [status, response] = Track({{"attributes", {Attr(0)}}});
  EXPECT_EQ(status, 403);
  EXPECT_EQ(response["message"], "Access Denied");
  EXPECT_TRUE(emulator_->profiles().empty());
}

TEST_F(ConformanceTest, Case70_ATrailingSlashIs403) {
  auto res = Post(Json{{"attributes", {Attr(0)}}}.dump(), "/users/track/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_TRUE(emulator_->profiles().empty());
}

TEST_F(ConformanceTest, Case71_NoContentTypeIs415) {
  auto res = Post(Json{{"attributes", {Attr(0)}}}.dump(), "/users/track",
                  {{"Authorization", "Bearer emulator-key"}}, nullptr);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
}

TEST_F(ConformanceTest, Case72_ATrailingCommaIs400) {
  auto res = Post(R"({"attributes":[{"external_id":"u1"},]})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Json::parse(res->body)["message"],
            "Error while parsing request body. Please check your syntax.");
}

TEST_F(ConformanceTest, Case73_A5MbBodyIs413) {
  auto res = Post(Json{{"attributes", {With(Attr(0), {{"big", Repeat("x", 5'000'000)}})}}}.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(emulator_->profiles().empty());
}

TEST_F(ConformanceTest, Case74_ABurstOverTheLimitIs429) {
  EmulatorOptions options;
  options.rate_limit_requests = 2;
  options.rate_limit_window = absl::Hours(1);  // the test cannot outlive the window
  Start(options);
  EXPECT_EQ(Track({{"attributes", {Attr(0)}}}).first, 201);
  EXPECT_EQ(Track({{"attributes", {Attr(1)}}}).first, 201);
  auto res = Post(Json{{"attributes", {Attr(2)}}}.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), "0");
  EXPECT_FALSE(emulator_->profile(ExternalId("user-2")).has_value());
}

TEST_F(ConformanceTest, Case75_A503IsNotReplayedByBraze) {
  Faults faults;
  faults.fail_next = 1;
  faults.fail_next_status = 503;
  emulator_->SetFaults(faults);
  EXPECT_EQ(Track({{"attributes", {Attr(0)}}}).first, 503);
  EXPECT_TRUE(emulator_->profiles().empty());                // nothing applied, nothing replayed
  EXPECT_EQ(Track({{"attributes", {Attr(0)}}}).first, 201);  // the client's retry
  EXPECT_EQ(emulator_->profiles().size(), 1u);
}

TEST_F(ConformanceTest, Case76_AValidMixedRequest) {
  auto [status, response] = Track({{"attributes", Many(Attr, 2)},
                                   {"events", Many(Event, 1)},
                                   {"purchases", Many(Purchase, 1)}});
  EXPECT_EQ(status, 201);
  EXPECT_EQ(response, (Json{{"message", "success"},
                            {"attributes_processed", 2},
                            {"events_processed", 1},
                            {"purchases_processed", 1}}));
  EXPECT_EQ(emulator_->stored(), emulator_->accepted());
  EXPECT_THAT(AlterationTexts(), IsEmpty());
  EXPECT_EQ(emulator_->profiles().size(), 2u);
}

// ---------------------------------------------------------------------------
// POST /users/export/ids: braze-api-round2.md §5, cases 77-94.

Json ExternalIds(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("user-", i));
  return out;
}
Json Aliases(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(Alias(absl::StrCat("alias-", i)));
  return out;
}
constexpr char kTooManyIds[] =
    "The max number of external_ids and aliases per request was exceeded";

TEST_F(ConformanceTest, Case77_FiftyOneExternalIdsAre400) {
  auto [status, response] =
      Export({{"external_ids", ExternalIds(51)}, {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(response, (Json{{"message", kTooManyIds}}));
  EXPECT_EQ(
      Export({{"external_ids", ExternalIds(50)}, {"fields_to_export", {"external_id"}}}).first,
      200);
}

TEST_F(ConformanceTest, Case78_ThirtyIdsAndThirtyAliasesShareTheCap) {
  auto [status, response] = Export({{"external_ids", ExternalIds(30)},
                                    {"user_aliases", Aliases(30)},
                                    {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 400);  // INF: one combined cap, as the error's wording implies
  EXPECT_EQ(response["message"], kTooManyIds);
}

TEST_F(ConformanceTest, Case79_EmailAndPhoneInOneLookupAre400) {
  // Braze's answer is UNCONFIRMED; the emulator refuses with a 400.
  auto [status, response] = Export({{"email_address", "a@example.com"},
                                    {"phone", "+15555550123"},
                                    {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 400);
  EXPECT_THAT(response["message"].get<std::string>(), HasSubstr("Only one of"));
}

TEST_F(ConformanceTest, Case80_NoFieldsToExportOnANewWorkspaceIs400) {
  TrackOk({{"attributes", {With(Attr(0), {{"tier", "gold"}})}}});
  auto [status, response] = Export({{"external_ids", {"user-0"}}});
  EXPECT_EQ(status, 400);  // error text UNCONFIRMED
  EXPECT_THAT(response["message"].get<std::string>(), HasSubstr("'fields_to_export'"));

  EmulatorOptions legacy;  // onboarded before 2024-08-22: every field
  legacy.require_fields_to_export = false;
  Start(legacy);
  TrackOk({{"attributes", {With(Attr(0), {{"tier", "gold"}})}}});
  auto [legacy_status, legacy_response] = Export({{"external_ids", {"user-0"}}});
  EXPECT_EQ(legacy_status, 200);
  EXPECT_EQ(legacy_response["users"][0]["first_name"], "Ada");
  EXPECT_EQ(legacy_response["users"][0]["custom_attributes"], (Json{{"tier", "gold"}}));
}

TEST_F(ConformanceTest, Case81_OneCustomAttributeIsNotAField) {
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"loyaltyPoints"}}});
  EXPECT_EQ(status, 400);  // wording UNCONFIRMED; it names the field
  EXPECT_THAT(response["message"].get<std::string>(), HasSubstr("'loyaltyPoints'"));
}

TEST_F(ConformanceTest, Case82_CanvasesReceivedIsValidButUsesTheSlowBudget) {
  EmulatorOptions options;
  options.export_fast_requests_per_second = 40;
  Start(options);
  auto res =
      Post(Json{{"external_ids", {"user-0"}}, {"fields_to_export", {"email", "canvases_received"}}}
               .dump(),
           "/users/export/ids");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "250");  // the per-minute budget
  res = Post(Json{{"external_ids", {"user-0"}}, {"fields_to_export", {"email"}}}.dump(),
             "/users/export/ids");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "40");  // the fast one
  EXPECT_EQ(emulator_->stats().export_fast_requests, 1u);
}

TEST_F(ConformanceTest, Case83_AnUnknownExternalIdIsListedInInvalidUserIds) {
  TrackOk({{"attributes", {Attr(0)}}});
  auto [status, response] = Export(
      {{"external_ids", {"user-0", "unknown_external_id"}}, {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"], (Json{ExternalId("user-0")}));
  EXPECT_EQ(response["invalid_user_ids"], (Json{"unknown_external_id"}));
}

TEST_F(ConformanceTest, Case84_MissingValuesAreOmittedKeys) {
  TrackOk({{"attributes",
            {{{"user_alias", Alias("anon")},
              {"_update_existing_only", false},
              {"home_city", "Oslo"}}}}});
  auto [status, response] = Export({{"user_aliases", {Alias("anon")}},
                                    {"fields_to_export", {"external_id", "email", "home_city"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"], (Json{{{"home_city", "Oslo"}}}));  // no "email": null
}

TEST_F(ConformanceTest, Case85_CreatedAtIsIso8601) {
  // Braze sends either "2020-07-10 15:00:00.000 UTC" or ISO 8601; the
  // emulator sends ISO 8601 (the documented format).
  const absl::Time before = absl::Now() - absl::Seconds(1);
  TrackOk({{"attributes", {Attr(0)}}});
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"created_at"}}});
  EXPECT_EQ(status, 200);
  const std::string created_at = response["users"][0]["created_at"];
  EXPECT_EQ(created_at.back(), 'Z');
  ASSERT_TRUE(ParseDatetime(created_at).has_value());
  EXPECT_GE(ParseDatetime(created_at)->time, before);
}

TEST_F(ConformanceTest, Case86_LastCoordinatesFollowBrazesSample) {
  TrackOk(
      {{"attributes",
        {With(Attr(0), {{"current_location", {{"latitude", 41.84}, {"longitude", -87.83}}}})}}});
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"last_coordinates"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"][0]["last_coordinates"], (Json{41.84, -87.83}));  // (lat, lon)
}

TEST_F(ConformanceTest, Case88_AFreshWriteIsNotVisibleWithinTheLag) {
  EmulatorOptions options;
  options.export_lag = absl::Minutes(10);  // the test cannot outlive it
  Start(options);
  TrackOk({{"attributes", {Attr(0)}}});
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"first_name"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"], Json::array());
  EXPECT_EQ(response["invalid_user_ids"], (Json{"user-0"}));
  EXPECT_TRUE(emulator_->profile(ExternalId("user-0")).has_value());  // stored all the same
}

TEST_F(ConformanceTest, Case89_OverTheMinuteBudgetIs429) {
  EmulatorOptions options;
  options.export_rate_limit_window = absl::Hours(1);  // the test cannot outlive the window
  Start(options);
  const Json body = {{"external_ids", {"user-0"}}, {"fields_to_export", {"email"}}};
  for (int i = 0; i < 250; ++i) ASSERT_EQ(Export(body).first, 200) << i;
  EXPECT_EQ(Export(body).first, 429);
  EXPECT_EQ(emulator_->stats().export_rate_limited, 1u);
}

TEST_F(ConformanceTest, Case90_The429CarriesAnEpochReset) {
  EmulatorOptions options;
  options.export_rate_limit_requests = 1;
  options.export_rate_limit_window = absl::Hours(1);
  Start(options);
  const std::string body =
      Json{{"external_ids", {"user-0"}}, {"fields_to_export", {"email"}}}.dump();
  ASSERT_EQ(Post(body, "/users/export/ids")->status, 200);
  auto res = Post(body, "/users/export/ids");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), "0");
  int64_t reset = 0;
  ASSERT_TRUE(absl::SimpleAtoi(res->get_header_value("X-RateLimit-Reset"), &reset));
  EXPECT_GT(reset, 1'000'000'000);  // UTC epoch seconds, not seconds left
  EXPECT_GE(reset, absl::ToUnixSeconds(absl::Now()) + 3500);
}

TEST_F(ConformanceTest, Case91_ASharedEmailReturnsEveryProfile) {
  TrackOk({{"attributes",
            {With(Attr(0), {{"email", "shared@example.com"}}),
             With(Attr(1), {{"email", "shared@example.com"}})}}});
  auto [status, response] =
      Export({{"email_address", "shared@example.com"}, {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 200);  // INF: Braze's answer is UNCONFIRMED
  EXPECT_EQ(response["users"], (Json{ExternalId("user-0"), ExternalId("user-1")}));
}

TEST_F(ConformanceTest, Case92_AliasLookupIsCaseSensitive) {
  TrackOk({{"attributes", {{{"user_alias", Alias("Bob@x")}, {"_update_existing_only", false}}}}});
  auto [status, response] =
      Export({{"user_aliases", {Alias("bob@x")}}, {"fields_to_export", {"user_aliases"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"], Json::array());
  EXPECT_EQ(Export({{"user_aliases", {Alias("Bob@x")}}, {"fields_to_export", {"user_aliases"}}})
                .second["users"],
            (Json{{{"user_aliases", {Alias("Bob@x")}}}}));
}

TEST_F(ConformanceTest, Case93_OnlyNinetyDaySummariesOfEventsAndPurchases) {
  const std::string recent = FormatDatetime(absl::Now() - absl::Hours(1));
  const std::string old = FormatDatetime(absl::Now() - absl::Hours(24 * 100));
  TrackOk(
      {{"events",
        {With(Event(0), {{"time", recent}, {"properties", {{"level", 3}}}}),
         With(Event(0), {{"time", old}})}},
       {"purchases", {With(Purchase(0), {{"time", recent}, {"properties", {{"size", "L"}}}})}}});
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"custom_events", "purchases"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(response["users"][0]["custom_events"],
            (Json{{{"name", "played"}, {"first", recent}, {"last", recent}, {"count", 1}}}));
  EXPECT_EQ(response["users"][0]["purchases"],
            (Json{{{"name", "sku-1"}, {"first", recent}, {"last", recent}, {"count", 1}}}));
}

TEST_F(ConformanceTest, Case94_AKeyWithoutUsersExportIdsIs401) {
  EmulatorOptions options;
  options.export_permission = false;
  Start(options);
  auto [status, response] =
      Export({{"external_ids", {"user-0"}}, {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 401);
  EXPECT_EQ(response["message"], "Access Denied");
  TrackOk({{"attributes", {Attr(0)}}});  // other endpoints keep working
}

}  // namespace
}  // namespace brazesync::emulator
