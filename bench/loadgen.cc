// brazesync_loadgen: drives N concurrent closed-loop callers, each sending
// single-event Track calls (callback API) or a windowed TrackStream, against
// a BrazeSync server for a fixed time, and prints throughput, latency
// percentiles, errors, and (with --server_pid) the server's CPU time per
// 1,000 events and peak RSS. Every event carries a unique "seq" property so
// bench/run_delivery_bench.sh can check the emulator got each exactly once.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "brazesync/v1/brazesync.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "BrazeSync server host:port");
ABSL_FLAG(std::string, mode, "unary", "unary (Track) or stream (TrackStream)");
ABSL_FLAG(int, callers, 1024, "Concurrent callers (unary) or streams x window (stream)");
ABSL_FLAG(int, streams, 16, "Stream mode: number of TrackStream calls");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections) to spread callers over");
ABSL_FLAG(double, warmup_s, 2, "Seconds before measuring");
ABSL_FLAG(double, duration_s, 10, "Measured seconds");
ABSL_FLAG(int, timeout_ms, 10000, "Deadline of each call");
ABSL_FLAG(int, server_pid, 0, "If set, report this process's CPU time and peak RSS");
ABSL_FLAG(std::string, label, "run", "Name printed with the results");
ABSL_FLAG(bool, async, false,
          "Use DELIVERY_MODE_ASYNC: a call succeeds when the server has stored the event");
ABSL_FLAG(std::string, ack_file, "",
          "If set, append the seq of every acknowledged event (one per line), for crash tests");
ABSL_FLAG(bool, measure_all, false, "Count results from the start (no warm-up phase)");
ABSL_FLAG(double, rate, 0, "Unary mode: cap on calls per second across all callers (0 = none)");

namespace brazesync {
namespace {

using v1::TrackRequest;
using v1::TrackResult;

// Latency histogram with 1 us buckets up to 10 s (log-free, fixed memory).
class Histogram final {
 public:
  Histogram() : counts_(kBuckets, 0) {}
  void Add(absl::Duration latency) {
    int64_t us = std::min<int64_t>(absl::ToInt64Microseconds(latency), kBuckets - 1);
    ++counts_[us];
    ++total_;
  }
  void Merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  double PercentileMs(double p) const {
    int64_t rank = static_cast<int64_t>(p * total_);
    int64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) return i / 1000.0;
    }
    return (kBuckets - 1) / 1000.0;
  }
  int64_t total() const { return total_; }

 private:
  static constexpr int64_t kBuckets = 10'000'000;
  std::vector<int64_t> counts_;
  int64_t total_ = 0;
};

struct Results {
  absl::Mutex mu;
  Histogram latency ABSL_GUARDED_BY(mu);
  int64_t delivered ABSL_GUARDED_BY(mu) = 0;
  std::map<std::string, int64_t> errors ABSL_GUARDED_BY(mu);
};

std::atomic<bool> measuring{false};
std::atomic<bool> stopping{false};
std::atomic<int64_t> sequence{0};

// `user` distinguishes concurrent requests: BrazeSync keeps one user's items
// in order, so requests of one user cannot travel in parallel.
TrackRequest MakeRequest(int user) {
  TrackRequest request;
  if (absl::GetFlag(FLAGS_async)) request.set_delivery_mode(v1::DELIVERY_MODE_ASYNC);
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id(absl::StrCat("bench-user-", user));
  event->set_name("bench_event");
  const std::string seq = absl::StrCat(sequence.fetch_add(1));
  (*event->mutable_properties()->mutable_fields())["seq"].set_string_value(seq);
  event->set_event_id(seq);
  return request;
}

// Acknowledged events, for --ack_file.
absl::Mutex ack_mu;
std::ofstream* ack_out ABSL_GUARDED_BY(ack_mu) = nullptr;

void Acknowledge(const TrackRequest& request) {
  absl::MutexLock lock(&ack_mu);
  if (ack_out == nullptr) return;
  // Flushed per line: a crash test reads the file while the run goes on.
  *ack_out << request.events(0).event_id() << std::endl;
}

v1::Outcome ExpectedOutcome() {
  return absl::GetFlag(FLAGS_async) ? v1::OUTCOME_ACCEPTED : v1::OUTCOME_DELIVERED;
}

// Every finished call of the whole run (warm-up and drain included), for the
// accounting check: each event sent is in the emulator or its call failed.
std::atomic<int64_t> all_ok{0};
std::atomic<int64_t> all_failed{0};

void Record(Results& results, absl::Duration latency, const std::string& error) {
  (error.empty() ? all_ok : all_failed).fetch_add(1);
  if (!measuring.load()) return;
  absl::MutexLock lock(&results.mu);
  if (error.empty()) {
    results.latency.Add(latency);
    ++results.delivered;
  } else {
    ++results.errors[error];
  }
}

