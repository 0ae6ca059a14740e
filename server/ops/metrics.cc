// Prometheus metrics of BrazeSync.
#include "server/ops/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace brazesync {
namespace {

prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

// Reads EngineStats at scrape time; batch fill is computed over the interval
// since the previous scrape.
class Metrics::EngineCollectable final : public prometheus::Collectable {
 public:
  void SetSource(std::function<EngineStats()> source) {
    std::lock_guard<std::mutex> lock(mu_);
    source_ = std::move(source);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!source_) return {};
    const EngineStats stats = source_();
    const int64_t requests = stats.braze_requests - last_.braze_requests;
    const int64_t items = stats.items_sent - last_.items_sent;
    if (requests > 0) batch_fill_ = static_cast<double>(items) / static_cast<double>(requests);
    last_ = stats;
    using prometheus::MetricType;
    return {
        Family("brazesync_braze_requests_total", "HTTP requests sent to Braze /users/track",
               MetricType::Counter, static_cast<double>(stats.braze_requests)),
        Family("brazesync_data_points_sent_total",
               "Items (attributes objects, events, purchases) carried by Braze requests, "
               "retries included",
               MetricType::Counter, static_cast<double>(stats.items_sent)),
        Family("brazesync_braze_retries_total", "Braze requests retried (429, 5xx, network)",
               MetricType::Counter, static_cast<double>(stats.retries)),
        Family("brazesync_rate_governor_waits_total",
               "Times a ready Braze request waited for the rate governor", MetricType::Counter,
               static_cast<double>(stats.governor_waits)),
        Family("brazesync_queue_depth", "Items waiting in the delivery engine", MetricType::Gauge,
               static_cast<double>(stats.queued_items)),
        Family("brazesync_batch_fill_items",
               "Average items per Braze request since the previous scrape", MetricType::Gauge,
               batch_fill_),
    };
  }

 private:
  mutable std::mutex mu_;
  std::function<EngineStats()> source_;
  mutable EngineStats last_;
  mutable double batch_fill_ = 0;
};

// Reads the cluster store's state at scrape time.
class Metrics::StoreCollectable final : public prometheus::Collectable {
 public:
  void SetSource(std::function<StoreGauges()> source) {
    std::lock_guard<std::mutex> lock(mu_);
    source_ = std::move(source);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!source_) return {};
    const StoreGauges store = source_();
    using prometheus::MetricType;
    return {
        Family("brazesync_store_reachable",
               "1 while the shared PostgreSQL store is reachable (cluster mode); 0: async Track "
               "is refused and queued items wait",
               MetricType::Gauge, store.reachable ? 1 : 0),
        Family("brazesync_rate_budget_degraded",
               "1 while the shared Braze rate budget is unreachable and its fallback is in use",
               MetricType::Gauge, store.rate_budget_degraded ? 1 : 0),
        Family("brazesync_cluster_live_replicas",
               "Replicas whose owner session PostgreSQL saw alive at the last heartbeat",
               MetricType::Gauge, store.live_replicas),
        Family("brazesync_owned_partitions", "Outbox partitions this replica delivers now",
               MetricType::Gauge, store.owned_partitions),
    };
  }

 private:
  mutable std::mutex mu_;
  std::function<StoreGauges()> source_;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      engine_(std::make_shared<EngineCollectable>()),
      store_(std::make_shared<StoreCollectable>()) {
  calls_ = &prometheus::BuildCounter()
                .Name("brazesync_requests_total")
                .Help("Track calls and TrackStream messages by method and gRPC code")
                .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("brazesync_request_duration_seconds")
                  .Help("Time from receipt to answer of a Track call or TrackStream message")
                  .Register(*registry_);
  items_ = &prometheus::BuildCounter()
                .Name("brazesync_items_total")
                .Help("Items received, by kind and outcome")
                .Register(*registry_);
  braze_responses_ = &prometheus::BuildCounter()
                          .Name("brazesync_braze_responses_total")
                          .Help("Braze HTTP responses by status code (0: no response)")
                          .Register(*registry_);
  rejections_ = &prometheus::BuildCounter()
                     .Name("brazesync_rejected_calls_total")
                     .Help("Calls refused before any work, by reason")
                     .Register(*registry_);
  reloads_ = &prometheus::BuildCounter()
                  .Name("brazesync_secret_reloads_total")
                  .Help("Reloads of secrets and callers, by result")
                  .Register(*registry_);
  lookup_results_ = &prometheus::BuildCounter()
                         .Name("brazesync_lookup_results_total")
                         .Help(
                             "LookupUsers identifiers answered, by outcome and source "
                             "(cache, braze, none)")
                         .Register(*registry_);
  action_results_ = &prometheus::BuildCounter()
                         .Name("brazesync_action_results_total")
                         .Help(
                             "Items of identity, messaging and subscription rpcs, by method and "
                             "status")
                         .Register(*registry_);
  braze_reachable_ = &prometheus::BuildGauge()
                          .Name("brazesync_braze_reachable")
                          .Help("1 while Braze answers, 0 after consecutive transport failures")
                          .Register(*registry_)
                          .Add({});
  braze_reachable_->Set(1);
}

