// The Track use case, gRPC-free: resolve the workspace, validate every item,
// convert the valid ones to Braze JSON, hand them to the delivery engine
// (which coalesces them with other callers' items), and account for every
// input item in the TrackResult. The error contract is documented on the rpc
// in protos/brazesync/v1/brazesync.proto.
#ifndef BRAZESYNC_SERVER_TRACK_TRACKER_H_
#define BRAZESYNC_SERVER_TRACK_TRACKER_H_

#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/durability/outbox_store.h"
#include "server/durability/recent_writes.h"

namespace brazesync {

// server/validation/validator.h (not included here: its FieldViolations alias
// would clash with the client library's function in callers that use both).
struct ValidationLimits;

// The validator's per-workspace limits (array cap, request body cap) from the
// workspace's settings: the one place they are built.
ValidationLimits ValidationLimitsFor(const WorkspaceSettings& workspace);

// A request whose items passed validation (defined in tracker.cc).
struct ValidatedTrackRequest;

class Tracker final {
 public:
  // Receives the call's status and, when OK, its result.
  using Done = absl::AnyInvocable<void(absl::Status, v1::TrackResult) &&>;

  // All must outlive the tracker. `outbox` may be null (no data directory:
  // DELIVERY_MODE_ASYNC is then FAILED_PRECONDITION); `on_accepted` runs
  // after items were stored for asynchronous delivery. `recent_writes`, when
  // not null, records each item Braze delivered or the outbox stored, for
  // lookups' read-your-writes.
  Tracker(const WorkspaceRegistry* workspaces, DeliveryEngine* engine,
          OutboxStore* outbox = nullptr, std::function<void()> on_accepted = nullptr,
          RecentWrites* recent_writes = nullptr);
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Calls `done` exactly once: at once for invalid requests, validate_only and
  // back-pressure, otherwise when the engine has a verdict for every item
  // (or, for DELIVERY_MODE_ASYNC, when the outbox stored them). `deadline`
  // bounds all delivery work.
  void Track(const v1::TrackRequest& request, absl::Time deadline, Done done);

 private:
  // DELIVERY_MODE_ASYNC: store the valid items durably, then answer.
  void AcceptDurably(const std::string& workspace, ValidatedTrackRequest validated, Done done);
  // DELIVERY_MODE_SYNC: hand the valid items to the engine, answer with its
  // verdicts.
  void Deliver(const WorkspaceSettings& workspace, absl::Time deadline,
               ValidatedTrackRequest validated, Done done);

  const WorkspaceRegistry* const workspaces_;
  DeliveryEngine* const engine_;
  OutboxStore* const outbox_;
  const std::function<void()> on_accepted_;
  RecentWrites* const recent_writes_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_TRACK_TRACKER_H_
