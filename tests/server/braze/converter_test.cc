// Golden tests for server/converter.h: BrazeSync protos converted to Braze
// /users/track JSON objects. Each test compares against the exact expected
// JSON, both as a parsed value and as the dump() text, so key order
// (identifiers first, Braze flags next) is checked too.
#include "server/braze/converter.h"

#include <limits>
#include <string>

#include "absl/time/time.h"
#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::StrEq;

// 2024-05-01T12:34:56Z.
constexpr int64_t kTimeSeconds = 1714566896;
// 2024-06-01T00:00:00Z: "now" in the tests; later than kTimeSeconds.
constexpr int64_t kNowSeconds = 1717200000;
// 2030-01-01T00:00:00Z: a time in the future of kNowSeconds.
constexpr int64_t kFutureSeconds = 1893456000;
// 2024-05-20T00:00:00Z: when the request was received.
constexpr int64_t kReceivedSeconds = 1716163200;
constexpr char kExternalId[] = "user-1";

const absl::Time kNow = absl::FromUnixSeconds(kNowSeconds);
const absl::Time kReceived = absl::FromUnixSeconds(kReceivedSeconds);

// Checks `actual` against the JSON text `golden`: same value, and the same
// serialization (so key order matters).
void ExpectGolden(const Json& actual, const char* golden) {
  const Json expected = Json::parse(golden);
  EXPECT_THAT(actual, Eq(expected));
  EXPECT_THAT(actual.dump(), StrEq(expected.dump()));
}

google::protobuf::Timestamp Timestamp(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(nanos);
  return timestamp;
}

v1::UserProfile ProfileFor(const std::string& external_id) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id(external_id);
  return profile;
}

// A profile for kExternalId with one custom attribute "k" = `value`.
v1::UserProfile ProfileWithCustom(const v1::AttributeValue& value) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  (*profile.mutable_custom_attributes())["k"] = value;
  return profile;
}

google::protobuf::Value NumberValue(double number) {
  google::protobuf::Value value;
  value.set_number_value(number);
  return value;
}

google::protobuf::Value StringValue(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return value;
}

v1::Event EventFor(const std::string& external_id) {
  v1::Event event;
  event.mutable_user()->set_external_id(external_id);
  event.set_name("signed_up");
  *event.mutable_time() = Timestamp(kTimeSeconds);
  return event;
}

v1::Purchase PurchaseFor(const std::string& external_id) {
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id(external_id);
  purchase.set_product_id("sku-1");
  purchase.set_currency("USD");
  purchase.set_price(12.5);
  *purchase.mutable_time() = Timestamp(kTimeSeconds);
  return purchase;
}

// ---- Times ----

TEST(ConverterTest, FormatsTimeAsUtcWithMillisecondsAndZ) {
  EXPECT_THAT(FormatBrazeTime(Timestamp(kTimeSeconds, 789'000'000)),
              StrEq("2024-05-01T12:34:56.789Z"));
}

TEST(ConverterTest, FormatsTimeTruncatingSubMilliseconds) {
  EXPECT_THAT(FormatBrazeTime(Timestamp(kTimeSeconds, 789'999'999)),
              StrEq("2024-05-01T12:34:56.789Z"));
}

TEST(ConverterTest, FormatsWholeSecondWithZeroMilliseconds) {
  EXPECT_THAT(FormatBrazeTime(absl::FromUnixSeconds(kTimeSeconds)),
              StrEq("2024-05-01T12:34:56.000Z"));
}

TEST(ConverterTest, FormatsTimeBeforeEpoch) {
  EXPECT_THAT(FormatBrazeTime(Timestamp(-1, 500'000'000)), StrEq("1969-12-31T23:59:59.500Z"));
}

// ---- Identifiers ----

TEST(ConverterTest, WritesExternalId) {
  ExpectGolden(ProfileToBraze(ProfileFor(kExternalId)), R"({"external_id":"user-1"})");
}

