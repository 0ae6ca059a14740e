// Tests for server/validation/action_rules.h and the per-service
// identity_rules.h, trigger_rules.h, subscription_rules.h: every rule of the BrazeIdentity,
// BrazeMessaging and BrazeSubscriptions requests, each asserted at its exact
// path from the request root, request-level rules apart from the items'.
// The conformance cases of braze-api-round2.md §5 the gateway rejects are
// named in the test names: 98, 101, 102, 103, 114, 118, 124 (identity), 128,
// 129, 133-137, 141, 142, 145 (triggers), 149-151 (subscriptions). Case 132
// (a recipient with both user_alias and external_user_id) cannot be
// expressed: Recipient.id is a oneof, so setting one clears the other
// (Case132BothIdentifiersCannotBeExpressed shows it). Braze's documented
// examples of §2.2-2.10, as protos, are accepted.
#include "server/validation/action_rules.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "server/validation/identity_rules.h"
#include "server/validation/subscription_rules.h"
#include "server/validation/trigger_rules.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void SetAlias(v1::UserAlias* alias, const std::string& name, const std::string& label) {
  alias->set_alias_name(name);
  alias->set_alias_label(label);
}

void AddPrioritization(google::protobuf::RepeatedField<int>* values,
                       std::initializer_list<v1::Prioritization> list) {
  for (v1::Prioritization value : list) values->Add(value);
}

// The violations of the only item that has any.
FieldViolations OnlyItem(const ActionViolations& result) {
  EXPECT_THAT(result.request, IsEmpty());
  EXPECT_EQ(result.items.size(), 1u);
  return result.items.empty() ? FieldViolations() : result.items[0].violations;
}

google::protobuf::Struct StringStruct(const std::string& key, const std::string& value) {
  google::protobuf::Struct fields;
  (*fields.mutable_fields())[key].set_string_value(value);
  return fields;
}

// ---- Shared: prioritization ----

TEST(ActionRulesTest, PrioritizationRequired) {
  FieldViolations out;
  google::protobuf::RepeatedField<int> none;
  CheckPrioritization(none, "p", /*required=*/true, true, &out);
  EXPECT_THAT(out, ElementsAre(Violation("p", "required")));
  out.clear();
  CheckPrioritization(none, "p", /*required=*/false, true, &out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(ActionRulesTest, PrioritizationUnspecifiedDuplicateAndUnknownRejected) {
  FieldViolations out;
  google::protobuf::RepeatedField<int> values;
  values.Add(v1::PRIORITIZATION_UNSPECIFIED);
  values.Add(v1::PRIORITIZATION_IDENTIFIED);
  values.Add(v1::PRIORITIZATION_IDENTIFIED);
  values.Add(42);
  CheckPrioritization(values, "p", true, true, &out);
  EXPECT_THAT(out, ElementsAre(Violation("p[0]", "PRIORITIZATION_UNSPECIFIED"),
                               Violation("p[2]", "duplicate of p[1]"),
                               Violation("p[3]", "not a known Prioritization value (got 42)")));
}

TEST(ActionRulesTest, PrioritizationLeastRecentlyUpdatedRefusedWhenNotAllowed) {
  FieldViolations out;
  google::protobuf::RepeatedField<int> values;
  AddPrioritization(&values, {v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED});
  CheckPrioritization(values, "p", true, /*allow_least_recently_updated=*/true, &out);
  EXPECT_THAT(out, IsEmpty());
  CheckPrioritization(values, "p", true, /*allow_least_recently_updated=*/false, &out);
  EXPECT_THAT(out, ElementsAre(Violation("p[0]", "LEAST_RECENTLY_UPDATED is not accepted")));
}

// ---- BrazeIdentity: CreateAlias ----

TEST(ActionRulesTest, CreateAliasBrazeExampleAccepted) {
  v1::CreateAliasRequest request;
  v1::NewUserAlias* alias = request.add_user_aliases();
  alias->set_external_id("external_identifier");
  alias->set_alias_name("example_name");
  alias->set_alias_label("example_label");
  v1::NewUserAlias* alias_only = request.add_user_aliases();
  alias_only->set_alias_name("visitor-42");
  alias_only->set_alias_label("chat");
  EXPECT_TRUE(ValidateCreateAlias(request).ok());
}

TEST(ActionRulesTest, CreateAliasWithoutItemRejectedAtRequestLevel) {
  ActionViolations result = ValidateCreateAlias(v1::CreateAliasRequest());
  EXPECT_THAT(result.request, ElementsAre(Violation("user_aliases", "at least one alias")));
  EXPECT_THAT(result.items, IsEmpty());
}

TEST(ActionRulesTest, Case98AliasNameEmptyOr237BytesRejected) {
  v1::CreateAliasRequest request;
  v1::NewUserAlias* empty = request.add_user_aliases();
  empty->set_alias_label("chat");
  v1::NewUserAlias* valid = request.add_user_aliases();
  valid->set_alias_name("ok");
  valid->set_alias_label("chat");
  v1::NewUserAlias* too_long = request.add_user_aliases();
  too_long->set_alias_name(std::string(237, 'a'));
  too_long->set_alias_label(std::string(236, 'b'));
  ActionViolations result = ValidateCreateAlias(request);
  EXPECT_THAT(result.request, IsEmpty());
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[0].array, "user_aliases");
  EXPECT_EQ(result.items[0].index, 0);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("user_aliases[0].alias_name", "required")));
  EXPECT_EQ(result.items[1].index, 2);
  EXPECT_THAT(
      result.items[1].violations,
      ElementsAre(Violation("user_aliases[2].alias_name", "must be at most 236 bytes (got 237)")));
}

