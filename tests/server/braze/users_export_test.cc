// Tests for server/braze/users_export.h: Braze's POST /users/export/ids.
// The allow-list must take exactly Braze's documented fields (case 81: a
// custom attribute name is not one), received fields must lose the fast
// budget (case 82), the body must carry only what the query sets, the
// request must share /users/track's headers. ParseUsersExportBody must map
// Braze's documented example response field for field, leave omitted and
// null keys unset (case 84), keep created_at raw in both formats (case 85)
// and last_coordinates unchanged (case 86), keep unknown keys and wrongly
// typed values in other_fields, and fail only on a body that is not the
// export shape.
#include "server/braze/users_export.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/braze/limits.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StrEq;
using testing_support::StatusIs;

// Braze's example response (braze-api-round2.md §2.1), verbatim but for the
// elided ids.
constexpr char kDocumentedResponse[] = R"json({
  "message": "success",
  "users": [
    {
      "created_at": "2020-07-10 15:00:00.000 UTC",
      "external_id": "A8i3mkd99",
      "user_aliases": [{"alias_name": "user_123", "alias_label": "amplitude_id"}],
      "braze_id": "5fbd99bac125ca40511f2cb1",
      "random_bucket": 2365,
      "first_name": "Alex", "last_name": "Smith", "email": "example@braze.com",
      "dob": "1980-12-21", "home_city": "Chicago", "country": "US", "phone": "+15555550123",
      "language": "en", "time_zone": "Eastern Time (US & Canada)",
      "last_coordinates": [41.84157636433568, -87.83520818508256],
      "gender": "F", "total_revenue": 65,
      "push_subscribe": "opted_in", "push_opted_in_at": "2020-01-26T22:45:53.953Z",
      "email_subscribe": "subscribed",
      "custom_attributes": {"loyaltyId": "37c98b9d", "loyaltyPoints": "321",
                            "loyaltyPointsNumber": 107},
      "custom_events": [{"name": "Loyalty Acknowledgement", "first": "2021-06-28T17:02:43.032Z",
                         "last": "2021-06-28T17:02:43.032Z", "count": 1}],
      "purchases": [{"name": "item_40834", "first": "2021-09-05T03:45:50.540Z",
                     "last": "2022-06-03T17:30:41.201Z", "count": 10}],
      "push_tokens": [{"app": "MovieCanon", "platform": "Android", "token": "12345abcd",
                       "device_id": "312ef2c1", "notifications_enabled": true,
                       "provisionally_opted_in": null}]
    }
  ],
  "invalid_user_ids": ["unknown_external_id"]
})json";

ExportAnswer ParseOk(const std::string& body) {
  absl::StatusOr<ExportAnswer> answer = ParseUsersExportBody(body);
  EXPECT_TRUE(answer.ok()) << answer.status();
  return answer.ok() ? *answer : ExportAnswer();
}

v1::ExportedUser ParseOneUser(const std::string& user_json) {
  ExportAnswer answer = ParseOk(R"({"message":"success","users":[)" + user_json + "]}");
  EXPECT_THAT(answer.users, SizeIs(1));
  return answer.users.empty() ? v1::ExportedUser() : answer.users[0];
}

// ---- Allow-list and budgets ----

TEST(UsersExportFieldsTest, AcceptsEveryDocumentedField) {
  for (const char* field : {"apps",
                            "attributed_campaign",
                            "attributed_source",
                            "attributed_adgroup",
                            "attributed_ad",
                            "braze_id",
                            "campaigns_received",
                            "canvases_received",
                            "cards_clicked",
                            "country",
                            "created_at",
                            "custom_attributes",
                            "custom_events",
                            "devices",
                            "dob",
                            "email",
                            "email_subscribe",
                            "external_id",
                            "first_name",
                            "gender",
                            "home_city",
                            "language",
                            "last_coordinates",
                            "last_name",
                            "phone",
                            "purchases",
                            "push_subscribe",
                            "push_tokens",
                            "random_bucket",
                            "time_zone",
                            "total_revenue",
                            "uninstalled_at",
                            "user_aliases"}) {
    EXPECT_TRUE(IsExportField(field)) << field;
  }
}

