// The HTTP boundary of BrazeSync: shared helpers of the HttpClient interface.
#include "server/http/http_client.h"

#include "absl/strings/cord.h"

namespace brazesync {
namespace {

// The payload key of the mark (absl asks for a type-URL-like key). Its value
// is empty and it never leaves the process, so it names no message type.
constexpr char kShutdownMark[] = "type.brazesync.dev/brazesync.internal.HttpClientShutdown";
constexpr char kNotSentMark[] = "type.brazesync.dev/brazesync.internal.HttpRequestNotSent";

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? "" : it->second;
}

absl::Status ShutdownStatus(absl::string_view message) {
  absl::Status status = absl::UnavailableError(message);
  status.SetPayload(kShutdownMark, absl::Cord());
  return status;
}

bool IsShutdown(const absl::Status& status) { return status.GetPayload(kShutdownMark).has_value(); }

absl::Status NotSentStatus(absl::StatusCode code, absl::string_view message) {
  return MarkNotSent(absl::Status(code, message));
}

absl::Status MarkNotSent(absl::Status status) {
  // An OK status carries no payloads; there is nothing to mark.
  status.SetPayload(kNotSentMark, absl::Cord());
  return status;
}

bool WasNotSent(const absl::Status& status) { return status.GetPayload(kNotSentMark).has_value(); }

}  // namespace brazesync