class UnaryCaller;

// Restarts callers after a delay on its own thread: sleeping in a gRPC
// callback would starve gRPC's executor (and with it reconnection).
class DelayedRestarts final {
 public:
  DelayedRestarts() : thread_([this] { Run(); }) {}
  ~DelayedRestarts() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  void Add(UnaryCaller* caller, absl::Time at) {
    absl::MutexLock lock(&mu_);
    due_.emplace_back(at, caller);
  }

 private:
  void Run();

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<absl::Time, UnaryCaller*>> due_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

DelayedRestarts* restarts = nullptr;

// One closed-loop unary caller: the next call starts when the last returns.
class UnaryCaller final {
 public:
  UnaryCaller(v1::BrazeSync::Stub* stub, int id, Results* results, absl::BlockingCounter* done)
      : stub_(stub), id_(id), results_(results), done_(done) {}

  void Start() {
    if (stopping.load()) {
      done_->DecrementCount();
      return;
    }
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms))));
    request_ = MakeRequest(id_);
    result_.Clear();
    started_ = absl::Now();
    stub_->async()->Track(context_.get(), &request_, &result_, [this](grpc::Status status) {
      std::string error;
      if (!status.ok()) {
        error = absl::StrCat("grpc:", status.error_code());
      } else if (result_.outcome() != ExpectedOutcome()) {
        error = absl::StrCat("outcome:", v1::Outcome_Name(result_.outcome()));
      } else {
        Acknowledge(request_);
      }
      Record(*results_, absl::Now() - started_, error);
      // A server that is down fails calls at once; don't spin on it. With
      // --rate, each caller keeps its share of the rate.
      absl::Time next = status.ok() ? absl::InfinitePast() : absl::Now() + absl::Milliseconds(20);
      const double rate = absl::GetFlag(FLAGS_rate);
      if (rate > 0) {
        next = std::max(next, started_ + absl::Seconds(absl::GetFlag(FLAGS_callers) / rate));
      }
      if (next > absl::Now()) {
        restarts->Add(this, next);
        return;
      }
      Start();
    });
  }

 private:
  v1::BrazeSync::Stub* const stub_;
  const int id_;
  Results* const results_;
  absl::BlockingCounter* const done_;
  std::unique_ptr<grpc::ClientContext> context_;
  TrackRequest request_;
  TrackResult result_;
  absl::Time started_;
};

void DelayedRestarts::Run() {
  while (true) {
    std::vector<UnaryCaller*> ready;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(5));
      if (stop_) return;
      const absl::Time now = absl::Now();
      for (auto it = due_.begin(); it != due_.end();) {
        if (it->first <= now) {
          ready.push_back(it->second);
          it = due_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (UnaryCaller* caller : ready) caller->Start();
  }
}

// One TrackStream keeping `window` requests outstanding.
class StreamCaller final : public grpc::ClientBidiReactor<TrackRequest, TrackResult> {
 public:
  StreamCaller(v1::BrazeSync::Stub* stub, int id, int window, Results* results)
      : id_(id), window_(window), results_(results) {
    stub->async()->TrackStream(&context_, this);
    StartRead(&result_);
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < window_; ++i) QueueLocked();
    MaybeWriteLocked();
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return;
    MaybeWriteLocked();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    absl::Time started;
    {
      absl::MutexLock lock(&mu_);
      started = sent_times_.front();
      sent_times_.erase(sent_times_.begin());
    }
    std::string error;
    if (result_.has_error()) {
      error = absl::StrCat("grpc:", result_.error().code());
    } else if (result_.outcome() != ExpectedOutcome()) {
      error = absl::StrCat("outcome:", v1::Outcome_Name(result_.outcome()));
    }
    Record(*results_, absl::Now() - started, error);
    {
      absl::MutexLock lock(&mu_);
      if (!stopping.load()) {
        QueueLocked();
        MaybeWriteLocked();
      } else if (sent_times_.empty() && !half_closed_) {
        half_closed_ = true;
        StartWritesDone();
      }
    }
    StartRead(&result_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    final_status_ = status;
    finished_.Notify();
  }

  void Await() { finished_.WaitForNotification(); }

 private:
  void QueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    to_send_.push_back(MakeRequest(id_ * window_ + static_cast<int>(next_user_++ % window_)));
  }
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || to_send_.empty()) return;
    writing_ = true;
    current_ = std::move(to_send_.front());
    to_send_.erase(to_send_.begin());
    sent_times_.push_back(absl::Now());
    StartWrite(&current_);
  }

  const int id_;
  const int window_;
  Results* const results_;
  grpc::ClientContext context_;
  TrackResult result_;
  absl::Mutex mu_;
  TrackRequest current_ ABSL_GUARDED_BY(mu_);
  std::vector<TrackRequest> to_send_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> sent_times_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_user_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status final_status_;
  absl::Notification finished_;
};

