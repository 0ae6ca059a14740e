// Assembly and lifecycle of the BrazeSync gRPC server: owns the workspaces
// and their current API keys, the HTTP client (observed for Braze status
// metrics and reachability), the delivery engine, the tracker and the
// service; serves over plaintext, TLS or mutual TLS; turns on health checking
// (the brazesync.v1.BrazeSync status follows Braze's reachability), server
// reflection and Prometheus metrics; serves the unary rpcs over HTTP/JSON
// too (the Connect protocol, --http_listen); and reloads secrets and callers
// on request without a restart.
#ifndef BRAZESYNC_SERVER_SERVER_H_
#define BRAZESYNC_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"
#include "server/actions/identity_actions.h"
#include "server/actions/subscription_actions.h"
#include "server/actions/trigger_actions.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/connect/connect_gateway.h"
#include "server/delivery/action_dispatcher.h"
#include "server/delivery/delivery_engine.h"
#include "server/durability/durable_stores.h"
#include "server/durability/relay.h"
#include "server/http/http_client.h"
#include "server/http/http_client_decorators.h"
#include "server/lookup/user_lookup.h"
#include "server/ops/braze_reachability.h"
#include "server/ops/call_log.h"
#include "server/ops/logging.h"
#include "server/ops/metrics.h"
#include "server/rpc/admin_service.h"
#include "server/rpc/brazesync_service.h"
#include "server/rpc/call_gate.h"
#include "server/rpc/call_limits.h"
#include "server/rpc/identity_service.h"
#include "server/rpc/lookup_service.h"
#include "server/rpc/messaging_service.h"
#include "server/rpc/subscriptions_service.h"
#include "server/security/caller_auth.h"
#include "server/security/redaction.h"
#include "server/track/tracker.h"

namespace spdlog::sinks {
class sink;
}  // namespace spdlog::sinks

namespace brazesync {

// Cluster mode (ServerOptions::store set): docs/cluster.md.
struct ClusterOptions {
  // User partitions; fixed when the store is created.
  int partitions = 64;
  // PostgreSQL ends a silent owner session after this; its partitions move.
  absl::Duration owner_idle_timeout = absl::Seconds(15);
  // This replica's name in the store; empty = host name and process id.
  std::string replica_name;
  // One Braze budget per workspace shared by all replicas (false: each
  // replica spends the whole limit, the single-node behaviour).
  bool shared_rate_budget = true;
  // PostgreSQL unreachable: stop Braze traffic (true) or spend a static
  // share of the limit (false).
  bool closed_without_store = false;
};

struct ServerOptions {
  // host:port; port 0 picks a free port (see BrazeSyncServer::port()).
  std::string listen = "127.0.0.1:50051";
  // For calls that carry no deadline.
  absl::Duration default_deadline = absl::Seconds(30);
  // Largest request message accepted.
  int max_receive_message_bytes = 16 * 1024 * 1024;
  // Most items (attributes + events + purchases) per TrackRequest; 0 = no cap.
  int max_items_per_request = kDefaultMaxItemsPerRequest;
  EngineOptions engine;
  // Directory of the durable outbox; empty: no DELIVERY_MODE_ASYNC, no
  // dead letters (the admin service answers FAILED_PRECONDITION).
  std::string data_dir;
  // Cluster mode: libpq URI of the PostgreSQL store all replicas share
  // (exclusive with data_dir). Its password comes from PGPASSWORD/PGPASSFILE.
  std::string store;
  ClusterOptions cluster;
  OutboxOptions outbox;
  RelayOptions relay;

  // TLS on the gRPC port; empty cert_file/key_file means plaintext.
  v1::TlsConfig tls;
  // Who may call; empty turns authentication off (a warning is logged).
  google::protobuf::RepeatedPtrField<v1::CallerConfig> callers;
  // Server reflection (process-wide in gRPC: once any server in the process
  // turned it on, later servers have it too).
  bool reflection = true;
  // host:port of the Prometheus /metrics endpoint; empty means off.
  std::string metrics_listen;
  // host:port of the HTTP/JSON (Connect protocol) listener for the unary
  // rpcs; empty means off. HTTPS with the `tls` files when TLS is on.
  std::string http_listen;
  // Consecutive transport failures after which Braze counts as unreachable
  // and brazesync.v1.BrazeSync's health turns NOT_SERVING.
  int braze_unreachable_after_failures = 3;

