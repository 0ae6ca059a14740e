// Braze emulator: a real HTTP server on loopback that answers POST /users/track
// the way Braze does (shared/reference/braze-api.md §1-§3 and the §6
// conformance cases, with the choices of docs/braze-rules.md) and
// POST /users/export/ids from the profiles those writes left (braze-api-round2.md
// §2.1 and cases 77-94; export_rules.h), with fault
// injection (latency, 5xx, 429, dropped connections), a record of every
// request, and a model of the profiles Braze would hold afterwards.
//
// It also serves Braze's identity, trigger and subscription endpoints
// (braze-api-round2.md §2.2-§2.6, §2.8-§2.11, §2.13, cases 95-159; each
// family's rules in its own file, served by braze_emulator_endpoints.cc):
//   POST /users/alias/new, /users/identify, /users/merge, /users/delete,
//        /users/external_ids/rename, /users/external_ids/remove
//                                   (identity_rules.h; they change the same
//                                   profiles the export reads)
//   POST /canvas/trigger/send, /campaigns/trigger/send
//                                   (trigger_rules.h; the messages Braze would
//                                   send are recorded, see /_emulator/messages)
//   POST /subscription/status/set, /v2/subscription/status/set,
//   GET  /subscription/user/status  (subscription_rules.h)
// Each needs the Bearer key and its permission (denied_permissions: 401
// Access Denied), has its own fixed-window budget with X-RateLimit-* headers
// (the identity pool, rename, remove, targeted triggers, broadcasts in total
// and per audience, subscriptions, the default pool), gets the injected
// faults, is recorded and counted per path (EmulatorStats::endpoint_*).
// Quirks modelled on purpose, each in docs/emulator.md: no-op successes,
// /users/merge applying one request's updates in REVERSE order, paused or
// archived Canvases answering a notice and sending nothing, a duplicate
// recipient getting one message with its last entry's properties, orphaned
// subscription states inherited by a later profile.
//
// It is used in-process by the server's integration tests and, through
// braze_emulator_main.cc, as the standalone `braze_emulator` binary for the
// quick start and benchmarks. It deliberately shares no code with the
// server's validator: each body is judged by JudgeTrackBody (track_rules.h),
// an independent re-implementation of Braze's rules, so a bug in the server's
// validation shows up as a disagreement instead of being mirrored here. The
// judge decides each object's fate (rejected into errors[], stored with
// alterations, or stored as sent); the stored forms are then applied to a
// ProfileStore (profile_store.h).
//
// The export has its own rate limits (a per-minute budget and an optional
// per-second "fast" budget), its own latency, an optional lag (it shows each
// profile as it was export_lag ago, like Braze's eventual consistency; this
// covers renames, merges and deletions too) and can be fed with seed_users
// synthetic profiles for benchmarks.
//
// Besides Braze's endpoints it serves a few admin endpoints under /_emulator/
// (not Braze's) for scripts and humans:
//   GET  /_emulator/health       -> 200 "ok"
//   GET  /_emulator/requests     -> JSON array of recorded requests (every
//                                   Braze endpoint)
//   GET  /_emulator/accepted     -> accepted() as JSON
//   GET  /_emulator/stored       -> stored() as JSON
//   GET  /_emulator/alterations  -> alterations() as a JSON array
//   GET  /_emulator/profiles     -> every profile in the store, as a JSON array
//   GET  /_emulator/stats        -> counters (kept even when recording is capped):
//                                   statuses, the limiter's own 429s apart from
//                                   injected 429s/5xx/drops, the busiest window;
//                                   export_* counters for /users/export/ids;
//                                   endpoint_requests, endpoint_by_status,
//                                   endpoint_rate_limited, endpoint_injected
//                                   (per path) and messages_sent for the
//                                   identity, trigger and subscription ones
//   GET  /_emulator/messages     -> messages() as a JSON array
//   GET  /_emulator/notes        -> endpoint_notes(): what the identity,
//                                   trigger and subscription endpoints did not
//                                   do although they answered success
//   GET  /_emulator/faults       -> the faults in force, as JSON
//   POST /_emulator/faults       -> replace the faults (JSON body, see SetFaults)
//   POST /_emulator/reset        -> Reset()
#ifndef BRAZESYNC_TESTS_EMULATOR_BRAZE_EMULATOR_H_
#define BRAZESYNC_TESTS_EMULATOR_BRAZE_EMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/endpoint_answer.h"
#include "tests/emulator/faults.h"
#include "tests/emulator/fixed_window_limiter.h"
#include "tests/emulator/profile_store.h"

