// Tests for server/validation/validator.h: table-driven, one table per item
// kind. Each case starts from a valid item, applies one change and names the
// single violation it must produce (exact field path plus a description
// substring), or none. Cases from braze-api.md §6 carry their conformance
// number. The rules for free-form JSON (properties, nested attributes) and
// the path syntax are tested on their own in json_value_rules_test and
// violations_test; the cases here show each item routes its values to them.
#include "server/validation/validator.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "server/braze/profile_fields.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace v1 {
// Readable failure messages for violations.
void PrintTo(const FieldViolation& violation, std::ostream* os) {
  *os << "{" << violation.field() << ": " << violation.description() << "}";
}
}  // namespace v1

namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Timestamp;
using google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// 3000-12-31T23:59:59Z, the last second Braze stores as a time.
constexpr int64_t kLastSecondOf3000 = 32535215999;

std::string Chars(size_t n, const std::string& unit = "a") {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

Timestamp Time(int64_t seconds, int32_t nanos = 0) {
  Timestamp time;
  time.set_seconds(seconds);
  time.set_nanos(nanos);
  return time;
}

Value StringValue(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

Value NumberValue(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

// A list of `count` strings of `length` characters.
Value StringListValue(int count, size_t length) {
  Value value;
  for (int i = 0; i < count; ++i)
    *value.mutable_list_value()->add_values() = StringValue(Chars(length));
  return value;
}

// ---------------------------------------------------------------------------
// UserProfile.

v1::UserProfile BaseProfile() {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("user-1");
  profile.set_first_name("Ada");
  return profile;
}

v1::AttributeValue& Custom(v1::UserProfile* profile, const std::string& key) {
  return (*profile->mutable_custom_attributes())[key];
}

Struct& Object(v1::UserProfile* profile, const std::string& key) {
  return *Custom(profile, key).mutable_object_value();
}

struct ProfileCase {
  std::string name;
  std::function<void(v1::UserProfile*)> mutate;
  std::string field = "";        // Empty: the profile must be valid.
  std::string description = "";  // Substring of the only violation's description.
  int max_array_length = 500;
};

const char kGroupId[] = "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b";

v1::SubscriptionGroupUpdate* AddGroup(v1::UserProfile* p, v1::SubscriptionState state) {
  v1::SubscriptionGroupUpdate* group = p->add_subscription_groups();
  group->set_subscription_group_id(kGroupId);
  group->set_subscription_state(state);
  return group;
}

std::vector<ProfileCase> UserRefProfileCases() {
  return {
      {"ExternalIdAt987Bytes",
       [](v1::UserProfile* p) { p->mutable_user()->set_external_id(Chars(987)); }},
      {"AliasPartsAt236Bytes",
       [](v1::UserProfile* p) {
         p->mutable_user()->mutable_user_alias()->set_alias_name(Chars(236));
         p->mutable_user()->mutable_user_alias()->set_alias_label(Chars(236));
       }},
      {"BrazeId", [](v1::UserProfile* p) { p->mutable_user()->set_braze_id("5cd1c1a2b0a2"); }},
      {"EmailIdentifier", [](v1::UserProfile* p) { p->mutable_user()->set_email("a@b.co"); }},
      {"PhoneIdentifier", [](v1::UserProfile* p) { p->mutable_user()->set_phone("+15043277269"); }},
      {"NoUser", [](v1::UserProfile* p) { p->clear_user(); }, "attributes[0].user",
       "required: one of external_id, user_alias, braze_id, email, phone"},
      {"EmptyExternalId", [](v1::UserProfile* p) { p->mutable_user()->set_external_id(""); },
       "attributes[0].user.external_id", "required"},
      // §6 #19: EXTERNAL_USER_ID_TOO_LARGE.
      {"ExternalId988Bytes",
       [](v1::UserProfile* p) { p->mutable_user()->set_external_id(Chars(988)); },
       "attributes[0].user.external_id", "must be at most 987 bytes (got 988)"},
      // External id limits are bytes, not characters: 330 x 3-byte "€".
      {"ExternalIdMultiByte",
       [](v1::UserProfile* p) { p->mutable_user()->set_external_id(Chars(330, "€")); },
       "attributes[0].user.external_id", "at most 987 bytes (got 990)"},
      // §6 #20: alias_name of 237 bytes or empty.
      {"AliasNameEmpty",
       [](v1::UserProfile* p) { p->mutable_user()->mutable_user_alias()->set_alias_label("crm"); },
       "attributes[0].user.user_alias.alias_name", "required"},
      {"AliasName237Bytes",
       [](v1::UserProfile* p) {
         p->mutable_user()->mutable_user_alias()->set_alias_name(Chars(237));
         p->mutable_user()->mutable_user_alias()->set_alias_label("crm");
       },
       "attributes[0].user.user_alias.alias_name", "must be at most 236 bytes (got 237)"},
      {"AliasLabelEmpty",
       [](v1::UserProfile* p) { p->mutable_user()->mutable_user_alias()->set_alias_name("n"); },
       "attributes[0].user.user_alias.alias_label", "required"},
      {"AliasLabel237Bytes",
       [](v1::UserProfile* p) {
         p->mutable_user()->mutable_user_alias()->set_alias_name("n");
         p->mutable_user()->mutable_user_alias()->set_alias_label(Chars(237));
       },
       "attributes[0].user.user_alias.alias_label", "at most 236 bytes"},
      {"EmptyBrazeId", [](v1::UserProfile* p) { p->mutable_user()->set_braze_id(""); },
       "attributes[0].user.braze_id", "required"},
      // §6 #22 on the identifier.
      {"BadEmailIdentifier",
       [](v1::UserProfile* p) { p->mutable_user()->set_email("not-an-email"); },
       "attributes[0].user.email", "valid email address"},
      {"EmptyEmailIdentifier", [](v1::UserProfile* p) { p->mutable_user()->set_email(""); },
       "attributes[0].user.email", "required"},
      {"BadPhoneIdentifier",
       [](v1::UserProfile* p) { p->mutable_user()->set_phone("504-327-7269"); },
       "attributes[0].user.phone", "E.164"},
  };
}

std::vector<ProfileCase> StandardFieldCases() {
  return {
      {"AllStandardFields",
       [](v1::UserProfile* p) {
         p->set_last_name("Lovelace");
         p->set_email("ada@example.com");
         p->set_phone("+442071234567");
         p->set_home_city("London");
         p->set_country("GB");
         p->set_language("en");
         p->set_time_zone("Europe/London");
         p->set_dob("1990-12-10");
         p->set_gender(v1::GENDER_FEMALE);
         p->set_email_subscribe(v1::SUBSCRIPTION_STATE_OPTED_IN);
         p->set_push_subscribe(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
         p->mutable_current_location()->set_latitude(51.5);
         p->mutable_current_location()->set_longitude(-0.12);
         p->set_merge_objects(true);
       }},
      {"NamesAt255Characters",
       [](v1::UserProfile* p) {
         p->set_first_name(Chars(255, "é"));  // 510 bytes, 255 characters
         p->set_last_name(Chars(255));
         p->set_home_city(Chars(255, "東"));
       }},
      {"FirstName256Characters", [](v1::UserProfile* p) { p->set_first_name(Chars(256, "é")); },
       "attributes[0].first_name", "must be at most 255 characters (got 256)"},
      {"LastName256Characters", [](v1::UserProfile* p) { p->set_last_name(Chars(256)); },
       "attributes[0].last_name", "at most 255 characters"},
      {"HomeCity256Characters", [](v1::UserProfile* p) { p->set_home_city(Chars(256)); },
       "attributes[0].home_city", "at most 255 characters"},
      // §6 #22: EMAIL_BAD_FORMAT.
      {"BadEmail", [](v1::UserProfile* p) { p->set_email("not-an-email"); }, "attributes[0].email",
       "valid email address"},
      {"BadPhone", [](v1::UserProfile* p) { p->set_phone("+0123456789"); }, "attributes[0].phone",
       "E.164"},
      {"SameEmailAsIdentifier",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_email("a@b.co");
         p->set_email("a@b.co");
       }},
      {"DifferentEmailThanIdentifier",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_email("a@b.co");
         p->set_email("c@d.co");
       },
       "attributes[0].email", "must equal user.email"},
      {"DifferentPhoneThanIdentifier",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_phone("+15043277269");
         p->set_phone("+15043277270");
       },
       "attributes[0].phone", "must equal user.phone"},
      {"EmailWithPhoneIdentifier",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_phone("+15043277269");
         p->set_email("c@d.co");
       }},
      // §6 #37: Braze would set country to NULL.
      {"CountryNarnia", [](v1::UserProfile* p) { p->set_country("Narnia"); },
       "attributes[0].country", "must be an ISO 3166-1 alpha-2 code such as \"US\""},
      // §6 #36: Braze maps names best-effort; the gateway accepts alpha-2 only.
      {"CountryName", [](v1::UserProfile* p) { p->set_country("Australia"); },
       "attributes[0].country", "(got \"Australia\")"},
      {"CountryLowerCase", [](v1::UserProfile* p) { p->set_country("us"); },
       "attributes[0].country", "ISO 3166-1 alpha-2"},
      {"LanguageName", [](v1::UserProfile* p) { p->set_language("english"); },
       "attributes[0].language", "must be an ISO 639-1 code such as \"en\""},
      {"LanguageUpperCase", [](v1::UserProfile* p) { p->set_language("EN"); },
       "attributes[0].language", "ISO 639-1"},
      // §6 #38: Braze silently ignores an unknown zone.
      {"TimeZoneMarsBase", [](v1::UserProfile* p) { p->set_time_zone("Mars/Base"); },
       "attributes[0].time_zone", "IANA time zone name"},
      {"TimeZoneRailsAlias",
       [](v1::UserProfile* p) { p->set_time_zone("Eastern Time (US & Canada)"); },
       "attributes[0].time_zone",
       "a Rails-style time zone alias is not accepted: use the IANA name, e.g. "
       "America/New_York"},
      {"TimeZoneLocaltime", [](v1::UserProfile* p) { p->set_time_zone("localtime"); },
       "attributes[0].time_zone", "IANA"},
      // §6 #39: dob must be YYYY-MM-DD.
      {"DobUsFormat", [](v1::UserProfile* p) { p->set_dob("12/21/1980"); }, "attributes[0].dob",
       "YYYY-MM-DD"},
      {"DobNotARealDate", [](v1::UserProfile* p) { p->set_dob("1980-02-30"); }, "attributes[0].dob",
       "real date"},
      {"DobLeapDay", [](v1::UserProfile* p) { p->set_dob("2000-02-29"); }},
      // Any real date in 0001..9999: Braze sets it.
      {"DobEarlyYear", [](v1::UserProfile* p) { p->set_dob("1850-06-01"); }},
      {"DobFarFuture", [](v1::UserProfile* p) { p->set_dob("2200-01-01"); }},
      {"DobYearZero", [](v1::UserProfile* p) { p->set_dob("0000-01-01"); }, "attributes[0].dob",
       "year in 0001..9999"},
      {"EmailWithComma", [](v1::UserProfile* p) { p->set_email("a,b@example.com"); },
       "attributes[0].email", "valid email address"},
      // §6 #35: an unknown gender number on the wire (gender "X" in JSON).
      {"UnknownGender", [](v1::UserProfile* p) { p->set_gender(static_cast<v1::Gender>(42)); },
       "attributes[0].gender", "known Gender value, got 42"},
      // §6 #23: BAD_EMAIL_SUBSCRIPTION_STATE.
      {"UnknownEmailSubscribe",
       [](v1::UserProfile* p) { p->set_email_subscribe(static_cast<v1::SubscriptionState>(7)); },
       "attributes[0].email_subscribe", "known SubscriptionState"},
      // §6 #24: BAD_PUSH_SUBSCRIPTION_STATE.
      {"UnknownPushSubscribe",
       [](v1::UserProfile* p) { p->set_push_subscribe(static_cast<v1::SubscriptionState>(9)); },
       "attributes[0].push_subscribe", "known SubscriptionState"},
      // §6 #29: `{"latitude": 40.7}` cannot be expressed: the typed message
      // always carries both keys (longitude 0), so Braze never sees a partial
      // location and the gateway accepts it.
      {"LocationLatitudeOnly",
       [](v1::UserProfile* p) { p->mutable_current_location()->set_latitude(40.7); }},
      {"LocationAtLimits",
       [](v1::UserProfile* p) {
         p->mutable_current_location()->set_latitude(-90);
         p->mutable_current_location()->set_longitude(180);
       }},
      {"LatitudeOver90",
       [](v1::UserProfile* p) { p->mutable_current_location()->set_latitude(90.5); },
       "attributes[0].current_location.latitude", "must be in [-90, 90] (got 90.5)"},
      {"LongitudeUnderMinus180",
       [](v1::UserProfile* p) { p->mutable_current_location()->set_longitude(-181); },
       "attributes[0].current_location.longitude", "must be in [-180, 180]"},
      {"LatitudeNaN", [](v1::UserProfile* p) { p->mutable_current_location()->set_latitude(kNaN); },
       "attributes[0].current_location.latitude", "finite"},
      {"LongitudeInfinite",
       [](v1::UserProfile* p) { p->mutable_current_location()->set_longitude(kInf); },
       "attributes[0].current_location.longitude", "finite"},
  };
}

