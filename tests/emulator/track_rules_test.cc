// Unit tests for the emulator's pure track rules (track_rules.h and the
// per-area files under it): each rule of docs/braze-rules.md at its
// boundaries (255 vs 256 characters with multi-byte text, 987 vs 988 bytes,
// 256 vs 257 properties, 100 KB, ...), judged through JudgeTrackBody exactly
// as the HTTP emulator does, plus the datetime parser and reference lists.
#include "tests/emulator/track_rules.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/datetime_syntax.h"
#include "tests/emulator/reference_lists.h"
#include "tests/emulator/value_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());

TrackRules Rules() {
  TrackRules rules;
  rules.now = kNow;
  return rules;
}

// n copies of a string (multi-byte strings count one character each).
std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

ObjectVerdict Judge(const char* array, const Json& object, const TrackRules& rules = Rules()) {
  const BodyVerdict verdict = JudgeTrackBody(Json{{array, Json::array({object})}}.dump(), rules);
  EXPECT_EQ(verdict.objects.count(array), 1u) << verdict.response.dump();
  if (verdict.objects.count(array) == 0) return ObjectVerdict();
  return verdict.objects.at(array).at(0);
}
ObjectVerdict Attr(const Json& fields) {
  Json object = {{"external_id", "u1"}};
  object.update(fields);
  return Judge("attributes", object);
}
Json Event(const Json& fields = Json::object()) {
  Json object = {{"external_id", "u1"}, {"name", "played"}, {"time", "2025-05-01T12:00:00Z"}};
  object.update(fields);
  return object;
}
Json Purchase(const Json& fields = Json::object()) {
  Json object = {{"external_id", "u1"},
                 {"product_id", "sku"},
                 {"currency", "USD"},
                 {"price", 1.5},
                 {"time", "2025-05-01T12:00:00Z"}};
  object.update(fields);
  return object;
}

// Stored exactly as sent, no alteration.
void ExpectAsSent(const ObjectVerdict& v, const Json& sent) {
  EXPECT_EQ(v.fate, Fate::kStored) << v.error;
  EXPECT_EQ(v.stored, sent);
  EXPECT_THAT(v.alterations, IsEmpty());
}
void ExpectAttrAsSent(const Json& fields) {
  Json object = {{"external_id", "u1"}};
  object.update(fields);
  ExpectAsSent(Judge("attributes", object), object);
}
void ExpectRejected(const ObjectVerdict& v, const std::string& type) {
  EXPECT_EQ(v.fate, Fate::kRejected);
  EXPECT_EQ(v.error, type);
}
// Stored, with `key` absent from the stored form and one alteration naming it.
void ExpectKeyDropped(const ObjectVerdict& v, const std::string& key) {
  EXPECT_EQ(v.fate, Fate::kStored) << v.error;
  EXPECT_FALSE(v.stored.contains(key)) << v.stored.dump();
  ASSERT_EQ(v.alterations.size(), 1u);
  EXPECT_THAT(v.alterations[0], HasSubstr(key.substr(0, 20)));
}

// --- datetime syntax -----------------------------------------------------

TEST(DatetimeSyntaxTest, AcceptsTheDocumentedShapes) {
  for (const char* text :
       {"2024-05-01", "2024-05-01T12:34:56", "2024-05-01t12:34:56", "2024-05-01 12:34:56",
        "2024-05-01T12:34:56Z", "2024-05-01T12:34:56.789Z", "2024-05-01T12:34:56.1+01:00",
        "2024-05-01T12:34:56-23:59", "05/01/2024", "2024-02-29", "0000-01-01", "9999-12-31"}) {
    EXPECT_TRUE(ParseDatetime(text).has_value()) << text;
  }
}

TEST(DatetimeSyntaxTest, RefusesEverythingElse) {
  for (const char* text :
       {"", "2024-5-1", "2023-02-29", "2024-13-01", "2024-05-32", "2024-05-01T24:00:00",
        "2024-05-01T12:34", "2024-05-01T12:34:56.", "2024-05-01T12:34:56z",
        "2024-05-01T12:34:56+0100", "2024-05-01T12:34:56+24:00", "2024-05-01T12:34:56:789Z",
        " 2024-05-01", "2024-05-01 ", "13/01/2024", "Mar 26 2026 06:12 PM +00:00", "bad",
        "2024-05-01X12:34:56"}) {
    EXPECT_FALSE(ParseDatetime(text).has_value()) << text;
  }
}

