// The BrazeSubscriptions use case, gRPC-free (docs/actions.md): resolve the
// workspace, validate, put phones in E.164, split each entry into Braze's
// limits (at most 50 ids of one kind per group entry; emails and phones
// never in the same call), send the calls one after another in the
// request's order (two changes of the same user and group must not race:
// Braze warns they can end out of sync) through the subscription pool, and
// answer one ActionResult per entry with the warnings Braze's semantics
// call for (an email or phone updates every profile holding it; double
// opt-in needs an existing profile).
#ifndef BRAZESYNC_SERVER_ACTIONS_SUBSCRIPTION_ACTIONS_H_
#define BRAZESYNC_SERVER_ACTIONS_SUBSCRIPTION_ACTIONS_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/subscriptions.pb.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"

namespace brazesync {

class SubscriptionActions final {
 public:
  using Done = absl::AnyInvocable<void(absl::Status, v1::SetSubscriptionStatusResponse) &&>;

  // Both must outlive the use case.
  SubscriptionActions(const WorkspaceRegistry* workspaces, ActionDispatcher* dispatcher);

  // Calls `done` exactly once (see IdentityActions).
  void SetSubscriptionStatus(const v1::SetSubscriptionStatusRequest& request, absl::Time deadline,
                             Done done);

 private:
  const WorkspaceRegistry* const workspaces_;
  ActionDispatcher* const dispatcher_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_ACTIONS_SUBSCRIPTION_ACTIONS_H_
