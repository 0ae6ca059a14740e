// Rich error details on absl::Status.
#include "server/error_details.h"

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

std::vector<v1::FieldViolation> ViolationsOf(const absl::Status& status) {
  std::vector<v1::FieldViolation> violations;
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestTypeUrl);
  google::rpc::BadRequest bad_request;
  if (!payload.has_value() || !bad_request.ParseFromString(std::string(*payload))) {
    return violations;
  }
  for (const auto& in : bad_request.field_violations()) {
    v1::FieldViolation violation;
    violation.set_field(in.field());
    violation.set_description(in.description());
    violations.push_back(std::move(violation));
  }
  return violations;
}

}  // namespace brazesync
