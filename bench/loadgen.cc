// brazesync_loadgen: drives N concurrent closed-loop callers, each sending
// single-event Track calls (callback API) or a windowed TrackStream, against
// a BrazeSync server for a fixed time, and prints throughput, latency
// percentiles, errors, and (with --server_pid) the server's CPU time per
// 1,000 events and peak RSS. Every event carries a unique "seq" property so
// bench/run_delivery_bench.sh can check the emulator got each exactly once.
//
// For the cluster test (tests/integration/cluster_test.sh): --target may list
// several replicas (each unary caller then rotates over them call by call, as
// a round-robin mesh would); --seq_prefix makes seq/event_id unique per run;
// --users gives each event a per-user increasing "useq" property (caller i
// sends user i % users, so with callers <= users a user's calls are sequential
// and each waited for); --ack_detail_file records which replica acknowledged
// what; and --resend_file re-sends acknowledged events with the same event_id
// to a replica other than the one that acknowledged them, expecting
// ITEM_STATUS_DUPLICATE for every one.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
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

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "BrazeSync server host:port, or several comma-separated (replicas of a cluster): "
          "each unary caller rotates over them call by call, each stream uses one");
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
ABSL_FLAG(std::string, seq_prefix, "",
          "Prefix of every seq property and event_id (e.g. a run id), so that runs and "
          "concurrent load generators never reuse an event_id");
ABSL_FLAG(int, users, 0,
          "If > 0: caller i sends as user bench-user-<i % users>, and every event carries a "
          "\"useq\" property increasing per user (1, 2, ...); with callers <= users each user's "
          "calls are sequential, so per-user order can be checked at the emulator");
ABSL_FLAG(std::string, ack_detail_file, "",
          "If set, append one tab-separated line per acknowledged event: event_id, the target "
          "that acknowledged it, external_id, useq, call start and end (unix ms); the input of "
          "--resend_file");
ABSL_FLAG(std::string, error_file, "",
          "Unary mode: if set, append one tab-separated line per failed call: event_id, target, "
          "error (grpc:CODE, outcome:... or item:...), call start and end (unix ms)");
ABSL_FLAG(std::string, resend_file, "",
          "Resend mode (no load): read --ack_detail_file lines, re-send --resend_count of them "
          "(spread over the file) with the same event_id to a --target other than the one that "
          "acknowledged each, and expect ITEM_STATUS_DUPLICATE; exit 3 if any answer differs");
ABSL_FLAG(int, resend_count, 500, "Resend mode: how many events to re-send");
ABSL_FLAG(std::string, resend_report, "",
          "Resend mode: if set, write one line per re-sent event: event_id, target, answer");
ABSL_FLAG(int, resend_attempts, 5,
          "Resend mode: attempts per event when the call fails in transport (UNAVAILABLE or "
          "DEADLINE_EXCEEDED); an answer, whatever it is, is final");

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

// Next useq per user (--users); sized once before any caller starts.
std::vector<std::atomic<int64_t>>* user_sequences = nullptr;

// One event as the load and the resend mode build it: the same event_id,
// user and properties, so a resend is the same call retried.
TrackRequest BuildRequest(const std::string& user, const std::string& seq, int64_t useq) {
  TrackRequest request;
  if (absl::GetFlag(FLAGS_async)) request.set_delivery_mode(v1::DELIVERY_MODE_ASYNC);
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id(user);
  event->set_name("bench_event");
  auto& fields = *event->mutable_properties()->mutable_fields();
  fields["seq"].set_string_value(seq);
  if (useq > 0) fields["useq"].set_number_value(static_cast<double>(useq));
  event->set_event_id(seq);
  return request;
}

// `user` distinguishes concurrent requests: BrazeSync keeps one user's items
// in order, so requests of one user cannot travel in parallel.
TrackRequest MakeRequest(int user) {
  const int users = absl::GetFlag(FLAGS_users);
  int64_t useq = 0;
  if (users > 0) {
    user %= users;
    useq = (*user_sequences)[user].fetch_add(1) + 1;
  }
  return BuildRequest(absl::StrCat("bench-user-", user),
                      absl::StrCat(absl::GetFlag(FLAGS_seq_prefix), sequence.fetch_add(1)), useq);
}

int64_t UseqOf(const TrackRequest& request) {
  const auto& fields = request.events(0).properties().fields();
  auto it = fields.find("useq");
  return it == fields.end() ? 0 : static_cast<int64_t>(it->second.number_value());
}

// Acknowledged events, for --ack_file and --ack_detail_file.
absl::Mutex ack_mu;
std::ofstream* ack_out ABSL_GUARDED_BY(ack_mu) = nullptr;
std::ofstream* ack_detail_out ABSL_GUARDED_BY(ack_mu) = nullptr;
std::ofstream* error_out ABSL_GUARDED_BY(ack_mu) = nullptr;