TEST(DatetimeSyntaxTest, NoZoneIsUtcAndOffsetsShift) {  // case #58
  EXPECT_EQ(ParseDatetime("2024-01-01T10:00:00")->time,
            absl::FromCivil(absl::CivilSecond(2024, 1, 1, 10, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(ParseDatetime("2024-01-01T10:00:00+01:00")->time,
            absl::FromCivil(absl::CivilSecond(2024, 1, 1, 9, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(ParseDatetime("3500-01-01")->year, 3500);
  EXPECT_EQ(FormatDatetime(ParseDatetime("2024-05-01T12:34:56.789Z")->time),
            "2024-05-01T12:34:56.789Z");
}

TEST(DatetimeSyntaxTest, CalendarDateForDob) {
  EXPECT_TRUE(IsCalendarDate("1980-12-21"));
  EXPECT_TRUE(IsCalendarDate("0001-01-01"));
  EXPECT_TRUE(IsCalendarDate("2024-02-29"));
  EXPECT_FALSE(IsCalendarDate("0000-01-01"));
  EXPECT_FALSE(IsCalendarDate("2023-02-29"));
  EXPECT_FALSE(IsCalendarDate("12/21/1980"));
  EXPECT_FALSE(IsCalendarDate("1980-12-21T00:00:00"));
}

// --- value syntax and reference lists ------------------------------------

TEST(ValueSyntaxTest, CountsCharactersNotBytes) {
  EXPECT_EQ(CharCount("abc"), 3u);
  EXPECT_EQ(CharCount("é€😀"), 3u);
}

TEST(ValueSyntaxTest, EmailAsBrazeRulesWordsIt) {
  for (const char* ok : {"a@example.com", "first.last+tag@sub.example.co", "ü@example.de",
                         "a@xn--80ak6aa92e.xn--p1ai", "a@b.io"}) {
    EXPECT_TRUE(IsValidEmail(ok)) << ok;
  }
  for (const char* bad :
       {"not-an-email", "a,b@example.com", "a b@example.com", "a@example", "@example.com",
        "a@@example.com", "a@b@example.com", "a@example..com", "a@.example.com", "a@example.c",
        "a@example.c0m", "a@example.xn--", "a\t@example.com", "a@example.com "}) {
    EXPECT_FALSE(IsValidEmail(bad)) << bad;
  }
  const std::string at_254 = Repeat("a", 64) + "@" + Repeat("b", 185) + ".com";
  ASSERT_EQ(at_254.size(), 254u);
  EXPECT_TRUE(IsValidEmail(at_254));
  EXPECT_FALSE(IsValidEmail("a" + at_254));
}

TEST(ValueSyntaxTest, E164Is7To15DigitsNotStartingWithZero) {
  EXPECT_TRUE(IsE164("+2902222"));            // 7 digits (St Helena)
  EXPECT_TRUE(IsE164("+123456789012345"));    // 15
  EXPECT_FALSE(IsE164("+290222"));            // 6
  EXPECT_FALSE(IsE164("+1234567890123456"));  // 16
  EXPECT_FALSE(IsE164("+0123456789"));
  EXPECT_FALSE(IsE164("15043277269"));
  EXPECT_FALSE(IsE164("+1 504 327 7269"));
}

TEST(ValueSyntaxTest, TimeZonesAreIanaNamesOnly) {
  EXPECT_TRUE(IsIanaTimeZone("America/New_York"));
  EXPECT_TRUE(IsIanaTimeZone("UTC"));
  EXPECT_TRUE(IsIanaTimeZone("Etc/GMT+12"));
  for (const char* bad : {"Mars/Base", "localtime", "Fixed/UTC+01:00", "/etc/localtime",
                          "../zoneinfo/UTC", "", " UTC", "America/New York"}) {
    EXPECT_FALSE(IsIanaTimeZone(bad)) << bad;
  }
}

TEST(ReferenceListsTest, Countries) {
  EXPECT_TRUE(IsCountryCode("AU"));
  EXPECT_FALSE(IsCountryCode("au"));
  EXPECT_FALSE(IsCountryCode("UK"));
  EXPECT_FALSE(IsCountryCode("XK"));
  EXPECT_EQ(MapCountry("Australia"), "AU");
  EXPECT_EQ(MapCountry("united states of america"), "US");
  EXPECT_EQ(MapCountry("gb"), "GB");
  EXPECT_EQ(MapCountry("Narnia"), std::nullopt);
}

TEST(ReferenceListsTest, LanguagesCurrenciesAndRailsZones) {
  EXPECT_TRUE(IsLanguageCode("en"));
  EXPECT_FALSE(IsLanguageCode("EN"));
  EXPECT_FALSE(IsLanguageCode("fil"));
  EXPECT_EQ(CurrencyCodeCount(), 159);
  for (const char* ok : {"USD", "EUR", "VED", "ZWG", "XCG", "ANG", "SLL", "ZWL"}) {
    EXPECT_TRUE(IsCurrencyCode(ok)) << ok;
  }
  for (const char* bad : {"usd", "XYZ", "XAU", "XDR", "BOV", "CUC", "XTS", "XXX", "CLF"}) {
    EXPECT_FALSE(IsCurrencyCode(bad)) << bad;
  }
  EXPECT_TRUE(IsRailsTimeZoneName("Eastern Time (US & Canada)"));
  EXPECT_TRUE(IsRailsTimeZoneName("Kyiv"));
  EXPECT_TRUE(IsRailsTimeZoneName("Kyev"));
  EXPECT_FALSE(IsRailsTimeZoneName("eastern time (us & canada)"));
}

// --- request level --------------------------------------------------------

TEST(TrackRulesRequestTest, CombinedAndPerArrayCaps) {
  Json attrs = Json::array();
  for (int i = 0; i < 75; ++i) attrs.push_back({{"external_id", absl::StrCat("u", i)}});
  Json body = {{"attributes", attrs}};
  EXPECT_EQ(JudgeTrackBody(body.dump(), Rules()).status, 201);
  body["events"] = Json::array({Event()});
  BodyVerdict over = JudgeTrackBody(body.dump(), Rules());
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.response, (Json{{"message", "Max Input Length Exceeded"}}));
  EXPECT_TRUE(over.objects.empty());
  TrackRules legacy = Rules();
  legacy.per_array_cap = true;
  EXPECT_EQ(JudgeTrackBody(body.dump(), legacy).status, 201);
}

TEST(TrackRulesRequestTest, BodySizeIsCheckedFirst) {
  TrackRules rules = Rules();
  const std::string body = Json{{"events", Json::array({Event()})}}.dump();
  rules.max_body_bytes = body.size();
  EXPECT_EQ(JudgeTrackBody(body, rules).status, 201);
  rules.max_body_bytes = body.size() - 1;
  EXPECT_EQ(JudgeTrackBody(body, rules).status, 413);
}

TEST(TrackRulesRequestTest, ParseErrorsAndNoData) {
  EXPECT_EQ(JudgeTrackBody(R"({"attributes":[{"external_id":"u"},]})", Rules()).response["message"],
            "Error while parsing request body. Please check your syntax.");
  EXPECT_EQ(JudgeTrackBody("[]", Rules()).status, 400);
  for (const char* body : {"{}", R"({"attributes":[],"events":[]})", R"({"events":{}})"}) {
    const BodyVerdict v = JudgeTrackBody(body, Rules());
    EXPECT_EQ(v.status, 400) << body;
    EXPECT_EQ(v.response["message"],
              "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.");
  }
}

TEST(TrackRulesRequestTest, EveryObjectInvalidIs400WithEachError) {
  const BodyVerdict v =
      JudgeTrackBody(Json{{"events", {Event({{"name", ""}}), {{"name", "x"}}}}}.dump(), Rules());
  EXPECT_EQ(v.status, 400);
  ASSERT_EQ(v.response["errors"].size(), 2u);
  EXPECT_EQ(v.response["errors"][1]["index"], 1);
  ASSERT_EQ(v.objects.at("events").size(), 2u);
}

// --- identifiers -----------------------------------------------------------

TEST(IdentifierRulesTest, ExternalIdIsCountedInBytes) {  // 987 / 988
  ExpectAsSent(Judge("attributes", {{"external_id", Repeat("€", 329)}}),
               {{"external_id", Repeat("€", 329)}});
  ExpectRejected(Judge("attributes", {{"external_id", Repeat("€", 329) + "x"}}),
                 "EXTERNAL_USER_ID_TOO_LARGE");
}

TEST(IdentifierRulesTest, AliasPartsAreCountedInBytes) {  // 236 / 237
  const Json ok = {{"user_alias", {{"alias_name", Repeat("€", 78) + "xx"}, {"alias_label", "l"}}}};
  ExpectAsSent(Judge("attributes", ok), ok);
  for (const Json& alias :
       {Json{{"alias_name", Repeat("€", 79)}, {"alias_label", "l"}},
        Json{{"alias_name", ""}, {"alias_label", "l"}}, Json{{"alias_name", "n"}}}) {
    EXPECT_EQ(Judge("attributes", {{"user_alias", alias}}).fate, Fate::kRejected) << alias;
  }
}

TEST(IdentifierRulesTest, OnePrimaryAndSomeIdentifier) {
  ExpectRejected(Judge("events", Event({{"braze_id", "b"}})),
                 "Only one of 'external_id', 'braze_id' or 'user_alias' may be provided");
  Json anonymous = Event();
  anonymous.erase("external_id");
  ExpectRejected(Judge("events", anonymous),
                 "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required");
  ExpectAsSent(Judge("events", Event({{"email", "a@example.com"}})),
               Event({{"email", "a@example.com"}}));
}

TEST(IdentifierRulesTest, NullExternalIdIsIgnored) {  // case #47
  const ObjectVerdict v = Judge("attributes", {{"external_id", nullptr}, {"email", "a@b.io"}});
  EXPECT_EQ(v.fate, Fate::kStored);
  EXPECT_EQ(v.stored, (Json{{"email", "a@b.io"}}));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("external_id: null")));
}

TEST(IdentifierRulesTest, BlockedExternalIds) {
  TrackRules rules = Rules();
  rules.blocked_external_ids = {"undefined"};
  ExpectRejected(Judge("attributes", {{"external_id", "undefined"}}, rules),
                 "BLACKLISTED_EXTERNAL_USER_ID");
  EXPECT_EQ(Judge("attributes", {{"external_id", "undefined"}}).fate, Fate::kStored);
}

TEST(IdentifierRulesTest, PhoneNotE164IsStoredWithAnAlteration) {
  ExpectAttrAsSent({{"phone", "+2902222"}});
  const ObjectVerdict v = Attr({{"phone", "06 12 34 56 78"}});
  EXPECT_EQ(v.fate, Fate::kStored);
  EXPECT_EQ(v.stored["phone"], "06 12 34 56 78");
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("not E.164")));
  ExpectRejected(Attr({{"phone", 33612345678}}),
                 "The value provided for the 'phone' field is not a valid phone number.");
}

// --- standard fields -------------------------------------------------------

TEST(StandardFieldRulesTest, StringFieldsAre255Characters) {
  for (const char* key : {"first_name", "last_name", "home_city", "image_url"}) {
    ExpectAttrAsSent({{key, Repeat("é", 255)}});
    ExpectKeyDropped(Attr({{key, Repeat("é", 256)}}), key);
    ExpectRejected(Attr({{key, 42}}), absl::StrCat("'", key, "' must be a string"));
    ExpectAttrAsSent({{key, nullptr}});
  }
}

TEST(StandardFieldRulesTest, Email) {
  ExpectAttrAsSent({{"email", "a@example.com"}});
  ExpectRejected(Attr({{"email", "a,b@example.com"}}),
                 "The value provided for the 'email' field is not a valid email.");
}

TEST(StandardFieldRulesTest, SubscriptionStatesCannotBeCleared) {
  for (const char* state : {"opted_in", "subscribed", "unsubscribed"}) {
    ExpectAttrAsSent({{"email_subscribe", state}, {"push_subscribe", state}});
  }
  ExpectRejected(Attr({{"email_subscribe", nullptr}}), "BAD_EMAIL_SUBSCRIPTION_STATE");
  ExpectRejected(Attr({{"push_subscribe", nullptr}}), "BAD_PUSH_SUBSCRIPTION_STATE");
  ExpectRejected(Attr({{"email_subscribe", "Subscribed"}}), "BAD_EMAIL_SUBSCRIPTION_STATE");
}

TEST(StandardFieldRulesTest, SubscriptionGroups) {
  const std::string id = "3c2a8d4e-1111-2222-3333-444455556666";
  ExpectAttrAsSent({{"subscription_groups",
                     {{{"subscription_group_id", id},
                       {"subscription_state", "subscribed"},
                       {"use_double_opt_in_logic", true}}}}});
  ExpectRejected(Attr({{"subscription_groups",
                        {{{"subscription_group_id", id},
                          {"subscription_state", "subscribed"},
                          {"use_double_opt_in_logic", "yes"}}}}}),
                 "BAD_SUBSCRIPTION_GROUP_HASH");
  ExpectRejected(Attr({{"subscription_groups", {"x"}}}), "BAD_SUBSCRIPTION_GROUP_HASH");
}

TEST(StandardFieldRulesTest, Location) {
  ExpectAttrAsSent({{"current_location", {{"latitude", -90}, {"longitude", 180}}}});
  ExpectAttrAsSent({{"current_location", nullptr}});
  ExpectRejected(Attr({{"current_location", {{"latitude", 90.5}, {"longitude", 0}}}}),
                 "BAD_LOCATION_UPDATE");
  ExpectRejected(Attr({{"current_location", {{"latitude", "1"}, {"longitude", 0}}}}),
                 "BAD_LOCATION_UPDATE");
}

TEST(StandardFieldRulesTest, Gender) {
  for (const char* g : {"M", "F", "O", "N", "P"}) ExpectAttrAsSent({{"gender", g}});
  ExpectAttrAsSent({{"gender", nullptr}});
  for (const char* g : {"X", "male", "m"}) {
    EXPECT_EQ(Attr({{"gender", g}}).fate, Fate::kRejected) << g;
  }
}

TEST(StandardFieldRulesTest, CountryIsMappedOrWiped) {
  ExpectAttrAsSent({{"country", "AU"}});
  for (const auto& [sent, code] : std::vector<std::pair<std::string, std::string>>{
           {"Australia", "AU"}, {"au", "AU"}, {"FRANCE", "FR"}, {"Viet Nam", "VN"}}) {
    const ObjectVerdict v = Attr({{"country", sent}});
    EXPECT_EQ(v.stored["country"], code) << sent;
    EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("is mapped to"))) << sent;
  }
  const ObjectVerdict narnia = Attr({{"country", "Narnia"}});
  EXPECT_EQ(narnia.fate, Fate::kStored);
  EXPECT_TRUE(narnia.stored["country"].is_null());
  EXPECT_THAT(narnia.alterations,
              ElementsAre("country: \"Narnia\" is not a country; Braze sets country to null"));
}

