// The rules of the record-like UserProfile standard fields; see
// standard_field_rules.h. Braze answers most mistakes here with an error code
// for the whole object (BAD_PUSH_TOKEN_*, BAD_DEVICE_ID, BAD_PUSH_TOKEN_IMPORT),
// so each is caught before sending.
#include "server/validation/standard_field_rules.h"

#include "absl/strings/str_cat.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

// Braze's bounds on a push token's device_id (BAD_DEVICE_ID outside them).
constexpr size_t kMinDeviceIdBytes = 8;
constexpr size_t kMaxDeviceIdBytes = 255;

void CheckPushTokens(const v1::UserProfile& profile, const std::string& path,
                     FieldViolations* out) {
  const std::string tokens_path = FieldPath(path, "push_tokens");
  for (int i = 0; i < profile.push_tokens_size(); ++i) {
    const v1::PushToken& token = profile.push_tokens(i);
    const std::string token_path = IndexPath(tokens_path, i);
    CheckRequired(token.app_id(), FieldPath(token_path, "app_id"), out);
    CheckRequired(token.token(), FieldPath(token_path, "token"), out);
    const size_t device_id_bytes = token.device_id().size();
    if (device_id_bytes > 0 &&
        (device_id_bytes < kMinDeviceIdBytes || device_id_bytes > kMaxDeviceIdBytes)) {
      AddViolation(out, FieldPath(token_path, "device_id"),
                   absl::StrCat("must be ", kMinDeviceIdBytes, " to ", kMaxDeviceIdBytes,
                                " bytes when set (got ", device_id_bytes, ")"));
    }
  }
  if (!profile.push_token_import()) return;
  // BAD_PUSH_TOKEN_IMPORT: an import is for users Braze does not know yet.
  if (profile.push_tokens_size() == 0) {
    AddViolation(out, tokens_path, "required when push_token_import is true");
  }
  if (profile.user().has_external_id() || profile.user().has_braze_id()) {
    AddViolation(out, FieldPath(path, "user"),
                 "must not be an external_id or braze_id when push_token_import is true (use "
                 "an alias, email or phone, or no identifier)");
  }
}

}  // namespace

std::string StandardFieldKeyError(absl::string_view key) {
  if (key == "bio") {
    return "key is \"bio\", which Braze no longer processes, not even as a custom attribute";
  }
  if (key == "email_subscription_info") {
    return "key is refused by Braze (INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO); set "
           "UserProfile.email_subscribe or subscription_groups instead";
  }
  if (key == "external_id" || key == "braze_id" || key == "user_alias") {
    return absl::StrCat("key is a Braze identifier; set UserProfile.user.", key, " instead");
  }
  if (key == "alias_name" || key == "alias_label") {
    return absl::StrCat("key is a Braze identifier; set UserProfile.user.user_alias.", key,
                        " instead");
  }
  if (key == "_update_existing_only" || key == "_merge_objects") {
    return absl::StrCat("key is a Braze request flag; set UserProfile.", key.substr(1), " instead");
  }
  return absl::StrCat("key is Braze's standard field ", key, "; set UserProfile.", key, " instead");
}

void CheckSessionSocialAndPushFields(const v1::UserProfile& profile, const std::string& path,
                                     FieldViolations* out) {
  if (profile.has_date_of_first_session()) {
    CheckTimestamp(profile.date_of_first_session(), FieldPath(path, "date_of_first_session"), out);
  }
  if (profile.has_date_of_last_session()) {
    CheckTimestamp(profile.date_of_last_session(), FieldPath(path, "date_of_last_session"), out);
  }
  if (profile.has_marked_email_as_spam_at()) {
    CheckTimestamp(profile.marked_email_as_spam_at(), FieldPath(path, "marked_email_as_spam_at"),
                   out);
  }
  if (profile.has_image_url()) {
    CheckMaxChars(profile.image_url(), kMaxStringChars, FieldPath(path, "image_url"), out);
  }
  if (profile.has_facebook()) {
    const v1::FacebookData& facebook = profile.facebook();
    if (!facebook.has_id() && facebook.likes_size() == 0 && !facebook.has_num_friends()) {
      AddViolation(out, FieldPath(path, "facebook"),
                   "set at least one of id, likes, num_friends (an empty object updates nothing)");
    }
  }
  if (profile.has_twitter()) {
    const v1::TwitterData& twitter = profile.twitter();
    if (!twitter.has_id() && !twitter.has_screen_name() && !twitter.has_followers_count() &&
        !twitter.has_friends_count() && !twitter.has_statuses_count()) {
      AddViolation(out, FieldPath(path, "twitter"),
                   "set at least one of id, screen_name, followers_count, friends_count, "
                   "statuses_count (an empty object updates nothing)");
    }
  }
  CheckPushTokens(profile, path, out);
}

}  // namespace brazesync
