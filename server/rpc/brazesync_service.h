// The gRPC adapter for brazesync.v1.BrazeSync (callback API, so no thread is
// held while items wait for Braze): checks the caller (token, workspace,
// rate) and the request size, converts deadlines, delegates to the gRPC-free
// Tracker, maps results with ToGrpcStatus, and records one JSON log line and
// metrics per call (per message for TrackStream). TrackStream keeps results
// in request order and bounds the requests in flight per stream.
#ifndef BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_

#include <array>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "server/security/caller_auth.h"
#include "server/ops/logging.h"
#include "server/ops/metrics.h"
#include "server/track/tracker.h"
#include "server/config/workspace.h"

namespace brazesync {

// Attributes, events and purchases in a request.
using ItemCountsByKind = std::array<int, 3>;

// What the service checks and records around each call. Every pointer may be
// null (that check or record is then skipped) and must outlive the service.
struct ServicePolicy {
  // Callers and their workspaces; null or with no callers: no auth.
  CallerAuthenticator* callers = nullptr;
  // Resolves the default workspace's name for authorisation.
  const WorkspaceRegistry* workspaces = nullptr;
  // Most items (attributes + events + purchases) in one request; 0 = no cap.
  int max_items_per_request = 10'000;
  Metrics* metrics = nullptr;
  JsonLogger* logger = nullptr;
};

// Track takes the raw request bytes and parses them itself, so a message
// that is not a valid TrackRequest (malformed protobuf, invalid UTF-8 in a
// string, nesting over protobuf's depth limit) gets INVALID_ARGUMENT with an
// explanation instead of gRPC's bare UNIMPLEMENTED.
class BrazeSyncService final
    : public v1::BrazeSync::WithRawCallbackMethod_Track<v1::BrazeSync::CallbackService> {
 public:
  // `tracker` must outlive the service. Calls without a deadline get
  // `default_deadline`, so no call can wait forever.
  BrazeSyncService(Tracker* tracker, absl::Duration default_deadline,
                   ServicePolicy policy = ServicePolicy());

  grpc::ServerUnaryReactor* Track(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;

  grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* TrackStream(
      grpc::CallbackServerContext* context) override;

  // The deadline for work on behalf of a call.
  absl::Time DeadlineOf(const grpc::CallbackServerContext& context) const;

  // The caller behind `context`'s `authorization` metadata: null when auth is
  // off, else the caller or UNAUTHENTICATED.
  absl::StatusOr<std::shared_ptr<const Caller>> Authenticate(
      const grpc::CallbackServerContext& context) const;
  // Per request: PERMISSION_DENIED (workspace), RESOURCE_EXHAUSTED (rate),
  // INVALID_ARGUMENT (too many items).
  absl::Status Admit(const Caller* caller, const v1::TrackRequest& request) const;
  // Records one finished call or stream message in metrics and the log;
  // `result` is null when `status` is not OK.
  void Record(absl::string_view method, const std::string& request_id, const Caller* caller,
              const std::string& workspace, const ItemCountsByKind& counts,
              const absl::Status& status, const v1::TrackResult* result, absl::Time started) const;

 private:
  Tracker* const tracker_;
  const absl::Duration default_deadline_;
  const ServicePolicy policy_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_BRAZESYNC_SERVICE_H_