  // Logs: JSON lines to `log_sink` (stderr when null).
  std::shared_ptr<spdlog::sinks::sink> log_sink;
  LogLevel log_level = LogLevel::kInfo;
  // false keeps e-mails and phone numbers in logs (debugging only); API keys
  // and tokens are always removed.
  bool redact_logs = true;
};

class BrazeSyncServer final {
 public:
  // Starts serving; fails with the option that is wrong or the address that
  // could not be bound.
  static absl::StatusOr<std::unique_ptr<BrazeSyncServer>> Start(const ServerOptions& options,
                                                                WorkspaceRegistry workspaces,
                                                                std::unique_ptr<HttpClient> http);
  ~BrazeSyncServer();
  BrazeSyncServer(const BrazeSyncServer&) = delete;
  BrazeSyncServer& operator=(const BrazeSyncServer&) = delete;

  int port() const { return port_; }
  // The /metrics port, 0 when metrics are not served.
  int metrics_port() const { return metrics_port_; }
  // The HTTP/JSON (Connect) port, 0 when it is not served.
  int http_port() const { return connect_gateway_ != nullptr ? connect_gateway_->port() : 0; }
  // Stops accepting calls and lets running ones finish for up to `grace`;
  // then fails what is still waiting for Braze (UNAVAILABLE) and stops.
  void Shutdown(absl::Duration grace);

  // Re-reads the API keys of the running workspaces (from their env variable
  // or file) and the callers from `config`; applies everything or nothing.
  // Workspaces and endpoints themselves only change with a restart.
  absl::Status Reload(const v1::ServerConfig& config, const EnvLookup& env = ProcessEnv);

  EngineStats engine_stats() const { return engine_.stats(); }
  const Metrics& metrics() const { return metrics_; }
  JsonLogger& logger() { return logger_; }
  bool braze_reachable() const { return reachability_.reachable(); }

 private:
  BrazeSyncServer(const ServerOptions& options, WorkspaceRegistry workspaces,
                  std::unique_ptr<HttpClient> http, CallerRegistry callers, DurableStores stores);
  void SetBrazeServing(bool serving);
  // Cluster mode: follows the shared store's state into health (service
  // brazesync.v1.BrazeSync.store), metrics and logs.
  void StartStoreWatch();
  void StopStoreWatch();

  Redactor redactor_;
  JsonLogger logger_;
  Metrics metrics_;
  BrazeReachability reachability_;
  WorkspaceRegistry workspaces_;
  ApiKeySource api_keys_;  // the key each workspace sends now (Reload rotates)
  CallerAuthenticator callers_;
  std::unique_ptr<HttpClient> http_;
  DeliveryEngine engine_;
  // The outbox, its admin queries and partition ownership; all null without
  // a store (no data directory).
  DurableStores stores_;
  std::unique_ptr<Relay> relay_;  // delivers the outbox in the background
  // What Track wrote lately, for lookups' read-your-writes (the store's when
  // shared, else this replica's own).
  std::unique_ptr<RecentWrites> recent_writes_;
  Tracker tracker_;
  UserLookup lookup_;
  // Identity, trigger and subscription calls, through Braze's rate pools.
  ActionDispatcher action_dispatcher_;
  IdentityActions identity_actions_;
  TriggerActions trigger_actions_;
  SubscriptionActions subscription_actions_;
  CallGate gate_;  // in front of every service below
  CallLog call_log_;
  BrazeSyncService service_;
  AdminService admin_service_;
  LookupService lookup_service_;
  IdentityService identity_service_;
  MessagingService messaging_service_;
  SubscriptionsService subscriptions_service_;
  absl::Mutex health_mu_;
  grpc::Server* health_server_ ABSL_GUARDED_BY(health_mu_) = nullptr;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ConnectGateway> connect_gateway_;  // calls server_ in process
  std::thread store_watch_;
  absl::Notification stop_store_watch_;
  int port_ = 0;
  int metrics_port_ = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_SERVER_H_
