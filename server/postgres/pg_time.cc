// Times between absl::Time and PostgreSQL timestamptz.
#include "server/postgres/pg_time.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace brazesync {

std::string PgTimestamp(absl::Time time) {
  if (time == absl::InfiniteFuture()) return "infinity";
  if (time == absl::InfinitePast()) return "-infinity";
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", time, absl::UTCTimeZone());
}

std::string PgMicros(absl::string_view column) {
  // extract() of an infinity is +-Infinity, which no bigint holds.
  return absl::StrCat("CASE WHEN isfinite(", column, ") THEN (extract(epoch FROM ", column,
                      ") * 1000000)::bigint WHEN ", column, " > now() THEN ",
                      std::numeric_limits<int64_t>::max(), " ELSE ",
                      std::numeric_limits<int64_t>::min(), " END");
}

absl::Time FromPgMicros(int64_t micros) {
  if (micros == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (micros == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixMicros(micros);
}

}  // namespace brazesync
