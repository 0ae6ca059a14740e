// The gRPC adapter for brazesync.v1.BrazeSync.
#include "server/rpc/brazesync_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/status.pb.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {
namespace {

// Requests a stream may have waiting for Braze before it stops reading.
constexpr size_t kMaxStreamRequestsInFlight = 64;

// The google.rpc.Status a unary Track would have sent for `status`.
google::rpc::Status ToRpcStatus(const absl::Status& status) {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(grpc_status.error_details())) {
    rpc_status.set_code(static_cast<int>(status.code()));
    rpc_status.set_message(grpc_status.error_message());
  }
  return rpc_status;
}

// The value of metadata `key`, or "".
std::string Metadata(const grpc::CallbackServerContext& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// "INVALID_ARGUMENT" etc.: the gRPC code name used in logs and metrics.
std::string CodeName(absl::StatusCode code) {
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

const char* KindName(v1::ItemKind kind) {
  switch (kind) {
    case v1::ITEM_KIND_ATTRIBUTES:
      return "attributes";
    case v1::ITEM_KIND_EVENT:
      return "events";
    case v1::ITEM_KIND_PURCHASE:
      return "purchases";
    default:
      return "unspecified";
  }
}

// ITEM_STATUS_DELIVERED -> "delivered". Computed once per status: this runs
// for every item of every call.
const std::string& OutcomeName(v1::ItemStatus status) {
  static const auto* const kNames = [] {
    auto* names = new absl::flat_hash_map<int, std::string>();
    const google::protobuf::EnumDescriptor* statuses = v1::ItemStatus_descriptor();
    for (int i = 0; i < statuses->value_count(); ++i) {
      std::string name = statuses->value(i)->name();
      if (name.rfind("ITEM_STATUS_", 0) == 0) name = name.substr(12);
      (*names)[statuses->value(i)->number()] = absl::AsciiStrToLower(name);
    }
    return names;
  }();
  static const auto* const kUnknown = new std::string("unknown");
  auto it = kNames->find(status);
  return it == kNames->end() ? *kUnknown : it->second;
}

// Attributes, events and purchases in `request`.
ItemCountsByKind ItemCounts(const v1::TrackRequest& request) {
  return {request.attributes_size(), request.events_size(), request.purchases_size()};
}

// A reactor that only reports `status` (a stream refused at its start).
class RefusedStream final : public grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult> {
 public:
  explicit RefusedStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

// One TrackStream call. Reads requests, tracks each, and writes results in
// request order. Lives until both gRPC is done with it (OnDone) and every
// Track it started has called back.
class TrackStreamReactor final : public grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult> {
 public:
  // Each request gets min(stream deadline, now + per_request_deadline).
  TrackStreamReactor(const BrazeSyncService* service, Tracker* tracker,
                     std::shared_ptr<const Caller> caller, std::string stream_id,
                     absl::Time stream_deadline, absl::Duration per_request_deadline)
      : service_(service),
        tracker_(tracker),
        caller_(std::move(caller)),
        stream_id_(std::move(stream_id)),
        stream_deadline_(stream_deadline),
        per_request_deadline_(per_request_deadline) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeWriteOrFinishLocked();
      return;
    }
    auto slot = std::make_shared<Slot>();
    {
      absl::MutexLock lock(&mu_);
      slots_.push_back(slot);
      ++tracks_pending_;
    }
    const absl::Time started = absl::Now();
    const absl::Time deadline = std::min(stream_deadline_, started + per_request_deadline_);
    const std::string request_id = request_.request_id().empty()
                                       ? absl::StrCat(stream_id_, "/", ++messages_)
                                       : RequestIdOr(request_.request_id());
    // What the log and metrics need (not the items), kept until the result.
    auto done = [this, slot, started, request_id, echoed_id = request_.request_id(),
                 workspace = request_.workspace(),
                 counts = ItemCounts(request_)](absl::Status status, v1::TrackResult result) {
      service_->Record("TrackStream", request_id, caller_.get(), workspace, counts, status,
                       status.ok() ? &result : nullptr, started);
      if (!status.ok()) {
        *result.mutable_error() = ToRpcStatus(status);
        result.set_request_id(echoed_id);
      }
      bool delete_now;
      {
        absl::MutexLock lock(&mu_);
        slot->result = std::move(result);
        slot->ready = true;
        --tracks_pending_;
        MaybeWriteOrFinishLocked();
        delete_now = done_ && tracks_pending_ == 0;
      }
      if (delete_now) delete this;
    };
    absl::Status admitted = service_->Admit(caller_.get(), request_);
    if (admitted.ok()) {
      tracker_->Track(request_, deadline, std::move(done));
    } else {
      done(std::move(admitted), v1::TrackResult());
    }
    // Only now, with request_ no longer in use, may the next read (here, or
    // from OnWriteDone when paused) overwrite it.
    bool read_more;
    {
      absl::MutexLock lock(&mu_);
      read_more = slots_.size() < kMaxStreamRequestsInFlight;
      read_paused_ = !read_more;
    }
    if (read_more) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    bool resume_reading = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      slots_.pop_front();
      if (!ok) {
        broken_ = true;
      } else if (read_paused_ && !reads_done_) {
        read_paused_ = false;
        resume_reading = true;
      }
      MaybeWriteOrFinishLocked();
    }
    if (resume_reading) StartRead(&request_);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    broken_ = true;
    MaybeWriteOrFinishLocked();
  }

  void OnDone() override {
    bool delete_now;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      delete_now = tracks_pending_ == 0;
    }
    if (delete_now) delete this;
  }

 private:
  struct Slot {
    bool ready = false;
    v1::TrackResult result;
  };

  void MaybeWriteOrFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (broken_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "TrackStream cancelled"));
      return;
    }
    if (!slots_.empty() && slots_.front()->ready) {
      writing_ = true;
      StartWrite(&slots_.front()->result);
      return;
    }
    if (reads_done_ && slots_.empty()) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  const BrazeSyncService* const service_;
  Tracker* const tracker_;
  const std::shared_ptr<const Caller> caller_;
  const std::string stream_id_;
  int messages_ = 0;  // read path only
  const absl::Time stream_deadline_;
  const absl::Duration per_request_deadline_;
  v1::TrackRequest request_;  // owned by the read path: one read at a time
  absl::Mutex mu_;
  std::deque<std::shared_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  int tracks_pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