TEST(StandardFieldRulesTest, LanguageTimeZoneDob) {
  ExpectAttrAsSent({{"language", "pt"}, {"time_zone", "America/Sao_Paulo"}, {"dob", "1980-12-21"}});
  ExpectAttrAsSent({{"time_zone", "Eastern Time (US & Canada)"}});
  ExpectKeyDropped(Attr({{"language", "pt-BR"}}), "language");
  ExpectKeyDropped(Attr({{"language", "EN"}}), "language");
  ExpectKeyDropped(Attr({{"time_zone", "Mars/Base"}}), "time_zone");
  ExpectKeyDropped(Attr({{"time_zone", "localtime"}}), "time_zone");
  ExpectKeyDropped(Attr({{"time_zone", "Fixed/UTC+01:00"}}), "time_zone");
  ExpectKeyDropped(Attr({{"dob", "12/21/1980"}}), "dob");
  ExpectKeyDropped(Attr({{"dob", "2023-02-29"}}), "dob");
  ExpectRejected(Attr({{"dob", 19801221}}), "'dob' must be a string");
}

TEST(StandardFieldRulesTest, NewerStandardFields) {
  ExpectAttrAsSent({{"date_of_first_session", "2024-05-01T12:34:56.789Z"},
                    {"date_of_last_session", "2024-05-02"},
                    {"marked_email_as_spam_at", nullptr},
                    {"email_open_tracking_disabled", true},
                    {"email_click_tracking_disabled", false},
                    {"facebook", {{"id", "f"}, {"likes", {"a"}}, {"num_friends", 3}}},
                    {"twitter", {{"id", 7}, {"screen_name", "s"}, {"followers_count", 1}}}});
  ExpectKeyDropped(Attr({{"date_of_first_session", "yesterday"}}), "date_of_first_session");
  ExpectKeyDropped(Attr({{"marked_email_as_spam_at", 1714567890}}), "marked_email_as_spam_at");
  EXPECT_EQ(Attr({{"email_open_tracking_disabled", "true"}}).fate, Fate::kRejected);
  EXPECT_EQ(Attr({{"_update_existing_only", nullptr}}).fate, Fate::kRejected);
  EXPECT_EQ(Attr({{"facebook", {{"id", 1}}}}).fate, Fate::kRejected);
  EXPECT_EQ(Attr({{"twitter", {{"id", "7"}}}}).fate, Fate::kRejected);
  EXPECT_EQ(Attr({{"twitter", {{"bio", "x"}}}}).fate, Fate::kRejected);
  ExpectKeyDropped(Attr({{"bio", "hello"}}), "bio");
}

