// Tests of BrazeJsonOf: a recent write's Braze object, whether Track sent
// JSON (synchronous) or stored the item (asynchronous; converted on demand).
#include "server/durability/recent_writes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "server/durability/stored_payload.h"

namespace brazesync {
namespace {

TEST(RecentWritesTest, JsonWritesAreTheirOwnJson) {
  RecentWrite write{"external_id:u1", "attributes", R"({"external_id":"u1"})", absl::Now()};
  EXPECT_EQ(BrazeJsonOf(write), R"({"external_id":"u1"})");
}

TEST(RecentWritesTest, StoredItemsAreConvertedWhenAsked) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("u1");
  profile.set_first_name("Grace");
  const NewOutboxItem stored = EncodeProfile(profile);
  RecentWrite write{"external_id:u1", "attributes", "", absl::Now()};
  write.stored_payload = stored.payload;
  write.payload_version = stored.payload_version;

  const nlohmann::json json = nlohmann::json::parse(BrazeJsonOf(write));
  EXPECT_EQ(json["external_id"], "u1");
  EXPECT_EQ(json["first_name"], "Grace");
}

TEST(RecentWritesTest, AnUnreadableStoredItemGivesNoJson) {
  RecentWrite write{"external_id:u1", "attributes", "", absl::Now()};
  write.stored_payload = "not a payload";
  write.payload_version = 999;
  EXPECT_EQ(BrazeJsonOf(write), "");
}

}  // namespace
}  // namespace brazesync
