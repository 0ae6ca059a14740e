// The attempt history kept with each queued item and dead letter, in both
// stores: a JSON array of {at_ms, outcome}, the newest last, at most
// kMaxAttemptHistory entries.
#ifndef BRAZESYNC_SERVER_DURABILITY_ATTEMPT_HISTORY_H_
#define BRAZESYNC_SERVER_DURABILITY_ATTEMPT_HISTORY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace brazesync {

inline constexpr size_t kMaxAttemptHistory = 20;

// One delivery attempt of an item.
struct AttemptRecord {
  absl::Time at;
  std::string outcome;
};

// `history` with one attempt appended (the oldest dropped beyond the cap). A
// history that does not parse starts afresh.
std::string AppendAttemptHistory(const std::string& history, absl::Time at,
                                 const std::string& outcome);

// Reads a stored history; one that does not parse reads as empty (it is
// informational, never a reason to fail a query).
std::vector<AttemptRecord> ParseAttemptHistory(const std::string& history);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_ATTEMPT_HISTORY_H_
