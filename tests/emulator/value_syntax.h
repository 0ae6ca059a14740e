// Small syntax checks the emulator's track rules share: lengths in Unicode
// characters, JSON sizes, e-mail, E.164 phone, UUID and IANA time-zone names,
// each exactly as docs/braze-rules.md words the rule. Pure functions.
#ifndef BRAZESYNC_TESTS_EMULATOR_VALUE_SYNTAX_H_
#define BRAZESYNC_TESTS_EMULATOR_VALUE_SYNTAX_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {

// Braze's "255" limits count characters (code points), not bytes.
inline constexpr size_t kMaxChars = 255;
// "100 KB" and "50 KB" as Braze counts them (braze-api.md §1.8: 102,400 bytes).
inline constexpr size_t kHundredKb = 102'400;
inline constexpr size_t kFiftyKb = 51'200;

// Code points in UTF-8 text (the JSON parser has already rejected invalid
// UTF-8, so continuation bytes are simply not counted).
size_t CharCount(absl::string_view utf8);
// A JSON string of at most kMaxChars characters.
bool IsShortString(const nlohmann::json& value);
// The compact JSON text's size in bytes: what "100 KB as JSON" measures.
size_t JsonBytes(const nlohmann::json& value);

// docs/braze-rules.md `email`: at most 254 bytes; no whitespace, control
// character or comma; exactly one '@'; a non-empty local part; a domain of
// two or more non-empty labels whose last is 2+ ASCII letters or "xn--"
// followed by letters, digits and '-'.
bool IsValidEmail(absl::string_view email);
// E.164: '+', then 7 to 15 digits, the first not '0'.
bool IsE164(absl::string_view phone);
// 8-4-4-4-12 hexadecimal digits.
bool IsUuid(absl::string_view id);
// A name the host's tz database knows ("America/New_York", "UTC"), loaded
// with absl::LoadTimeZone but never a path, "localtime" or absl's "Fixed/"
// offsets, which the database does not name.
bool IsIanaTimeZone(const std::string& name);

// Short JSON text for alteration and error lines, cut at 60 characters.
std::string Shown(const nlohmann::json& value);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_VALUE_SYNTAX_H_
