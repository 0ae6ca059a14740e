// The delivery engine: coalesces converted items from many concurrent callers
// into shared Braze /users/track requests per workspace, and delivers them
// with bounded concurrency, pacing (RateGovernor), and retries with backoff.
//
// Batching is adaptive: a full request (Braze's cap) leaves as soon as a
// concurrency slot and a rate token are free. When Braze is idle (fewer than
// `partial_below_in_flight` requests in flight) a lone item goes out at once;
// under load, items wait while earlier requests are in flight until a request
// is full or the oldest has waited `max_linger`.
// Per-user order: a user's items never travel in two concurrent requests, and
// a retried request's items go back to the front of the queue. When a durable
// (outbox) item finally fails retryably (out of attempts or time), the same
// user's durable items queued behind it fail with it: the relay reschedules
// them together, so none reaches Braze before it.
// Nothing accepted is dropped: every submitted item gets exactly one verdict.
#ifndef BRAZESYNC_SERVER_DELIVERY_DELIVERY_ENGINE_H_
#define BRAZESYNC_SERVER_DELIVERY_DELIVERY_ENGINE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/braze/request_planner.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_budget.h"
#include "server/delivery/rate_governor.h"
#include "server/delivery/retry_policy.h"
#include "server/http/http_client.h"

namespace brazesync {

struct EngineOptions {
  // false: each Submit's items travel only with each other (one caller per
  // Braze request), as a hand-written forwarder would; the benchmark baseline.
  bool coalesce = true;
  // A request that is not full leaves at once only while fewer than this
  // many requests are in flight (Braze idle); otherwise it waits for more
  // items, up to max_linger.
  int partial_below_in_flight = 2;
  absl::Duration max_linger = absl::Milliseconds(5);
  // Items waiting per workspace; beyond it Submit fails RESOURCE_EXHAUSTED.
  size_t max_queued_items_per_workspace = 100'000;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Pacing of each workspace: Braze's /users/track rate limit, and
  // max_concurrency, the ceiling of concurrent Braze requests per workspace
  // (the AIMD limit starts there). Every workspace gets its own RateGovernor.
  RateGovernorOptions governor;
  // Where each workspace's governor takes its tokens from, made when the
  // workspace's lane is created; empty: a LocalRateBudget from `governor`
  // (single node). Cluster mode passes SharedRateBudgets::factory().
  RateBudgetFactory rate_budgets;
};

// One converted item handed to the engine.
struct EngineItem {
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  std::string user_key;
  std::string json;  // the serialized Braze object
  // The item's outbox row (asynchronous delivery), or 0. Requests carrying
  // such items pass the SendGate first.
  int64_t durable_id = 0;
};

// Told, before a request carrying durable items leaves, which items it
// carries; the request leaves only once `proceed` runs with OK (an error fails
// the attempt retryably). The outbox uses it to record, durably, that those
// items may have reached Braze should the process die before their verdict.
class SendGate {
 public:
  virtual ~SendGate() = default;
  virtual void BeforeSend(std::vector<int64_t> durable_ids,
                          absl::AnyInvocable<void(absl::Status) &&> proceed) = 0;
};

// The engine's verdict on one item.
struct ItemVerdict {
  v1::ItemStatus status = v1::ITEM_STATUS_UNSPECIFIED;  // DELIVERED, REJECTED_BY_BRAZE or FAILED
  std::string braze_error;                              // REJECTED_BY_BRAZE: Braze's reason
  absl::Status failure;                                 // FAILED: why
};

struct DeliveryOutcome {
  std::vector<ItemVerdict> verdicts;  // one per submitted item, in order
  int braze_requests = 0;             // HTTP requests that carried this call's items
};

// Counters for metrics and benchmarks.
struct EngineStats {
  int64_t braze_requests = 0;
  int64_t items_sent = 0;  // items carried by those requests (retries included)
  int64_t retries = 0;
  int64_t governor_waits = 0;
  size_t queued_items = 0;
};

class DeliveryEngine final {
 public:
  using Done = absl::AnyInvocable<void(DeliveryOutcome) &&>;

  // `http` and `keys` must outlive the engine. Each request carries the key
  // `keys` gives for its workspace when the request is built, so a rotated
  // key goes out with the next request.
  DeliveryEngine(HttpClient* http, const ApiKeySource* keys, const EngineOptions& options);
  // Shutdown(), then waits for the requests still in flight.
  ~DeliveryEngine();
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Queues `items` for `workspace` (which must outlive the engine). `done`
  // runs exactly once, on an engine or HTTP thread, when every item has a
  // verdict; items not sent by `deadline` fail DEADLINE_EXCEEDED. Returns
  // RESOURCE_EXHAUSTED (and never calls `done`) when the queue is full.
  absl::Status Submit(const WorkspaceSettings& workspace, std::vector<EngineItem> items,
                      absl::Time deadline, Done done);

  EngineStats stats() const;

  // Installs (or, with nullptr, removes) the gate for durable items. The gate
  // must stay valid until removed.
  void SetSendGate(SendGate* gate);

  // Stops sending: queued items fail UNAVAILABLE, and items whose request is
  // in flight get that request's verdict or fail (never requeued). Later
  // Submits fail UNAVAILABLE. Idempotent.
  void Shutdown();

 private:
  struct Call;
  struct QueuedItem;
  struct UserQueue;
  struct Lane;
  struct Batch;

  void DispatchLoop();
  // Takes the next request's items from the lane's queue, failing into
  // `finished` items that expired or can never fit a request.
  std::unique_ptr<Batch> TakeBatch(Lane& lane, absl::Time now, absl::Time* wake,
                                   std::vector<std::shared_ptr<Call>>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the lane's next request should leave now (full, Braze idle, or
  // lingered long enough); otherwise lowers `wake` to when it should.
  bool ShouldSendNow(const Lane& lane, absl::Time now, absl::Time* wake) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailExpired(Lane& lane, absl::Time now, std::vector<std::shared_ptr<Call>>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends `batch` to Braze, through `gate` when it carries durable items.
  void Send(std::unique_ptr<Batch> batch, SendGate* gate);
  void Post(std::unique_ptr<Batch> batch);
  void OnAttemptDone(std::unique_ptr<Batch> batch, absl::StatusOr<HttpResponse> response);
  // After a failed attempt: queue the batch's items again (in order, at the
  // front) or fail those out of attempts or time.
  void RetryOrFail(Batch& batch, const std::vector<size_t>& positions, const absl::Status& failure,
                   absl::Duration delay, absl::Time now,
                   std::vector<std::shared_ptr<Call>>* finished) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a durable item of `user_key` failed for good with `failure`: when
  // that is retryable (the relay will reschedule it), the user's durable items
  // still queued in `lane`, all of them later, fail with it, so that the relay
  // reschedules them together and none reaches Braze before it.
  void FailDurableBehind(Lane& lane, uint64_t user_key, const absl::Status& failure,
                         std::vector<std::shared_ptr<Call>>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Resolve(QueuedItem& item, ItemVerdict verdict, std::vector<std::shared_ptr<Call>>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Lane& LaneFor(const WorkspaceSettings& workspace) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void RunDone(std::vector<std::shared_ptr<Call>>& finished);

  HttpClient* const http_;
  const ApiKeySource* const keys_;
  const EngineOptions options_;
  Backoff backoff_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<const WorkspaceSettings*, std::unique_ptr<Lane>> lanes_ ABSL_GUARDED_BY(mu_);
  EngineStats stats_ ABSL_GUARDED_BY(mu_);
  SendGate* gate_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread dispatcher_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DELIVERY_DELIVERY_ENGINE_H_
