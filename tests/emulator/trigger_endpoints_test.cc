// Tests for the emulator's /canvas/trigger/send and /campaigns/trigger/send
// over real HTTP (braze-api-round2.md §2.8, §2.9, §2.13, cases 128-146):
// the 400 rules, Canvas/campaign states and their notices, the messages the
// emulator records (GET /_emulator/messages), duplicates, recipient
// attributes applied before the send, and the targeted, broadcast and
// per-audience budgets.
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

constexpr char kCanvas[] = "/canvas/trigger/send";
constexpr char kCampaign[] = "/campaigns/trigger/send";
constexpr char kGroup[] = "3c2a8d4e-1111-2222-3333-444455556666";

Json Recipient(const std::string& external_id, const Json& extra = Json::object()) {
  Json out = {{"external_user_id", external_id}};
  out.update(extra);
  return out;
}
Json Recipients(int n) {
  Json out = Json::array();
  for (int i = 0; i < n; ++i) out.push_back(Recipient(absl::StrCat("u", i)));
  return out;
}

using TriggerEndpointsTest = EmulatorEndpointTest;

TEST_F(TriggerEndpointsTest, BodyRulesAnswer400) {
  const struct {
    const char* path;
    Json body;
    const char* message;
  } cases[] = {
      {kCanvas, Json{{"recipients", Recipients(1)}}, "canvas_id is required"},
      {kCampaign, Json{{"recipients", Recipients(1)}}, "campaign_id is required"},
      {kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}, {"recipients", Recipients(1)}},
       "'recipients' must not be given when 'broadcast' is true"},  // case 128
      {kCanvas, Json{{"canvas_id", "c"}}, "No Recipients"},         // case 129
      {kCanvas, Json{{"canvas_id", "c"}, {"broadcast", false}, {"recipients", Json::array()}},
       "No Recipients"},
      {kCanvas, Json{{"canvas_id", "c"}, {"recipients", Recipients(51)}},  // case 130
       "The max number of external_ids and aliases per request was exceeded"},
      {kCanvas,
       Json{{"canvas_id", "c"},
            {"recipients",
             {Recipient("u", {{"user_alias", {{"alias_name", "a"}, {"alias_label", "l"}}}})}}},
       "exactly one of"},  // case 132
      {kCanvas, Json{{"canvas_id", "c"}, {"recipients", {{{"send_to_existing_only", true}}}}},
       "exactly one of"},
      {kCanvas,
       Json{{"canvas_id", "c"},
            {"recipients",
             {{{"user_alias", {{"alias_name", "a"}, {"alias_label", "l"}}},
               {"send_to_existing_only", false},
               {"attributes", {{"first_name", "A"}}}}}}},
       "cannot be false for a 'user_alias' recipient"},  // case 133
      {kCanvas,
       Json{{"canvas_id", "c"},
            {"recipients", {Recipient("u", {{"send_to_existing_only", false}})}}},
       "'attributes' is required"},  // case 134
      {kCanvas,
       Json{{"canvas_id", "c"},
            {"recipients",
             {Recipient("u", {{"send_to_existing_only", false}, {"attributes", Json::object()}})}}},
       "'attributes' is required"},
      {kCanvas, Json{{"canvas_id", "c"}, {"recipients", {{{"email", "a@example.com"}}}}},
       "'prioritization' is required"},  // case 135
      {kCanvas,
       Json{{"canvas_id", "c"},
            {"context", {{"a", std::string(30000, 'x')}}},
            {"recipients", {Recipient("u", {{"context", {{"b", std::string(30000, 'y')}}}})}}},
       "at most 50 KB"},  // case 136
      {kCampaign,
       Json{{"campaign_id", "k"},
            {"broadcast", true},
            {"attachments", {{{"file_name", "f"}, {"url", "https://example.com/f.pdf"}}}}},
       "'attachments' are not allowed"},  // case 145
  };
  for (const auto& c : cases) {
    const JsonReply reply = Post(c.path, c.body);
    EXPECT_EQ(reply.status, 400) << c.body.dump().substr(0, 200);
    EXPECT_THAT(reply.body.value("message", ""), HasSubstr(c.message))
        << c.body.dump().substr(0, 200);
  }
  EXPECT_TRUE(emulator_->messages().empty());
}

