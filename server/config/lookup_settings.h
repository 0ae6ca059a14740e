// A workspace's BrazeLookup settings (brazesync.v1.LookupConfig) with every
// default applied and every value checked, errors naming the field. The
// defaults are written once, here; lookup.proto and config.proto repeat
// them for callers.
#ifndef BRAZESYNC_SERVER_CONFIG_LOOKUP_SETTINGS_H_
#define BRAZESYNC_SERVER_CONFIG_LOOKUP_SETTINGS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"

namespace brazesync {

struct LookupSettings {
  // Braze's /users/export/ids limits for the workspace.
  int export_requests_per_minute = 250;
  int fast_export_requests_per_second = 0;  // 0: no fast budget
  // Sorted, without duplicates; never empty.
  std::vector<std::string> default_fields_to_export;
  absl::Duration cache_ttl = absl::Minutes(5);
  absl::Duration negative_cache_ttl = absl::Seconds(30);
  absl::Duration cache_retention = absl::Hours(1);
  size_t cache_max_entries = 100'000;
  absl::Duration consistency_window = absl::Seconds(60);
  absl::Duration pack_window = absl::Milliseconds(10);
  absl::Duration default_max_wait = absl::Seconds(2);
  int max_concurrent_exports = 8;
};

// `where` prefixes error fields, e.g. `workspaces["prod"].lookup`.
absl::StatusOr<LookupSettings> ResolveLookupSettings(const v1::LookupConfig& config,
                                                     const std::string& where);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONFIG_LOOKUP_SETTINGS_H_
