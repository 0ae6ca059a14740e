// The gRPC adapter for brazesync.v1.BrazeSyncAdmin: item status and the
// dead-letter store. Each handler checks its request, delegates to the
// DeadLetterStore (gRPC-free, plain structs) and maps the answer to the v1
// message with one mapping function per message, errors with ToGrpcStatus.
// Admin calls are rare and short, so the synchronous API is used.
#ifndef BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_

#include "brazesync/v1/admin.grpc.pb.h"
#include "server/config/workspace.h"
#include "server/durability/dead_letter_store.h"

namespace brazesync {

class AdminService final : public v1::BrazeSyncAdmin::Service {
 public:
  // `store` may be null (no data directory): every rpc whose request is
  // valid is then FAILED_PRECONDITION. Both must outlive the service.
  AdminService(DeadLetterStore* store, const WorkspaceRegistry* workspaces);

  grpc::Status GetItemStatus(grpc::ServerContext* context, const v1::GetItemStatusRequest* request,
                             v1::ItemState* response) override;
  grpc::Status ListDeadLetters(grpc::ServerContext* context,
                               const v1::ListDeadLettersRequest* request,
                               v1::ListDeadLettersResponse* response) override;
  grpc::Status GetDeadLetter(grpc::ServerContext* context, const v1::GetDeadLetterRequest* request,
                             v1::DeadLetter* response) override;
  grpc::Status ReplayDeadLetters(grpc::ServerContext* context,
                                 const v1::ReplayDeadLettersRequest* request,
                                 v1::ReplayDeadLettersResponse* response) override;
  grpc::Status PurgeDeadLetters(grpc::ServerContext* context,
                                const v1::PurgeDeadLettersRequest* request,
                                v1::PurgeDeadLettersResponse* response) override;

 private:
  DeadLetterStore* const store_;
  const WorkspaceRegistry* const workspaces_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_
