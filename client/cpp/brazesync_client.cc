// The C++ client library for BrazeSync.
#include "client/cpp/brazesync_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"

namespace brazesync {
namespace {

constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// Prepares `context` for one call: its deadline, and the caller token.
void PrepareContext(grpc::ClientContext* context, absl::Duration timeout,
                    const std::string& token) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

// Makes one unary call with `timeout` as the deadline; errors go through
// FromGrpcStatus like Track's.
template <typename Response, typename Request, typename Stub, typename Method>
absl::StatusOr<Response> CallUnary(Stub& stub, Method method, const Request& request,
                                   absl::Duration timeout, const std::string& token) {
  grpc::ClientContext context;
  PrepareContext(&context, timeout, token);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::StatusOr<std::string> TokenFromEnvironment() {
  if (const char* token = std::getenv("BRAZESYNC_TOKEN"); token != nullptr && *token != '\0') {
    return std::string(token);
  }
  const char* file = std::getenv("BRAZESYNC_TOKEN_FILE");
  if (file == nullptr || *file == '\0') return std::string();
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token)) {
    return absl::NotFoundError(absl::StrCat("BRAZESYNC_TOKEN_FILE: cannot read \"", file, "\""));
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

BrazeSyncClient::BrazeSyncClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::BrazeSync::NewStub(channel)),
      lookup_stub_(v1::BrazeLookup::NewStub(channel)),
      identity_stub_(v1::BrazeIdentity::NewStub(channel)),
      messaging_stub_(v1::BrazeMessaging::NewStub(channel)),
      subscriptions_stub_(v1::BrazeSubscriptions::NewStub(channel)) {}

BrazeSyncClient BrazeSyncClient::Connect(const std::string& target) {
  return BrazeSyncClient(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

absl::StatusOr<v1::TrackResult> BrazeSyncClient::Track(const v1::TrackRequest& request,
                                                       absl::Duration timeout) {
  grpc::ClientContext context;
  PrepareContext(&context, timeout, token_);
  v1::TrackResult result;
  grpc::Status status = stub_->Track(&context, request, &result);
  if (!status.ok()) return FromGrpcStatus(status);
  return result;
}

absl::StatusOr<v1::LookupUsersResponse> BrazeSyncClient::LookupUsers(
    const v1::LookupUsersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::LookupUsersResponse>(*lookup_stub_, &v1::BrazeLookup::Stub::LookupUsers,
                                            request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::CreateAlias(
    const v1::CreateAliasRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(*identity_stub_, &v1::BrazeIdentity::Stub::CreateAlias,
                                         request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::IdentifyUsers(
    const v1::IdentifyUsersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(*identity_stub_, &v1::BrazeIdentity::Stub::IdentifyUsers,
                                         request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::MergeUsers(
    const v1::MergeUsersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(*identity_stub_, &v1::BrazeIdentity::Stub::MergeUsers,
                                         request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::DeleteUsers(
    const v1::DeleteUsersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(*identity_stub_, &v1::BrazeIdentity::Stub::DeleteUsers,
                                         request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::RenameExternalIds(
    const v1::RenameExternalIdsRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(
      *identity_stub_, &v1::BrazeIdentity::Stub::RenameExternalIds, request, timeout, token_);
}

absl::StatusOr<v1::IdentityResponse> BrazeSyncClient::RemoveExternalIds(
    const v1::RemoveExternalIdsRequest& request, absl::Duration timeout) {
  return CallUnary<v1::IdentityResponse>(
      *identity_stub_, &v1::BrazeIdentity::Stub::RemoveExternalIds, request, timeout, token_);
}

// Triggers go through CallUnary too, which makes exactly one attempt: a
// trigger that timed out may have been sent by Braze (see the header).
absl::StatusOr<v1::TriggerResponse> BrazeSyncClient::TriggerCanvas(
    const v1::TriggerCanvasRequest& request, absl::Duration timeout) {
  return CallUnary<v1::TriggerResponse>(*messaging_stub_, &v1::BrazeMessaging::Stub::TriggerCanvas,
                                        request, timeout, token_);
}

absl::StatusOr<v1::TriggerResponse> BrazeSyncClient::TriggerCampaign(
    const v1::TriggerCampaignRequest& request, absl::Duration timeout) {
  return CallUnary<v1::TriggerResponse>(
      *messaging_stub_, &v1::BrazeMessaging::Stub::TriggerCampaign, request, timeout, token_);
}

absl::StatusOr<v1::SetSubscriptionStatusResponse> BrazeSyncClient::SetSubscriptionStatus(
    const v1::SetSubscriptionStatusRequest& request, absl::Duration timeout) {
  return CallUnary<v1::SetSubscriptionStatusResponse>(
      *subscriptions_stub_, &v1::BrazeSubscriptions::Stub::SetSubscriptionStatus, request, timeout,
      token_);
}

bool AllActionsAccepted(const google::protobuf::RepeatedPtrField<v1::ActionResult>& results) {
  if (results.empty()) return false;
  for (const v1::ActionResult& result : results) {
    switch (result.status()) {
      case v1::ACTION_STATUS_ACCEPTED:
      case v1::ACTION_STATUS_APPLIED:
      case v1::ACTION_STATUS_VALID:
      case v1::ACTION_STATUS_DUPLICATE:
        break;
      default:
        return false;
    }
  }
  return true;
}

const v1::ExportedUser* FoundUser(const v1::LookupUsersResponse& response,
                                  const v1::LookupResult& result) {
  if (result.outcome() != v1::LOOKUP_OUTCOME_FOUND &&
      result.outcome() != v1::LOOKUP_OUTCOME_AMBIGUOUS) {
    return nullptr;
  }
  if (result.user_indexes().empty()) return nullptr;
  const int index = result.user_indexes(0);
  if (index < 0 || index >= response.users_size()) return nullptr;
  return &response.users(index);
}

AdminClient::AdminClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::BrazeSyncAdmin::NewStub(std::move(channel))) {}

AdminClient AdminClient::Connect(const std::string& target) {
  return AdminClient(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

AdminClient AdminClient::Connect(const std::string& target, int max_receive_message_bytes) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(max_receive_message_bytes);
  return AdminClient(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments));
}

absl::StatusOr<v1::ItemState> AdminClient::GetItemStatus(const v1::GetItemStatusRequest& request,
                                                         absl::Duration timeout) {
  return CallUnary<v1::ItemState>(*stub_, &v1::BrazeSyncAdmin::Stub::GetItemStatus, request,
                                  timeout, token_);
}

absl::StatusOr<v1::ListDeadLettersResponse> AdminClient::ListDeadLetters(
    const v1::ListDeadLettersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::ListDeadLettersResponse>(*stub_, &v1::BrazeSyncAdmin::Stub::ListDeadLetters,
                                                request, timeout, token_);
}

absl::StatusOr<v1::DeadLetter> AdminClient::GetDeadLetter(const v1::GetDeadLetterRequest& request,
                                                          absl::Duration timeout) {
  return CallUnary<v1::DeadLetter>(*stub_, &v1::BrazeSyncAdmin::Stub::GetDeadLetter, request,
                                   timeout, token_);
}

absl::StatusOr<v1::ReplayDeadLettersResponse> AdminClient::ReplayDeadLetters(
    const v1::ReplayDeadLettersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::ReplayDeadLettersResponse>(
      *stub_, &v1::BrazeSyncAdmin::Stub::ReplayDeadLetters, request, timeout, token_);
}

absl::StatusOr<v1::PurgeDeadLettersResponse> AdminClient::PurgeDeadLetters(
    const v1::PurgeDeadLettersRequest& request, absl::Duration timeout) {
  return CallUnary<v1::PurgeDeadLettersResponse>(
      *stub_, &v1::BrazeSyncAdmin::Stub::PurgeDeadLetters, request, timeout, token_);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      converted.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return converted;
}

std::vector<google::rpc::BadRequest::FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<google::rpc::BadRequest::FieldViolation> violations;
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestTypeUrl);
  google::rpc::BadRequest bad_request;
  if (payload.has_value() && bad_request.ParseFromString(std::string(*payload))) {
    violations.assign(bad_request.field_violations().begin(), bad_request.field_violations().end());
  }
  return violations;
}

}  // namespace brazesync