TEST(StandardFieldRulesTest, PushTokens) {
  TrackRules rules = Rules();
  rules.push_app_ids = {"app-1"};
  const Json token = {{"app_id", "app-1"}, {"token", "t"}, {"device_id", "12345678"}};
  const Json object = {{"external_id", "u1"}, {"push_tokens", {token}}};
  ExpectAsSent(Judge("attributes", object, rules), object);
  Json other = object;
  other["push_tokens"][0]["app_id"] = "app-2";
  ExpectRejected(Judge("attributes", other, rules), "BAD_PUSH_TOKEN_APP_ID");
  EXPECT_EQ(Judge("attributes", other).fate, Fate::kStored);  // no list: any app_id
  other["push_tokens"][0]["device_id"] = Repeat("d", 256);
  ExpectRejected(Judge("attributes", other), "BAD_DEVICE_ID");
  ExpectRejected(Attr({{"push_tokens", {{"app_id", "a"}}}}), "BAD_PUSH_TOKEN_VALUE");
  const Json import = {{"user_alias", {{"alias_name", "n"}, {"alias_label", "l"}}},
                       {"push_token_import", true},
                       {"push_tokens", {token}}};
  ExpectAsSent(Judge("attributes", import), import);
  ExpectRejected(Judge("attributes", {{"push_token_import", true}}), "BAD_PUSH_TOKEN_IMPORT");
  const Json bare = {{"push_token_import", true}, {"push_tokens", {token}}};
  ExpectAsSent(Judge("attributes", bare), bare);
}

