// Implementation of the Braze field syntax checks; see field_syntax.h.
#include "server/validation/field_syntax.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

// RFC 5321 caps a forward path at 256 bytes including "<>", so 254 for the
// address itself.
constexpr size_t kMaxEmailBytes = 254;

bool IsAsciiDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Parses exactly `digits.size()` decimal digits; false if any is not a digit.
bool ParseFixedDigits(absl::string_view digits, int* value) {
  if (!IsAsciiDigits(digits)) return false;
  int result = 0;
  for (char c : digits) result = result * 10 + (c - '0');
  *value = result;
  return true;
}

// Whitespace and control characters make an address undeliverable and are
// the usual sign of a pasted or concatenated value.
bool HasSpaceOrControl(absl::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// A top-level domain: two or more letters (bytes >= 0x80 are taken as parts
// of non-ASCII letters, so IDN TLDs pass), or an ASCII "xn--" punycode label.
bool IsTopLevelLabel(absl::string_view label) {
  if (absl::StartsWithIgnoreCase(label, "xn--")) {
    if (label.size() <= 4) return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    return true;
  }
  size_t letters = 0;
  for (char c : label) {
    const auto byte = static_cast<unsigned char>(c);
    if (!absl::ascii_isalpha(byte) && byte < 0x80) return false;
    ++letters;
  }
  return letters >= 2;
}

// "YYYY-MM-DD" into a real civil day (CivilDay normalises 02-30 to 03-01, so
// a round trip that changes the fields means the date does not exist).
bool ParseCalendarDate(absl::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int year, month, date;
  if (!ParseFixedDigits(text.substr(0, 4), &year) || !ParseFixedDigits(text.substr(5, 2), &month) ||
      !ParseFixedDigits(text.substr(8, 2), &date)) {
    return false;
  }
  const absl::CivilDay parsed(year, month, date);
  if (parsed.year() != year || parsed.month() != month || parsed.day() != date) return false;
  *day = parsed;
  return true;
}

// "HH:MM" with HH <= max_hours and MM <= 59.
bool ParseHoursMinutes(absl::string_view text, int max_hours) {
  int hours, minutes;
  return text.size() == 5 && text[2] == ':' && ParseFixedDigits(text.substr(0, 2), &hours) &&
         ParseFixedDigits(text.substr(3, 2), &minutes) && hours <= max_hours && minutes <= 59;
}

// "Z", "+hh:mm", "-hh:mm", "+hhmm" or "-hhmm".
bool IsUtcOffset(absl::string_view text) {
  if (text == "Z" || text == "z") return true;
  if (text.empty() || (text[0] != '+' && text[0] != '-')) return false;
  text.remove_prefix(1);
  if (text.size() == 4) {
    int hours, minutes;
    return ParseFixedDigits(text.substr(0, 2), &hours) &&
           ParseFixedDigits(text.substr(2, 2), &minutes) && hours <= 23 && minutes <= 59;
  }
  return ParseHoursMinutes(text, 23);
}

// Removes "HH:MM:SS[.fraction]" from the front of `text`; false when the
// text does not start with one.
bool ConsumeClockTime(absl::string_view* text) {
  if (text->size() < 8 || !ParseHoursMinutes(text->substr(0, 5), 23) || (*text)[5] != ':') {
    return false;
  }
  int seconds;
  if (!ParseFixedDigits(text->substr(6, 2), &seconds) || seconds > 59) return false;
  text->remove_prefix(8);
  if (!text->empty() && (*text)[0] == '.') {
    size_t digits = 1;
    while (digits < text->size() &&
           absl::ascii_isdigit(static_cast<unsigned char>((*text)[digits]))) {
      ++digits;
    }
    if (digits == 1) return false;  // "." without digits
    text->remove_prefix(digits);
  }
  return true;
}

// "HH:MM:SS[.fraction][offset]", any offset IsUtcOffset takes.
bool IsTimeOfDay(absl::string_view text) {
  return ConsumeClockTime(&text) && (text.empty() || IsUtcOffset(text));
}

// "HH:MM:SS[.fraction]", then nothing, "Z" or "+HH:MM" / "-HH:MM" only.
bool IsStrictTimeOfDay(absl::string_view text) {
  if (!ConsumeClockTime(&text)) return false;
  if (text.empty() || text == "Z") return true;
  return text.size() == 6 && (text[0] == '+' || text[0] == '-') &&
         ParseHoursMinutes(text.substr(1), 23);
}

// "YYYY-MM-DD" (a real date, year up to kMaxTimeYear), then nothing, or "T",
// "t" or " " and a time `time_of_day` accepts.
bool IsDateThenTime(absl::string_view text, bool (*time_of_day)(absl::string_view)) {
  absl::CivilDay day;
  if (text.size() < 10 || !ParseCalendarDate(text.substr(0, 10), &day) ||
      day.year() > kMaxTimeYear) {
    return false;
  }
  text.remove_prefix(10);
  if (text.empty()) return true;
  if (text[0] != 'T' && text[0] != 't' && text[0] != ' ') return false;
  return time_of_day(text.substr(1));
}

}  // namespace

bool IsValidEmail(absl::string_view email) {
  // A comma is the usual sign of two addresses pasted into one field, and
  // Braze refuses it (docs/braze-rules.md).
  if (email.size() > kMaxEmailBytes || HasSpaceOrControl(email) || absl::StrContains(email, ',')) {
    return false;
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || email.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const absl::string_view local = email.substr(0, at);
  const absl::string_view domain = email.substr(at + 1);
  if (local.empty()) return false;
  const std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty()) return false;
  }
  return IsTopLevelLabel(labels.back());
}

bool IsE164Phone(absl::string_view phone) {
  if (phone.empty() || phone[0] != '+') return false;
  const absl::string_view digits = phone.substr(1);
  return digits.size() >= 7 && digits.size() <= 15 && IsAsciiDigits(digits) && digits[0] != '0';
}

bool IsValidDob(absl::string_view dob) {
  absl::CivilDay day;
  return ParseCalendarDate(dob, &day) && day.year() >= 1;
}

bool IsIanaTimeZone(absl::string_view name) {
  // absl::LoadTimeZone also accepts names that are not IANA zones: the host's
  // "localtime", "Fixed/UTC+hh:mm" offsets and file paths ("../x", "/x").
  // Allow only the tz database's own spelling: "/"-separated components that
  // start with a letter and use letters, digits, "_", "+" and "-".
  if (name.empty() || name == "localtime" || name == "Factory" || name == "posixrules" ||
      absl::StartsWith(name, "Fixed/")) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(part[0]))) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-') {
        return false;
      }
    }
  }
  absl::TimeZone zone;
  return absl::LoadTimeZone(std::string(name), &zone);
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-'
                      : !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

bool IsIso8601DateTime(absl::string_view text) { return IsDateThenTime(text, IsTimeOfDay); }

bool IsBrazeDateTimeString(absl::string_view text) {
  if (text.size() == 10 && text[2] == '/' && text[5] == '/') {
    // MM/DD/YYYY, checked as the same date in YYYY-MM-DD form.
    return IsDateThenTime(
        absl::StrCat(text.substr(6, 4), "-", text.substr(0, 2), "-", text.substr(3, 2)),
        IsStrictTimeOfDay);
  }
  return IsDateThenTime(text, IsStrictTimeOfDay);
}

}  // namespace brazesync
