// Tests for server/braze/action_json.h: each converter must turn the proto
// of one of Braze's documented examples (braze-api-round2.md §2.2-2.10) back
// into that example's JSON, key for key and in Braze's order, and leave out
// what is unset (an absent external_id, empty properties, an unset
// send_to_existing_only, empty id arrays, a false broadcast).
#include "server/braze/action_json.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

// A proto from its proto3 JSON form (field names as in the .proto, enums by
// name): the examples read almost like Braze's own.
template <typename Message>
Message ProtoOf(const std::string& json) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << json;
  return message;
}

Json JsonOf(const char* text) { return Json::parse(text); }

// ordered_json compares objects in insertion order, so these assertions
// also pin the key order of Braze's examples.
TEST(PrioritizationToBrazeTest, UsesBrazesNames) {
  EXPECT_EQ(PrioritizationToBraze(v1::PRIORITIZATION_IDENTIFIED), "identified");
  EXPECT_EQ(PrioritizationToBraze(v1::PRIORITIZATION_UNIDENTIFIED), "unidentified");
  EXPECT_EQ(PrioritizationToBraze(v1::PRIORITIZATION_MOST_RECENTLY_UPDATED),
            "most_recently_updated");
  EXPECT_EQ(PrioritizationToBraze(v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED),
            "least_recently_updated");
  EXPECT_EQ(PrioritizationToBraze(v1::PRIORITIZATION_UNSPECIFIED), "");
}

TEST(PrioritizationToBrazeTest, KeepsTheOrderOfTheList) {
  const auto item = ProtoOf<v1::EmailToDelete>(
      R"({"prioritization": ["PRIORITIZATION_MOST_RECENTLY_UPDATED",
                             "PRIORITIZATION_IDENTIFIED"]})");
  EXPECT_EQ(PrioritizationsToBraze(item.prioritization()),
            JsonOf(R"(["most_recently_updated", "identified"])"));
}

TEST(NewUserAliasToBrazeTest, MatchesBrazesExample) {
  const auto alias = ProtoOf<v1::NewUserAlias>(
      R"({"external_id": "external_identifier", "alias_name": "example_name",
          "alias_label": "example_label"})");
  EXPECT_EQ(MakeActionBody("user_aliases", Json::array({NewUserAliasToBraze(alias)})),
            JsonOf(R"({"user_aliases": [{"external_id": "external_identifier",
                        "alias_name": "example_name", "alias_label": "example_label"}]})")
                .dump());
}

TEST(NewUserAliasToBrazeTest, OmitsAnUnsetExternalId) {
  const auto alias =
      ProtoOf<v1::NewUserAlias>(R"({"alias_name": "visitor-9", "alias_label": "chat_id"})");
  EXPECT_EQ(NewUserAliasToBraze(alias),
            JsonOf(R"({"alias_name": "visitor-9", "alias_label": "chat_id"})"));
}

TEST(NewUserAliasToBrazeTest, KeepsAnExternalIdSetToEmpty) {
  // Set but empty is the caller's choice (the validator refuses it); it is
  // not the same as absent, which creates an alias-only user.
  v1::NewUserAlias alias;
  alias.set_external_id("");
  alias.set_alias_name("n");
  alias.set_alias_label("l");
  EXPECT_EQ(NewUserAliasToBraze(alias),
            JsonOf(R"({"external_id": "", "alias_name": "n", "alias_label": "l"})"));
}

TEST(IdentifyToBrazeTest, MatchesBrazesExample) {
  const auto request = ProtoOf<v1::IdentifyUsersRequest>(R"({
    "aliases_to_identify": [
      {"external_id": "external_identifier",
       "user_alias": {"alias_name": "example_alias", "alias_label": "example_label"}}],
    "emails_to_identify": [
      {"external_id": "external_identifier_2", "email": "john.smith@braze.com",
       "prioritization": ["PRIORITIZATION_UNIDENTIFIED",
                          "PRIORITIZATION_MOST_RECENTLY_UPDATED"]}],
    "phone_numbers_to_identify": [
      {"external_id": "external_identifier_3", "phone": "+12223334444",
       "prioritization": ["PRIORITIZATION_UNIDENTIFIED",
                          "PRIORITIZATION_MOST_RECENTLY_UPDATED"]}]})");
  const Json expected = JsonOf(R"({
    "aliases_to_identify": [
      {"external_id": "external_identifier",
       "user_alias": {"alias_name": "example_alias", "alias_label": "example_label"}}],
    "emails_to_identify": [
      {"external_id": "external_identifier_2", "email": "john.smith@braze.com",
       "prioritization": ["unidentified", "most_recently_updated"]}],
    "phone_numbers_to_identify": [
      {"external_id": "external_identifier_3", "phone": "+12223334444",
       "prioritization": ["unidentified", "most_recently_updated"]}]})");
  EXPECT_EQ(AliasToIdentifyToBraze(request.aliases_to_identify(0)),
            expected["aliases_to_identify"][0]);
  EXPECT_EQ(EmailToIdentifyToBraze(request.emails_to_identify(0)),
            expected["emails_to_identify"][0]);
  EXPECT_EQ(PhoneToIdentifyToBraze(request.phone_numbers_to_identify(0)),
            expected["phone_numbers_to_identify"][0]);
}