TEST(UsersExportFieldsTest, RejectsCustomAttributeNamesAndNearMisses) {  // case 81
  EXPECT_FALSE(IsExportField("loyaltyPoints"));
  EXPECT_FALSE(IsExportField("First_Name"));
  EXPECT_FALSE(IsExportField("push_opted_in_at"));  // exported, but not selectable
  EXPECT_FALSE(IsExportField("subscription_groups"));
  EXPECT_FALSE(IsExportField(""));
}

TEST(UsersExportFieldsTest, ReceivedFieldsAreTheTwoHeavyOnes) {
  EXPECT_TRUE(IsReceivedField("canvases_received"));
  EXPECT_TRUE(IsReceivedField("campaigns_received"));
  EXPECT_FALSE(IsReceivedField("cards_clicked"));
}

TEST(UsersExportFieldsTest, FastBudgetNeedsAListWithoutReceivedFields) {  // case 82
  EXPECT_TRUE(QualifiesForFastExport({"first_name", "purchases"}));
  EXPECT_FALSE(QualifiesForFastExport({"first_name", "canvases_received"}));
  EXPECT_FALSE(QualifiesForFastExport({"campaigns_received"}));
  EXPECT_FALSE(QualifiesForFastExport({}));
}

TEST(UsersExportFieldsTest, IdentifyingFieldsMatchUsersBack) {
  EXPECT_THAT(IdentifyingExportFields(), ElementsAre("external_id", "user_aliases", "braze_id"));
}

TEST(UsersExportFieldsTest, DefaultFieldsAreTheDocumentedTenAndAllAllowed) {
  EXPECT_THAT(DefaultExportFields(),
              ElementsAre("external_id", "user_aliases", "braze_id", "first_name", "last_name",
                          "email", "phone", "country", "language", "custom_attributes"));
  for (const std::string& field : DefaultExportFields()) EXPECT_TRUE(IsExportField(field));
  EXPECT_TRUE(QualifiesForFastExport(DefaultExportFields()));
}

TEST(UsersExportLimitsTest, NamesBrazesDocumentedNumbers) {
  EXPECT_EQ(kMaxExportIdentifiers, 50);
  EXPECT_EQ(kExportRequestsPerMinute, 250);
  EXPECT_EQ(kLegacyExportRequestsPerMinute, 2500);
  EXPECT_EQ(kFastExportRequestsPerSecond, 40);
}

// ---- The request ----

TEST(UsersExportBodyTest, CarriesIdsAliasesAndFields) {
  ExportQuery query;
  query.external_ids = {"u1", "u2"};
  v1::UserAlias alias;
  alias.set_alias_name("Bob@x");  // case kept (case 92)
  alias.set_alias_label("crm");
  query.user_aliases = {alias};
  query.fields_to_export = {"first_name", "email"};
  EXPECT_EQ(nlohmann::json::parse(UsersExportBody(query)), nlohmann::json::parse(R"({
    "external_ids": ["u1", "u2"],
    "user_aliases": [{"alias_name": "Bob@x", "alias_label": "crm"}],
    "fields_to_export": ["first_name", "email"]})"));
}

TEST(UsersExportBodyTest, LeavesEmptyPartsOut) {
  ExportQuery query;
  query.phone = "+15043277269";
  query.fields_to_export = {"first_name"};
  EXPECT_EQ(
      nlohmann::json::parse(UsersExportBody(query)),
      nlohmann::json::parse(R"({"phone": "+15043277269", "fields_to_export": ["first_name"]})"));
}