TEST_F(TriggerEndpointsTest, UnknownIdsAreNotFoundWhenStatesAreConfigured) {
  EmulatorOptions options;
  options.canvas_states = {{"live", "active"}};
  options.campaign_states = {{"camp", "active"}};
  Start(options);
  const JsonReply canvas = Post(kCanvas, Json{{"canvas_id", "nope"}, {"broadcast", true}});
  EXPECT_EQ(canvas.status, 400);
  EXPECT_EQ(canvas.body, (Json{{"message", "Canvas with id nope not found"}}));
  const JsonReply campaign = Post(kCampaign, Json{{"campaign_id", "nope"}, {"broadcast", true}});
  EXPECT_EQ(campaign.body, (Json{{"message", "Campaign with id nope not found"}}));
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "live"}, {"broadcast", true}}).status, 201);
}

TEST_F(TriggerEndpointsTest, APausedOrArchivedCanvasAnswersANoticeAndSendsNothing) {
  // Case 138.
  EmulatorOptions options;
  options.canvas_states = {{"paused", "paused"}, {"archived", "archived"}, {"live", "active"}};
  options.campaign_states = {{"camp", "paused"}};
  Start(options);
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  const Json recipients = {Recipient("u1", {{"attributes", {{"first_name", "Changed"}}}})};
  const JsonReply paused = Post(kCanvas, Json{{"canvas_id", "paused"}, {"recipients", recipients}});
  EXPECT_EQ(paused.status, 201);
  EXPECT_EQ(paused.body["message"], "success");
  EXPECT_TRUE(paused.body.contains("dispatch_id"));
  EXPECT_EQ(paused.body["notice"],
            "The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect.");
  const JsonReply archived =
      Post(kCanvas, Json{{"canvas_id", "archived"}, {"recipients", recipients}});
  EXPECT_EQ(archived.body["notice"],
            "The Canvas is archived. Unarchive the Canvas to ensure trigger requests will take "
            "effect.");
  const JsonReply campaign =
      Post(kCampaign, Json{{"campaign_id", "camp"}, {"recipients", recipients}});
  EXPECT_EQ(campaign.body["notice"],
            "The campaign is paused. Resume the campaign to ensure trigger requests will take "
            "effect.");
  EXPECT_TRUE(emulator_->messages().empty());
  EXPECT_FALSE((*emulator_->profile({{"external_id", "u1"}})).contains("first_name"));
  // The active one sends, without a notice.
  const JsonReply live = Post(kCanvas, Json{{"canvas_id", "live"}, {"recipients", recipients}});
  EXPECT_FALSE(live.body.contains("notice"));
  EXPECT_EQ(emulator_->messages().size(), 1u);
}

TEST_F(TriggerEndpointsTest, ARecipientListedTwiceGetsOneMessageWithTheLastEntrysProperties) {
  // Case 131.
  Track({{"attributes", {{{"external_id", "u1"}}, {{"external_id", "u2"}}}}});
  const JsonReply reply =
      Post(kCanvas, Json{{"canvas_id", "c"},
                         {"context", {{"shared", "top"}, {"plan", "basic"}}},
                         {"recipients",
                          {Recipient("u1", {{"context", {{"plan", "first"}}}}), Recipient("u2"),
                           Recipient("u1", {{"context", {{"plan", "last"}}}})}}});
  ASSERT_EQ(reply.status, 201);
  const Json messages = emulator_->messages();
  ASSERT_EQ(messages.size(), 2u) << messages;
  EXPECT_EQ(messages[0]["recipient"], Recipient("u2"));
  EXPECT_EQ(messages[1]["recipient"], Recipient("u1"));
  EXPECT_EQ(messages[1]["external_id"], "u1");
  EXPECT_EQ(messages[1]["properties"], (Json{{"shared", "top"}, {"plan", "last"}}));
  EXPECT_EQ(messages[1]["properties_key"], "context");
  EXPECT_EQ(messages[1]["canvas_id"], "c");
  EXPECT_EQ(messages[1]["endpoint"], kCanvas);
  EXPECT_EQ(messages[1]["dispatch_id"], reply.body["dispatch_id"]);
  // The admin endpoint shows the same; Reset() forgets them.
  EXPECT_EQ(Get("/_emulator/messages").body, messages);
  EXPECT_EQ(emulator_->stats().messages_sent, 2u);
  emulator_->Reset();
  EXPECT_TRUE(emulator_->messages().empty());
}

