// Braze emulator implementation: lifecycle, routes, fault injection, the
// rate limiters, the record of requests and the export's view of the
// profiles (lag, seeding). What Braze does with a body is JudgeTrackBody's
// business (track_rules.h) or ParseExportRequest's (export_rules.h), what it
// leaves on profiles is the ProfileStore's (profile_store.h); the HTTP
// plumbing is http_plumbing.h.
#include "tests/emulator/braze_emulator.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/datetime_syntax.h"
#include "tests/emulator/export_rules.h"
#include "tests/emulator/http_plumbing.h"
#include "tests/emulator/track_rules.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Braze's wording (braze-api.md §2, §6) where it is known.
constexpr char kInvalidApiKey[] = "Invalid API Key";
constexpr char kAccessDenied[] = "Access Denied";
constexpr char kUnsupportedMediaType[] =
    "Unsupported Media Type: the Content-Type header must be application/json";
constexpr char kTooLarge[] = "Request Entity Too Large";
// When seeded profiles were created: long enough ago for any export_lag.
constexpr int64_t kSeededAtUnixSeconds = 1'577'836'800;  // 2020-01-01T00:00:00Z

// Whether `doc` (a profile as the export sees it) still carries `identifier`
// (ProfileStore lookup form). With export_lag, candidates come from the
// current indexes and recent changes; the lagged document decides.
bool CarriesIdentifier(const Json& doc, const Json& identifier) {
  if (identifier.contains("external_id")) {
    // A renamed profile still answers to its deprecated ids (case 87).
    if (doc.contains("external_id") && doc["external_id"] == identifier["external_id"]) return true;
    const Json deprecated = doc.value("deprecated_external_ids", Json::array());
    return std::find(deprecated.begin(), deprecated.end(), identifier["external_id"]) !=
           deprecated.end();
  }
  for (const char* key : {"email", "phone", "braze_id"}) {
    if (identifier.contains(key)) return doc.contains(key) && doc[key] == identifier[key];
  }
  if (identifier.contains("user_alias")) {
    auto aliases = doc.find("user_aliases");
    if (aliases == doc.end() || !aliases->is_array()) return false;
    return std::any_of(aliases->begin(), aliases->end(), [&](const Json& a) {
      return a.value("alias_name", Json()) == identifier["user_alias"]["alias_name"] &&
             a.value("alias_label", Json()) == identifier["user_alias"]["alias_label"];
    });
  }
  return false;
}

// Braze's key order for a /users/track answer: message, the processed
// counts, then errors with type, input_array, index (JudgeTrackBody's JSON
// sorts keys).
OrderedJson InBrazeOrder(const Json& response) {
  OrderedJson out;
  for (const char* key :
       {"message", "attributes_processed", "events_processed", "purchases_processed"}) {
    if (response.contains(key)) out[key] = response[key];
  }
  if (response.contains("errors")) {
    OrderedJson errors = OrderedJson::array();
    for (const Json& e : response["errors"]) {
      errors.push_back(
          {{"type", e["type"]}, {"input_array", e["input_array"]}, {"index", e["index"]}});
    }
    out["errors"] = std::move(errors);
  }
  return out;
}

}  // namespace

// Server subclasses only to reach the protected listening socket, whose
// backlog we raise: httplib listens with a backlog of 5, and a burst of
// connects beyond that stalls for a SYN retransmit (1 s) before being accepted.
template <typename Base>
class SocketServer final : public Base {
 public:
  using Base::Base;
  int listen_fd() const { return this->svr_sock_; }
};