// Every finished unary call lands in one of the files (when they are set).
void LogCall(const TrackRequest& request, const std::string& target, const std::string& error,
             absl::Time started, absl::Time ended) {
  const int64_t start_ms = absl::ToUnixMillis(started), end_ms = absl::ToUnixMillis(ended);
  absl::MutexLock lock(&ack_mu);
  // Flushed per line: a crash test reads the files while the run goes on.
  if (!error.empty()) {
    if (error_out != nullptr) {
      *error_out << request.events(0).event_id() << '\t' << target << '\t' << error << '\t'
                 << start_ms << '\t' << end_ms << std::endl;
    }
    return;
  }
  if (ack_out != nullptr) *ack_out << request.events(0).event_id() << std::endl;
  if (ack_detail_out != nullptr) {
    *ack_detail_out << request.events(0).event_id() << '\t' << target << '\t'
                    << request.events(0).user().external_id() << '\t' << UseqOf(request) << '\t'
                    << start_ms << '\t' << end_ms << std::endl;
  }
}

v1::Outcome ExpectedOutcome() {
  return absl::GetFlag(FLAGS_async) ? v1::OUTCOME_ACCEPTED : v1::OUTCOME_DELIVERED;
}

// "" when the answer acknowledges the (new) event, else the error to count.
// An async answer must say QUEUED: a DUPLICATE for a fresh event_id means the
// run reused an id (see --seq_prefix), not that this call was stored.
std::string AnswerError(const TrackResult& result) {
  if (result.outcome() != ExpectedOutcome()) {
    return absl::StrCat("outcome:", v1::Outcome_Name(result.outcome()));
  }
  if (absl::GetFlag(FLAGS_async) && result.items_size() > 0 &&
      result.items(0).status() != v1::ITEM_STATUS_QUEUED) {
    return absl::StrCat("item:", v1::ItemStatus_Name(result.items(0).status()));
  }
  return "";
}

// The replicas of --target, with their stubs (--channels per target).
struct Target {
  std::string address;
  std::vector<std::unique_ptr<v1::BrazeSync::Stub>> stubs;
};

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
  UnaryCaller(const std::vector<Target>* targets, int id, Results* results,
              absl::BlockingCounter* done)
      : targets_(targets), id_(id), results_(results), done_(done) {}

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
    // Round robin over the replicas, starting at a different one per caller.
    const Target& target = (*targets_)[(id_ + calls_++) % targets_->size()];
    target_ = &target.address;
    v1::BrazeSync::Stub* stub = target.stubs[id_ % target.stubs.size()].get();
    stub->async()->Track(context_.get(), &request_, &result_, [this](grpc::Status status) {
      std::string error;
      if (!status.ok()) {
        error = absl::StrCat("grpc:", status.error_code());
      } else {
        error = AnswerError(result_);
      }
      LogCall(request_, *target_, error, started_, absl::Now());
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
  const std::vector<Target>* const targets_;
  const int id_;
  Results* const results_;
  absl::BlockingCounter* const done_;
  size_t calls_ = 0;
  const std::string* target_ = nullptr;
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
    } else {
      error = AnswerError(result_);
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

std::vector<Target> MakeTargets() {
  const int channels = std::max(1, absl::GetFlag(FLAGS_channels));
  std::vector<Target> targets;
  int channel_id = 0;
  for (absl::string_view address :
       absl::StrSplit(absl::GetFlag(FLAGS_target), ',', absl::SkipWhitespace())) {
    Target target;
    target.address = std::string(absl::StripAsciiWhitespace(address));
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", channel_id++);  // distinct channels = distinct connections
      // Reconnect fast when a server restarts (crash tests).
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
      target.stubs.push_back(v1::BrazeSync::NewStub(
          grpc::CreateCustomChannel(target.address, grpc::InsecureChannelCredentials(), args)));
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

// --resend_file: the same events again, each to another replica than the one
// that acknowledged it. Sequential blocking calls: a few hundred are enough.
int Resend(const std::vector<Target>& targets) {
  std::ifstream in(absl::GetFlag(FLAGS_resend_file));
  if (!in) {
    std::cerr << "loadgen: cannot read --resend_file " << absl::GetFlag(FLAGS_resend_file) << "\n";
    return 2;
  }
  struct Acked {
    std::string event_id, target, user;
    int64_t useq = 0;
  };
  std::vector<Acked> acked;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 4 || f[0].empty()) continue;
    Acked a{f[0], f[1], f[2], 0};
    a.useq = std::atoll(f[3].c_str());
    acked.push_back(std::move(a));
  }
  const size_t want = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_resend_count)));
  if (acked.size() < want || want == 0) {
    std::cerr << "loadgen: --resend_file has " << acked.size() << " events, --resend_count is "
              << want << "\n";
    return 2;
  }
  std::ofstream report;
  if (!absl::GetFlag(FLAGS_resend_report).empty()) {
    report.open(absl::GetFlag(FLAGS_resend_report), std::ios::trunc);
  }
  std::map<std::string, int64_t> answers;
  int64_t duplicates = 0, cross_replica = 0;
  for (size_t i = 0; i < want; ++i) {
    const Acked& a = acked[i * acked.size() / want];  // spread over the whole run
    // The first target after the acknowledging one, in --target order.
    size_t at = 0;
    for (size_t t = 0; t < targets.size(); ++t) {
      if (targets[t].address == a.target) at = t + 1;
    }
    const Target& target = targets[at % targets.size()];
    if (target.address != a.target) ++cross_replica;
    const TrackRequest request = BuildRequest(a.user, a.event_id, a.useq);
    std::string answer;
    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext context;
      context.set_deadline(
          absl::ToChronoTime(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms))));
      TrackResult result;
      grpc::Status status =
          target.stubs[i % target.stubs.size()]->Track(&context, request, &result);
      if (status.ok()) {
        answer = result.items_size() > 0 ? v1::ItemStatus_Name(result.items(0).status())
                                         : v1::Outcome_Name(result.outcome());
        break;
      }
      answer = absl::StrCat("grpc:", status.error_code());
      const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (!transient || attempt >= absl::GetFlag(FLAGS_resend_attempts)) break;
      absl::SleepFor(absl::Milliseconds(100 * attempt));  // backoff, as a caller retries
    }
    if (answer == "ITEM_STATUS_DUPLICATE") ++duplicates;
    ++answers[answer];
    if (report.is_open()) report << a.event_id << '\t' << target.address << '\t' << answer << '\n';
  }
  std::cout << absl::StrFormat("%s: resent=%d duplicate=%d to_other_replica=%d",
                               absl::GetFlag(FLAGS_label), want, duplicates, cross_replica);
  for (const auto& [answer, count] : answers) std::cout << " " << answer << "=" << count;
  std::cout << "\n";
  return duplicates == static_cast<int64_t>(want) ? 0 : 3;
}

