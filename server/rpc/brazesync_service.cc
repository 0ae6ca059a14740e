// The gRPC adapter for brazesync.v1.BrazeSync.
#include "server/rpc/brazesync_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "server/ops/logging.h"
#include "server/rpc/status_conversion.h"
#include "server/rpc/track_stream_reactor.h"

namespace brazesync {

BrazeSyncService::BrazeSyncService(Tracker* tracker, const CallGate* gate, const CallLog* log,
                                   absl::Duration default_deadline)
    : tracker_(tracker), gate_(gate), log_(log), default_deadline_(default_deadline) {}

absl::Time BrazeSyncService::DeadlineOf(const grpc::CallbackServerContext& context) const {
  return std::min(absl::Now() + default_deadline_, CallDeadline(context));
}

grpc::ServerUnaryReactor* BrazeSyncService::Track(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* raw_request,
                                                  grpc::ByteBuffer* response) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto request = std::make_shared<v1::TrackRequest>();
  grpc::ByteBuffer bytes(*raw_request);  // shares the slices; Deserialize consumes it
  const bool parsed =
      grpc::SerializationTraits<v1::TrackRequest>::Deserialize(&bytes, request.get()).ok();
  const std::string header_id = ClientMetadata(*context, "x-request-id");
  std::string request_id = RequestIdOr(!header_id.empty() ? header_id : request->request_id());
  context->AddInitialMetadata("x-request-id", request_id);
  absl::StatusOr<CallerPtr> caller = gate_->Authenticate(*context);
  absl::Status admitted = caller.status();
  if (admitted.ok() && !parsed) {
    admitted = gate_->Unparsable("brazesync.v1.TrackRequest");
  }
  if (admitted.ok()) admitted = gate_->AdmitTrack(caller->get(), *request);
  if (!admitted.ok()) {
    log_->RecordTrack("Track", request_id, caller.ok() ? caller->get() : nullptr,
                      parsed ? request->workspace() : "",
                      parsed ? CountByKind(*request) : PerKind<int>{}, admitted, nullptr, started);
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  tracker_->Track(
      *request, DeadlineOf(*context),
      [this, reactor, response, started, request, request_id = std::move(request_id),
       caller = *std::move(caller)](absl::Status status, v1::TrackResult result) {
        log_->RecordTrack("Track", request_id, caller.get(), request->workspace(),
                          CountByKind(*request), status, status.ok() ? &result : nullptr, started);
        grpc::Status grpc_status = ToGrpcStatus(status);
        if (status.ok()) {
          bool own_buffer = false;
          grpc_status =
              grpc::SerializationTraits<v1::TrackResult>::Serialize(result, response, &own_buffer);
        }
        reactor->Finish(grpc_status);
      });
  return reactor;
}

grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* BrazeSyncService::TrackStream(
    grpc::CallbackServerContext* context) {
  const std::string stream_id = RequestIdOr(ClientMetadata(*context, "x-request-id"));
  absl::StatusOr<CallerPtr> caller = gate_->Authenticate(*context);
  absl::Status admitted = caller.status();
  if (admitted.ok()) admitted = gate_->AdmitSomeWorkspace(caller->get(), Role::kTrack);
  if (!admitted.ok()) {
    log_->RecordTrack("TrackStream", stream_id, caller.ok() ? caller->get() : nullptr, "",
                      PerKind<int>{}, admitted, nullptr, absl::Now());
    return RefusedStream(admitted);
  }
  context->AddInitialMetadata("x-request-id", stream_id);
  return StartTrackStream(tracker_, gate_, log_, *std::move(caller), stream_id,
                          CallDeadline(*context), default_deadline_);
}

}  // namespace brazesync
