// The standard fields of a v1::UserProfile and how each is written to Braze.
#include "server/braze/profile_fields.h"

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace brazesync {
namespace {

const char* GenderCode(v1::Gender gender) {
  switch (gender) {
    case v1::GENDER_MALE:
      return "M";
    case v1::GENDER_FEMALE:
      return "F";
    case v1::GENDER_OTHER:
      return "O";
    case v1::GENDER_NOT_APPLICABLE:
      return "N";
    case v1::GENDER_PREFER_NOT_TO_SAY:
      return "P";
    default:
      return nullptr;
  }
}

void WriteSubscription(const char* key, v1::SubscriptionState state, Json* object) {
  if (const char* name = SubscriptionStateName(state)) (*object)[key] = name;
}

Json SubscriptionGroupsToJson(const v1::UserProfile& profile) {
  Json groups = Json::array();
  for (const auto& group : profile.subscription_groups()) {
    // An unset or unknown state (refused by the validator) converts to null
    // rather than crashing: the converter is total.
    const char* state = SubscriptionStateName(group.subscription_state());
    Json entry = Json{{"subscription_group_id", group.subscription_group_id()},
                      {"subscription_state", state != nullptr ? Json(state) : Json()}};
    if (group.use_double_opt_in_logic()) entry["use_double_opt_in_logic"] = true;
    groups.push_back(std::move(entry));
  }
  return groups;
}

// Braze's time format, as the converter writes every time
// (FormatBrazeTime is in converter.h, which includes this table's header).
std::string Iso8601(const google::protobuf::Timestamp& timestamp) {
  return absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ",
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos()),
      absl::UTCTimeZone());
}

Json FacebookToJson(const v1::FacebookData& facebook) {
  Json out = Json::object();
  if (facebook.has_id()) out["id"] = facebook.id();
  if (facebook.likes_size() > 0) {
    Json likes = Json::array();
    for (const std::string& like : facebook.likes()) likes.push_back(like);
    out["likes"] = std::move(likes);
  }
  if (facebook.has_num_friends()) out["num_friends"] = facebook.num_friends();
  return out;
}

Json TwitterToJson(const v1::TwitterData& twitter) {
  Json out = Json::object();
  if (twitter.has_id()) out["id"] = twitter.id();
  if (twitter.has_screen_name()) out["screen_name"] = twitter.screen_name();
  if (twitter.has_followers_count()) out["followers_count"] = twitter.followers_count();
  if (twitter.has_friends_count()) out["friends_count"] = twitter.friends_count();
  if (twitter.has_statuses_count()) out["statuses_count"] = twitter.statuses_count();
  return out;
}

Json PushTokensToJson(const v1::UserProfile& profile) {
  Json tokens = Json::array();
  for (const v1::PushToken& token : profile.push_tokens()) {
    Json entry = Json{{"app_id", token.app_id()}, {"token", token.token()}};
    if (!token.device_id().empty()) entry["device_id"] = token.device_id();
    tokens.push_back(std::move(entry));
  }
  return tokens;
}

