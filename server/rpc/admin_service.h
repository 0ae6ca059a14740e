// The gRPC adapter for brazesync.v1.BrazeSyncAdmin: item status and the
// dead-letter store. Every rpc passes the CallGate first (caller token, the
// admin role in the workspace it acts on, rate), then checks its request,
// delegates to the DeadLetterStore (gRPC-free, plain structs) and maps the
// answer to the v1 message with one mapping function per message, errors with
// ToGrpcStatus; the CallLog keeps an audit line per call. A request that names no workspace acts on
// every workspace, so its caller needs the admin role in "*". Admin calls are rare and short, so
// the synchronous API is used.
#ifndef BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "brazesync/v1/admin.grpc.pb.h"
#include "server/config/workspace.h"
#include "server/durability/dead_letter_store.h"
#include "server/ops/call_log.h"
#include "server/rpc/call_gate.h"

namespace brazesync {

class AdminService final : public v1::BrazeSyncAdmin::Service {
 public:
  // `store` may be null (no data directory): every admitted rpc whose
  // request is valid is then FAILED_PRECONDITION. All must outlive the
  // service.
  AdminService(DeadLetterStore* store, const WorkspaceRegistry* workspaces, const CallGate* gate,
               const CallLog* log);

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
  // What a request acts on, for the gate.
  enum class Scope {
    kWorkspace,       // the named workspace ("" = the default one)
    kEveryWorkspace,  // every workspace: needs the admin role in "*"
    kFoundLater,      // known once the row is read: `body` admits it
  };

  // Runs `body` for `method` once the gate admitted the caller for `scope`
  // and `workspace`, and records the call. `body` gets the caller (null when
  // authentication is off).
  grpc::Status Serve(const grpc::ServerContext& context, const char* method, Scope scope,
                     const std::string& workspace,
                     absl::FunctionRef<absl::Status(const Caller* caller)> body);

  DeadLetterStore* const store_;
  const WorkspaceRegistry* const workspaces_;
  const CallGate* const gate_;
  const CallLog* const log_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_ADMIN_SERVICE_H_
