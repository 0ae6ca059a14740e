// Tests for the emulator's subscription endpoints over real HTTP
// (braze-api-round2.md §2.10, §2.11, §2.13, cases 147-158):
// /subscription/status/set (v1), /v2/subscription/status/set and the
// read-back GET /subscription/user/status. Covers the 400 rules, the
// e-mail fan-out, the orphaned state inherited by a profile created later,
// double opt-in without a profile, deletion of the last holder, the shared
// v1+v2 budget and the denied permission.
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

constexpr char kV1[] = "/subscription/status/set";
constexpr char kV2[] = "/v2/subscription/status/set";
constexpr char kEmailGroup[] = "email-group-1";
constexpr char kSmsGroup[] = "sms-group-1";

Json Group(const std::string& id, const std::string& state, const Json& ids) {
  Json out = {{"subscription_group_id", id}, {"subscription_state", state}};
  out.update(ids);
  return out;
}
// A v2 body. A braced single group reaches here as the object itself
// (nlohmann's one-element initializer list), so it is wrapped.
Json V2(const Json& groups) {
  return {{"subscription_groups", groups.is_object() ? Json::array({groups}) : groups}};
}

using SubscriptionEndpointsTest = EmulatorEndpointTest;

TEST_F(SubscriptionEndpointsTest, BodyRulesAnswer400) {
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back(absl::StrCat("u", i));
  const struct {
    const char* path;
    Json body;
    std::string message;
  } cases[] = {
      {kV1,
       Group(kEmailGroup, "subscribed", {{"email", "a@example.com"}, {"phone", "+12223334444"}}),
       "Either an email address or a phone number should be provided, but not both."},  // 147
      {kV2,
       V2({Group(kEmailGroup, "subscribed", {{"emails", {"a@example.com"}}}),
           Group(kSmsGroup, "subscribed", {{"phones", {"+12223334444"}}})}),
       "Either an email address or a phone number should be provided, but not both."},  // 148
      {kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {"u1", nullptr}}})}),
       "The value provided for the external_ids field is not a valid ID array."},  // 149
      {kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {""}}})}),
       "The value provided for the external_ids field is not a valid ID array."},
      {kV2, V2({Group(kSmsGroup, "subscribed", {{"phones", {"2223334444"}}})}),
       "The value provided for the phones field has a phone number that is not in E.164 format: "
       "2223334444"},  // 150
      {kV2, V2({Group(kEmailGroup, "opted_in", {{"external_ids", {"u1"}}})}),
       "'subscription_state' must be 'subscribed' or 'unsubscribed'"},  // 151
      {kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", many}})}),
       "a subscription group update may not contain more than 50 external_ids, 50 emails or 50 "
       "phones"},  // 152
      {kV2, V2(Json::array()), "'subscription_groups' must be a non-empty array of objects"},
      {kV2, V2({Group(kEmailGroup, "subscribed", Json::object())}),
       "One of 'external_ids', 'emails' or 'phones' is required"},
      {kV1, Group("", "subscribed", {{"external_id", "u1"}}),
       "'subscription_group_id' is required"},
  };
  for (const auto& c : cases) {
    const JsonReply reply = Post(c.path, c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    EXPECT_EQ(reply.body.value("message", ""), c.message) << c.body;
  }
}

TEST_F(SubscriptionEndpointsTest, StatesAreReadBackCapitalisedAndOnlyWithHistory) {
  // Case 158.
  Track({{"attributes", {{{"external_id", "u1"}, {"email", "ada@example.com"}}}}});
  const JsonReply set =
      Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {"u1"}}}),
                    Group(kSmsGroup, "unsubscribed", {{"external_ids", {"u1", "ghost"}}})}));
  EXPECT_EQ(set.status, 201);
  EXPECT_EQ(set.body, (Json{{"message", "success"}}));
  const JsonReply status = Get("/subscription/user/status?external_id=u1");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(
      status.body,
      (Json{
          {"users",
           {{{"email", "ada@example.com"},
             {"external_id", "u1"},
             {"subscription_groups",
              {{{"id", kEmailGroup}, {"name", ""}, {"channel", ""}, {"status", "Subscribed"}},
               {{"id", kSmsGroup}, {"name", ""}, {"channel", ""}, {"status", "Unsubscribed"}}}}}}},
          {"total_count", 1},
          {"message", "success"}}));
  // A user without history lists no groups (unknown, not unsubscribed).
  Track({{"attributes", {{{"external_id", "u2"}}}}});
  const JsonReply fresh = Get("/subscription/user/status?external_id=u2");
  EXPECT_EQ(fresh.body["users"][0]["subscription_groups"], Json::array());
  // v1 and read-back without any identifier.
  EXPECT_EQ(Post(kV1, Group(kEmailGroup, "unsubscribed", {{"external_id", "u2"}})).status, 201);
  EXPECT_EQ(Get("/subscription/user/status?external_id=u2")
                .body["users"][0]["subscription_groups"][0]["status"],
            "Unsubscribed");
  EXPECT_EQ(Get("/subscription/user/status").status, 400);
}

