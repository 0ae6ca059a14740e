// Hand-written parser for the emulator's datetime shapes (datetime_syntax.h):
// strict character-by-character matching, so that absl's or strptime's
// leniency (surrounding spaces, one-digit fields) cannot widen the rule.
#include "tests/emulator/datetime_syntax.h"

#include <string>

#include "absl/strings/ascii.h"

namespace brazesync::emulator {
namespace {

// Reads exactly `n` digits at `pos`.
bool Digits(absl::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool ValidDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const int max = kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  return day <= max;
}

// "YYYY-MM-DD" at the start of `s`.
bool IsoDate(absl::string_view s, int& year, int& month, int& day) {
  return s.size() >= 10 && Digits(s, 0, 4, year) && s[4] == '-' && Digits(s, 5, 2, month) &&
         s[7] == '-' && Digits(s, 8, 2, day) && ValidDate(year, month, day);
}

absl::Time FromFields(int year, int month, int day, int hour, int minute, int second,
                      absl::Duration fraction, int offset_seconds) {
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  return absl::FromCivil(civil, absl::UTCTimeZone()) + fraction - absl::Seconds(offset_seconds);
}

}  // namespace

std::optional<ParsedDatetime> ParseDatetime(absl::string_view s) {
  int year = 0, month = 0, day = 0;
  if (s.size() == 10 && s[2] == '/' && s[5] == '/') {
    if (!Digits(s, 0, 2, month) || !Digits(s, 3, 2, day) || !Digits(s, 6, 4, year) ||
        !ValidDate(year, month, day)) {
      return std::nullopt;
    }
    return ParsedDatetime{FromFields(year, month, day, 0, 0, 0, absl::ZeroDuration(), 0), year};
  }
  if (!IsoDate(s, year, month, day)) return std::nullopt;
  if (s.size() == 10) {
    return ParsedDatetime{FromFields(year, month, day, 0, 0, 0, absl::ZeroDuration(), 0), year};
  }
  const char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!Digits(s, 11, 2, hour) || s.size() < 19 || s[13] != ':' || !Digits(s, 14, 2, minute) ||
      s[16] != ':' || !Digits(s, 17, 2, second) || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  absl::Duration fraction = absl::ZeroDuration();
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    double scale = 0.1;
    double value = 0;
    while (pos < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[pos]))) {
      value += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    fraction = absl::Nanoseconds(static_cast<int64_t>(value * 1e9 + 0.5));
  }
  int offset_seconds = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      ++pos;
    } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6) {
      int oh = 0, om = 0;
      if (!Digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om) ||
          oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_seconds = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      pos = s.size();
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  return ParsedDatetime{
      FromFields(year, month, day, hour, minute, second, fraction, offset_seconds), year};
}

bool IsCalendarDate(absl::string_view s) {
  int year = 0, month = 0, day = 0;
  return s.size() == 10 && IsoDate(s, year, month, day) && year >= 1;
}

std::string FormatDatetime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace brazesync::emulator
