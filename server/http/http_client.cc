// The HTTP boundary of BrazeSync: shared helpers of the HttpClient interface.
#include "server/http/http_client.h"

namespace brazesync {

std::string HttpResponse::Header(absl::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? "" : it->second;
}

}  // namespace brazesync
