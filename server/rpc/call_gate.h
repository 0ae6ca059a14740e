// The caller-security layer of every BrazeSync service: each rpc of every
// service (BrazeSync, BrazeSyncAdmin and any added later) passes through one
// CallGate before it does anything else. The gate authenticates the caller's
// `authorization: Bearer <token>` metadata (UNAUTHENTICATED), checks that the
// caller holds the role the service requires in the workspace the request
// acts on (PERMISSION_DENIED), and takes one token from the caller's rate
// bucket, which every service shares (RESOURCE_EXHAUSTED). With no callers
// configured, authentication is off and every rpc is open (the server warns).
// Health checks and reflection are not BrazeSync services and stay open.
//
// Why a shared object and not one of gRPC's own hooks (gRPC C++ 1.51):
//  - a server interceptor (grpc::experimental::Interceptor) can observe a
//    call but cannot end it with a status of its choosing (no Hijack on the
//    server side, grpc/grpc#24017), nor hand the authenticated caller to the
//    handler;
//  - an AuthMetadataProcessor runs only on secure credentials (the plaintext
//    listener of the quick start would have no checks) and does not know the
//    rpc's workspace, which lives in the request message.
// So every adapter calls the gate first; tests/integration/caller_roles_e2e_test
// walks every rpc of every brazesync.v1 service found in the descriptor pool
// against {no token, wrong token, track-only, admin} callers, so an rpc that
// skips the gate, or a service whose role nobody declared, fails the suite.
#ifndef BRAZESYNC_SERVER_RPC_CALL_GATE_H_
#define BRAZESYNC_SERVER_RPC_CALL_GATE_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/config/workspace.h"
#include "server/ops/metrics.h"
#include "server/security/caller_auth.h"

namespace brazesync {

// The value of client metadata `key` ("" when absent).
std::string ClientMetadata(const grpc::ServerContextBase& context, absl::string_view key);

// The call's own deadline (infinite when the caller set none).
absl::Time CallDeadline(const grpc::ServerContextBase& context);

// A caller that passed authentication; null when authentication is off.
using CallerPtr = std::shared_ptr<const Caller>;

class CallGate final {
 public:
  // Each pointer may be null and must outlive the gate: no `callers` (or none
  // configured) turns authentication off; no `metrics` skips rejection counts.
  // `max_items_per_request` caps TrackRequest items (0 = no cap).
  CallGate(CallerAuthenticator* callers, const WorkspaceRegistry* workspaces, Metrics* metrics,
           int max_items_per_request);

  // Who is calling: UNAUTHENTICATED without a valid token.
  absl::StatusOr<CallerPtr> Authenticate(const grpc::ServerContextBase& context) const;

  // One request of an authenticated call: `caller` must hold `role` in
  // `workspace` ("" = the default workspace) and be within its rate.
  absl::Status Admit(const Caller* caller, Role role, const std::string& workspace) const;
  // Same for a request that names no workspace and acts on all of them
  // (admin listings, replays and purges): the role must cover "*".
  absl::Status AdmitEveryWorkspace(const Caller* caller, Role role) const;
  // Before the workspace is known (at the start of a stream, before a dead
  // letter is read): PERMISSION_DENIED unless `caller` holds `role` in some
  // workspace. Takes no token: the Admit that follows does.
  absl::Status AdmitSomeWorkspace(const Caller* caller, Role role) const;

  // Authenticate, then Admit: the whole gate for a unary rpc.
  absl::StatusOr<CallerPtr> Check(const grpc::ServerContextBase& context, Role role,
                                  const std::string& workspace) const;

  // INVALID_ARGUMENT for a request that is not a valid `message_type`.
  absl::Status Unparsable(absl::string_view message_type) const;

  // A TrackRequest: Admit for the track role in its workspace, then the item
  // cap (INVALID_ARGUMENT naming the counts).
  absl::Status AdmitTrack(const Caller* caller, const v1::TrackRequest& request) const;

 private:
  // Counts a refusal in metrics and passes `status` on.
  absl::Status Refuse(absl::string_view reason, absl::Status status) const;
  absl::Status TakeToken(const Caller& caller) const;

  CallerAuthenticator* const callers_;
  const WorkspaceRegistry* const workspaces_;
  Metrics* const metrics_;
  const int max_items_per_request_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_CALL_GATE_H_
