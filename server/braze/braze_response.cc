// Interpretation of Braze /users/track responses.
#include "server/braze/braze_response.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/base/utf8.h"

namespace brazesync {
namespace {

constexpr size_t kMaxMessageBytes = 200;

std::string Truncate(absl::string_view text) { return TruncateUtf8(text, kMaxMessageBytes); }

}  // namespace

BrazeResponseBody ParseBrazeResponseBody(absl::string_view body) {
  BrazeResponseBody parsed;
  nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (!json.is_object()) {
    parsed.message = Truncate(body);
    return parsed;
  }
  if (auto it = json.find("message"); it != json.end() && it->is_string()) {
    parsed.message = Truncate(it->get<std::string>());
  }
  auto errors = json.find("errors");
  if (errors == json.end() || !errors->is_array()) return parsed;
  for (const auto& entry : *errors) {
    if (!entry.is_object()) continue;
    BrazeItemError error;
    if (auto it = entry.find("input_array"); it != entry.end() && it->is_string()) {
      error.input_array = it->get<std::string>();
    }
    if (auto it = entry.find("index"); it != entry.end() && it->is_number_integer()) {
      error.index = it->get<int>();
    }
    if (auto it = entry.find("type"); it != entry.end()) {
      error.type = Truncate(it->is_string() ? it->get<std::string>() : it->dump());
    }
    parsed.errors.push_back(std::move(error));
  }
  return parsed;
}

absl::Status BrazeHttpStatusToStatus(int http_status, absl::string_view braze_message) {
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  const std::string message =
      absl::StrCat("Braze answered HTTP ", http_status,
                   braze_message.empty() ? "" : absl::StrCat(": ", braze_message));
  if (http_status == 429 || http_status >= 500) return absl::UnavailableError(message);
  switch (http_status) {
    case 401:
      return absl::FailedPreconditionError(
          absl::StrCat(message, " (check the workspace's REST API key and endpoint)"));
    case 403:
      return absl::FailedPreconditionError(
          absl::StrCat(message, " (the API key lacks the users.track permission)"));
    case 404:
      return absl::FailedPreconditionError(
          absl::StrCat(message, " (check the workspace's REST endpoint)"));
    default:
      return absl::InternalError(
          absl::StrCat(message, " (BrazeSync sent a request Braze refused)"));
  }
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

std::optional<absl::Duration> BrazeRetryDelay(const HttpResponse& response, absl::Time now) {
  int64_t value = 0;
  if (absl::SimpleAtoi(response.Header("x-ratelimit-retry-after"), &value) && value >= 0) {
    return absl::Seconds(value);
  }
  if (absl::SimpleAtoi(response.Header("x-ratelimit-reset"), &value) && value >= 0) {
    if (value > 1'000'000'000)
      return std::max(absl::FromUnixSeconds(value) - now, absl::ZeroDuration());
    return absl::Seconds(value);
  }
  return std::nullopt;
}

}  // namespace brazesync
