// IdentityActions over a scripted Braze: chunking, dependent merges in
// waves, Braze's per-item errors mapped back to the caller's items, one
// delete call per kind, allow_partial, refused keys, and the lookup cache
// kept coherent (deletes tombstoned).
#include "server/actions/identity_actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/server/actions/actions_test_support.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing_support::StatusIs;

class IdentityActionsTest : public ::testing::Test, protected testing_support::ActionsFixture {
 protected:
  IdentityActions actions_{&registry_, dispatcher_.get(), nullptr, nullptr};
};

v1::MergeUpdate Merge(const std::string& from, const std::string& into) {
  v1::MergeUpdate update;
  update.mutable_identifier_to_merge()->set_external_id(from);
  update.mutable_identifier_to_keep()->set_external_id(into);
  return update;
}

TEST_F(IdentityActionsTest, DependentMergesGoInLaterCallsAndIndependentOnesTogether) {
  http_.Respond(202, R"({"message":"success"})");
  http_.Respond(202, R"({"message":"success"})");
  v1::MergeUsersRequest request;
  *request.add_merge_updates() = Merge("a", "b");
  *request.add_merge_updates() = Merge("b", "c");  // after a -> b
  *request.add_merge_updates() = Merge("d", "c");  // independent
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.MergeUsers(request, absl::InfiniteFuture(), std::move(done)); });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 2u);
  EXPECT_THAT(http_.Body(0)["merge_updates"], SizeIs(2));
  EXPECT_EQ(http_.Body(0)["merge_updates"][0]["identifier_to_merge"]["external_id"], "a");
  EXPECT_EQ(http_.Body(0)["merge_updates"][1]["identifier_to_merge"]["external_id"], "d");
  EXPECT_EQ(http_.Body(1)["merge_updates"][0]["identifier_to_merge"]["external_id"], "b");
  ASSERT_THAT(response.results(), SizeIs(3));
  EXPECT_EQ(response.results(1).braze_call(), 1);
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
    EXPECT_THAT(Warnings(result), Contains(v1::ACTION_WARNING_QUEUED));
  }
}

TEST_F(IdentityActionsTest, BrazesErrorsLandOnTheItemsTheyNameInEachArray) {
  http_.Respond(201, R"({"aliases_processed":1,"emails_processed":0,"message":"success",
      "errors":[{"type":"'external_id' is required","input_array":"emails_to_identify","index":0}]})");
  v1::IdentifyUsersRequest request;
  v1::AliasToIdentify* alias = request.add_aliases_to_identify();
  alias->set_external_id("u1");
  alias->mutable_user_alias()->set_alias_label("chat");
  alias->mutable_user_alias()->set_alias_name("s1");
  v1::EmailToIdentify* email = request.add_emails_to_identify();
  email->set_external_id("u2");
  email->set_email("ada@example.com");
  email->add_prioritization(v1::PRIORITIZATION_UNIDENTIFIED);
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.IdentifyUsers(request, absl::InfiniteFuture(), std::move(done)); });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_THAT(response.results(), SizeIs(2));
  EXPECT_EQ(response.results(0).array(), "aliases_to_identify");
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_EQ(response.results(1).array(), "emails_to_identify");
  EXPECT_EQ(response.results(1).status(), v1::ACTION_STATUS_REJECTED_BY_BRAZE);
  EXPECT_EQ(response.results(1).braze_error(), "'external_id' is required");
  EXPECT_EQ(response.aliases_processed(), 1);
  // One body holds both arrays.
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_TRUE(http_.Body(0).contains("aliases_to_identify"));
  EXPECT_EQ(http_.Body(0)["emails_to_identify"][0]["prioritization"][0], "unidentified");
}

TEST_F(IdentityActionsTest, AllowPartialSendsTheValidItemsOnly) {
  http_.Respond(201, R"({"aliases_processed":1,"message":"success"})");
  v1::CreateAliasRequest request;
  request.set_allow_partial(true);
  v1::NewUserAlias* bad = request.add_user_aliases();
  bad->set_alias_label("chat");  // no name
  v1::NewUserAlias* good = request.add_user_aliases();
  good->set_alias_label("chat");
  good->set_alias_name("s2");
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.CreateAlias(request, absl::InfiniteFuture(), std::move(done)); });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_REJECTED_INVALID);
  EXPECT_THAT(response.results(0).violations(0).field(), HasSubstr("user_aliases[0].alias_name"));
  EXPECT_FALSE(response.results(0).has_braze_call());
  EXPECT_EQ(response.results(1).status(), v1::ACTION_STATUS_ACCEPTED);
  ASSERT_EQ(http_.request_count(), 1u);
  EXPECT_THAT(http_.Body(0)["user_aliases"], SizeIs(1));
}