// Each entry names its key twice (in `name` and in write_json);
// profile_fields_test checks that write_json writes exactly `name`.
constexpr ProfileField kStandardFields[] = {
    // Optional strings are written as they are (the validator checked them).
    {"first_name", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_first_name(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["first_name"] = p.first_name(); }},
    {"last_name", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_last_name(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["last_name"] = p.last_name(); }},
    {"email", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_email(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["email"] = p.email(); }},
    {"phone", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_phone(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["phone"] = p.phone(); }},
    {"home_city", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_home_city(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["home_city"] = p.home_city(); }},
    {"country", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_country(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["country"] = p.country(); }},
    {"language", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_language(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["language"] = p.language(); }},
    {"time_zone", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_time_zone(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["time_zone"] = p.time_zone(); }},
    {"dob", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_dob(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["dob"] = p.dob(); }},
    {"gender", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.gender() != v1::GENDER_UNSPECIFIED; },
     [](const v1::UserProfile& p, Json* object) {
       if (const char* code = GenderCode(p.gender())) (*object)["gender"] = code;
     }},
    // Not clearable: null is not a subscription state, Braze refuses it
    // (BAD_EMAIL_/BAD_PUSH_SUBSCRIPTION_STATE).
    {"email_subscribe", /*clearable=*/false,
     "Braze refuses null as a subscription state; set it to UNSUBSCRIBED instead",
     [](const v1::UserProfile& p) {
       return p.email_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED;
     },
     [](const v1::UserProfile& p, Json* object) {
       WriteSubscription("email_subscribe", p.email_subscribe(), object);
     }},
    {"push_subscribe", /*clearable=*/false,
     "Braze refuses null as a subscription state; set it to UNSUBSCRIBED instead",
     [](const v1::UserProfile& p) {
       return p.push_subscribe() != v1::SUBSCRIPTION_STATE_UNSPECIFIED;
     },
     [](const v1::UserProfile& p, Json* object) {
       WriteSubscription("push_subscribe", p.push_subscribe(), object);
     }},
    {"current_location", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_current_location(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["current_location"] = Json{{"latitude", p.current_location().latitude()},
                                            {"longitude", p.current_location().longitude()}};
     }},
    // Not clearable: it is a list of per-group updates, not one value (a group
    // is left by writing UNSUBSCRIBED).
    {"subscription_groups", /*clearable=*/false,
     "leave a group by setting its subscription_state to UNSUBSCRIBED",
     [](const v1::UserProfile& p) { return p.subscription_groups_size() > 0; },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["subscription_groups"] = SubscriptionGroupsToJson(p);
     }},
    {"date_of_first_session", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_date_of_first_session(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["date_of_first_session"] = Iso8601(p.date_of_first_session());
     }},
    {"date_of_last_session", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_date_of_last_session(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["date_of_last_session"] = Iso8601(p.date_of_last_session());
     }},
    {"marked_email_as_spam_at", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_marked_email_as_spam_at(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["marked_email_as_spam_at"] = Iso8601(p.marked_email_as_spam_at());
     }},
    {"email_open_tracking_disabled", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_email_open_tracking_disabled(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["email_open_tracking_disabled"] = p.email_open_tracking_disabled();
     }},
    {"email_click_tracking_disabled", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_email_click_tracking_disabled(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["email_click_tracking_disabled"] = p.email_click_tracking_disabled();
     }},
    {"facebook", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_facebook(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["facebook"] = FacebookToJson(p.facebook());
     }},
    {"twitter", /*clearable=*/true, "", [](const v1::UserProfile& p) { return p.has_twitter(); },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["twitter"] = TwitterToJson(p.twitter());
     }},
    {"image_url", /*clearable=*/true, "",
     [](const v1::UserProfile& p) { return p.has_image_url(); },
     [](const v1::UserProfile& p, Json* object) { (*object)["image_url"] = p.image_url(); }},
    // Not clearable: Braze answers a null with BAD_PUSH_TOKEN_VALUE.
    {"push_tokens", /*clearable=*/false,
     "Braze refuses null for push_tokens (BAD_PUSH_TOKEN_VALUE); tokens are removed on the "
     "device",
     [](const v1::UserProfile& p) { return p.push_tokens_size() > 0; },
     [](const v1::UserProfile& p, Json* object) {
       (*object)["push_tokens"] = PushTokensToJson(p);
     }},
};

constexpr absl::string_view kNonStandardFields[] = {"user",
                                                    "update_existing_only",
                                                    "merge_objects",
                                                    "push_token_import",
                                                    "custom_attributes",
                                                    "clear_fields"};

}  // namespace

const char* SubscriptionStateName(v1::SubscriptionState state) {
  switch (state) {
    case v1::SUBSCRIPTION_STATE_OPTED_IN:
      return "opted_in";
    case v1::SUBSCRIPTION_STATE_SUBSCRIBED:
      return "subscribed";
    case v1::SUBSCRIPTION_STATE_UNSUBSCRIBED:
      return "unsubscribed";
    default:
      return nullptr;
  }
}

absl::Span<const ProfileField> StandardProfileFields() { return kStandardFields; }

const ProfileField* FindStandardProfileField(absl::string_view name) {
  for (const ProfileField& field : kStandardFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

absl::Span<const absl::string_view> NonStandardProfileFields() { return kNonStandardFields; }

}  // namespace brazesync