TEST(UsersExportBodyTest, SingleValuedIdentifiersUseBrazesKeys) {
  ExportQuery query;
  query.email_address = "a@b.co";
  query.braze_id = "b1";
  query.device_id = "d1";
  const nlohmann::json body = nlohmann::json::parse(UsersExportBody(query));
  EXPECT_EQ(body["email_address"], "a@b.co");
  EXPECT_EQ(body["braze_id"], "b1");
  EXPECT_EQ(body["device_id"], "d1");
  EXPECT_FALSE(body.contains("external_ids"));
}

TEST(UsersExportRequestTest, PostsToExportIdsWithTrackHeaders) {
  const HttpRequest request =
      MakeUsersExportRequest("https://rest.iad-01.braze.com", "sk-1", "{}", absl::Seconds(5));
  EXPECT_THAT(request.url, StrEq("https://rest.iad-01.braze.com/users/export/ids"));
  EXPECT_THAT(request.headers, Contains(Pair(StrEq("Authorization"), StrEq("Bearer sk-1"))));
  EXPECT_THAT(request.headers, Contains(Pair(StrEq("Content-Type"), StrEq("application/json"))));
  EXPECT_THAT(request.headers, Contains(Pair(StrEq("User-Agent"), HasSubstr("brazesync"))));
  EXPECT_EQ(request.body, "{}");
  EXPECT_EQ(request.timeout, absl::Seconds(5));
  EXPECT_THAT(request.url, Not(HasSubstr("sk-1")));
}

// ---- The documented response ----

TEST(UsersExportParseTest, DocumentedResponseMapsFieldForField) {
  const ExportAnswer answer = ParseOk(kDocumentedResponse);
  EXPECT_THAT(answer.invalid_user_ids, ElementsAre("unknown_external_id"));
  ASSERT_THAT(answer.users, SizeIs(1));
  const v1::ExportedUser& user = answer.users[0];
  EXPECT_EQ(user.created_at(), "2020-07-10 15:00:00.000 UTC");
  EXPECT_EQ(user.external_id(), "A8i3mkd99");
  ASSERT_EQ(user.user_aliases_size(), 1);
  EXPECT_EQ(user.user_aliases(0).alias_name(), "user_123");
  EXPECT_EQ(user.user_aliases(0).alias_label(), "amplitude_id");
  EXPECT_EQ(user.braze_id(), "5fbd99bac125ca40511f2cb1");
  EXPECT_EQ(user.random_bucket(), 2365);
  EXPECT_EQ(user.first_name(), "Alex");
  EXPECT_EQ(user.last_name(), "Smith");
  EXPECT_EQ(user.email(), "example@braze.com");
  EXPECT_EQ(user.dob(), "1980-12-21");
  EXPECT_EQ(user.home_city(), "Chicago");
  EXPECT_EQ(user.country(), "US");
  EXPECT_EQ(user.phone(), "+15555550123");
  EXPECT_EQ(user.language(), "en");
  EXPECT_EQ(user.time_zone(), "Eastern Time (US & Canada)");
  EXPECT_EQ(user.gender(), "F");
  EXPECT_TRUE(user.has_total_revenue());
  EXPECT_DOUBLE_EQ(user.total_revenue(), 65);
  EXPECT_EQ(user.push_subscribe(), "opted_in");
  EXPECT_EQ(user.email_subscribe(), "subscribed");

  const auto& attributes = user.custom_attributes().fields();
  EXPECT_EQ(attributes.at("loyaltyId").string_value(), "37c98b9d");
  EXPECT_EQ(attributes.at("loyaltyPoints").string_value(), "321");  // a string stays one
  EXPECT_DOUBLE_EQ(attributes.at("loyaltyPointsNumber").number_value(), 107);

  ASSERT_EQ(user.custom_events_size(), 1);
  EXPECT_EQ(user.custom_events(0).name(), "Loyalty Acknowledgement");
  EXPECT_EQ(user.custom_events(0).first(), "2021-06-28T17:02:43.032Z");
  EXPECT_EQ(user.custom_events(0).last(), "2021-06-28T17:02:43.032Z");
  EXPECT_EQ(user.custom_events(0).count(), 1);
  ASSERT_EQ(user.purchases_size(), 1);
  EXPECT_EQ(user.purchases(0).name(), "item_40834");
  EXPECT_EQ(user.purchases(0).first(), "2021-09-05T03:45:50.540Z");
  EXPECT_EQ(user.purchases(0).last(), "2022-06-03T17:30:41.201Z");
  EXPECT_EQ(user.purchases(0).count(), 10);

  ASSERT_EQ(user.push_tokens_size(), 1);
  const v1::ExportedPushToken& token = user.push_tokens(0);
  EXPECT_EQ(token.app(), "MovieCanon");
  EXPECT_EQ(token.platform(), "Android");
  EXPECT_EQ(token.token(), "12345abcd");
  EXPECT_EQ(token.device_id(), "312ef2c1");
  EXPECT_TRUE(token.has_notifications_enabled());
  EXPECT_TRUE(token.notifications_enabled());

  // push_opted_in_at is not modelled: it is kept, not lost.
  EXPECT_EQ(user.other_fields().fields().at("push_opted_in_at").string_value(),
            "2020-01-26T22:45:53.953Z");
  EXPECT_EQ(user.other_fields().fields_size(), 1);

  // Not in the sample: unset.
  EXPECT_FALSE(user.has_attributed_campaign());
  EXPECT_FALSE(user.has_uninstalled_at());
  EXPECT_EQ(user.devices_size(), 0);
  EXPECT_EQ(user.apps_size(), 0);
}