TEST(ConverterTest, WritesUserAliasAsNameAndLabelObject) {
  v1::UserProfile profile;
  profile.mutable_user()->mutable_user_alias()->set_alias_name("name-1");
  profile.mutable_user()->mutable_user_alias()->set_alias_label("crm");
  ExpectGolden(ProfileToBraze(profile),
               R"({"user_alias":{"alias_name":"name-1","alias_label":"crm"}})");
}

TEST(ConverterTest, WritesBrazeId) {
  v1::UserProfile profile;
  profile.mutable_user()->set_braze_id("5c9a");
  ExpectGolden(ProfileToBraze(profile), R"({"braze_id":"5c9a"})");
}

TEST(ConverterTest, WritesEmailIdentifier) {
  v1::UserProfile profile;
  profile.mutable_user()->set_email("a@example.com");
  ExpectGolden(ProfileToBraze(profile), R"({"email":"a@example.com"})");
}

TEST(ConverterTest, WritesPhoneIdentifier) {
  v1::UserProfile profile;
  profile.mutable_user()->set_phone("+15043277269");
  ExpectGolden(ProfileToBraze(profile), R"({"phone":"+15043277269"})");
}

TEST(ConverterTest, PutsIdentifierBeforeEveryOtherKey) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_update_existing_only(true);
  profile.set_first_name("Ada");
  ExpectGolden(ProfileToBraze(profile),
               R"({"external_id":"user-1","_update_existing_only":true,"first_name":"Ada"})");
}

// ---- Braze flags ----

TEST(ConverterTest, OmitsUpdateExistingOnlyWhenUnset) {
  const Json json = ProfileToBraze(ProfileFor(kExternalId));
  EXPECT_FALSE(json.contains("_update_existing_only"));
}

TEST(ConverterTest, EmitsUpdateExistingOnlyOnlyWhenSet) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_update_existing_only(false);
  ExpectGolden(ProfileToBraze(profile),
               R"({"external_id":"user-1","_update_existing_only":false})");
}

TEST(ConverterTest, EmitsMergeObjectsAfterUpdateExistingOnly) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_merge_objects(true);
  profile.set_update_existing_only(false);
  ExpectGolden(ProfileToBraze(profile),
               R"({"external_id":"user-1","_update_existing_only":false,"_merge_objects":true})");
}

TEST(ConverterTest, EventEmitsUpdateExistingOnlyOnlyWhenSet) {
  v1::Event unset = EventFor(kExternalId);
  v1::Event set = EventFor(kExternalId);
  set.set_update_existing_only(true);
  EXPECT_FALSE(EventToBraze(unset, kReceived, kNow).contains("_update_existing_only"));
  EXPECT_THAT(EventToBraze(set, kReceived, kNow)["_update_existing_only"], Eq(Json(true)));
}

TEST(ConverterTest, PurchaseEmitsUpdateExistingOnlyOnlyWhenSet) {
  v1::Purchase unset = PurchaseFor(kExternalId);
  v1::Purchase set = PurchaseFor(kExternalId);
  set.set_update_existing_only(false);
  EXPECT_FALSE(PurchaseToBraze(unset, kReceived, kNow).contains("_update_existing_only"));
  EXPECT_THAT(PurchaseToBraze(set, kReceived, kNow)["_update_existing_only"], Eq(Json(false)));
}

// ---- Standard profile fields ----

TEST(ConverterTest, WritesEveryStandardFieldInDocumentedOrder) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_first_name("Ada");
  profile.set_last_name("Lovelace");
  profile.set_email("ada@example.com");
  profile.set_phone("+442071234567");
  profile.set_home_city("London");
  profile.set_country("GB");
  profile.set_language("en");
  profile.set_time_zone("Europe/London");
  profile.set_dob("1815-12-10");
  profile.set_gender(v1::GENDER_FEMALE);
  profile.set_email_subscribe(v1::SUBSCRIPTION_STATE_OPTED_IN);
  profile.set_push_subscribe(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
  profile.mutable_current_location()->set_latitude(51.5);
  profile.mutable_current_location()->set_longitude(-0.125);
  ExpectGolden(ProfileToBraze(profile), R"({
    "external_id": "user-1",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+442071234567",
    "home_city": "London",
    "country": "GB",
    "language": "en",
    "time_zone": "Europe/London",
    "dob": "1815-12-10",
    "gender": "F",
    "email_subscribe": "opted_in",
    "push_subscribe": "unsubscribed",
    "current_location": {"latitude": 51.5, "longitude": -0.125}
  })");
}

