// Fixed reference lists the validator checks Braze fields against: ISO 3166-1
// alpha-2 countries, ISO 639-1 languages, ISO 4217 currencies and the names of
// Braze's standard attributes-object keys (shared/reference/braze-api.md §1.4).
//
// The lists are compiled in (sorted constant arrays searched by binary search)
// so validation never depends on files or locale data on the host. Every
// lookup is exact and case-sensitive: callers normalise case first where the
// contract allows it (e.g. purchase currencies are upper-cased).
#ifndef BRAZESYNC_SERVER_VALIDATION_REFERENCE_DATA_H_
#define BRAZESYNC_SERVER_VALIDATION_REFERENCE_DATA_H_

#include "absl/strings/string_view.h"

namespace brazesync {

// True for an officially assigned ISO 3166-1 alpha-2 code in upper case
// ("US", "AU"); "us", "USA" and user-assigned codes such as "XK" are false.
bool IsIsoCountryAlpha2(absl::string_view code);

// True for an ISO 639-1 two-letter language code in lower case ("en", "pt").
bool IsIsoLanguage639_1(absl::string_view code);

// True for a circulating ISO 4217 alphabetic code in upper case ("USD",
// "EUR", "VED"); fund, precious-metal, bond-unit and other codes that are
// never a price ("XAU", "XDR", "CLF", "XTS") are false (docs/braze-rules.md).
bool IsIsoCurrency4217(absl::string_view code);

// True for a key Braze treats as a standard field or identifier of a user
// attributes object ("first_name", "external_id", "_merge_objects", ...).
// Such a key can never be used as a custom attribute name: Braze would read
// it as the standard field instead.
bool IsStandardAttributeField(absl::string_view key);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_REFERENCE_DATA_H_
