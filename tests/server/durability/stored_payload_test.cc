// Tests for server/durability/stored_payload.h, the stored item format:
// encoding an accepted item (receipt time stamped into events and purchases
// without one, the event_id/purchase_id as the item id), decoding a stored
// payload to Braze JSON, a round trip through both, and DATA_LOSS for what
// this release cannot decode.
#include "server/durability/stored_payload.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/durability/outbox_test_support.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using outbox_testing::EventItem;
using outbox_testing::MakeEvent;
using outbox_testing::ProfileItem;
using outbox_testing::PurchaseItem;
using ::testing::HasSubstr;
using testing_support::StatusIs;

using JsonValue = nlohmann::json;

// A fixed receipt time: 2024-05-01T00:00:00Z.
constexpr int64_t kAcceptedUnixSeconds = 1714521600;

v1::Purchase MakePurchase(const std::string& purchase_id) {
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id("u1");
  purchase.set_product_id("plan_pro");
  purchase.set_currency("USD");
  purchase.set_price(49.5);
  purchase.set_purchase_id(purchase_id);
  return purchase;
}

// --- Encode ---------------------------------------------------------------

class EncodeTest : public ::testing::Test {
 protected:
  const absl::Time received_ =
      absl::FromUnixSeconds(kAcceptedUnixSeconds) + absl::Milliseconds(250);
};

TEST_F(EncodeTest, EventWithoutTimeGetsTheReceiptTimeToTheMillisecond) {
  v1::Event event = MakeEvent("u1", "signed_up");
  event.set_event_id("e1");
  const NewOutboxItem item = EncodeEvent(event, received_ + absl::Microseconds(900));

  EXPECT_EQ(item.kind, v1::ITEM_KIND_EVENT);
  EXPECT_EQ(item.item_id, "e1");
  EXPECT_EQ(item.payload_version, kPayloadVersion);
  EXPECT_TRUE(item.workspace.empty());  // the caller's to fill in
  v1::Event stored;
  ASSERT_TRUE(stored.ParseFromString(item.payload));
  EXPECT_EQ(stored.time().seconds(), kAcceptedUnixSeconds);
  EXPECT_EQ(stored.time().nanos(), 250'000'000);
  EXPECT_EQ(stored.name(), "signed_up");
}

TEST_F(EncodeTest, EventKeepsItsOwnTime) {
  v1::Event event = MakeEvent("u1", "signed_up");
  event.mutable_time()->set_seconds(kAcceptedUnixSeconds - 3600);
  v1::Event stored;
  ASSERT_TRUE(stored.ParseFromString(EncodeEvent(event, received_).payload));
  EXPECT_EQ(stored.time().seconds(), kAcceptedUnixSeconds - 3600);
  EXPECT_EQ(stored.time().nanos(), 0);
}

TEST_F(EncodeTest, PurchaseWithoutTimeGetsTheReceiptTime) {
  const NewOutboxItem item = EncodePurchase(MakePurchase("p1"), received_);
  EXPECT_EQ(item.kind, v1::ITEM_KIND_PURCHASE);
  EXPECT_EQ(item.item_id, "p1");
  EXPECT_EQ(item.payload_version, kPayloadVersion);
  v1::Purchase stored;
  ASSERT_TRUE(stored.ParseFromString(item.payload));
  EXPECT_EQ(stored.time().seconds(), kAcceptedUnixSeconds);
  EXPECT_EQ(stored.product_id(), "plan_pro");
}

TEST_F(EncodeTest, ProfileHasNoItemId) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("u1");
  profile.set_first_name("Ada");
  const NewOutboxItem item = EncodeProfile(profile);
  EXPECT_EQ(item.kind, v1::ITEM_KIND_ATTRIBUTES);
  EXPECT_TRUE(item.item_id.empty());
  EXPECT_EQ(item.payload, profile.SerializeAsString());
  EXPECT_EQ(item.payload_version, kPayloadVersion);
}

TEST_F(EncodeTest, RoundTripKeepsTheReceiptTimeWhateverTheAcceptTime) {
  const NewOutboxItem item = EncodeEvent(MakeEvent("u1", "signed_up"), received_);
  // Decoded a day later with another accept time (e.g. after a replay).
  absl::StatusOr<std::string> json =
      StoredItemToBrazeJson(item.payload_version, item.kind, item.payload,
                            received_ + absl::Hours(24), received_ + absl::Hours(25));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(JsonValue::parse(*json)["time"], "2024-05-01T00:00:00.250Z");
}

