// TriggerActions over a scripted Braze: recipients deduped across the whole
// request then sent 50 per call, attributes through Track's converter (with
// E.164 phones) and recorded as own writes, the paused-Canvas notice, the
// legacy Canvas properties key, no retry after a 5xx, and an unknown Canvas
// as the caller's configuration to fix.
#include "server/actions/trigger_actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "server/durability/memory_recent_writes.h"
#include "tests/server/actions/actions_test_support.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using testing_support::StatusIs;

constexpr char kDispatched[] = R"({"dispatch_id":"d-1","message":"success"})";

class TriggerActionsTest : public ::testing::Test, protected testing_support::ActionsFixture {
 protected:
  explicit TriggerActionsTest(const std::function<void(v1::WorkspaceConfig*)>& configure = nullptr)
      : ActionsFixture(configure) {}

  std::pair<absl::Status, v1::TriggerResponse> Canvas(const v1::TriggerCanvasRequest& request) {
    return Await<v1::TriggerResponse>([&](auto done) {
      actions_.TriggerCanvas(request, absl::InfiniteFuture(), std::move(done));
    });
  }

  MemoryRecentWrites writes_{absl::Hours(1)};
  TriggerActions actions_{&registry_, dispatcher_.get(), &writes_};
};

TEST_F(TriggerActionsTest, RecipientsAreDedupedAcrossTheRequestThenSentFiftyPerCall) {
  for (int i = 0; i < 3; ++i) http_.Respond(201, kDispatched);
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("c1");
  for (int i = 0; i < 120; ++i) {
    // The first user again at the end: one message, the last entry's.
    request.add_recipients()->set_external_user_id(absl::StrCat("u", i == 119 ? 0 : i));
  }
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 3u);
  EXPECT_THAT(http_.Body(0)["recipients"], SizeIs(50));
  EXPECT_THAT(http_.Body(1)["recipients"], SizeIs(50));
  EXPECT_THAT(http_.Body(2)["recipients"], SizeIs(19));
  EXPECT_EQ(http_.Body(2)["recipients"][18]["external_user_id"], "u0");
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_DUPLICATE);
  EXPECT_EQ(response.results(119).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(response.dispatch_ids(), SizeIs(3));
}

TEST_F(TriggerActionsTest, AttributesGoThroughTracksConverterAndCountAsOwnWrites) {
  http_.Respond(201, kDispatched);
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("c1");
  (*request.mutable_context()->mutable_fields())["plan"].set_string_value("basic");
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("u1");
  recipient->set_send_to_existing_only(false);
  recipient->mutable_attributes()->set_first_name("Ada");
  recipient->mutable_attributes()->set_phone("06 12 34 56 78");
  (*recipient->mutable_context()->mutable_fields())["plan"].set_string_value("pro");
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  const nlohmann::json body = http_.Body(0);
  EXPECT_EQ(body["canvas_id"], "c1");
  EXPECT_EQ(body["context"]["plan"], "basic");
  const nlohmann::json& sent = body["recipients"][0];
  EXPECT_EQ(sent["context"]["plan"], "pro");
  EXPECT_EQ(sent["send_to_existing_only"], false);
  EXPECT_EQ(sent["attributes"]["first_name"], "Ada");
  EXPECT_EQ(sent["attributes"]["phone"], "+33612345678");
  EXPECT_FALSE(sent["attributes"].contains("external_id"));
  // Braze may create this user: no existence warning.
  EXPECT_THAT(Warnings(response.results(0)),
              Not(Contains(v1::ACTION_WARNING_RECIPIENT_EXISTENCE_NOT_CHECKED)));
  const std::vector<RecentWrite> own =
      writes_.Find("sandbox", {"external_id:u1"}, absl::InfinitePast());
  ASSERT_THAT(own, SizeIs(1));
  EXPECT_THAT(own[0].braze_json, HasSubstr(R"("first_name":"Ada")"));
  EXPECT_THAT(own[0].braze_json, HasSubstr(R"("external_id":"u1")"));
}

