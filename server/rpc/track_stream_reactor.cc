// One TrackStream call: admission, tracking and in-order results.
#include "server/rpc/track_stream_reactor.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/status.pb.h"
#include "server/ops/logging.h"
#include "server/rpc/status_conversion.h"

namespace brazesync {
namespace {

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

class Refused final : public TrackStreamReactorBase {
 public:
  explicit Refused(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

class TrackStreamReactor final : public TrackStreamReactorBase {
 public:
  TrackStreamReactor(Tracker* tracker, const CallGate* gate, const CallLog* log, CallerPtr caller,
                     std::string stream_id, absl::Time stream_deadline,
                     absl::Duration per_request_deadline)
      : tracker_(tracker),
        gate_(gate),
        log_(log),
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
    TrackCurrentRequest(std::move(slot));
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

  // Admits and tracks request_; its result lands in `slot`.
  void TrackCurrentRequest(std::shared_ptr<Slot> slot) {
    const absl::Time started = absl::Now();
    const absl::Time deadline = std::min(stream_deadline_, started + per_request_deadline_);
    const std::string request_id = request_.request_id().empty()
                                       ? absl::StrCat(stream_id_, "/", ++messages_)
                                       : RequestIdOr(request_.request_id());
    // What the log and metrics need (not the items), kept until the result.
    auto done = [this, slot = std::move(slot), started, request_id,
                 echoed_id = request_.request_id(), workspace = request_.workspace(),
                 counts = CountByKind(request_)](absl::Status status, v1::TrackResult result) {
      log_->RecordTrack("TrackStream", request_id, caller_.get(), workspace, counts, status,
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
    absl::Status admitted = gate_->AdmitTrack(caller_.get(), request_);
    if (admitted.ok()) {
      tracker_->Track(request_, deadline, std::move(done));
    } else {
      done(std::move(admitted), v1::TrackResult());
    }
  }

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
  const CallGate* const gate_;
  const CallLog* const log_;
  const CallerPtr caller_;
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

TrackStreamReactorBase* RefusedStream(const absl::Status& status) { return new Refused(status); }

TrackStreamReactorBase* StartTrackStream(Tracker* tracker, const CallGate* gate, const CallLog* log,
                                         CallerPtr caller, std::string stream_id,
                                         absl::Time stream_deadline,
                                         absl::Duration per_request_deadline) {
  return new TrackStreamReactor(tracker, gate, log, std::move(caller), std::move(stream_id),
                                stream_deadline, per_request_deadline);
}

}  // namespace brazesync
