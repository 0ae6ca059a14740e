// The standard fields of a v1::UserProfile, in one table: the Braze
// user-attributes keys a profile sets by name (first_name ... current_location,
// subscription_groups, the session dates, facebook, twitter, image_url,
// push_tokens), each with how to tell it is set and how to write it.
//
// The converter writes them (ProfileToBraze, in table order) and the validator
// reads them (clear_fields may name the clearable ones; a profile must set
// something), so a field added here is converted, clearable and counted as an
// update at once. Every other UserProfile field is listed in
// NonStandardProfileFields and handled on its own; profile_fields_test checks
// that each field of the proto is in exactly one of the two lists.
#ifndef BRAZESYNC_SERVER_BRAZE_PROFILE_FIELDS_H_
#define BRAZESYNC_SERVER_BRAZE_PROFILE_FIELDS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "brazesync/v1/types.pb.h"
#include "server/braze/json.h"

namespace brazesync {

struct ProfileField {
  // The proto field name, which is also Braze's key for it.
  absl::string_view name;
  // Whether clear_fields may name it (it can be written as null).
  bool clearable;
  // For a field that is not clearable, why, for the caller's error (e.g.
  // "Braze refuses null as a subscription state; set it to UNSUBSCRIBED
  // instead"); empty for clearable fields.
  absl::string_view not_clearable_because;
  // Whether `profile` sets the field (an enum: a value other than 0).
  bool (*is_set)(const v1::UserProfile& profile);
  // Adds the field's key and value to `object`; call only when is_set. A
  // value the validator rejects (an enum number the schema does not know)
  // writes nothing.
  void (*write_json)(const v1::UserProfile& profile, Json* object);
};

// Every standard field, in the order the converter writes them.
// Braze's name of a subscription state ("opted_in", "subscribed",
// "unsubscribed"); nullptr for UNSPECIFIED or an unknown value.
const char* SubscriptionStateName(v1::SubscriptionState state);

absl::Span<const ProfileField> StandardProfileFields();

// The standard field called `name`, or nullptr.
const ProfileField* FindStandardProfileField(absl::string_view name);

// The UserProfile fields that are not standard fields: the identifier
// (`user`), the request flags (`update_existing_only`, `merge_objects`,
// `push_token_import`), `custom_attributes` and `clear_fields`.
absl::Span<const absl::string_view> NonStandardProfileFields();

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_PROFILE_FIELDS_H_
