// Tests for server/validation/lookup_rules.h: every rule of a
// LookupUsersRequest, each reported at its exact field path in Track's
// violation style. Identifiers: at least one; lists or one single-valued
// identifier, never both (case 79: email_address with phone); external ids
// and alias parts within Braze's sizes; aliases never normalised (case 92);
// email syntax; phone E.164 or a national number of the default region.
// fields_to_export: the allow-list (case 81), no duplicates, received fields
// only with the opt-in (case 82). Durations valid and not negative. Valid
// requests give no violation, whatever their size (case 77: 51 ids are the
// packer's business, not an error).
#include "server/validation/lookup_rules.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::LookupUsersRequest ById(const std::string& external_id) {
  v1::LookupUsersRequest request;
  request.add_external_ids(external_id);
  return request;
}

v1::UserAlias* AddAlias(v1::LookupUsersRequest* request, const std::string& name,
                        const std::string& label) {
  v1::UserAlias* alias = request->add_user_aliases();
  alias->set_alias_name(name);
  alias->set_alias_label(label);
  return alias;
}

// ---- Identifiers ----

TEST(LookupRulesTest, ValidRequestsHaveNoViolation) {
  v1::LookupUsersRequest request = ById("u1");
  AddAlias(&request, "Bob@x", "crm");
  request.add_fields_to_export("first_name");
  request.add_fields_to_export("custom_attributes");
  EXPECT_THAT(ValidateLookupRequest(request, ""), IsEmpty());

  v1::LookupUsersRequest by_email;
  by_email.set_email_address("bob@example.com");
  EXPECT_THAT(ValidateLookupRequest(by_email, ""), IsEmpty());
  v1::LookupUsersRequest by_braze_id;
  by_braze_id.set_braze_id("5fbd99bac125ca40511f2cb1");
  EXPECT_THAT(ValidateLookupRequest(by_braze_id, ""), IsEmpty());
  v1::LookupUsersRequest by_device;
  by_device.set_device_id("1234567");
  EXPECT_THAT(ValidateLookupRequest(by_device, ""), IsEmpty());
}

TEST(LookupRulesTest, ManyIdsAreValid) {  // case 77: split into calls, not refused
  v1::LookupUsersRequest request;
  for (int i = 0; i < 51; ++i) request.add_external_ids("u" + std::to_string(i));
  for (int i = 0; i < 30; ++i) AddAlias(&request, "a" + std::to_string(i), "l");
  EXPECT_THAT(ValidateLookupRequest(request, ""), IsEmpty());
}

TEST(LookupRulesTest, RequiresAnIdentifier) {
  v1::LookupUsersRequest request;
  request.add_fields_to_export("email");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("external_ids", "required: external_ids or user_aliases")));
}

TEST(LookupRulesTest, SingleValuedIdentifierCannotJoinLists) {
  v1::LookupUsersRequest request = ById("u1");
  request.set_braze_id("b1");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("braze_id", "cannot be combined with external_ids")));
  v1::LookupUsersRequest with_alias;
  AddAlias(&with_alias, "n", "l");
  with_alias.set_device_id("d1");
  EXPECT_THAT(ValidateLookupRequest(with_alias, ""),
              ElementsAre(Violation("device_id", "or user_aliases")));
}

TEST(LookupRulesTest, TwoSingleValuedIdentifiersNameEachOther) {  // case 79
  v1::LookupUsersRequest request;
  request.set_email_address("bob@example.com");
  request.set_phone("+15043277269");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("email_address", "this request also sets phone"),
                          Violation("phone", "this request also sets email_address")));
}

TEST(LookupRulesTest, ExternalIdsMustBeNonEmptyAndAtMost987Bytes) {
  v1::LookupUsersRequest request = ById("u1");
  request.add_external_ids("");
  request.add_external_ids(std::string(988, 'x'));
  request.add_external_ids(std::string(987, 'x'));
  EXPECT_THAT(
      ValidateLookupRequest(request, ""),
      ElementsAre(Violation("external_ids[1]", "required"), Violation("external_ids[2]", "987")));
}

TEST(LookupRulesTest, AliasPartsAreRequiredAndAtMost236Bytes) {
  v1::LookupUsersRequest request;
  AddAlias(&request, "ok", "ok");
  AddAlias(&request, "", std::string(237, 'l'));
  AddAlias(&request, std::string(236, 'n'), "");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("user_aliases[1].alias_name", "required"),
                          Violation("user_aliases[1].alias_label", "236"),
                          Violation("user_aliases[2].alias_label", "required")));
}

