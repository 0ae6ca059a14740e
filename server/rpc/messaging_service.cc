// The BrazeMessaging gRPC adapter (see messaging_service.h).
#include "server/rpc/messaging_service.h"

#include <utility>

namespace brazesync {

grpc::ServerUnaryReactor* MessagingService::TriggerCanvas(grpc::CallbackServerContext* context,
                                                          const v1::TriggerCanvasRequest* request,
                                                          v1::TriggerResponse* response) {
  return ServeActionCall(call_, "TriggerCanvas", Role::kMessaging, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->TriggerCanvas(req, deadline, std::move(done));
                         });
}

grpc::ServerUnaryReactor* MessagingService::TriggerCampaign(
    grpc::CallbackServerContext* context, const v1::TriggerCampaignRequest* request,
    v1::TriggerResponse* response) {
  return ServeActionCall(call_, "TriggerCampaign", Role::kMessaging, context, request, response,
                         [this](const auto& req, absl::Time deadline, auto done) {
                           actions_->TriggerCampaign(req, deadline, std::move(done));
                         });
}

}  // namespace brazesync