TEST(ConverterTest, WritesEmptyStringFieldWhenSetToEmpty) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_home_city("");
  ExpectGolden(ProfileToBraze(profile), R"({"external_id":"user-1","home_city":""})");
}

TEST(ConverterTest, WritesGenderEnumsAsBrazeLetters) {
  const struct {
    v1::Gender gender;
    const char* code;
  } kCases[] = {{v1::GENDER_MALE, "M"},
                {v1::GENDER_FEMALE, "F"},
                {v1::GENDER_OTHER, "O"},
                {v1::GENDER_NOT_APPLICABLE, "N"},
                {v1::GENDER_PREFER_NOT_TO_SAY, "P"}};
  for (const auto& c : kCases) {
    v1::UserProfile profile = ProfileFor(kExternalId);
    profile.set_gender(c.gender);
    EXPECT_THAT(ProfileToBraze(profile)["gender"], Eq(Json(c.code))) << c.code;
  }
}

TEST(ConverterTest, OmitsUnspecifiedEnums) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_gender(v1::GENDER_UNSPECIFIED);
  profile.set_email_subscribe(v1::SUBSCRIPTION_STATE_UNSPECIFIED);
  ExpectGolden(ProfileToBraze(profile), R"({"external_id":"user-1"})");
}

TEST(ConverterTest, WritesSubscriptionStatesAsBrazeNames) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_email_subscribe(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  profile.set_push_subscribe(v1::SUBSCRIPTION_STATE_OPTED_IN);
  ExpectGolden(ProfileToBraze(profile),
               R"({"external_id":"user-1","email_subscribe":"subscribed",
                   "push_subscribe":"opted_in"})");
}

TEST(ConverterTest, WritesSubscriptionGroupsWithDoubleOptInOnlyWhenTrue) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  auto* sms = profile.add_subscription_groups();
  sms->set_subscription_group_id("3a1b8f6e-7c2d-4e5f-9a0b-1c2d3e4f5a6b");
  sms->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  sms->set_use_double_opt_in_logic(true);
  auto* email = profile.add_subscription_groups();
  email->set_subscription_group_id("0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f");
  email->set_subscription_state(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
  ExpectGolden(ProfileToBraze(profile), R"({
    "external_id": "user-1",
    "subscription_groups": [
      {"subscription_group_id": "3a1b8f6e-7c2d-4e5f-9a0b-1c2d3e4f5a6b",
       "subscription_state": "subscribed", "use_double_opt_in_logic": true},
      {"subscription_group_id": "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f",
       "subscription_state": "unsubscribed"}
    ]
  })");
}

TEST(ConverterTest, WritesClearFieldsAsNull) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  profile.set_first_name("Ada");
  profile.add_clear_fields("gender");
  profile.add_clear_fields("home_city");
  ExpectGolden(ProfileToBraze(profile),
               R"({"external_id":"user-1","first_name":"Ada","gender":null,"home_city":null})");
}

// ---- Custom attributes ----

TEST(ConverterTest, WritesStringCustomAttribute) {
  v1::AttributeValue value;
  value.set_string_value("gold");
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({"external_id":"user-1","k":"gold"})");
}

TEST(ConverterTest, WritesIntCustomAttribute) {
  v1::AttributeValue value;
  value.set_int_value(-9007199254740993);  // beyond 2^53: must stay exact
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":-9007199254740993})");
}