TEST(ActionRulesTest, CreateAliasExternalIdEmptyOrTooLongRejected) {
  v1::CreateAliasRequest request;
  v1::NewUserAlias* alias = request.add_user_aliases();
  alias->set_external_id(std::string(988, 'x'));
  alias->set_alias_name("n");
  alias->set_alias_label("l");
  EXPECT_THAT(
      OnlyItem(ValidateCreateAlias(request)),
      ElementsAre(Violation("user_aliases[0].external_id", "must be at most 987 bytes (got 988)")));
  alias->set_external_id("");
  EXPECT_THAT(OnlyItem(ValidateCreateAlias(request)),
              ElementsAre(Violation("user_aliases[0].external_id", "required")));
}

TEST(ActionRulesTest, CreateAliasSamePairTwiceRejectedOnTheLaterItem) {
  v1::CreateAliasRequest request;
  for (const char* name : {"Bob", "bob", "Bob"}) {
    v1::NewUserAlias* alias = request.add_user_aliases();
    alias->set_alias_name(name);
    alias->set_alias_label("crm");
  }
  ActionViolations result = ValidateCreateAlias(request);
  ASSERT_EQ(result.items.size(), 1u);  // case-sensitive: "bob" is another alias
  EXPECT_EQ(result.items[0].index, 2);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("user_aliases[2]",
                                    "same alias_label and alias_name as "
                                    "user_aliases[0]")));
}

// ---- BrazeIdentity: IdentifyUsers ----

v1::IdentifyUsersRequest BrazeIdentifyExample() {
  v1::IdentifyUsersRequest request;
  v1::AliasToIdentify* alias = request.add_aliases_to_identify();
  alias->set_external_id("external_identifier");
  SetAlias(alias->mutable_user_alias(), "example_alias", "example_label");
  v1::EmailToIdentify* email = request.add_emails_to_identify();
  email->set_external_id("external_identifier_2");
  email->set_email("john.smith@braze.com");
  AddPrioritization(email->mutable_prioritization(),
                    {v1::PRIORITIZATION_UNIDENTIFIED, v1::PRIORITIZATION_MOST_RECENTLY_UPDATED});
  v1::PhoneToIdentify* phone = request.add_phone_numbers_to_identify();
  phone->set_external_id("external_identifier_3");
  phone->set_phone("+12223334444");
  AddPrioritization(phone->mutable_prioritization(),
                    {v1::PRIORITIZATION_UNIDENTIFIED, v1::PRIORITIZATION_MOST_RECENTLY_UPDATED});
  return request;
}

TEST(ActionRulesTest, IdentifyBrazeExampleAccepted) {
  EXPECT_TRUE(ValidateIdentifyUsers(BrazeIdentifyExample(), "").ok());
}

TEST(ActionRulesTest, IdentifyWithoutItemRejectedAtAliasesToIdentify) {
  ActionViolations result = ValidateIdentifyUsers(v1::IdentifyUsersRequest(), "");
  EXPECT_THAT(result.request, ElementsAre(Violation("aliases_to_identify", "at least one item")));
}

TEST(ActionRulesTest, IdentifyItemsNeedExternalIdAndAlias) {
  v1::IdentifyUsersRequest request;
  request.add_aliases_to_identify();
  v1::AliasToIdentify* second = request.add_aliases_to_identify();
  second->set_external_id("u2");
  SetAlias(second->mutable_user_alias(), "", std::string(237, 'l'));
  ActionViolations result = ValidateIdentifyUsers(request, "");
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("aliases_to_identify[0].external_id", "required"),
                          Violation("aliases_to_identify[0].user_alias", "required")));
  EXPECT_THAT(result.items[1].violations,
              ElementsAre(Violation("aliases_to_identify[1].user_alias.alias_name", "required"),
                          Violation("aliases_to_identify[1].user_alias.alias_label",
                                    "must be at most 236 bytes (got 237)")));
}

TEST(ActionRulesTest, IdentifyEmailSyntaxChecked) {
  v1::IdentifyUsersRequest request = BrazeIdentifyExample();
  request.mutable_emails_to_identify(0)->set_email("john.smith");
  ActionViolations result = ValidateIdentifyUsers(request, "");
  EXPECT_EQ(result.items[0].array, "emails_to_identify");
  EXPECT_THAT(OnlyItem(result),
              ElementsAre(Violation("emails_to_identify[0].email", "valid email address")));
}

TEST(ActionRulesTest, Case101IdentifyByEmailWithoutPrioritizationRejected) {
  v1::IdentifyUsersRequest request = BrazeIdentifyExample();
  request.mutable_emails_to_identify(0)->clear_prioritization();
  EXPECT_THAT(OnlyItem(ValidateIdentifyUsers(request, "")),
              ElementsAre(Violation("emails_to_identify[0].prioritization", "required")));
}

