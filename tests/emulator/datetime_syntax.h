// The datetime and date syntax the Braze emulator accepts, per
// docs/braze-rules.md ("datetime string", `dob`) and braze-api.md §1.7:
//   YYYY-MM-DD
//   YYYY-MM-DD{T|t| }HH:MM:SS[.fraction][Z|±HH:MM]
//   MM/DD/YYYY
// A value without a zone is UTC. Pure functions, no HTTP, no server code.
#ifndef BRAZESYNC_TESTS_EMULATOR_DATETIME_SYNTAX_H_
#define BRAZESYNC_TESTS_EMULATOR_DATETIME_SYNTAX_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brazesync::emulator {

struct ParsedDatetime {
  absl::Time time;  // the instant, UTC when no zone was given
  int year = 0;     // as written (0..9999), for the nested 0..3000 rule
};

// nullopt when `text` is not one of the shapes above or names an impossible
// date or time (2023-02-29, 24:00:00, an offset over 23:59).
std::optional<ParsedDatetime> ParseDatetime(absl::string_view text);

// `dob`: exactly YYYY-MM-DD, a real calendar date, year 0001..9999.
bool IsCalendarDate(absl::string_view text);

// The instant as Braze's preferred ISO 8601 UTC text, e.g.
// "2024-05-01T12:34:56.789Z" (used when a future time is replaced by now).
std::string FormatDatetime(absl::Time time);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_DATETIME_SYNTAX_H_