TEST(ConverterTest, WritesDoubleCustomAttribute) {
  v1::AttributeValue value;
  value.set_double_value(2.75);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({"external_id":"user-1","k":2.75})");
}

TEST(ConverterTest, WritesBoolCustomAttribute) {
  v1::AttributeValue value;
  value.set_bool_value(false);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({"external_id":"user-1","k":false})");
}

TEST(ConverterTest, WritesTimeCustomAttributeAsPlainIsoString) {
  v1::AttributeValue value;
  *value.mutable_time_value() = Timestamp(kTimeSeconds, 5'000'000);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":"2024-05-01T12:34:56.005Z"})");
}

TEST(ConverterTest, WritesArrayCustomAttributeInOrder) {
  v1::AttributeValue value;
  value.mutable_array_value()->add_values("b");
  value.mutable_array_value()->add_values("a");
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":["b","a"]})");
}

TEST(ConverterTest, WritesEmptyArrayCustomAttributeAsEmptyArray) {
  v1::AttributeValue value;
  value.mutable_array_value();
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({"external_id":"user-1","k":[]})");
}

TEST(ConverterTest, WritesObjectCustomAttributeWithIntegralDoublesAsIntegers) {
  v1::AttributeValue value;
  auto& fields = *value.mutable_object_value()->mutable_fields();
  fields["year"] = NumberValue(1960);
  fields["rating"] = NumberValue(4.5);
  fields["title"] = StringValue("Song");
  (*fields["album"].mutable_struct_value()->mutable_fields())["tracks"] = NumberValue(12);
  fields["live"].set_bool_value(true);
  fields["gone"].set_null_value(google::protobuf::NULL_VALUE);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({
    "external_id": "user-1",
    "k": {"album": {"tracks": 12}, "gone": null, "live": true, "rating": 4.5,
          "title": "Song", "year": 1960}
  })");
}

TEST(ConverterTest, KeepsDoublesBeyondTwoToThe53AsDoubles) {
  v1::AttributeValue value;
  (*value.mutable_object_value()->mutable_fields())["big"] = NumberValue(1e17);
  const Json json = ProfileToBraze(ProfileWithCustom(value));
  EXPECT_TRUE(json["k"]["big"].is_number_float());
}

TEST(ConverterTest, WritesIncrementAsIncObject) {
  v1::AttributeValue value;
  value.set_increment(-3);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":{"inc":-3}})");
}

TEST(ConverterTest, WritesAddAsAddObject) {
  v1::AttributeValue value;
  value.mutable_add()->add_values("pizza");
  value.mutable_add()->add_values("hotdog");
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":{"add":["pizza","hotdog"]}})");
}

TEST(ConverterTest, WritesRemoveAsRemoveObject) {
  v1::AttributeValue value;
  value.mutable_remove()->add_values("pizza");
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)),
               R"({"external_id":"user-1","k":{"remove":["pizza"]}})");
}

TEST(ConverterTest, WritesNullCustomAttributeAsNull) {
  v1::AttributeValue value;
  value.set_null_value(google::protobuf::NULL_VALUE);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({"external_id":"user-1","k":null})");
}

TEST(ConverterTest, WritesObjectArrayCustomAttribute) {
  v1::AttributeValue value;
  auto* pets = value.mutable_object_array_value();
  auto& dog = *pets->add_values()->mutable_struct_value()->mutable_fields();
  dog["id"] = NumberValue(1);
  dog["type"] = StringValue("dog");
  auto& fish = *pets->add_values()->mutable_struct_value()->mutable_fields();
  fish["id"] = NumberValue(2);
  fish["weight"] = NumberValue(0.25);
  ExpectGolden(ProfileToBraze(ProfileWithCustom(value)), R"({
    "external_id": "user-1",
    "k": [{"id": 1, "type": "dog"}, {"id": 2, "weight": 0.25}]
  })");
}