namespace httplib {
struct Request;
struct Response;
class Server;
}  // namespace httplib

namespace brazesync::emulator {

// How the emulated Braze account behaves.
struct EmulatorOptions {
  // The only key accepted, as "Authorization: Bearer <api_key>".
  std::string api_key = "emulator-key";
  // false: at most max_objects across attributes+events+purchases (current
  // default accounts). true: at most max_objects in each array (legacy
  // accounts, so up to 3 * max_objects per request).
  bool per_array_cap = false;
  int max_objects = 75;
  // Bodies larger than this get 413.
  size_t max_body_bytes = 4'000'000;
  // Fixed window: the window starts with the first request after the previous
  // window ended and admits rate_limit_requests requests.
  int rate_limit_requests = 3000;
  absl::Duration rate_limit_window = absl::Seconds(3);
  // Worker threads started up front. httplib serves a keep-alive connection on
  // one thread for its whole life, so the pool grows on demand up to
  // max_threads (1,000 concurrent keep-alive clients need ~1,000 threads).
  int threads = 64;
  int max_threads = 4096;
  // How long an idle keep-alive connection is kept open.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // 0 = record every request. Otherwise only the newest record_limit requests
  // are kept (for long benchmark runs); stats() still counts everything.
  size_t record_limit = 0;
  // PEM certificate and key: when both are set the emulator serves HTTPS
  // (httplib::SSLServer) and base_url() starts with "https://". Tests make a
  // local CA and a certificate for 127.0.0.1 with the openssl CLI.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Apply every stored object to the profile store (profile(), profiles()).
  // Long benchmark runs may turn it off: the store keeps every event and
  // purchase, and record_limit does not bound it.
  bool profile_store = true;
  // The workspace's array attribute cap (Data Settings > Custom Attributes;
  // 500 by default, 25 or 100 on older workspaces).
  int max_array_length = 500;
  // The workspace's app_ids for push_tokens; empty accepts any (case #33).
  std::vector<std::string> push_app_ids;
  // Whether api_key holds the users.track permission; false answers every
  // authenticated request 403 "Access Denied" (case #69).
  bool track_permission = true;
  // external_ids refused as BLACKLISTED_EXTERNAL_USER_ID (case #21); Braze's
  // own list is unpublished, so none by default.
  std::vector<std::string> blocked_external_ids;

  // --- POST /users/export/ids (braze-api-round2.md §2.1) ---
  // Whether api_key holds users.export.ids; false answers every
  // authenticated export 401 "Access Denied" (case 94: Braze's newest error
  // page lists missing permissions under 401).
  bool export_permission = true;
  // Workspaces onboarded on or after 2024-08-22 must send fields_to_export
  // (case 80); false models an older workspace, which gets every field.
  bool require_fields_to_export = true;
  // The export's own fixed window, apart from /users/track's: 250 per
  // minute on new workspaces (2,500 on older ones).
  int export_rate_limit_requests = 250;
  absl::Duration export_rate_limit_window = absl::Seconds(60);
  // > 0: Braze's fast path (40/s). A call whose fields_to_export is given and
  // names neither canvases_received nor campaigns_received is counted against
  // this per-second window instead of the one above (case 82).
  int export_fast_requests_per_second = 0;
  // Added to every export response, on top of Faults::latency (which applies
  // to both endpoints): benchmarks want slow exports and fast tracks.
  absl::Duration export_latency;
  // The export shows each profile as it was export_lag ago: a profile
  // created less than export_lag ago is unknown, a change made less than
  // export_lag ago is not visible yet (case 88; RudderStack polls ~31 s).
  absl::Duration export_lag;
  // Profiles user-0 ... user-(N-1) created at start (and again after Reset()),
  // dated long ago so that export_lag never hides them: external_id,
  // first_name "User i", email user-i@example.com, custom attributes tier
  // ("gold" for even i, "silver" for odd) and visits (i % 50), and one
  // "seeded" custom event an hour before seeding.
  int seed_users = 0;
  // The emulator's clock for the export (its limiter, lag, created_at and the
  // 90-day event window) and for the time profiles change. Tests set it to
  // step through export_lag without sleeping; empty means absl::Now. Called
  // under the emulator's lock: it must not call back into the emulator.
  std::function<absl::Time()> clock;