Metrics::~Metrics() = default;

namespace {

// The cached handle of `key`'s series, added to the family by `add` the first
// time.
template <typename Key, typename T, typename Add>
T& CachedHandle(absl::flat_hash_map<Key, T*>& cache, const Key& key, Add add) {
  T*& handle = cache[key];
  if (handle == nullptr) handle = &add();
  return *handle;
}

}  // namespace

void Metrics::CountCall(absl::string_view method, absl::string_view code, double seconds) {
  prometheus::Counter* calls;
  prometheus::Histogram* latency;
  {
    absl::MutexLock lock(&handles_mu_);
    calls = &CachedHandle(call_counters_, LabelPair(method, code), [&]() -> prometheus::Counter& {
      return calls_->Add({{"method", std::string(method)}, {"code", std::string(code)}});
    });
    latency = &CachedHandle(latencies_, std::string(method), [&]() -> prometheus::Histogram& {
      return latency_->Add(
          {{"method", std::string(method)}},
          prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25, 0.5, 1, 2.5, 5, 10, 30});
    });
  }
  calls->Increment();
  latency->Observe(seconds);
}

void Metrics::CountItems(absl::string_view kind, absl::string_view outcome, double count) {
  if (count <= 0) return;
  prometheus::Counter* items;
  {
    absl::MutexLock lock(&handles_mu_);
    items = &CachedHandle(item_counters_, LabelPair(kind, outcome), [&]() -> prometheus::Counter& {
      return items_->Add({{"kind", std::string(kind)}, {"outcome", std::string(outcome)}});
    });
  }
  items->Increment(count);
}

void Metrics::CountLookupResult(absl::string_view outcome, absl::string_view source) {
  prometheus::Counter* counter;
  {
    absl::MutexLock lock(&handles_mu_);
    counter =
        &CachedHandle(lookup_counters_, LabelPair(outcome, source), [&]() -> prometheus::Counter& {
          return lookup_results_->Add(
              {{"outcome", std::string(outcome)}, {"source", std::string(source)}});
        });
  }
  counter->Increment();
}

void Metrics::CountActionResult(absl::string_view method, absl::string_view status) {
  prometheus::Counter* counter;
  {
    absl::MutexLock lock(&handles_mu_);
    counter =
        &CachedHandle(action_counters_, LabelPair(method, status), [&]() -> prometheus::Counter& {
          return action_results_->Add(
              {{"method", std::string(method)}, {"status", std::string(status)}});
        });
  }
  counter->Increment();
}

void Metrics::CountBrazeResponse(int http_status) {
  braze_responses_->Add({{"code", absl::StrCat(http_status)}}).Increment();
}

void Metrics::CountRejection(absl::string_view reason) {
  rejections_->Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::SetBrazeReachable(bool reachable) { braze_reachable_->Set(reachable ? 1 : 0); }

void Metrics::CountReload(absl::string_view result) {
  reloads_->Add({{"result", std::string(result)}}).Increment();
}

void Metrics::SetEngineStatsSource(std::function<EngineStats()> stats) {
  engine_->SetSource(std::move(stats));
}

void Metrics::SetStoreSource(std::function<StoreGauges()> store) {
  store_->SetSource(std::move(store));
}

absl::StatusOr<int> Metrics::Serve(const std::string& listen) {
  if (exposer_ != nullptr) return absl::FailedPreconditionError("metrics: already serving");
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot listen on \"", listen, "\": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(engine_);
  exposer_->RegisterCollectable(store_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError("metrics_listen: no listening port");
  return ports.front();
}

std::string Metrics::Text() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& family : engine_->Collect()) families.push_back(std::move(family));
  for (auto& family : store_->Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace brazesync