TEST(ConverterTest, WritesCustomAttributesSortedByKeyAfterStandardFields) {
  v1::UserProfile profile = ProfileFor(kExternalId);
  (*profile.mutable_custom_attributes())["zeta"].set_int_value(1);
  (*profile.mutable_custom_attributes())["alpha"].set_int_value(2);
  (*profile.mutable_custom_attributes())["mid"].set_int_value(3);
  profile.set_last_name("L");
  profile.add_clear_fields("first_name");
  ExpectGolden(ProfileToBraze(profile), R"({
    "external_id": "user-1", "last_name": "L", "first_name": null,
    "alpha": 2, "mid": 3, "zeta": 1
  })");
}

// ---- Struct / Value ----

TEST(ConverterTest, NumberToJsonWritesIntegersUpToTwoTo53ExactlyAndNonFiniteAsNull) {
  EXPECT_THAT(NumberToJson(9007199254740992.0).dump(), StrEq("9007199254740992"));
  EXPECT_THAT(NumberToJson(-9007199254740992.0).dump(), StrEq("-9007199254740992"));
  EXPECT_THAT(NumberToJson(9007199254740994.0).dump(), StrEq("9.007199254740994e+15"));
  EXPECT_THAT(NumberToJson(-0.0).dump(), StrEq("0"));
  EXPECT_THAT(NumberToJson(0.1).dump(), StrEq("0.1"));
  EXPECT_THAT(NumberToJson(std::numeric_limits<double>::quiet_NaN()).dump(), StrEq("null"));
  EXPECT_THAT(NumberToJson(-std::numeric_limits<double>::infinity()).dump(), StrEq("null"));
}

TEST(ConverterTest, ValueToJsonWritesNegativeIntegralDoubleAsInteger) {
  const Json json = ValueToJson(NumberValue(-42));
  EXPECT_TRUE(json.is_number_integer());
  EXPECT_THAT(json.dump(), StrEq("-42"));
}

TEST(ConverterTest, ValueToJsonWritesListValues) {
  google::protobuf::Value value;
  auto* list = value.mutable_list_value();
  *list->add_values() = NumberValue(1);
  *list->add_values() = StringValue("x");
  list->add_values()->set_bool_value(false);
  ExpectGolden(ValueToJson(value), R"([1,"x",false])");
}

// ---- Events ----

TEST(ConverterTest, WritesEventWithEveryField) {
  v1::Event event = EventFor(kExternalId);
  event.set_app_id("app-1");
  *event.mutable_time() = Timestamp(kTimeSeconds, 789'000'000);
  auto& properties = *event.mutable_properties()->mutable_fields();
  properties["plan"] = StringValue("pro");
  properties["seats"] = NumberValue(5);
  properties["amount"] = NumberValue(9.99);
  event.set_update_existing_only(true);
  event.set_event_id("idempotency-1");  // never sent to Braze
  ExpectGolden(EventToBraze(event, kReceived, kNow), R"({
    "external_id": "user-1",
    "app_id": "app-1",
    "name": "signed_up",
    "time": "2024-05-01T12:34:56.789Z",
    "properties": {"amount": 9.99, "plan": "pro", "seats": 5},
    "_update_existing_only": true
  })");
}

TEST(ConverterTest, WritesMinimalEventWithoutOptionalKeys) {
  ExpectGolden(EventToBraze(EventFor(kExternalId), kReceived, kNow), R"({
    "external_id": "user-1", "name": "signed_up", "time": "2024-05-01T12:34:56.000Z"
  })");
}

TEST(ConverterTest, WritesEmptyEventPropertiesWhenSet) {
  v1::Event event = EventFor(kExternalId);
  event.mutable_properties();
  EXPECT_THAT(EventToBraze(event, kReceived, kNow)["properties"], Eq(Json::object()));
}

TEST(ConverterTest, ClampsFutureEventTimeToNow) {
  v1::Event event = EventFor(kExternalId);
  *event.mutable_time() = Timestamp(kFutureSeconds);
  EXPECT_THAT(EventToBraze(event, kReceived, kNow)["time"], Eq(Json("2024-06-01T00:00:00.000Z")));
}