TEST_F(IdentityActionsTest, WithoutAllowPartialAnInvalidItemSendsNothing) {
  v1::CreateAliasRequest request;
  request.add_user_aliases()->set_alias_label("chat");
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.CreateAlias(request, absl::InfiniteFuture(), std::move(done)); });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("user_aliases[0].alias_name")));
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(IdentityActionsTest, DeleteSendsOneCallPerIdentifierKindAndPreviewsThem) {
  v1::DeleteUsersRequest request;
  request.add_external_ids("u1");
  request.add_braze_ids("b1");
  v1::EmailToDelete* email = request.add_email_addresses();
  email->set_email("ada@example.com");
  email->add_prioritization(v1::PRIORITIZATION_MOST_RECENTLY_UPDATED);
  request.set_validate_only(true);
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.DeleteUsers(request, absl::InfiniteFuture(), std::move(done)); });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(
      response.braze_request_bodies(),
      ElementsAre(
          R"({"external_ids":["u1"]})", R"({"braze_ids":["b1"]})",
          R"({"email_addresses":[{"email":"ada@example.com","prioritization":["most_recently_updated"]}]})"));
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_VALID);
  }
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(IdentityActionsTest, RenameErrorsAndSuccessesAreMappedPerItem) {
  http_.Respond(201, R"({"message":"success","external_ids":["a"],
      "rename_errors":[[1,"new_external_id is already in use"]]})");
  v1::RenameExternalIdsRequest request;
  v1::ExternalIdRename* first = request.add_external_id_renames();
  first->set_current_external_id("a");
  first->set_new_external_id("a2");
  v1::ExternalIdRename* second = request.add_external_id_renames();
  second->set_current_external_id("b");
  second->set_new_external_id("taken");
  auto [status, response] = Await<v1::IdentityResponse>([&](auto done) {
    actions_.RenameExternalIds(request, absl::InfiniteFuture(), std::move(done));
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_APPLIED);
  EXPECT_EQ(response.results(1).status(), v1::ACTION_STATUS_REJECTED_BY_BRAZE);
  EXPECT_EQ(response.results(1).braze_error(), "new_external_id is already in use");
  EXPECT_THAT(response.external_ids(), ElementsAre("a"));
}

TEST_F(IdentityActionsTest, AKeyWithoutThePermissionFailsTheCallNamingIt) {
  http_.Respond(403, R"({"message":"Access Denied"})");
  v1::CreateAliasRequest request;
  v1::NewUserAlias* alias = request.add_user_aliases();
  alias->set_alias_label("chat");
  alias->set_alias_name("s1");
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.CreateAlias(request, absl::InfiniteFuture(), std::move(done)); });
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("users.alias.new")));
}

TEST_F(IdentityActionsTest, FiftyOneIdentifyItemsAcrossArraysTakeTwoCalls) {
  http_.Respond(201, R"({"aliases_processed":50,"message":"success"})");
  http_.Respond(201, R"({"aliases_processed":0,"phone_numbers_processed":1,"message":"success"})");
  v1::IdentifyUsersRequest request;
  for (int i = 0; i < 50; ++i) {
    v1::AliasToIdentify* alias = request.add_aliases_to_identify();
    alias->set_external_id(absl::StrCat("u", i));
    alias->mutable_user_alias()->set_alias_label("chat");
    alias->mutable_user_alias()->set_alias_name(absl::StrCat("s", i));
  }
  v1::PhoneToIdentify* phone = request.add_phone_numbers_to_identify();
  phone->set_external_id("u-phone");
  phone->set_phone("06 12 34 56 78");  // national (FR): sent as E.164
  phone->add_prioritization(v1::PRIORITIZATION_MOST_RECENTLY_UPDATED);
  auto [status, response] = Await<v1::IdentityResponse>(
      [&](auto done) { actions_.IdentifyUsers(request, absl::InfiniteFuture(), std::move(done)); });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(http_.request_count(), 2u);
  EXPECT_THAT(http_.Body(0)["aliases_to_identify"], SizeIs(50));
  EXPECT_EQ(http_.Body(1)["phone_numbers_to_identify"][0]["phone"], "+33612345678");
  EXPECT_EQ(response.aliases_processed(), 50);
  EXPECT_EQ(response.phone_numbers_processed(), 1);
  EXPECT_EQ(response.results(50).array(), "phone_numbers_to_identify");
  EXPECT_EQ(response.results(50).index(), 0);
}

}  // namespace
}  // namespace brazesync
