// Phone numbers to E.164, the only form Braze can look users up by or send
// SMS to (docs/braze-rules.md, the phone row). Callers, e.g. chat front ends,
// often hold national numbers ("06 12 34 56 78"); a workspace that sets
// default_phone_region has them parsed as numbers of that region by Google's
// libphonenumber. This file is the only one that speaks libphonenumber.
//
// Phone numbers are personal data: no message here repeats the number.
#ifndef BRAZESYNC_SERVER_VALIDATION_PHONE_NUMBERS_H_
#define BRAZESYNC_SERVER_VALIDATION_PHONE_NUMBERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace brazesync {

// Whether national numbers can be parsed as numbers of `region`: an
// upper-case ISO 3166-1 alpha-2 code libphonenumber has metadata for, e.g.
// "FR", "US", "GB" (not "fr", "ZZ" or the non-geographic "001").
bool IsPhoneRegion(absl::string_view region);

// `text` as an E.164 number ("+33612345678"), or INVALID_ARGUMENT whose
// message is a violation description (it names neither field nor number).
// - An E.164 number (field_syntax.h IsE164Phone: "+", 7 to 15 digits, the
//   first not 0) is returned unchanged, with or without a region, even when
//   libphonenumber's metadata does not know its range yet.
// - `region` empty: anything else is refused, saying that national numbers
//   need the workspace's default_phone_region.
// - `region` set (IsPhoneRegion): anything else is parsed as a number of
//   `region` (spaces, dashes, dots, parentheses, a trunk "0", an international
//   "+..." or "00..." prefix are understood) and must be a valid number
//   that has no extension: "06 12 34 56 78" in FR -> "+33612345678",
//   "+1 504-327-7269" -> "+15043277269"; otherwise "not a valid FR phone
//   number".
absl::StatusOr<std::string> NormalizePhone(absl::string_view text, absl::string_view region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_PHONE_NUMBERS_H_