TEST(UsersExportParseTest, LastCoordinatesPassUnchanged) {  // case 86
  const v1::ExportedUser user = ParseOneUser(R"({"last_coordinates": [41.84, -87.83]})");
  EXPECT_THAT(user.last_coordinates(), ElementsAre(41.84, -87.83));
}

TEST(UsersExportParseTest, OmittedKeysStayUnset) {  // case 84
  const v1::ExportedUser user = ParseOneUser(R"({"braze_id": "b1"})");
  EXPECT_TRUE(user.has_braze_id());
  EXPECT_FALSE(user.has_external_id());
  EXPECT_FALSE(user.has_email());
  EXPECT_FALSE(user.has_first_name());
  EXPECT_FALSE(user.has_total_revenue());
  EXPECT_FALSE(user.has_random_bucket());
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_FALSE(user.has_other_fields());
}

TEST(UsersExportParseTest, NullKeysStayUnset) {
  const v1::ExportedUser user = ParseOneUser(
      R"({"external_id": null, "email": null, "total_revenue": null, "custom_attributes": null,
          "push_opted_in_at": null, "purchases": null})");
  EXPECT_FALSE(user.has_external_id());
  EXPECT_FALSE(user.has_email());
  EXPECT_FALSE(user.has_total_revenue());
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_FALSE(user.has_other_fields());
  EXPECT_EQ(user.purchases_size(), 0);
}

TEST(UsersExportParseTest, CreatedAtIsKeptRawInBothFormats) {  // case 85
  EXPECT_EQ(ParseOneUser(R"({"created_at": "2020-07-10 15:00:00.000 UTC"})").created_at(),
            "2020-07-10 15:00:00.000 UTC");
  EXPECT_EQ(ParseOneUser(R"({"created_at": "2023-03-17T20:51:58.297Z"})").created_at(),
            "2023-03-17T20:51:58.297Z");
}

