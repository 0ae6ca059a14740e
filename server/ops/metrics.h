// Prometheus metrics of BrazeSync (prometheus-cpp), all named brazesync_*:
// calls by method and code, their latency, items by outcome, Braze HTTP
// status codes, caller rejections, Braze reachability and secret reloads;
// plus the delivery engine's counters (Braze requests, retries, data points
// sent, batch fill, queue depth, rate-governor waits), read from
// DeliveryEngine::stats() at each scrape. Optionally served on /metrics by a
// pull Exposer. Never carries secrets or personal data in labels.
#ifndef BRAZESYNC_SERVER_OPS_METRICS_H_
#define BRAZESYNC_SERVER_OPS_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/delivery/delivery_engine.h"

namespace prometheus {
class Exposer;
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace brazesync {

// Cluster mode's store state, read at each scrape.
struct StoreGauges {
  bool reachable = true;
  bool rate_budget_degraded = false;
  int live_replicas = 0;
  int owned_partitions = 0;
};

class Metrics final {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished call (or TrackStream message): `code` is the gRPC code
  // name, e.g. "OK", "INVALID_ARGUMENT".
  void CountCall(absl::string_view method, absl::string_view code, double seconds);
  // `count` items of `kind` ("attributes", "events", "purchases") ended as
  // `outcome` ("delivered", "rejected_invalid", ...).
  void CountItems(absl::string_view kind, absl::string_view outcome, double count);
  // One Braze HTTP outcome: its status code, or 0 when no response arrived.
  void CountBrazeResponse(int http_status);
  // A call refused before any work: "unauthenticated", "permission_denied",
  // "rate_limited", "too_many_items".
  void CountRejection(absl::string_view reason);
  // One identifier a LookupUsers call answered: its outcome ("found",
  // "not_found", "ambiguous", "deferred", "error") and where the answer came
  // from ("cache", "braze", "none").
  void CountLookupResult(absl::string_view outcome, absl::string_view source);
  // One item of an identity, messaging or subscription rpc (`method`, e.g.
  // "TriggerCanvas") and its status ("accepted", "applied", "rejected_invalid",
  // "rejected_by_braze", "failed", "deferred", "valid", "duplicate").
  void CountActionResult(absl::string_view method, absl::string_view status);
  void SetBrazeReachable(bool reachable);
  // "ok" or "error".
  void CountReload(absl::string_view result);

  // Exposes `stats` (called at each scrape, from the scraping thread).
  void SetEngineStatsSource(std::function<EngineStats()> stats);
  // Cluster mode: exposes the store's state (called at each scrape); null
  // removes it.
  void SetStoreSource(std::function<StoreGauges()> store);

  // Starts serving /metrics on `listen` (host:port; port 0 picks one).
  // Returns the bound port.
  absl::StatusOr<int> Serve(const std::string& listen);

  // The Prometheus text format of everything (tests, debugging).
  std::string Text() const;

 private:
  class EngineCollectable;
  class StoreCollectable;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<EngineCollectable> engine_;
  std::shared_ptr<StoreCollectable> store_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Counter>* items_;
  prometheus::Family<prometheus::Counter>* braze_responses_;
  prometheus::Family<prometheus::Counter>* rejections_;
  prometheus::Family<prometheus::Counter>* reloads_;
  prometheus::Family<prometheus::Counter>* lookup_results_;
  prometheus::Family<prometheus::Counter>* action_results_;
  prometheus::Gauge* braze_reachable_;

  // Handles of the per-call series, by label values. Family::Add builds a
  // label map (and a histogram) on every call; a cached handle is a lookup.
  using LabelPair = std::pair<std::string, std::string>;
  absl::Mutex handles_mu_;
  absl::flat_hash_map<LabelPair, prometheus::Counter*> call_counters_ ABSL_GUARDED_BY(handles_mu_);
  absl::flat_hash_map<std::string, prometheus::Histogram*> latencies_ ABSL_GUARDED_BY(handles_mu_);
  absl::flat_hash_map<LabelPair, prometheus::Counter*> item_counters_ ABSL_GUARDED_BY(handles_mu_);
  absl::flat_hash_map<LabelPair, prometheus::Counter*> lookup_counters_
      ABSL_GUARDED_BY(handles_mu_);
  absl::flat_hash_map<LabelPair, prometheus::Counter*> action_counters_
      ABSL_GUARDED_BY(handles_mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_OPS_METRICS_H_
