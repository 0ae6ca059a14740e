// The LookupUsers use case, gRPC-free (docs/lookup.md): resolve the
// workspace, validate, answer each identifier from the workspace's cache
// when the caller's cache policy and max_age allow, ask Braze for the rest
// through the export dispatcher (packed, shared, within the export budget),
// and answer when every identifier is answered or the caller's latency
// budget (max_wait, bounded by the call's deadline) runs out: then from
// cached data within max_stale, else LOOKUP_OUTCOME_DEFERRED. Braze failing
// is per identifier (ERROR), except a refused key (FAILED_PRECONDITION for
// the call). The error contract is on the rpc in
// protos/brazesync/v1/lookup.proto.
#ifndef BRAZESYNC_SERVER_LOOKUP_USER_LOOKUP_H_
#define BRAZESYNC_SERVER_LOOKUP_USER_LOOKUP_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/lookup.pb.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_budget.h"
#include "server/durability/recent_writes.h"
#include "server/http/http_client.h"
#include "server/lookup/export_dispatcher.h"
#include "server/lookup/lookup_cache.h"
#include "server/lookup/timer_queue.h"

namespace brazesync {

class UserLookup final {
 public:
  // Receives the call's status and, when OK, its response.
  using Done = absl::AnyInvocable<void(absl::Status, v1::LookupUsersResponse) &&>;

  // All must outlive the use case. `writes` may be null (no read-your-writes);
  // otherwise each workspace's cache subscribes to it. `budgets` makes the
  // export budgets (null: one local token bucket per workspace).
  UserLookup(const WorkspaceRegistry* workspaces, HttpClient* http, const ApiKeySource* keys,
             RecentWrites* writes, const RateBudgetFactory& budgets);
  ~UserLookup();
  UserLookup(const UserLookup&) = delete;
  UserLookup& operator=(const UserLookup&) = delete;

  // Calls `done` exactly once: at once for invalid requests and cache
  // answers, otherwise when every identifier is answered or by max_wait
  // (never after `deadline`).
  void Lookup(const v1::LookupUsersRequest& request, absl::Time deadline, Done done);

  // Answers every waiting lookup and sends nothing more.
  void Shutdown();

  // BrazeSync changed who the users behind `user_keys` (UserKey form) of
  // `workspace` are (alias, identify, merge, rename): their cached answers
  // are dropped, so the next lookup asks Braze.
  void ForgetUsers(const std::string& workspace, const std::vector<std::string>& user_keys);
  // BrazeSync deleted the users behind `user_keys` at `now`: lookups answer
  // NOT_FOUND for them until `until` (LookupCache::Tombstone).
  void MarkDeleted(const std::string& workspace, const std::vector<std::string>& user_keys,
                   absl::Time now, absl::Time until);

 private:
  struct Pending;

  // Answers the identifiers still open in `pending` at the end of its
  // latency budget.
  void Expire(const std::shared_ptr<Pending>& pending);

  const WorkspaceRegistry* const workspaces_;
  // Destroyed in reverse: the timers first answer every lookup still
  // waiting (the dispatcher and caches are alive for that), then the
  // dispatcher fails the fetches it still holds.
  absl::flat_hash_map<std::string, std::unique_ptr<LookupCache>> caches_;
  ExportDispatcher dispatcher_;
  TimerQueue timers_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_LOOKUP_USER_LOOKUP_H_
