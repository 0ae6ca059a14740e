// One access-log line and the call metrics for every finished rpc (and for
// every TrackStream message): method, request id, caller, workspace, gRPC
// code, latency, item counts and outcomes. gRPC-free: the rpc adapters hand
// it absl::Status values. Successful Track calls log at debug (at tens of
// thousands of calls per second a line each would cost more CPU than the call
// itself); admin rpcs log at info whatever their outcome, as an audit trail
// of who read, replayed or purged what; failures log at info (the caller's
// fault) or warning (BrazeSync's or Braze's).
#ifndef BRAZESYNC_SERVER_OPS_CALL_LOG_H_
#define BRAZESYNC_SERVER_OPS_CALL_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/braze/item_kind.h"
#include "server/config/workspace.h"
#include "server/ops/logging.h"
#include "server/ops/metrics.h"
#include "server/security/caller_auth.h"

namespace brazesync {

// "INVALID_ARGUMENT" etc.: the gRPC code name used in logs and metrics.
std::string CodeName(absl::StatusCode code);

class CallLog final {
 public:
  // Each may be null (that record is then skipped) and must outlive the log.
  // `workspaces` names the default workspace when a request names none.
  CallLog(Metrics* metrics, JsonLogger* logger, const WorkspaceRegistry* workspaces);

  // One Track call or TrackStream message; `result` is null unless `status`
  // is OK. `caller` is null when authentication is off or failed.
  void RecordTrack(absl::string_view method, const std::string& request_id, const Caller* caller,
                   const std::string& workspace, const PerKind<int>& counts,
                   const absl::Status& status, const v1::TrackResult* result,
                   absl::Time started) const;

  // Any other rpc (the admin service): the call metric and an audit line.
  // `workspace` is what the request acted on ("*" for every workspace).
  void RecordCall(absl::string_view method, const std::string& request_id, const Caller* caller,
                  const std::string& workspace, const absl::Status& status,
                  absl::Time started) const;

 private:
  std::string WorkspaceName(const std::string& workspace) const;

  Metrics* const metrics_;
  JsonLogger* const logger_;
  const WorkspaceRegistry* const workspaces_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_OPS_CALL_LOG_H_
