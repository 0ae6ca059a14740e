// The gRPC adapter for brazesync.v1.BrazeIdentity: every rpc passes the
// CallGate with the identity role (ServeActionCall), then delegates to the
// gRPC-free IdentityActions.
#ifndef BRAZESYNC_SERVER_RPC_IDENTITY_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_IDENTITY_SERVICE_H_

#include "brazesync/v1/identity.grpc.pb.h"
#include "server/actions/identity_actions.h"
#include "server/rpc/action_call.h"

namespace brazesync {

class IdentityService final : public v1::BrazeIdentity::CallbackService {
 public:
  // `actions` must outlive the service.
  IdentityService(IdentityActions* actions, ActionCallContext call)
      : actions_(actions), call_(call) {}

  grpc::ServerUnaryReactor* CreateAlias(grpc::CallbackServerContext* context,
                                        const v1::CreateAliasRequest* request,
                                        v1::IdentityResponse* response) override;
  grpc::ServerUnaryReactor* IdentifyUsers(grpc::CallbackServerContext* context,
                                          const v1::IdentifyUsersRequest* request,
                                          v1::IdentityResponse* response) override;
  grpc::ServerUnaryReactor* MergeUsers(grpc::CallbackServerContext* context,
                                       const v1::MergeUsersRequest* request,
                                       v1::IdentityResponse* response) override;
  grpc::ServerUnaryReactor* DeleteUsers(grpc::CallbackServerContext* context,
                                        const v1::DeleteUsersRequest* request,
                                        v1::IdentityResponse* response) override;
  grpc::ServerUnaryReactor* RenameExternalIds(grpc::CallbackServerContext* context,
                                              const v1::RenameExternalIdsRequest* request,
                                              v1::IdentityResponse* response) override;
  grpc::ServerUnaryReactor* RemoveExternalIds(grpc::CallbackServerContext* context,
                                              const v1::RemoveExternalIdsRequest* request,
                                              v1::IdentityResponse* response) override;

 private:
  IdentityActions* const actions_;
  const ActionCallContext call_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_IDENTITY_SERVICE_H_