  // --- Identity, trigger and subscription endpoints (braze-api-round2.md
  // §2.2-§2.6, §2.8-§2.11, §2.13; docs/emulator.md) ---
  // Permissions the key lacks, e.g. "users.merge": the endpoint answers 401
  // "Access Denied". One of users.alias.new, users.identify, users.merge,
  // users.delete, users.external_ids.rename, users.external_ids.remove,
  // canvas.trigger.send, campaigns.trigger.send, subscription.status.set,
  // subscription.groups.get.
  std::vector<std::string> denied_permissions;
  // Fixed windows, each with X-RateLimit-* headers and 429 like the others.
  // The identity pool, shared by /users/alias/new, /users/identify,
  // /users/merge and /users/delete.
  int identity_rate_limit_requests = 20000;
  absl::Duration identity_rate_limit_window = absl::Seconds(60);
  int rename_rate_limit_requests = 1000;  // /users/external_ids/rename
  absl::Duration rename_rate_limit_window = absl::Seconds(60);
  int remove_rate_limit_requests = 1000;  // /users/external_ids/remove
  absl::Duration remove_rate_limit_window = absl::Seconds(60);
  // Targeted triggers (recipients), shared by Canvas and campaigns.
  int trigger_rate_limit_requests = 250000;
  absl::Duration trigger_rate_limit_window = absl::Seconds(3600);
  // Broadcast or audience triggers: this many per window in total AND
  // broadcast_audience_rate_limit_requests per unique audience (the canvas_id
  // or campaign_id plus the `audience` object).
  int broadcast_rate_limit_requests = 250;
  int broadcast_audience_rate_limit_requests = 10;
  absl::Duration broadcast_rate_limit_window = absl::Seconds(60);
  // /subscription/status/set v1 and v2 together.
  int subscription_rate_limit_requests = 5000;
  absl::Duration subscription_rate_limit_window = absl::Seconds(60);
  // Braze's default pool; here only GET /subscription/user/status uses it.
  int default_rate_limit_requests = 250000;
  absl::Duration default_rate_limit_window = absl::Seconds(3600);
  // id -> "active", "paused" or "archived". An id missing from a non-empty
  // map answers 400 "Canvas with id <id> not found" ("Campaign with id ...");
  // an empty map makes every id active.
  std::map<std::string, std::string> canvas_states;
  std::map<std::string, std::string> campaign_states;
};

// One silent change Braze makes to a processed object (track_rules.h) or
// one thing it does not do with it (profile_store.h).
struct Alteration {
  std::string array;      // "attributes", "events" or "purchases"
  uint64_t sequence = 0;  // the request's arrival number since Start()
  size_t index = 0;       // the object's index in its array
  std::string text;
};

// One request to any of the emulated Braze endpoints (/users/track, the
// rejected "/users/track/", /users/export/ids, the identity, trigger and
// subscription endpoints).
struct RecordedRequest {
  std::string method;
  std::string path;
  // Lower-cased names. Authorization is never stored: its value is
  // "Bearer <redacted>", "<redacted>" (present but not a Bearer token) or
  // "<missing>". Repeated headers are joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  // 0 when the connection was dropped by fault injection.
  int status = 0;
  std::string response_body;
  absl::Time received;
};

// Counters over every /users/track request (and, under export_*, every
// /users/export/ids request; under endpoint_*, per path, every identity,
// trigger and subscription request) since start or Reset(), kept even when
// record_limit discards old requests.
struct EmulatorStats {
  uint64_t requests = 0;
  std::map<int, uint64_t> by_status;  // status 0 = dropped
  uint64_t attributes_accepted = 0;
  uint64_t events_accepted = 0;
  uint64_t purchases_accepted = 0;
  // Where the non-2xx answers came from: the real fixed-window limiter
  // (rate_limited, 429 with X-RateLimit-*) versus fault injection (injected_429
  // from rate_429 or a fail_next of 429; injected_5xx; dropped). A shared-budget
  // test counts rate_limited alone: injected 429s are not its fault.
  uint64_t rate_limited = 0;
  uint64_t injected_429 = 0;
  uint64_t injected_5xx = 0;
  uint64_t dropped = 0;
  // Requests the limiter counted in its busiest window so far (admitted and
  // rejected alike; injected faults do not count against the window).
  uint64_t max_window_requests = 0;