// The plain or TLS httplib server, seen as an httplib::Server.
class BrazeEmulator::HttpServer final {
 public:
  HttpServer() {
    auto server = std::make_unique<SocketServer<httplib::Server>>();
    listen_fd_ = [raw = server.get()] { return raw->listen_fd(); };
    server_ = std::move(server);
  }
  HttpServer(const std::string& cert_file, const std::string& key_file) {
    auto server =
        std::make_unique<SocketServer<httplib::SSLServer>>(cert_file.c_str(), key_file.c_str());
    valid_ = server->is_valid();
    listen_fd_ = [raw = server.get()] { return raw->listen_fd(); };
    server_ = std::move(server);
  }
  httplib::Server* operator->() { return server_.get(); }
  httplib::Server& operator*() { return *server_; }
  int listen_fd() const { return listen_fd_(); }
  bool valid() const { return valid_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::function<int()> listen_fd_;
  bool valid_ = true;
};

struct BrazeEmulator::ExportAnswer {
  int status = 0;
  OrderedJson body;
  size_t identifiers = 0;  // asked about, when status is 200
  size_t users = 0;        // returned, when status is 200
};

struct BrazeEmulator::Outcome {
  int status = 0;
  OrderedJson body;
  // Set only when something was processed (a 201).
  std::optional<BodyVerdict> verdict;
};

// ---------------------------------------------------------------------------
// Lifecycle.

BrazeEmulator::BrazeEmulator(EmulatorOptions options)
    : options_(std::move(options)), profiles_(options_.max_array_length) {
  absl::MutexLock lock(&mu_);
  rng_.seed(faults_.seed);
  SeedProfilesLocked();
}

BrazeEmulator::~BrazeEmulator() { Stop(); }

absl::Time BrazeEmulator::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

absl::Status BrazeEmulator::Start(const std::string& host, int port) {
  if (server_ != nullptr) return absl::FailedPreconditionError("emulator already started");
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  auto server = tls ? std::make_unique<HttpServer>(options_.tls_cert_file, options_.tls_key_file)
                    : std::make_unique<HttpServer>();
  if (!server->valid()) {
    return absl::InvalidArgumentError(absl::StrCat("emulator: cannot load TLS certificate \"",
                                                   options_.tls_cert_file, "\" / key \"",
                                                   options_.tls_key_file, "\""));
  }
  server_ = std::move(server);
  RegisterRoutes();
  const int initial = options_.threads;
  const int max = std::max(options_.threads, options_.max_threads);
  (*server_)->new_task_queue = [initial, max] { return new GrowingThreadPool(initial, max); };
  (*server_)->set_keep_alive_max_count(std::numeric_limits<int>::max());
  (*server_)->set_keep_alive_timeout(
      std::max<time_t>(1, absl::ToInt64Seconds(options_.keep_alive_timeout)));
  (*server_)->set_tcp_nodelay(true);
  // Bodies over max_body_bytes must reach the handler so that the 413 is
  // recorded and carries rate-limit headers; the margin only guards memory.
  (*server_)->set_payload_max_length(options_.max_body_bytes + (64u << 20));

  int bound = port;
  if (port == 0) {
    bound = (*server_)->bind_to_any_port(host);
  } else if (!(*server_)->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", port));
  }
  ::listen(server_->listen_fd(), SOMAXCONN);  // see HttpServer
  host_ = host;
  port_ = bound;
  listen_done_ = std::make_unique<absl::Notification>();
  listen_thread_ = std::thread([this] {
    (*server_)->listen_after_bind();
    listen_done_->Notify();
  });
  // The kernel already queues connections; wait for the accept loop as well,
  // because Server::stop() is a no-op until it runs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!(*server_)->is_running() && !listen_done_->HasBeenNotified() && absl::Now() < deadline) {
    absl::SleepFor(absl::Microseconds(200));
  }
  if (!(*server_)->is_running()) {
    Stop();
    return absl::InternalError("emulator accept loop did not start");
  }
  return absl::OkStatus();
}

int BrazeEmulator::port() const { return port_; }

std::string BrazeEmulator::base_url() const {
  std::string host = host_;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  return absl::StrCat(tls ? "https://" : "http://", host, ":", port_);
}

void BrazeEmulator::Stop() {
  if (server_ == nullptr) return;
  (*server_)->stop();
  // Wake connections parked in httplib's keep-alive wait; repeat until the
  // pool has drained, as a connection may be accepted during the first pass.
  do {
    ShutdownServerSockets(port_, nullptr);
  } while (!listen_done_->WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  if (listen_thread_.joinable()) listen_thread_.join();
  server_.reset();
  listen_done_.reset();
}

// ---------------------------------------------------------------------------
// State accessors.

void BrazeEmulator::SetFaults(const Faults& faults) {
  absl::MutexLock lock(&mu_);
  faults_ = faults;
  rng_.seed(faults_.seed);
}

Faults BrazeEmulator::faults() const {
  absl::MutexLock lock(&mu_);
  return faults_;
}

std::vector<RecordedRequest> BrazeEmulator::requests() const {
  absl::MutexLock lock(&mu_);
  std::vector<RecordedRequest> out;
  out.reserve(entries_.size());
  for (const auto& [seq, e] : entries_) out.push_back(e.request);
  return out;
}

Json BrazeEmulator::accepted() const {
  Json out = {
      {"attributes", Json::array()}, {"events", Json::array()}, {"purchases", Json::array()}};
  absl::MutexLock lock(&mu_);
  for (const auto& [seq, e] : entries_) {
    if (e.accepted.is_null()) continue;
    for (const char* name : kTrackArrayNames) {
      for (const Json& object : e.accepted[name]) out[name].push_back(object);
    }
  }
  return out;
}

Json BrazeEmulator::stored() const {
  Json out = {
      {"attributes", Json::array()}, {"events", Json::array()}, {"purchases", Json::array()}};
  absl::MutexLock lock(&mu_);
  for (const auto& [seq, e] : entries_) {
    if (e.stored.is_null()) continue;
    for (const char* name : kTrackArrayNames) {
      for (const Json& object : e.stored[name]) out[name].push_back(object);
    }
  }
  return out;
}

std::vector<Alteration> BrazeEmulator::alterations() const {
  std::vector<Alteration> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [seq, e] : entries_) {
    out.insert(out.end(), e.alterations.begin(), e.alterations.end());
  }
  return out;
}