TEST(UsersExportParseTest, ExportTimesParseInBothFormats) {  // case 85
  const absl::Time sample =
      absl::FromCivil(absl::CivilSecond(2020, 7, 10, 15, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(ParseExportTime("2020-07-10 15:00:00.000 UTC"), sample);
  EXPECT_EQ(ParseExportTime("2020-07-10T15:00:00Z"), sample);
  EXPECT_EQ(ParseExportTime("2020-07-10T17:00:00+02:00"), sample);
  EXPECT_EQ(ParseExportTime("2023-03-17T20:51:58.297Z"),
            absl::FromCivil(absl::CivilSecond(2023, 3, 17, 20, 51, 58), absl::UTCTimeZone()) +
                absl::Milliseconds(297));
  EXPECT_EQ(ParseExportTime("yesterday"), std::nullopt);
  EXPECT_EQ(ParseExportTime(""), std::nullopt);
  EXPECT_EQ(FormatExportTime(sample + absl::Milliseconds(32)), "2020-07-10T15:00:00.032Z");
}

TEST(UsersExportParseTest, CustomAttributesKeepEveryJsonType) {
  const v1::ExportedUser user = ParseOneUser(R"({"custom_attributes": {
      "n": 1.5, "s": "x", "b": true, "z": null,
      "o": {"inner": {"deep": 2}}, "a": ["p", 3, {"k": "v"}]}})");
  const auto& fields = user.custom_attributes().fields();
  EXPECT_DOUBLE_EQ(fields.at("n").number_value(), 1.5);
  EXPECT_EQ(fields.at("s").string_value(), "x");
  EXPECT_TRUE(fields.at("b").bool_value());
  EXPECT_EQ(fields.at("z").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_DOUBLE_EQ(fields.at("o")
                       .struct_value()
                       .fields()
                       .at("inner")
                       .struct_value()
                       .fields()
                       .at("deep")
                       .number_value(),
                   2);
  const auto& list = fields.at("a").list_value();
  ASSERT_EQ(list.values_size(), 3);
  EXPECT_EQ(list.values(0).string_value(), "p");
  EXPECT_DOUBLE_EQ(list.values(1).number_value(), 3);
  EXPECT_EQ(list.values(2).struct_value().fields().at("k").string_value(), "v");
}

TEST(UsersExportParseTest, DevicesAndAppsMapEveryMember) {
  const v1::ExportedUser user = ParseOneUser(R"({
      "devices": [{"model": "Pixel", "os": "Android 14", "carrier": "T", "device_id": "d1",
                   "idfv": "v", "idfa": "a", "google_ad_id": "g", "roku_ad_id": "r",
                   "ad_tracking_enabled": false}],
      "apps": [{"name": "App", "platform": "iOS", "version": "1.2", "sessions": 12,
                "first_used": "2020-01-01T00:00:00.000Z", "last_used": "2021-01-01T00:00:00.000Z"}]})");
  ASSERT_EQ(user.devices_size(), 1);
  const v1::ExportedDevice& device = user.devices(0);
  EXPECT_EQ(device.model(), "Pixel");
  EXPECT_EQ(device.os(), "Android 14");
  EXPECT_EQ(device.carrier(), "T");
  EXPECT_EQ(device.device_id(), "d1");
  EXPECT_EQ(device.idfv(), "v");
  EXPECT_EQ(device.idfa(), "a");
  EXPECT_EQ(device.google_ad_id(), "g");
  EXPECT_EQ(device.roku_ad_id(), "r");
  EXPECT_TRUE(device.has_ad_tracking_enabled());
  EXPECT_FALSE(device.ad_tracking_enabled());
  ASSERT_EQ(user.apps_size(), 1);
  const v1::ExportedApp& app = user.apps(0);
  EXPECT_EQ(app.name(), "App");
  EXPECT_EQ(app.platform(), "iOS");
  EXPECT_EQ(app.version(), "1.2");
  EXPECT_EQ(app.sessions(), 12);
  EXPECT_EQ(app.first_used(), "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(app.last_used(), "2021-01-01T00:00:00.000Z");
}

TEST(UsersExportParseTest, RemainingStringFieldsMap) {
  const v1::ExportedUser user = ParseOneUser(R"({
      "attributed_campaign": "c", "attributed_source": "s", "attributed_adgroup": "g",
      "attributed_ad": "a", "uninstalled_at": "2022-01-01T00:00:00.000Z"})");
  EXPECT_EQ(user.attributed_campaign(), "c");
  EXPECT_EQ(user.attributed_source(), "s");
  EXPECT_EQ(user.attributed_adgroup(), "g");
  EXPECT_EQ(user.attributed_ad(), "a");
  EXPECT_EQ(user.uninstalled_at(), "2022-01-01T00:00:00.000Z");
}