TEST(MergeUpdateToBrazeTest, MatchesBrazesExample) {
  const auto request = ProtoOf<v1::MergeUsersRequest>(R"({"merge_updates": [
    {"identifier_to_merge": {"external_id": "old-user1"},
     "identifier_to_keep": {"external_id": "current-user1"}},
    {"identifier_to_merge": {"email": "john.smith@braze.com",
                             "prioritization": ["PRIORITIZATION_UNIDENTIFIED",
                                                "PRIORITIZATION_MOST_RECENTLY_UPDATED"]},
     "identifier_to_keep": {"external_id": "john"}},
    {"identifier_to_merge": {"user_alias": {"alias_name": "old@braze.com",
                                            "alias_label": "email"}},
     "identifier_to_keep": {"user_alias": {"alias_name": "new@braze.com",
                                           "alias_label": "email"}}}]})");
  Json updates = Json::array();
  for (const v1::MergeUpdate& update : request.merge_updates()) {
    updates.push_back(MergeUpdateToBraze(update));
  }
  EXPECT_EQ(MakeActionBody("merge_updates", updates), JsonOf(R"({"merge_updates": [
    {"identifier_to_merge": {"external_id": "old-user1"},
     "identifier_to_keep": {"external_id": "current-user1"}},
    {"identifier_to_merge": {"email": "john.smith@braze.com",
                             "prioritization": ["unidentified", "most_recently_updated"]},
     "identifier_to_keep": {"external_id": "john"}},
    {"identifier_to_merge": {"user_alias": {"alias_name": "old@braze.com",
                                            "alias_label": "email"}},
     "identifier_to_keep": {"user_alias": {"alias_name": "new@braze.com",
                                           "alias_label": "email"}}}]})")
                                                          .dump());
}

TEST(MergeIdentifierToBrazeTest, PhoneCarriesItsPrioritization) {
  const auto identifier = ProtoOf<v1::MergeIdentifier>(
      R"({"phone": "+12223334444", "prioritization": ["PRIORITIZATION_IDENTIFIED"]})");
  EXPECT_EQ(MergeIdentifierToBraze(identifier),
            JsonOf(R"({"phone": "+12223334444", "prioritization": ["identified"]})"));
}

TEST(MergeIdentifierToBrazeTest, NoIdentifierIsAnEmptyObject) {
  EXPECT_EQ(MergeIdentifierToBraze(v1::MergeIdentifier()), Json::object());
}

TEST(DeleteToBrazeTest, EmailsMatchBrazesExample) {
  const auto email = ProtoOf<v1::EmailToDelete>(R"({"email": "john.smith@braze.com",
      "prioritization": ["PRIORITIZATION_UNIDENTIFIED",
                         "PRIORITIZATION_MOST_RECENTLY_UPDATED"]})");
  EXPECT_EQ(MakeActionBody("email_addresses", Json::array({EmailToDeleteToBraze(email)})),
            JsonOf(R"({"email_addresses": [{"email": "john.smith@braze.com",
                        "prioritization": ["unidentified", "most_recently_updated"]}]})")
                .dump());
}

TEST(DeleteToBrazeTest, PhonesHaveTheEmailShape) {
  const auto phone = ProtoOf<v1::PhoneToDelete>(
      R"({"phone": "+12223334444", "prioritization": ["PRIORITIZATION_IDENTIFIED"]})");
  EXPECT_EQ(PhoneToDeleteToBraze(phone),
            JsonOf(R"({"phone": "+12223334444", "prioritization": ["identified"]})"));
}

TEST(DeleteToBrazeTest, ExternalIdsAreAPlainArray) {
  EXPECT_EQ(
      MakeActionBody("external_ids", Json::array({"external_identifier1", "external_identifier2"})),
      R"({"external_ids":["external_identifier1","external_identifier2"]})");
}

