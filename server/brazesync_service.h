// The gRPC adapter for brazesync.v1.BrazeSync: converts the call's deadline,
// delegates to the gRPC-free Tracker and maps the result with ToGrpcStatus.
// Nothing else lives here.
#ifndef BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_
#define BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_

#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "server/tracker.h"

namespace brazesync {

class BrazeSyncService final : public v1::BrazeSync::Service {
 public:
  // `tracker` must outlive the service. Calls without a deadline get
  // `default_deadline`, so no call can hold a thread forever.
  BrazeSyncService(Tracker* tracker, absl::Duration default_deadline);

  grpc::Status Track(grpc::ServerContext* context, const v1::TrackRequest* request,
                     v1::TrackResult* response) override;

 private:
  Tracker* const tracker_;
  const absl::Duration default_deadline_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_
