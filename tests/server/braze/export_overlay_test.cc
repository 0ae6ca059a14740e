// Tests for server/braze/export_overlay.h: one /users/track object, in the
// converter's JSON shapes, applied to an ExportedUser as Braze's export will
// show it (case 88, read-your-writes). Standard fields set and clear;
// identifiers and control keys are not attributes (but email / phone are
// when another identifier is present); custom attributes set, clear, `inc`,
// `add` / `remove`, nested objects replace or merge; object-array operations
// and unexportable shapes report false and change nothing. Events and
// purchases count once per occurrence the export does not show yet.
#include "server/braze/export_overlay.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/braze/users_export.h"

namespace brazesync {
namespace {

using google::protobuf::Value;

v1::ExportedUser ExportedFrom(const std::string& user_json) {
  absl::StatusOr<ExportAnswer> answer = ParseUsersExportBody(R"({"users":[)" + user_json + "]}");
  EXPECT_TRUE(answer.ok()) << answer.status();
  return answer.ok() && !answer->users.empty() ? answer->users[0] : v1::ExportedUser();
}

bool Apply(absl::string_view array, const char* object_json, v1::ExportedUser* user) {
  return ApplyTrackObject(array, Json::parse(object_json), user);
}

const Value& Attribute(const v1::ExportedUser& user, const std::string& key) {
  static const Value* const kMissing = new Value();
  const auto& fields = user.custom_attributes().fields();
  auto it = fields.find(key);
  return it == fields.end() ? *kMissing : it->second;
}

std::vector<std::string> StringList(const Value& value) {
  std::vector<std::string> strings;
  for (const Value& element : value.list_value().values()) {
    strings.push_back(element.string_value());
  }
  return strings;
}

// ---- Standard fields ----

TEST(ExportOverlayAttributesTest, SetsStandardFieldsUnderTheirExportNames) {
  v1::ExportedUser user = ExportedFrom(R"({"external_id": "u1", "first_name": "Old"})");
  EXPECT_TRUE(Apply("attributes", R"({
      "external_id": "u1", "first_name": "Alex", "last_name": "Smith", "email": "a@b.co",
      "phone": "+15555550123", "home_city": "Chicago", "country": "US", "language": "en",
      "time_zone": "America/Chicago", "dob": "1980-12-21", "gender": "F",
      "email_subscribe": "subscribed", "push_subscribe": "opted_in"})",
                    &user));
  EXPECT_EQ(user.first_name(), "Alex");
  EXPECT_EQ(user.last_name(), "Smith");
  EXPECT_EQ(user.email(), "a@b.co");
  EXPECT_EQ(user.phone(), "+15555550123");
  EXPECT_EQ(user.home_city(), "Chicago");
  EXPECT_EQ(user.country(), "US");
  EXPECT_EQ(user.language(), "en");
  EXPECT_EQ(user.time_zone(), "America/Chicago");
  EXPECT_EQ(user.dob(), "1980-12-21");
  EXPECT_EQ(user.gender(), "F");
  EXPECT_EQ(user.email_subscribe(), "subscribed");
  EXPECT_EQ(user.push_subscribe(), "opted_in");
  EXPECT_FALSE(user.has_custom_attributes());  // none of them is custom
}

TEST(ExportOverlayAttributesTest, NullClearsAStandardField) {
  v1::ExportedUser user = ExportedFrom(R"({"first_name": "Alex", "home_city": "Chicago"})");
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "home_city": null})", &user));
  EXPECT_FALSE(user.has_home_city());
  EXPECT_EQ(user.first_name(), "Alex");
}

TEST(ExportOverlayAttributesTest, IdentifiersAndControlKeysAreNotAttributes) {
  v1::ExportedUser user = ExportedFrom(R"({"external_id": "u1"})");
  EXPECT_TRUE(Apply("attributes", R"({
      "user_alias": {"alias_name": "n", "alias_label": "l"}, "_update_existing_only": true,
      "_merge_objects": false, "push_token_import": false, "first_name": "A"})",
                    &user));
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_EQ(user.first_name(), "A");
  EXPECT_EQ(user.external_id(), "u1");
  EXPECT_EQ(user.user_aliases_size(), 0);
}

