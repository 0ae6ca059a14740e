// Lookup benchmark driver (issue #14, docs/benchmarks.md "Contextual
// lookups"): simulated conversations, each starting with one LookupUsers of
// a visitor drawn from a Zipf-skewed population, sent open loop at a fixed
// rate (a conversation does not wait for the previous one). Runs a warm-up
// phase, then measures: the share of lookups answered (FOUND / NOT_FOUND,
// fresh or from cache within max_stale) within the answer budget, p50/p99
// latency, and the share deferred. Braze's side (calls, 429s) is read from
// the emulator by bench/run_lookup_bench.sh.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/lookup.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "BrazeSync server host:port");
ABSL_FLAG(double, rate, 2000, "Conversations (lookups) started per second");
ABSL_FLAG(int, users, 20000, "Population: external ids user-0 .. user-(N-1)");
ABSL_FLAG(double, zipf_s, 1.0, "Zipf exponent of the visitor draw");
ABSL_FLAG(int, warmup_s, 120, "Seconds of traffic before measuring");
ABSL_FLAG(int, duration_s, 60, "Seconds measured");
ABSL_FLAG(int, max_wait_ms, 45, "LookupUsersRequest.max_wait");
ABSL_FLAG(int, max_stale_s, 3600, "LookupUsersRequest.max_stale");
ABSL_FLAG(int, answer_budget_ms, 50, "A lookup answered within this long counts as on time");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections)");
ABSL_FLAG(uint64_t, seed, 1, "Random seed");

namespace {

namespace v1 = brazesync::v1;

// Draws ranks 0..n-1 with P(k) ~ 1/(k+1)^s.
class Zipf final {
 public:
  Zipf(int n, double s) : cdf_(n) {
    double sum = 0;
    for (int k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(k + 1, s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  int Draw(std::mt19937_64& random) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(random);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

struct Tally {
  int64_t sent = 0;
  int64_t rpc_errors = 0;
  int64_t answered = 0;          // FOUND / NOT_FOUND / AMBIGUOUS
  int64_t answered_on_time = 0;  // ... within the answer budget
  int64_t from_cache = 0;
  int64_t deferred = 0;
  int64_t errors = 0;  // LOOKUP_OUTCOME_ERROR
  int64_t braze_requests = 0;
  std::vector<double> latencies_ms;
};

// One lookup in flight.
struct Call {
  grpc::ClientContext context;
  v1::LookupUsersRequest request;
  v1::LookupUsersResponse response;
  absl::Time started;
  bool measured = false;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<std::unique_ptr<v1::BrazeLookup::Stub>> stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("bench_channel", i);  // distinct channels, distinct connections
    stubs.push_back(v1::BrazeLookup::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  const Zipf zipf(absl::GetFlag(FLAGS_users), absl::GetFlag(FLAGS_zipf_s));
  std::mt19937_64 random(absl::GetFlag(FLAGS_seed));
  const absl::Duration budget = absl::Milliseconds(absl::GetFlag(FLAGS_answer_budget_ms));

  absl::Mutex mu;
  Tally tally;
  std::atomic<int64_t> in_flight{0};

  const absl::Duration interval = absl::Seconds(1) / absl::GetFlag(FLAGS_rate);
  const absl::Time start = absl::Now();
  const absl::Time measure_from = start + absl::Seconds(absl::GetFlag(FLAGS_warmup_s));
  const absl::Time stop = measure_from + absl::Seconds(absl::GetFlag(FLAGS_duration_s));
  int64_t next = 0;
  while (true) {
    const absl::Time due = start + interval * static_cast<double>(next);
    if (due >= stop) break;
    const absl::Time now = absl::Now();
    if (due > now) absl::SleepFor(due - now);  // pacing the open loop, not synchronisation
    auto* call = new Call;
    call->request.add_external_ids(absl::StrCat("user-", zipf.Draw(random)));
    call->request.add_fields_to_export("first_name");
    call->request.add_fields_to_export("custom_attributes");
    call->request.mutable_max_wait()->set_nanos(absl::GetFlag(FLAGS_max_wait_ms) * 1'000'000);
    call->request.mutable_max_stale()->set_seconds(absl::GetFlag(FLAGS_max_stale_s));
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->started = absl::Now();
    call->measured = call->started >= measure_from;
    ++in_flight;
    stubs[next % stubs.size()]->async()->LookupUsers(
        &call->context, &call->request, &call->response, [&, call](grpc::Status status) {
          const absl::Duration latency = absl::Now() - call->started;
          if (call->measured) {
            absl::MutexLock lock(&mu);
            ++tally.sent;
            tally.latencies_ms.push_back(absl::ToDoubleMilliseconds(latency));
            if (!status.ok() || call->response.results_size() != 1) {
              ++tally.rpc_errors;
            } else {
              const v1::LookupResult& result = call->response.results(0);
              tally.braze_requests += call->response.braze_requests();
              switch (result.outcome()) {
                case v1::LOOKUP_OUTCOME_FOUND:
                case v1::LOOKUP_OUTCOME_NOT_FOUND:
                case v1::LOOKUP_OUTCOME_AMBIGUOUS:
                  ++tally.answered;
                  if (latency <= budget) ++tally.answered_on_time;
                  if (result.from_cache()) ++tally.from_cache;
                  break;
                case v1::LOOKUP_OUTCOME_DEFERRED:
                  ++tally.deferred;
                  break;
                default:
                  ++tally.errors;
              }
            }
          }
          delete call;
          --in_flight;
        });
    ++next;
  }
  while (in_flight.load() > 0) absl::SleepFor(absl::Milliseconds(10));  // drain before report

  absl::MutexLock lock(&mu);
  std::sort(tally.latencies_ms.begin(), tally.latencies_ms.end());
  auto quantile = [&](double q) {
    if (tally.latencies_ms.empty()) return 0.0;
    return tally.latencies_ms[static_cast<size_t>(q * (tally.latencies_ms.size() - 1))];
  };
  const double sent = std::max<int64_t>(tally.sent, 1);
  std::printf(
      "lookups=%lld rate=%.0f/s answered=%.2f%% answered_within_%dms=%.2f%% from_cache=%.2f%% "
      "deferred=%.2f%% errors=%lld rpc_errors=%lld p50_ms=%.2f p99_ms=%.2f "
      "braze_requests_reported=%lld\n",
      static_cast<long long>(tally.sent), tally.sent / absl::ToDoubleSeconds(stop - measure_from),
      100 * tally.answered / sent, absl::GetFlag(FLAGS_answer_budget_ms),
      100 * tally.answered_on_time / sent, 100 * tally.from_cache / sent,
      100 * tally.deferred / sent, static_cast<long long>(tally.errors),
      static_cast<long long>(tally.rpc_errors), quantile(0.5), quantile(0.99),
      static_cast<long long>(tally.braze_requests));
  return 0;
}
