// The gRPC adapter for brazesync.v1.BrazeSubscriptions: every rpc passes the
// CallGate with the subscriptions role (ServeActionCall), then delegates to
// the gRPC-free SubscriptionActions.
#ifndef BRAZESYNC_SERVER_RPC_SUBSCRIPTIONS_SERVICE_H_
#define BRAZESYNC_SERVER_RPC_SUBSCRIPTIONS_SERVICE_H_

#include "brazesync/v1/subscriptions.grpc.pb.h"
#include "server/actions/subscription_actions.h"
#include "server/rpc/action_call.h"

namespace brazesync {

class SubscriptionsService final : public v1::BrazeSubscriptions::CallbackService {
 public:
  // `actions` must outlive the service.
  SubscriptionsService(SubscriptionActions* actions, ActionCallContext call)
      : actions_(actions), call_(call) {}

  grpc::ServerUnaryReactor* SetSubscriptionStatus(
      grpc::CallbackServerContext* context, const v1::SetSubscriptionStatusRequest* request,
      v1::SetSubscriptionStatusResponse* response) override;

 private:
  SubscriptionActions* const actions_;
  const ActionCallContext call_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_SUBSCRIPTIONS_SERVICE_H_