std::optional<Json> BrazeEmulator::profile(const Json& identifiers) const {
  absl::MutexLock lock(&mu_);
  return profiles_.FindProfile(identifiers);
}

Json BrazeEmulator::profiles() const {
  absl::MutexLock lock(&mu_);
  return profiles_.AllProfiles();
}

EmulatorStats BrazeEmulator::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

Json BrazeEmulator::messages() const {
  absl::MutexLock lock(&mu_);
  return messages_;
}

Json BrazeEmulator::endpoint_notes() const {
  absl::MutexLock lock(&mu_);
  return endpoint_notes_;
}

void BrazeEmulator::Reset() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
  profiles_.Clear();
  history_.clear();
  recent_changes_.clear();
  stats_ = EmulatorStats();
  track_window_ = FixedWindow();
  export_window_ = FixedWindow();
  export_fast_window_ = FixedWindow();
  limiters_.clear();
  messages_ = Json::array();
  endpoint_notes_ = Json::array();
  recent_identity_changes_.clear();
  faults_.fail_next = 0;
  faults_.drop_next = 0;
  rng_.seed(faults_.seed);
  SeedProfilesLocked();
}

void BrazeEmulator::SeedProfilesLocked() {
  const absl::Time seeded_at = absl::FromUnixSeconds(kSeededAtUnixSeconds);
  // Dated an hour before now, so that it is inside the export's 90-day
  // custom_events window while the profile itself is old.
  const std::string event_time = FormatDatetime(Now() - absl::Hours(1));
  for (int i = 0; i < options_.seed_users; ++i) {
    const std::string external_id = absl::StrCat("user-", i);
    profiles_.Apply("attributes", {{"external_id", external_id},
                                   {"first_name", absl::StrCat("User ", i)},
                                   {"email", absl::StrCat(external_id, "@example.com")},
                                   {"tier", i % 2 == 0 ? "gold" : "silver"},
                                   {"visits", i % 50}});
    profiles_.Apply("events",
                    {{"external_id", external_id}, {"name", "seeded"}, {"time", event_time}});
    const std::optional<size_t> index = profiles_.last_applied();
    if (!index) continue;  // not reached: an external_id always creates
    while (history_.size() < profiles_.size()) history_.push_back({seeded_at, {}});
    if (options_.export_lag > absl::ZeroDuration()) {
      history_[*index].snapshots.assign(1, {seeded_at, profiles_.ProfileAt(*index)});
    }
  }
}

void BrazeEmulator::NoteProfileChangedLocked(size_t index, absl::Time now) {
  while (history_.size() < profiles_.size()) history_.push_back({now, {}});
  if (options_.export_lag <= absl::ZeroDuration()) return;
  auto& snapshots = history_[index].snapshots;
  if (!snapshots.empty() && snapshots.back().first >= now) {
    snapshots.back().second = profiles_.ProfileAt(index);
  } else {
    snapshots.emplace_back(now, profiles_.ProfileAt(index));
  }
  const absl::Time cutoff = now - options_.export_lag;
  while (snapshots.size() >= 2 && snapshots[1].first <= cutoff) snapshots.pop_front();
  recent_changes_.emplace_back(now, index);
  while (!recent_changes_.empty() && recent_changes_.front().first <= cutoff) {
    recent_changes_.pop_front();
  }
}

const Json* BrazeEmulator::VisibleProfileLocked(size_t index, absl::Time now) {
  if (index >= profiles_.size()) return nullptr;
  // A null document is a deleted or merged-away profile.
  if (options_.export_lag <= absl::ZeroDuration()) {
    const Json& doc = profiles_.ProfileAt(index);
    return doc.is_null() ? nullptr : &doc;
  }
  if (index >= history_.size()) return nullptr;
  auto& snapshots = history_[index].snapshots;
  const absl::Time cutoff = now - options_.export_lag;
  while (snapshots.size() >= 2 && snapshots[1].first <= cutoff) snapshots.pop_front();
  if (snapshots.empty() || snapshots.front().first > cutoff) return nullptr;
  if (snapshots.front().second.is_null()) return nullptr;
  return &snapshots.front().second;
}