TEST(LookupRulesTest, AliasCaseIsKept) {  // case 92
  v1::LookupUsersRequest request;
  AddAlias(&request, "Bob@x", "CRM");
  AddAlias(&request, "bob@x", "crm");
  EXPECT_THAT(ValidateLookupRequest(request, ""), IsEmpty());
  EXPECT_EQ(request.user_aliases(0).alias_name(), "Bob@x");
}

TEST(LookupRulesTest, EmailNeedsBasicSyntax) {
  v1::LookupUsersRequest request;
  request.set_email_address("not an email");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("email_address", "valid email address")));
}

TEST(LookupRulesTest, PhoneMustBeE164WithoutARegion) {
  v1::LookupUsersRequest request;
  request.set_phone("06 12 34 56 78");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("phone", "default_phone_region")));
  request.set_phone("+15043277269");
  EXPECT_THAT(ValidateLookupRequest(request, ""), IsEmpty());
}

TEST(LookupRulesTest, PhoneMayBeANationalNumberOfTheDefaultRegion) {
  v1::LookupUsersRequest request;
  request.set_phone("06 12 34 56 78");
  EXPECT_THAT(ValidateLookupRequest(request, "FR"), IsEmpty());
  EXPECT_EQ(LookupPhoneE164(request, "FR").value_or(""), "+33612345678");
  request.set_phone("12");
  EXPECT_THAT(ValidateLookupRequest(request, "FR"), ElementsAre(Violation("phone", "FR")));
  EXPECT_FALSE(LookupPhoneE164(request, "FR").ok());
}

TEST(LookupRulesTest, LookupPhoneE164IsEmptyWithoutAPhone) {
  EXPECT_EQ(LookupPhoneE164(ById("u1"), "FR").value_or("error"), "");
  v1::LookupUsersRequest request;
  request.set_phone("+15043277269");
  EXPECT_EQ(LookupPhoneE164(request, "").value_or(""), "+15043277269");
}

// ---- fields_to_export ----

TEST(LookupRulesTest, FieldsMustBeFromTheAllowList) {  // case 81
  v1::LookupUsersRequest request = ById("u1");
  request.add_fields_to_export("first_name");
  request.add_fields_to_export("email");
  request.add_fields_to_export("loyaltyPoints");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("fields_to_export[2]", "custom_attributes")));
}

TEST(LookupRulesTest, FieldsMustNotRepeat) {
  v1::LookupUsersRequest request = ById("u1");
  request.add_fields_to_export("email");
  request.add_fields_to_export("phone");
  request.add_fields_to_export("email");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("fields_to_export[2]", "duplicate of fields_to_export[0]")));
}

TEST(LookupRulesTest, ReceivedFieldsNeedTheOptIn) {  // case 82
  v1::LookupUsersRequest request = ById("u1");
  request.add_fields_to_export("canvases_received");
  request.add_fields_to_export("email");
  request.add_fields_to_export("campaigns_received");
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("fields_to_export[0]", "allow_received_fields"),
                          Violation("fields_to_export[2]", "allow_received_fields")));
  request.set_allow_received_fields(true);
  EXPECT_THAT(ValidateLookupRequest(request, ""), IsEmpty());
}

// ---- Durations ----

TEST(LookupRulesTest, DurationsMustNotBeNegative) {
  v1::LookupUsersRequest request = ById("u1");
  request.mutable_max_age()->set_seconds(-1);
  request.mutable_max_stale()->set_nanos(-5);
  request.mutable_max_wait()->set_seconds(0);  // zero is fine
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("max_age", "must not be negative"),
                          Violation("max_stale", "must not be negative")));
}

TEST(LookupRulesTest, DurationsMustBeValid) {
  v1::LookupUsersRequest request = ById("u1");
  request.mutable_max_age()->set_seconds(1);
  request.mutable_max_age()->set_nanos(-1);
  request.mutable_max_wait()->set_nanos(1'000'000'000);
  request.mutable_max_stale()->set_seconds(315'576'000'001);
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              UnorderedElementsAre(Violation("max_age", "not a valid"),
                                   Violation("max_wait", "not a valid"),
                                   Violation("max_stale", "not a valid")));
}

TEST(LookupRulesTest, EveryBrokenRuleIsReported) {
  v1::LookupUsersRequest request = ById("");
  AddAlias(&request, "", "l");
  request.set_email_address("x");
  request.add_fields_to_export("nope");
  request.mutable_max_wait()->set_seconds(-3);
  EXPECT_THAT(ValidateLookupRequest(request, ""),
              ElementsAre(Violation("email_address", "cannot be combined"),
                          Violation("external_ids[0]", "required"),
                          Violation("user_aliases[0].alias_name", "required"),
                          Violation("email_address", "valid email address"),
                          Violation("fields_to_export[0]", "not one of Braze's export fields"),
                          Violation("max_wait", "must not be negative")));
}

}  // namespace
}  // namespace brazesync