// --- custom attributes -------------------------------------------------------

TEST(CustomAttributeRulesTest, Keys) {
  ExpectAttrAsSent({{Repeat("ключ", 63) + "abc", 1}});  // 255 characters
  for (const std::string& key : {Repeat("ключ", 64), std::string("a.b"), std::string("$x")}) {
    ExpectKeyDropped(Attr({{key, 1}}), key);
  }
  // A standard field name is the standard field; a differently cased one is custom.
  ExpectAttrAsSent({{"First_Name", 42}});
}

TEST(CustomAttributeRulesTest, StringsAre255Characters) {
  ExpectAttrAsSent({{"nick", Repeat("😀", 255)}});
  ExpectKeyDropped(Attr({{"nick", Repeat("😀", 256)}}), "nick");
  ExpectAttrAsSent({{"nick", ""}, {"n", 2.5}, {"b", false}, {"gone", nullptr}});
  ExpectAttrAsSent({{"last_seen", "Mar 26 2026 06:12 PM +00:00"}, {"far", "3500-01-01"}});
}

TEST(CustomAttributeRulesTest, ArraysAreDedupedCappedAndSized) {
  Json values = Json::array();
  for (int i = 0; i < 500; ++i) values.push_back(absl::StrCat("v", i));
  ExpectAttrAsSent({{"tags", values}});
  values.push_back("v500");
  ObjectVerdict v = Attr({{"tags", values}});
  ASSERT_EQ(v.stored["tags"].size(), 500u);
  EXPECT_EQ(v.stored["tags"][0], "v1");  // the oldest is dropped
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("drops the oldest 1")));

  v = Attr({{"tags", {"a", "a", "b"}}});
  EXPECT_EQ(v.stored["tags"], (Json{"a", "b"}));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("duplicate")));

  ExpectKeyDropped(Attr({{"tags", {Repeat("é", 256)}}}), "tags");
  Json big = Json::array();
  for (int i = 0; i < 450; ++i) big.push_back(absl::StrCat(Repeat("x", 250), i));
  ExpectKeyDropped(Attr({{"tags", big}}), "tags");  // ~115 KB
}

TEST(CustomAttributeRulesTest, IncAddRemove) {
  ExpectAttrAsSent({{"score", {{"inc", -3}}}});
  ExpectRejected(Attr({{"score", {{"inc", 2.5}}}}), "'score': 'inc' must be an integer");
  ExpectAttrAsSent({{"tags", {{"add", {"a"}}, {"remove", {"b"}}}}});
  ExpectAttrAsSent({{"tags", {{"remove", {"b"}}}}});
  const ObjectVerdict v = Attr({{"tags", {{"add", {"a", "a"}}}}});
  EXPECT_EQ(v.stored["tags"], (Json{{"add", {"a"}}}));
  EXPECT_EQ(v.alterations.size(), 1u);
}

TEST(CustomAttributeRulesTest, NestedObjectsThatAreValid) {
  ExpectAttrAsSent({{"song",
                     {{"title", "x"},
                      {"released", {{"$time", "1960-01-01"}}},
                      {"charts", {{{"year", 1960}}, {{"year", {{"$time", "3000-12-31"}}}}}},
                      {"tags", {"a", "b"}}}}});
  ExpectAttrAsSent({{"pets", {{{"id", 1}, {"type", "dog"}}}}});
  ExpectAttrAsSent({{"pets", {{"$add", {{{"id", 3}}}}}}});
  ExpectAttrAsSent(
      {{"pets", {{"$remove", {{{"$identifier_key", "id"}, {"$identifier_value", 1}}}}}}});
  ExpectAttrAsSent({{"_merge_objects", true},
                    {"pets",
                     {{"$update",
                       {{{"$identifier_key", "id"},
                         {"$identifier_value", "4"},
                         {"$new_object", {{"breed", "goldfish"}}}}}}}}});
}

