// brazesync_server: the BrazeSync gRPC server binary. Reads flags (or a
// textproto config for several workspaces), takes Braze API keys from the
// environment or files only, prints the bound address, and shuts down
// gracefully on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "server/curl_http_client.h"
#include "server/server.h"
#include "server/workspace.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
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
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written to this file once the server is ready");
ABSL_FLAG(int, shutdown_grace_ms, 10000, "How long running calls may finish on shutdown");
ABSL_FLAG(bool, coalesce, true,
          "Coalesce items from concurrent callers into shared Braze requests. false sends each "
          "call's items on their own (one Braze request per call), like a hand-written forwarder");
ABSL_FLAG(int, max_in_flight, 32, "Concurrent Braze requests per workspace (AIMD ceiling)");
ABSL_FLAG(int, max_queued_items, 100000,
          "Items waiting per workspace before calls fail RESOURCE_EXHAUSTED");
ABSL_FLAG(int, rate_limit_requests, 3000, "Braze /users/track requests allowed per window");
ABSL_FLAG(int, rate_limit_window_ms, 3000, "Braze rate-limit window");

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
  return config;
}

// Writes atomically (temp file + rename) so a reader never sees a partial port.
bool WritePortFile(const std::string& path, int port) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

int Run() {
  absl::StatusOr<v1::ServerConfig> config = ConfigFromFlags();
  if (!config.ok()) {
    std::cerr << "brazesync_server: " << config.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<WorkspaceRegistry> workspaces = WorkspaceRegistry::Create(*config);
  if (!workspaces.ok()) {
    std::cerr << "brazesync_server: " << workspaces.status().message() << "\n";
    return 2;
  }
  // Handle SIGINT/SIGTERM synchronously below; threads started later inherit
  // the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerOptions options;
  options.listen = config->listen();
  options.engine.coalesce = absl::GetFlag(FLAGS_coalesce);
  options.engine.max_in_flight_per_workspace = absl::GetFlag(FLAGS_max_in_flight);
  options.engine.max_queued_items_per_workspace =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_queued_items));
  options.engine.rate_limit_requests = absl::GetFlag(FLAGS_rate_limit_requests);
  options.engine.rate_limit_window = absl::Milliseconds(absl::GetFlag(FLAGS_rate_limit_window_ms));
  absl::StatusOr<std::unique_ptr<BrazeSyncServer>> server =
      BrazeSyncServer::Start(options, *std::move(workspaces), MakeCurlHttpClient());
  if (!server.ok()) {
    std::cerr << "brazesync_server: " << server.status().message() << "\n";
    return 1;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  std::cout << "brazesync_server listening on " << host << ":" << (*server)->port() << std::endl;
  if (!absl::GetFlag(FLAGS_port_file).empty() &&
      !WritePortFile(absl::GetFlag(FLAGS_port_file), (*server)->port())) {
    std::cerr << "brazesync_server: cannot write --port_file\n";
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
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
  absl::ParseCommandLine(argc, argv);
  // Debian builds abseil with mutex deadlock detection on; its cycle graph
  // bookkeeping costs several percent of CPU on every lock (gRPC's too).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return brazesync::Run();
}