TEST(ConverterTest, StampsEventWithoutTimeWithReceivedTime) {
  v1::Event event = EventFor(kExternalId);
  event.clear_time();
  EXPECT_THAT(EventToBraze(event, kReceived, kNow)["time"], Eq(Json("2024-05-20T00:00:00.000Z")));
}

TEST(ConverterTest, WritesEventForUserAlias) {
  v1::Event event = EventFor(kExternalId);
  event.mutable_user()->mutable_user_alias()->set_alias_name("n");
  event.mutable_user()->mutable_user_alias()->set_alias_label("l");
  ExpectGolden(EventToBraze(event, kReceived, kNow), R"({
    "user_alias": {"alias_name": "n", "alias_label": "l"},
    "name": "signed_up", "time": "2024-05-01T12:34:56.000Z"
  })");
}

// ---- Purchases ----

TEST(ConverterTest, WritesPurchaseWithEveryField) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  purchase.set_app_id("app-1");
  purchase.set_quantity(3);
  (*purchase.mutable_properties()->mutable_fields())["color"] = StringValue("red");
  purchase.set_update_existing_only(false);
  purchase.set_purchase_id("idempotency-2");  // never sent to Braze
  ExpectGolden(PurchaseToBraze(purchase, kReceived, kNow), R"({
    "external_id": "user-1",
    "app_id": "app-1",
    "product_id": "sku-1",
    "currency": "USD",
    "price": 12.5,
    "quantity": 3,
    "time": "2024-05-01T12:34:56.000Z",
    "properties": {"color": "red"},
    "_update_existing_only": false
  })");
}

TEST(ConverterTest, UpperCasesPurchaseCurrency) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  purchase.set_currency("eUr");
  EXPECT_THAT(PurchaseToBraze(purchase, kReceived, kNow)["currency"], Eq(Json("EUR")));
}

TEST(ConverterTest, OmitsPurchaseQuantityWhenUnset) {
  ExpectGolden(PurchaseToBraze(PurchaseFor(kExternalId), kReceived, kNow), R"({
    "external_id": "user-1", "product_id": "sku-1", "currency": "USD", "price": 12.5,
    "time": "2024-05-01T12:34:56.000Z"
  })");
}

// The converter is total: an invalid item (the validator refuses both)
// converts without a crash, and an absent price is left out rather than sent
// as 0, so Braze would refuse it too (tests/conformance).
TEST(ConverterTest, ConvertsInvalidItemsWithoutCrashing) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  purchase.clear_price();
  EXPECT_FALSE(PurchaseToBraze(purchase, kReceived, kNow).contains("price"));
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id(kExternalId);
  profile.add_subscription_groups()->set_subscription_group_id("g");  // state unset
  EXPECT_TRUE(ProfileToBraze(profile)["subscription_groups"][0]["subscription_state"].is_null());
}

TEST(ConverterTest, WritesZeroPrice) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  purchase.set_price(0);
  EXPECT_THAT(PurchaseToBraze(purchase, kReceived, kNow)["price"], Eq(Json(0.0)));
}

TEST(ConverterTest, ClampsFuturePurchaseTimeToNow) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  *purchase.mutable_time() = Timestamp(kFutureSeconds);
  EXPECT_THAT(PurchaseToBraze(purchase, kReceived, kNow)["time"],
              Eq(Json("2024-06-01T00:00:00.000Z")));
}

TEST(ConverterTest, StampsPurchaseWithoutTimeWithReceivedTime) {
  v1::Purchase purchase = PurchaseFor(kExternalId);
  purchase.clear_time();
  EXPECT_THAT(PurchaseToBraze(purchase, kReceived, kNow)["time"],
              Eq(Json("2024-05-20T00:00:00.000Z")));
}

}  // namespace
}  // namespace brazesync