TEST(ExternalIdRenameToBrazeTest, MatchesBrazesExample) {
  const auto rename = ProtoOf<v1::ExternalIdRename>(
      R"({"current_external_id": "existing_external_id",
          "new_external_id": "new_external_id"})");
  EXPECT_EQ(MakeActionBody("external_id_renames", Json::array({ExternalIdRenameToBraze(rename)})),
            JsonOf(R"({"external_id_renames": [{"current_external_id": "existing_external_id",
                                               "new_external_id": "new_external_id"}]})")
                .dump());
}

TEST(TriggerPropertiesKeyTest, NamesAndConfiguration) {
  EXPECT_EQ(TriggerPropertiesKeyName(TriggerPropertiesKey::kContext), "context");
  EXPECT_EQ(TriggerPropertiesKeyName(TriggerPropertiesKey::kCanvasEntryProperties),
            "canvas_entry_properties");
  EXPECT_EQ(TriggerPropertiesKeyName(TriggerPropertiesKey::kTriggerProperties),
            "trigger_properties");
  EXPECT_EQ(CanvasPropertiesKeyOf(v1::CANVAS_PROPERTIES_KEY_UNSPECIFIED),
            TriggerPropertiesKey::kContext);
  EXPECT_EQ(CanvasPropertiesKeyOf(v1::CANVAS_PROPERTIES_KEY_CONTEXT),
            TriggerPropertiesKey::kContext);
  EXPECT_EQ(CanvasPropertiesKeyOf(v1::CANVAS_PROPERTIES_KEY_CANVAS_ENTRY_PROPERTIES),
            TriggerPropertiesKey::kCanvasEntryProperties);
}

// Braze's /canvas/trigger/send example (§2.8), without "broadcast": false,
// which BrazeSync leaves to Braze's default.
constexpr char kCanvasRequest[] = R"({
  "canvas_id": "canvas_identifier",
  "context": {"product_name": "shoes", "product_price": 79.99},
  "broadcast": false,
  "recipients": [{"external_user_id": "user_identifier",
                  "context": {"last_intent": "upgrade_plan"},
                  "send_to_existing_only": true,
                  "attributes": {"first_name": "Alex"}}]})";
constexpr char kCanvasBody[] = R"({
  "canvas_id": "canvas_identifier",
  "context": {"product_name": "shoes", "product_price": 79.99},
  "recipients": [{"external_user_id": "user_identifier",
                  "context": {"last_intent": "upgrade_plan"},
                  "send_to_existing_only": true,
                  "attributes": {"first_name": "Alex"}}]})";

TEST(TriggerCanvasToBrazeTest, MatchesBrazesExample) {
  const auto request = ProtoOf<v1::TriggerCanvasRequest>(kCanvasRequest);
  Json body = TriggerCanvasEnvelope(request, TriggerPropertiesKey::kContext);
  // The attributes come from Track's converter, as the messaging service
  // converts them.
  body["recipients"] =
      Json::array({RecipientToBraze(request.recipients(0), TriggerPropertiesKey::kContext,
                                    ProfileToBraze(request.recipients(0).attributes()))});
  EXPECT_EQ(body, JsonOf(kCanvasBody));
}

TEST(TriggerCanvasToBrazeTest, LegacyKeyRenamesBothLevels) {
  const auto request = ProtoOf<v1::TriggerCanvasRequest>(kCanvasRequest);
  const TriggerPropertiesKey key = TriggerPropertiesKey::kCanvasEntryProperties;
  EXPECT_EQ(TriggerCanvasEnvelope(request, key),
            JsonOf(R"({"canvas_id": "canvas_identifier", "canvas_entry_properties":
                       {"product_name": "shoes", "product_price": 79.99}})"));
  EXPECT_EQ(RecipientToBraze(request.recipients(0), key, Json()),
            JsonOf(R"({"external_user_id": "user_identifier",
                       "canvas_entry_properties": {"last_intent": "upgrade_plan"},
                       "send_to_existing_only": true})"));
}

TEST(TriggerCanvasToBrazeTest, BroadcastAndAudienceWhenGiven) {
  const auto request = ProtoOf<v1::TriggerCanvasRequest>(
      R"({"canvas_id": "c1", "broadcast": true,
          "audience": {"AND": [{"custom_attribute": {"custom_attribute_name": "tier",
                                                     "comparison": "equals",
                                                     "value": "gold"}}]}})");
  // A Struct has no key order (StructToJson sorts the keys), so the
  // audience is compared without it.
  EXPECT_EQ(
      nlohmann::json::parse(TriggerCanvasEnvelope(request, TriggerPropertiesKey::kContext).dump()),
      nlohmann::json::parse(R"({"canvas_id": "c1", "broadcast": true,
                       "audience": {"AND": [{"custom_attribute": {
                           "custom_attribute_name": "tier", "comparison": "equals",
                           "value": "gold"}}]}})"));
}

