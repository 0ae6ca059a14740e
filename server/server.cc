// Assembly and lifecycle of the BrazeSync gRPC server.
#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.pb.h"
#include "server/durability/memory_recent_writes.h"
#include "server/postgres/postgres_stores.h"
#include "server/rpc/tls_options.h"

namespace brazesync {
namespace {

constexpr char kServiceName[] = "brazesync.v1.BrazeSync";

// gRPC's built-in health service does not register its descriptors with the
// protobuf pool, so reflection could not describe grpc.health.v1.Health.
// Touching the generated descriptor links health.pb.cc into the binary.
void RegisterHealthDescriptors() { (void)grpc::health::v1::HealthCheckRequest::descriptor(); }

// `options` whose failed report commits are logged (besides whatever the
// caller asked for): those items will be sent again.
RelayOptions LoggingReportErrors(RelayOptions options, JsonLogger* logger) {
  options.on_report_error = [logger, also = std::move(options.on_report_error)](
                                const absl::Status& error, size_t reports) {
    logger->Log(LogLevel::kError,
                "outbox: could not store delivery verdicts; those items will be sent again",
                {{"error", std::string(error.message())}, {"reports", reports}});
    if (also) also(error, reports);
  };
  return options;
}

// `engine` spending `budgets` (the shared ones in cluster mode) when given.
EngineOptions WithRateBudgets(EngineOptions engine, const RateBudgetFactory& budgets) {
  if (budgets) engine.rate_budgets = budgets;
  return engine;
}

// How long recent writes are kept: the longest consistency window of any
// workspace, plus the time an export call may take.
absl::Duration RecentWritesRetention(const WorkspaceRegistry& workspaces) {
  absl::Duration longest = absl::ZeroDuration();
  for (const WorkspaceSettings& workspace : workspaces.all()) {
    longest = std::max(longest, workspace.lookup.consistency_window + workspace.request_timeout);
  }
  return longest;
}

// Logs the shared recent writes' state changes (cluster mode). The store
// opens before the server's logger exists: changes before Bind are dropped.
// The recent writes are destroyed before the logger, so it outlives every
// call.
class RecentWritesLog final {
 public:
  void Bind(JsonLogger* logger) {
    absl::MutexLock lock(&mu_);
    logger_ = logger;
  }
  void Log(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (logger_ == nullptr) return;
    if (status.ok()) {
      logger_->Log(LogLevel::kInfo, "recent writes: shared with the other replicas again");
    } else {
      logger_->Log(LogLevel::kWarning,
                   "recent writes: not shared with the other replicas; lookups there may not "
                   "show this replica's writes until PostgreSQL is back",
                   {{"error", std::string(status.message())}});
    }
  }

