// The gRPC adapter for brazesync.v1.BrazeSyncAdmin.
#include "server/rpc/admin_service.h"

#include <vector>

#include "server/rpc/status_conversion.h"

namespace brazesync {
namespace {

const absl::Status& NoOutbox() {
  static const absl::Status* const status = new absl::Status(absl::FailedPreconditionError(
      "the server has no data directory (start it with --data_dir): there is no outbox"));
  return *status;
}

// Runs `call` and stores its value in `response`, or returns its error.
template <typename Response, typename Call>
grpc::Status Answer(Outbox* outbox, Response* response, Call call) {
  if (outbox == nullptr) return ToGrpcStatus(NoOutbox());
  auto result = call();
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

absl::Status SelectionError(int ids, bool all) {
  if (ids == 0 && !all) return absl::InvalidArgumentError("ids: give ids, or all: true");
  if (ids > 0 && all) return absl::InvalidArgumentError("ids: give ids or all: true, not both");
  return absl::OkStatus();
}

}  // namespace

AdminService::AdminService(Outbox* outbox, const WorkspaceRegistry* workspaces)
    : outbox_(outbox), workspaces_(workspaces) {}

grpc::Status AdminService::GetItemStatus(grpc::ServerContext*,
                                         const v1::GetItemStatusRequest* request,
                                         v1::ItemState* response) {
  if (request->item_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("item_id: required"));
  }
  const WorkspaceSettings* workspace = workspaces_->Find(request->workspace());
  if (workspace == nullptr) {
    return ToGrpcStatus(absl::NotFoundError("workspace: no such workspace"));
  }
  return Answer(outbox_, response,
                [&] { return outbox_->GetItemStatus(workspace->name, request->item_id()); });
}

grpc::Status AdminService::ListDeadLetters(grpc::ServerContext*,
                                           const v1::ListDeadLettersRequest* request,
                                           v1::ListDeadLettersResponse* response) {
  if (request->page_size() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("page_size: must be >= 0"));
  }
  return Answer(outbox_, response, [&] {
    return outbox_->ListDeadLetters(request->workspace(), request->page_size(),
                                    request->after_id());
  });
}

grpc::Status AdminService::GetDeadLetter(grpc::ServerContext*,
                                         const v1::GetDeadLetterRequest* request,
                                         v1::DeadLetter* response) {
  return Answer(outbox_, response, [&] { return outbox_->GetDeadLetter(request->id()); });
}

grpc::Status AdminService::ReplayDeadLetters(grpc::ServerContext*,
                                             const v1::ReplayDeadLettersRequest* request,
                                             v1::ReplayDeadLettersResponse* response) {
  absl::Status selection = SelectionError(request->ids_size(), request->all());
  if (!selection.ok()) return ToGrpcStatus(selection);
  const std::vector<int64_t> ids(request->ids().begin(), request->ids().end());
  return Answer(outbox_, response, [&] {
    return outbox_->ReplayDeadLetters(ids, request->all(), request->workspace());
  });
}

grpc::Status AdminService::PurgeDeadLetters(grpc::ServerContext*,
                                            const v1::PurgeDeadLettersRequest* request,
                                            v1::PurgeDeadLettersResponse* response) {
  absl::Status selection = SelectionError(request->ids_size(), request->all());
  if (!selection.ok()) return ToGrpcStatus(selection);
  const std::vector<int64_t> ids(request->ids().begin(), request->ids().end());
  return Answer(outbox_, response, [&] {
    return outbox_->PurgeDeadLetters(ids, request->all(), request->workspace());
  });
}

}  // namespace brazesync
