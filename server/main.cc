// brazesync_server: the BrazeSync gRPC server binary. Reads flags (or a
// textproto config for several workspaces), takes Braze API keys and caller
// token hashes from the environment or files only (never from flags), prints
// the bound address, reloads secrets and callers on SIGHUP or when the config
// or a secret file changes, and shuts down gracefully on SIGINT/SIGTERM.
#include <signal.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/files.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/http/curl_http_client.h"
#include "server/ops/logging.h"
#include "server/security/secret_source.h"
#include "server/server.h"

// Flags whose value is also an option default take it from the option struct
// (ServerOptions, EngineOptions and the structs inside), so `--help` and a
// server started without the flag agree with a server built in code.

ABSL_FLAG(std::string, listen, brazesync::ServerOptions().listen,
          "gRPC listen address host:port; port 0 picks a free port (printed on start)");
ABSL_FLAG(std::string, config, "",
          "Path of a brazesync.v1.ServerConfig textproto (several workspaces). Overrides "
          "--braze_endpoint; --listen still applies when the file sets no listen address");
ABSL_FLAG(std::string, braze_endpoint, "",
          "Braze REST endpoint for the single 'default' workspace, e.g. "
          "https://rest.iad-01.braze.com. Its API key comes from --api_key_env");
ABSL_FLAG(std::string, api_key_env, "BRAZE_API_KEY",
          "Environment variable holding the default workspace's Braze REST API key");
ABSL_FLAG(bool, per_array_cap, false,
          "Default workspace: Braze's legacy 75-objects-per-array cap instead of 75 combined");
ABSL_FLAG(std::string, default_phone_region, "",
          "Default workspace: ISO 3166-1 alpha-2 region (e.g. FR) of national phone numbers, sent "
          "to Braze in E.164; empty = phones must be E.164");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written to this file once the server is ready");
ABSL_FLAG(int, shutdown_grace_ms, 10000, "How long running calls may finish on shutdown");
ABSL_FLAG(bool, coalesce, brazesync::EngineOptions().coalesce,
          "Coalesce items from concurrent callers into shared Braze requests. false sends each "
          "call's items on their own (one Braze request per call), like a hand-written forwarder");
ABSL_FLAG(int, max_in_flight, brazesync::EngineOptions().governor.max_concurrency,
          "Concurrent Braze requests per workspace (AIMD ceiling)");
ABSL_FLAG(int, max_queued_items,
          static_cast<int>(brazesync::EngineOptions().max_queued_items_per_workspace),
          "Items waiting per workspace before calls fail RESOURCE_EXHAUSTED");
ABSL_FLAG(int, rate_limit_requests, brazesync::EngineOptions().governor.requests_per_window,
          "Braze /users/track requests allowed per window");
ABSL_FLAG(int, rate_limit_window_ms,
          static_cast<int>(absl::ToInt64Milliseconds(brazesync::EngineOptions().governor.window)),
          "Braze rate-limit window");
ABSL_FLAG(int, max_receive_message_bytes, brazesync::ServerOptions().max_receive_message_bytes,
          "Largest TrackRequest message accepted (config max_receive_message_bytes wins)");
ABSL_FLAG(int, max_items_per_request, brazesync::ServerOptions().max_items_per_request,
          "Most items (attributes + events + purchases) per TrackRequest; 0 = no cap "
          "(config max_items_per_request wins)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port of the Prometheus /metrics endpoint, e.g. 127.0.0.1:9464; empty = off "
          "(config metrics_listen wins)");
ABSL_FLAG(std::string, http_listen, "",
          "host:port of the HTTP/JSON listener (Connect protocol, unary rpcs, HTTP/1.1; HTTPS "
          "when TLS is on), e.g. 127.0.0.1:8080; port 0 = a free port; empty = off (config "
          "http_listen wins). docs/clients/http.md");
ABSL_FLAG(std::string, http_port_file, "",
          "If set, the bound HTTP/JSON port is written to this file once it is ready (before "
          "--port_file)");
ABSL_FLAG(std::string, braze_ca_file, "",
          "PEM CA bundle to verify Braze's certificate with instead of the system store "
          "(config braze_ca_file wins)");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain for TLS on the gRPC port");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key for TLS on the gRPC port (mode 0600 or stricter)");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, callers need a client certificate it signed (mTLS)");