TEST(ExportOverlayAttributesTest, EmailIdentifierIsNotWrittenAsAnAttribute) {
  v1::ExportedUser user = ExportedFrom(R"({"email": "old@b.co"})");
  EXPECT_TRUE(Apply("attributes", R"({"email": "new@b.co", "first_name": "A"})", &user));
  EXPECT_EQ(user.email(), "old@b.co");
  EXPECT_TRUE(Apply("attributes", R"({"phone": "+15555550123", "last_name": "B"})", &user));
  EXPECT_FALSE(user.has_phone());
  EXPECT_EQ(user.last_name(), "B");
}

TEST(ExportOverlayAttributesTest, EmailNextToAnotherIdentifierIsTheStandardField) {
  v1::ExportedUser user = ExportedFrom(R"({"email": "old@b.co"})");
  EXPECT_TRUE(Apply("attributes", R"({"braze_id": "b1", "email": "new@b.co"})", &user));
  EXPECT_EQ(user.email(), "new@b.co");
}

TEST(ExportOverlayAttributesTest, EmailAfterAPhoneIdentifierIsTheStandardField) {
  v1::ExportedUser user = ExportedFrom(R"({"phone": "+15555550123"})");
  EXPECT_TRUE(Apply("attributes", R"({"phone": "+15555550199", "email": "new@b.co"})", &user));
  EXPECT_EQ(user.email(), "new@b.co");
  EXPECT_EQ(user.phone(), "+15555550123");
}

TEST(ExportOverlayAttributesTest, UnexportedStandardFieldsChangeNothing) {
  v1::ExportedUser user;
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "image_url": "https://x/y.png",
      "date_of_first_session": "2020-01-01T00:00:00.000Z", "facebook": {"id": "f"}})",
                    &user));
  EXPECT_FALSE(user.has_custom_attributes());
  EXPECT_FALSE(user.has_other_fields());
}

TEST(ExportOverlayAttributesTest, UnappliableStandardFieldsReportFalseButTheRestApplies) {
  v1::ExportedUser user;
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "first_name": "A",
      "current_location": {"latitude": 1, "longitude": 2}})",
                     &user));
  EXPECT_EQ(user.first_name(), "A");
  EXPECT_EQ(user.last_coordinates_size(), 0);
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "subscription_groups": []})", &user));
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "push_tokens": []})", &user));
}

TEST(ExportOverlayAttributesTest, WronglyTypedStandardFieldReportsFalse) {
  v1::ExportedUser user = ExportedFrom(R"({"first_name": "Alex"})");
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "first_name": 3})", &user));
  EXPECT_EQ(user.first_name(), "Alex");
}

// ---- Custom attributes ----

TEST(ExportOverlayCustomTest, SetsAndClears) {
  v1::ExportedUser user =
      ExportedFrom(R"({"custom_attributes": {"tier": "silver", "gone": 1, "kept": true}})");
  EXPECT_TRUE(Apply("attributes",
                    R"({"external_id": "u1", "tier": "gold", "gone": null, "new": 2.5})", &user));
  EXPECT_EQ(Attribute(user, "tier").string_value(), "gold");
  EXPECT_EQ(user.custom_attributes().fields().count("gone"), 0);
  EXPECT_DOUBLE_EQ(Attribute(user, "new").number_value(), 2.5);
  EXPECT_TRUE(Attribute(user, "kept").bool_value());
}

TEST(ExportOverlayCustomTest, IncrementAddsToTheNumberOrToZero) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"points": 107}})");
  EXPECT_TRUE(Apply("attributes",
                    R"({"external_id": "u1", "points": {"inc": 3}, "visits": {"inc": -2}})",
                    &user));
  EXPECT_DOUBLE_EQ(Attribute(user, "points").number_value(), 110);
  EXPECT_DOUBLE_EQ(Attribute(user, "visits").number_value(), -2);
}

TEST(ExportOverlayCustomTest, IncrementOfAStringReportsFalseAndKeepsIt) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"loyaltyPoints": "321"}})");
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "loyaltyPoints": {"inc": 1}})", &user));
  EXPECT_EQ(Attribute(user, "loyaltyPoints").string_value(), "321");
}

TEST(ExportOverlayCustomTest, AddAndRemoveChangeTheArrayAsASet) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"tags": ["a", "b"]}})");
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "tags": {"add": ["b", "c"]}})", &user));
  EXPECT_THAT(StringList(Attribute(user, "tags")), ::testing::ElementsAre("a", "b", "c"));
  EXPECT_TRUE(
      Apply("attributes", R"({"external_id": "u1", "tags": {"remove": ["a", "zz"]}})", &user));
  EXPECT_THAT(StringList(Attribute(user, "tags")), ::testing::ElementsAre("b", "c"));
  EXPECT_TRUE(Apply("attributes",
                    R"({"external_id": "u1", "tags": {"add": ["d"], "remove": ["b"]}})", &user));
  EXPECT_THAT(StringList(Attribute(user, "tags")), ::testing::ElementsAre("c", "d"));
}

