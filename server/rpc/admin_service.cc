// The gRPC adapter for brazesync.v1.BrazeSyncAdmin.
#include "server/rpc/admin_service.h"

#include <vector>

#include "absl/time/clock.h"
#include "server/ops/logging.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {
namespace {

absl::Status NoOutbox() {
  return absl::FailedPreconditionError(
      "the server has no data directory (start it with --data_dir): there is no outbox");
}

// Stores `result`'s value in `response`, or returns its error.
template <typename Response, typename Result>
absl::Status Answer(Response* response, Result result) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

absl::Status SelectionError(int ids, bool all) {
  if (ids == 0 && !all) return absl::InvalidArgumentError("ids: give ids, or all: true");
  if (ids > 0 && all) return absl::InvalidArgumentError("ids: give ids or all: true, not both");
  return absl::OkStatus();
}

}  // namespace

AdminService::AdminService(Outbox* outbox, const WorkspaceRegistry* workspaces,
                           const CallGate* gate, const CallLog* log)
    : outbox_(outbox), workspaces_(workspaces), gate_(gate), log_(log) {}

grpc::Status AdminService::Serve(const grpc::ServerContext& context, const char* method,
                                 Scope scope, const std::string& workspace,
                                 absl::FunctionRef<absl::Status(const Caller*)> body) {
  const absl::Time started = absl::Now();
  absl::StatusOr<CallerPtr> caller = gate_->Authenticate(context);
  absl::Status status = caller.status();
  if (status.ok()) {
    switch (scope) {
      case Scope::kWorkspace:
        status = gate_->Admit(caller->get(), Role::kAdmin, workspace);
        break;
      case Scope::kEveryWorkspace:
        status = gate_->AdmitEveryWorkspace(caller->get(), Role::kAdmin);
        break;
      case Scope::kFoundLater:
        status = gate_->AdmitSomeWorkspace(caller->get(), Role::kAdmin);
        break;
    }
  }
  if (status.ok()) status = outbox_ == nullptr ? NoOutbox() : body(caller->get());
  log_->RecordCall(method, RequestIdOr(ClientMetadata(context, "x-request-id")),
                   caller.ok() ? caller->get() : nullptr,
                   scope == Scope::kEveryWorkspace ? "*" : workspace, status, started);
  return ToGrpcStatus(status);
}

grpc::Status AdminService::GetItemStatus(grpc::ServerContext* context,
                                         const v1::GetItemStatusRequest* request,
                                         v1::ItemState* response) {
  return Serve(*context, "GetItemStatus", Scope::kWorkspace, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 if (request->item_id().empty()) {
                   return absl::InvalidArgumentError("item_id: required");
                 }
                 const WorkspaceSettings* workspace = workspaces_->Find(request->workspace());
                 if (workspace == nullptr) {
                   return absl::NotFoundError("workspace: no such workspace");
                 }
                 return Answer(response,
                               outbox_->GetItemStatus(workspace->name, request->item_id()));
               });
}

grpc::Status AdminService::ListDeadLetters(grpc::ServerContext* context,
                                           const v1::ListDeadLettersRequest* request,
                                           v1::ListDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(
      *context, "ListDeadLetters", scope, request->workspace(), [&](const Caller*) -> absl::Status {
        if (request->page_size() < 0) {
          return absl::InvalidArgumentError("page_size: must be >= 0");
        }
        return Answer(response, outbox_->ListDeadLetters(request->workspace(), request->page_size(),
                                                         request->after_id()));
      });
}

grpc::Status AdminService::GetDeadLetter(grpc::ServerContext* context,
                                         const v1::GetDeadLetterRequest* request,
                                         v1::DeadLetter* response) {
  return Serve(
      *context, "GetDeadLetter", Scope::kFoundLater, "", [&](const Caller* caller) -> absl::Status {
        absl::StatusOr<v1::DeadLetter> letter = outbox_->GetDeadLetter(request->id());
        if (!letter.ok()) return letter.status();
        if (absl::Status admitted = gate_->Admit(caller, Role::kAdmin, letter->workspace());
            !admitted.ok()) {
          return admitted;
        }
        *response = *std::move(letter);
        return absl::OkStatus();
      });
}

grpc::Status AdminService::ReplayDeadLetters(grpc::ServerContext* context,
                                             const v1::ReplayDeadLettersRequest* request,
                                             v1::ReplayDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(*context, "ReplayDeadLetters", scope, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 absl::Status selection = SelectionError(request->ids_size(), request->all());
                 if (!selection.ok()) return selection;
                 const std::vector<int64_t> ids(request->ids().begin(), request->ids().end());
                 return Answer(response, outbox_->ReplayDeadLetters(ids, request->all(),
                                                                    request->workspace()));
               });
}

grpc::Status AdminService::PurgeDeadLetters(grpc::ServerContext* context,
                                            const v1::PurgeDeadLettersRequest* request,
                                            v1::PurgeDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(*context, "PurgeDeadLetters", scope, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 absl::Status selection = SelectionError(request->ids_size(), request->all());
                 if (!selection.ok()) return selection;
                 const std::vector<int64_t> ids(request->ids().begin(), request->ids().end());
                 return Answer(response, outbox_->PurgeDeadLetters(ids, request->all(),
                                                                   request->workspace()));
               });
}

}  // namespace brazesync