std::vector<ProfileCase> SubscriptionGroupCases() {
  return {
      // §6 #25 (an object instead of an array) cannot be expressed: the field
      // is repeated. Several groups in one profile are fine.
      {"TwoGroups",
       [](v1::UserProfile* p) {
         AddGroup(p, v1::SUBSCRIPTION_STATE_SUBSCRIBED)->set_use_double_opt_in_logic(true);
         AddGroup(p, v1::SUBSCRIPTION_STATE_UNSUBSCRIBED)
             ->set_subscription_group_id("3F1E2D4C-5B6A-4798-8A9B-0C1D2E3F4A5C");
       }},
      {"GroupIdMissing",
       [](v1::UserProfile* p) {
         AddGroup(p, v1::SUBSCRIPTION_STATE_SUBSCRIBED)->clear_subscription_group_id();
       },
       "attributes[0].subscription_groups[0].subscription_group_id", "required"},
      // §6 #27: BAD_SUBSCRIPTION_GROUP_ID.
      {"GroupIdNotUuid",
       [](v1::UserProfile* p) {
         AddGroup(p, v1::SUBSCRIPTION_STATE_SUBSCRIBED);
         AddGroup(p, v1::SUBSCRIPTION_STATE_SUBSCRIBED)->set_subscription_group_id("abc");
       },
       "attributes[0].subscription_groups[1].subscription_group_id", "UUID"},
      // §6 #26: BAD_SUBSCRIPTION_GROUP_HASH (missing subscription_state).
      {"GroupStateMissing",
       [](v1::UserProfile* p) { AddGroup(p, v1::SUBSCRIPTION_STATE_UNSPECIFIED); },
       "attributes[0].subscription_groups[0].subscription_state",
       "required: SUBSCRIBED or UNSUBSCRIBED"},
      // §6 #28: BAD_SUBSCRIPTION_GROUP_STATE.
      {"GroupStateOptedIn",
       [](v1::UserProfile* p) { AddGroup(p, v1::SUBSCRIPTION_STATE_OPTED_IN); },
       "attributes[0].subscription_groups[0].subscription_state",
       "must be SUBSCRIBED or UNSUBSCRIBED for a subscription group, got "
       "SUBSCRIPTION_STATE_OPTED_IN"},
      {"GroupStateUnknownNumber",
       [](v1::UserProfile* p) { AddGroup(p, static_cast<v1::SubscriptionState>(99)); },
       "attributes[0].subscription_groups[0].subscription_state", "got 99"},
      {"DoubleOptInWhenUnsubscribing",
       [](v1::UserProfile* p) {
         AddGroup(p, v1::SUBSCRIPTION_STATE_UNSUBSCRIBED)->set_use_double_opt_in_logic(true);
       },
       "attributes[0].subscription_groups[0].use_double_opt_in_logic",
       "only be true when subscription_state is SUBSCRIBED"},
  };
}