TEST(UsersExportParseTest, UnknownKeysGoToOtherFields) {
  const v1::ExportedUser user = ParseOneUser(R"({
      "external_id": "u1",
      "canvases_received": [{"name": "Welcome", "last_received_message": "2021-01-01T00:00:00Z"}],
      "cards_clicked": ["c1"], "added_later": 7})");
  const auto& other = user.other_fields().fields();
  EXPECT_EQ(other.size(), 3);
  EXPECT_EQ(other.at("canvases_received")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("name")
                .string_value(),
            "Welcome");
  EXPECT_EQ(other.at("cards_clicked").list_value().values(0).string_value(), "c1");
  EXPECT_DOUBLE_EQ(other.at("added_later").number_value(), 7);
  EXPECT_EQ(user.external_id(), "u1");
}

TEST(UsersExportParseTest, WronglyTypedValuesMoveToOtherFieldsUnharmed) {
  const v1::ExportedUser user = ParseOneUser(R"({
      "external_id": 42, "total_revenue": "65", "random_bucket": 1.5,
      "last_coordinates": [1, "x"], "custom_attributes": [1],
      "purchases": [{"name": "p", "count": "ten"}], "user_aliases": ["not-an-object"],
      "first_name": "Alex"})");
  EXPECT_FALSE(user.has_external_id());
  EXPECT_FALSE(user.has_total_revenue());
  EXPECT_FALSE(user.has_random_bucket());
  EXPECT_EQ(user.last_coordinates_size(), 0);
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_EQ(user.purchases_size(), 0);
  EXPECT_EQ(user.user_aliases_size(), 0);
  EXPECT_EQ(user.first_name(), "Alex");
  const auto& other = user.other_fields().fields();
  EXPECT_DOUBLE_EQ(other.at("external_id").number_value(), 42);
  EXPECT_EQ(other.at("total_revenue").string_value(), "65");
  EXPECT_DOUBLE_EQ(other.at("random_bucket").number_value(), 1.5);
  EXPECT_EQ(other.at("last_coordinates").list_value().values_size(), 2);
  EXPECT_EQ(other.at("custom_attributes").list_value().values_size(), 1);
  EXPECT_EQ(other.at("purchases")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("count")
                .string_value(),
            "ten");
  EXPECT_EQ(other.at("user_aliases").list_value().values(0).string_value(), "not-an-object");
}

TEST(UsersExportParseTest, AnExplicitEmptyStringIsKeptAsSent) {
  // Braze omits empty values; one it does send is what it said.
  const v1::ExportedUser user = ParseOneUser(R"({"first_name": ""})");
  EXPECT_TRUE(user.has_first_name());
  EXPECT_EQ(user.first_name(), "");
}