ABSL_FLAG(bool, reflection, brazesync::ServerOptions().reflection,
          "Serve gRPC server reflection (config disable_reflection wins)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(bool, redact_logs, brazesync::ServerOptions().redact_logs,
          "Redact e-mails and phone numbers in logs (API keys and tokens always are)");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the durable outbox (SQLite). Enables DELIVERY_MODE_ASYNC, idempotency "
          "and dead letters; undelivered items resume from it after a restart");
ABSL_FLAG(std::string, store, "",
          "Cluster mode: libpq URI of the PostgreSQL database all replicas share, e.g. "
          "postgresql:///brazesync?host=/run/postgresql (no password in it: libpq reads "
          "PGPASSWORD or PGPASSFILE). Exclusive with --data_dir (config store wins)");
ABSL_FLAG(int, cluster_partitions, brazesync::ClusterOptions().partitions,
          "Cluster mode: user partitions, each delivered by one replica at a time; fixed when "
          "the store is created, the same on every replica");
ABSL_FLAG(
    int, cluster_owner_idle_timeout_ms,
    static_cast<int>(absl::ToInt64Milliseconds(brazesync::ClusterOptions().owner_idle_timeout)),
    "Cluster mode: PostgreSQL ends a replica's owner session (and its partitions move) "
    "after it has been silent this long, e.g. frozen");
ABSL_FLAG(std::string, replica_name, "",
          "Cluster mode: this replica's name in the store; empty = host name and process id");
ABSL_FLAG(std::string, rate_budget, "shared",
          "Cluster mode: shared (one Braze budget per workspace for all replicas; "
          "--rate_limit_requests is the total) or local (each replica its own)");
ABSL_FLAG(std::string, rate_budget_fallback, "static_share",
          "Cluster mode, PostgreSQL unreachable: static_share (each replica spends "
          "limit x 0.9 / replicas last seen) or closed (no Braze requests)");
ABSL_FLAG(std::string, in_doubt,
          brazesync::ServerOptions().relay.dead_letter_in_doubt ? "dead_letter" : "resend",
          "Async items a killed server left mid-request (Braze may have them): dead_letter "
          "(never sent twice; replay after checking Braze) or resend (at least once)");
ABSL_FLAG(int, retry_horizon_s,
          static_cast<int>(absl::ToInt64Seconds(brazesync::ServerOptions().relay.retry_horizon)),
          "Async delivery: items failing retryably for longer become dead letters");
ABSL_FLAG(
    int, idempotency_window_s,
    static_cast<int>(absl::ToInt64Seconds(brazesync::ServerOptions().outbox.idempotency_window)),
    "Async delivery: repeats of an event_id/purchase_id within this window are dropped");
ABSL_FLAG(bool, fsync_every_commit, brazesync::ServerOptions().outbox.fsync_every_commit,
          "Outbox: fsync each commit (survives power loss) instead of WAL synchronous=NORMAL "
          "(survives a killed process)");
ABSL_FLAG(int, secrets_poll_ms, 5000,
          "How often the config and secret files are checked for changes; 0 = only on SIGHUP");

