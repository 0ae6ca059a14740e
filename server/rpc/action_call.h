// The one way the identity, messaging and subscriptions adapters serve a
// unary rpc (callback API: no thread is held while Braze answers): the
// request id, the CallGate (token, the service's role in the request's
// workspace, rate), the deadline (the caller's, capped by the server's
// default), the gRPC-free use case, the access log, and one metric per
// item result. The three services differ only in the role and the use case
// they call.
#ifndef BRAZESYNC_SERVER_RPC_ACTION_CALL_H_
#define BRAZESYNC_SERVER_RPC_ACTION_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "brazesync/v1/actions.pb.h"
#include "server/ops/call_log.h"
#include "server/ops/logging.h"
#include "server/ops/metrics.h"
#include "server/rpc/call_gate.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {

// What an action adapter needs besides its use case; all must outlive it
// (`metrics` may be null).
struct ActionCallContext {
  const CallGate* gate;
  const CallLog* log;
  Metrics* metrics;
  absl::Duration default_deadline;
};

// The metric label of an item status: "accepted", "failed", ...
inline std::string ActionStatusLabel(v1::ActionStatus status) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::ActionStatus_Name(status), "ACTION_STATUS_"));
}

// Serves one rpc: `invoke(request, deadline, done)` runs the use case, whose
// `done(absl::Status, Response)` finishes the call.
template <typename Request, typename Response, typename Invoke>
grpc::ServerUnaryReactor* ServeActionCall(const ActionCallContext& call, absl::string_view method,
                                          Role role, grpc::CallbackServerContext* context,
                                          const Request* request, Response* response,
                                          Invoke invoke) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string request_id = RequestIdOr(ClientMetadata(*context, "x-request-id"));
  context->AddInitialMetadata("x-request-id", request_id);
  absl::StatusOr<CallerPtr> caller = call.gate->Check(*context, role, request->workspace());
  if (!caller.ok()) {
    call.log->RecordCall(method, request_id, nullptr, request->workspace(), caller.status(),
                         started);
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const absl::Time deadline = std::min(started + call.default_deadline, CallDeadline(*context));
  invoke(*request, deadline,
         [call, method = std::string(method), reactor, response, started,
          workspace = request->workspace(), request_id = std::move(request_id),
          caller = *std::move(caller)](absl::Status status, Response result) {
           call.log->RecordCall(method, request_id, caller.get(), workspace, status, started);
           if (call.metrics != nullptr) {
             for (const v1::ActionResult& item : result.results()) {
               call.metrics->CountActionResult(method, ActionStatusLabel(item.status()));
             }
           }
           if (status.ok()) *response = std::move(result);
           reactor->Finish(ToGrpcStatus(status));
         });
  return reactor;
}

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_ACTION_CALL_H_
