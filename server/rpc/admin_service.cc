// The gRPC adapter for brazesync.v1.BrazeSyncAdmin.
#include "server/rpc/admin_service.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "server/durability/outbox_store.h"
#include "server/ops/logging.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {
namespace {

// --- Storage structs -> v1 messages, one function per message. ---

google::protobuf::Timestamp TimestampProto(absl::Time time) {
  // The store keeps milliseconds.
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(time));
}

v1::DeliveryState DeliveryStateProto(ItemIdState state) {
  switch (state) {
    case ItemIdState::kQueued:
      return v1::DELIVERY_STATE_QUEUED;
    case ItemIdState::kDelivered:
      return v1::DELIVERY_STATE_DELIVERED;
    case ItemIdState::kDeadLettered:
      return v1::DELIVERY_STATE_DEAD_LETTERED;
  }
  return v1::DELIVERY_STATE_UNSPECIFIED;  // a value a newer release stored
}

v1::ItemState ItemStateProto(const ItemStatus& status) {
  v1::ItemState proto;
  proto.set_workspace(status.workspace);
  proto.set_item_id(status.item_id);
  proto.set_state(DeliveryStateProto(status.state));
  *proto.mutable_accepted_at() = TimestampProto(status.accepted);
  *proto.mutable_updated_at() = TimestampProto(status.updated);
  proto.set_attempts(status.attempts);
  proto.set_reason(status.reason);
  proto.set_dead_letter_id(status.dead_letter_id);
  return proto;
}

v1::DeliveryAttempt DeliveryAttemptProto(const AttemptRecord& attempt) {
  v1::DeliveryAttempt proto;
  *proto.mutable_at() = TimestampProto(attempt.at);
  proto.set_outcome(attempt.outcome);
  return proto;
}

v1::DeadLetter DeadLetterProto(const DeadLetter& letter) {
  v1::DeadLetter proto;
  proto.set_id(letter.id);
  proto.set_workspace(letter.workspace);
  proto.set_kind(letter.kind);
  proto.set_item_id(letter.item_id);
  proto.set_reason(letter.reason);
  proto.set_braze_response(letter.braze_response);
  for (const AttemptRecord& attempt : letter.attempts) {
    *proto.add_attempts() = DeliveryAttemptProto(attempt);
  }
  *proto.mutable_accepted_at() = TimestampProto(letter.accepted);
  *proto.mutable_dead_lettered_at() = TimestampProto(letter.dead_lettered);
  proto.set_payload_version(letter.payload_version);
  proto.set_braze_json(letter.braze_json);
  proto.set_braze_json_omitted(letter.braze_json_omitted);
  proto.set_braze_json_bytes(letter.braze_json_bytes);
  return proto;
}

v1::ListDeadLettersResponse ListDeadLettersResponseProto(const DeadLetterPage& page) {
  v1::ListDeadLettersResponse proto;
  for (const DeadLetter& letter : page.letters) *proto.add_dead_letters() = DeadLetterProto(letter);
  proto.set_next_after_id(page.next_after_id);
  return proto;
}

v1::ReplayDeadLettersResponse ReplayDeadLettersResponseProto(const ReplayResult& result) {
  v1::ReplayDeadLettersResponse proto;
  proto.set_replayed(result.replayed);
  proto.set_skipped_delivered(result.skipped_delivered);
  return proto;
}

v1::PurgeDeadLettersResponse PurgeDeadLettersResponseProto(int purged) {
  v1::PurgeDeadLettersResponse proto;
  proto.set_purged(purged);
  return proto;
}

// --- Requests -> store arguments. ---

// The ids/all/workspace of a replay or purge request; INVALID_ARGUMENT
// unless exactly one of ids and all is given.
template <typename Request>
absl::StatusOr<DeadLetterSelection> SelectionOf(const Request& request) {
  if (request.ids_size() == 0 && !request.all()) {
    return absl::InvalidArgumentError("ids: give ids, or all: true");
  }
  if (request.ids_size() > 0 && request.all()) {
    return absl::InvalidArgumentError("ids: give ids or all: true, not both");
  }
  DeadLetterSelection selection;
  selection.ids.assign(request.ids().begin(), request.ids().end());
  selection.all = request.all();
  selection.workspace = request.workspace();
  return selection;
}

absl::Status NoOutbox() {
  return absl::FailedPreconditionError(
      "the server has no data directory (start it with --data_dir): there is no outbox");
}

// The store's answer mapped by `to_proto` into `response`, or its error.
template <typename Result, typename ToProto, typename Response>
absl::Status Answer(const absl::StatusOr<Result>& result, ToProto to_proto, Response* response) {
  if (!result.ok()) return result.status();
  *response = to_proto(*result);
  return absl::OkStatus();
}

}  // namespace