  // /users/export/ids, counted apart from the track counters above.
  uint64_t export_requests = 0;
  std::map<int, uint64_t> export_by_status;  // status 0 = dropped
  // Calls counted against the fast (per-second) budget.
  uint64_t export_fast_requests = 0;
  // The export limiters' own 429s (either budget) versus injected faults.
  uint64_t export_rate_limited = 0;
  uint64_t export_injected_429 = 0;
  uint64_t export_injected_5xx = 0;
  uint64_t export_dropped = 0;
  // Identifiers asked about in answered (200) exports, and the users returned.
  uint64_t export_identifiers = 0;
  uint64_t export_users_returned = 0;
  // The busiest window so far of the per-minute budget and of the fast one.
  uint64_t export_max_window_requests = 0;
  uint64_t export_fast_max_window_requests = 0;

  // The identity, trigger and subscription endpoints, per path (e.g.
  // "/users/merge"): requests, their statuses (0 = dropped), the limiters'
  // own 429s, and injected faults (429, 5xx and drops together).
  std::map<std::string, uint64_t> endpoint_requests;
  std::map<std::string, std::map<int, uint64_t>> endpoint_by_status;
  std::map<std::string, uint64_t> endpoint_rate_limited;
  std::map<std::string, uint64_t> endpoint_injected;
  // Messages the trigger endpoints sent (messages()).
  uint64_t messages_sent = 0;
};

class BrazeEmulator final {
 public:
  explicit BrazeEmulator(EmulatorOptions options);
  ~BrazeEmulator();  // Stops the server.
  BrazeEmulator(const BrazeEmulator&) = delete;
  BrazeEmulator& operator=(const BrazeEmulator&) = delete;

  // Binds host:port (port 0 picks a free port) and starts serving. Returns
  // once the socket is listening and the accept loop runs, so a client may
  // connect as soon as this returns. Fails if already started.
  absl::Status Start(const std::string& host, int port);
  // The bound port (0 before Start()).
  int port() const;
  // "http://127.0.0.1:PORT" ("https://..." with TLS; the host given to
  // Start(); a wildcard host is reported as 127.0.0.1).
  std::string base_url() const;
  // Stops serving and closes open connections (including idle keep-alive
  // ones, so Stop() does not wait for keep_alive_timeout). Idempotent.
  void Stop();

  // Replaces the faults in force and reseeds the random generator.
  void SetFaults(const Faults& faults);
  Faults faults() const;

  // All recorded /users/track and /users/export/ids requests, in arrival order.
  std::vector<RecordedRequest> requests() const;
  // {"attributes":[...],"events":[...],"purchases":[...]}: every object that
  // Braze would have processed (2xx response and not listed in errors[]), in
  // request arrival order and array order within a request.
  nlohmann::json accepted() const;
  // The same objects in the same shape, each in the form Braze applies it
  // (country mapped or wiped, over-long strings not applied, arrays
  // deduplicated or truncated, future times replaced by now, ...).
  nlohmann::json stored() const;
  // Every alteration, in request arrival order, then array and index order.
  std::vector<Alteration> alterations() const;
  // The profile `identifiers` resolves to (ProfileStore::FindProfile), e.g.
  // profile({{"external_id", "u1"}}); nullopt when there is none.
  std::optional<nlohmann::json> profile(const nlohmann::json& identifiers) const;
  // Every profile, in creation order.
  nlohmann::json profiles() const;
  EmulatorStats stats() const;
  // Every message the trigger endpoints sent, in order (trigger_rules.h
  // TriggerResult::messages): {"endpoint", "canvas_id"|"campaign_id",
  // "dispatch_id", "recipient", "external_id"?, "properties",
  // "properties_key", "audience"?}.
  nlohmann::json messages() const;
  // Notes on what the identity, trigger and subscription endpoints did not
  // do (no-op successes), as {"sequence", "path", "text"} objects.
  nlohmann::json endpoint_notes() const;

