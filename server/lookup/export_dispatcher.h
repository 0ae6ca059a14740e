// Getting answers out of Braze's POST /users/export/ids within its budget
// (docs/lookup.md): every caller's external-id and alias lookups of a
// workspace are packed into calls of up to 50 identifiers (waiting at most
// the workspace's pack window for company), identical concurrent lookups
// share one identifier slot (single-flight), single-valued lookups (email,
// phone, braze id, device id) go one per call. Calls are paced by the
// workspace's export budget (a RateGovernor: Braze's export limit as tokens,
// corrected by X-RateLimit-Remaining, paused by 429 and Retry-After; the
// fast budget for calls whose fields qualify) and retried on 429, 5xx and
// network failures up to the workspace's max_attempts. Answers are stored in
// the workspace's LookupCache, and each waiter gets its identifier's answer.
//
// A fetch is not bound to the caller that asked: the caller's latency budget
// is the use case's business (user_lookup.h), and an answer that arrives
// after it still fills the cache for the next lookup.
#ifndef BRAZESYNC_SERVER_LOOKUP_EXPORT_DISPATCHER_H_
#define BRAZESYNC_SERVER_LOOKUP_EXPORT_DISPATCHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "brazesync/v1/types.pb.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/rate_budget.h"
#include "server/delivery/retry_policy.h"
#include "server/http/http_client.h"
#include "server/lookup/lookup_cache.h"

namespace brazesync {

// One identifier a lookup asks Braze for.
struct LookupIdentifier {
  enum class Kind { kExternalId, kUserAlias, kEmail, kPhone, kBrazeId, kDeviceId };
  Kind kind = Kind::kExternalId;
  std::string value;    // every kind but kUserAlias (phone in E.164)
  v1::UserAlias alias;  // kUserAlias
  // Whether Braze takes it with up to 49 others in one call.
  bool packable() const { return kind == Kind::kExternalId || kind == Kind::kUserAlias; }
  // The cache key (UserKey form; "device_id:..." for devices).
  std::string Key() const;
};

// A fetched identifier's answer.
struct ExportFetch {
  CachedAnswer answer;
  // Entries of Braze's invalid_user_ids that concern this identifier.
  std::vector<std::string> invalid_user_ids;
  // The call that answered (unique per dispatcher), so a lookup counts the
  // Braze calls it shared once each.
  uint64_t call_id = 0;
};

struct ExportDispatcherStats {
  int64_t calls = 0;        // export calls sent (retries included)
  int64_t identifiers = 0;  // identifiers those calls carried
  int64_t shared = 0;       // fetches that joined an identifier already queued or in flight
  int64_t throttled = 0;    // 429 answers
  int64_t refused = 0;      // fetches refused because the queue was full
};

class ExportDispatcher final {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<ExportFetch>) &&>;

  // `http` and `keys` must outlive the dispatcher. Most identifiers waiting
  // to be sent per workspace: beyond it, Fetch fails RESOURCE_EXHAUSTED.
  ExportDispatcher(HttpClient* http, const ApiKeySource* keys, size_t max_queued = 10'000);
  // Shutdown(), then waits for the calls in flight.
  ~ExportDispatcher();
  ExportDispatcher(const ExportDispatcher&) = delete;
  ExportDispatcher& operator=(const ExportDispatcher&) = delete;

  // Serves `workspace` (which must outlive the dispatcher) with `cache`;
  // `budgets` makes its export budgets (the cluster's shared ones, or local
  // token buckets). Call for every workspace before the first Fetch.
  void AddWorkspace(const WorkspaceSettings* workspace, LookupCache* cache,
                    const RateBudgetFactory& budgets);

  // Asks Braze for `id` with `fields` (sorted, unique, identifying fields
  // included). `done` runs exactly once, on a dispatcher or HTTP thread:
  // with the answer, or RESOURCE_EXHAUSTED (queue full), UNAVAILABLE (Braze
  // throttled, failed or unreachable after every attempt; shutdown),
  // FAILED_PRECONDITION (Braze refused the key: 401/403/404), INTERNAL
  // (Braze refused a call BrazeSync built, or answered garbage).
  void Fetch(const std::string& workspace, const LookupIdentifier& id,
             const std::vector<std::string>& fields, Done done);

  // When a call for `workspace` could start next (a hint for
  // LookupResult.retry_after).
  absl::Time NextCallAt(const std::string& workspace, absl::Time now);

  // Fails every queued fetch UNAVAILABLE and sends nothing more.
  void Shutdown();

  ExportDispatcherStats stats() const;

 private:
  struct Waiting;
  struct FieldSetQueue;
  struct Call;
  struct Lane;
  // A call ready to go out, posted once the lock is released (an HttpClient
  // may answer before Post returns); `failed` not OK: answer it with that.
  struct Outgoing {
    HttpRequest request;
    HttpCallback done;
    absl::Status failed;
  };

  void Loop();
  // Sends the lane's calls that are due and allowed; lowers `wake` to when
  // the next one may be.
  void SendDue(Lane& lane, absl::Time now, absl::Time* wake) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(Lane& lane, std::unique_ptr<Call> call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnResponse(Lane* lane, std::unique_ptr<Call> call, absl::StatusOr<HttpResponse> response);
  // Puts a call's identifiers back in the queue for another attempt at
  // `when`, or fails them with `status` after the last one.
  // `throttled`: the last attempt was a 429.
  void RetryOrFail(Lane& lane, Call& call, const absl::Status& status, bool throttled,
                   absl::Time when, std::vector<absl::AnyInvocable<void() &&>>* finish)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The waiting identifiers are shared by the queue, the single-flight
  // index and the call carrying them.
  HttpClient* const http_;
  const ApiKeySource* const keys_;
  const size_t max_queued_;
  Backoff backoff_{absl::Milliseconds(100), absl::Seconds(5)};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Lane>> lanes_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_call_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  ExportDispatcherStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<Outgoing> outgoing_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_LOOKUP_EXPORT_DISPATCHER_H_