// --- Decode: StoredItemToBrazeJson ----------------------------------------

class StoredItemToBrazeJsonTest : public ::testing::Test {
 protected:
  const absl::Time accepted_ = absl::FromUnixSeconds(kAcceptedUnixSeconds);
  const absl::Time now_ = accepted_ + absl::Minutes(1);
};

TEST_F(StoredItemToBrazeJsonTest, ConvertsAttributes) {
  absl::StatusOr<std::string> json = StoredItemToBrazeJson(
      kPayloadVersion, v1::ITEM_KIND_ATTRIBUTES, ProfileItem("Ada").payload, accepted_, now_);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(JsonValue::parse(*json),
            JsonValue::parse(R"({"external_id":"u1","first_name":"Ada"})"));
}

TEST_F(StoredItemToBrazeJsonTest, ConvertsEventStampingReceiptTime) {
  absl::StatusOr<std::string> json = StoredItemToBrazeJson(
      kPayloadVersion, v1::ITEM_KIND_EVENT, EventItem("e1", "signed_up").payload, accepted_, now_);
  ASSERT_TRUE(json.ok()) << json.status();
  const JsonValue value = JsonValue::parse(*json);
  EXPECT_EQ(value["external_id"], "u1");
  EXPECT_EQ(value["name"], "signed_up");
  EXPECT_EQ(value["time"], "2024-05-01T00:00:00.000Z");
  EXPECT_FALSE(value.contains("event_id"));
}

TEST_F(StoredItemToBrazeJsonTest, ConvertsEventKeepingItsOwnTime) {
  v1::Event event = MakeEvent("u1", "signed_up");
  event.mutable_time()->set_seconds(kAcceptedUnixSeconds - 3600);
  absl::StatusOr<std::string> json = StoredItemToBrazeJson(
      kPayloadVersion, v1::ITEM_KIND_EVENT, event.SerializeAsString(), accepted_, now_);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(JsonValue::parse(*json)["time"], "2024-04-30T23:00:00.000Z");
}

TEST_F(StoredItemToBrazeJsonTest, ConvertsPurchase) {
  absl::StatusOr<std::string> json = StoredItemToBrazeJson(
      kPayloadVersion, v1::ITEM_KIND_PURCHASE, PurchaseItem("p1").payload, accepted_, now_);
  ASSERT_TRUE(json.ok()) << json.status();
  const JsonValue value = JsonValue::parse(*json);
  EXPECT_EQ(value["external_id"], "u1");
  EXPECT_EQ(value["product_id"], "plan_pro");
  EXPECT_EQ(value["currency"], "USD");
  EXPECT_EQ(value["price"], 49.5);
  EXPECT_EQ(value["time"], "2024-05-01T00:00:00.000Z");
  EXPECT_FALSE(value.contains("purchase_id"));
}

TEST_F(StoredItemToBrazeJsonTest, UnknownVersionIsDataLoss) {
  EXPECT_THAT(StoredItemToBrazeJson(kPayloadVersion + 1, v1::ITEM_KIND_EVENT,
                                    EventItem("e1").payload, accepted_, now_)
                  .status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
  EXPECT_THAT(
      StoredItemToBrazeJson(0, v1::ITEM_KIND_EVENT, EventItem("e1").payload, accepted_, now_)
          .status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
}

TEST_F(StoredItemToBrazeJsonTest, UnparsablePayloadIsDataLoss) {
  EXPECT_THAT(
      StoredItemToBrazeJson(kPayloadVersion, v1::ITEM_KIND_EVENT, "\xff\xff\xff", accepted_, now_)
          .status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("parse")));
}

TEST_F(StoredItemToBrazeJsonTest, UnknownKindIsDataLoss) {
  EXPECT_THAT(StoredItemToBrazeJson(kPayloadVersion, v1::ITEM_KIND_UNSPECIFIED,
                                    EventItem("e1").payload, accepted_, now_)
                  .status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("kind")));
}

}  // namespace
}  // namespace brazesync
