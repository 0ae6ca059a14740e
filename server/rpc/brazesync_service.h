// The gRPC adapter for brazesync.v1.BrazeSync (callback API, so no thread is
// held while items wait for Braze). Each rpc passes the CallGate first
// (caller token, track role in the request's workspace, rate, item cap),
// then delegates to the gRPC-free Tracker, maps the outcome with
// ToGrpcStatus and records it in the CallLog. TrackStream's per-stream state
// lives in server/rpc/track_stream_reactor.
#ifndef BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_

#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "server/ops/call_log.h"
#include "server/rpc/call_gate.h"
#include "server/track/tracker.h"

namespace brazesync {

// Track takes the raw request bytes and parses them itself, so a message
// that is not a valid TrackRequest (malformed protobuf, invalid UTF-8 in a
// string, nesting over protobuf's depth limit) gets INVALID_ARGUMENT with an
// explanation instead of gRPC's bare UNIMPLEMENTED.
class BrazeSyncService final
    : public v1::BrazeSync::WithRawCallbackMethod_Track<v1::BrazeSync::CallbackService> {
 public:
  // All must outlive the service. Calls without a deadline get
  // `default_deadline`, so no call can wait forever.
  BrazeSyncService(Tracker* tracker, const CallGate* gate, const CallLog* log,
                   absl::Duration default_deadline);

  grpc::ServerUnaryReactor* Track(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

  grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* TrackStream(
      grpc::CallbackServerContext* context) override;

 private:
  // The deadline for work on behalf of a unary call.
  absl::Time DeadlineOf(const grpc::CallbackServerContext& context) const;

  Tracker* const tracker_;
  const CallGate* const gate_;
  const CallLog* const log_;
  const absl::Duration default_deadline_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_
