// The gRPC adapter for brazesync.v1.BrazeSync (callback API, so no thread is
// held while items wait for Braze): converts deadlines, delegates to the
// gRPC-free Tracker and maps results with ToGrpcStatus. TrackStream keeps
// results in request order and bounds the requests in flight per stream.
#ifndef BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_
#define BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_

#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "server/tracker.h"

namespace brazesync {

class BrazeSyncService final : public v1::BrazeSync::CallbackService {
 public:
  // `tracker` must outlive the service. Calls without a deadline get
  // `default_deadline`, so no call can wait forever.
  BrazeSyncService(Tracker* tracker, absl::Duration default_deadline);

  grpc::ServerUnaryReactor* Track(grpc::CallbackServerContext* context,
                                  const v1::TrackRequest* request,
                                  v1::TrackResult* response) override;

  grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* TrackStream(
      grpc::CallbackServerContext* context) override;

  // The deadline for work on behalf of a call.
  absl::Time DeadlineOf(const grpc::CallbackServerContext& context) const;

 private:
  Tracker* const tracker_;
  const absl::Duration default_deadline_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZESYNC_SERVICE_H_
