// One TrackStream call (brazesync.v1.BrazeSync.TrackStream): reads requests,
// admits each through the CallGate, tracks it with the gRPC-free Tracker, and
// writes one TrackResult per request in request order. A request that Track
// would fail (refused by the gate, invalid, back-pressure) does not end the
// stream: its result carries the status in `error`. At most
// kMaxStreamRequestsInFlight requests wait for Braze at once; beyond that the
// reactor stops reading until results have been written (flow control
// reaches the client through HTTP/2).
//
// Lifetime: the reactor deletes itself when gRPC is done with it (OnDone) and
// every Track it started has called back, whichever comes last.
#ifndef BRAZESYNC_SERVER_RPC_TRACK_STREAM_REACTOR_H_
#define BRAZESYNC_SERVER_RPC_TRACK_STREAM_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/ops/call_log.h"
#include "server/rpc/call_gate.h"
#include "server/track/tracker.h"

namespace brazesync {

// Requests a stream may have waiting for Braze before it stops reading.
inline constexpr size_t kMaxStreamRequestsInFlight = 64;

using TrackStreamReactorBase = grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>;

// A stream refused at its start (UNAUTHENTICATED, PERMISSION_DENIED): reports
// `status` and deletes itself.
TrackStreamReactorBase* RefusedStream(const absl::Status& status);

// Starts serving one authenticated stream. Each request gets
// min(stream_deadline, now + per_request_deadline). `tracker`, `gate` and
// `log` must outlive every stream.
TrackStreamReactorBase* StartTrackStream(Tracker* tracker, const CallGate* gate, const CallLog* log,
                                         CallerPtr caller, std::string stream_id,
                                         absl::Time stream_deadline,
                                         absl::Duration per_request_deadline);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_TRACK_STREAM_REACTOR_H_
