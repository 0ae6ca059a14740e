// The BrazeIdentity gRPC adapter (see identity_service.h).
#include "server/rpc/identity_service.h"

#include <utility>

namespace brazesync {

grpc::ServerUnaryReactor* IdentityService::CreateAlias(grpc::CallbackServerContext* context,
                                                       const v1::CreateAliasRequest* request,
                                                       v1::IdentityResponse* response) {
  return ServeActionCall(call_, "CreateAlias", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->CreateAlias(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* IdentityService::IdentifyUsers(grpc::CallbackServerContext* context,
                                                         const v1::IdentifyUsersRequest* request,
                                                         v1::IdentityResponse* response) {
  return ServeActionCall(call_, "IdentifyUsers", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->IdentifyUsers(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* IdentityService::MergeUsers(grpc::CallbackServerContext* context,
                                                      const v1::MergeUsersRequest* request,
                                                      v1::IdentityResponse* response) {
  return ServeActionCall(call_, "MergeUsers", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->MergeUsers(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* IdentityService::DeleteUsers(grpc::CallbackServerContext* context,
                                                       const v1::DeleteUsersRequest* request,
                                                       v1::IdentityResponse* response) {
  return ServeActionCall(call_, "DeleteUsers", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->DeleteUsers(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* IdentityService::RenameExternalIds(
    grpc::CallbackServerContext* context, const v1::RenameExternalIdsRequest* request,
    v1::IdentityResponse* response) {
  return ServeActionCall(call_, "RenameExternalIds", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->RenameExternalIds(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* IdentityService::RemoveExternalIds(
    grpc::CallbackServerContext* context, const v1::RemoveExternalIdsRequest* request,
    v1::IdentityResponse* response) {
  return ServeActionCall(call_, "RemoveExternalIds", Role::kIdentity, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->RemoveExternalIds(req, deadline, std::move(done));
                         });
}

}  // namespace brazesync
