// Implementation of faults.h.
#include "tests/emulator/faults.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brazesync::emulator {

using Json = nlohmann::json;

Json FaultsToJson(const Faults& faults) {
  return Json{{"latency_ms", absl::ToDoubleMilliseconds(faults.latency)},
              {"error_5xx_rate", faults.error_5xx_rate},
              {"error_5xx_status", faults.error_5xx_status},
              {"rate_429", faults.rate_429},
              {"retry_after_seconds", faults.retry_after_seconds},
              {"drop_rate", faults.drop_rate},
              {"fail_next", faults.fail_next},
              {"fail_next_status", faults.fail_next_status},
              {"drop_next", faults.drop_next},
              {"seed", faults.seed}};
}

absl::StatusOr<Faults> FaultsFromJson(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("faults must be a JSON object");
  Faults faults;
  auto rate = [](const Json& v, double& out) {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) return false;
    out = v.get<double>();
    return true;
  };
  auto integer = [](const Json& v, int lo, int hi, int& out) {
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) return false;
    out = static_cast<int>(v.get<int64_t>());
    return true;
  };
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  for (const auto& [key, value] : json.items()) {
    bool ok = true;
    if (key == "latency_ms") {
      ok = value.is_number() && value.get<double>() >= 0;
      if (ok) faults.latency = absl::Milliseconds(value.get<double>());
    } else if (key == "error_5xx_rate") {
      ok = rate(value, faults.error_5xx_rate);
    } else if (key == "error_5xx_status") {
      ok = integer(value, 100, 599, faults.error_5xx_status);
    } else if (key == "rate_429") {
      ok = rate(value, faults.rate_429);
    } else if (key == "retry_after_seconds") {
      ok = integer(value, 0, kMaxInt, faults.retry_after_seconds);
    } else if (key == "drop_rate") {
      ok = rate(value, faults.drop_rate);
    } else if (key == "fail_next") {
      ok = integer(value, 0, kMaxInt, faults.fail_next);
    } else if (key == "fail_next_status") {
      ok = integer(value, 100, 599, faults.fail_next_status);
    } else if (key == "drop_next") {
      ok = integer(value, 0, kMaxInt, faults.drop_next);
    } else if (key == "seed") {
      ok = value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
      if (ok) faults.seed = value.get<uint64_t>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown fault field '", key, "'"));
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("bad value for '", key, "': ", value.dump()));
    }
  }
  return faults;
}

}  // namespace brazesync::emulator