std::vector<ProfileCase> ClearFieldCases() {
  return {
      {"ClearSeveralFields",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         for (const char* field :
              {"first_name", "last_name", "email", "phone", "home_city", "country", "language",
               "time_zone", "dob", "gender", "current_location"}) {
           p->add_clear_fields(field);
         }
       }},
      {"ClearExternalId", [](v1::UserProfile* p) { p->add_clear_fields("external_id"); },
       "attributes[0].clear_fields[0]", "identifiers cannot be cleared"},
      {"ClearUserAlias",
       [](v1::UserProfile* p) {
         p->add_clear_fields("last_name");
         p->add_clear_fields("user_alias");
       },
       "attributes[0].clear_fields[1]", "identifiers cannot be cleared"},
      {"ClearBrazeId", [](v1::UserProfile* p) { p->add_clear_fields("braze_id"); },
       "attributes[0].clear_fields[0]", "identifiers cannot be cleared"},
      // Braze refuses null as a subscription state (BAD_*_SUBSCRIPTION_STATE).
      {"ClearEmailSubscribe", [](v1::UserProfile* p) { p->add_clear_fields("email_subscribe"); },
       "attributes[0].clear_fields[0]",
       "email_subscribe cannot be cleared: Braze refuses null as a subscription state; set it "
       "to UNSUBSCRIBED instead"},
      {"ClearPushSubscribe", [](v1::UserProfile* p) { p->add_clear_fields("push_subscribe"); },
       "attributes[0].clear_fields[0]", "push_subscribe cannot be cleared"},
      {"ClearUnknownField", [](v1::UserProfile* p) { p->add_clear_fields("favorite_color"); },
       "attributes[0].clear_fields[0]", "must be a clearable standard field"},
      {"ClearWrongCase", [](v1::UserProfile* p) { p->add_clear_fields("Last_Name"); },
       "attributes[0].clear_fields[0]", "clearable standard field"},
      {"ClearDuplicate",
       [](v1::UserProfile* p) {
         p->add_clear_fields("dob");
         p->add_clear_fields("dob");
       },
       "attributes[0].clear_fields[1]", "duplicate of clear_fields[0]"},
      {"ClearAndSet", [](v1::UserProfile* p) { p->add_clear_fields("first_name"); },
       "attributes[0].clear_fields[0]", "also set in this profile"},
      {"ClearAndSetGender",
       [](v1::UserProfile* p) {
         p->set_gender(v1::GENDER_OTHER);
         p->add_clear_fields("gender");
       },
       "attributes[0].clear_fields[0]", "also set"},
      {"ClearEmailIdentifier",
       [](v1::UserProfile* p) {
         p->mutable_user()->set_email("a@b.co");
         p->add_clear_fields("email");
       },
       "attributes[0].clear_fields[0]", "cannot clear email: it is the user identifier"},
  };
}

