// The C++ client library for BrazeSync: typed wrappers over the generated
// stubs (BrazeSync for Track, BrazeLookup for LookupUsers, BrazeIdentity,
// BrazeMessaging and BrazeSubscriptions for the Braze actions, BrazeSyncAdmin
// for item status and dead letters) that apply a deadline and return
// absl::Status carrying the server's rich error details (field violations) as
// payloads.
#ifndef BRAZESYNC_CLIENT_CPP_BRAZESYNC_CLIENT_H_
#define BRAZESYNC_CLIENT_CPP_BRAZESYNC_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/admin.grpc.pb.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "brazesync/v1/identity.grpc.pb.h"
#include "brazesync/v1/lookup.grpc.pb.h"
#include "brazesync/v1/messaging.grpc.pb.h"
#include "brazesync/v1/subscriptions.grpc.pb.h"
#include "google/rpc/error_details.pb.h"

namespace brazesync {

// The caller token for a server that configures callers, from the
// environment: $BRAZESYNC_TOKEN, else the first line of the file named by
// $BRAZESYNC_TOKEN_FILE; "" when neither is set (a server without callers
// needs none). Never from a flag: command lines are visible to every user of
// the machine. NOT_FOUND when the file cannot be read.
absl::StatusOr<std::string> TokenFromEnvironment();

class BrazeSyncClient final {
 public:
  explicit BrazeSyncClient(std::shared_ptr<grpc::Channel> channel);
  // An insecure channel to `target` ("host:port").
  static BrazeSyncClient Connect(const std::string& target);

  // Sent as `authorization: Bearer <token>` with every call; "" sends none.
  void set_token(std::string token) { token_ = std::move(token); }

  // Calls Track with `timeout` as the deadline. A non-OK status keeps the
  // gRPC code and message; its BadRequest details (if any) are available
  // through FieldViolations().
  absl::StatusOr<v1::TrackResult> Track(const v1::TrackRequest& request,
                                        absl::Duration timeout = absl::Seconds(30));

  // Calls BrazeLookup.LookupUsers (same channel and token) with `timeout` as
  // the gRPC deadline. The request's max_wait is the server's latency budget
  // for Braze; the earlier of the two bounds the call, so keep `timeout`
  // above max_wait. Errors are as for Track (INVALID_ARGUMENT with field
  // violations, NOT_FOUND workspace, FAILED_PRECONDITION, UNAUTHENTICATED,
  // PERMISSION_DENIED without the lookup role, RESOURCE_EXHAUSTED). Braze
  // being slow or down is never an error: each LookupResult's outcome says
  // FOUND, NOT_FOUND, AMBIGUOUS, DEFERRED or ERROR.
  absl::StatusOr<v1::LookupUsersResponse> LookupUsers(const v1::LookupUsersRequest& request,
                                                      absl::Duration timeout = absl::Seconds(30));

  // The Braze actions (identity.proto, messaging.proto, subscriptions.proto;
  // docs/actions.md), on the same channel and token, each with `timeout` as
  // the gRPC deadline. Like every method of this client they make exactly one
  // attempt: the client never retries (only gRPC's transparent retry of a
  // call that never left the client applies). Errors as for Track:
  // INVALID_ARGUMENT with field violations (an invalid item without
  // allow_partial, or no item), NOT_FOUND workspace, FAILED_PRECONDITION
  // (Braze refused the workspace's key), UNAUTHENTICATED, PERMISSION_DENIED
  // without the service's role (CallerConfig.identity_workspaces,
  // messaging_workspaces, subscription_workspaces), RESOURCE_EXHAUSTED.
  // Braze being slow, throttled or down is never an rpc error: each
  // ActionResult says ACCEPTED, APPLIED, REJECTED_*, FAILED (with
  // `retryable`) or DEFERRED (with `retry_after`). ACCEPTED means Braze took
  // the item, not that its effect is visible yet (see the warnings).

