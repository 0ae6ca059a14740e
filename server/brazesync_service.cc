// The gRPC adapter for brazesync.v1.BrazeSync.
#include "server/brazesync_service.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/status.pb.h"
#include "server/status_conversion.h"

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

// One TrackStream call. Reads requests, tracks each, and writes results in
// request order. Lives until both gRPC is done with it (OnDone) and every
// Track it started has called back.
class TrackStreamReactor final
    : public grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult> {
 public:
  // Each request gets min(stream deadline, now + per_request_deadline).
  TrackStreamReactor(Tracker* tracker, absl::Time stream_deadline,
                     absl::Duration per_request_deadline)
      : tracker_(tracker),
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
    bool read_more;
    {
      absl::MutexLock lock(&mu_);
      slots_.push_back(slot);
      ++tracks_pending_;
      read_more = slots_.size() < kMaxStreamRequestsInFlight;
      read_paused_ = !read_more;
    }
    const absl::Time deadline = std::min(stream_deadline_, absl::Now() + per_request_deadline_);
    tracker_->Track(request_, deadline,
                    [this, slot](absl::Status status, v1::TrackResult result) {
                      if (!status.ok()) *result.mutable_error() = ToRpcStatus(status);
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
                    });
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

  Tracker* const tracker_;
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

BrazeSyncService::BrazeSyncService(Tracker* tracker, absl::Duration default_deadline)
    : tracker_(tracker), default_deadline_(default_deadline) {}

absl::Time BrazeSyncService::DeadlineOf(const grpc::CallbackServerContext& context) const {
  const absl::Time fallback = absl::Now() + default_deadline_;
  const auto call_deadline = context.deadline();
  return call_deadline == std::chrono::system_clock::time_point::max()
             ? fallback
             : std::min(fallback, absl::FromChrono(call_deadline));
}

grpc::ServerUnaryReactor* BrazeSyncService::Track(grpc::CallbackServerContext* context,
                                                  const v1::TrackRequest* request,
                                                  v1::TrackResult* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  tracker_->Track(*request, DeadlineOf(*context),
                  [reactor, response](absl::Status status, v1::TrackResult result) {
                    if (status.ok()) *response = std::move(result);
                    reactor->Finish(ToGrpcStatus(status));
                  });
  return reactor;
}

grpc::ServerBidiReactor<v1::TrackRequest, v1::TrackResult>* BrazeSyncService::TrackStream(
    grpc::CallbackServerContext* context) {
  const auto call_deadline = context->deadline();
  const absl::Time stream_deadline = call_deadline == std::chrono::system_clock::time_point::max()
                                         ? absl::InfiniteFuture()
                                         : absl::FromChrono(call_deadline);
  return new TrackStreamReactor(tracker_, stream_deadline, default_deadline_);
}

}  // namespace brazesync