AdminService::AdminService(DeadLetterStore* store, const WorkspaceRegistry* workspaces,
                           const CallGate* gate, const CallLog* log)
    : store_(store), workspaces_(workspaces), gate_(gate), log_(log) {}

grpc::Status AdminService::Serve(const grpc::ServerContext& context, const char* method,
                                 Scope scope, const std::string& workspace,
                                 absl::FunctionRef<absl::Status(const Caller*)> body) {
  const absl::Time started = absl::Now();
  absl::StatusOr<CallerPtr> caller = gate_->Authenticate(context);
  absl::Status status = caller.status();
  if (status.ok()) {
    switch (scope) {
      case Scope::kWorkspace:
        status = gate_->Admit(caller->get(), Role::kAdmin, workspace);
        break;
      case Scope::kEveryWorkspace:
        status = gate_->AdmitEveryWorkspace(caller->get(), Role::kAdmin);
        break;
      case Scope::kFoundLater:
        status = gate_->AdmitSomeWorkspace(caller->get(), Role::kAdmin);
        break;
    }
  }
  if (status.ok()) status = body(caller->get());
  log_->RecordCall(method, RequestIdOr(ClientMetadata(context, "x-request-id")),
                   caller.ok() ? caller->get() : nullptr,
                   scope == Scope::kEveryWorkspace ? "*" : workspace, status, started);
  return ToGrpcStatus(status);
}

grpc::Status AdminService::GetItemStatus(grpc::ServerContext* context,
                                         const v1::GetItemStatusRequest* request,
                                         v1::ItemState* response) {
  return Serve(*context, "GetItemStatus", Scope::kWorkspace, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 if (request->item_id().empty()) {
                   return absl::InvalidArgumentError("item_id: required");
                 }
                 const WorkspaceSettings* workspace = workspaces_->Find(request->workspace());
                 if (workspace == nullptr) {
                   return absl::NotFoundError("workspace: no such workspace");
                 }
                 if (store_ == nullptr) return NoOutbox();
                 return Answer(store_->GetItemStatus(workspace->name, request->item_id()),
                               ItemStateProto, response);
               });
}

grpc::Status AdminService::ListDeadLetters(grpc::ServerContext* context,
                                           const v1::ListDeadLettersRequest* request,
                                           v1::ListDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(*context, "ListDeadLetters", scope, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 if (request->page_size() < 0) {
                   return absl::InvalidArgumentError("page_size: must be >= 0");
                 }
                 if (store_ == nullptr) return NoOutbox();
                 return Answer(store_->ListDeadLetters(request->workspace(), request->page_size(),
                                                       request->after_id()),
                               ListDeadLettersResponseProto, response);
               });
}

grpc::Status AdminService::GetDeadLetter(grpc::ServerContext* context,
                                         const v1::GetDeadLetterRequest* request,
                                         v1::DeadLetter* response) {
  return Serve(*context, "GetDeadLetter", Scope::kFoundLater, "",
               [&](const Caller* caller) -> absl::Status {
                 if (store_ == nullptr) return NoOutbox();
                 absl::StatusOr<DeadLetter> letter = store_->GetDeadLetter(request->id());
                 if (!letter.ok()) return letter.status();
                 // The role is checked in the letter's own workspace.
                 absl::Status admitted = gate_->Admit(caller, Role::kAdmin, letter->workspace);
                 if (!admitted.ok()) return admitted;
                 *response = DeadLetterProto(*letter);
                 return absl::OkStatus();
               });
}

grpc::Status AdminService::ReplayDeadLetters(grpc::ServerContext* context,
                                             const v1::ReplayDeadLettersRequest* request,
                                             v1::ReplayDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(*context, "ReplayDeadLetters", scope, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 absl::StatusOr<DeadLetterSelection> selection = SelectionOf(*request);
                 if (!selection.ok()) return selection.status();
                 if (store_ == nullptr) return NoOutbox();
                 return Answer(store_->ReplayDeadLetters(*selection),
                               ReplayDeadLettersResponseProto, response);
               });
}

grpc::Status AdminService::PurgeDeadLetters(grpc::ServerContext* context,
                                            const v1::PurgeDeadLettersRequest* request,
                                            v1::PurgeDeadLettersResponse* response) {
  const Scope scope = request->workspace().empty() ? Scope::kEveryWorkspace : Scope::kWorkspace;
  return Serve(*context, "PurgeDeadLetters", scope, request->workspace(),
               [&](const Caller*) -> absl::Status {
                 absl::StatusOr<DeadLetterSelection> selection = SelectionOf(*request);
                 if (!selection.ok()) return selection.status();
                 if (store_ == nullptr) return NoOutbox();
                 return Answer(store_->PurgeDeadLetters(*selection), PurgeDeadLettersResponseProto,
                               response);
               });
}

}  // namespace brazesync