TEST_F(TriggerActionsTest, APausedCanvasIsAcceptedWithTheWarningAndNoOwnWrite) {
  http_.Respond(201, R"({"dispatch_id":"d-1","message":"success",
      "notice":"The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect."})");
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("paused");
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("u1");
  recipient->mutable_attributes()->set_first_name("Ada");
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(Warnings(response.results(0)), Contains(v1::ACTION_WARNING_CANVAS_NOT_ACTIVE));
  EXPECT_THAT(response.braze_calls(0).notice(), HasSubstr("paused"));
  EXPECT_THAT(writes_.Find("sandbox", {"external_id:u1"}, absl::InfinitePast()), IsEmpty());
}

TEST_F(TriggerActionsTest, AServerErrorIsNotRetriedBecauseBrazeMayHaveSent) {
  http_.Respond(503, R"({"message":"unavailable"})");
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("c1");
  request.add_recipients()->set_external_user_id("u1");
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_FAILED);
  EXPECT_FALSE(response.results(0).retryable());
}

TEST_F(TriggerActionsTest, A429IsRetriedBecauseBrazeDidNothing) {
  http_.Respond(429, R"({"message":"rate limited"})");
  http_.Respond(201, kDispatched);
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("c1");
  request.add_recipients()->set_external_user_id("u1");
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(http_.request_count(), 2u);
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_EQ(response.braze_calls(0).attempts(), 2);
}

TEST_F(TriggerActionsTest, AnUnknownCanvasIsAFailedPrecondition) {
  http_.Respond(400, R"({"message":"Canvas with id nope not found"})");
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("nope");
  request.add_recipients()->set_external_user_id("u1");
  auto [status, response] = Canvas(request);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not found")));
}

TEST_F(TriggerActionsTest, ACampaignBroadcastHasOneResultAndNoRecipients) {
  http_.Respond(201, kDispatched);
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("promo");
  request.set_broadcast(true);
  (*request.mutable_trigger_properties()->mutable_fields())["coupon"].set_string_value("CHAT10");
  auto [status, response] = Await<v1::TriggerResponse>([&](auto done) {
    actions_.TriggerCampaign(request, absl::InfiniteFuture(), std::move(done));
  });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_THAT(response.results(), SizeIs(1));
  EXPECT_EQ(response.results(0).array(), "broadcast");
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  const nlohmann::json body = http_.Body(0);
  EXPECT_EQ(body["broadcast"], true);
  EXPECT_EQ(body["trigger_properties"]["coupon"], "CHAT10");
  EXPECT_FALSE(body.contains("recipients"));
}

class LegacyCanvasTest : public TriggerActionsTest {
 protected:
  LegacyCanvasTest()
      : TriggerActionsTest([](v1::WorkspaceConfig* workspace) {
          workspace->mutable_actions()->set_canvas_properties_key(
              v1::CANVAS_PROPERTIES_KEY_CANVAS_ENTRY_PROPERTIES);
        }) {}
};

TEST_F(LegacyCanvasTest, TheWorkspaceSwitchSendsCanvasEntryProperties) {
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("old-editor");
  request.set_validate_only(true);
  (*request.mutable_context()->mutable_fields())["plan"].set_string_value("basic");
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("u1");
  (*recipient->mutable_context()->mutable_fields())["plan"].set_string_value("pro");
  auto [status, response] = Canvas(request);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_THAT(response.braze_request_bodies(), SizeIs(1));
  const nlohmann::json body = nlohmann::json::parse(response.braze_request_bodies(0));
  EXPECT_EQ(body["canvas_entry_properties"]["plan"], "basic");
  EXPECT_EQ(body["recipients"][0]["canvas_entry_properties"]["plan"], "pro");
  EXPECT_FALSE(body.contains("context"));
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_VALID);
  EXPECT_EQ(http_.request_count(), 0u);
}

}  // namespace
}  // namespace brazesync
