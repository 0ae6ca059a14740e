// Rich error details on absl::Status.
#include "server/validation/error_details.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

namespace brazesync {

absl::Status InvalidArgumentWithViolations(absl::string_view message,
                                           const std::vector<v1::FieldViolation>& violations) {
  absl::Status status = absl::InvalidArgumentError(message);
  google::rpc::BadRequest bad_request;
  for (const v1::FieldViolation& violation : violations) {
    auto* out = bad_request.add_field_violations();
    out->set_field(violation.field());
    out->set_description(violation.description());
  }
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

}  // namespace brazesync
