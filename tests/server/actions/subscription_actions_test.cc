// SubscriptionActions over a scripted Braze: emails and phones in separate
// calls, more than 50 ids split, calls one after another in request order,
// national phones sent as E.164, and the double opt-in rules.
#include "server/actions/subscription_actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/server/actions/actions_test_support.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::SizeIs;

class SubscriptionActionsTest : public ::testing::Test, protected testing_support::ActionsFixture {
 protected:
  std::pair<absl::Status, v1::SetSubscriptionStatusResponse> Set(
      const v1::SetSubscriptionStatusRequest& request) {
    return Await<v1::SetSubscriptionStatusResponse>([&](auto done) {
      actions_.SetSubscriptionStatus(request, absl::InfiniteFuture(), std::move(done));
    });
  }

  SubscriptionActions actions_{&registry_, dispatcher_.get()};
};

v1::SubscriptionGroupStatus* AddGroup(v1::SetSubscriptionStatusRequest* request,
                                      const std::string& id, v1::SubscriptionState state) {
  v1::SubscriptionGroupStatus* group = request->add_subscription_groups();
  group->set_subscription_group_id(id);
  group->set_subscription_state(state);
  return group;
}

TEST_F(SubscriptionActionsTest, EmailsAndPhonesNeverShareACallAndCallsKeepRequestOrder) {
  for (int i = 0; i < 3; ++i) http_.Respond(201, R"({"message":"success"})");
  v1::SetSubscriptionStatusRequest request;
  AddGroup(&request, "news", v1::SUBSCRIPTION_STATE_SUBSCRIBED)->add_emails("a@example.com");
  AddGroup(&request, "sms", v1::SUBSCRIPTION_STATE_SUBSCRIBED)->add_phones("06 12 34 56 78");
  AddGroup(&request, "news", v1::SUBSCRIPTION_STATE_UNSUBSCRIBED)->add_emails("a@example.com");
  auto [status, response] = Set(request);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 3u);
  EXPECT_EQ(http_.Body(0)["subscription_groups"][0]["emails"][0], "a@example.com");
  EXPECT_EQ(http_.Body(1)["subscription_groups"][0]["phones"][0], "+33612345678");
  EXPECT_EQ(http_.Body(2)["subscription_groups"][0]["subscription_state"], "unsubscribed");
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
    EXPECT_THAT(Warnings(result), Contains(v1::ACTION_WARNING_FANOUT_BY_EMAIL_OR_PHONE));
  }
}

TEST_F(SubscriptionActionsTest, FiftyOneIdsBecomeTwoBrazeEntriesOfOneCall) {
  http_.Respond(201, R"({"message":"success"})");
  v1::SetSubscriptionStatusRequest request;
  v1::SubscriptionGroupStatus* group =
      AddGroup(&request, "news", v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  for (int i = 0; i < 51; ++i) group->add_external_ids(absl::StrCat("u", i));
  auto [status, response] = Set(request);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 1u);
  const nlohmann::json body = http_.Body(0);
  ASSERT_THAT(body["subscription_groups"], SizeIs(2));
  EXPECT_THAT(body["subscription_groups"][0]["external_ids"], SizeIs(50));
  EXPECT_THAT(body["subscription_groups"][1]["external_ids"], SizeIs(1));
  ASSERT_THAT(response.results(), SizeIs(1));
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
}

TEST_F(SubscriptionActionsTest, DoubleOptInIsSentForPhonesOnly) {
  http_.Respond(201, R"({"message":"success"})");
  http_.Respond(201, R"({"message":"success"})");
  v1::SetSubscriptionStatusRequest request;
  v1::SubscriptionGroupStatus* sms = AddGroup(&request, "sms", v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  sms->add_phones("+12223334444");
  sms->set_use_double_opt_in_logic(true);
  v1::SubscriptionGroupStatus* email =
      AddGroup(&request, "news", v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  email->add_emails("a@example.com");
  email->set_use_double_opt_in_logic(true);
  auto [status, response] = Set(request);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 2u);
  EXPECT_EQ(http_.Body(0)["subscription_groups"][0]["use_double_opt_in_logic"], true);
  EXPECT_FALSE(http_.Body(1)["subscription_groups"][0].contains("use_double_opt_in_logic"));
  EXPECT_THAT(Warnings(response.results(0)), Contains(v1::ACTION_WARNING_NEEDS_EXISTING_PROFILE));
  EXPECT_THAT(Warnings(response.results(1)), Contains(v1::ACTION_WARNING_DOUBLE_OPT_IN_IGNORED));
}

}  // namespace
}  // namespace brazesync
