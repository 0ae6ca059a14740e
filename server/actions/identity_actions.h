// The BrazeIdentity use case, gRPC-free (docs/actions.md): for each rpc,
// resolve the workspace, validate every item (field paths), split the valid
// ones into Braze calls of 50, send them through the identity pools, and
// answer one ActionResult per item saying honestly what Braze did:
// ACCEPTED with warnings where Braze only queues or may have done nothing,
// APPLIED where its answer confirms the effect, REJECTED_BY_BRAZE for its
// per-item errors. Merges that depend on each other go in separate calls,
// in the request's order. Every change reaches BrazeLookup: the users
// involved are dropped from its cache, deleted ones are tombstoned and
// their recent writes forgotten. The error contract is on the service in
// protos/brazesync/v1/identity.proto.
#ifndef BRAZESYNC_SERVER_ACTIONS_IDENTITY_ACTIONS_H_
#define BRAZESYNC_SERVER_ACTIONS_IDENTITY_ACTIONS_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/identity.pb.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"
#include "server/durability/recent_writes.h"
#include "server/lookup/user_lookup.h"

namespace brazesync {

class IdentityActions final {
 public:
  // Receives the call's status and, when OK, its response.
  using Done = absl::AnyInvocable<void(absl::Status, v1::IdentityResponse) &&>;

  // All must outlive the use case; `lookup` and `writes` may be null (no
  // lookups to keep coherent).
  IdentityActions(const WorkspaceRegistry* workspaces, ActionDispatcher* dispatcher,
                  UserLookup* lookup, RecentWrites* writes);

  // Each calls `done` exactly once: at once for invalid requests and
  // validate_only, else when every Braze call has finished (never after
  // `deadline`: calls still without a token then are DEFERRED).
  void CreateAlias(const v1::CreateAliasRequest& request, absl::Time deadline, Done done);
  void IdentifyUsers(const v1::IdentifyUsersRequest& request, absl::Time deadline, Done done);
  void MergeUsers(const v1::MergeUsersRequest& request, absl::Time deadline, Done done);
  void DeleteUsers(const v1::DeleteUsersRequest& request, absl::Time deadline, Done done);
  void RenameExternalIds(const v1::RenameExternalIdsRequest& request, absl::Time deadline,
                         Done done);
  void RemoveExternalIds(const v1::RemoveExternalIdsRequest& request, absl::Time deadline,
                         Done done);

 private:
  // The workspace named `name`, or NOT_FOUND.
  absl::StatusOr<const WorkspaceSettings*> Resolve(const std::string& name) const;
  // Drops the cached lookups of `user_keys` (UserKey form).
  void ForgetUsers(const std::string& workspace, const std::vector<std::string>& user_keys);

  const WorkspaceRegistry* const workspaces_;
  ActionDispatcher* const dispatcher_;
  UserLookup* const lookup_;
  RecentWrites* const writes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_ACTIONS_IDENTITY_ACTIONS_H_
