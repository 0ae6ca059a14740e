// Tests for server/braze/profile_fields.h: every UserProfile proto field is
// either a standard field of the table or one of the listed non-standard
// fields (so a field added to the proto fails here until it is handled), and
// each table entry's name, is_set and write_json agree with the proto field
// of that name.
#include "server/braze/profile_fields.h"

#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::IsNull;
using ::testing::NotNull;

// A profile with every standard field set to a valid value.
v1::UserProfile EveryStandardFieldSet() {
  v1::UserProfile profile;
  const bool parsed = google::protobuf::TextFormat::ParseFromString(
      R"pb(
        user { external_id: "user-1" }
        first_name: "Ada"
        last_name: "Lovelace"
        email: "ada@example.com"
        phone: "+15043277269"
        home_city: "London"
        country: "GB"
        language: "en"
        time_zone: "Europe/London"
        dob: "1815-12-10"
        gender: GENDER_FEMALE
        email_subscribe: SUBSCRIPTION_STATE_OPTED_IN
        push_subscribe: SUBSCRIPTION_STATE_UNSUBSCRIBED
        current_location { latitude: 51.5 longitude: -0.1 }
        subscription_groups {
          subscription_group_id: "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
          subscription_state: SUBSCRIPTION_STATE_SUBSCRIBED
        }
        date_of_first_session { seconds: 1714566896 nanos: 789000000 }
        date_of_last_session { seconds: 1714566897 }
        marked_email_as_spam_at { seconds: 1714566898 }
        email_open_tracking_disabled: true
        email_click_tracking_disabled: false
        facebook { id: "fb-1" likes: "chess" num_friends: 3 }
        twitter { id: 42 screen_name: "ada" followers_count: 1 }
        image_url: "https://example.com/ada.png"
        push_tokens { app_id: "app-1" token: "tok-1" device_id: "device-0001" }
      )pb",
      &profile);
  EXPECT_TRUE(parsed);
  return profile;
}

TEST(ProfileFieldsTest, EveryProtoFieldIsInExactlyOneList) {
  const google::protobuf::Descriptor* descriptor = v1::UserProfile::descriptor();
  std::multiset<std::string> listed;
  for (const ProfileField& field : StandardProfileFields()) listed.emplace(field.name);
  for (absl::string_view name : NonStandardProfileFields()) listed.emplace(name);
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const std::string& name = descriptor->field(i)->name();
    EXPECT_THAT(listed.count(name), Eq(1u))
        << "UserProfile." << name
        << " must be in StandardProfileFields (converted, clearable) or "
           "NonStandardProfileFields (handled by hand), once";
  }
  for (const std::string& name : listed) {
    EXPECT_THAT(descriptor->FindFieldByName(name), NotNull()) << name << " is not a proto field";
  }
}

// docs/braze-rules.md: Braze refuses null for the subscription states and
// push tokens; subscription groups are left one by one.
TEST(ProfileFieldsTest, ClearableFieldsFollowBrazeRules) {
  const std::set<absl::string_view> not_clearable = {"email_subscribe", "push_subscribe",
                                                     "subscription_groups", "push_tokens"};
  for (const ProfileField& field : StandardProfileFields()) {
    EXPECT_THAT(field.clearable, Eq(not_clearable.count(field.name) == 0)) << field.name;
    // A field that cannot be cleared says why, in the caller's error.
    EXPECT_THAT(field.not_clearable_because.empty(), Eq(field.clearable)) << field.name;
  }
}

// is_set must look at the proto field of the entry's name: true when only
// that field is set, false once that field alone is cleared.
TEST(ProfileFieldsTest, IsSetFollowsTheProtoFieldOfItsName) {
  const v1::UserProfile full = EveryStandardFieldSet();
  const google::protobuf::Reflection* reflection = full.GetReflection();
  for (const ProfileField& field : StandardProfileFields()) {
    const google::protobuf::FieldDescriptor* proto_field =
        v1::UserProfile::descriptor()->FindFieldByName(std::string(field.name));
    ASSERT_THAT(proto_field, NotNull()) << field.name;
    EXPECT_TRUE(field.is_set(full)) << field.name;
    v1::UserProfile cleared = full;
    reflection->ClearField(&cleared, proto_field);
    EXPECT_FALSE(field.is_set(cleared)) << field.name;
    for (const ProfileField& other : StandardProfileFields()) {
      if (other.name != field.name) {
        EXPECT_TRUE(other.is_set(cleared)) << other.name;
      }
    }
  }
}

TEST(ProfileFieldsTest, WriteJsonWritesExactlyTheKeyOfItsName) {
  const v1::UserProfile full = EveryStandardFieldSet();
  for (const ProfileField& field : StandardProfileFields()) {
    Json object = Json::object();
    field.write_json(full, &object);
    ASSERT_THAT(object.size(), Eq(1u)) << field.name << ": " << object.dump();
    EXPECT_TRUE(object.contains(std::string(field.name))) << object.dump();
  }
}

TEST(ProfileFieldsTest, ConverterWritesEveryStandardFieldThatIsSet) {
  const v1::UserProfile full = EveryStandardFieldSet();
  const Json json = ProfileToBraze(full);
  for (const ProfileField& field : StandardProfileFields()) {
    EXPECT_TRUE(json.contains(std::string(field.name))) << field.name;
  }
  const Json empty = ProfileToBraze(v1::UserProfile());
  for (const ProfileField& field : StandardProfileFields()) {
    EXPECT_FALSE(empty.contains(std::string(field.name))) << field.name;
  }
}

TEST(ProfileFieldsTest, FindsStandardFieldsByExactName) {
  ASSERT_THAT(FindStandardProfileField("dob"), NotNull());
  EXPECT_THAT(FindStandardProfileField("dob")->name, Eq("dob"));
  EXPECT_THAT(FindStandardProfileField("external_id"), IsNull());
  EXPECT_THAT(FindStandardProfileField("custom_attributes"), IsNull());
  EXPECT_THAT(FindStandardProfileField("Dob"), IsNull());
  EXPECT_THAT(FindStandardProfileField(""), IsNull());
}

}  // namespace
}  // namespace brazesync
