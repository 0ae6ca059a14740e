// The C++ client library for BrazeSync: typed wrappers over the generated
// stubs (BrazeSync for Track, BrazeLookup for LookupUsers, BrazeSyncAdmin for
// item status and dead letters) that apply a deadline and return absl::Status
// carrying the server's rich error details (field violations) as payloads.
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
#include "brazesync/v1/lookup.grpc.pb.h"
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

 private:
  std::unique_ptr<v1::BrazeSync::Stub> stub_;
  std::unique_ptr<v1::BrazeLookup::Stub> lookup_stub_;
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

// Converts a grpc::Status to absl::Status, copying the details of the
// `grpc-status-details-bin` google.rpc.Status as payloads keyed by type URL.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The field violations carried by a status from this client.
std::vector<google::rpc::BadRequest::FieldViolation> FieldViolations(const absl::Status& status);

}  // namespace brazesync

#endif  // BRAZESYNC_CLIENT_CPP_BRAZESYNC_CLIENT_H_