// Whatever JSON type Braze sends under whatever key, the user parses and the
// value is either in its typed field, in other_fields, or (null) nowhere.
TEST(UsersExportParseTest, EveryKeyWithEveryJsonTypeParses) {
  std::vector<std::string> keys(IdentifyingExportFields());
  for (const char* key :
       {"apps", "attributed_ad", "campaigns_received", "created_at", "custom_attributes",
        "custom_events", "devices", "dob", "email", "gender", "last_coordinates", "purchases",
        "push_tokens", "random_bucket", "total_revenue", "uninstalled_at", "not_modelled"}) {
    keys.emplace_back(key);
  }
  const char* const kValues[] = {"null",
                                 "true",
                                 "0",
                                 "-1.5",
                                 "18446744073709551615",
                                 "1e300",
                                 "\"s\"",
                                 "[]",
                                 "[1]",
                                 "[null]",
                                 "[{}]",
                                 "[{\"name\": 1}]",
                                 "{}",
                                 "{\"a\": [1]}",
                                 "[[1]]",
                                 "[{\"count\": 1e30}]"};
  for (const std::string& key : keys) {
    for (const char* value : kValues) {
      const std::string user_json = absl::StrCat("{\"", key, "\": ", value, "}");
      absl::StatusOr<ExportAnswer> answer =
          ParseUsersExportBody(absl::StrCat(R"({"users":[)", user_json, "]}"));
      ASSERT_TRUE(answer.ok()) << user_json << ": " << answer.status();
      ASSERT_THAT(answer->users, SizeIs(1));
      const v1::ExportedUser& user = answer->users[0];
      // null leaves the field unset; [] is an empty repeated field, which
      // proto cannot tell from an absent one.
      if (std::string(value) == "null" ||
          (std::string(value) == "[]" && !user.other_fields().fields().contains(key))) {
        EXPECT_EQ(user.ByteSizeLong(), 0) << user_json;
        continue;
      }
      // Something of it is kept: a typed field or other_fields.
      EXPECT_GT(user.ByteSizeLong(), 0) << user_json;
      if (user.other_fields().fields().contains(key)) {
        EXPECT_EQ(user.other_fields().fields_size(), 1) << user_json;
      }
    }
  }
}

TEST(UsersExportParseTest, IntegralFloatsAreIntegers) {
  EXPECT_EQ(ParseOneUser(R"({"random_bucket": 2365.0})").random_bucket(), 2365);
}

TEST(UsersExportParseTest, EmptyAndAbsentUsersAreNoUsers) {  // case 83
  const ExportAnswer empty =
      ParseOk(R"({"message":"success","users":[],"invalid_user_ids":["nobody"]})");
  EXPECT_THAT(empty.users, IsEmpty());
  EXPECT_THAT(empty.invalid_user_ids, ElementsAre("nobody"));
  EXPECT_THAT(ParseOk(R"({"message":"success"})").users, IsEmpty());
}

TEST(UsersExportParseTest, NonStringInvalidIdsAreKeptAsJsonText) {
  EXPECT_THAT(
      ParseOk(R"({"users":[],"invalid_user_ids":["a",{"alias_name":"n"}]})").invalid_user_ids,
      ElementsAre("a", R"({"alias_name":"n"})"));
}

TEST(UsersExportParseTest, RefusesWhatIsNotTheExportShape) {
  EXPECT_THAT(ParseUsersExportBody("<html>").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not JSON")));
  EXPECT_THAT(ParseUsersExportBody("[]").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not a JSON object")));
  EXPECT_THAT(ParseUsersExportBody(R"({"users": {}})").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("`users`")));
  EXPECT_THAT(ParseUsersExportBody(R"({"users": [{}, "u"]})").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("users[1]")));
  EXPECT_THAT(ParseUsersExportBody(R"({"users": [], "invalid_user_ids": "x"})").status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("invalid_user_ids")));
}

}  // namespace
}  // namespace brazesync

namespace brazesync {
namespace {

TEST(UsersExportKeepFieldsTest, ClearsWhatWasNotAskedForButKeepsOtherFields) {
  v1::ExportedUser user;
  user.set_external_id("u1");
  user.set_first_name("Ada");
  user.set_email("ada@example.com");
  (*user.mutable_custom_attributes()->mutable_fields())["tier"].set_string_value("gold");
  (*user.mutable_other_fields()->mutable_fields())["push_opted_in_at"].set_string_value("x");

  KeepExportFields({"external_id", "first_name"}, &user);

  EXPECT_EQ(user.external_id(), "u1");
  EXPECT_EQ(user.first_name(), "Ada");
  EXPECT_FALSE(user.has_email());
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_TRUE(user.other_fields().fields().contains("push_opted_in_at"));
}

}  // namespace
}  // namespace brazesync
