// Braze's POST /users/track for one attempt: the request and its response.
#include "server/braze/users_track.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/base/utf8.h"

namespace brazesync {
namespace {

constexpr size_t kMaxMessageBytes = 200;
// X-RateLimit-Reset values above this are epoch seconds (2001-09-09 onwards);
// smaller ones count seconds from now. Braze has sent both forms.
constexpr int64_t kEpochSecondsAbove = 1'000'000'000;

std::string Truncate(absl::string_view text) { return TruncateUtf8(text, kMaxMessageBytes); }

// The header as a non-negative integer, or nullopt.
std::optional<int64_t> NonNegativeHeader(const HttpResponse& response, absl::string_view name) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(response.Header(name), &value) || value < 0) return std::nullopt;
  return value;
}

}  // namespace

HttpRequest MakeBrazePostRequest(absl::string_view endpoint, absl::string_view path,
                                 absl::string_view api_key, std::string body,
                                 absl::Duration timeout) {
  HttpRequest request;
  request.url = absl::StrCat(endpoint, path);
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", absl::StrCat("Bearer ", api_key)},
                     {"User-Agent", "brazesync/0.1"}};
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

HttpRequest MakeUsersTrackRequest(absl::string_view endpoint, absl::string_view api_key,
                                  std::string body, absl::Duration timeout) {
  return MakeBrazePostRequest(endpoint, "/users/track", api_key, std::move(body), timeout);
}

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

absl::Status BrazeHttpStatusToStatus(int http_status, absl::string_view braze_message,
                                     absl::string_view permission) {
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  const std::string message =
      absl::StrCat("Braze answered HTTP ", http_status,
                   braze_message.empty() ? "" : absl::StrCat(": ", braze_message));
  if (http_status == 429 || http_status >= 500) return absl::UnavailableError(message);
  switch (http_status) {
    case 401:
      // Braze answers 401 both for an unknown key and for a key without the
      // endpoint's permission (its newest error page lists the latter).
      return absl::FailedPreconditionError(absl::StrCat(
          message, " (check the workspace's REST API key and endpoint, and that the key has the ",
          permission, " permission; keys created before a feature existed lack it)"));
    case 403:
      return absl::FailedPreconditionError(absl::StrCat(
          message, " (the API key lacks the ", permission, " permission: create a key with it)"));
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

std::optional<absl::Time> ParseRateLimitReset(const HttpResponse& response, absl::Time now) {
  const std::optional<int64_t> value = NonNegativeHeader(response, "x-ratelimit-reset");
  if (!value.has_value()) return std::nullopt;
  return *value > kEpochSecondsAbove ? absl::FromUnixSeconds(*value) : now + absl::Seconds(*value);
}

std::optional<absl::Duration> BrazeRetryDelay(const HttpResponse& response, absl::Time now) {
  if (std::optional<int64_t> seconds = NonNegativeHeader(response, "x-ratelimit-retry-after")) {
    return absl::Seconds(*seconds);
  }
  if (std::optional<absl::Time> reset = ParseRateLimitReset(response, now)) {
    return std::max(*reset - now, absl::ZeroDuration());
  }
  return std::nullopt;
}

void ScrubApiKey(absl::string_view api_key, absl::StatusOr<HttpResponse>* response) {
  if (api_key.empty()) return;
  constexpr absl::string_view kRedacted = "<redacted>";
  if (response->ok()) {
    absl::StrReplaceAll({{api_key, kRedacted}}, &(*response)->body);
    return;
  }
  if (absl::StrContains(response->status().message(), api_key)) {
    *response =
        absl::Status(response->status().code(),
                     absl::StrReplaceAll(response->status().message(), {{api_key, kRedacted}}));
  }
}

BrazeAttempt InterpretBrazeAttempt(const absl::StatusOr<HttpResponse>& response, absl::Time now,
                                   absl::string_view permission) {
  BrazeAttempt attempt;
  if (!response.ok()) {
    attempt.status = absl::Status(response.status().code(), response.status().message());
    return attempt;
  }
  attempt.http_status = response->status;
  attempt.body = ParseBrazeResponseBody(response->body);
  attempt.status = BrazeHttpStatusToStatus(response->status, attempt.body.message, permission);
  if (response->status == 429) attempt.retry_after = BrazeRetryDelay(*response, now);
  int64_t remaining = 0;
  if (absl::SimpleAtoi(response->Header("x-ratelimit-remaining"), &remaining)) {
    attempt.rate_limit_remaining = remaining;
  }
  attempt.rate_limit_reset = ParseRateLimitReset(*response, now);
  return attempt;
}

}  // namespace brazesync