TEST_F(TriggerEndpointsTest, LegacyCanvasEntryPropertiesAndCampaignTriggerPropertiesAreRecorded) {
  // Case 146: which key the caller used is kept.
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  ASSERT_EQ(Post(kCanvas, Json{{"canvas_id", "c"},
                               {"canvas_entry_properties", {{"a", 1}}},
                               {"recipients", {Recipient("u1")}}})
                .status,
            201);
  const JsonReply campaign = Post(
      kCampaign, Json{{"campaign_id", "k"},
                      {"send_id", "s-1"},
                      {"trigger_properties", {{"a", 1}}},
                      {"recipients", {Recipient("u1", {{"trigger_properties", {{"b", 2}}}})}}});
  ASSERT_EQ(campaign.status, 201);
  EXPECT_EQ(campaign.body["send_id"], "s-1");
  const Json messages = emulator_->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["properties_key"], "canvas_entry_properties");
  EXPECT_EQ(messages[0]["properties"], (Json{{"a", 1}}));
  EXPECT_EQ(messages[1]["properties_key"], "trigger_properties");
  EXPECT_EQ(messages[1]["campaign_id"], "k");
  EXPECT_EQ(messages[1]["properties"], (Json{{"a", 1}, {"b", 2}}));
  EXPECT_NE(messages[0]["dispatch_id"], messages[1]["dispatch_id"]);
}

TEST_F(TriggerEndpointsTest, UnknownUsersGetNothingUnlessCreatedWithAttributes) {
  // Case 139, and send_to_existing_only:false creating the user first.
  const JsonReply reply = Post(
      kCanvas,
      Json{{"canvas_id", "c"},
           {"recipients",
            {Recipient("ghost"), Recipient("new", {{"send_to_existing_only", false},
                                                   {"attributes", {{"first_name", "Nova"}}}})}}});
  EXPECT_EQ(reply.status, 201);
  const Json messages = emulator_->messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["external_id"], "new");
  EXPECT_EQ(ExportOne({{"external_ids", {"new"}}})["first_name"], "Nova");
  EXPECT_TRUE(Export({{"external_ids", {"ghost"}}}).empty());
}

TEST_F(TriggerEndpointsTest, CanvasIgnoresSubscriptionGroupsInAttributesCampaignsApplyThem) {
  // Cases 141 and 142.
  Track({{"attributes", {{{"external_id", "u1"}}}}});
  const Json attributes = {
      {"first_name", "Ada"},
      {"subscription_groups",
       {{{"subscription_group_id", kGroup}, {"subscription_state", "subscribed"}}}}};
  ASSERT_EQ(Post(kCanvas, Json{{"canvas_id", "c"},
                               {"recipients", {Recipient("u1", {{"attributes", attributes}})}}})
                .status,
            201);
  Json profile = *emulator_->profile({{"external_id", "u1"}});
  EXPECT_EQ(profile["first_name"], "Ada");
  EXPECT_FALSE(profile.contains("subscription_groups"));
  EXPECT_THAT(emulator_->endpoint_notes().dump(),
              HasSubstr("subscription groups cannot be updated"));
  ASSERT_EQ(Post(kCampaign, Json{{"campaign_id", "k"},
                                 {"recipients", {Recipient("u1", {{"attributes", attributes}})}}})
                .status,
            201);
  profile = *emulator_->profile({{"external_id", "u1"}});
  EXPECT_EQ(profile["subscription_groups"], (Json{{kGroup, "subscribed"}}));
}

