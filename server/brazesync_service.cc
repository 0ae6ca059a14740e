// The gRPC adapter for brazesync.v1.BrazeSync.
#include "server/brazesync_service.h"

#include <algorithm>
#include <chrono>

#include "server/status_conversion.h"

namespace brazesync {

BrazeSyncService::BrazeSyncService(Tracker* tracker, absl::Duration default_deadline)
    : tracker_(tracker), default_deadline_(default_deadline) {}

grpc::Status BrazeSyncService::Track(grpc::ServerContext* context,
                                     const v1::TrackRequest* request,
                                     v1::TrackResult* response) {
  const absl::Time fallback = absl::Now() + default_deadline_;
  const auto call_deadline = context->deadline();
  const absl::Time deadline = call_deadline == std::chrono::system_clock::time_point::max()
                                  ? fallback
                                  : std::min(fallback, absl::FromChrono(call_deadline));
  return ToGrpcStatus(tracker_->Track(*request, deadline, response));
}

}  // namespace brazesync
