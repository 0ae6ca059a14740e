// The BrazeLookup gRPC adapter (see lookup_service.h).
#include "server/rpc/lookup_service.h"

#include <algorithm>
#include <string>
#include <utility>

#include "server/ops/logging.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {

namespace {

// The metric label of an outcome.
const char* OutcomeLabel(v1::LookupOutcome outcome) {
  switch (outcome) {
    case v1::LOOKUP_OUTCOME_FOUND:
      return "found";
    case v1::LOOKUP_OUTCOME_NOT_FOUND:
      return "not_found";
    case v1::LOOKUP_OUTCOME_AMBIGUOUS:
      return "ambiguous";
    case v1::LOOKUP_OUTCOME_DEFERRED:
      return "deferred";
    default:
      return "error";
  }
}

}  // namespace

LookupService::LookupService(UserLookup* lookup, const CallGate* gate, const CallLog* log,
                             Metrics* metrics, absl::Duration default_deadline)
    : lookup_(lookup),
      gate_(gate),
      log_(log),
      metrics_(metrics),
      default_deadline_(default_deadline) {}

grpc::ServerUnaryReactor* LookupService::LookupUsers(grpc::CallbackServerContext* context,
                                                     const v1::LookupUsersRequest* request,
                                                     v1::LookupUsersResponse* response) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string request_id = RequestIdOr(ClientMetadata(*context, "x-request-id"));
  context->AddInitialMetadata("x-request-id", request_id);
  absl::StatusOr<CallerPtr> caller = gate_->Check(*context, Role::kLookup, request->workspace());
  if (!caller.ok()) {
    log_->RecordCall("LookupUsers", request_id, nullptr, request->workspace(), caller.status(),
                     started);
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  const absl::Time deadline = std::min(started + default_deadline_, CallDeadline(*context));
  lookup_->Lookup(
      *request, deadline,
      [this, reactor, response, started, workspace = request->workspace(),
       request_id = std::move(request_id),
       caller = *std::move(caller)](absl::Status status, v1::LookupUsersResponse result) {
        log_->RecordCall("LookupUsers", request_id, caller.get(), workspace, status, started);
        if (metrics_ != nullptr) {
          for (const v1::LookupResult& item : result.results()) {
            const bool answered = item.has_fetched_at();
            metrics_->CountLookupResult(OutcomeLabel(item.outcome()), !answered ? "none"
                                                                      : item.from_cache()
                                                                          ? "cache"
                                                                          : "braze");
          }
        }
        if (status.ok()) *response = std::move(result);
        reactor->Finish(ToGrpcStatus(status));
      });
  return reactor;
}

}  // namespace brazesync