std::vector<ProfileCase> CustomAttributeCases() {
  return {
      {"EveryValueKind",
       [](v1::UserProfile* p) {
         Custom(p, "nickname").set_string_value(Chars(255, "ß"));
         Custom(p, "visits").set_int_value(-4);
         Custom(p, "score").set_double_value(2.5);
         Custom(p, "vip").set_bool_value(true);
         *Custom(p, "last_seen").mutable_time_value() = Time(kLastSecondOf3000, 999999999);
         Custom(p, "tags").mutable_array_value()->add_values("a");
         Custom(p, "credits").set_increment(-3);  // §6 #44
         Custom(p, "more_tags").mutable_add()->add_values("b");
         Custom(p, "old_tags").mutable_remove()->add_values("c");
         Custom(p, "gone").set_null_value(google::protobuf::NULL_VALUE);
         (*Object(p, "song").mutable_fields())["year_released"] = NumberValue(1960);
         Custom(p, "pets").mutable_object_array_value()->add_values()->mutable_struct_value();
         Custom(p, "First_Name").set_string_value("case differs: a custom attribute");
       }},
      {"EmptyKey", [](v1::UserProfile* p) { Custom(p, "").set_int_value(1); },
       "attributes[0].custom_attributes[\"\"]", "key must not be empty"},
      {"Key256Characters", [](v1::UserProfile* p) { Custom(p, Chars(256)).set_int_value(1); },
       "attributes[0].custom_attributes[\"" + Chars(256) + "\"]",
       "key must be at most 255 characters (got 256)"},
      {"KeyWithDollar", [](v1::UserProfile* p) { Custom(p, "$x").set_int_value(1); },
       "attributes[0].custom_attributes[\"$x\"]", "must not start with \"$\""},
      {"KeyWithDot", [](v1::UserProfile* p) { Custom(p, "a.b").set_int_value(1); },
       "attributes[0].custom_attributes[\"a.b\"]", "must not contain \".\""},
      {"KeyIsStandardField", [](v1::UserProfile* p) { Custom(p, "first_name").set_int_value(1); },
       "attributes[0].custom_attributes[\"first_name\"]", "standard field"},
      {"KeyIsIdentifier",
       [](v1::UserProfile* p) { Custom(p, "external_id").set_string_value("x"); },
       "attributes[0].custom_attributes[\"external_id\"]",
       "key is a Braze identifier; set UserProfile.user.external_id instead"},
      {"KeyIsAliasPart", [](v1::UserProfile* p) { Custom(p, "alias_name").set_string_value("x"); },
       "attributes[0].custom_attributes[\"alias_name\"]",
       "set UserProfile.user.user_alias.alias_name instead"},
      {"KeyIsFlag", [](v1::UserProfile* p) { Custom(p, "_merge_objects").set_bool_value(true); },
       "attributes[0].custom_attributes[\"_merge_objects\"]",
       "key is a Braze request flag; set UserProfile.merge_objects instead"},
      {"KeyIsPushTokenImport",
       [](v1::UserProfile* p) { Custom(p, "push_token_import").set_bool_value(true); },
       "attributes[0].custom_attributes[\"push_token_import\"]",
       "set UserProfile.push_token_import instead"},
      {"KeyIsBio", [](v1::UserProfile* p) { Custom(p, "bio").set_string_value("hi"); },
       "attributes[0].custom_attributes[\"bio\"]",
       "key is \"bio\", which Braze no longer processes, not even as a custom attribute"},
      {"KeyIsEmailSubscriptionInfo",
       [](v1::UserProfile* p) { Custom(p, "email_subscription_info").set_string_value("x"); },
       "attributes[0].custom_attributes[\"email_subscription_info\"]",
       "INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO"},
      // Braze stores an array as a unique set; the converter sends each value
      // once, so duplicates do not count against the cap.
      {"ArrayDuplicatesCountOnce",
       [](v1::UserProfile* p) {
         for (int i = 0; i < 600; ++i) {
           Custom(p, "tags").mutable_array_value()->add_values(i % 2 == 0 ? "a" : "b");
         }
       }},
      {"KeyQuotedInPath", [](v1::UserProfile* p) { Custom(p, "say \"hi\"\n").clear_value(); },
       "attributes[0].custom_attributes[\"say \\\"hi\\\"\\n\"]", "value required"},
      {"ValueNotSet", [](v1::UserProfile* p) { Custom(p, "tier"); },
       "attributes[0].custom_attributes[\"tier\"]", "value required: set one of"},
      // §6 #40: Braze does not apply (or truncate) a 300-character string.
      {"String300Characters",
       [](v1::UserProfile* p) { Custom(p, "bio_text").set_string_value(Chars(300)); },
       "attributes[0].custom_attributes[\"bio_text\"].string_value",
       "must be at most 255 characters (got 300)"},
      {"DoubleNaN", [](v1::UserProfile* p) { Custom(p, "score").set_double_value(kNaN); },
       "attributes[0].custom_attributes[\"score\"].double_value", "finite"},
      {"DoubleInfinite", [](v1::UserProfile* p) { Custom(p, "score").set_double_value(-kInf); },
       "attributes[0].custom_attributes[\"score\"].double_value", "finite"},
      // §6 #45 ({"inc": 2.5}) cannot be expressed: increment is an int64.
      {"TimeNegativeNanos",
       [](v1::UserProfile* p) { *Custom(p, "t").mutable_time_value() = Time(0, -1); },
       "attributes[0].custom_attributes[\"t\"].time_value", "nanos in 0..999999999 (got -1)"},
      {"TimeNanosTooLarge",
       [](v1::UserProfile* p) { *Custom(p, "t").mutable_time_value() = Time(0, 1000000000); },
       "attributes[0].custom_attributes[\"t\"].time_value", "nanos"},
      // §6 #50: a year above 3000 would be stored as a string.
      {"TimeYear3001",
       [](v1::UserProfile* p) {
         *Custom(p, "t").mutable_time_value() = Time(kLastSecondOf3000 + 1);
       },
       "attributes[0].custom_attributes[\"t\"].time_value", "year 3000 or earlier"},
      {"TimeBeforeYear1",
       [](v1::UserProfile* p) { *Custom(p, "t").mutable_time_value() = Time(-62135596801); },
       "attributes[0].custom_attributes[\"t\"].time_value", "0001-01-01"},
  };
}