std::vector<size_t> BrazeEmulator::ExportLookupLocked(const Json& identifier, absl::Time now) {
  std::vector<size_t> candidates;
  if (identifier.contains("device_id")) {
    // No index: device lookups are rare, and push tokens carry the device_id.
    for (size_t i = 0; i < profiles_.size(); ++i) {
      const Json* doc = VisibleProfileLocked(i, now);
      if (doc == nullptr) continue;
      const Json tokens = doc->value("push_tokens", Json::array());
      if (std::any_of(tokens.begin(), tokens.end(), [&](const Json& t) {
            return t.value("device_id", Json()) == identifier["device_id"];
          })) {
        candidates.push_back(i);
      }
    }
    return candidates;
  }
  candidates = profiles_.FindAll(identifier);
  const bool lagged = options_.export_lag > absl::ZeroDuration();
  if (!lagged) return candidates;
  const absl::Time cutoff = now - options_.export_lag;
  if (identifier.contains("email") || identifier.contains("phone")) {
    while (!recent_changes_.empty() && recent_changes_.front().first <= cutoff) {
      recent_changes_.pop_front();
    }
    for (const auto& [when, index] : recent_changes_) candidates.push_back(index);
  }
  // Likewise a profile an identity endpoint changed (renamed, deleted,
  // merged away, given an alias or an external_id): the lagged document
  // decides whether it still carries the identifier.
  while (!recent_identity_changes_.empty() && recent_identity_changes_.front().first <= cutoff) {
    recent_identity_changes_.pop_front();
  }
  for (const auto& [when, index] : recent_identity_changes_) candidates.push_back(index);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<size_t> visible;
  for (size_t index : candidates) {
    const Json* doc = VisibleProfileLocked(index, now);
    if (doc != nullptr && CarriesIdentifier(*doc, identifier)) visible.push_back(index);
  }
  return visible;
}

Json BrazeEmulator::RequestsJson() const {
  Json out = Json::array();
  for (const RecordedRequest& r : requests()) {
    out.push_back(Json{{"method", r.method},
                       {"path", r.path},
                       {"headers", r.headers},
                       {"body", BodyAsJson(r.body)},
                       {"status", r.status},
                       {"response_body", BodyAsJson(r.response_body)},
                       {"received", Rfc3339(r.received)}});
  }
  return out;
}

// ---------------------------------------------------------------------------
// Routes.

void BrazeEmulator::RegisterRoutes() {
  httplib::Server& s = **server_;
  s.Post("/users/track", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrack(req, res, /*trailing_slash=*/false);
  });
  s.Post("/users/track/", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrack(req, res, /*trailing_slash=*/true);
  });
  s.Post("/users/export/ids",
         [this](const httplib::Request& req, httplib::Response& res) { HandleExport(req, res); });
  RegisterIdentityRoutes(s);

  s.Get("/_emulator/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  s.Get("/_emulator/requests", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(RequestsJson()));
  });
  s.Get("/_emulator/accepted", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(accepted()));
  });
  s.Get("/_emulator/stored", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(stored()));
  });
  s.Get("/_emulator/alterations", [this](const httplib::Request&, httplib::Response& res) {
    Json out = Json::array();
    for (const Alteration& a : alterations()) {
      out.push_back(
          {{"array", a.array}, {"sequence", a.sequence}, {"index", a.index}, {"text", a.text}});
    }
    SendJson(res, 200, Dump(out));
  });
  s.Get("/_emulator/profiles", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(profiles()));
  });
  s.Get("/_emulator/stats", [this](const httplib::Request&, httplib::Response& res) {
    const EmulatorStats st = stats();
    Json by_status = Json::object();
    for (const auto& [status, count] : st.by_status) by_status[std::to_string(status)] = count;
    Json export_by_status = Json::object();
    for (const auto& [status, count] : st.export_by_status) {
      export_by_status[std::to_string(status)] = count;
    }
    Json endpoint_by_status = Json::object();
    for (const auto& [path, statuses] : st.endpoint_by_status) {
      for (const auto& [status, count] : statuses) {
        endpoint_by_status[path][std::to_string(status)] = count;
      }
    }
    SendJson(res, 200,
             Dump(Json{{"requests", st.requests},
                       {"by_status", by_status},
                       {"attributes_accepted", st.attributes_accepted},
                       {"events_accepted", st.events_accepted},
                       {"purchases_accepted", st.purchases_accepted},
                       {"rate_limited", st.rate_limited},
                       {"injected_429", st.injected_429},
                       {"injected_5xx", st.injected_5xx},
                       {"dropped", st.dropped},
                       {"max_window_requests", st.max_window_requests},
                       {"export_requests", st.export_requests},
                       {"export_by_status", export_by_status},
                       {"export_fast_requests", st.export_fast_requests},
                       {"export_rate_limited", st.export_rate_limited},
                       {"export_injected_429", st.export_injected_429},
                       {"export_injected_5xx", st.export_injected_5xx},
                       {"export_dropped", st.export_dropped},
                       {"export_identifiers", st.export_identifiers},
                       {"export_users_returned", st.export_users_returned},
                       {"export_max_window_requests", st.export_max_window_requests},
                       {"export_fast_max_window_requests", st.export_fast_max_window_requests},
                       {"endpoint_requests", st.endpoint_requests},
                       {"endpoint_by_status", endpoint_by_status},
                       {"endpoint_rate_limited", st.endpoint_rate_limited},
                       {"endpoint_injected", st.endpoint_injected},
                       {"messages_sent", st.messages_sent}}));
  });
  s.Get("/_emulator/messages", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(messages()));
  });
  s.Get("/_emulator/notes", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(endpoint_notes()));
  });
  s.Get("/_emulator/faults", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(FaultsToJson(faults())));
  });
  s.Post("/_emulator/faults", [this](const httplib::Request& req, httplib::Response& res) {
    Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
    absl::StatusOr<Faults> faults =
        body.is_discarded() ? absl::InvalidArgumentError("body is not JSON") : FaultsFromJson(body);
    if (!faults.ok()) {
      SendJson(res, 400, Dump(Json{{"message", std::string(faults.status().message())}}));
      return;
    }
    SetFaults(*faults);
    SendJson(res, 200, Dump(FaultsToJson(*faults)));
  });
  s.Post("/_emulator/reset", [this](const httplib::Request&, httplib::Response& res) {
    Reset();
    SendJson(res, 200, R"({"message":"reset"})");
  });

  // httplib calls this for every response >= 400, including ours: only fill
  // in bodies it produced itself (unknown path, payload over its own limit).
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                              httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    SendJson(res, res.status,
             Dump(Json{{"message", res.status == 404 ? "Not Found" : StatusMessage(res.status)}}));
    return httplib::Server::HandlerResponse::Handled;
  }));
}