TEST_F(SubscriptionEndpointsTest, AnEmailSharedByProfilesUpdatesEveryOne) {
  // Case 156; users sharing an e-mail come back as separate entries.
  Track({{"attributes",
          {{{"external_id", "a"}, {"email", "team@example.com"}},
           {{"external_id", "b"}, {"email", "team@example.com"}},
           {{"external_id", "c"}, {"email", "team@example.com"}}}}});
  ASSERT_EQ(
      Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"emails", {"team@example.com"}}})})).status,
      201);
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ((*emulator_->profile({{"external_id", id}}))["subscription_groups"],
              (Json{{kEmailGroup, "subscribed"}}))
        << id;
  }
  const JsonReply status = Get("/subscription/user/status?email=team@example.com");
  EXPECT_EQ(status.body["total_count"], 3);
  EXPECT_EQ(status.body["users"].size(), 3u);
}

TEST_F(SubscriptionEndpointsTest, AnOrphanedStateIsInheritedByAProfileCreatedLater) {
  // Case 153.
  const JsonReply set =
      Post(kV2, V2({Group(kEmailGroup, "unsubscribed", {{"emails", {"later@example.com"}}})}));
  EXPECT_EQ(set.status, 201);
  EXPECT_EQ(emulator_->profiles().size(), 0u);
  Track({{"attributes", {{{"external_id", "u1"}, {"email", "later@example.com"}}}}});
  EXPECT_EQ((*emulator_->profile({{"external_id", "u1"}}))["subscription_groups"],
            (Json{{kEmailGroup, "unsubscribed"}}));
  // Inherited once: the state now lives on that profile.
  Track({{"attributes", {{{"external_id", "u2"}, {"email", "later@example.com"}}}}});
  EXPECT_FALSE((*emulator_->profile({{"external_id", "u2"}})).contains("subscription_groups"));
}

TEST_F(SubscriptionEndpointsTest, DoubleOptInForAPhoneNoProfileHasStoresNothing) {
  // Case 154; without double opt-in the state is kept for later.
  Json group = Group(kSmsGroup, "subscribed", {{"phones", {"+12223334444"}}});
  group["use_double_opt_in_logic"] = true;
  EXPECT_EQ(Post(kV2, V2({group})).status, 201);
  EXPECT_EQ(
      Post(kV2, V2({Group("sms-group-2", "subscribed", {{"phones", {"+12223334444"}}})})).status,
      201);
  Track({{"attributes", {{{"external_id", "u1"}, {"phone", "+12223334444"}}}}});
  EXPECT_EQ((*emulator_->profile({{"external_id", "u1"}}))["subscription_groups"],
            (Json{{"sms-group-2", "subscribed"}}));
}

TEST_F(SubscriptionEndpointsTest, DeletingTheLastHolderDeletesTheState) {
  Track({{"attributes", {{{"external_id", "u1"}, {"email", "gone@example.com"}}}}});
  ASSERT_EQ(
      Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"emails", {"gone@example.com"}}})})).status,
      201);
  ASSERT_EQ(Post("/users/delete", Json{{"external_ids", {"u1"}}}).status, 201);
  Track({{"attributes", {{{"external_id", "u2"}, {"email", "gone@example.com"}}}}});
  EXPECT_FALSE((*emulator_->profile({{"external_id", "u2"}})).contains("subscription_groups"));
  EXPECT_EQ(Get("/subscription/user/status?email=gone@example.com")
                .body["users"][0]["subscription_groups"],
            Json::array());
}

TEST_F(SubscriptionEndpointsTest, V1AndV2ShareOneBudget) {
  EmulatorOptions options;
  options.subscription_rate_limit_requests = 2;
  Start(options);
  EXPECT_EQ(Post(kV1, Group(kEmailGroup, "subscribed", {{"external_id", "u1"}})).status, 201);
  EXPECT_EQ(Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {"u1"}}})})).status,
            201);
  const JsonReply third = Post(kV1, Group(kEmailGroup, "subscribed", {{"external_id", "u1"}}));
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(third.header("X-RateLimit-Limit"), "2");
  // The read-back is in the default pool.
  EXPECT_EQ(Get("/subscription/user/status?external_id=u1").status, 200);
  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.endpoint_rate_limited.at(kV1), 1u);
  EXPECT_EQ(stats.endpoint_requests.at(kV1), 2u);
  EXPECT_EQ(stats.endpoint_requests.at(kV2), 1u);
}

TEST_F(SubscriptionEndpointsTest, DeniedPermissionsAnswer401) {
  EmulatorOptions options;
  options.denied_permissions = {"subscription.groups.get"};
  Start(options);
  const JsonReply get = Get("/subscription/user/status?external_id=u1");
  EXPECT_EQ(get.status, 401);
  EXPECT_EQ(get.body, (Json{{"message", "Access Denied"}}));
  EXPECT_EQ(Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {"u1"}}})})).status,
            201);
  options.denied_permissions = {"subscription.status.set"};
  Start(options);
  EXPECT_EQ(Post(kV1, Group(kEmailGroup, "subscribed", {{"external_id", "u1"}})).status, 401);
  EXPECT_EQ(Post(kV2, V2({Group(kEmailGroup, "subscribed", {{"external_ids", {"u1"}}})})).status,
            401);
}

}  // namespace
}  // namespace brazesync::emulator