std::vector<ProfileCase> ArrayAttributeCases() {
  // `count` distinct values of `length` characters (or the index's digits).
  auto fill = [](v1::StringList* list, int count, size_t length) {
    for (int i = 0; i < count; ++i) {
      std::string value = absl::StrCat(i);
      if (value.size() < length) value += Chars(length - value.size());
      list->add_values(value);
    }
  };
  return {
      {"ArrayAt500Values",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_array_value(), 500, 5); }},
      {"EmptyArray", [](v1::UserProfile* p) { Custom(p, "tags").mutable_array_value(); }},
      {"Array501Values",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_array_value(), 501, 5); },
       "attributes[0].custom_attributes[\"tags\"].array_value.values",
       "must have at most 500 distinct values (got 501)"},
      {"ArrayOverLegacyCap",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_array_value(), 26, 5); },
       "attributes[0].custom_attributes[\"tags\"].array_value.values",
       "at most 25 distinct values (got 26)", 25},
      {"ArrayAtLegacyCap",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_array_value(), 25, 5); }, "", "",
       25},
      {"ArrayElement256Characters",
       [fill](v1::UserProfile* p) {
         fill(Custom(p, "tags").mutable_array_value(), 2, 5);
         Custom(p, "tags").mutable_array_value()->add_values(Chars(256));
       },
       "attributes[0].custom_attributes[\"tags\"].array_value.values[2]",
       "at most 255 characters (got 256)"},
      {"ArrayOver100KB",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_array_value(), 450, 250); },
       "attributes[0].custom_attributes[\"tags\"].array_value",
       "must be at most 102400 bytes as JSON"},
      {"Add501Values",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_add(), 501, 1); },
       "attributes[0].custom_attributes[\"tags\"].add.values", "at most 500 distinct values"},
      {"AddElementTooLong",
       [](v1::UserProfile* p) { Custom(p, "tags").mutable_add()->add_values(Chars(256)); },
       "attributes[0].custom_attributes[\"tags\"].add.values[0]", "at most 255 characters"},
      // Removing values cannot grow the array, so `remove` has no count cap.
      {"RemoveOverLegacyCapIsValid",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_remove(), 101, 1); }, "", "",
       100},
      {"AddOverLegacyCap",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_add(), 101, 1); },
       "attributes[0].custom_attributes[\"tags\"].add.values", "at most 100 distinct values", 100},
      // An empty operation changes nothing (Braze records it as such).
      {"AddEmpty", [](v1::UserProfile* p) { Custom(p, "tags").mutable_add(); },
       "attributes[0].custom_attributes[\"tags\"].add.values", "required: at least one value"},
      {"RemoveEmpty", [](v1::UserProfile* p) { Custom(p, "tags").mutable_remove(); },
       "attributes[0].custom_attributes[\"tags\"].remove.values", "required: at least one value"},
      {"RemoveOver100KB",
       [fill](v1::UserProfile* p) { fill(Custom(p, "tags").mutable_remove(), 450, 250); },
       "attributes[0].custom_attributes[\"tags\"].remove", "102400 bytes"},
  };
}

// Object and object-array values go through json_value_rules (tested there).
std::vector<ProfileCase> NestedAttributeCases() {
  const std::string object = "attributes[0].custom_attributes[\"obj\"].object_value";
  const std::string array = "attributes[0].custom_attributes[\"pets\"].object_array_value";
  return {
      {"NestedObjectWithTime",
       [](v1::UserProfile* p) {
         Struct& born = *(*Object(p, "obj").mutable_fields())["born"].mutable_struct_value();
         (*born.mutable_fields())["$time"] = StringValue("1990-05-01");
       }},
      // §6 #52: nested key "a.b".
      {"NestedKeyWithDot",
       [](v1::UserProfile* p) { (*Object(p, "obj").mutable_fields())["a.b"] = NumberValue(1); },
       object + "[\"a.b\"]", "must not contain \".\""},
      {"ObjectOver100KB",
       [](v1::UserProfile* p) {
         (*Object(p, "obj").mutable_fields())["tags"] = StringListValue(450, 250);
       },
       object, "must be at most 102400 bytes as JSON"},
      {"ObjectArrayElementNotObject",
       [](v1::UserProfile* p) {
         ListValue& pets = *Custom(p, "pets").mutable_object_array_value();
         pets.add_values()->mutable_struct_value();
         *pets.add_values() = StringValue("dog");
       },
       array + "[1]", "must be an object"},
  };
}