int Run() {
  std::vector<Target> targets = MakeTargets();
  if (targets.empty()) {
    std::cerr << "loadgen: --target names no server\n";
    return 2;
  }
  if (!absl::GetFlag(FLAGS_resend_file).empty()) return Resend(targets);
  const int users = absl::GetFlag(FLAGS_users);
  std::vector<std::atomic<int64_t>> useqs(std::max(0, users));
  for (auto& u : useqs) u = 0;
  user_sequences = &useqs;
  std::ofstream ack_stream, ack_detail_stream, error_stream;
  if (!absl::GetFlag(FLAGS_error_file).empty()) {
    error_stream.open(absl::GetFlag(FLAGS_error_file), std::ios::app);
    absl::MutexLock lock(&ack_mu);
    error_out = &error_stream;
  }
  if (!absl::GetFlag(FLAGS_ack_file).empty()) {
    ack_stream.open(absl::GetFlag(FLAGS_ack_file), std::ios::app);
    absl::MutexLock lock(&ack_mu);
    ack_out = &ack_stream;
  }
  if (!absl::GetFlag(FLAGS_ack_detail_file).empty()) {
    ack_detail_stream.open(absl::GetFlag(FLAGS_ack_detail_file), std::ios::app);
    absl::MutexLock lock(&ack_mu);
    ack_detail_out = &ack_detail_stream;
  }
  if (absl::GetFlag(FLAGS_measure_all)) measuring = true;
  DelayedRestarts delayed_restarts;
  restarts = &delayed_restarts;
  Results results;
  const int callers = absl::GetFlag(FLAGS_callers);
  const bool stream = absl::GetFlag(FLAGS_mode) == "stream";
  std::vector<std::unique_ptr<UnaryCaller>> unary;
  std::vector<std::unique_ptr<StreamCaller>> streams;
  absl::BlockingCounter unary_done(stream ? 0 : callers);
  if (stream) {
    const int count = std::max(1, absl::GetFlag(FLAGS_streams));
    for (int i = 0; i < count; ++i) {
      const Target& target = targets[i % targets.size()];
      streams.push_back(std::make_unique<StreamCaller>(target.stubs[i % target.stubs.size()].get(),
                                                       i, std::max(1, callers / count), &results));
    }
  } else {
    for (int i = 0; i < callers; ++i) {
      unary.push_back(std::make_unique<UnaryCaller>(&targets, i, &results, &unary_done));
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
    ack_detail_out = nullptr;
    error_out = nullptr;
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