TEST(TriggerCanvasToBrazeTest, EmptyContextAndAudienceAreOmitted) {
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("c1");
  request.mutable_context();   // set, but without keys
  request.mutable_audience();  // likewise
  EXPECT_EQ(TriggerCanvasEnvelope(request, TriggerPropertiesKey::kContext),
            JsonOf(R"({"canvas_id": "c1"})"));
}

TEST(RecipientToBrazeTest, EachIdentifierKind) {
  const Json no_attributes;
  EXPECT_EQ(RecipientToBraze(ProtoOf<v1::Recipient>(R"({"braze_id": "b1"})"),
                             TriggerPropertiesKey::kContext, no_attributes),
            JsonOf(R"({"braze_id": "b1"})"));
  EXPECT_EQ(RecipientToBraze(
                ProtoOf<v1::Recipient>(R"({"user_alias": {"alias_name": "n", "alias_label": "l"},
                                            "send_to_existing_only": true})"),
                TriggerPropertiesKey::kContext, no_attributes),
            JsonOf(R"({"user_alias": {"alias_name": "n", "alias_label": "l"},
                       "send_to_existing_only": true})"));
  EXPECT_EQ(RecipientToBraze(ProtoOf<v1::Recipient>(
                                 R"({"email": "a@example.com",
                                     "prioritization": ["PRIORITIZATION_IDENTIFIED",
                                                        "PRIORITIZATION_MOST_RECENTLY_UPDATED"],
                                     "context": {"k": 1}})"),
                             TriggerPropertiesKey::kContext, no_attributes),
            JsonOf(R"({"email": "a@example.com",
                       "prioritization": ["identified", "most_recently_updated"],
                       "context": {"k": 1}})"));
}

TEST(RecipientToBrazeTest, SendToExistingOnlyFalseIsSent) {
  EXPECT_EQ(RecipientToBraze(ProtoOf<v1::Recipient>(
                                 R"({"external_user_id": "u1", "send_to_existing_only": false})"),
                             TriggerPropertiesKey::kContext, JsonOf(R"({"first_name": "A"})")),
            JsonOf(R"({"external_user_id": "u1", "send_to_existing_only": false,
                       "attributes": {"first_name": "A"}})"));
}

TEST(RecipientToBrazeTest, TakesThePropertiesOfTheKeysKind) {
  // A recipient carrying both Structs sends only the one its endpoint reads.
  const auto recipient = ProtoOf<v1::Recipient>(
      R"({"external_user_id": "u1", "context": {"canvas": 1},
          "trigger_properties": {"campaign": 2}})");
  EXPECT_EQ(RecipientToBraze(recipient, TriggerPropertiesKey::kContext, Json()),
            JsonOf(R"({"external_user_id": "u1", "context": {"canvas": 1}})"));
  EXPECT_EQ(RecipientToBraze(recipient, TriggerPropertiesKey::kTriggerProperties, Json()),
            JsonOf(R"({"external_user_id": "u1", "trigger_properties": {"campaign": 2}})"));
}

TEST(TriggerCampaignToBrazeTest, MatchesBrazesExample) {
  const auto request = ProtoOf<v1::TriggerCampaignRequest>(R"({
    "campaign_id": "campaign_identifier",
    "send_id": "send_identifier",
    "trigger_properties": {"product_name": "shoes"},
    "broadcast": false,
    "recipients": [{"external_user_id": "external_user_identifier",
                    "trigger_properties": {"coupon": "CHAT10"},
                    "send_to_existing_only": false}],
    "attachments": [{"file_name": "YourFileName",
                     "url": "https://exampleurl.com/YourFileName.pdf"}]})");
  // Braze's attributes, as Track's converter would have written them.
  const Json attributes = JsonOf(R"({"email": "a@example.com",
      "subscription_groups": [{"subscription_group_id": "<uuid>",
                               "subscription_state": "subscribed"}]})");
  Json body = TriggerCampaignEnvelope(request);
  body["recipients"] = Json::array({RecipientToBraze(
      request.recipients(0), TriggerPropertiesKey::kTriggerProperties, attributes)});
  // Braze's example with "broadcast": false left out and "recipients" last,
  // where the caller appends it; compared without key order.
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "campaign_id": "campaign_identifier",
    "send_id": "send_identifier",
    "trigger_properties": {"product_name": "shoes"},
    "recipients": [{"external_user_id": "external_user_identifier",
                    "trigger_properties": {"coupon": "CHAT10"},
                    "send_to_existing_only": false,
                    "attributes": {"email": "a@example.com",
                                   "subscription_groups": [
                                       {"subscription_group_id": "<uuid>",
                                        "subscription_state": "subscribed"}]}}],
    "attachments": [{"file_name": "YourFileName",
                     "url": "https://exampleurl.com/YourFileName.pdf"}]})");
  EXPECT_EQ(nlohmann::json::parse(body.dump()), expected);
  // The envelope's own keys in Braze's order.
  Json envelope = TriggerCampaignEnvelope(request);
  EXPECT_EQ(envelope, JsonOf(R"({"campaign_id": "campaign_identifier",
      "send_id": "send_identifier", "trigger_properties": {"product_name": "shoes"},
      "attachments": [{"file_name": "YourFileName",
                       "url": "https://exampleurl.com/YourFileName.pdf"}]})"));
}

