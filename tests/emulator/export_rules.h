// What the Braze emulator does with a POST /users/export/ids body
// (shared/reference/braze-api-round2.md §2.1, cases 77-94), apart from HTTP:
// ParseExportRequest judges the body (Braze's 400s), QualifiesForFastExport
// picks the rate-limit budget, and ExportUser turns a ProfileStore profile
// into the user object Braze returns. Pure functions, no server code; the
// emulator (braze_emulator.h) resolves identifiers, applies the export lag
// and answers.
#ifndef BRAZESYNC_TESTS_EMULATOR_EXPORT_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_EXPORT_RULES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {

// Braze's combined cap on external_ids + user_aliases per request (case 77).
inline constexpr size_t kMaxExportIds = 50;
inline constexpr char kTooManyExportIds[] =
    "The max number of external_ids and aliases per request was exceeded";

// Workspace settings that change how a body is judged.
struct ExportRules {
  // Workspaces onboarded on or after 2024-08-22 must send a non-empty
  // fields_to_export; older ones get every field when it is missing.
  bool require_fields_to_export = true;
};

// A body that passed every rule.
struct ExportQuery {
  std::vector<std::string> external_ids;
  std::vector<nlohmann::json> user_aliases;  // {"alias_name", "alias_label"}
  // The one single-valued identifier, if any: "device_id", "braze_id",
  // "email_address" or "phone" (empty key: none).
  std::string single_key;
  std::string single_value;
  // The requested fields in request order without repeats; every exportable
  // field when fields_to_export was absent (legacy workspaces only).
  std::vector<std::string> fields;
  // How many identifiers the caller asked about (external_ids + aliases +
  // the single one), for the emulator's stats.
  size_t identifier_count() const {
    return external_ids.size() + user_aliases.size() + (single_key.empty() ? 0 : 1);
  }
};

// The verdict on a body: status 200 with `query`, or a 400 with a
// Braze-like {"message": message}.
struct ExportVerdict {
  int status = 200;
  std::string message;
  ExportQuery query;
};

ExportVerdict ParseExportRequest(absl::string_view body, const ExportRules& rules);

// The allow-list of fields_to_export (§2.1), in Braze's documented order.
const std::vector<std::string>& ExportableFields();

// Whether a call may use the fast (per-second) budget: fields_to_export is
// given, non-empty, and names neither canvases_received nor
// campaigns_received (§2.1 "Rate limits", case 82). It looks at the raw body
// because the limiter picks a budget before the body is judged; a body that
// does not parse, or whose fields_to_export is not an array, is not fast.
bool QualifiesForFastExport(absl::string_view body);

// The user object Braze returns for `profile` (a ProfileStore document) with
// only `fields`. Keys whose value is null or empty are omitted, as Braze
// does (case 84). custom_events and purchases become {name, first, last,
// count} summaries of the last 90 days before `now` (case 93); `created_at`
// is when the emulator created the profile.
nlohmann::json ExportUser(const nlohmann::json& profile, absl::Time created_at,
                          const std::vector<std::string>& fields, absl::Time now);

// {name, first, last, count} per event name (or purchase product_id) among
// `records` whose time is within 90 days before `now`, sorted by name.
// Purchases count their quantity: Braze records a quantity of N as N
// purchases.
nlohmann::json SummariseRecords(const nlohmann::json& records, bool purchases, absl::Time now);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_EXPORT_RULES_H_