TEST(CustomAttributeRulesTest, OneBadNestedValueDropsEveryNestedUpdateInTheRequest) {  // #51
  const std::vector<Json> bad = {
      {{"$time", "bad"}},
      {{"d", {{"$time", "3001-01-01"}}}},
      {{"d", {{"$time", nullptr}}}},
      {{"d", {{"$time", "2024-01-01"}, {"x", 1}}}},
      {{"a b", 1}},
      {{"a.b", 1}},
      {{"$x", 1}},
      {{"", 1}},
      {{"grid", {{1, 2}, {3, 4}}}},
      {{"s", Repeat("é", 256)}},
      {{"$add", {{{"id", 1}}}}, {"$remove", Json::array()}},
      {{"$remove", {{{"$identifier_key", "id"}}}}},
      {{"$update", {{{"$identifier_key", "id"}, {"$identifier_value", 1}}}}},
      {{"$add", {1}}},
      {{"$add", Json::array()}},
      {{"$remove", {{{"$identifier_key", "a.b"}, {"$identifier_value", 1}}}}},
      {{"$remove", {{{"$identifier_key", "id"}, {"$identifier_value", Repeat("é", 256)}}}}},
      {{"$remove", {{{"$identifier_key", "id"}, {"$identifier_value", true}}}}},
  };
  for (const Json& value : bad) {
    const Json body = {{"attributes",
                        {{{"external_id", "u1"}, {"n", value}, {"plain", "kept"}},
                         {{"external_id", "u2"}, {"other", {{"ok", 1}}}, {"list", {{{"k", 1}}}}},
                         {{"external_id", "u3"}, {"score", {{"inc", 1}}}}}}};
    const BodyVerdict v = JudgeTrackBody(body.dump(), Rules());
    ASSERT_EQ(v.status, 201) << value;
    const auto& objects = v.objects.at("attributes");
    EXPECT_EQ(objects[0].stored, (Json{{"external_id", "u1"}, {"plain", "kept"}})) << value;
    EXPECT_EQ(objects[1].stored, (Json{{"external_id", "u2"}})) << value;
    EXPECT_EQ(objects[1].alterations.size(), 2u) << value;
    ExpectAsSent(objects[2], body["attributes"][2]);  // inc is not a nested update
  }
}

TEST(CustomAttributeRulesTest, AnArrayOfObjectsHoldsOnlyObjects) {
  const BodyVerdict v = JudgeTrackBody(Json{{"attributes",
                                             {{{"external_id", "u1"}, {"pets", {{{"id", 1}}, 2}}},
                                              {{"external_id", "u2"}, {"car", {{"make", "x"}}}}}}}
                                           .dump(),
                                       Rules());
  EXPECT_EQ(v.objects.at("attributes")[0].stored, (Json{{"external_id", "u1"}}));
  EXPECT_EQ(v.objects.at("attributes")[1].stored, (Json{{"external_id", "u2"}}));
  EXPECT_THAT(v.objects.at("attributes")[0].alterations,
              ElementsAre(HasSubstr("every element must be an object")));
}

TEST(CustomAttributeRulesTest, AddAndRemoveOfTheSameValueOrOfNothing) {
  ObjectVerdict v = Attr({{"tags", {{"add", {"a", "b"}}, {"remove", {"b"}}}}});
  EXPECT_EQ(v.stored["tags"], (Json{{"add", {"a", "b"}}, {"remove", {"b"}}}));
  EXPECT_THAT(v.alterations, ElementsAre("tags: \"b\" is in both add and remove; the emulator "
                                         "applies add, then remove"));
  v = Attr({{"tags", {{"add", Json::array()}, {"remove", Json::array()}}}});
  EXPECT_FALSE(v.stored.contains("tags"));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("nothing changes")));
}

TEST(StandardFieldRulesTest, PushTokensCannotBeCleared) {
  ExpectRejected(Attr({{"push_tokens", nullptr}}), "BAD_PUSH_TOKEN_VALUE");
  ExpectRejected(Attr({{"subscription_groups", nullptr}}), "BAD_SUBSCRIPTION_GROUP_ARRAY");
}

TEST(CustomAttributeRulesTest, ANestedUpdateOver100KbIsDiscardedAlone) {
  Json items = Json::array();
  for (int i = 0; i < 450; ++i) items.push_back({{"k", Repeat("x", 240)}});
  const ObjectVerdict v = Attr({{"big", items}, {"small", {{"ok", 1}}}});
  EXPECT_EQ(v.stored, (Json{{"external_id", "u1"}, {"small", {{"ok", 1}}}}));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("100 KB")));
}

// --- events -------------------------------------------------------------------

TEST(EventRulesTest, NameIs255Characters) {
  ExpectAsSent(Judge("events", Event({{"name", Repeat("é", 255)}})),
               Event({{"name", Repeat("é", 255)}}));
  ExpectRejected(Judge("events", Event({{"name", Repeat("é", 256)}})),
                 "'name' must be at most 255 characters");
  ExpectRejected(Judge("events", Event({{"name", 3}})), "'name' must be a non-empty string");
}

TEST(EventRulesTest, TimeFormatsAndTheFuture) {
  for (const char* t :
       {"2025-05-01", "05/01/2025", "2025-05-01 10:00:00", "2025-12-31T23:59:59Z"}) {
    ExpectAsSent(Judge("events", Event({{"time", t}})), Event({{"time", t}}));
  }
  ExpectRejected(Judge("events", Event({{"time", "yesterday"}})), "'time' is not a valid time");
  ExpectRejected(Judge("events", Event({{"time", 1714567890}})), "'time' is not a valid time");
  const ObjectVerdict future = Judge("events", Event({{"time", "2027-01-01T00:00:00Z"}}));
  EXPECT_EQ(future.fate, Fate::kStored);
  EXPECT_EQ(future.stored["time"], "2026-01-01T00:00:00.000Z");
  EXPECT_THAT(future.alterations, ElementsAre(HasSubstr("in the future")));
}

TEST(EventRulesTest, PropertyKeys) {
  ExpectAsSent(Judge("events", Event({{"properties", {{Repeat("ü", 255), 1}}}})),
               Event({{"properties", {{Repeat("ü", 255), 1}}}}));
  for (const Json& properties :
       {Json{{Repeat("ü", 256), 1}}, Json{{"$price", 1}}, Json{{"time", 1}},
        Json{{"event_name", "x"}}, Json{{"", 1}}, Json{{"o", {{"$deep", 1}}}}, Json("x")}) {
    ExpectRejected(Judge("events", Event({{"properties", properties}})),
                   "Invalid 'properties' field");
  }
  // Purchase-only reserved keys are fine on events.
  ExpectAsSent(Judge("events", Event({{"properties", {{"price", 1}}}})),
               Event({{"properties", {{"price", 1}}}}));
}