std::vector<ProfileCase> EmptyProfileCases() {
  return {
      {"OnlyUser", [](v1::UserProfile* p) { p->clear_first_name(); }, "attributes[0]",
       "nothing to update"},
      {"OnlyUpdateExistingOnlyTrue",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         p->set_update_existing_only(true);
       },
       "attributes[0]", "nothing to update"},
      {"OnlyMergeObjects",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         p->set_merge_objects(true);
       },
       "attributes[0]", "nothing to update"},
      // §6 #17: an alias with _update_existing_only false creates the profile.
      {"AliasCreateOnly",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         p->mutable_user()->mutable_user_alias()->set_alias_name("n");
         p->mutable_user()->mutable_user_alias()->set_alias_label("crm");
         p->set_update_existing_only(false);
       }},
      {"OnlySubscriptionGroup",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         AddGroup(p, v1::SUBSCRIPTION_STATE_SUBSCRIBED);
       }},
      {"OnlyClearField",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         p->add_clear_fields("first_name");
       }},
      {"OnlyCustomAttribute",
       [](v1::UserProfile* p) {
         p->clear_first_name();
         Custom(p, "vip").set_bool_value(true);
       }},
  };
}

std::vector<ProfileCase> AllProfileCases() {
  std::vector<ProfileCase> all = {{"Minimal", [](v1::UserProfile*) {}}};
  for (auto cases : {UserRefProfileCases(), StandardFieldCases(), SubscriptionGroupCases(),
                     ClearFieldCases(), CustomAttributeCases(), ArrayAttributeCases(),
                     NestedAttributeCases(), EmptyProfileCases()}) {
    for (auto& test : cases) all.push_back(std::move(test));
  }
  return all;
}

// Names the case in test output (and keeps ctest names free of raw bytes).
void PrintTo(const ProfileCase& test, std::ostream* os) { *os << test.name; }

class ValidatorProfileTest : public testing::TestWithParam<ProfileCase> {};

