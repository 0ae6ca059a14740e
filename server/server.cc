// Assembly and lifecycle of the BrazeSync gRPC server.
#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"

namespace brazesync {
namespace {

constexpr char kServiceName[] = "brazesync.v1.BrazeSync";

// gRPC's built-in health service does not register its descriptors with the
// protobuf pool, so reflection could not describe grpc.health.v1.Health.
// Touching the generated descriptor links health.pb.cc into the binary.
void RegisterHealthDescriptors() { (void)grpc::health::v1::HealthCheckRequest::descriptor(); }

}  // namespace

BrazeSyncServer::BrazeSyncServer(const ServerOptions& options, WorkspaceRegistry workspaces,
                                 std::unique_ptr<HttpClient> http)
    : workspaces_(std::move(workspaces)),
      http_(std::move(http)),
      engine_(http_.get(), options.engine),
      tracker_(&workspaces_, &engine_),
      service_(&tracker_, options.default_deadline) {}

BrazeSyncServer::~BrazeSyncServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<BrazeSyncServer>> BrazeSyncServer::Start(
    const ServerOptions& options, WorkspaceRegistry workspaces, std::unique_ptr<HttpClient> http) {
  if (options.listen.empty()) return absl::InvalidArgumentError("listen: required (host:port)");
  if (options.default_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_deadline: must be positive");
  }
  RegisterHealthDescriptors();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<BrazeSyncServer> server(
      new BrazeSyncServer(options, std::move(workspaces), std::move(http)));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.RegisterService(&server->service_);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen: could not listen on \"", options.listen, "\""));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(kServiceName, true);
  return server;
}

void BrazeSyncServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->Shutdown();
  // grpc::Server::Shutdown returns only when every call has finished, and
  // calls waiting for Braze finish only when the engine gives up on them: stop
  // the engine once the grace period is over, on another thread.
  absl::Notification server_stopped;
  std::thread engine_stopper([this, grace, &server_stopped] {
    if (!server_stopped.WaitForNotificationWithTimeout(grace)) engine_.Shutdown();
  });
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_stopped.Notify();
  engine_stopper.join();
  server_->Wait();
  server_.reset();
  engine_.Shutdown();
}

}  // namespace brazesync