namespace brazesync {
namespace {

absl::StatusOr<v1::ServerConfig> ConfigFromFlags() {
  if (!absl::GetFlag(FLAGS_config).empty()) {
    absl::StatusOr<v1::ServerConfig> config = LoadServerConfigFile(absl::GetFlag(FLAGS_config));
    if (config.ok() && config->listen().empty()) config->set_listen(absl::GetFlag(FLAGS_listen));
    return config;
  }
  if (absl::GetFlag(FLAGS_braze_endpoint).empty()) {
    return absl::InvalidArgumentError("--braze_endpoint or --config is required");
  }
  v1::ServerConfig config;
  config.set_listen(absl::GetFlag(FLAGS_listen));
  v1::WorkspaceConfig* workspace = config.add_workspaces();
  workspace->set_name("default");
  workspace->set_endpoint(absl::GetFlag(FLAGS_braze_endpoint));
  workspace->set_api_key_env(absl::GetFlag(FLAGS_api_key_env));
  if (absl::GetFlag(FLAGS_per_array_cap)) {
    workspace->set_object_cap_mode(v1::OBJECT_CAP_MODE_PER_ARRAY);
  }
  workspace->set_default_phone_region(absl::GetFlag(FLAGS_default_phone_region));
  return config;
}

// Applies the flags the config file leaves unset.
void MergeFlags(v1::ServerConfig& config) {
  v1::TlsConfig* tls = config.mutable_tls();
  if (tls->cert_file().empty() && tls->key_file().empty()) {
    tls->set_cert_file(absl::GetFlag(FLAGS_tls_cert_file));
    tls->set_key_file(absl::GetFlag(FLAGS_tls_key_file));
    if (tls->client_ca_file().empty()) {
      tls->set_client_ca_file(absl::GetFlag(FLAGS_tls_client_ca_file));
    }
  }
  if (config.metrics_listen().empty())
    config.set_metrics_listen(absl::GetFlag(FLAGS_metrics_listen));
  if (config.http_listen().empty()) config.set_http_listen(absl::GetFlag(FLAGS_http_listen));
  if (config.braze_ca_file().empty()) config.set_braze_ca_file(absl::GetFlag(FLAGS_braze_ca_file));
  if (config.max_items_per_request() == 0) {
    config.set_max_items_per_request(absl::GetFlag(FLAGS_max_items_per_request));
  }
  if (config.max_receive_message_bytes() == 0) {
    config.set_max_receive_message_bytes(absl::GetFlag(FLAGS_max_receive_message_bytes));
  }
  if (!absl::GetFlag(FLAGS_reflection)) config.set_disable_reflection(true);
}

// The files whose change triggers a reload: the config and every secret file.
std::vector<std::string> WatchedFiles(const v1::ServerConfig& config) {
  std::vector<std::string> files;
  if (!absl::GetFlag(FLAGS_config).empty()) files.push_back(absl::GetFlag(FLAGS_config));
  for (const v1::WorkspaceConfig& workspace : config.workspaces()) {
    if (!workspace.api_key_file().empty()) files.push_back(workspace.api_key_file());
  }
  for (const v1::CallerConfig& caller : config.callers()) {
    if (!caller.token_sha256_file().empty()) files.push_back(caller.token_sha256_file());
  }
  return files;
}

// "host:port" of a listener configured as `listen` (port maybe 0) that
// bound `port`.
std::string BoundAddress(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

// Writes `port` to `path` when the flag --`flag` is set; false (after saying
// why) when it cannot.
bool WritePortFileFlag(absl::string_view flag, const std::string& path, int port) {
  if (path.empty()) return true;
  if (absl::Status written = WritePortFile(path, port); !written.ok()) {
    std::cerr << "brazesync_server: --" << flag << ": " << written.message() << "\n";
    return false;
  }
  return true;
}

int Run() {
  absl::StatusOr<v1::ServerConfig> config = ConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "brazesync_server: " << config.status().message() << "\n";
    return 2;
  }
  MergeFlags(*config);
  absl::StatusOr<WorkspaceRegistry> workspaces = WorkspaceRegistry::Create(*config);
  if (!workspaces.ok()) {
    std::cerr << "brazesync_server: " << workspaces.status().message() << "\n";
    return 2;
  }
  LogLevel log_level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &log_level)) {
    std::cerr << "brazesync_server: --log_level must be debug, info, warning or error\n";
    return 2;
  }
  // Handle SIGINT/SIGTERM/SIGHUP synchronously below; threads started later
  // inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerOptions options;
  options.listen = config->listen();
  options.max_receive_message_bytes = config->max_receive_message_bytes();
  options.max_items_per_request = config->max_items_per_request();
  options.tls = config->tls();
  options.callers = config->callers();
  options.reflection = !config->disable_reflection();
  options.metrics_listen = config->metrics_listen();
  options.http_listen = config->http_listen();
  options.log_level = log_level;
  options.redact_logs = absl::GetFlag(FLAGS_redact_logs);
  options.engine.coalesce = absl::GetFlag(FLAGS_coalesce);
  options.engine.governor.max_concurrency = absl::GetFlag(FLAGS_max_in_flight);
  options.engine.max_queued_items_per_workspace =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_queued_items));
  options.engine.governor.requests_per_window = absl::GetFlag(FLAGS_rate_limit_requests);
  options.engine.governor.window = absl::Milliseconds(absl::GetFlag(FLAGS_rate_limit_window_ms));
  if (absl::GetFlag(FLAGS_rate_limit_requests) < 1) {
    std::cerr << "brazesync_server: --rate_limit_requests: must be at least 1\n";
    return 2;
  }
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.store = config->store().empty() ? absl::GetFlag(FLAGS_store) : config->store();
  options.cluster.partitions = absl::GetFlag(FLAGS_cluster_partitions);
  options.cluster.owner_idle_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_cluster_owner_idle_timeout_ms));
  options.cluster.replica_name = absl::GetFlag(FLAGS_replica_name);
  const std::string rate_budget = absl::GetFlag(FLAGS_rate_budget);
  if (rate_budget != "shared" && rate_budget != "local") {
    std::cerr << "brazesync_server: --rate_budget: must be shared or local, not \"" << rate_budget
              << "\"\n";
    return 2;
  }
  options.cluster.shared_rate_budget = rate_budget == "shared";
  const std::string fallback = absl::GetFlag(FLAGS_rate_budget_fallback);
  if (fallback != "static_share" && fallback != "closed") {
    std::cerr << "brazesync_server: --rate_budget_fallback: must be static_share or closed, not \""
              << fallback << "\"\n";
    return 2;
  }
  options.cluster.closed_without_store = fallback == "closed";
  options.relay.retry_horizon = absl::Seconds(absl::GetFlag(FLAGS_retry_horizon_s));
  const std::string in_doubt = absl::GetFlag(FLAGS_in_doubt);
  if (in_doubt != "dead_letter" && in_doubt != "resend") {
    std::cerr << "brazesync_server: --in_doubt: must be dead_letter or resend, not \"" << in_doubt
              << "\"\n";
    return 2;
  }
  options.relay.dead_letter_in_doubt = in_doubt == "dead_letter";
  options.outbox.idempotency_window = absl::Seconds(absl::GetFlag(FLAGS_idempotency_window_s));
  options.outbox.fsync_every_commit = absl::GetFlag(FLAGS_fsync_every_commit);
  CurlOptions curl;
  curl.ca_file = config->braze_ca_file();
  absl::StatusOr<std::unique_ptr<BrazeSyncServer>> server =
      BrazeSyncServer::Start(options, *std::move(workspaces), MakeCurlHttpClient(curl));
  if (!server.ok()) {
    std::cerr << "brazesync_server: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "brazesync_server listening on " << BoundAddress(options.listen, (*server)->port())
            << std::endl;
  if ((*server)->metrics_port() != 0) {
    std::cout << "brazesync_server metrics on "
              << BoundAddress(options.metrics_listen, (*server)->metrics_port()) << "/metrics"
              << std::endl;
  }
  if ((*server)->http_port() != 0) {
    std::cout << "brazesync_server HTTP/JSON (Connect) on "
              << BoundAddress(options.http_listen, (*server)->http_port()) << std::endl;
  }
  // The HTTP port file first: a reader of --port_file finds both ready.
  if (!WritePortFileFlag("http_port_file", absl::GetFlag(FLAGS_http_port_file),
                         (*server)->http_port()) ||
      !WritePortFileFlag("port_file", absl::GetFlag(FLAGS_port_file), (*server)->port())) {
    return 1;
  }

  // Reloads come from SIGHUP (this thread) and the file watcher (its thread).
  absl::Mutex reload_mu;
  BrazeSyncServer* const running = server->get();
  auto reload = [&reload_mu, running] {
    absl::MutexLock lock(&reload_mu);
    absl::StatusOr<v1::ServerConfig> fresh = ConfigFromFlags();
    if (!fresh.ok()) {
      running->logger().Log(LogLevel::kError, "reload failed; keeping the previous secrets",
                            {{"error", std::string(fresh.status().message())}});
      return;
    }
    (void)running->Reload(*fresh);  // logs its own outcome
  };
  std::unique_ptr<FileChangeWatcher> watcher;
  if (absl::GetFlag(FLAGS_secrets_poll_ms) > 0) {
    std::vector<std::string> files = WatchedFiles(*config);
    if (!files.empty()) {
      watcher = std::make_unique<FileChangeWatcher>(
          std::move(files), absl::Milliseconds(absl::GetFlag(FLAGS_secrets_poll_ms)), reload);
    }
  }
  int received = 0;
  while (true) {
    sigwait(&signals, &received);
    if (received != SIGHUP) break;
    reload();
  }
  watcher.reset();
  std::cout << "brazesync_server: shutting down (signal " << received << ")" << std::endl;
  (*server)->Shutdown(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  return 0;
}

}  // namespace
}  // namespace brazesync

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "BrazeSync gRPC server.\n  BRAZE_API_KEY=... brazesync_server "
      "--braze_endpoint=https://rest.iad-01.braze.com --listen=127.0.0.1:50051");
  // --help and --helpshort list the flags of this file: abseil's default
  // lists only those of a file named after the binary (brazesync_server.cc).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = usage.contains_helpshort_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  // Debian builds abseil with mutex deadlock detection on; its cycle graph
  // bookkeeping costs several percent of CPU on every lock (gRPC's too).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return brazesync::Run();
}