  // Forgets recorded requests, accepted objects, profiles, messages and stats, restarts the
  // rate-limit windows, cancels pending fail_next/drop_next and reseeds the
  // generator. Latency, the *_rate faults and the seed_users profiles stay
  // (the latter are created again), so a benchmark configured by flags keeps
  // its shape across resets.
  void Reset();

 private:
  class HttpServer;
  struct Outcome;
  struct Entry {
    RecordedRequest request;
    // {"attributes":[...],"events":[...],"purchases":[...]} or null.
    nlohmann::json accepted;
    nlohmann::json stored;  // same shape as accepted, or null
    std::vector<Alteration> alterations;
  };
  enum class Injected { kNone, kDrop, kFail, kRateLimit429 };
  // kIdentity: every endpoint of identity_rules.h, trigger_rules.h and
  // subscription_rules.h, counted per path in EmulatorStats::endpoint_*.
  enum class Route { kTrack, kExport, kIdentity };
  using RateWindow = RateWindowState;
  // A fixed window: it starts with the first request after the previous one
  // ended and counts the requests in it.
  struct FixedWindow {
    absl::Time end = absl::InfinitePast();
    int count = 0;
  };
  // What the export needs beyond the ProfileStore, per profile index.
  struct ProfileHistory {
    absl::Time created;
    // Only with export_lag > 0: the profile as it was from each time on,
    // oldest first, trimmed to the newest one at least export_lag old plus
    // every newer one.
    std::deque<std::pair<absl::Time, nlohmann::json>> snapshots;
  };
  struct ExportAnswer;

