// Fault injection settings of the Braze emulator (braze_emulator.h) and
// their JSON form, used by POST /_emulator/faults and the binary's flags.
#ifndef BRAZESYNC_TESTS_EMULATOR_FAULTS_H_
#define BRAZESYNC_TESTS_EMULATOR_FAULTS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {

// Faults injected into /users/track and /users/export/ids (never into the
// admin endpoints); the two share fail_next and drop_next. Checked
// in this order: latency (every request), drop_next, fail_next, then the random
// drop_rate, error_5xx_rate and rate_429.
struct Faults {
  // Added before every /users/track and /users/export/ids response, including
  // rejected ones (the export adds EmulatorOptions::export_latency).
  absl::Duration latency;
  // Probability of answering error_5xx_status with a {"message": ...} body.
  double error_5xx_rate = 0;
  int error_5xx_status = 503;
  // Probability of answering 429 with X-Ratelimit-Retry-After (MAU-style, no
  // X-RateLimit-* headers), independent of the real rate limiter.
  double rate_429 = 0;
  int retry_after_seconds = 1;
  // Probability of closing the connection without sending any response.
  double drop_rate = 0;
  // Deterministic (for tests): the next fail_next requests get
  // fail_next_status; the next drop_next requests are dropped. drop_next is
  // used up first.
  int fail_next = 0;
  int fail_next_status = 503;
  int drop_next = 0;
  // Seeds the generator behind the *_rate faults, so runs are repeatable.
  uint64_t seed = 1;
};

// Faults <-> the JSON used by POST /_emulator/faults (latency as latency_ms).
nlohmann::json FaultsToJson(const Faults& faults);
// Fields missing from `json` keep their Faults{} defaults; unknown fields and
// wrongly typed values are an InvalidArgument error (typos should not pass).
absl::StatusOr<Faults> FaultsFromJson(const nlohmann::json& json);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_FAULTS_H_