TEST_F(TriggerEndpointsTest, RecipientsByEmailAndBrazeId) {
  Track({{"attributes", {{{"external_id", "u1"}, {"email", "ada@example.com"}}}}});
  const std::string braze_id = (*emulator_->profile({{"external_id", "u1"}}))["braze_id"];
  ASSERT_EQ(Post(kCanvas, Json{{"canvas_id", "c"},
                               {"recipients",
                                {{{"email", "ada@example.com"},
                                  {"prioritization", {"identified", "most_recently_updated"}}},
                                 {{"braze_id", braze_id}}}}})
                .status,
            201);
  const Json messages = emulator_->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["external_id"], "u1");
  EXPECT_EQ(messages[1]["recipient"], (Json{{"braze_id", braze_id}}));
}

TEST_F(TriggerEndpointsTest, BroadcastsAreLimitedPerAudienceAndInTotal) {
  // Case 144: 10 per minute per unique audience, 250 in total (scaled down).
  EmulatorOptions options;
  options.broadcast_rate_limit_requests = 14;
  Start(options);
  const Json gold = {
      {"AND",
       {{{"custom_attribute",
          {{"custom_attribute_name", "tier"}, {"comparison", "equals"}, {"value", "gold"}}}}}}};
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(
        Post(kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}, {"audience", gold}}).status,
        201)
        << i;
  }
  const JsonReply eleventh =
      Post(kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}, {"audience", gold}});
  EXPECT_EQ(eleventh.status, 429);
  EXPECT_EQ(eleventh.header("X-RateLimit-Limit"), "10");
  // Another audience (no audience object), another Canvas: budgets of their own.
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}}).status, 201);
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "d"}, {"broadcast", true}, {"audience", gold}}).status,
            201);
  EXPECT_EQ(Post(kCampaign, Json{{"campaign_id", "c"}, {"broadcast", true}}).status, 201);
  // The total of 14 is spent (10 + the refused 11th + 3).
  const JsonReply over_total = Post(kCampaign, Json{{"campaign_id", "e"}, {"broadcast", true}});
  EXPECT_EQ(over_total.status, 429);
  EXPECT_EQ(over_total.header("X-RateLimit-Limit"), "14");
  // Targeted sends are another budget.
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "c"}, {"recipients", Recipients(1)}}).status, 201);
  // A broadcast records one message.
  const Json messages = emulator_->messages();
  ASSERT_EQ(messages.size(), 13u);
  EXPECT_EQ(messages[0]["recipient"], "broadcast");
  EXPECT_EQ(messages[0]["audience"], gold);
  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.endpoint_rate_limited.at(kCanvas), 1u);
  EXPECT_EQ(stats.endpoint_rate_limited.at(kCampaign), 1u);
  EXPECT_EQ(stats.endpoint_requests.at(kCanvas), 14u);
  // A new window.
  clock_->Advance(absl::Seconds(61));
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}, {"audience", gold}}).status,
            201);
}

TEST_F(TriggerEndpointsTest, TargetedSendsShareOneBudgetAcrossCanvasAndCampaigns) {
  EmulatorOptions options;
  options.trigger_rate_limit_requests = 2;
  Start(options);
  EXPECT_EQ(Post(kCanvas, Json{{"canvas_id", "c"}, {"recipients", Recipients(1)}}).status, 201);
  EXPECT_EQ(Post(kCampaign, Json{{"campaign_id", "k"}, {"recipients", Recipients(1)}}).status, 201);
  const JsonReply third = Post(kCanvas, Json{{"canvas_id", "c"}, {"recipients", Recipients(1)}});
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(third.header("X-RateLimit-Remaining"), "0");
  EXPECT_EQ(emulator_->stats().endpoint_requests.at(kCanvas), 2u);
}

TEST_F(TriggerEndpointsTest, ADeniedPermissionAnswers401) {
  EmulatorOptions options;
  options.denied_permissions = {"canvas.trigger.send"};
  Start(options);
  const JsonReply canvas = Post(kCanvas, Json{{"canvas_id", "c"}, {"broadcast", true}});
  EXPECT_EQ(canvas.status, 401);
  EXPECT_EQ(canvas.body, (Json{{"message", "Access Denied"}}));
  EXPECT_EQ(Post(kCampaign, Json{{"campaign_id", "k"}, {"broadcast", true}}).status, 201);
}

}  // namespace
}  // namespace brazesync::emulator
