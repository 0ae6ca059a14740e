// Braze emulator implementation: lifecycle, routes, fault injection, the
// rate limiter and the record of requests. What Braze does with a body is
// JudgeTrackBody's business (track_rules.h) and what it leaves on profiles is
// the ProfileStore's (profile_store.h); the HTTP plumbing is http_plumbing.h.
#include "tests/emulator/braze_emulator.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
}

BrazeEmulator::~BrazeEmulator() { Stop(); }

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

void BrazeEmulator::Reset() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
  profiles_.Clear();
  stats_ = EmulatorStats();
  window_end_ = absl::InfinitePast();
  window_count_ = 0;
  faults_.fail_next = 0;
  faults_.drop_next = 0;
  rng_.seed(faults_.seed);
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
                       {"max_window_requests", st.max_window_requests}}));
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

BrazeEmulator::RateWindow BrazeEmulator::CountRequestLocked(absl::Time now, bool consume) {
  if (now >= window_end_) {
    window_end_ = now + options_.rate_limit_window;
    window_count_ = 0;
  }
  if (consume) {
    ++window_count_;
    stats_.max_window_requests =
        std::max<uint64_t>(stats_.max_window_requests, static_cast<uint64_t>(window_count_));
    if (window_count_ > options_.rate_limit_requests) ++stats_.rate_limited;
  }
  RateWindow w;
  w.limit = options_.rate_limit_requests;
  w.limited = consume && window_count_ > w.limit;
  w.remaining = std::max(0, w.limit - window_count_);
  w.reset_epoch_seconds = absl::ToUnixSeconds(window_end_);
  if (absl::FromUnixSeconds(w.reset_epoch_seconds) < window_end_) ++w.reset_epoch_seconds;
  return w;
}

void BrazeEmulator::HandleTrack(const httplib::Request& req, httplib::Response& res,
                                bool trailing_slash) {
  const absl::Time received = absl::Now();
  uint64_t seq = 0;
  absl::Duration latency;
  Injected injected = Injected::kNone;
  int injected_status = 0;
  int retry_after = 0;
  {
    absl::MutexLock lock(&mu_);
    seq = next_seq_++;
    if (!trailing_slash) {
      latency = faults_.latency;
      injected = DecideFaultLocked(injected_status);
      retry_after = faults_.retry_after_seconds;
    }
  }
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);

  auto set_rate_headers = [&res](const RateWindow& w) {
    res.set_header("X-RateLimit-Limit", std::to_string(w.limit));
    res.set_header("X-RateLimit-Remaining", std::to_string(w.remaining));
    res.set_header("X-RateLimit-Reset", std::to_string(w.reset_epoch_seconds));
  };

  switch (injected) {
    case Injected::kDrop: {
      // Record first: once the socket is shut the client may already ask
      // what the emulator received.
      {
        absl::MutexLock lock(&mu_);
        ++stats_.dropped;
      }
      Record(seq, received, req, 0, "", nullptr);
      Endpoint peer{req.remote_addr, req.remote_port};
      ShutdownServerSockets(req.local_port, &peer);
      // Belt and braces: if the socket was not found, a content provider that
      // fails after the headers still leaves the client with a broken reply.
      res.status = 503;
      res.set_header("Connection", "close");
      res.set_content_provider(1, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    case Injected::kRateLimit429: {
      // MAU-style 429: Retry-After instead of the X-RateLimit-* headers.
      res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      const std::string body = Dump(OrderedJson{{"message", kRateLimitExceeded}});
      SendJson(res, 429, body);
      {
        absl::MutexLock lock(&mu_);
        ++stats_.injected_429;
      }
      Record(seq, received, req, 429, body, nullptr);
      return;
    }
    case Injected::kFail: {
      RateWindow w;
      {
        absl::MutexLock lock(&mu_);
        w = CountRequestLocked(absl::Now(), /*consume=*/false);
        if (injected_status == 429) {
          ++stats_.injected_429;
        } else if (injected_status >= 500) {
          ++stats_.injected_5xx;
        }
      }
      set_rate_headers(w);
      if (injected_status == 429) {
        res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      }
      const std::string body = Dump(OrderedJson{{"message", StatusMessage(injected_status)}});
      SendJson(res, injected_status, body);
      Record(seq, received, req, injected_status, body, nullptr);
      return;
    }
    case Injected::kNone:
      break;
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

BrazeEmulator::Outcome BrazeEmulator::Evaluate(const httplib::Request& req) const {
  Outcome out;
  auto fail = [&out](int status, const char* message) {
    out.status = status;
    out.body = {{"message", message}};
    return out;
  };

  // Exactly "Bearer <key>": no quotes, no other scheme, no lower-case bearer.
  if (!req.has_header("Authorization") ||
      req.get_header_value("Authorization") != absl::StrCat("Bearer ", options_.api_key)) {
    return fail(401, kInvalidApiKey);
  }
  if (!options_.track_permission) return fail(403, kAccessDenied);
  if (!req.has_header("Content-Type") || !IsJsonContentType(req.get_header_value("Content-Type"))) {
    return fail(415, kUnsupportedMediaType);
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

void BrazeEmulator::Record(uint64_t seq, absl::Time received, const httplib::Request& req,
                           int status, const std::string& response_body, Outcome* outcome) {
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
  ++stats_.requests;
  ++stats_.by_status[status];
  if (outcome != nullptr && outcome->verdict) {
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
      }
    }
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
