// Rich error details on absl::Status, gRPC-free: field violations travel as a
// serialized google.rpc.BadRequest payload keyed by its type URL, so the gRPC
// adapter can put them into `grpc-status-details-bin` unchanged. Reading them
// back is the client's job: brazesync::FieldViolations in
// client/cpp/brazesync_client.h decodes this payload.
#ifndef BRAZESYNC_SERVER_VALIDATION_ERROR_DETAILS_H_
#define BRAZESYNC_SERVER_VALIDATION_ERROR_DETAILS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "brazesync/v1/brazesync.pb.h"

namespace brazesync {

inline constexpr absl::string_view kBadRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";

// INVALID_ARGUMENT with `message` and a google.rpc.BadRequest payload listing
// `violations`.
absl::Status InvalidArgumentWithViolations(absl::string_view message,
                                           const std::vector<v1::FieldViolation>& violations);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_ERROR_DETAILS_H_