// utime + stime of a process, from /proc/PID/stat.
absl::Duration ProcessCpu(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the ")" of the command name; utime and stime are 14 and 15.
  std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  if (fields.size() < 13) return absl::ZeroDuration();
  const double ticks = sysconf(_SC_CLK_TCK);
  return absl::Seconds((std::stod(fields[11]) + std::stod(fields[12])) / ticks);
}

std::string PeakRss(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0)
      return std::string(absl::StripAsciiWhitespace(line.substr(6)));
  }
  return "unknown";
}

int Run() {
  std::ofstream ack_stream;
  if (!absl::GetFlag(FLAGS_ack_file).empty()) {
    ack_stream.open(absl::GetFlag(FLAGS_ack_file), std::ios::app);
    absl::MutexLock lock(&ack_mu);
    ack_out = &ack_stream;
  }
  if (absl::GetFlag(FLAGS_measure_all)) measuring = true;
  DelayedRestarts delayed_restarts;
  restarts = &delayed_restarts;
  const int channels = std::max(1, absl::GetFlag(FLAGS_channels));
  std::vector<std::unique_ptr<v1::BrazeSync::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels = distinct connections
    // Reconnect fast when a server restarts (crash tests).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    stubs.push_back(v1::BrazeSync::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  Results results;
  const int callers = absl::GetFlag(FLAGS_callers);
  const bool stream = absl::GetFlag(FLAGS_mode) == "stream";
  std::vector<std::unique_ptr<UnaryCaller>> unary;
  std::vector<std::unique_ptr<StreamCaller>> streams;
  absl::BlockingCounter unary_done(stream ? 0 : callers);
  if (stream) {
    const int count = std::max(1, absl::GetFlag(FLAGS_streams));
    for (int i = 0; i < count; ++i) {
      streams.push_back(std::make_unique<StreamCaller>(stubs[i % channels].get(), i,
                                                       std::max(1, callers / count), &results));
    }
  } else {
    for (int i = 0; i < callers; ++i) {
      unary.push_back(
          std::make_unique<UnaryCaller>(stubs[i % channels].get(), i, &results, &unary_done));
    }
    for (auto& caller : unary) caller->Start();
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_s)));
  const int pid = absl::GetFlag(FLAGS_server_pid);
  const absl::Duration cpu_before = pid > 0 ? ProcessCpu(pid) : absl::ZeroDuration();
  const absl::Time start = absl::Now();
  measuring = true;
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_duration_s)));
  measuring = false;
  const absl::Duration elapsed = absl::Now() - start;
  const absl::Duration cpu = pid > 0 ? ProcessCpu(pid) - cpu_before : absl::ZeroDuration();
  stopping = true;
  if (absl::GetFlag(FLAGS_measure_all)) measuring = true;  // count late results too
  if (stream) {
    for (auto& caller : streams) caller->Await();
  } else {
    unary_done.Wait();
  }

  {
    absl::MutexLock lock(&ack_mu);
    if (ack_out != nullptr) ack_out->flush();
    ack_out = nullptr;
  }
  absl::MutexLock lock(&results.mu);
  int64_t errors = 0;
  for (const auto& [name, count] : results.errors) errors += count;
  const double rate = results.delivered / absl::ToDoubleSeconds(elapsed);
  std::cout << absl::StrFormat(
      "%s: mode=%s callers=%d events/s=%.0f delivered=%d errors=%d p50=%.1fms p99=%.1fms "
      "p999=%.1fms",
      absl::GetFlag(FLAGS_label), absl::GetFlag(FLAGS_mode), callers, rate, results.delivered,
      errors, results.latency.PercentileMs(0.50), results.latency.PercentileMs(0.99),
      results.latency.PercentileMs(0.999));
  if (pid > 0 && results.delivered > 0) {
    std::cout << absl::StrFormat(
        " server_cpu_us_per_event=%.1f server_cpu_s_per_1000=%.4f "
        "server_peak_rss=%s",
        absl::ToDoubleMicroseconds(cpu) / results.delivered,
        absl::ToDoubleSeconds(cpu) * 1000 / results.delivered, PeakRss(pid));
  }
  std::cout << " total_sent=" << sequence.load() << " all_ok=" << all_ok.load()
            << " all_failed=" << all_failed.load() << "\n";
  for (const auto& [name, count] : results.errors)
    std::cout << "  error " << name << ": " << count << "\n";
  return 0;
}

}  // namespace
}  // namespace brazesync

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian builds abseil with mutex deadlock detection on; its cycle graph
  // bookkeeping costs several percent of CPU on every lock (gRPC's too).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return brazesync::Run();
}
