// Times between absl::Time and PostgreSQL timestamptz for the cluster
// stores: a parameter as text PostgreSQL parses exactly (microseconds, UTC;
// infinities as 'infinity'), and a column read back through the SQL
// expression PgMicros() selects.
#ifndef BRAZESYNC_SERVER_POSTGRES_PG_TIME_H_
#define BRAZESYNC_SERVER_POSTGRES_PG_TIME_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brazesync {

// `time` as a timestamptz literal, for a `$n::timestamptz` parameter or a
// timestamptz[] array element.
std::string PgTimestamp(absl::Time time);

// SQL selecting timestamptz `column` as microseconds since the epoch (a
// bigint); infinities read as the int64 limits, never as an error.
std::string PgMicros(absl::string_view column);

// A value PgMicros() selected, back as a time.
absl::Time FromPgMicros(int64_t micros);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_PG_TIME_H_