 private:
  absl::Mutex mu_;
  JsonLogger* logger_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// The store's state as metrics expose it (the one mapping of StoreHealth).
StoreGauges StoreGaugesOf(const StoreHealth& health) {
  StoreGauges gauges;
  gauges.reachable = health.reachable;
  gauges.rate_budget_degraded = health.rate_budget_degraded;
  gauges.live_replicas = health.live_replicas;
  gauges.owned_partitions = health.owned_partitions;
  return gauges;
}

// The health service name that follows the shared store's reachability
// (cluster mode); brazesync.v1.BrazeSync keeps following Braze's.
constexpr char kStoreServiceName[] = "brazesync.v1.BrazeSync.store";
// How often the shared store's state is checked for health and logs.
constexpr absl::Duration kStoreWatchInterval = absl::Seconds(1);

}  // namespace

BrazeSyncServer::BrazeSyncServer(const ServerOptions& options, WorkspaceRegistry workspaces,
                                 std::unique_ptr<HttpClient> http, CallerRegistry callers,
                                 DurableStores stores)
    : redactor_(options.redact_logs),
      logger_(options.log_sink, &redactor_, options.log_level),
      reachability_(options.braze_unreachable_after_failures,
                    [this](bool reachable) { SetBrazeServing(reachable); }),
      workspaces_(std::move(workspaces)),
      api_keys_(workspaces_),
      callers_(std::move(callers)),
      http_(std::make_unique<ObservedHttpClient>(
          std::move(http),
          [this](const HttpRequest& request, const absl::StatusOr<HttpResponse>& outcome) {
            metrics_.CountBrazeResponse(outcome.ok() ? outcome->status : 0);
            reachability_.Observe(request, outcome);
          })),
      engine_(http_.get(), &api_keys_, WithRateBudgets(options.engine, stores.rate_budgets)),
      stores_(std::move(stores)),
      relay_(stores_.outbox == nullptr
                 ? nullptr
                 : std::make_unique<Relay>(stores_.outbox.get(), stores_.ownership.get(), &engine_,
                                           &workspaces_,
                                           LoggingReportErrors(options.relay, &logger_))),
      recent_writes_(stores_.recent_writes != nullptr ? std::move(stores_.recent_writes)
                                                      : std::make_unique<MemoryRecentWrites>(
                                                            RecentWritesRetention(workspaces_))),
      tracker_(
          &workspaces_, &engine_, stores_.outbox.get(),
          [this] {
            if (relay_ != nullptr) relay_->Notify();
          },
          recent_writes_.get()),
      lookup_(&workspaces_, http_.get(), &api_keys_, recent_writes_.get(), stores_.rate_budgets),
      action_dispatcher_(http_.get(), &api_keys_),
      identity_actions_(&workspaces_, &action_dispatcher_, &lookup_, recent_writes_.get()),
      trigger_actions_(&workspaces_, &action_dispatcher_, recent_writes_.get()),
      subscription_actions_(&workspaces_, &action_dispatcher_),
      gate_(&callers_, &workspaces_, &metrics_, options.max_items_per_request),
      call_log_(&metrics_, &logger_, &workspaces_),
      service_(&tracker_, &gate_, &call_log_, options.default_deadline),
      admin_service_(stores_.dead_letters.get(), &workspaces_, &gate_, &call_log_),
      lookup_service_(&lookup_, &gate_, &call_log_, &metrics_, options.default_deadline),
      identity_service_(&identity_actions_,
                        {&gate_, &call_log_, &metrics_, options.default_deadline}),
      messaging_service_(&trigger_actions_,
                         {&gate_, &call_log_, &metrics_, options.default_deadline}),
      subscriptions_service_(&subscription_actions_,
                             {&gate_, &call_log_, &metrics_, options.default_deadline}) {
  for (const WorkspaceSettings& workspace : workspaces_.all()) {
    action_dispatcher_.AddWorkspace(&workspace, stores_.rate_budgets);
  }
  redactor_.SetSecrets(api_keys_.AllKeys());
  metrics_.SetEngineStatsSource([this] { return engine_.stats(); });
}

BrazeSyncServer::~BrazeSyncServer() {
  Shutdown(absl::ZeroDuration());
  StopStoreWatch();
}

void BrazeSyncServer::StartStoreWatch() {
  if (!stores_.health) return;
  metrics_.SetStoreSource([this] { return StoreGaugesOf(stores_.health()); });
  store_watch_ = std::thread([this] {
    bool reachable = true;
    bool degraded = false;
    do {
      const StoreHealth health = stores_.health();
      if (health.reachable != reachable) {
        reachable = health.reachable;
        logger_.Log(reachable ? LogLevel::kInfo : LogLevel::kError,
                    reachable ? "store: PostgreSQL reachable again: async acceptance resumes"
                              : "store: PostgreSQL unreachable: async Track calls are refused "
                                "(UNAVAILABLE) and queued items wait; sync Track continues");
        absl::MutexLock lock(&health_mu_);
        if (health_server_ != nullptr) {
          health_server_->GetHealthCheckService()->SetServingStatus(kStoreServiceName, reachable);
        }
      }
      if (health.rate_budget_degraded != degraded) {
        degraded = health.rate_budget_degraded;
        logger_.Log(degraded ? LogLevel::kWarning : LogLevel::kInfo,
                    degraded ? "rate budget: shared budget unreachable; spending the static share"
                             : "rate budget: shared budget reachable again");
      }
    } while (!stop_store_watch_.WaitForNotificationWithTimeout(kStoreWatchInterval));
  });
}

void BrazeSyncServer::StopStoreWatch() {
  if (!store_watch_.joinable()) return;
  stop_store_watch_.Notify();
  store_watch_.join();
  metrics_.SetStoreSource(nullptr);
}

absl::StatusOr<std::unique_ptr<BrazeSyncServer>> BrazeSyncServer::Start(
    const ServerOptions& options, WorkspaceRegistry workspaces, std::unique_ptr<HttpClient> http) {
  if (options.listen.empty()) return absl::InvalidArgumentError("listen: required (host:port)");
  if (options.default_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_deadline: must be positive");
  }
  if (options.max_receive_message_bytes <= 0) {
    return absl::InvalidArgumentError("max_receive_message_bytes: must be positive");
  }
  if (options.max_items_per_request < 0) {
    return absl::InvalidArgumentError("max_items_per_request: must be >= 0 (0 = no cap)");
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<CallerRegistry> callers =
      CallerRegistry::Create(options.callers, workspaces.names());
  if (!callers.ok()) return callers.status();

  RegisterHealthDescriptors();
  grpc::EnableDefaultHealthCheckService(true);
  if (options.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  if (!options.data_dir.empty() && !options.store.empty()) {
    return absl::InvalidArgumentError(
        "store: --store (cluster mode, PostgreSQL) and --data_dir (embedded SQLite) are "
        "exclusive; give one");
  }
  DurableStores stores;
  std::vector<std::string> store_warnings;
  auto recent_writes_log = std::make_shared<RecentWritesLog>();
  if (!options.data_dir.empty()) {
    absl::StatusOr<DurableStores> opened = OpenEmbeddedStores(options.data_dir, options.outbox);
    if (!opened.ok()) return opened.status();
    stores = *std::move(opened);
  } else if (!options.store.empty()) {
    PostgresStoresOptions postgres;
    postgres.uri = options.store;
    postgres.partitions = options.cluster.partitions;
    postgres.owner_idle_timeout = options.cluster.owner_idle_timeout;
    postgres.replica_name = options.cluster.replica_name;
    postgres.shared_rate_budget = options.cluster.shared_rate_budget;
    postgres.fallback = options.cluster.closed_without_store ? RateBudgetFallback::kClosed
                                                             : RateBudgetFallback::kStaticShare;
    postgres.outbox = options.outbox;
    postgres.recent_writes_retention = RecentWritesRetention(workspaces);
    postgres.on_recent_writes_status = [recent_writes_log](const absl::Status& status) {
      recent_writes_log->Log(status);
    };
    absl::StatusOr<DurableStores> opened = OpenPostgresStores(postgres, &store_warnings);
    if (!opened.ok()) return opened.status();
    stores = *std::move(opened);
  }
  std::unique_ptr<BrazeSyncServer> server(new BrazeSyncServer(
      options, std::move(workspaces), std::move(http), *std::move(callers), std::move(stores)));
  recent_writes_log->Bind(&server->logger_);
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<int> metrics_port = server->metrics_.Serve(options.metrics_listen);
    if (!metrics_port.ok()) return metrics_port.status();
    server->metrics_port_ = *metrics_port;
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.RegisterService(&server->service_);
  builder.RegisterService(&server->admin_service_);
  builder.RegisterService(&server->lookup_service_);
  builder.RegisterService(&server->identity_service_);
  builder.RegisterService(&server->messaging_service_);
  builder.RegisterService(&server->subscriptions_service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen: could not listen on \"", options.listen, "\""));
  }
  {
    absl::MutexLock lock(&server->health_mu_);
    server->health_server_ = server->server_.get();
    server->server_->GetHealthCheckService()->SetServingStatus(kServiceName,
                                                               server->reachability_.reachable());
    if (server->stores_.health) {
      server->server_->GetHealthCheckService()->SetServingStatus(kStoreServiceName, true);
    }
  }
  if (!options.http_listen.empty()) {
    // The gateway's calls are the gRPC server's own calls: no client-side cap
    // on responses (the server's limits apply to the requests).
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(-1);
    ConnectGatewayOptions http;
    http.listen = options.http_listen;
    http.max_body_bytes = static_cast<size_t>(options.max_receive_message_bytes);
    http.tls = options.tls;
    absl::StatusOr<std::unique_ptr<ConnectGateway>> gateway =
        ConnectGateway::Start(http, server->server_->InProcessChannel(channel_args));
    if (!gateway.ok()) return gateway.status();
    server->connect_gateway_ = *std::move(gateway);
  }
  server->StartStoreWatch();
  nlohmann::json fields = {
      {"listen", options.listen},
      {"port", server->port_},
      {"tls", options.tls.cert_file().empty()
                  ? "off"
                  : (options.tls.client_ca_file().empty() ? "tls" : "mtls")},
      {"callers", server->callers_.enabled() ? options.callers.size() : 0},
      {"reflection", options.reflection},
      {"metrics_port", server->metrics_port_},
      {"http_port", server->http_port()},
      {"max_items_per_request", options.max_items_per_request},
      {"max_receive_message_bytes", options.max_receive_message_bytes},
      {"store",
       !options.store.empty() ? "postgresql" : (options.data_dir.empty() ? "none" : "sqlite")},
  };
  server->logger_.Log(LogLevel::kInfo, "server started", std::move(fields));
  for (const std::string& warning : store_warnings) {
    server->logger_.Log(LogLevel::kWarning, warning);
  }
  if (!server->callers_.enabled()) {
    server->logger_.Log(LogLevel::kWarning,
                        "no callers configured: caller authentication is OFF; any client that "
                        "can reach the port may write to every workspace");
  }
  return server;
}

void BrazeSyncServer::SetBrazeServing(bool serving) {
  metrics_.SetBrazeReachable(serving);
  logger_.Log(
      serving ? LogLevel::kInfo : LogLevel::kWarning,
      serving ? "Braze reachable again: health SERVING" : "Braze unreachable: health NOT_SERVING");
  absl::MutexLock lock(&health_mu_);
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->SetServingStatus(kServiceName, serving);
  }
}

absl::Status BrazeSyncServer::Reload(const v1::ServerConfig& config, const EnvLookup& env) {
  std::vector<std::pair<std::string, std::string>> rotations;  // workspace -> key
  absl::Status status;
  for (const WorkspaceSettings& running : workspaces_.all()) {
    const v1::WorkspaceConfig* found = nullptr;
    for (const v1::WorkspaceConfig& candidate : config.workspaces()) {
      if (candidate.name() == running.name) found = &candidate;
    }
    if (found == nullptr) {
      status = absl::FailedPreconditionError(absl::StrCat(
          "workspaces[\"", running.name, "\"]: removed from the config; restart to apply"));
      break;
    }
    absl::StatusOr<WorkspaceSettings> reloaded = ResolveWorkspace(*found, env);
    if (!reloaded.ok()) {
      status = reloaded.status();
      break;
    }
    rotations.emplace_back(running.name, reloaded->api_key);
  }
  absl::StatusOr<CallerRegistry> callers =
      status.ok() ? CallerRegistry::Create(config.callers(), workspaces_.names())
                  : absl::StatusOr<CallerRegistry>(status);
  if (!callers.ok()) {
    metrics_.CountReload("error");
    logger_.Log(LogLevel::kError, "reload failed; keeping the previous secrets and callers",
                {{"error", std::string(callers.status().message())}});
    return callers.status();
  }
  // The redactor learns the new keys before any request can carry them.
  std::vector<std::string> secrets = api_keys_.AllKeys();
  for (const auto& [workspace, key] : rotations) secrets.push_back(key);
  redactor_.SetSecrets(std::move(secrets));
  int rotated = 0;
  for (auto& [workspace, key] : rotations) {
    if (api_keys_.Set(workspace, std::move(key))) ++rotated;
  }
  const bool was_enabled = callers_.enabled();
  callers_.Replace(*std::move(callers));
  metrics_.CountReload("ok");
  logger_.Log(LogLevel::kInfo, "reloaded secrets and callers",
              {{"api_keys_rotated", rotated}, {"callers", config.callers_size()}});
  if (was_enabled && !callers_.enabled()) {
    logger_.Log(LogLevel::kWarning, "the reload removed every caller: authentication is OFF");
  }
  return absl::OkStatus();
}

void BrazeSyncServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  {
    absl::MutexLock lock(&health_mu_);
    health_server_ = nullptr;
  }
  server_->GetHealthCheckService()->Shutdown();
  const absl::Time deadline = absl::Now() + grace;
  // HTTP stops first: no new calls, and the ones under way get the grace
  // period before the gRPC shutdown closes the in-process transport under
  // them (which fails its calls at once).
  if (connect_gateway_ != nullptr) {
    connect_gateway_->StopAccepting();
    connect_gateway_->WaitIdle(deadline);
  }
  // grpc::Server::Shutdown returns only when every call has finished, and
  // calls waiting for Braze finish only when the engine gives up on them: stop
  // the engine once the grace period is over, on another thread.
  absl::Notification server_stopped;
  std::thread engine_stopper([this, deadline, &server_stopped] {
    if (!server_stopped.WaitForNotificationWithDeadline(deadline)) {
      engine_.Shutdown();
      lookup_.Shutdown();
      action_dispatcher_.Shutdown();
    }
  });
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_stopped.Notify();
  engine_stopper.join();
  server_->Wait();
  if (connect_gateway_ != nullptr) connect_gateway_->Wait();
  connect_gateway_.reset();
  server_.reset();
  // Queued outbox items stay on disk for the next start.
  if (relay_ != nullptr) relay_->Stop();
  engine_.Shutdown();
}

}  // namespace brazesync