TEST(EventRulesTest, MoreThan256PropertiesKeepsTheFirst256Sent) {
  // Keys sent in descending order, so "first sent" differs from sorted order.
  nlohmann::ordered_json properties;
  for (int i = 257; i >= 1; --i) properties[absl::StrCat("k", 1000 + i)] = i;
  nlohmann::ordered_json event = {
      {"external_id", "u1"}, {"name", "e"}, {"time", "2025-01-01"}, {"properties", properties}};
  const BodyVerdict v = JudgeTrackBody(nlohmann::ordered_json{{"events", {event}}}.dump(), Rules());
  const ObjectVerdict& o = v.objects.at("events")[0];
  ASSERT_EQ(o.fate, Fate::kStored);
  EXPECT_EQ(o.stored["properties"].size(), 256u);
  EXPECT_FALSE(o.stored["properties"].contains("k1001"));  // the last sent
  EXPECT_TRUE(o.stored["properties"].contains("k1257"));
  EXPECT_THAT(o.alterations, ElementsAre(HasSubstr("first 256")));

  Json exactly = Json::object();
  for (int i = 0; i < 256; ++i) exactly[absl::StrCat("k", i)] = i;
  ExpectAsSent(Judge("events", Event({{"properties", exactly}})), Event({{"properties", exactly}}));
}

TEST(EventRulesTest, PropertyValues) {
  ExpectAsSent(Judge("events", Event({{"properties", {{"s", Repeat("é", 255)}}}})),
               Event({{"properties", {{"s", Repeat("é", 255)}}}}));
  ObjectVerdict v =
      Judge("events", Event({{"properties", {{"s", Repeat("é", 256)}, {"t", "kept"}}}}));
  EXPECT_EQ(v.stored["properties"], (Json{{"t", "kept"}}));
  EXPECT_EQ(v.alterations.size(), 1u);
  v = Judge("events", Event({{"properties", {{"dates", {"2024-05-01T00:00:00Z"}}}}}));
  EXPECT_EQ(v.stored, Event({{"properties", {{"dates", {"2024-05-01T00:00:00Z"}}}}}));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("plain string")));
  ExpectAsSent(Judge("events", Event({{"properties", {{"when", "2024-05-01T00:00:00Z"}}}})),
               Event({{"properties", {{"when", "2024-05-01T00:00:00Z"}}}}));
}