TEST(ExportOverlayCustomTest, AddToAnUnsetArrayCreatesIt_RemoveLeavesItUnset) {
  v1::ExportedUser user;
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "gone": {"remove": ["x"]}})", &user));
  EXPECT_EQ(user.custom_attributes().fields().count("gone"), 0);
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "tags": {"add": ["x"]}})", &user));
  EXPECT_THAT(StringList(Attribute(user, "tags")), ::testing::ElementsAre("x"));
}

TEST(ExportOverlayCustomTest, ArrayChangeOnAScalarReportsFalse) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"tags": "a"}})");
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "tags": {"add": ["b"]}})", &user));
  EXPECT_EQ(Attribute(user, "tags").string_value(), "a");
}

TEST(ExportOverlayCustomTest, WholeArrayReplaces) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"tags": ["a"]}})");
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "tags": ["x", "y"]})", &user));
  EXPECT_THAT(StringList(Attribute(user, "tags")), ::testing::ElementsAre("x", "y"));
}

TEST(ExportOverlayCustomTest, NestedObjectReplacesWithoutMergeObjects) {
  v1::ExportedUser user =
      ExportedFrom(R"({"custom_attributes": {"car": {"make": "VW", "year": 2010}}})");
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "car": {"make": "BMW"}})", &user));
  const auto& car = Attribute(user, "car").struct_value().fields();
  EXPECT_EQ(car.at("make").string_value(), "BMW");
  EXPECT_EQ(car.count("year"), 0);
}

TEST(ExportOverlayCustomTest, NestedObjectMergesWithMergeObjects) {
  v1::ExportedUser user = ExportedFrom(
      R"({"custom_attributes": {"car": {"make": "VW", "year": 2010, "owner": {"a": 1, "b": 2}}}})");
  EXPECT_TRUE(Apply("attributes", R"({"external_id": "u1", "_merge_objects": true,
      "car": {"year": 2020, "owner": {"b": null, "c": 3}}})",
                    &user));
  const auto& car = Attribute(user, "car").struct_value().fields();
  EXPECT_EQ(car.at("make").string_value(), "VW");
  EXPECT_DOUBLE_EQ(car.at("year").number_value(), 2020);
  const auto& owner = car.at("owner").struct_value().fields();
  EXPECT_DOUBLE_EQ(owner.at("a").number_value(), 1);
  EXPECT_EQ(owner.count("b"), 0);
  EXPECT_DOUBLE_EQ(owner.at("c").number_value(), 3);
}

TEST(ExportOverlayCustomTest, ObjectArrayOperationsAreLeftAsExported) {
  v1::ExportedUser user =
      ExportedFrom(R"({"custom_attributes": {"pets": [{"id": 1, "name": "Rex"}]}})");
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "first_name": "A",
      "pets": {"$add": [{"id": 2, "name": "Tom"}]}})",
                     &user));
  EXPECT_EQ(Attribute(user, "pets").list_value().values_size(), 1);
  EXPECT_EQ(user.first_name(), "A");
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1",
      "pets": {"$remove": [{"$identifier_key": "id", "$identifier_value": 1}]}})",
                     &user));
  EXPECT_FALSE(Apply("attributes", R"({"external_id": "u1", "pets": {"$update": []}})", &user));
  EXPECT_EQ(Attribute(user, "pets").list_value().values_size(), 1);
}

// ---- Events ----

TEST(ExportOverlayEventsTest, NewEventStartsASummaryOfOne) {
  v1::ExportedUser user;
  EXPECT_TRUE(Apply("events", R"({"external_id": "u1", "name": "Signed Up",
      "time": "2024-05-01T10:00:00.000Z", "properties": {"plan": "pro"}})",
                    &user));
  ASSERT_EQ(user.custom_events_size(), 1);
  EXPECT_EQ(user.custom_events(0).name(), "Signed Up");
  EXPECT_EQ(user.custom_events(0).first(), "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(user.custom_events(0).last(), "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(user.custom_events(0).count(), 1);
}

