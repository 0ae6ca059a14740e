// Rules for the UserProfile standard fields that are records rather than
// strings (session dates, facebook, twitter, image_url, push tokens and
// push_token_import), and the error for a custom attribute key that names a
// standard field. docs/braze-rules.md is the source of each rule.
#ifndef BRAZESYNC_SERVER_VALIDATION_STANDARD_FIELD_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_STANDARD_FIELD_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"
#include "server/validation/violations.h"

namespace brazesync {

// Why `key`, a name IsStandardAttributeField accepts, cannot be a custom
// attribute key, naming what to use instead: the UserProfile field
// ("key is Braze's standard field; set UserProfile.image_url instead"), the
// identifier (`user.external_id`), or for "bio" that Braze no longer
// processes it.
std::string StandardFieldKeyError(absl::string_view key);

// The session dates, facebook, twitter, image_url, push_tokens and
// push_token_import of `profile`, whose own path is `path`.
void CheckSessionSocialAndPushFields(const v1::UserProfile& profile, const std::string& path,
                                     FieldViolations* out);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_STANDARD_FIELD_RULES_H_