TEST(ActionRulesTest, Case102IdentifiedAndUnidentifiedTogetherRejected) {
  v1::IdentifyUsersRequest request = BrazeIdentifyExample();
  AddPrioritization(request.mutable_emails_to_identify(0)->mutable_prioritization(),
                    {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_THAT(OnlyItem(ValidateIdentifyUsers(request, "")),
              ElementsAre(Violation("emails_to_identify[0].prioritization",
                                    "not both PRIORITIZATION_IDENTIFIED and "
                                    "PRIORITIZATION_UNIDENTIFIED")));
}

TEST(ActionRulesTest, Case103MostAndLeastRecentlyUpdatedTogetherRejected) {
  v1::IdentifyUsersRequest request = BrazeIdentifyExample();
  AddPrioritization(request.mutable_phone_numbers_to_identify(0)->mutable_prioritization(),
                    {v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED});
  ActionViolations result = ValidateIdentifyUsers(request, "");
  EXPECT_EQ(result.items[0].array, "phone_numbers_to_identify");
  EXPECT_THAT(OnlyItem(result),
              ElementsAre(Violation("phone_numbers_to_identify[0].prioritization",
                                    "not both PRIORITIZATION_MOST_RECENTLY_UPDATED and "
                                    "PRIORITIZATION_LEAST_RECENTLY_UPDATED")));
}

TEST(ActionRulesTest, IdentifyPhoneNationalOnlyWithDefaultRegion) {
  v1::IdentifyUsersRequest request = BrazeIdentifyExample();
  request.mutable_phone_numbers_to_identify(0)->set_phone("06 12 34 56 78");
  EXPECT_TRUE(ValidateIdentifyUsers(request, "FR").ok());
  EXPECT_THAT(OnlyItem(ValidateIdentifyUsers(request, "")),
              ElementsAre(Violation("phone_numbers_to_identify[0].phone", "")));
}

// ---- BrazeIdentity: MergeUsers ----

v1::MergeUsersRequest BrazeMergeExample() {
  v1::MergeUsersRequest request;
  v1::MergeUpdate* by_id = request.add_merge_updates();
  by_id->mutable_identifier_to_merge()->set_external_id("old-user1");
  by_id->mutable_identifier_to_keep()->set_external_id("current-user1");
  v1::MergeUpdate* by_email = request.add_merge_updates();
  by_email->mutable_identifier_to_merge()->set_email("john.smith@braze.com");
  AddPrioritization(by_email->mutable_identifier_to_merge()->mutable_prioritization(),
                    {v1::PRIORITIZATION_UNIDENTIFIED, v1::PRIORITIZATION_MOST_RECENTLY_UPDATED});
  by_email->mutable_identifier_to_keep()->set_external_id("john");
  v1::MergeUpdate* by_alias = request.add_merge_updates();
  SetAlias(by_alias->mutable_identifier_to_merge()->mutable_user_alias(), "old@braze.com", "email");
  SetAlias(by_alias->mutable_identifier_to_keep()->mutable_user_alias(), "new@braze.com", "email");
  return request;
}

TEST(ActionRulesTest, MergeBrazeExampleAccepted) {
  EXPECT_TRUE(ValidateMergeUsers(BrazeMergeExample(), "").ok());
}

TEST(ActionRulesTest, MergeWithoutUpdateRejectedAtRequestLevel) {
  EXPECT_THAT(ValidateMergeUsers(v1::MergeUsersRequest(), "").request,
              ElementsAre(Violation("merge_updates", "at least one")));
}

TEST(ActionRulesTest, MergeNeedsBothIdentifiersEachWithAnId) {
  v1::MergeUsersRequest request;
  request.add_merge_updates();
  v1::MergeUpdate* empty_keep = request.add_merge_updates();
  empty_keep->mutable_identifier_to_merge()->set_external_id("a");
  empty_keep->mutable_identifier_to_keep();
  ActionViolations result = ValidateMergeUsers(request, "");
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("merge_updates[0].identifier_to_merge", "required"),
                          Violation("merge_updates[0].identifier_to_keep", "required")));
  EXPECT_THAT(result.items[1].violations,
              ElementsAre(Violation("merge_updates[1].identifier_to_keep",
                                    "one of external_id, user_alias, email, phone")));
}