BrazeSyncService::BrazeSyncService(Tracker* tracker, absl::Duration default_deadline,
                                   ServicePolicy policy)
    : tracker_(tracker), default_deadline_(default_deadline), policy_(policy) {}

absl::Time BrazeSyncService::DeadlineOf(const grpc::CallbackServerContext& context) const {
  const absl::Time fallback = absl::Now() + default_deadline_;
  const auto call_deadline = context.deadline();
  return call_deadline == std::chrono::system_clock::time_point::max()
             ? fallback
             : std::min(fallback, absl::FromChrono(call_deadline));
}

absl::StatusOr<std::shared_ptr<const Caller>> BrazeSyncService::Authenticate(
    const grpc::CallbackServerContext& context) const {
  if (policy_.callers == nullptr || !policy_.callers->enabled()) {
    return std::shared_ptr<const Caller>();
  }
  absl::StatusOr<std::shared_ptr<const Caller>> caller =
      policy_.callers->Authenticate(Metadata(context, "authorization"));
  if (!caller.ok() && policy_.metrics != nullptr)
    policy_.metrics->CountRejection("unauthenticated");
  return caller;
}

absl::Status BrazeSyncService::Admit(const Caller* caller, const v1::TrackRequest& request) const {
  if (caller != nullptr) {
    std::string workspace = request.workspace();
    if (workspace.empty() && policy_.workspaces != nullptr) {
      workspace = policy_.workspaces->Find("")->name;
    }
    if (absl::Status allowed = CallerAuthenticator::Authorize(*caller, workspace); !allowed.ok()) {
      if (policy_.metrics != nullptr) policy_.metrics->CountRejection("permission_denied");
      return allowed;
    }
    if (absl::Status admitted = policy_.callers->Admit(*caller, absl::Now()); !admitted.ok()) {
      if (policy_.metrics != nullptr) policy_.metrics->CountRejection("rate_limited");
      return admitted;
    }
  }
  const int64_t items = static_cast<int64_t>(request.attributes_size()) + request.events_size() +
                        request.purchases_size();
  if (policy_.max_items_per_request > 0 && items > policy_.max_items_per_request) {
    if (policy_.metrics != nullptr) policy_.metrics->CountRejection("too_many_items");
    return absl::InvalidArgumentError(
        absl::StrCat("attributes|events|purchases: the request has ", items, " items (",
                     request.attributes_size(), " attributes, ", request.events_size(), " events, ",
                     request.purchases_size(), " purchases); at most ",
                     policy_.max_items_per_request, " are allowed per request: split it"));
  }
  return absl::OkStatus();
}