TEST_P(ValidatorProfileTest, ReportsExactlyTheExpectedViolation) {
  const ProfileCase& test = GetParam();
  v1::UserProfile profile = BaseProfile();
  test.mutate(&profile);
  ValidationLimits limits;
  limits.max_array_length = test.max_array_length;
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", limits, &violations);
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidatorProfileTest, testing::ValuesIn(AllProfileCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Event.

v1::Event BaseEvent() {
  v1::Event event;
  event.mutable_user()->set_external_id("user-1");
  event.set_name("played");
  return event;
}

Value& Prop(v1::Event* event, const std::string& key) {
  return (*event->mutable_properties()->mutable_fields())[key];
}

struct EventCase {
  std::string name;
  std::function<void(v1::Event*)> mutate;
  std::string field = "";
  std::string description = "";
};

std::vector<EventCase> EventCases() {
  const std::string props = "events[3].properties";
  return {
      // §6 #55: Braze requires `time`, but the gateway stamps a missing one.
      {"MinimalWithoutTime", [](v1::Event*) {}},
      {"Complete",
       [](v1::Event* e) {
         e->mutable_user()->mutable_user_alias()->set_alias_name("n");
         e->mutable_user()->mutable_user_alias()->set_alias_label("crm");
         e->set_name(Chars(255, "é"));
         *e->mutable_time() = Time(kLastSecondOf3000, 999999999);
         e->set_app_id(Chars(255));
         e->set_event_id(Chars(255));
         e->set_update_existing_only(false);
         Prop(e, "amount") = NumberValue(12.5);
         Prop(e, "label") = StringValue(Chars(255));
         Prop(e, "tags") = StringListValue(3, 5);
         Prop(e, "a b") = StringValue("keys may contain spaces");
         (*Prop(e, "nested").mutable_struct_value()->mutable_fields())["deep"] = NumberValue(1);
         Prop(e, "none").set_null_value(google::protobuf::NULL_VALUE);
         Prop(e, "flag").set_bool_value(false);
       }},
      {"NoUser", [](v1::Event* e) { e->clear_user(); }, "events[3].user",
       "required: one of external_id"},
      {"BadUserPhone", [](v1::Event* e) { e->mutable_user()->set_phone("+1"); },
       "events[3].user.phone", "E.164"},
      // §6 #56.
      {"NoName", [](v1::Event* e) { e->clear_name(); }, "events[3].name", "required"},
      {"Name256Characters", [](v1::Event* e) { e->set_name(Chars(256)); }, "events[3].name",
       "must be at most 255 characters (got 256)"},
      {"TimeBadNanos", [](v1::Event* e) { *e->mutable_time() = Time(1714566896, -5); },
       "events[3].time", "nanos"},
      // A time after now, year 3001 too, is sent as now (braze-api.md §6 #57).
      {"TimeYear3001IsValid",
       [](v1::Event* e) { *e->mutable_time() = Time(kLastSecondOf3000 + 1); }, "", ""},
      {"AppId256Characters", [](v1::Event* e) { e->set_app_id(Chars(256)); }, "events[3].app_id",
       "at most 255 characters"},
      {"EventId256Bytes", [](v1::Event* e) { e->set_event_id(Chars(128, "é")); },
       "events[3].event_id", "must be at most 255 bytes (got 256)"},
      // §6 #59: "$price", "time", "event_name".
      {"PropertyDollarKey", [](v1::Event* e) { Prop(e, "$price") = NumberValue(1); },
       props + ".$price", "must not start with \"$\""},
      {"PropertyReservedTime", [](v1::Event* e) { Prop(e, "time") = NumberValue(1); },
       props + ".time", "reserved by Braze"},
      {"PurchaseKeysAllowedInEvents",
       [](v1::Event* e) {
         Prop(e, "price") = NumberValue(1);
         Prop(e, "currency") = StringValue("USD");
       }},
  };
}

// Names the case in test output (and keeps ctest names free of raw bytes).
void PrintTo(const EventCase& test, std::ostream* os) { *os << test.name; }

class ValidatorEventTest : public testing::TestWithParam<EventCase> {};

TEST_P(ValidatorEventTest, ReportsExactlyTheExpectedViolation) {
  const EventCase& test = GetParam();
  v1::Event event = BaseEvent();
  test.mutate(&event);
  FieldViolations violations;
  ValidateEvent(event, "events[3]", ValidationLimits(), &violations);
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidatorEventTest, testing::ValuesIn(EventCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Purchase.

v1::Purchase BasePurchase() {
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id("user-1");
  purchase.set_product_id("sku-1");
  purchase.set_currency("USD");
  purchase.set_price(9.99);
  return purchase;
}

Value& Prop(v1::Purchase* purchase, const std::string& key) {
  return (*purchase->mutable_properties()->mutable_fields())[key];
}

struct PurchaseCase {
  std::string name;
  std::function<void(v1::Purchase*)> mutate;
  std::string field = "";
  std::string description = "";
};

std::vector<PurchaseCase> PurchaseCases() {
  const std::string props = "purchases[1].properties";
  std::vector<PurchaseCase> cases = {
      {"Minimal", [](v1::Purchase*) {}},
      {"Complete",
       [](v1::Purchase* p) {
         p->mutable_user()->set_email("a@b.co");
         p->set_product_id(Chars(255, "ü"));
         p->set_quantity(100);
         *p->mutable_time() = Time(1714566896, 5);
         p->set_app_id("app");
         p->set_purchase_id(Chars(255));
         Prop(p, "color") = StringValue("red");
       }},
      {"LowerCaseCurrency", [](v1::Purchase* p) { p->set_currency("usd"); }},
      {"ZeroPriceQuantityOne",
       [](v1::Purchase* p) {
         p->set_price(0);
         p->set_quantity(1);
       }},
      {"NoUser", [](v1::Purchase* p) { p->clear_user(); }, "purchases[1].user", "required"},
      // §6 #66: purchase without price or product_id.
      {"NoProductId", [](v1::Purchase* p) { p->clear_product_id(); }, "purchases[1].product_id",
       "required"},
      {"NoPrice", [](v1::Purchase* p) { p->clear_price(); }, "purchases[1].price", "required"},
      {"ProductId256Characters", [](v1::Purchase* p) { p->set_product_id(Chars(256)); },
       "purchases[1].product_id", "at most 255 characters (got 256)"},
      {"NoCurrency", [](v1::Purchase* p) { p->clear_currency(); }, "purchases[1].currency",
       "required"},
      // §6 #65: "'currency' must be an ISO 4217 currency".
      {"CurrencyXYZ", [](v1::Purchase* p) { p->set_currency("XYZ"); }, "purchases[1].currency",
       "must be an ISO 4217 currency code such as \"USD\" (got \"XYZ\")"},
      {"CurrencySymbol", [](v1::Purchase* p) { p->set_currency("$"); }, "purchases[1].currency",
       "ISO 4217"},
      {"PriceNaN", [](v1::Purchase* p) { p->set_price(kNaN); }, "purchases[1].price", "finite"},
      {"PriceInfinite", [](v1::Purchase* p) { p->set_price(kInf); }, "purchases[1].price",
       "finite"},
      {"PriceNegative", [](v1::Purchase* p) { p->set_price(-0.01); }, "purchases[1].price",
       "must be >= 0 (got -0.01)"},
      // §6 #63: "'quantity' is not valid".
      {"Quantity101", [](v1::Purchase* p) { p->set_quantity(101); }, "purchases[1].quantity",
       "must be in 1..100 (got 101)"},
      {"QuantityZero", [](v1::Purchase* p) { p->set_quantity(0); }, "purchases[1].quantity",
       "(got 0)"},
      {"QuantityNegative", [](v1::Purchase* p) { p->set_quantity(-1); }, "purchases[1].quantity",
       "1..100"},
      {"TimeYear3001IsValid",
       [](v1::Purchase* p) { *p->mutable_time() = Time(kLastSecondOf3000 + 1); }, "", ""},
      {"TimeBadNanos", [](v1::Purchase* p) { *p->mutable_time() = Time(0, 1000000000); },
       "purchases[1].time", "nanos"},
      {"AppId256Characters", [](v1::Purchase* p) { p->set_app_id(Chars(256)); },
       "purchases[1].app_id", "at most 255 characters"},
      {"PurchaseId256Bytes", [](v1::Purchase* p) { p->set_purchase_id(Chars(256)); },
       "purchases[1].purchase_id", "at most 255 bytes (got 256)"},
  };
  // §6 #67: {"price": 1}. Purchase properties go through the purchase rules
  // of json_value_rules (every reserved key is tested there).
  cases.push_back({"PropertyReservedPrice",
                   [](v1::Purchase* p) { Prop(p, "price") = NumberValue(1); }, props + ".price",
                   "key is reserved by Braze"});
  return cases;
}

// Names the case in test output (and keeps ctest names free of raw bytes).
void PrintTo(const PurchaseCase& test, std::ostream* os) { *os << test.name; }

class ValidatorPurchaseTest : public testing::TestWithParam<PurchaseCase> {};

TEST_P(ValidatorPurchaseTest, ReportsExactlyTheExpectedViolation) {
  const PurchaseCase& test = GetParam();
  v1::Purchase purchase = BasePurchase();
  test.mutate(&purchase);
  FieldViolations violations;
  ValidatePurchase(purchase, "purchases[1]", ValidationLimits(), &violations);
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidatorPurchaseTest, testing::ValuesIn(PurchaseCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Cross-cutting behaviour.

TEST(ValidatorTest, ReportsEveryViolationInStableOrder) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id(Chars(988));
  profile.set_country("Narnia");
  (*profile.mutable_custom_attributes())["z.z"].set_int_value(1);
  (*profile.mutable_custom_attributes())["$a"].set_int_value(1);
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[5]", ValidationLimits(), &violations);
  EXPECT_THAT(violations,
              ElementsAre(Violation("attributes[5].user.external_id", "987 bytes"),
                          Violation("attributes[5].country", "ISO 3166-1"),
                          Violation("attributes[5].custom_attributes[\"$a\"]", "\"$\""),
                          Violation("attributes[5].custom_attributes[\"z.z\"]", "\".\"")));
}

TEST(ValidatorTest, AppendsToExistingViolations) {
  FieldViolations violations(1);
  v1::Event event = BaseEvent();
  event.clear_name();
  ValidateEvent(event, "events[0]", ValidationLimits(), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("", ""), Violation("events[0].name", "required")));
}

TEST(ValidatorTest, EmptyPathNamesFieldsFromTheItem) {
  v1::Purchase purchase = BasePurchase();
  purchase.set_quantity(101);
  FieldViolations violations;
  ValidatePurchase(purchase, "", ValidationLimits(), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("quantity", "1..100")));
}

// Every field of the standard-field table (braze/profile_fields.h) is
// clearable unless the table says otherwise, and reserved as a custom key.
TEST(ValidatorTest, ClearFieldsAcceptsExactlyTheClearableStandardFields) {
  for (const ProfileField& field : StandardProfileFields()) {
    v1::UserProfile profile;
    profile.mutable_user()->set_external_id("user-1");
    profile.add_clear_fields(std::string(field.name));
    FieldViolations violations;
    ValidateUserProfile(profile, "attributes[0]", ValidationLimits(), &violations);
    if (field.clearable) {
      EXPECT_THAT(violations, IsEmpty()) << field.name;
    } else {
      EXPECT_THAT(violations, ElementsAre(Violation("attributes[0].clear_fields[0]",
                                                    absl::StrCat(field.name, " cannot be cleared: ",
                                                                 field.not_clearable_because))))
          << field.name;
    }
  }
}

TEST(ValidatorTest, CustomAttributeKeysCannotBeStandardFieldNames) {
  for (const ProfileField& field : StandardProfileFields()) {
    v1::UserProfile profile = BaseProfile();
    Custom(&profile, std::string(field.name)).set_int_value(1);
    FieldViolations violations;
    ValidateUserProfile(profile, "attributes[0]", ValidationLimits(), &violations);
    EXPECT_THAT(
        violations,
        ElementsAre(Violation(absl::StrCat("attributes[0].custom_attributes[\"", field.name, "\"]"),
                              absl::StrCat("key is Braze's standard field ", field.name,
                                           "; set UserProfile.", field.name, " instead"))))
        << field.name;
  }
}

TEST(ValidatorTest, LongValuesAreShortenedInDescriptions) {
  v1::UserProfile profile = BaseProfile();
  profile.set_time_zone(Chars(100, "é"));
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", ValidationLimits(), &violations);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0].description(), HasSubstr("(got \"" + Chars(20, "é") + "\"...)"));
}

// ---------------------------------------------------------------------------
// Phones with a workspace default region (phone_numbers.h).

ValidationLimits FrenchPhones() {
  ValidationLimits limits;
  limits.default_phone_region = "FR";
  return limits;
}

TEST(ValidatorPhoneTest, NationalPhonesAreValidWithARegion) {
  v1::UserProfile profile = BaseProfile();
  profile.mutable_user()->set_phone("06 12 34 56 78");
  profile.set_phone("+33 6 12 34 56 78");  // the same number: compared in E.164
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", FrenchPhones(), &violations);
  EXPECT_THAT(violations, IsEmpty());

  v1::Event event = BaseEvent();
  event.mutable_user()->set_phone("06 12 34 56 78");
  ValidateEvent(event, "events[0]", FrenchPhones(), &violations);
  v1::Purchase purchase = BasePurchase();
  purchase.mutable_user()->set_phone("+1 504-327-7269");
  ValidatePurchase(purchase, "purchases[0]", FrenchPhones(), &violations);
  EXPECT_THAT(violations, IsEmpty());
}

TEST(ValidatorPhoneTest, InvalidNationalPhoneNamesFieldAndRegion) {
  v1::UserProfile profile = BaseProfile();
  profile.mutable_user()->set_phone("06 12");
  profile.set_phone("12");
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", FrenchPhones(), &violations);
  EXPECT_THAT(violations,
              ElementsAre(Violation("attributes[0].user.phone", "not a valid FR phone number"),
                          Violation("attributes[0].phone", "not a valid FR phone number")));
}

TEST(ValidatorPhoneTest, NationalPhoneWithoutRegionNeedsOne) {
  v1::Event event = BaseEvent();
  event.mutable_user()->set_phone("06 12 34 56 78");
  FieldViolations violations;
  ValidateEvent(event, "events[0]", ValidationLimits(), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("events[0].user.phone", "default_phone_region")));
}

TEST(ValidatorPhoneTest, DifferentNationalPhoneThanIdentifier) {
  v1::UserProfile profile = BaseProfile();
  profile.mutable_user()->set_phone("06 12 34 56 78");
  profile.set_phone("06 12 34 56 79");
  FieldViolations violations;
  ValidateUserProfile(profile, "attributes[0]", FrenchPhones(), &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("attributes[0].phone", "must equal user.phone")));
}

TEST(ValidatorPhoneTest, SevenDigitE164IsValid) {
  v1::Purchase purchase = BasePurchase();
  purchase.mutable_user()->set_phone("+2902222");
  FieldViolations violations;
  ValidatePurchase(purchase, "purchases[0]", ValidationLimits(), &violations);
  EXPECT_THAT(violations, IsEmpty());
}

}  // namespace
}  // namespace brazesync