TEST(ActionRulesTest, MergePrioritizationRequiredWithPhoneAndRefusedWithExternalId) {
  v1::MergeUsersRequest request;
  v1::MergeUpdate* update = request.add_merge_updates();
  update->mutable_identifier_to_merge()->set_phone("+12223334444");
  update->mutable_identifier_to_keep()->set_external_id("john");
  AddPrioritization(update->mutable_identifier_to_keep()->mutable_prioritization(),
                    {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_THAT(
      OnlyItem(ValidateMergeUsers(request, "")),
      ElementsAre(Violation("merge_updates[0].identifier_to_merge.prioritization", "required"),
                  Violation("merge_updates[0].identifier_to_keep.prioritization",
                            "only allowed with email or phone")));
}

TEST(ActionRulesTest, Case114MergeByNonE164PhoneRejected) {
  v1::MergeUsersRequest request;
  v1::MergeUpdate* update = request.add_merge_updates();
  update->mutable_identifier_to_merge()->set_external_id("old");
  update->mutable_identifier_to_keep()->set_phone("2223334444");
  AddPrioritization(update->mutable_identifier_to_keep()->mutable_prioritization(),
                    {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_THAT(OnlyItem(ValidateMergeUsers(request, "")),
              ElementsAre(Violation("merge_updates[0].identifier_to_keep.phone", "")));
  // A national number of the default region is accepted (sent as E.164).
  update->mutable_identifier_to_keep()->set_phone("(504) 327-7269");
  EXPECT_TRUE(ValidateMergeUsers(request, "US").ok());
}

TEST(ActionRulesTest, MergeIntoItselfRejectedAtIdentifierToKeep) {
  v1::MergeUsersRequest request;
  v1::MergeUpdate* update = request.add_merge_updates();
  update->mutable_identifier_to_merge()->set_external_id("same");
  update->mutable_identifier_to_keep()->set_external_id("same");
  EXPECT_THAT(OnlyItem(ValidateMergeUsers(request, "")),
              ElementsAre(Violation("merge_updates[0].identifier_to_keep",
                                    "must differ from identifier_to_merge")));
  // The same phone written two ways is still the same profile.
  v1::MergeUpdate* phones = request.mutable_merge_updates(0);
  phones->mutable_identifier_to_merge()->set_phone("+33612345678");
  phones->mutable_identifier_to_keep()->set_phone("06 12 34 56 78");
  for (v1::MergeIdentifier* side :
       {phones->mutable_identifier_to_merge(), phones->mutable_identifier_to_keep()}) {
    AddPrioritization(side->mutable_prioritization(), {v1::PRIORITIZATION_IDENTIFIED});
  }
  EXPECT_THAT(OnlyItem(ValidateMergeUsers(request, "FR")),
              ElementsAre(Violation("merge_updates[0].identifier_to_keep",
                                    "must differ from identifier_to_merge")));
}

// ---- BrazeIdentity: DeleteUsers ----

TEST(ActionRulesTest, DeleteBrazeExamplesAccepted) {
  v1::DeleteUsersRequest by_ids;
  by_ids.add_external_ids("external_identifier1");
  by_ids.add_external_ids("external_identifier2");
  by_ids.set_confirm_irreversible(true);
  EXPECT_TRUE(ValidateDeleteUsers(by_ids, "").ok());
  v1::DeleteUsersRequest by_email;
  v1::EmailToDelete* email = by_email.add_email_addresses();
  email->set_email("john.smith@braze.com");
  AddPrioritization(email->mutable_prioritization(),
                    {v1::PRIORITIZATION_UNIDENTIFIED, v1::PRIORITIZATION_MOST_RECENTLY_UPDATED});
  by_email.set_confirm_irreversible(true);
  EXPECT_TRUE(ValidateDeleteUsers(by_email, "").ok());
}

TEST(ActionRulesTest, DeleteNeedsAnIdAndConfirmIrreversibleUnlessValidateOnly) {
  ActionViolations result = ValidateDeleteUsers(v1::DeleteUsersRequest(), "");
  EXPECT_THAT(result.request, ElementsAre(Violation("external_ids", "at least one identifier"),
                                          Violation("confirm_irreversible", "must be true")));
  v1::DeleteUsersRequest dry_run;
  dry_run.add_braze_ids("5fbd99bac125ca40511f2cb1");
  dry_run.set_validate_only(true);
  EXPECT_TRUE(ValidateDeleteUsers(dry_run, "").ok());
}

TEST(ActionRulesTest, DeleteIdsNonEmptyAndWithinSize) {
  v1::DeleteUsersRequest request;
  request.set_confirm_irreversible(true);
  request.add_external_ids("");
  request.add_braze_ids(std::string(988, 'b'));
  SetAlias(request.add_user_aliases(), "n", "");
  ActionViolations result = ValidateDeleteUsers(request, "");
  ASSERT_EQ(result.items.size(), 3u);
  EXPECT_THAT(result.items[0].violations, ElementsAre(Violation("external_ids[0]", "required")));
  EXPECT_EQ(result.items[1].array, "user_aliases");
  EXPECT_THAT(result.items[1].violations,
              ElementsAre(Violation("user_aliases[0].alias_label", "required")));
  EXPECT_THAT(result.items[2].violations,
              ElementsAre(Violation("braze_ids[0]", "must be at most 987 bytes (got 988)")));
}

TEST(ActionRulesTest, Case118DeleteByEmailWithoutPrioritizationRejected) {
  v1::DeleteUsersRequest request;
  request.set_confirm_irreversible(true);
  request.add_email_addresses()->set_email("john.smith@braze.com");
  EXPECT_THAT(OnlyItem(ValidateDeleteUsers(request, "")),
              ElementsAre(Violation("email_addresses[0].prioritization", "required")));
}

TEST(ActionRulesTest, DeleteRefusesLeastRecentlyUpdatedAndNonE164Phone) {
  v1::DeleteUsersRequest request;
  request.set_confirm_irreversible(true);
  v1::PhoneToDelete* phone = request.add_phone_numbers();
  phone->set_phone("2223334444");
  AddPrioritization(phone->mutable_prioritization(), {v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED});
  EXPECT_THAT(OnlyItem(ValidateDeleteUsers(request, "")),
              ElementsAre(Violation("phone_numbers[0].phone", ""),
                          Violation("phone_numbers[0].prioritization[0]",
                                    "LEAST_RECENTLY_UPDATED is not accepted")));
}

// ---- BrazeIdentity: rename and remove ----

TEST(ActionRulesTest, RenameBrazeExampleAccepted) {
  v1::RenameExternalIdsRequest request;
  v1::ExternalIdRename* rename = request.add_external_id_renames();
  rename->set_current_external_id("existing_external_id");
  rename->set_new_external_id("new_external_id");
  EXPECT_TRUE(ValidateRenameExternalIds(request).ok());
}

TEST(ActionRulesTest, RenameNeedsItemsAndBothIds) {
  EXPECT_THAT(ValidateRenameExternalIds(v1::RenameExternalIdsRequest()).request,
              ElementsAre(Violation("external_id_renames", "at least one")));
  v1::RenameExternalIdsRequest request;
  v1::ExternalIdRename* rename = request.add_external_id_renames();
  rename->set_new_external_id(std::string(988, 'n'));
  EXPECT_THAT(
      OnlyItem(ValidateRenameExternalIds(request)),
      ElementsAre(Violation("external_id_renames[0].current_external_id", "required"),
                  Violation("external_id_renames[0].new_external_id", "at most 987 bytes")));
}

TEST(ActionRulesTest, Case124RenameToTheSameIdRejected) {
  v1::RenameExternalIdsRequest request;
  v1::ExternalIdRename* rename = request.add_external_id_renames();
  rename->set_current_external_id("u1");
  rename->set_new_external_id("u1");
  EXPECT_THAT(OnlyItem(ValidateRenameExternalIds(request)),
              ElementsAre(Violation("external_id_renames[0].new_external_id",
                                    "must differ from current_external_id")));
}

TEST(ActionRulesTest, RenameSameNewIdTwiceRejectedOnTheLaterOne) {
  v1::RenameExternalIdsRequest request;
  for (const char* current : {"a", "b"}) {
    v1::ExternalIdRename* rename = request.add_external_id_renames();
    rename->set_current_external_id(current);
    rename->set_new_external_id("shared");
  }
  ActionViolations result = ValidateRenameExternalIds(request);
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].index, 1);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("external_id_renames[1].new_external_id",
                                    "same as external_id_renames[0].new_external_id")));
}