TEST(EventRulesTest, PropertiesOver100KbAreRejected) {
  // {"p":"xxx..."} is 8 bytes of JSON around the string.
  const Json fits = {{"p", Repeat("x", 102'400 - 8)}};
  ASSERT_EQ(JsonBytes(fits), 102'400u);
  // Over 255 characters, so the property is dropped, but the size is judged first.
  EXPECT_EQ(Judge("events", Event({{"properties", fits}})).fate, Fate::kStored);
  ExpectRejected(Judge("events", Event({{"properties", {{"p", Repeat("x", 102'400 - 7)}}}})),
                 "Invalid 'properties' field");
}

// --- purchases ------------------------------------------------------------------

TEST(PurchaseRulesTest, ProductIdIs255Characters) {
  ExpectAsSent(Judge("purchases", Purchase({{"product_id", Repeat("ü", 255)}})),
               Purchase({{"product_id", Repeat("ü", 255)}}));
  ExpectRejected(Judge("purchases", Purchase({{"product_id", Repeat("ü", 256)}})),
                 "'product_id' is not valid");
  ExpectRejected(Judge("purchases", Purchase({{"product_id", ""}})), "'product_id' is not valid");
}

TEST(PurchaseRulesTest, CurrencyPriceQuantity) {
  ExpectAsSent(Judge("purchases", Purchase({{"currency", "VED"}})),
               Purchase({{"currency", "VED"}}));
  for (const char* bad : {"usd", "XAU", "XYZ"}) {
    ExpectRejected(Judge("purchases", Purchase({{"currency", bad}})),
                   "'currency' must be an ISO 4217 currency");
  }
  ExpectRejected(Judge("purchases", Purchase({{"price", "1"}})), "'price' is not valid");
  for (int q : {1, 100}) {
    ExpectAsSent(Judge("purchases", Purchase({{"quantity", q}})), Purchase({{"quantity", q}}));
  }
  for (const Json& q : {Json(0), Json(101), Json(1.5), Json("abc")}) {
    ExpectRejected(Judge("purchases", Purchase({{"quantity", q}})), "'quantity' is not valid");
  }
}

TEST(PurchaseRulesTest, PropertiesReservedKeysAnd50Kb) {
  for (const char* key : {"time", "product_id", "quantity", "event_name", "price", "currency"}) {
    ExpectRejected(Judge("purchases", Purchase({{"properties", {{key, 1}}}})),
                   "Invalid 'properties' field");
  }
  Json fits = Json::object();
  for (int i = 0; i < 255; ++i) fits[absl::StrCat("k", 100 + i)] = Repeat("x", 190);
  ASSERT_LT(JsonBytes(fits), 51'200u);
  ExpectAsSent(Judge("purchases", Purchase({{"properties", fits}})),
               Purchase({{"properties", fits}}));
  fits["k999"] = Repeat("x", 51'200 - JsonBytes(fits));
  ExpectRejected(Judge("purchases", Purchase({{"properties", fits}})),
                 "Invalid 'properties' field");
}

// --- eCommerce recommended events ---------------------------------------------------

Json Product() {
  return {{"product_id", "sku"},
          {"product_name", "Shoe"},
          {"variant_id", "v1"},
          {"quantity", 1},
          {"price", 9.5}};
}
Json OrderPlaced() {
  return Event({{"name", "ecommerce.order_placed"},
                {"properties",
                 {{"order_id", "o1"},
                  {"total_value", 9.5},
                  {"currency", "USD"},
                  {"products", {Product()}},
                  {"source", "web"},
                  {"metadata", {{"order_number", "1001"}}}}}});
}

TEST(EcommerceRulesTest, AValidEventIsStored) {
  ExpectAsSent(Judge("events", OrderPlaced()), OrderPlaced());
  const Json viewed = Event({{"name", "ecommerce.product_viewed"},
                             {"properties",
                              {{"product_id", "sku"},
                               {"product_name", "Shoe"},
                               {"variant_id", "v1"},
                               {"price", 0},
                               {"currency", "EUR"},
                               {"source", "ios"},
                               {"type", {"price_drop"}}}}});
  ExpectAsSent(Judge("events", viewed), viewed);
  Json cart = OrderPlaced();
  cart["name"] = "ecommerce.cart_updated";
  cart["properties"].erase("order_id");
  cart["properties"]["cart_id"] = "c1";
  cart["properties"]["action"] = "remove";
  cart["properties"]["products"][0]["quantity"] = 0;
  ExpectAsSent(Judge("events", cart), cart);
}

TEST(EcommerceRulesTest, SchemaViolationsAreRejected) {
  std::vector<std::pair<std::string, Json>> patches = {
      {"order_id", nullptr},     {"currency", "usd"},         {"total_value", -1},
      {"source", "  "},          {"products", Json::array()}, {"tags", "vip"},
      {"metadata", {{"$x", 1}}}, {"discounts", {1}},          {"total_value", "9.5"},
  };
  for (const auto& [key, value] : patches) {
    Json event = OrderPlaced();
    if (value.is_null()) {
      event["properties"].erase(key);
    } else {
      event["properties"][key] = value;
    }
    const ObjectVerdict v = Judge("events", event);
    EXPECT_EQ(v.fate, Fate::kRejected) << key << "=" << value;
    EXPECT_THAT(v.error, HasSubstr(key == "metadata" ? "Invalid 'properties'" : key)) << v.error;
  }
  Json event = OrderPlaced();
  event["properties"]["products"][0]["color"] = "red";
  EXPECT_THAT(Judge("events", event).error, HasSubstr("[0].color is not allowed"));
  event = OrderPlaced();
  event["properties"]["products"][0]["quantity"] = 1.5;
  EXPECT_THAT(Judge("events", event).error, HasSubstr("quantity"));
  event = OrderPlaced();
  event["name"] = "Ecommerce.order_placed";  // names are case-sensitive
  event["properties"]["tags"] = "vip";
  EXPECT_EQ(Judge("events", event).fate, Fate::kStored);
}

// Rules the differential test (tests/conformance) pinned down.
TEST(TrackRulesTest, NegativePriceIsRejected) {
  ExpectRejected(Judge("purchases", Purchase({{"price", -1}})), "'price' is not valid");
  ExpectAsSent(Judge("purchases", Purchase({{"price", 0}})), Purchase({{"price", 0}}));
}

TEST(TrackRulesTest, PropertyWithAnArrayInsideAnArrayIsNotStored) {
  const ObjectVerdict v = Judge("events", Event({{"properties", {{"grid", {{1}}}, {"ok", 1}}}}));
  ASSERT_EQ(v.fate, Fate::kStored);
  EXPECT_EQ(v.stored["properties"], Json({{"ok", 1}}));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("array directly inside an array")));
}

TEST(TrackRulesTest, EmptyNestedPropertyKeyIsRejected) {
  ExpectRejected(Judge("events", Event({{"properties", {{"p", {{"", 1}}}}}})),
                 "Invalid 'properties' field");
}

TEST(TrackRulesTest, DatetimeCountsOnlyAsAnArraysOwnElementUpToYear3000) {
  const Json in_object = Event({{"properties", {{"p", {{{"when", "2024-05-01"}}}}}}});
  ExpectAsSent(Judge("events", in_object), in_object);
  const Json year_3001 = Event({{"properties", {{"p", {"3001-01-01"}}}}});
  ExpectAsSent(Judge("events", year_3001), year_3001);
  EXPECT_THAT(Judge("events", Event({{"properties", {{"p", {"3000-01-01"}}}}})).alterations,
              ElementsAre(HasSubstr("datetime inside an array")));
}

TEST(TrackRulesTest, NestedKeyWithATabIsNotStored) {
  const ObjectVerdict v = Attr({{"obj", {{"a\tb", 1}}}});
  ASSERT_EQ(v.fate, Fate::kStored);
  EXPECT_FALSE(v.alterations.empty());
}

TEST(TrackRulesTest, DoubleOptInIsIgnoredUnlessSubscribing) {
  const Json group = {{"subscription_group_id", "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"},
                      {"subscription_state", "unsubscribed"},
                      {"use_double_opt_in_logic", true}};
  const ObjectVerdict v = Attr({{"subscription_groups", {group}}});
  ASSERT_EQ(v.fate, Fate::kStored);
  EXPECT_FALSE(v.stored["subscription_groups"][0].contains("use_double_opt_in_logic"));
  EXPECT_THAT(v.alterations, ElementsAre(HasSubstr("only applies when subscribing")));
  Json subscribing = group;
  subscribing["subscription_state"] = "subscribed";
  ExpectAttrAsSent({{"subscription_groups", {subscribing}}});
}

}  // namespace
}  // namespace brazesync::emulator