void BrazeSyncService::Record(absl::string_view method, const std::string& request_id,
                              const Caller* caller, const std::string& workspace,
                              const ItemCountsByKind& counts, const absl::Status& status,
                              const v1::TrackResult* result, absl::Time started) const {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string code = CodeName(status.code());
  if (policy_.metrics != nullptr) {
    policy_.metrics->CountCall(method, code, seconds);
    if (result != nullptr) {
      for (const v1::ItemResult& item : result->items()) {
        policy_.metrics->CountItems(KindName(item.kind()), OutcomeName(item.status()), 1);
      }
    } else {
      const std::string outcome = absl::StrCat("call_", absl::AsciiStrToLower(code));
      policy_.metrics->CountItems("attributes", outcome, counts[0]);
      policy_.metrics->CountItems("events", outcome, counts[1]);
      policy_.metrics->CountItems("purchases", outcome, counts[2]);
    }
  }
  if (policy_.logger == nullptr) return;
  // Successful calls are logged at debug: at tens of thousands of calls per
  // second an access line each would cost more CPU than the call itself.
  // Failures are logged at info (the caller's fault) or warning (ours/Braze).
  const bool server_side = status.code() == absl::StatusCode::kInternal ||
                           status.code() == absl::StatusCode::kUnavailable ||
                           status.code() == absl::StatusCode::kFailedPrecondition;
  const LogLevel level =
      status.ok() ? LogLevel::kDebug : (server_side ? LogLevel::kWarning : LogLevel::kInfo);
  if (!policy_.logger->Enabled(level)) return;
  nlohmann::json fields = {
      {"request_id", request_id},
      {"method", std::string(method)},
      {"workspace", workspace.empty() && policy_.workspaces != nullptr
                        ? policy_.workspaces->Find("")->name
                        : workspace},
      {"code", code},
      {"attributes", counts[0]},
      {"events", counts[1]},
      {"purchases", counts[2]},
      {"latency_ms", seconds * 1000},
  };
  if (caller != nullptr) fields["caller"] = caller->name;
  if (result != nullptr) {
    fields["outcome"] = v1::Outcome_Name(result->outcome());
    fields["braze_requests"] = result->braze_requests();
  } else {
    fields["error"] = std::string(status.message().substr(0, 512));
  }
  policy_.logger->Log(level, "call finished", std::move(fields));
}

grpc::ServerUnaryReactor* BrazeSyncService::Track(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* raw_request,
                                                  grpc::ByteBuffer* response) {
  const absl::Time started = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto request = std::make_shared<v1::TrackRequest>();
  grpc::ByteBuffer bytes(*raw_request);  // shares the slices; Deserialize consumes it
  const bool parsed =
      grpc::SerializationTraits<v1::TrackRequest>::Deserialize(&bytes, request.get()).ok();
  const std::string header_id = Metadata(*context, "x-request-id");
  std::string request_id = RequestIdOr(!header_id.empty() ? header_id : request->request_id());
  context->AddInitialMetadata("x-request-id", request_id);
  absl::StatusOr<std::shared_ptr<const Caller>> caller = Authenticate(*context);
  absl::Status admitted = caller.ok() ? absl::OkStatus() : caller.status();
  if (admitted.ok() && !parsed) {
    if (policy_.metrics != nullptr) policy_.metrics->CountRejection("malformed");
    admitted = absl::InvalidArgumentError(
        "the request is not a valid brazesync.v1.TrackRequest: malformed protobuf, invalid "
        "UTF-8 in a string field, or nesting deeper than 100 levels");
  }
  if (admitted.ok()) admitted = Admit(caller->get(), *request);
  if (!admitted.ok()) {
    Record("Track", request_id, caller.ok() ? caller->get() : nullptr,
           parsed ? request->workspace() : "", parsed ? ItemCounts(*request) : ItemCountsByKind{},
           admitted, nullptr, started);
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  tracker_->Track(*request, DeadlineOf(*context),
                  [this, reactor, response, started, request, request_id = std::move(request_id),
                   caller = *std::move(caller)](absl::Status status, v1::TrackResult result) {
                    Record("Track", request_id, caller.get(), request->workspace(),
                           ItemCounts(*request), status, status.ok() ? &result : nullptr, started);
                    grpc::Status grpc_status = ToGrpcStatus(status);
                    if (status.ok()) {
                      bool own_buffer = false;
                      grpc_status = grpc::SerializationTraits<v1::TrackResult>::Serialize(
                          result, response, &own_buffer);
                    }
                    reactor->Finish(grpc_status);
                  });
  return reactor;
}

grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* BrazeSyncService::TrackStream(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<std::shared_ptr<const Caller>> caller = Authenticate(*context);
  const std::string header_id = Metadata(*context, "x-request-id");
  const std::string stream_id = RequestIdOr(header_id);
  if (!caller.ok()) {
    Record("TrackStream", stream_id, nullptr, "", ItemCountsByKind{}, caller.status(), nullptr,
           absl::Now());
    return new RefusedStream(caller.status());
  }
  context->AddInitialMetadata("x-request-id", stream_id);
  const auto call_deadline = context->deadline();
  const absl::Time stream_deadline = call_deadline == std::chrono::system_clock::time_point::max()
                                         ? absl::InfiniteFuture()
                                         : absl::FromChrono(call_deadline);
  return new TrackStreamReactor(this, tracker_, *std::move(caller), stream_id, stream_deadline,
                                default_deadline_);
}

}  // namespace brazesync