  // BrazeIdentity: POST /users/alias/new, /users/identify, /users/merge,
  // /users/delete (needs confirm_irreversible), /users/external_ids/rename
  // and /remove. Sending one of these again has no further effect, so a
  // caller may resend one that failed with UNAVAILABLE or DEADLINE_EXCEEDED.
  absl::StatusOr<v1::IdentityResponse> CreateAlias(const v1::CreateAliasRequest& request,
                                                   absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::IdentityResponse> IdentifyUsers(const v1::IdentifyUsersRequest& request,
                                                     absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::IdentityResponse> MergeUsers(const v1::MergeUsersRequest& request,
                                                  absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::IdentityResponse> DeleteUsers(const v1::DeleteUsersRequest& request,
                                                   absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::IdentityResponse> RenameExternalIds(
      const v1::RenameExternalIdsRequest& request, absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::IdentityResponse> RemoveExternalIds(
      const v1::RemoveExternalIdsRequest& request, absl::Duration timeout = absl::Seconds(30));

  // BrazeMessaging: POST /canvas/trigger/send and /campaigns/trigger/send.
  // A trigger is NOT idempotent: Braze sends a message per call. The client
  // never retries it, and callers must not resend blindly either: after
  // DEADLINE_EXCEEDED, UNAVAILABLE or CANCELLED the request may have reached
  // the server and Braze may have sent (resending can message the user
  // twice). The server retries only what Braze refused before doing
  // anything; a recipient that comes back FAILED with `retryable` false may
  // have been sent to. Give the deadline room for Braze's answer.
  absl::StatusOr<v1::TriggerResponse> TriggerCanvas(const v1::TriggerCanvasRequest& request,
                                                    absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::TriggerResponse> TriggerCampaign(const v1::TriggerCampaignRequest& request,
                                                      absl::Duration timeout = absl::Seconds(30));

  // BrazeSubscriptions: POST /v2/subscription/status/set. Setting the same
  // state again is harmless, so a failed call may be resent.
  absl::StatusOr<v1::SetSubscriptionStatusResponse> SetSubscriptionStatus(
      const v1::SetSubscriptionStatusRequest& request, absl::Duration timeout = absl::Seconds(30));

 private:
  std::unique_ptr<v1::BrazeSync::Stub> stub_;
  std::unique_ptr<v1::BrazeLookup::Stub> lookup_stub_;
  std::unique_ptr<v1::BrazeIdentity::Stub> identity_stub_;
  std::unique_ptr<v1::BrazeMessaging::Stub> messaging_stub_;
  std::unique_ptr<v1::BrazeSubscriptions::Stub> subscriptions_stub_;
  std::string token_;
};

// Operator calls of brazesync.v1.BrazeSyncAdmin (see admin.proto for each
// rpc's errors). A server without a data directory answers every call with
// FAILED_PRECONDITION.
class AdminClient final {
 public:
  explicit AdminClient(std::shared_ptr<grpc::Channel> channel);
  // An insecure channel to `target` ("host:port") with gRPC's default 4 MiB
  // limit on answers: enough for every rpc but GetDeadLetter of a letter
  // whose Braze JSON is near or over 4 MiB.
  static AdminClient Connect(const std::string& target);
  // The same with answers of up to `max_receive_message_bytes` (-1: no
  // limit), e.g. to read a large dead letter with GetDeadLetter.
  static AdminClient Connect(const std::string& target, int max_receive_message_bytes);

  // Sent as `authorization: Bearer <token>` with every call; "" sends none.
  // The server asks for the admin role in the workspace a call acts on.
  void set_token(std::string token) { token_ = std::move(token); }

  absl::StatusOr<v1::ItemState> GetItemStatus(const v1::GetItemStatusRequest& request,
                                              absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const v1::ListDeadLettersRequest& request, absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::DeadLetter> GetDeadLetter(const v1::GetDeadLetterRequest& request,
                                               absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::ReplayDeadLettersResponse> ReplayDeadLetters(
      const v1::ReplayDeadLettersRequest& request, absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<v1::PurgeDeadLettersResponse> PurgeDeadLetters(
      const v1::PurgeDeadLettersRequest& request, absl::Duration timeout = absl::Seconds(30));

 private:
  std::unique_ptr<v1::BrazeSyncAdmin::Stub> stub_;
  std::string token_;
};

// The user a LookupResult found (FOUND: its only user; AMBIGUOUS: the first
// of them), or nullptr (NOT_FOUND, DEFERRED, ERROR, or an index out of range).
const v1::ExportedUser* FoundUser(const v1::LookupUsersResponse& response,
                                  const v1::LookupResult& result);

// Whether every result of an action response (IdentityResponse,
// TriggerResponse, SetSubscriptionStatusResponse) went through: ACCEPTED,
// APPLIED, VALID (validate_only) or DUPLICATE (a trigger recipient listed
// again later, sent once). False when any is REJECTED_INVALID,
// REJECTED_BY_BRAZE, FAILED or DEFERRED, or when there is no result.
bool AllActionsAccepted(const google::protobuf::RepeatedPtrField<v1::ActionResult>& results);

// Converts a grpc::Status to absl::Status, copying the details of the
// `grpc-status-details-bin` google.rpc.Status as payloads keyed by type URL.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The field violations carried by a status from this client.
std::vector<google::rpc::BadRequest::FieldViolation> FieldViolations(const absl::Status& status);

}  // namespace brazesync

#endif  // BRAZESYNC_CLIENT_CPP_BRAZESYNC_CLIENT_H_
