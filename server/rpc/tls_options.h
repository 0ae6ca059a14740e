// gRPC server credentials from the TlsConfig of the server configuration:
// plaintext when no certificate is configured, TLS otherwise, and mutual TLS
// (client certificate required and verified) when a client CA is given.
// The files are checked at start (present, key 0600 or stricter) and then
// watched by gRPC's FileWatcherCertificateProvider, so rotated certificates
// and keys are picked up without a restart.
#ifndef BRAZESYNC_SERVER_RPC_TLS_OPTIONS_H_
#define BRAZESYNC_SERVER_RPC_TLS_OPTIONS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"

namespace brazesync {

// INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION naming the tls.* field
// that is wrong.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const v1::TlsConfig& tls, absl::Duration refresh_interval = absl::Seconds(5));

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_TLS_OPTIONS_H_
