// The rules of the record-like UserProfile standard fields; see
// standard_field_rules.h. Braze answers most mistakes here with an error code
// for the whole object (BAD_PUSH_TOKEN_*, BAD_DEVICE_ID, BAD_PUSH_TOKEN_IMPORT),
// so each is caught before sending.
#include "server/validation/standard_field_rules.h"

#include <cstdint>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

// Braze's bounds on a push token's device_id (BAD_DEVICE_ID outside them).
constexpr size_t kMinDeviceIdBytes = 8;
constexpr size_t kMaxDeviceIdBytes = 255;

// Any instant a Timestamp can hold (0001..9999): Braze sets any datetime
// string on these fields, so the 3000 cap of custom time attributes (stored
// as text beyond it) does not apply.
void CheckSessionDate(const google::protobuf::Timestamp& time, const std::string& path,
                      FieldViolations* out) {
  constexpr int64_t kMinSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
  if (time.seconds() < kMinSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999'999'999) {
    AddViolation(out, path,
                 "must be a valid time between 0001-01-01 and 9999-12-31 (google.protobuf."
                 "Timestamp range)");
  }
}

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
  // facebook and twitter need no rule beyond their proto types: every member
  // is optional and Braze takes any combination (docs/braze-rules.md).
  for (const auto& [name, has, time] :
       {std::tuple<absl::string_view, bool, const google::protobuf::Timestamp*>{
            "date_of_first_session", profile.has_date_of_first_session(),
            &profile.date_of_first_session()},
        {"date_of_last_session", profile.has_date_of_last_session(),
         &profile.date_of_last_session()},
        {"marked_email_as_spam_at", profile.has_marked_email_as_spam_at(),
         &profile.marked_email_as_spam_at()}}) {
    if (has) CheckSessionDate(*time, FieldPath(path, name), out);
  }
  if (profile.has_image_url()) {
    CheckMaxChars(profile.image_url(), kMaxStringChars, FieldPath(path, "image_url"), out);
  }
  CheckPushTokens(profile, path, out);
}

}  // namespace brazesync