BrazeEmulator::Injected BrazeEmulator::DecideFaultLocked(int& status) {
  if (faults_.drop_next > 0) {
    --faults_.drop_next;
    return Injected::kDrop;
  }
  if (faults_.fail_next > 0) {
    --faults_.fail_next;
    status = faults_.fail_next_status;
    return Injected::kFail;
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  if (faults_.drop_rate > 0 && uniform(rng_) < faults_.drop_rate) return Injected::kDrop;
  if (faults_.error_5xx_rate > 0 && uniform(rng_) < faults_.error_5xx_rate) {
    status = faults_.error_5xx_status;
    return Injected::kFail;
  }
  if (faults_.rate_429 > 0 && uniform(rng_) < faults_.rate_429) return Injected::kRateLimit429;
  return Injected::kNone;
}

BrazeEmulator::RateWindow BrazeEmulator::CountInWindow(FixedWindow& window, absl::Time now,
                                                       absl::Duration length, int limit,
                                                       bool consume) {
  if (now >= window.end) {
    window.end = now + length;
    window.count = 0;
  }
  if (consume) ++window.count;
  RateWindow w;
  w.limit = limit;
  w.limited = consume && window.count > limit;
  w.remaining = std::max(0, limit - window.count);
  w.reset_epoch_seconds = absl::ToUnixSeconds(window.end);
  if (absl::FromUnixSeconds(w.reset_epoch_seconds) < window.end) ++w.reset_epoch_seconds;
  return w;
}

BrazeEmulator::RateWindow BrazeEmulator::CountRequestLocked(absl::Time now, bool consume) {
  const RateWindow w = CountInWindow(track_window_, now, options_.rate_limit_window,
                                     options_.rate_limit_requests, consume);
  if (consume) {
    stats_.max_window_requests =
        std::max<uint64_t>(stats_.max_window_requests, static_cast<uint64_t>(track_window_.count));
    if (w.limited) ++stats_.rate_limited;
  }
  return w;
}

// Braze documents one set of X-RateLimit-* headers per response and does not
// say which budget they describe on the fast path. The emulator reports the
// budget the call was counted against: a fast call shows the per-second
// window (limit export_fast_requests_per_second, reset within a second), any
// other call the per-minute one.
BrazeEmulator::RateWindow BrazeEmulator::CountExportLocked(absl::Time now, bool fast,
                                                           bool consume) {
  FixedWindow& window = fast ? export_fast_window_ : export_window_;
  const RateWindow w = fast ? CountInWindow(window, now, absl::Seconds(1),
                                            options_.export_fast_requests_per_second, consume)
                            : CountInWindow(window, now, options_.export_rate_limit_window,
                                            options_.export_rate_limit_requests, consume);
  if (consume) {
    uint64_t& max_seen =
        fast ? stats_.export_fast_max_window_requests : stats_.export_max_window_requests;
    max_seen = std::max<uint64_t>(max_seen, static_cast<uint64_t>(window.count));
    if (fast) ++stats_.export_fast_requests;
    if (w.limited) ++stats_.export_rate_limited;
  }
  return w;
}

namespace {

void SetRateHeaders(httplib::Response& res, int limit, int remaining, int64_t reset) {
  res.set_header("X-RateLimit-Limit", std::to_string(limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(remaining));
  res.set_header("X-RateLimit-Reset", std::to_string(reset));
}

}  // namespace

BrazeEmulator::Arrival BrazeEmulator::Arrive(bool with_faults, absl::Duration extra_latency) {
  Arrival arrival;
  arrival.received = absl::Now();
  absl::Duration latency;
  {
    absl::MutexLock lock(&mu_);
    arrival.seq = next_seq_++;
    if (with_faults) {
      latency = faults_.latency + extra_latency;
      arrival.injected = DecideFaultLocked(arrival.injected_status);
      arrival.retry_after = faults_.retry_after_seconds;
    }
  }
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);
  return arrival;
}

bool BrazeEmulator::AnswerInjectedFault(Route route, const Arrival& arrival,
                                        const httplib::Request& req, httplib::Response& res,
                                        const std::function<RateWindow()>& peek_window) {
  const Injected injected = arrival.injected;
  const int injected_status = arrival.injected_status;
  const int retry_after = arrival.retry_after;
  const uint64_t seq = arrival.seq;
  const absl::Time received = arrival.received;
  const bool exporting = route == Route::kExport;
  switch (injected) {
    case Injected::kDrop: {
      // Record first: once the socket is shut the client may already ask
      // what the emulator received.
      {
        absl::MutexLock lock(&mu_);
        if (route == Route::kIdentity) {
          ++stats_.endpoint_injected[req.path];
        } else {
          ++(exporting ? stats_.export_dropped : stats_.dropped);
        }
      }
      Record(seq, received, req, 0, "", nullptr, route);
      Endpoint peer{req.remote_addr, req.remote_port};
      ShutdownServerSockets(req.local_port, &peer);
      // Belt and braces: if the socket was not found, a content provider that
      // fails after the headers still leaves the client with a broken reply.
      res.status = 503;
      res.set_header("Connection", "close");
      res.set_content_provider(1, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return true;
    }
    case Injected::kRateLimit429: {
      // MAU-style 429: Retry-After instead of the X-RateLimit-* headers.
      res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      const std::string body = Dump(OrderedJson{{"message", kRateLimitExceeded}});
      SendJson(res, 429, body);
      {
        absl::MutexLock lock(&mu_);
        if (route == Route::kIdentity) {
          ++stats_.endpoint_injected[req.path];
        } else {
          ++(exporting ? stats_.export_injected_429 : stats_.injected_429);
        }
      }
      Record(seq, received, req, 429, body, nullptr, route);
      return true;
    }
    case Injected::kFail: {
      const RateWindow w = peek_window();
      {
        absl::MutexLock lock(&mu_);
        if (route == Route::kIdentity) {
          ++stats_.endpoint_injected[req.path];
        } else if (injected_status == 429) {
          ++(exporting ? stats_.export_injected_429 : stats_.injected_429);
        } else if (injected_status >= 500) {
          ++(exporting ? stats_.export_injected_5xx : stats_.injected_5xx);
        }
      }
      SetRateHeaders(res, w.limit, w.remaining, w.reset_epoch_seconds);
      if (injected_status == 429) {
        res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      }
      const std::string body = Dump(OrderedJson{{"message", StatusMessage(injected_status)}});
      SendJson(res, injected_status, body);
      Record(seq, received, req, injected_status, body, nullptr, route);
      return true;
    }
    case Injected::kNone:
      break;
  }
  return false;
}

void BrazeEmulator::HandleTrack(const httplib::Request& req, httplib::Response& res,
                                bool trailing_slash) {
  const Arrival arrival = Arrive(/*with_faults=*/!trailing_slash, absl::ZeroDuration());
  const absl::Time received = arrival.received;
  const uint64_t seq = arrival.seq;

  auto set_rate_headers = [&res](const RateWindow& w) {
    SetRateHeaders(res, w.limit, w.remaining, w.reset_epoch_seconds);
  };
  if (AnswerInjectedFault(Route::kTrack, arrival, req, res, [this] {
        absl::MutexLock lock(&mu_);
        return CountRequestLocked(absl::Now(), /*consume=*/false);
      })) {
    return;
  }

  RateWindow window;
  {
    absl::MutexLock lock(&mu_);
    window = CountRequestLocked(absl::Now(), /*consume=*/true);
  }
  set_rate_headers(window);
  Outcome outcome;
  if (window.limited) {
    outcome.status = 429;
    outcome.body = {{"message", kRateLimitExceeded}};
  } else if (trailing_slash) {
    outcome.status = 403;
    outcome.body = {{"message", kAccessDenied}};
  } else {
    outcome = Evaluate(req);
  }
  const std::string body = Dump(outcome.body);
  SendJson(res, outcome.status, body);
  Record(seq, received, req, outcome.status, body, &outcome);
}

std::optional<BrazeEmulator::Refusal> BrazeEmulator::RefuseCaller(const httplib::Request& req,
                                                                  bool permitted, int denied_status,
                                                                  bool json_body) const {
  // Exactly "Bearer <key>": no quotes, no other scheme, no lower-case bearer.
  if (!req.has_header("Authorization") ||
      req.get_header_value("Authorization") != absl::StrCat("Bearer ", options_.api_key)) {
    return Refusal{401, kInvalidApiKey};
  }
  if (!permitted) return Refusal{denied_status, kAccessDenied};
  if (!json_body) return std::nullopt;
  if (!req.has_header("Content-Type") || !IsJsonContentType(req.get_header_value("Content-Type"))) {
    return Refusal{415, kUnsupportedMediaType};
  }
  return std::nullopt;
}

BrazeEmulator::Outcome BrazeEmulator::Evaluate(const httplib::Request& req) const {
  Outcome out;
  auto fail = [&out](int status, const std::string& message) {
    out.status = status;
    out.body = {{"message", message}};
    return out;
  };

  if (std::optional<Refusal> refused = RefuseCaller(req, options_.track_permission, 403)) {
    return fail(refused->status, refused->message);
  }
  TrackRules rules;
  rules.per_array_cap = options_.per_array_cap;
  rules.max_objects = options_.max_objects;
  rules.max_body_bytes = options_.max_body_bytes;
  rules.max_array_length = options_.max_array_length;
  rules.push_app_ids = options_.push_app_ids;
  rules.blocked_external_ids = options_.blocked_external_ids;
  BodyVerdict verdict = JudgeTrackBody(req.body, rules);
  out.status = verdict.status;
  out.body = InBrazeOrder(verdict.response);
  if (verdict.status == 201) out.verdict = std::move(verdict);
  return out;
}

void BrazeEmulator::HandleExport(const httplib::Request& req, httplib::Response& res) {
  const Arrival arrival = Arrive(/*with_faults=*/true, options_.export_latency);
  const absl::Time received = arrival.received;
  const uint64_t seq = arrival.seq;

  const bool fast =
      options_.export_fast_requests_per_second > 0 && QualifiesForFastExport(req.body);
  if (AnswerInjectedFault(Route::kExport, arrival, req, res, [this, fast] {
        absl::MutexLock lock(&mu_);
        return CountExportLocked(Now(), fast, /*consume=*/false);
      })) {
    return;
  }

  RateWindow window;
  {
    absl::MutexLock lock(&mu_);
    window = CountExportLocked(Now(), fast, /*consume=*/true);
  }
  SetRateHeaders(res, window.limit, window.remaining, window.reset_epoch_seconds);
  ExportAnswer answer;
  if (window.limited) {
    answer.status = 429;
    answer.body = {{"message", kRateLimitExceeded}};
  } else {
    answer = EvaluateExport(req);
  }
  const std::string body = Dump(answer.body);
  SendJson(res, answer.status, body);
  if (answer.status == 200) {
    absl::MutexLock lock(&mu_);
    stats_.export_identifiers += answer.identifiers;
    stats_.export_users_returned += answer.users;
  }
  Record(seq, received, req, answer.status, body, nullptr, Route::kExport);
}

BrazeEmulator::ExportAnswer BrazeEmulator::EvaluateExport(const httplib::Request& req) {
  ExportAnswer out;
  auto fail = [&out](int status, const std::string& message) {
    out.status = status;
    out.body = {{"message", message}};
    return out;
  };
  if (std::optional<Refusal> refused = RefuseCaller(req, options_.export_permission, 401)) {
    return fail(refused->status, refused->message);
  }
  if (req.body.size() > options_.max_body_bytes) return fail(413, kTooLarge);
  ExportRules rules;
  rules.require_fields_to_export = options_.require_fields_to_export;
  ExportVerdict verdict = ParseExportRequest(req.body, rules);
  if (verdict.status != 200) return fail(verdict.status, verdict.message);
  const ExportQuery& query = verdict.query;

  // Each identifier in request order, as ProfileStore lookup form, and how it
  // is written into invalid_user_ids when nothing matches. Braze documents
  // invalid_user_ids as strings and does not say how an alias is written
  // (round2 §6 question 2): the emulator writes the alias's compact JSON,
  // {"alias_label":"...","alias_name":"..."} (keys sorted), and every other
  // identifier (external_id, e-mail, phone, braze_id, device_id) verbatim.
  std::vector<std::pair<Json, std::string>> asked;
  for (const std::string& id : query.external_ids) asked.push_back({{{"external_id", id}}, id});
  for (const Json& alias : query.user_aliases) {
    asked.push_back({{{"user_alias", alias}}, Dump(alias)});
  }
  if (!query.single_key.empty()) {
    const std::string key = query.single_key == "email_address" ? "email" : query.single_key;
    asked.push_back({{{key, query.single_value}}, query.single_value});
  }

  Json users = Json::array();
  Json invalid = Json::array();
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = Now();
    std::vector<size_t> returned;  // each profile once, in the order first found
    for (const auto& [identifier, shown] : asked) {
      const std::vector<size_t> found = ExportLookupLocked(identifier, now);
      if (found.empty()) {
        if (std::find(invalid.begin(), invalid.end(), shown) == invalid.end()) {
          invalid.push_back(shown);
        }
        continue;
      }
      for (size_t index : found) {
        if (std::find(returned.begin(), returned.end(), index) != returned.end()) continue;
        // Found by ExportLookupLocked at the same `now`, so it is visible.
        const Json* doc = VisibleProfileLocked(index, now);
        if (doc == nullptr) continue;
        returned.push_back(index);
        users.push_back(ExportUser(*doc, history_[index].created, query.fields, now));
      }
    }
  }
  out.status = 200;  // Braze does not document the success status; 2xx is all a client may rely on
  out.identifiers = query.identifier_count();
  out.users = users.size();
  out.body = {{"message", "success"}, {"users", std::move(users)}};
  // Optional in Braze's answer: present only when something was not found.
  if (!invalid.empty()) out.body["invalid_user_ids"] = std::move(invalid);
  return out;
}

void BrazeEmulator::Record(uint64_t seq, absl::Time received, const httplib::Request& req,
                           int status, const std::string& response_body, Outcome* outcome,
                           Route route) {
  Entry entry;
  RecordedRequest& r = entry.request;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.headers) {
    std::string key = absl::AsciiStrToLower(name);
    // httplib stores the peer/local endpoints as pseudo-headers.
    if (key == "remote_addr" || key == "remote_port" || key == "local_addr" ||
        key == "local_port") {
      continue;
    }
    std::string shown = value;
    if (key == "authorization") {
      shown = absl::StartsWith(value, "Bearer ") ? "Bearer <redacted>" : "<redacted>";
    }
    auto [it, inserted] = r.headers.emplace(key, shown);
    if (!inserted) absl::StrAppend(&it->second, ", ", shown);
  }
  r.headers.emplace("authorization", "<missing>");  // no-op when present
  r.body = req.body;
  r.status = status;
  r.response_body = response_body;
  r.received = received;

  absl::MutexLock lock(&mu_);
  if (route == Route::kExport) {
    ++stats_.export_requests;
    ++stats_.export_by_status[status];
  } else if (route == Route::kIdentity) {
    ++stats_.endpoint_requests[req.path];
    ++stats_.endpoint_by_status[req.path][status];
  } else {
    ++stats_.requests;
    ++stats_.by_status[status];
  }
  if (outcome != nullptr && outcome->verdict) {
    const absl::Time now = Now();
    // Profiles this request changed, each snapshotted once at the end.
    std::vector<size_t> touched;
    // accepted = every processed object as sent; stored = as Braze applies
    // it. Objects are applied to the profiles in Braze's processing order.
    const Json& sent = outcome->verdict->request;
    entry.accepted = Json::object();
    entry.stored = Json::object();
    for (const char* name : kTrackArrayNames) {
      entry.accepted[name] = Json::array();
      entry.stored[name] = Json::array();
      auto it = outcome->verdict->objects.find(name);
      if (it == outcome->verdict->objects.end()) continue;
      for (size_t index = 0; index < it->second.size(); ++index) {
        const ObjectVerdict& verdict = it->second[index];
        if (verdict.fate != Fate::kStored) continue;
        entry.accepted[name].push_back(sent[name][index]);
        entry.stored[name].push_back(verdict.stored);
        for (const std::string& text : verdict.alterations) {
          entry.alterations.push_back({name, seq, index, text});
        }
        if (!options_.profile_store) continue;
        for (std::string& text : profiles_.Apply(name, verdict.stored)) {
          entry.alterations.push_back({name, seq, index, std::move(text)});
        }
        const std::optional<size_t> changed = profiles_.last_applied();
        if (changed && std::find(touched.begin(), touched.end(), *changed) == touched.end()) {
          touched.push_back(*changed);
        }
      }
    }
    for (size_t index : touched) NoteProfileChangedLocked(index, now);
    stats_.attributes_accepted += entry.accepted["attributes"].size();
    stats_.events_accepted += entry.accepted["events"].size();
    stats_.purchases_accepted += entry.accepted["purchases"].size();
  }
  entries_.emplace_hint(entries_.end(), seq, std::move(entry));
  if (options_.record_limit > 0) {
    while (entries_.size() > options_.record_limit) entries_.erase(entries_.begin());
  }
}

}  // namespace brazesync::emulator
