// The BrazeSubscriptions gRPC adapter (see subscriptions_service.h).
#include "server/rpc/subscriptions_service.h"

#include <utility>

namespace brazesync {

grpc::ServerUnaryReactor* SubscriptionsService::SetSubscriptionStatus(
    grpc::CallbackServerContext* context, const v1::SetSubscriptionStatusRequest* request,
    v1::SetSubscriptionStatusResponse* response) {
  return ServeActionCall(call_, "SetSubscriptionStatus", Role::kSubscriptions, context, request,
                         response, [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->SetSubscriptionStatus(req, deadline, std::move(done));
                         });
}

}  // namespace brazesync
