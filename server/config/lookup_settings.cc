// Resolves LookupConfig into LookupSettings (see lookup_settings.h).
#include "server/config/lookup_settings.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/braze/users_export.h"

namespace brazesync {
namespace {

// A non-negative millisecond field: its value, or `fallback` for 0.
absl::StatusOr<absl::Duration> Millis(int32_t value, absl::Duration fallback,
                                      const std::string& field) {
  if (value < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= 0"));
  return value == 0 ? fallback : absl::Milliseconds(value);
}

}  // namespace

absl::StatusOr<LookupSettings> ResolveLookupSettings(const v1::LookupConfig& config,
                                                     const std::string& where) {
  LookupSettings settings;
  if (config.export_requests_per_minute() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".export_requests_per_minute: must be >= 0 (0 = 250)"));
  }
  if (config.export_requests_per_minute() > 0) {
    settings.export_requests_per_minute = config.export_requests_per_minute();
  }
  if (config.fast_export_requests_per_second() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".fast_export_requests_per_second: must be >= 0 (0 = off)"));
  }
  settings.fast_export_requests_per_second = config.fast_export_requests_per_second();

  const std::vector<std::string>& defaults = DefaultExportFields();
  settings.default_fields_to_export =
      config.default_fields_to_export().empty()
          ? defaults
          : std::vector<std::string>(config.default_fields_to_export().begin(),
                                     config.default_fields_to_export().end());
  for (int i = 0; i < config.default_fields_to_export_size(); ++i) {
    const std::string& field = config.default_fields_to_export(i);
    if (!IsExportField(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".default_fields_to_export[", i, "]: \"", field,
                       "\" is not one of Braze's /users/export/ids fields"));
    }
  }
  std::sort(settings.default_fields_to_export.begin(), settings.default_fields_to_export.end());
  settings.default_fields_to_export.erase(std::unique(settings.default_fields_to_export.begin(),
                                                      settings.default_fields_to_export.end()),
                                          settings.default_fields_to_export.end());

  struct DurationField {
    int32_t value;
    absl::Duration* out;
    const char* name;
  };
  for (const DurationField& field : {
           DurationField{config.cache_ttl_ms(), &settings.cache_ttl, "cache_ttl_ms"},
           DurationField{config.negative_cache_ttl_ms(), &settings.negative_cache_ttl,
                         "negative_cache_ttl_ms"},
           DurationField{config.cache_retention_ms(), &settings.cache_retention,
                         "cache_retention_ms"},
           DurationField{config.consistency_window_ms(), &settings.consistency_window,
                         "consistency_window_ms"},
           DurationField{config.pack_window_ms(), &settings.pack_window, "pack_window_ms"},
           DurationField{config.default_max_wait_ms(), &settings.default_max_wait,
                         "default_max_wait_ms"},
       }) {
    absl::StatusOr<absl::Duration> value =
        Millis(field.value, *field.out, absl::StrCat(where, ".", field.name));
    if (!value.ok()) return value.status();
    *field.out = *value;
  }
  if (settings.cache_retention < settings.cache_ttl) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".cache_retention_ms: must be at least cache_ttl_ms"));
  }
  if (config.cache_max_entries() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".cache_max_entries: must be >= 0 (0 = 100000)"));
  }
  if (config.cache_max_entries() > 0) {
    settings.cache_max_entries = static_cast<size_t>(config.cache_max_entries());
  }
  if (config.max_concurrent_exports() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".max_concurrent_exports: must be >= 0 (0 = 8)"));
  }
  if (config.max_concurrent_exports() > 0) {
    settings.max_concurrent_exports = config.max_concurrent_exports();
  }
  return settings;
}

}  // namespace brazesync
