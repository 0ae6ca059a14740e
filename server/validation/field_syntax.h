// Syntax checks for the string formats Braze's user fields use: email
// addresses, E.164 phone numbers, dates of birth, IANA time zone names,
// UUIDs and the ISO 8601 dates of nested `{"$time": ...}` values.
//
// These are deliberately "basic syntax" checks (shared/reference/braze-api.md
// §7): they catch values Braze would reject or silently drop, without trying
// to prove that an address or number really exists.
#ifndef BRAZESYNC_SERVER_VALIDATION_FIELD_SYNTAX_H_
#define BRAZESYNC_SERVER_VALIDATION_FIELD_SYNTAX_H_

#include "absl/strings/string_view.h"

namespace brazesync {

// local@domain.tld: at most 254 bytes, no whitespace, control character or
// comma, exactly one "@", a non-empty local part, a domain of at least two
// non-empty dot-separated labels without whitespace, and a top-level label of
// at least two letters (non-ASCII letters and "xn--" punycode labels count).
bool IsValidEmail(absl::string_view email);

// E.164: "+" followed by 7 to 15 ASCII digits, the first of which is not "0",
// e.g. "+15043277269" or "+2902222" (St Helena). No spaces, dashes or
// parentheses; phone_numbers.h turns national numbers into this form.
bool IsE164Phone(absl::string_view phone);

// "YYYY-MM-DD" with a real calendar date (leap years honoured), any year
// 0001..9999: Braze sets any such date, and a plausibility range ("not before
// 1900", "not in the future") would refuse values Braze stores.
bool IsValidDob(absl::string_view dob);

// An IANA tz database name that loads from the system zoneinfo (Debian's
// tzdata), e.g. "UTC", "America/New_York". Rejects empty names and
// host-dependent or non-IANA names absl would otherwise accept: "localtime",
// "Local", "Factory", "posixrules", "Fixed/...", absolute or relative paths.
bool IsIanaTimeZone(absl::string_view name);

// UUID text form 8-4-4-4-12 hex digits, either case, e.g.
// "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b". No braces, no version check.
bool IsUuid(absl::string_view text);

// ISO 8601 date or date-time Braze parses as a time: "YYYY-MM-DD", optionally
// followed by "T" or " " and "HH:MM:SS[.fraction]" and an optional "Z" or
// "+hh:mm"/"-hh:mm" offset, with a real date and a year in 0..kMaxTimeYear
// (3000; Braze stores other years as strings).
bool IsIso8601DateTime(absl::string_view text);

// A string Braze reads as a datetime (docs/braze-rules.md, "datetime
// string"): "YYYY-MM-DD", optionally followed by "T", "t" or " " and
// "HH:MM:SS" with an optional ".fraction" and an optional "Z" or "+HH:MM" /
// "-HH:MM" offset; or "MM/DD/YYYY". Dates must be real, with a year up to
// kMaxTimeYear (3000: a later year is only text to Braze). Braze refuses
// such strings as elements of property arrays.
bool IsBrazeDateTimeString(absl::string_view text);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_FIELD_SYNTAX_H_
