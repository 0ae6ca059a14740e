// Reference lists the Braze emulator judges standard fields against: ISO
// 3166-1 countries (codes and English names), ISO 639-1 languages, the 159
// circulating ISO 4217 currencies of docs/braze-rules.md, and the Rails-style
// time-zone names Braze accepts besides IANA names.
//
// Compiled in (not read from the host) so that the emulator answers the same
// on every machine, and written independently of server/validation's lists so
// that a mistake in either shows up as a disagreement.
#ifndef BRAZESYNC_TESTS_EMULATOR_REFERENCE_LISTS_H_
#define BRAZESYNC_TESTS_EMULATOR_REFERENCE_LISTS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace brazesync::emulator {

// One of the 249 assigned ISO 3166-1 alpha-2 codes, upper case.
bool IsCountryCode(absl::string_view code);
// What Braze maps a non-code country to (braze-api.md §1.4, case #36): an
// English country name (short, common or official, any case) or a code in
// the wrong case. nullopt: unmappable (Braze sets country to null, case #37).
std::optional<std::string> MapCountry(absl::string_view text);

// One of the 184 ISO 639-1 codes, lower case.
bool IsLanguageCode(absl::string_view code);

// One of the 159 circulating ISO 4217 codes listed in docs/braze-rules.md,
// upper case (the REST API takes the code as sent).
bool IsCurrencyCode(absl::string_view code);
// How many codes IsCurrencyCode accepts (159), for tests.
int CurrencyCodeCount();

// A key of Ruby on Rails' ActiveSupport::TimeZone::MAPPING, e.g. "Eastern Time
// (US & Canada)", or the older spelling "Kyev" of "Kyiv".
bool IsRailsTimeZoneName(absl::string_view name);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_REFERENCE_LISTS_H_