TEST(ExportOverlayEventsTest, LaterEventCountsAndMovesLast) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_events": [{"name": "Loyalty Acknowledgement",
      "first": "2021-06-28T17:02:43.032Z", "last": "2021-06-28T17:02:43.032Z", "count": 1}]})");
  EXPECT_TRUE(Apply("events", R"({"external_id": "u1", "name": "Loyalty Acknowledgement",
      "time": "2021-07-01T00:00:00.000Z"})",
                    &user));
  ASSERT_EQ(user.custom_events_size(), 1);
  EXPECT_EQ(user.custom_events(0).count(), 2);
  EXPECT_EQ(user.custom_events(0).first(), "2021-06-28T17:02:43.032Z");
  EXPECT_EQ(user.custom_events(0).last(), "2021-07-01T00:00:00.000Z");
}

TEST(ExportOverlayEventsTest, EventTheExportAlreadyShowsIsNotCountedTwice) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_events": [{"name": "e",
      "first": "2021-06-01T00:00:00.000Z", "last": "2021-06-28T17:02:43.032Z", "count": 4}]})");
  // At `last` exactly, and before it: Braze has caught up with this write.
  EXPECT_TRUE(Apply("events", R"({"name": "e", "time": "2021-06-28T17:02:43.032Z"})", &user));
  EXPECT_TRUE(Apply("events", R"({"name": "e", "time": "2021-06-10T00:00:00.000Z"})", &user));
  EXPECT_EQ(user.custom_events(0).count(), 4);
  EXPECT_EQ(user.custom_events(0).last(), "2021-06-28T17:02:43.032Z");
}

TEST(ExportOverlayEventsTest, ComparesAsTimesNotText) {
  // "...UTC" sorts after "...T..." as text; as times it is earlier.
  v1::ExportedUser user = ExportedFrom(R"({"custom_events": [{"name": "e",
      "first": "2021-06-28 10:00:00.000 UTC", "last": "2021-06-28 10:00:00.000 UTC", "count": 1}]})");
  EXPECT_TRUE(Apply("events", R"({"name": "e", "time": "2021-06-28T12:00:00+02:00"})", &user));
  EXPECT_EQ(user.custom_events(0).count(), 1);  // 10:00Z: the same moment
  EXPECT_TRUE(Apply("events", R"({"name": "e", "time": "2021-06-28T10:00:01Z"})", &user));
  EXPECT_EQ(user.custom_events(0).count(), 2);
  EXPECT_EQ(user.custom_events(0).last(), "2021-06-28T10:00:01.000Z");
}

TEST(ExportOverlayEventsTest, OtherNamesAreOtherSummaries) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_events": [{"name": "a",
      "first": "2021-06-01T00:00:00.000Z", "last": "2021-06-01T00:00:00.000Z", "count": 1}]})");
  EXPECT_TRUE(Apply("events", R"({"name": "b", "time": "2021-05-01T00:00:00.000Z"})", &user));
  ASSERT_EQ(user.custom_events_size(), 2);
  EXPECT_EQ(user.custom_events(0).count(), 1);
  EXPECT_EQ(user.custom_events(1).name(), "b");
  EXPECT_EQ(user.custom_events(1).count(), 1);
}

TEST(ExportOverlayEventsTest, UnreadableEventOrSummaryReportsFalse) {
  v1::ExportedUser user = ExportedFrom(R"({"custom_events": [{"name": "e",
      "first": "garbage", "last": "garbage", "count": 1}]})");
  EXPECT_FALSE(Apply("events", R"({"name": "e", "time": "2021-06-28T10:00:00Z"})", &user));
  EXPECT_EQ(user.custom_events(0).count(), 1);
  EXPECT_FALSE(Apply("events", R"({"name": "x", "time": "soon"})", &user));
  EXPECT_FALSE(Apply("events", R"({"time": "2021-06-28T10:00:00Z"})", &user));
  EXPECT_EQ(user.custom_events_size(), 1);
}

// ---- Purchases ----

TEST(ExportOverlayPurchasesTest, SummaryIsKeyedByProductId) {
  v1::ExportedUser user = ExportedFrom(R"({"total_revenue": 65, "purchases": [{"name": "item_40834",
      "first": "2021-09-05T03:45:50.540Z", "last": "2022-06-03T17:30:41.201Z", "count": 10}]})");
  EXPECT_TRUE(Apply("purchases", R"({"external_id": "u1", "product_id": "item_40834",
      "currency": "USD", "price": 12.5, "quantity": 2, "time": "2022-07-01T00:00:00.000Z"})",
                    &user));
  ASSERT_EQ(user.purchases_size(), 1);
  EXPECT_EQ(user.purchases(0).count(), 12);  // quantity 2: two purchases
  EXPECT_EQ(user.purchases(0).first(), "2021-09-05T03:45:50.540Z");
  EXPECT_EQ(user.purchases(0).last(), "2022-07-01T00:00:00.000Z");
  EXPECT_DOUBLE_EQ(user.total_revenue(), 90);
}