  void RegisterRoutes();
  void HandleTrack(const httplib::Request& req, httplib::Response& res, bool trailing_slash);
  void HandleExport(const httplib::Request& req, httplib::Response& res);
  // A request as every endpoint first sees it: numbered, and with the fault
  // drawn for it.
  struct Arrival {
    absl::Time received;
    uint64_t seq = 0;
    Injected injected = Injected::kNone;
    int injected_status = 0;
    int retry_after = 0;
  };
  // Numbers a request and, `with_faults`, draws its injected fault and
  // sleeps the faults' latency plus `extra_latency`.
  Arrival Arrive(bool with_faults, absl::Duration extra_latency);
  // Answers an injected fault (drop, 429, 5xx) and records it; false when
  // none was drawn. `peek_window` gives the rate headers of a 5xx.
  bool AnswerInjectedFault(Route route, const Arrival& arrival, const httplib::Request& req,
                           httplib::Response& res, const std::function<RateWindow()>& peek_window);
  // What every endpoint checks first, in Braze's order: the Bearer key
  // (401), the key's permission for the endpoint (`denied_status`: Braze
  // answers 403 on /users/track, 401 on /users/export/ids), the JSON
  // content type (415). nullopt when the request passes.
  struct Refusal {
    int status;
    std::string message;
  };
  // `json_body` false (GET): no Content-Type is needed.
  std::optional<Refusal> RefuseCaller(const httplib::Request& req, bool permitted,
                                      int denied_status, bool json_body = true) const;
  // Serves one identity, trigger or subscription endpoint: faults, the
  // budgets `budgets` names for the parsed body (LimiterLocked names,
  // counted in order until one refuses), the key and `permission`, the body
  // (413, 400 when not a JSON object) and `answer`, which runs under mu_ and
  // may change the profiles. Records the request and counts it per path.
  using Budgets = std::function<std::vector<std::string>(const nlohmann::json& body)>;
  using Answerer = std::function<EndpointAnswer(const nlohmann::json& body)>;
  void HandleEndpoint(const httplib::Request& req, httplib::Response& res,
                      const std::string& permission, bool json_body, const Budgets& budgets,
                      const Answerer& answer);
  // The routes of identity_rules.h, trigger_rules.h and subscription_rules.h
  // (braze_emulator_endpoints.cc).
  void RegisterIdentityRoutes(httplib::Server& server);
  // Serves /canvas/trigger/send or /campaigns/trigger/send.
  void HandleTrigger(const httplib::Request& req, httplib::Response& res, bool campaign);
  bool Permitted(const std::string& permission) const;
  // The budget called `name`, made from the options on first use:
  // "identity", "rename", "remove", "trigger", "broadcast", "subscription",
  // "default", or "audience:<BroadcastAudienceKey>".
  FixedWindowLimiter& LimiterLocked(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Outcome Evaluate(const httplib::Request& req) const;
  ExportAnswer EvaluateExport(const httplib::Request& req);
  Injected DecideFaultLocked(int& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  RateWindow CountRequestLocked(absl::Time now, bool consume) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts an export in the fast or the per-minute window (consume) or only
  // reads it (for the headers of an injected 5xx).
  RateWindow CountExportLocked(absl::Time now, bool fast, bool consume)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static RateWindow CountInWindow(FixedWindow& window, absl::Time now, absl::Duration length,
                                  int limit, bool consume);
  void Record(uint64_t seq, absl::Time received, const httplib::Request& req, int status,
              const std::string& response_body, Outcome* outcome, Route route = Route::kTrack);
  // The emulator's clock (EmulatorOptions::clock).
  absl::Time Now() const;
  // Keeps history_ in step with profiles_ after Apply() touched `index` at
  // `now`: a created time for new profiles and, with export_lag, a snapshot.
  void NoteProfileChangedLocked(size_t index, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The profile at `index` as the export sees it at `now` (export_lag ago);
  // nullptr when it did not exist yet.
  const nlohmann::json* VisibleProfileLocked(size_t index, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Indexes of the profiles the export finds for one identifier (ProfileStore
  // form: {"external_id": ...}, {"user_alias": ...}, {"email": ...}, ...).
  std::vector<size_t> ExportLookupLocked(const nlohmann::json& identifier, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SeedProfilesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  nlohmann::json RequestsJson() const;

  const EmulatorOptions options_;

  // Lifecycle state; only touched by Start()/Stop() and the accessors, which
  // callers do not race with each other.
  std::unique_ptr<HttpServer> server_;
  std::thread listen_thread_;
  std::unique_ptr<absl::Notification> listen_done_;
  std::string host_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  Faults faults_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Keyed by arrival sequence number: responses finish out of order, and a
  // map keeps insertion cheap while iterating in arrival order.
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  EmulatorStats stats_ ABSL_GUARDED_BY(mu_);
  ProfileStore profiles_ ABSL_GUARDED_BY(mu_);
  FixedWindow track_window_ ABSL_GUARDED_BY(mu_);
  FixedWindow export_window_ ABSL_GUARDED_BY(mu_);
  FixedWindow export_fast_window_ ABSL_GUARDED_BY(mu_);
  // Indexed like profiles_ (creation order).
  std::vector<ProfileHistory> history_ ABSL_GUARDED_BY(mu_);
  // With export_lag: (time, index) of every change made less than export_lag
  // ago, oldest first. A profile whose e-mail or phone changed recently is
  // not under its old value in the ProfileStore's index any more, yet the
  // export must still find it there; these are the only such candidates.
  std::deque<std::pair<absl::Time, size_t>> recent_changes_ ABSL_GUARDED_BY(mu_);
  // With export_lag: (time, index) of every profile an identity endpoint
  // changed less than export_lag ago; the export looks at these for every
  // identifier (a renamed or deleted id is gone from the store's indexes).
  std::deque<std::pair<absl::Time, size_t>> recent_identity_changes_ ABSL_GUARDED_BY(mu_);

  // The identity, trigger and subscription endpoints' budgets, by name
  // (LimiterLocked); Reset() forgets them.
  std::map<std::string, FixedWindowLimiter> limiters_ ABSL_GUARDED_BY(mu_);
  nlohmann::json messages_ ABSL_GUARDED_BY(mu_) = nlohmann::json::array();
  nlohmann::json endpoint_notes_ ABSL_GUARDED_BY(mu_) = nlohmann::json::array();
  uint64_t next_dispatch_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_BRAZE_EMULATOR_H_
