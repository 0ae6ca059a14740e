// Table-driven tests for the UserProfile parts of the contract added for the
// rest of /users/track (docs/braze-rules.md): the session dates, facebook,
// twitter, image_url, push tokens and push_token_import
// (standard_field_rules.h), and the array_change and object_array_operation
// attribute values (validator.h, json_value_rules.h). Each case names exactly
// one expected violation, or none.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "server/validation/validator.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::UserProfile BaseProfile() {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("user-1");
  profile.set_first_name("Ada");
  return profile;
}

v1::AttributeValue& Custom(v1::UserProfile* profile, const std::string& key) {
  return (*profile->mutable_custom_attributes())[key];
}

google::protobuf::Value Str(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return value;
}

google::protobuf::Value Num(double number) {
  google::protobuf::Value value;
  value.set_number_value(number);
  return value;
}

v1::PushToken* AddToken(v1::UserProfile* p, const std::string& device_id = "") {
  v1::PushToken* token = p->add_push_tokens();
  token->set_app_id("app-1");
  token->set_token("tok-1");
  token->set_device_id(device_id);
  return token;
}

v1::ObjectArrayOperation& Op(v1::UserProfile* p) {
  return *Custom(p, "pets").mutable_object_array_operation();
}

struct Case {
  std::string name;
  std::function<void(v1::UserProfile*)> mutate;
  std::string field = "";  // empty: valid
  std::string description = "";
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> Cases() {
  return {
      // ---- Standard fields ----
      {"SessionDates",
       [](v1::UserProfile* p) {
         p->mutable_date_of_first_session()->set_seconds(1714566896);
         p->mutable_date_of_last_session()->set_seconds(1714566897);
         p->mutable_marked_email_as_spam_at()->set_seconds(1714566898);
       }},
      // Any Timestamp instant: the 3000 cap of custom time attributes does
      // not apply to the standard dates.
      {"SessionDateAfter3000",
       [](v1::UserProfile* p) { p->mutable_date_of_last_session()->set_seconds(32535216000); }},
      {"SessionDateBadNanos",
       [](v1::UserProfile* p) { p->mutable_date_of_first_session()->set_nanos(-1); },
       "attributes[0].date_of_first_session", "must be a valid time"},
      {"TrackingFlags",
       [](v1::UserProfile* p) {
         p->set_email_open_tracking_disabled(true);
         p->set_email_click_tracking_disabled(false);
       }},
      {"Facebook",
       [](v1::UserProfile* p) {
         p->mutable_facebook()->set_id("fb");
         p->mutable_facebook()->add_likes("chess");
         p->mutable_facebook()->set_num_friends(2);
       }},
      {"FacebookEmpty", [](v1::UserProfile* p) { p->mutable_facebook(); }},
      {"Twitter", [](v1::UserProfile* p) { p->mutable_twitter()->set_screen_name("ada"); }},
      {"TwitterEmpty", [](v1::UserProfile* p) { p->mutable_twitter(); }},
      {"ImageUrl", [](v1::UserProfile* p) { p->set_image_url("https://example.com/a.png"); }},
      {"ImageUrl256Chars", [](v1::UserProfile* p) { p->set_image_url(std::string(256, 'a')); },
       "attributes[0].image_url", "at most 255 characters"},
      {"PushTokenWithDeviceId", [](v1::UserProfile* p) { AddToken(p, "12345678"); }},
      {"PushTokenDeviceId7Bytes", [](v1::UserProfile* p) { AddToken(p, "1234567"); },
       "attributes[0].push_tokens[0].device_id", "must be 8 to 255 bytes when set (got 7)"},
      {"PushTokenDeviceId256Bytes", [](v1::UserProfile* p) { AddToken(p, std::string(256, 'd')); },
       "attributes[0].push_tokens[0].device_id", "(got 256)"},
      {"PushTokenNoAppId", [](v1::UserProfile* p) { AddToken(p)->clear_app_id(); },
       "attributes[0].push_tokens[0].app_id", "required"},
      {"PushTokenNoToken", [](v1::UserProfile* p) { AddToken(p)->clear_token(); },
       "attributes[0].push_tokens[0].token", "required"},
      {"PushTokenImportByAlias",
       [](v1::UserProfile* p) {
         p->mutable_user()->mutable_user_alias()->set_alias_name("n");
         p->mutable_user()->mutable_user_alias()->set_alias_label("l");
         p->set_push_token_import(true);
         AddToken(p);
       }},
      {"PushTokenImportWithoutUser",
       [](v1::UserProfile* p) {
         p->clear_user();
         p->set_push_token_import(true);
         AddToken(p);
       }},
      {"PushTokenImportByExternalId",
       [](v1::UserProfile* p) {
         p->set_push_token_import(true);
         AddToken(p);
       },
       "attributes[0].user", "must not be an external_id or braze_id when push_token_import"},
      {"PushTokenImportWithoutTokens",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_email("a@b.co");
         p->set_push_token_import(true);
       },
       "attributes[0].push_tokens", "required when push_token_import is true"},
      {"NoUserWithoutImport", [](v1::UserProfile* p) { p->clear_user(); }, "attributes[0].user",
       "required"},
      {"ClearNewFields",
       [](v1::UserProfile* p) {
         for (const char* name :
              {"date_of_first_session", "date_of_last_session", "marked_email_as_spam_at",
               "email_open_tracking_disabled", "email_click_tracking_disabled", "facebook",
               "twitter", "image_url"}) {
           p->add_clear_fields(name);
         }
       }},
      {"ClearPushTokens", [](v1::UserProfile* p) { p->add_clear_fields("push_tokens"); },
       "attributes[0].clear_fields[0]", "push_tokens cannot be cleared"},
      // ---- array_change ----
      {"ArrayChangeBoth",
       [](v1::UserProfile* p) {
         Custom(p, "tags").mutable_array_change()->add_add("a");
         Custom(p, "tags").mutable_array_change()->add_remove("b");
       }},
      {"ArrayChangeEmpty", [](v1::UserProfile* p) { Custom(p, "tags").mutable_array_change(); },
       "attributes[0].custom_attributes[\"tags\"].array_change",
       "at least one value in add or remove"},
      {"ArrayChangeValueInBoth",
       [](v1::UserProfile* p) {
         Custom(p, "tags").mutable_array_change()->add_add("a");
         Custom(p, "tags").mutable_array_change()->add_remove("a");
       },
       "attributes[0].custom_attributes[\"tags\"].array_change.remove[0]",
       "also in add; add or remove it, not both"},
      {"ArrayChangeLongValue",
       [](v1::UserProfile* p) {
         Custom(p, "tags").mutable_array_change()->add_remove(std::string(256, 'x'));
       },
       "attributes[0].custom_attributes[\"tags\"].array_change.remove[0]", "at most 255"},
      {"ArrayChangeOverCap",
       [](v1::UserProfile* p) {
         for (int i = 0; i < 501; ++i) {
           Custom(p, "tags").mutable_array_change()->add_add(absl::StrCat(i));
         }
       },
       "attributes[0].custom_attributes[\"tags\"].array_change.add",
       "at most 500 distinct values (got 501)"},
      // ---- object_array_operation ----
      {"ObjectArrayAdd",
       [](v1::UserProfile* p) {
         (*Op(p).mutable_add()->add_objects()->mutable_fields())["id"] = Num(3);
       }},
      {"ObjectArrayAddNone", [](v1::UserProfile* p) { Op(p).mutable_add(); },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.add.objects",
       "at least one object"},
      {"ObjectArrayAddBadKey",
       [](v1::UserProfile* p) {
         (*Op(p).mutable_add()->add_objects()->mutable_fields())["a.b"] = Num(3);
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.add.objects[0][\"a.b\"]",
       "must not contain \".\""},
      {"ObjectArrayAddNestedArray",
       [](v1::UserProfile* p) {
         google::protobuf::Value grid;
         grid.mutable_list_value()->add_values()->mutable_list_value();
         (*Op(p).mutable_add()->add_objects()->mutable_fields())["grid"] = grid;
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.add.objects[0].grid[0]",
       "an array must not directly contain an array"},
      {"ObjectArrayRemove",
       [](v1::UserProfile* p) {
         v1::ObjectArrayMatch* match = Op(p).mutable_remove()->add_matches();
         match->set_identifier_key("type");
         *match->mutable_identifier_value() = Str("dog");
       }},
      {"ObjectArrayRemoveBoolValue",
       [](v1::UserProfile* p) {
         v1::ObjectArrayMatch* match = Op(p).mutable_remove()->add_matches();
         match->set_identifier_key("id");
         match->mutable_identifier_value()->set_bool_value(true);
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.remove.matches[0]."
       "identifier_value",
       "a string or a number"},
      {"ObjectArrayRemoveKeyWithDollar",
       [](v1::UserProfile* p) {
         v1::ObjectArrayMatch* match = Op(p).mutable_remove()->add_matches();
         match->set_identifier_key("$id");
         *match->mutable_identifier_value() = Num(1);
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.remove.matches[0]."
       "identifier_key",
       "must not contain \"$\""},
      {"ObjectArrayUpdate",
       [](v1::UserProfile* p) {
         v1::ObjectArrayUpdate* update = Op(p).mutable_update()->add_updates();
         update->set_identifier_key("id");
         *update->mutable_identifier_value() = Num(4);
         (*update->mutable_new_object()->mutable_fields())["breed"] = Str("goldfish");
       }},
      {"ObjectArrayUpdateNoNewObject",
       [](v1::UserProfile* p) {
         v1::ObjectArrayUpdate* update = Op(p).mutable_update()->add_updates();
         update->set_identifier_key("id");
         *update->mutable_identifier_value() = Num(4);
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation.update.updates[0]."
       "new_object",
       "required"},
      {"ObjectArrayNoOperator", [](v1::UserProfile* p) { Op(p); },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation",
       "one of add, remove, update"},
      {"ObjectArrayOver100KB",
       [](v1::UserProfile* p) {
         auto* add = Op(p).mutable_add();
         for (int i = 0; i < 450; ++i) {
           (*add->add_objects()->mutable_fields())["v"] = Str(std::string(250, 'x'));
         }
       },
       "attributes[0].custom_attributes[\"pets\"].object_array_operation",
       "at most 102400 bytes as JSON"},
  };
}

class ProfileContractTest : public testing::TestWithParam<Case> {};

TEST_P(ProfileContractTest, ReportsExactlyTheExpectedViolation) {
  const Case& test = GetParam();
  v1::UserProfile profile = BaseProfile();
  test.mutate(&profile);
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", ValidationLimits(), &violations);
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ProfileContractTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- One item's Braze JSON must fit one request (docs/braze-rules.md) ----

ValidationLimits SmallRequests(size_t max_request_bytes) {
  ValidationLimits limits;
  limits.max_request_bytes = max_request_bytes;
  return limits;
}

v1::Event EventWithPropertyBytes(size_t bytes) {
  v1::Event event;
  event.mutable_user()->set_external_id("u1");
  event.set_name("e");
  for (size_t i = 0; i * 250 < bytes; ++i) {
    (*event.mutable_properties()->mutable_fields())[absl::StrCat("k", i)].set_string_value(
        std::string(250, 'x'));
  }
  return event;
}

TEST(OversizeItemRuleTest, AnItemTooLargeForOneRequestIsInvalidAtItsOwnPath) {
  FieldViolations violations;
  ValidateEvent(EventWithPropertyBytes(60'000), "events[3]", SmallRequests(50'000), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("events[3]", "max_request_bytes 50000")));
}

TEST(OversizeItemRuleTest, AnItemThatFitsIsValid) {
  FieldViolations violations;
  ValidateEvent(EventWithPropertyBytes(40'000), "events[3]", SmallRequests(50'000), &violations);
  EXPECT_THAT(violations, IsEmpty());
}

TEST(OversizeItemRuleTest, AppliesToProfilesAndPurchases) {
  v1::UserProfile profile = BaseProfile();
  Custom(&profile, "bio_text").set_string_value(std::string(200, 'x'));
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", SmallRequests(200), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("attributes[0]", "the item's Braze JSON is")));
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id("u1");
  purchase.set_product_id(std::string(200, 'p'));
  purchase.set_currency("usd");
  purchase.set_price(1);
  violations.clear();
  ValidatePurchase(purchase, "purchases[0]", SmallRequests(200), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("purchases[0]", "413")));
}

// An item with a field violation is not also measured: the converter assumes
// valid input, and the field violation is what the caller must fix first.
TEST(OversizeItemRuleTest, IsNotReportedBesideAFieldViolation) {
  v1::Event event = EventWithPropertyBytes(60'000);
  event.clear_name();
  FieldViolations violations;
  ValidateEvent(event, "events[0]", SmallRequests(50'000), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("events[0].name", "required")));
}

}  // namespace
}  // namespace brazesync
