// The Track use case, gRPC-free: resolve the workspace, validate every item,
// convert the valid ones to Braze JSON, pack them into as few /users/track
// requests as Braze's caps allow, deliver them, and account for every input
// item in the TrackResult. The error contract is documented on the rpc in
// protos/brazesync/v1/brazesync.proto.
#ifndef BRAZESYNC_SERVER_TRACKER_H_
#define BRAZESYNC_SERVER_TRACKER_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/braze_client.h"
#include "server/workspace.h"

namespace brazesync {

class Tracker final {
 public:
  // Both must outlive the tracker.
  Tracker(const WorkspaceRegistry* workspaces, BrazeClient* braze);
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Fills `result` when OK. `deadline` bounds all delivery work.
  absl::Status Track(const v1::TrackRequest& request, absl::Time deadline,
                     v1::TrackResult* result);

 private:
  const WorkspaceRegistry* const workspaces_;
  BrazeClient* const braze_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_TRACKER_H_