TEST(ActionRulesTest, RemoveNeedsNonEmptyIds) {
  EXPECT_THAT(ValidateRemoveExternalIds(v1::RemoveExternalIdsRequest()).request,
              ElementsAre(Violation("external_ids", "at least one")));
  v1::RemoveExternalIdsRequest request;
  request.add_external_ids("existing_deprecated_external_id_string");
  EXPECT_TRUE(ValidateRemoveExternalIds(request).ok());
  request.add_external_ids("");
  ActionViolations result = ValidateRemoveExternalIds(request);
  EXPECT_THAT(OnlyItem(result), ElementsAre(Violation("external_ids[1]", "required")));
}

// ---- BrazeMessaging ----

v1::TriggerCanvasRequest BrazeCanvasExample() {
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("canvas_identifier");
  (*request.mutable_context()->mutable_fields())["product_name"].set_string_value("shoes");
  (*request.mutable_context()->mutable_fields())["product_price"].set_number_value(79.99);
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("user_identifier");
  *recipient->mutable_context() = StringStruct("last_intent", "upgrade_plan");
  recipient->set_send_to_existing_only(true);
  recipient->mutable_attributes()->set_first_name("Alex");
  return request;
}

v1::TriggerCampaignRequest BrazeCampaignExample() {
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("campaign_identifier");
  request.set_send_id("send_identifier");
  *request.mutable_trigger_properties() = StringStruct("product_name", "shoes");
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("external_user_identifier");
  *recipient->mutable_trigger_properties() = StringStruct("coupon", "CHAT10");
  recipient->set_send_to_existing_only(false);
  recipient->mutable_attributes()->set_email("a@example.com");
  v1::SubscriptionGroupUpdate* group = recipient->mutable_attributes()->add_subscription_groups();
  group->set_subscription_group_id("3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b");
  group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  v1::Attachment* attachment = request.add_attachments();
  attachment->set_file_name("YourFileName");
  attachment->set_url("https://exampleurl.com/YourFileName.pdf");
  return request;
}

TEST(ActionRulesTest, TriggerBrazeExamplesAccepted) {
  EXPECT_TRUE(ValidateTriggerCanvas(BrazeCanvasExample(), ValidationLimits()).ok());
  EXPECT_TRUE(ValidateTriggerCampaign(BrazeCampaignExample(), ValidationLimits()).ok());
  v1::TriggerCanvasRequest broadcast;
  broadcast.set_canvas_id("c");
  broadcast.set_broadcast(true);
  EXPECT_TRUE(ValidateTriggerCanvas(broadcast, ValidationLimits()).ok());
  v1::TriggerCanvasRequest audience;
  audience.set_canvas_id("c");
  *audience.mutable_audience() = StringStruct("custom_attribute", "x");
  EXPECT_TRUE(ValidateTriggerCanvas(audience, ValidationLimits()).ok());
}

TEST(ActionRulesTest, EveryRecipientKindWithAttributesAccepted) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::Recipient* by_alias = request.add_recipients();
  SetAlias(by_alias->mutable_user_alias(), "visitor-42", "chat");
  by_alias->mutable_attributes()->set_first_name("Alex");
  v1::Recipient* by_email = request.add_recipients();
  by_email->set_email("john.smith@braze.com");
  AddPrioritization(by_email->mutable_prioritization(),
                    {v1::PRIORITIZATION_UNIDENTIFIED, v1::PRIORITIZATION_MOST_RECENTLY_UPDATED});
  by_email->mutable_attributes()->set_first_name("John");
  v1::Recipient* by_braze_id = request.add_recipients();
  by_braze_id->set_braze_id("5fbd99bac125ca40511f2cb1");
  by_braze_id->mutable_attributes()->set_last_name("Doe");
  ActionViolations result = ValidateTriggerCanvas(request, ValidationLimits());
  EXPECT_THAT(result.All(), IsEmpty());
}

