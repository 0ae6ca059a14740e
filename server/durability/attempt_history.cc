// The attempt history's JSON form.
#include "server/durability/attempt_history.h"

#include <cstdint>
#include <nlohmann/json.hpp>

namespace brazesync {
namespace {

// The keys of one entry.
constexpr char kHistoryAt[] = "at_ms";
constexpr char kHistoryOutcome[] = "outcome";

}  // namespace

std::string AppendAttemptHistory(const std::string& history, absl::Time at,
                                 const std::string& outcome) {
  nlohmann::json entries = nlohmann::json::parse(history, nullptr, /*allow_exceptions=*/false);
  if (!entries.is_array()) entries = nlohmann::json::array();
  entries.push_back({{kHistoryAt, absl::ToUnixMillis(at)}, {kHistoryOutcome, outcome}});
  while (entries.size() > kMaxAttemptHistory) entries.erase(entries.begin());
  return entries.dump();
}

std::vector<AttemptRecord> ParseAttemptHistory(const std::string& history) {
  std::vector<AttemptRecord> attempts;
  const nlohmann::json entries =
      nlohmann::json::parse(history, nullptr, /*allow_exceptions=*/false);
  if (!entries.is_array()) return attempts;
  for (const nlohmann::json& entry : entries) {
    if (!entry.is_object()) continue;
    attempts.push_back({absl::FromUnixMillis(entry.value(kHistoryAt, int64_t{0})),
                        entry.value(kHistoryOutcome, std::string())});
  }
  return attempts;
}

}  // namespace brazesync
