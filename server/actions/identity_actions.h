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

#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/identity.pb.h"
#include "server/braze/action_endpoints.h"
#include "server/braze/json.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"
#include "server/durability/recent_writes.h"
#include "server/lookup/user_lookup.h"

namespace brazesync {

struct ActionResponseBody;  // server/braze/action_response.h
struct ActionViolations;    // server/validation/action_rules.h (not included here: its
                            // FieldViolations would clash with the C++ client's)

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
  // An rpc whose items are one array, each sent as one Braze array element
  // (CreateAlias, RenameExternalIds, RemoveExternalIds).
  struct OneArray {
    std::string workspace;
    std::string array;  // the request's and Braze's array name
    int count;
    const ActionViolations* verdict;
    bool validate_only;
    bool allow_partial;
    BrazeAction action;
    // Item i as Braze JSON.
    std::function<Json(int i)> item_json;
    // Fills the results of a call Braze answered 2xx (and the response's
    // totals).
    std::function<void(const ActionResponseBody& answer, const std::vector<int>& slots,
                       std::vector<v1::ActionResult>& results, v1::IdentityResponse& response)>
        read_answer;
    // The lookup keys item i changes.
    std::function<std::vector<std::string>(int i)> keys_of;
  };
  // Validate, chunk, preview or send, and read the answers of `rpc`.
  void SendOneArray(const OneArray& rpc, absl::Time deadline, Done done);
  // Drops the cached lookups of `user_keys` (UserKey form).
  void ForgetUsers(const std::string& workspace, const std::vector<std::string>& user_keys);

  const WorkspaceRegistry* const workspaces_;
  ActionDispatcher* const dispatcher_;
  UserLookup* const lookup_;
  RecentWrites* const writes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_ACTIONS_IDENTITY_ACTIONS_H_