TEST(ActionRulesTest, RecipientIdentifierReportedOnceAtTheRecipientsPath) {
  // The validator's `attributes.user.email` violation is dropped: the
  // recipient's own check reports it at `recipients[0].email`.
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::Recipient* recipient = request.mutable_recipients(0);
  recipient->set_email("not-an-email");
  AddPrioritization(recipient->mutable_prioritization(), {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].email", "valid email address")));
}

TEST(ActionRulesTest, TriggerIdRequired) {
  v1::TriggerCanvasRequest canvas = BrazeCanvasExample();
  canvas.clear_canvas_id();
  EXPECT_THAT(ValidateTriggerCanvas(canvas, ValidationLimits()).request,
              ElementsAre(Violation("canvas_id", "required")));
  v1::TriggerCampaignRequest campaign = BrazeCampaignExample();
  campaign.clear_campaign_id();
  EXPECT_THAT(ValidateTriggerCampaign(campaign, ValidationLimits()).request,
              ElementsAre(Violation("campaign_id", "required")));
}

TEST(ActionRulesTest, Case128BroadcastWithRecipientsRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  request.set_broadcast(true);
  ActionViolations result = ValidateTriggerCanvas(request, ValidationLimits());
  EXPECT_THAT(result.request, ElementsAre(Violation("broadcast", "not allowed with recipients")));
  EXPECT_THAT(result.items, IsEmpty());
}

TEST(ActionRulesTest, Case129NoRecipientsNoBroadcastNoAudienceRejected) {
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("c");
  EXPECT_THAT(ValidateTriggerCampaign(request, ValidationLimits()).request,
              ElementsAre(Violation("recipients", "required")));
}

TEST(ActionRulesTest, RecipientWithoutIdentifierRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  request.add_recipients()->mutable_attributes()->set_first_name("Nobody");
  ActionViolations result = ValidateTriggerCanvas(request, ValidationLimits());
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].array, "recipients");
  EXPECT_EQ(result.items[0].index, 1);
  // Only the recipient's own check: the validator's `user` ones are dropped.
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("recipients[1]",
                                    "one of external_user_id, user_alias, "
                                    "email, braze_id is required")));
}

TEST(ActionRulesTest, Case132BothIdentifiersCannotBeExpressed) {
  // Braze's own example has user_alias and external_user_id in one
  // recipient; Recipient.id is a oneof, so the second clears the first.
  v1::Recipient recipient;
  SetAlias(recipient.mutable_user_alias(), "n", "l");
  recipient.set_external_user_id("u");
  EXPECT_FALSE(recipient.has_user_alias());
  EXPECT_EQ(recipient.id_case(), v1::Recipient::kExternalUserId);
}

TEST(ActionRulesTest, RecipientExternalUserIdAtMost987Bytes) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  request.mutable_recipients(0)->set_external_user_id(std::string(988, 'u'));
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].external_user_id",
                                    "must be at most 987 bytes (got 988)")));
}

TEST(ActionRulesTest, Case133UserAliasWithSendToExistingOnlyFalseRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::Recipient* recipient = request.mutable_recipients(0);
  SetAlias(recipient->mutable_user_alias(), "visitor-42", "chat");
  recipient->set_send_to_existing_only(false);
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].send_to_existing_only",
                                    "user_alias recipients cannot use send_to_existing_only "
                                    "false: Braze cannot create alias-only users here")));
}

TEST(ActionRulesTest, Case134SendToExistingOnlyFalseWithoutAttributesRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::Recipient* recipient = request.mutable_recipients(0);
  recipient->set_send_to_existing_only(false);
  recipient->clear_attributes();
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].attributes",
                                    "required with "
                                    "send_to_existing_only false")));
  recipient->mutable_attributes();  // present but empty: still nothing to create from
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].attributes", "required")));
}

TEST(ActionRulesTest, Case135EmailRecipientWithoutPrioritizationRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::Recipient* recipient = request.mutable_recipients(0);
  recipient->set_email("john.smith@braze.com");
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].prioritization", "required")));
  AddPrioritization(recipient->mutable_prioritization(), {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_TRUE(ValidateTriggerCanvas(request, ValidationLimits()).ok());
}

TEST(ActionRulesTest, PrioritizationOnlyWithEmailRecipient) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  AddPrioritization(request.mutable_recipients(0)->mutable_prioritization(),
                    {v1::PRIORITIZATION_IDENTIFIED});
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].prioritization", "only allowed with")));
}

