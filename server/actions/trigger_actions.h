// The BrazeMessaging use case, gRPC-free (docs/actions.md): resolve the
// workspace, validate (recipient attributes by Track's own validator),
// collapse recipients listed twice to the last entry (Braze sends one
// message with the last entry's properties, and would send two if the
// entries went in different calls), convert the attributes with Track's
// converter, send calls of at most 50 recipients through the trigger pools
// (broadcasts through the broadcast and per-audience pools), and answer one
// ActionResult per recipient: ACCEPTED, with CANVAS_NOT_ACTIVE when Braze's
// notice says nothing was sent, and RECIPIENT_EXISTENCE_NOT_CHECKED unless
// the recipient may be created. Attributes Braze accepted are recorded as
// BrazeSync's own writes, so lookups see them at once.
#ifndef BRAZESYNC_SERVER_ACTIONS_TRIGGER_ACTIONS_H_
#define BRAZESYNC_SERVER_ACTIONS_TRIGGER_ACTIONS_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/messaging.pb.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"
#include "server/durability/recent_writes.h"

namespace brazesync {

class TriggerActions final {
 public:
  using Done = absl::AnyInvocable<void(absl::Status, v1::TriggerResponse) &&>;

  // All must outlive the use case; `writes` may be null (no read-your-writes).
  TriggerActions(const WorkspaceRegistry* workspaces, ActionDispatcher* dispatcher,
                 RecentWrites* writes);

  // Each calls `done` exactly once (see IdentityActions).
  void TriggerCanvas(const v1::TriggerCanvasRequest& request, absl::Time deadline, Done done);
  void TriggerCampaign(const v1::TriggerCampaignRequest& request, absl::Time deadline, Done done);

 private:
  struct Trigger;
  // Resolves, validates and describes a Canvas or campaign trigger, then
  // Run()s it.
  template <typename Request>
  void Start(const Request& request, absl::Time deadline, Done done);
  void Run(Trigger trigger, absl::Time deadline, Done done);

  const WorkspaceRegistry* const workspaces_;
  ActionDispatcher* const dispatcher_;
  RecentWrites* const writes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_ACTIONS_TRIGGER_ACTIONS_H_