TEST(ExportOverlayPurchasesTest, NewProductStartsASummary) {
  v1::ExportedUser user;
  EXPECT_TRUE(Apply("purchases", R"({"product_id": "p1", "currency": "USD", "price": 3,
      "time": "2022-07-01T00:00:00.000Z"})",
                    &user));
  ASSERT_EQ(user.purchases_size(), 1);
  EXPECT_EQ(user.purchases(0).name(), "p1");
  EXPECT_EQ(user.purchases(0).count(), 1);
  EXPECT_DOUBLE_EQ(user.total_revenue(), 3);
}

TEST(ExportOverlayPurchasesTest, UnreadableQuantityReportsFalse) {
  v1::ExportedUser user;
  EXPECT_FALSE(Apply("purchases", R"({"product_id": "p", "currency": "USD", "price": 1,
      "quantity": "two", "time": "2022-06-01T00:00:00.000Z"})",
                     &user));
  EXPECT_EQ(user.purchases_size(), 0);
}

TEST(ExportOverlayPurchasesTest, PurchaseTheExportShowsChangesNothing) {
  v1::ExportedUser user = ExportedFrom(R"({"total_revenue": 65, "purchases": [{"name": "p",
      "first": "2021-09-05T03:45:50.540Z", "last": "2022-06-03T17:30:41.201Z", "count": 10}]})");
  EXPECT_TRUE(Apply("purchases", R"({"product_id": "p", "currency": "USD", "price": 5,
      "time": "2022-06-01T00:00:00.000Z"})",
                    &user));
  EXPECT_EQ(user.purchases(0).count(), 10);
  EXPECT_DOUBLE_EQ(user.total_revenue(), 65);
}

TEST(ExportOverlayPurchasesTest, OtherCurrencyCountsButLeavesRevenue) {
  v1::ExportedUser user = ExportedFrom(R"({"total_revenue": 65})");
  EXPECT_FALSE(Apply("purchases", R"({"product_id": "p", "currency": "EUR", "price": 5,
      "time": "2022-06-01T00:00:00.000Z"})",
                     &user));
  EXPECT_EQ(user.purchases(0).count(), 1);
  EXPECT_DOUBLE_EQ(user.total_revenue(), 65);
}

// ---- Anything else ----

// The overlay is total: whatever shape an object has, it returns (true or
// false) without crashing, and a user it was applied to still serialises.
TEST(ExportOverlayTest, OddShapesNeverCrash) {
  const char* const kValues[] = {"null",
                                 "true",
                                 "1",
                                 "\"s\"",
                                 "[]",
                                 "[1, [2]]",
                                 "{}",
                                 R"({"inc": "x"})",
                                 R"({"add": 1})",
                                 R"({"add": [], "x": 1})",
                                 R"({"$add": 1})",
                                 R"({"inc": 1, "add": []})"};
  const char* const kKeys[] = {"first_name", "custom",   "name",     "time",           "product_id",
                               "price",      "currency", "quantity", "_merge_objects", "email"};
  for (const char* array : {"attributes", "events", "purchases"}) {
    for (const char* key : kKeys) {
      for (const char* value : kValues) {
        v1::ExportedUser user = ExportedFrom(R"({"custom_attributes": {"custom": 1},
            "custom_events": [{"name": "s", "first": "x", "last": "y", "count": 1}]})");
        const Json object =
            Json::parse(std::string("{\"") + key + "\": " + value +
                        R"(, "name": "s", "product_id": "s", "time": "2021-01-01T00:00:00Z"})");
        ApplyTrackObject(array, object, &user);
        EXPECT_FALSE(user.SerializeAsString().empty()) << array << " " << object.dump();
      }
    }
  }
}

TEST(ExportOverlayTest, UnknownArrayOrNonObjectReportsFalse) {
  v1::ExportedUser user;
  EXPECT_FALSE(Apply("devices", R"({"external_id": "u1"})", &user));
  EXPECT_FALSE(ApplyTrackObject("attributes", Json::array(), &user));
  EXPECT_FALSE(user.has_custom_attributes());
}

}  // namespace
}  // namespace brazesync
