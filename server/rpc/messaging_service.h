// The gRPC adapter for brazesync.v1.BrazeMessaging: every rpc passes the
// CallGate with the messaging role (ServeActionCall), then delegates to the
// gRPC-free TriggerActions.
#ifndef BRAZESYNC_SERVER_RPC_MESSAGING_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_MESSAGING_SERVICE_H_

#include "brazesync/v1/messaging.grpc.pb.h"
#include "server/actions/trigger_actions.h"
#include "server/rpc/action_call.h"

namespace brazesync {

class MessagingService final : public v1::BrazeMessaging::CallbackService {
 public:
  // `actions` must outlive the service.
  MessagingService(TriggerActions* actions, ActionCallContext call)
      : actions_(actions), call_(call) {}

  grpc::ServerUnaryReactor* TriggerCanvas(grpc::CallbackServerContext* context,
                                          const v1::TriggerCanvasRequest* request,
                                          v1::TriggerResponse* response) override;
  grpc::ServerUnaryReactor* TriggerCampaign(grpc::CallbackServerContext* context,
                                            const v1::TriggerCampaignRequest* request,
                                            v1::TriggerResponse* response) override;

 private:
  TriggerActions* const actions_;
  const ActionCallContext call_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_MESSAGING_SERVICE_H_