TEST(ActionRulesTest, Case136CanvasContextOver50KbRejected) {
  // 30 KB at the top plus 30 KB in the recipient: each fits, together not.
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  *request.mutable_context() = StringStruct("top", std::string(30'000, 't'));
  *request.mutable_recipients(0)->mutable_context() = StringStruct("own", std::string(30'000, 'o'));
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].context", "must be at most 51200 bytes")));
  // The recipient's key replaces the top-level one of the same name.
  *request.mutable_recipients(0)->mutable_context() = StringStruct("top", std::string(30'000, 'o'));
  EXPECT_TRUE(ValidateTriggerCanvas(request, ValidationLimits()).ok());
  // The top level alone over 50 KB: request-level.
  *request.mutable_context() = StringStruct("top", std::string(60'000, 't'));
  request.mutable_recipients(0)->clear_context();
  EXPECT_THAT(ValidateTriggerCanvas(request, ValidationLimits()).request,
              ElementsAre(Violation("context", "must be at most 51200 bytes")));
}

TEST(ActionRulesTest, CampaignTriggerPropertiesOver50KbRejected) {
  v1::TriggerCampaignRequest request = BrazeCampaignExample();
  *request.mutable_recipients(0)->mutable_trigger_properties() =
      StringStruct("coupon", std::string(52'000, 'c'));
  EXPECT_THAT(OnlyItem(ValidateTriggerCampaign(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].trigger_properties", "at most 51200 bytes")));
}

TEST(ActionRulesTest, Case137WrongPropertiesNamespaceRejected) {
  v1::TriggerCanvasRequest canvas = BrazeCanvasExample();
  *canvas.mutable_recipients(0)->mutable_trigger_properties() = StringStruct("k", "v");
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(canvas, ValidationLimits())),
              ElementsAre(Violation("recipients[0].trigger_properties", "not allowed here")));
  v1::TriggerCampaignRequest campaign = BrazeCampaignExample();
  *campaign.mutable_recipients(0)->mutable_context() = StringStruct("k", "v");
  EXPECT_THAT(OnlyItem(ValidateTriggerCampaign(campaign, ValidationLimits())),
              ElementsAre(Violation("recipients[0].context", "not allowed here")));
}

TEST(ActionRulesTest, RecipientAttributesValidatedLikeTrackBelowTheirPath) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  request.mutable_recipients(0)->mutable_attributes()->set_first_name(std::string(256, 'A'));
  request.mutable_recipients(0)->mutable_attributes()->set_email("not-an-email");
  FieldViolations violations = OnlyItem(ValidateTriggerCanvas(request, ValidationLimits()));
  EXPECT_THAT(violations, ElementsAre(Violation("recipients[0].attributes.first_name", "255"),
                                      Violation("recipients[0].attributes.email", "")));
}

TEST(ActionRulesTest, RecipientAttributesUserMustBeEmpty) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  request.mutable_recipients(0)->mutable_attributes()->mutable_user()->set_external_id("other");
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].attributes.user",
                                    "must be empty: the recipient's identifier stands for the "
                                    "user")));
}

TEST(ActionRulesTest, Case141CanvasAttributesSubscriptionGroupsRejected) {
  v1::TriggerCanvasRequest request = BrazeCanvasExample();
  v1::SubscriptionGroupUpdate* group =
      request.mutable_recipients(0)->mutable_attributes()->add_subscription_groups();
  group->set_subscription_group_id("3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b");
  group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  EXPECT_THAT(OnlyItem(ValidateTriggerCanvas(request, ValidationLimits())),
              ElementsAre(Violation("recipients[0].attributes.subscription_groups",
                                    "BrazeSubscriptions.SetSubscriptionStatus")));
}

TEST(ActionRulesTest, Case142CampaignAttributesSubscriptionGroupsAllowedAndValidated) {
  v1::TriggerCampaignRequest request = BrazeCampaignExample();
  EXPECT_TRUE(ValidateTriggerCampaign(request, ValidationLimits()).ok());
  request.mutable_recipients(0)
      ->mutable_attributes()
      ->mutable_subscription_groups(0)
      ->set_subscription_group_id("");
  EXPECT_THAT(OnlyItem(ValidateTriggerCampaign(request, ValidationLimits())),
              ElementsAre(Violation(
                  "recipients[0].attributes.subscription_groups[0].subscription_group_id", "")));
}

TEST(ActionRulesTest, Case145AttachmentsWithBroadcastRejected) {
  v1::TriggerCampaignRequest request = BrazeCampaignExample();
  request.clear_recipients();
  request.set_broadcast(true);
  EXPECT_THAT(ValidateTriggerCampaign(request, ValidationLimits()).request,
              ElementsAre(Violation("attachments", "not allowed with broadcast")));
}

TEST(ActionRulesTest, AttachmentsNeedFileNameAndHttpsUrl) {
  v1::TriggerCampaignRequest request = BrazeCampaignExample();
  request.mutable_attachments(0)->clear_file_name();
  request.mutable_attachments(0)->set_url("http://exampleurl.com/f.pdf");
  EXPECT_THAT(ValidateTriggerCampaign(request, ValidationLimits()).request,
              ElementsAre(Violation("attachments[0].file_name", "required"),
                          Violation("attachments[0].url", "https")));
}

// ---- BrazeSubscriptions ----

v1::SetSubscriptionStatusRequest BrazeSubscriptionExample() {
  v1::SetSubscriptionStatusRequest request;
  v1::SubscriptionGroupStatus* email_group = request.add_subscription_groups();
  email_group->set_subscription_group_id("email-group-uuid");
  email_group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  email_group->add_external_ids("example-user");
  v1::SubscriptionGroupStatus* sms_group = request.add_subscription_groups();
  sms_group->set_subscription_group_id("sms-group-uuid");
  sms_group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  sms_group->add_external_ids("example-user");
  sms_group->set_use_double_opt_in_logic(true);
  v1::SubscriptionGroupStatus* v1_example = request.add_subscription_groups();
  v1_example->set_subscription_group_id("subscription_group_identifier");
  v1_example->set_subscription_state(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
  v1_example->add_external_ids("external_identifier");
  v1_example->add_phones("+12223334444");
  v1_example->add_phones("+11112223333");
  return request;
}

TEST(ActionRulesTest, SubscriptionBrazeExamplesAccepted) {
  EXPECT_TRUE(ValidateSetSubscriptionStatus(BrazeSubscriptionExample(), "").ok());
}

TEST(ActionRulesTest, SubscriptionWithoutEntryRejectedAtRequestLevel) {
  EXPECT_THAT(ValidateSetSubscriptionStatus(v1::SetSubscriptionStatusRequest(), "").request,
              ElementsAre(Violation("subscription_groups", "at least one entry")));
}

TEST(ActionRulesTest, SubscriptionEntryNeedsGroupStateAndAnId) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.add_subscription_groups();
  ActionViolations result = ValidateSetSubscriptionStatus(request, "");
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].array, "subscription_groups");
  EXPECT_EQ(result.items[0].index, 3);
  EXPECT_THAT(result.items[0].violations,
              ElementsAre(Violation("subscription_groups[3].subscription_group_id", "required"),
                          Violation("subscription_groups[3].subscription_state", "required"),
                          Violation("subscription_groups[3].external_ids", "at least one id")));
}

TEST(ActionRulesTest, Case151OptedInStateRejected) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.mutable_subscription_groups(1)->set_subscription_state(v1::SUBSCRIPTION_STATE_OPTED_IN);
  EXPECT_THAT(OnlyItem(ValidateSetSubscriptionStatus(request, "")),
              ElementsAre(Violation("subscription_groups[1].subscription_state",
                                    "opted_in is not a subscription group state")));
}

