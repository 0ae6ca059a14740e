// The caller-security layer of every BrazeSync service.
#include "server/rpc/call_gate.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace brazesync {

absl::Time CallDeadline(const grpc::ServerContextBase& context) {
  const auto call_deadline = context.deadline();
  return call_deadline == std::chrono::system_clock::time_point::max()
             ? absl::InfiniteFuture()
             : absl::FromChrono(call_deadline);
}

std::string ClientMetadata(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

CallGate::CallGate(CallerAuthenticator* callers, const WorkspaceRegistry* workspaces,
                   Metrics* metrics, int max_items_per_request)
    : callers_(callers),
      workspaces_(workspaces),
      metrics_(metrics),
      max_items_per_request_(max_items_per_request) {}

absl::Status CallGate::Refuse(absl::string_view reason, absl::Status status) const {
  if (metrics_ != nullptr) metrics_->CountRejection(reason);
  return status;
}

absl::StatusOr<CallerPtr> CallGate::Authenticate(const grpc::ServerContextBase& context) const {
  if (callers_ == nullptr || !callers_->enabled()) return CallerPtr();
  absl::StatusOr<CallerPtr> caller =
      callers_->Authenticate(ClientMetadata(context, "authorization"));
  if (!caller.ok()) return Refuse("unauthenticated", caller.status());
  return caller;
}

absl::Status CallGate::TakeToken(const Caller& caller) const {
  absl::Status admitted = callers_->Admit(caller, absl::Now());
  return admitted.ok() ? admitted : Refuse("rate_limited", std::move(admitted));
}

absl::Status CallGate::Admit(const Caller* caller, Role role, const std::string& workspace) const {
  if (caller == nullptr) return absl::OkStatus();
  const WorkspaceSettings* resolved =
      workspace.empty() && workspaces_ != nullptr ? workspaces_->Find("") : nullptr;
  absl::Status allowed = CallerAuthenticator::Authorize(
      *caller, role, resolved != nullptr ? resolved->name : workspace);
  if (!allowed.ok()) return Refuse("permission_denied", std::move(allowed));
  return TakeToken(*caller);
}

absl::Status CallGate::AdmitEveryWorkspace(const Caller* caller, Role role) const {
  if (caller == nullptr) return absl::OkStatus();
  absl::Status allowed = CallerAuthenticator::AuthorizeAll(*caller, role);
  if (!allowed.ok()) return Refuse("permission_denied", std::move(allowed));
  return TakeToken(*caller);
}

absl::Status CallGate::AdmitSomeWorkspace(const Caller* caller, Role role) const {
  if (caller == nullptr) return absl::OkStatus();
  absl::Status allowed = CallerAuthenticator::AuthorizeAny(*caller, role);
  return allowed.ok() ? allowed : Refuse("permission_denied", std::move(allowed));
}

absl::StatusOr<CallerPtr> CallGate::Check(const grpc::ServerContextBase& context, Role role,
                                          const std::string& workspace) const {
  absl::StatusOr<CallerPtr> caller = Authenticate(context);
  if (!caller.ok()) return caller;
  if (absl::Status admitted = Admit(caller->get(), role, workspace); !admitted.ok()) {
    return admitted;
  }
  return caller;
}

absl::Status CallGate::Unparsable(absl::string_view message_type) const {
  return Refuse("malformed", absl::InvalidArgumentError(absl::StrCat(
                                 "the request is not a valid ", message_type,
                                 ": malformed protobuf, invalid UTF-8 in a string field, or "
                                 "nesting deeper than 100 levels")));
}

absl::Status CallGate::AdmitTrack(const Caller* caller, const v1::TrackRequest& request) const {
  if (absl::Status admitted = Admit(caller, Role::kTrack, request.workspace()); !admitted.ok()) {
    return admitted;
  }
  const int64_t items = static_cast<int64_t>(request.attributes_size()) + request.events_size() +
                        request.purchases_size();
  if (max_items_per_request_ > 0 && items > max_items_per_request_) {
    return Refuse("too_many_items",
                  absl::InvalidArgumentError(absl::StrCat(
                      "attributes|events|purchases: the request has ", items, " items (",
                      request.attributes_size(), " attributes, ", request.events_size(),
                      " events, ", request.purchases_size(), " purchases); at most ",
                      max_items_per_request_, " are allowed per request: split it")));
  }
  return absl::OkStatus();
}

}  // namespace brazesync