TEST(TriggerCampaignToBrazeTest, BroadcastWithAudience) {
  const auto request = ProtoOf<v1::TriggerCampaignRequest>(
      R"({"campaign_id": "k1", "broadcast": true, "audience": {"AND": []}})");
  EXPECT_EQ(TriggerCampaignEnvelope(request),
            JsonOf(R"({"campaign_id": "k1", "broadcast": true, "audience": {"AND": []}})"));
}

TEST(TriggerCampaignToBrazeTest, MinimalEnvelope) {
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("k1");
  request.mutable_trigger_properties();  // set, without keys
  EXPECT_EQ(TriggerCampaignEnvelope(request), JsonOf(R"({"campaign_id": "k1"})"));
}

TEST(SubscriptionGroupToBrazeTest, MatchesBrazesV2Example) {
  const auto request = ProtoOf<v1::SetSubscriptionStatusRequest>(R"({"subscription_groups": [
    {"subscription_group_id": "<email-group-uuid>",
     "subscription_state": "SUBSCRIPTION_STATE_SUBSCRIBED", "external_ids": ["example-user"]},
    {"subscription_group_id": "<sms-group-uuid>",
     "subscription_state": "SUBSCRIPTION_STATE_SUBSCRIBED", "external_ids": ["example-user"],
     "use_double_opt_in_logic": true}]})");
  Json groups = Json::array();
  for (const v1::SubscriptionGroupStatus& entry : request.subscription_groups()) {
    groups.push_back(SubscriptionGroupToBraze(entry, /*with_double_opt_in=*/true));
  }
  EXPECT_EQ(MakeActionBody("subscription_groups", groups), JsonOf(R"({"subscription_groups": [
    {"subscription_group_id": "<email-group-uuid>", "subscription_state": "subscribed",
     "external_ids": ["example-user"]},
    {"subscription_group_id": "<sms-group-uuid>", "subscription_state": "subscribed",
     "external_ids": ["example-user"], "use_double_opt_in_logic": true}]})")
                                                               .dump());
}

TEST(SubscriptionGroupToBrazeTest, PhonesUnsubscribedWithoutDoubleOptIn) {
  const auto entry = ProtoOf<v1::SubscriptionGroupStatus>(
      R"({"subscription_group_id": "g", "subscription_state": "SUBSCRIPTION_STATE_UNSUBSCRIBED",
          "phones": ["+12223334444", "+11112223333"], "use_double_opt_in_logic": true})");
  EXPECT_EQ(SubscriptionGroupToBraze(entry, /*with_double_opt_in=*/false),
            JsonOf(R"({"subscription_group_id": "g", "subscription_state": "unsubscribed",
                       "phones": ["+12223334444", "+11112223333"]})"));
}

TEST(SubscriptionGroupToBrazeTest, ExplicitFalseDoubleOptInIsSent) {
  const auto entry = ProtoOf<v1::SubscriptionGroupStatus>(
      R"({"subscription_group_id": "g", "subscription_state": "SUBSCRIPTION_STATE_SUBSCRIBED",
          "emails": ["a@example.com"], "use_double_opt_in_logic": false})");
  EXPECT_EQ(SubscriptionGroupToBraze(entry, /*with_double_opt_in=*/true),
            JsonOf(R"({"subscription_group_id": "g", "subscription_state": "subscribed",
                       "emails": ["a@example.com"], "use_double_opt_in_logic": false})"));
}

TEST(MakeActionBodyTest, IsCompact) {
  EXPECT_EQ(MakeActionBody("removed", Json::array({"a", "b"})), R"({"removed":["a","b"]})");
  EXPECT_EQ(MakeActionBody("user_aliases", Json::array()), R"({"user_aliases":[]})");
}

}  // namespace
}  // namespace brazesync
