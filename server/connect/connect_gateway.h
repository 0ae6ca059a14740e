// The Connect protocol's unary calls over plain HTTP/1.1 (or HTTPS), on a
// listener of their own (--http_listen): `POST /brazesync.v1.<Service>/<Method>`
// with a JSON (canonical protobuf mapping) or binary protobuf body. Each call
// is decoded and made through an in-process gRPC channel to the same
// grpc::Server, so tokens, roles, rate buckets, size limits, validation, logs
// and metrics are the gRPC path's own. docs/clients/http.md.
#ifndef BRAZESYNC_SERVER_CONNECT_CONNECT_GATEWAY_H_
#define BRAZESYNC_SERVER_CONNECT_CONNECT_GATEWAY_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace brazesync {

struct ConnectGatewayOptions {
  // host:port; port 0 picks a free port (see ConnectGateway::port()).
  std::string listen;
  // Largest request body, after decompression (the gRPC port's
  // max_receive_message_bytes: a JSON body is never smaller than its message).
  size_t max_body_bytes = 16 * 1024 * 1024;
  // HTTPS with this certificate and key (and client certificates checked
  // against client_ca_file when set); empty cert_file: plain HTTP.
  v1::TlsConfig tls;
};

class ConnectGateway final {
 public:
  // Binds `options.listen` and serves in the background; every call goes
  // through `channel` (the gRPC server's in-process channel). Fails naming
  // the address that could not be bound or the TLS file that is unusable.
  static absl::StatusOr<std::unique_ptr<ConnectGateway>> Start(
      const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel);
  ~ConnectGateway();
  ConnectGateway(const ConnectGateway&) = delete;
  ConnectGateway& operator=(const ConnectGateway&) = delete;

  int port() const { return port_; }
  // Closes the listener; calls under way go on, idle keep-alive connections
  // close.
  void StopAccepting();
  // Waits until no call is under way or `deadline` passes; true when none is.
  // The gRPC server's shutdown closes its in-process transport, which fails
  // the calls still on it at once: drain them here first.
  bool WaitIdle(absl::Time deadline);
  // Returns once every call under way has been answered (after StopAccepting).
  void Wait();

 private:
  ConnectGateway(const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel,
                 std::unique_ptr<httplib::Server> http);
  void InstallHandlers();

  const size_t max_body_bytes_;
  absl::Mutex mu_;
  int calls_under_way_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  int port_ = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONNECT_CONNECT_GATEWAY_H_
