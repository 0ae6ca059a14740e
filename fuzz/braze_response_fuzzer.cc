// libFuzzer target: what BrazeSync makes of a Braze HTTP response.
//
// The input is split (FuzzedDataProvider) into an HTTP status, a handful of
// headers (mostly Braze's rate-limit headers, with fuzzed values), a transport
// failure or not, and a body. ParseBrazeResponseBody, BrazeHttpStatusToStatus,
// IsRetryable, ParseRateLimitReset, BrazeRetryDelay and InterpretBrazeAttempt
// (server/braze/users_track.h) must never crash, leak or trip UBSan, whatever
// Braze (or a proxy in front of it) sends.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/braze/users_track.h"
#include "server/http/http_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brazesync::HttpResponse;
  FuzzedDataProvider input(data, size);
  static const char* const kHeaderNames[] = {
      "x-ratelimit-retry-after", "x-ratelimit-reset", "x-ratelimit-remaining",
      "x-ratelimit-limit",       "content-type",      "retry-after",
  };
  HttpResponse response;
  response.status = input.ConsumeBool() ? input.ConsumeIntegralInRange<int>(100, 599)
                                        : input.ConsumeIntegral<int>();
  const int header_count = input.ConsumeIntegralInRange<int>(0, 6);
  for (int i = 0; i < header_count; ++i) {
    std::string name = input.ConsumeBool()
                           ? kHeaderNames[input.ConsumeIntegralInRange<size_t>(0, 5)]
                           : input.ConsumeRandomLengthString(32);
    response.headers[name] = input.ConsumeRandomLengthString(64);
  }
  const bool transport_failure = input.ConsumeBool() && input.ConsumeBool();
  const int64_t now_seconds = input.ConsumeIntegralInRange<int64_t>(0, 4'102'444'800);  // ..2100
  response.body = input.ConsumeRemainingBytesAsString();

  const absl::Time now = absl::FromUnixSeconds(now_seconds);
  const brazesync::BrazeResponseBody body = brazesync::ParseBrazeResponseBody(response.body);
  const absl::Status status = brazesync::BrazeHttpStatusToStatus(response.status, body.message);
  (void)brazesync::IsRetryable(status);
  (void)brazesync::ParseRateLimitReset(response, now);
  (void)brazesync::BrazeRetryDelay(response, now);

  absl::StatusOr<HttpResponse> outcome =
      transport_failure ? absl::StatusOr<HttpResponse>(absl::UnavailableError("connection reset"))
                        : absl::StatusOr<HttpResponse>(response);
  const brazesync::BrazeAttempt attempt = brazesync::InterpretBrazeAttempt(outcome, now);
  (void)attempt.HasItemVerdicts();
  if (attempt.retry_after.has_value() && *attempt.retry_after < absl::ZeroDuration()) {
    __builtin_trap();  // a negative wait would make the engine spin
  }
  return 0;
}