TEST(ActionRulesTest, SubscriptionEmailsAndPhonesNotBothInOneEntry) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.mutable_subscription_groups(2)->add_emails("a@example.com");
  EXPECT_THAT(OnlyItem(ValidateSetSubscriptionStatus(request, "")),
              ElementsAre(Violation("subscription_groups[2].phones", "not allowed with emails")));
}

TEST(ActionRulesTest, Case149EmptyIdsRejected) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.mutable_subscription_groups(0)->add_external_ids("");
  request.mutable_subscription_groups(0)->add_emails("");
  EXPECT_THAT(OnlyItem(ValidateSetSubscriptionStatus(request, "")),
              ElementsAre(Violation("subscription_groups[0].external_ids[1]", "required"),
                          Violation("subscription_groups[0].emails[0]", "required")));
}

TEST(ActionRulesTest, SubscriptionEmailSyntaxChecked) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.mutable_subscription_groups(0)->add_emails("nobody@");
  EXPECT_THAT(OnlyItem(ValidateSetSubscriptionStatus(request, "")),
              ElementsAre(Violation("subscription_groups[0].emails[0]", "valid email")));
}

TEST(ActionRulesTest, Case150NonE164PhoneRejected) {
  v1::SetSubscriptionStatusRequest request = BrazeSubscriptionExample();
  request.mutable_subscription_groups(2)->add_phones("5043277269");
  EXPECT_THAT(OnlyItem(ValidateSetSubscriptionStatus(request, "")),
              ElementsAre(Violation("subscription_groups[2].phones[2]", "")));
  EXPECT_TRUE(ValidateSetSubscriptionStatus(request, "US").ok());
}

// ---- ActionViolations and phone normalisation ----

TEST(ActionRulesTest, AllListsRequestViolationsFirst) {
  v1::DeleteUsersRequest request;
  request.add_external_ids("");
  FieldViolations all = ValidateDeleteUsers(request, "").All();
  EXPECT_THAT(all, ElementsAre(Violation("confirm_irreversible", "must be true"),
                               Violation("external_ids[0]", "required")));
}

TEST(ActionRulesTest, NormalizeActionPhonesToE164WithRegionFR) {
  v1::IdentifyUsersRequest identify;
  identify.add_phone_numbers_to_identify()->set_phone("06 12 34 56 78");
  ASSERT_TRUE(NormalizeActionPhones(&identify, "FR").ok());
  EXPECT_EQ(identify.phone_numbers_to_identify(0).phone(), "+33612345678");

  v1::MergeUsersRequest merge;
  v1::MergeUpdate* update = merge.add_merge_updates();
  update->mutable_identifier_to_merge()->set_phone("06.12.34.56.79");
  update->mutable_identifier_to_keep()->set_external_id("06 12 34 56 78");
  ASSERT_TRUE(NormalizeActionPhones(&merge, "FR").ok());
  EXPECT_EQ(merge.merge_updates(0).identifier_to_merge().phone(), "+33612345679");
  EXPECT_EQ(merge.merge_updates(0).identifier_to_keep().external_id(), "06 12 34 56 78");

  v1::DeleteUsersRequest delete_users;
  delete_users.add_phone_numbers()->set_phone("+33 6 12 34 56 78");
  ASSERT_TRUE(NormalizeActionPhones(&delete_users, "FR").ok());
  EXPECT_EQ(delete_users.phone_numbers(0).phone(), "+33612345678");

  v1::SetSubscriptionStatusRequest subscriptions;
  v1::SubscriptionGroupStatus* entry = subscriptions.add_subscription_groups();
  entry->add_phones("+15043277269");
  entry->add_phones("0612345678");
  ASSERT_TRUE(NormalizeActionPhones(&subscriptions, "FR").ok());
  EXPECT_THAT(subscriptions.subscription_groups(0).phones(),
              ElementsAre("+15043277269", "+33612345678"));
}

TEST(ActionRulesTest, NormalizeActionPhonesRefusesAnInvalidPhone) {
  v1::DeleteUsersRequest request;
  request.add_phone_numbers()->set_phone("0612345678");
  absl::Status status = NormalizeActionPhones(&request, "");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("phone_numbers[0].phone"));
}

}  // namespace
}  // namespace brazesync
