// The gRPC adapter for brazesync.v1.BrazeLookup (callback API, so no thread
// is held while a lookup waits for Braze). Each rpc passes the CallGate
// first (caller token, lookup role in the request's workspace, rate), then
// delegates to the gRPC-free UserLookup, maps the outcome with ToGrpcStatus
// and records it in the CallLog (never the identifiers: they are personal
// data).
#ifndef BRAZESYNC_SERVER_RPC_LOOKUP_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_LOOKUP_SERVICE_H_

#include "absl/time/time.h"
#include "brazesync/v1/lookup.grpc.pb.h"
#include "server/lookup/user_lookup.h"
#include "server/ops/call_log.h"
#include "server/ops/metrics.h"
#include "server/rpc/call_gate.h"

namespace brazesync {

class LookupService final : public v1::BrazeLookup::CallbackService {
 public:
  // All must outlive the service; `metrics` may be null. Calls without a
  // deadline get `default_deadline`.
  LookupService(UserLookup* lookup, const CallGate* gate, const CallLog* log, Metrics* metrics,
                absl::Duration default_deadline);

  grpc::ServerUnaryReactor* LookupUsers(grpc::CallbackServerContext* context,
                                        const v1::LookupUsersRequest* request,
                                        v1::LookupUsersResponse* response) override;

 private:
  UserLookup* const lookup_;
  const CallGate* const gate_;
  const CallLog* const log_;
  Metrics* const metrics_;
  const absl::Duration default_deadline_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_LOOKUP_SERVICE_H_
