// Assembly and lifecycle of the BrazeSync gRPC server: owns the workspaces,
// the HTTP client, the delivery engine, the tracker and the service, and turns
// on health checking and server reflection.
#ifndef BRAZESYNC_SERVER_SERVER_H_
#define BRAZESYNC_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/brazesync_service.h"
#include "server/delivery_engine.h"
#include "server/http_client.h"
#include "server/tracker.h"
#include "server/workspace.h"

namespace brazesync {

struct ServerOptions {
  // host:port; port 0 picks a free port (see BrazeSyncServer::port()).
  std::string listen = "127.0.0.1:50051";
  // For calls that carry no deadline.
  absl::Duration default_deadline = absl::Seconds(30);
  // Largest request message accepted.
  int max_receive_message_bytes = 16 * 1024 * 1024;
  EngineOptions engine;
};

class BrazeSyncServer final {
 public:
  // Starts serving; fails with the option that is wrong or the address that
  // could not be bound.
  static absl::StatusOr<std::unique_ptr<BrazeSyncServer>> Start(
      const ServerOptions& options, WorkspaceRegistry workspaces,
      std::unique_ptr<HttpClient> http);
  ~BrazeSyncServer();
  BrazeSyncServer(const BrazeSyncServer&) = delete;
  BrazeSyncServer& operator=(const BrazeSyncServer&) = delete;

  int port() const { return port_; }
  // Stops accepting calls and lets running ones finish for up to `grace`;
  // then fails what is still waiting for Braze (UNAVAILABLE) and stops.
  void Shutdown(absl::Duration grace);

  EngineStats engine_stats() const { return engine_.stats(); }

 private:
  BrazeSyncServer(const ServerOptions& options, WorkspaceRegistry workspaces,
                  std::unique_ptr<HttpClient> http);

  WorkspaceRegistry workspaces_;
  std::unique_ptr<HttpClient> http_;
  DeliveryEngine engine_;
  Tracker tracker_;
  BrazeSyncService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_SERVER_H_
