// Golden tests for the converter output of the contract added for the rest of
// /users/track (braze-api.md §1.4-1.6, docs/braze-rules.md): the new standard
// fields, push_token_import, the array-of-objects operators, the combined
// add/remove change and duplicate-free arrays. Key order is checked too.
#include <string>

#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::StrEq;

void ExpectGolden(const Json& actual, const char* golden) {
  const Json expected = Json::parse(golden);
  EXPECT_THAT(actual, Eq(expected));
  EXPECT_THAT(actual.dump(), StrEq(expected.dump()));
}

v1::UserProfile Parse(const char* text) {
  v1::UserProfile profile;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &profile)) << text;
  return profile;
}

TEST(ConverterContractTest, WritesTheSessionSocialAndPushFields) {
  ExpectGolden(
      ProfileToBraze(Parse(R"pb(
        user { external_id: "u1" }
        date_of_first_session { seconds: 1714566896 nanos: 789000000 }
        date_of_last_session { seconds: 1714566897 }
        marked_email_as_spam_at { seconds: 1714566898 nanos: 1000000 }
        email_open_tracking_disabled: true
        email_click_tracking_disabled: false
        facebook { id: "fb-1" likes: "chess" likes: "go" num_friends: 3 }
        twitter { id: 42 screen_name: "ada" followers_count: 1 friends_count: 2 statuses_count: 3 }
        image_url: "https://example.com/a.png"
        push_tokens { app_id: "app-1" token: "tok-1" device_id: "device-0001" }
        push_tokens { app_id: "app-2" token: "tok-2" }
      )pb")),
      R"({"external_id":"u1",
                   "date_of_first_session":"2024-05-01T12:34:56.789Z",
                   "date_of_last_session":"2024-05-01T12:34:57.000Z",
                   "marked_email_as_spam_at":"2024-05-01T12:34:58.001Z",
                   "email_open_tracking_disabled":true,
                   "email_click_tracking_disabled":false,
                   "facebook":{"id":"fb-1","likes":["chess","go"],"num_friends":3},
                   "twitter":{"id":42,"screen_name":"ada","followers_count":1,
                              "friends_count":2,"statuses_count":3},
                   "image_url":"https://example.com/a.png",
                   "push_tokens":[{"app_id":"app-1","token":"tok-1","device_id":"device-0001"},
                                  {"app_id":"app-2","token":"tok-2"}]})");
}

TEST(ConverterContractTest, WritesOnlyTheSetMembersOfFacebookAndTwitter) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 facebook { num_friends: 0 }
                 twitter { screen_name: "" }
               )pb")),
               R"({"external_id":"u1","facebook":{"num_friends":0},"twitter":{"screen_name":""}})");
}

TEST(ConverterContractTest, WritesPushTokenImportWithoutIdentifier) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 push_token_import: true
                 push_tokens { app_id: "app-1" token: "tok-1" }
               )pb")),
               R"({"push_token_import":true,
                   "push_tokens":[{"app_id":"app-1","token":"tok-1"}]})");
}

TEST(ConverterContractTest, WritesPushTokenImportAfterTheFlags) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { email: "a@b.co" }
                 update_existing_only: false
                 push_token_import: true
                 push_tokens { app_id: "app-1" token: "tok-1" }
               )pb")),
               R"({"email":"a@b.co","_update_existing_only":false,"push_token_import":true,
                   "push_tokens":[{"app_id":"app-1","token":"tok-1"}]})");
}

TEST(ConverterContractTest, WritesObjectArrayAdd) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 custom_attributes {
                   key: "pets"
                   value {
                     object_array_operation {
                       add {
                         objects {
                           fields {
                             key: "id"
                             value { number_value: 3 }
                           }
                           fields {
                             key: "type"
                             value { string_value: "dog" }
                           }
                         }
                       }
                     }
                   }
                 }
               )pb")),
               R"({"external_id":"u1","pets":{"$add":[{"id":3,"type":"dog"}]}})");
}

TEST(ConverterContractTest, WritesObjectArrayRemove) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 custom_attributes {
                   key: "pets"
                   value {
                     object_array_operation {
                       remove {
                         matches {
                           identifier_key: "id"
                           identifier_value { number_value: 1 }
                         }
                         matches {
                           identifier_key: "type"
                           identifier_value { string_value: "dog" }
                         }
                       }
                     }
                   }
                 }
               )pb")),
               R"({"external_id":"u1","pets":{"$remove":[
                     {"$identifier_key":"id","$identifier_value":1},
                     {"$identifier_key":"type","$identifier_value":"dog"}]}})");
}

TEST(ConverterContractTest, WritesObjectArrayUpdate) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 merge_objects: true
                 custom_attributes {
                   key: "pets"
                   value {
                     object_array_operation {
                       update {
                         updates {
                           identifier_key: "id"
                           identifier_value { number_value: 4 }
                           new_object {
                             fields {
                               key: "breed"
                               value { string_value: "goldfish" }
                             }
                           }
                         }
                       }
                     }
                   }
                 }
               )pb")),
               R"({"external_id":"u1","_merge_objects":true,"pets":{"$update":[
                     {"$identifier_key":"id","$identifier_value":4,
                      "$new_object":{"breed":"goldfish"}}]}})");
}

TEST(ConverterContractTest, WritesAddAndRemoveInOneValue) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 custom_attributes {
                   key: "tags"
                   value { array_change { add: "c" add: "d" remove: "a" } }
                 }
               )pb")),
               R"({"external_id":"u1","tags":{"add":["c","d"],"remove":["a"]}})");
}

TEST(ConverterContractTest, OmitsAnEmptyListOfAnArrayChange) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 custom_attributes {
                   key: "tags"
                   value { array_change { remove: "a" } }
                 }
               )pb")),
               R"({"external_id":"u1","tags":{"remove":["a"]}})");
}

// Braze stores an array as a unique set: ['hotdog','hotdog','pizza'] becomes
// ['hotdog','pizza'], so that is what is sent (the first occurrence kept).
TEST(ConverterContractTest, SendsEachArrayValueOnceAtItsFirstOccurrence) {
  ExpectGolden(ProfileToBraze(Parse(R"pb(
                 user { external_id: "u1" }
                 custom_attributes {
                   key: "a"
                   value { array_value { values: "hotdog" values: "pizza" values: "hotdog" } }
                 }
                 custom_attributes {
                   key: "b"
                   value { add { values: "x" values: "x" } }
                 }
                 custom_attributes {
                   key: "c"
                   value { remove { values: "y" values: "z" values: "y" } }
                 }
                 custom_attributes {
                   key: "d"
                   value { array_change { add: "p" add: "p" remove: "q" remove: "q" } }
                 }
               )pb")),
               R"({"external_id":"u1","a":["hotdog","pizza"],"b":{"add":["x"]},
                   "c":{"remove":["y","z"]},"d":{"add":["p"],"remove":["q"]}})");
}

}  // namespace
}  // namespace brazesync
