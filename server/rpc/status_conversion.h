// The one mapping from absl::Status to grpc::Status at the gRPC edge: same
// code, message truncated to 1 KiB, and every payload (e.g. BadRequest field
// violations) carried as a google.protobuf.Any in a google.rpc.Status in the
// `grpc-status-details-bin` trailer, which standard gRPC tooling decodes.
#ifndef BRAZESYNC_SERVER_RPC_STATUS_CONVERSION_H_
#define BRAZESYNC_SERVER_RPC_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace brazesync {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_STATUS_CONVERSION_H_
