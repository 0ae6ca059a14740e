// The Connect protocol's unary rules: see connect_protocol.h.
#include "server/connect/connect_protocol.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/rpc/status.pb.h"

namespace brazesync {
namespace {

// Connect-Timeout-Ms carries at most 10 digits (the spec's bound).
constexpr size_t kMaxTimeoutDigits = 10;

// The JSON form of a google.rpc.Status detail, when this binary knows its type.
std::optional<nlohmann::json> DebugJson(const google::protobuf::Any& detail,
                                        absl::string_view type) {
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(type));
  if (descriptor == nullptr) return std::nullopt;
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) return std::nullopt;
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromString(detail.value())) return std::nullopt;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*message, &json).ok()) return std::nullopt;
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace

ConnectCode ConnectCodeOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kCancelled:
      return {"canceled", 499};
    case absl::StatusCode::kInvalidArgument:
      return {"invalid_argument", 400};
    case absl::StatusCode::kDeadlineExceeded:
      return {"deadline_exceeded", 504};
    case absl::StatusCode::kNotFound:
      return {"not_found", 404};
    case absl::StatusCode::kAlreadyExists:
      return {"already_exists", 409};
    case absl::StatusCode::kPermissionDenied:
      return {"permission_denied", 403};
    case absl::StatusCode::kResourceExhausted:
      return {"resource_exhausted", 429};
    case absl::StatusCode::kFailedPrecondition:
      return {"failed_precondition", 400};
    case absl::StatusCode::kAborted:
      return {"aborted", 409};
    case absl::StatusCode::kOutOfRange:
      return {"out_of_range", 400};
    case absl::StatusCode::kUnimplemented:
      return {"unimplemented", 501};
    case absl::StatusCode::kInternal:
      return {"internal", 500};
    case absl::StatusCode::kUnavailable:
      return {"unavailable", 503};
    case absl::StatusCode::kDataLoss:
      return {"data_loss", 500};
    case absl::StatusCode::kUnauthenticated:
      return {"unauthenticated", 401};
    case absl::StatusCode::kOk:
    case absl::StatusCode::kUnknown:
    default:
      return {"unknown", 500};
  }
}

absl::StatusOr<ConnectCodec> ParseContentType(absl::string_view content_type) {
  std::vector<absl::string_view> parts = absl::StrSplit(content_type, ';');
  const std::string media_type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
  bool parameters_ok = true;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string parameter = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
    // JSON is UTF-8 by definition; a charset parameter may only say so.
    if (parameter != "charset=utf-8" && parameter != "charset=\"utf-8\"") parameters_ok = false;
  }
  if (media_type == "application/json" && parameters_ok) return ConnectCodec::kJson;
  if (media_type == "application/proto" && parts.size() == 1) return ConnectCodec::kProto;
  return absl::InvalidArgumentError(absl::StrCat(
      "Content-Type: \"", content_type, "\" is not accepted; send ", kAcceptedContentTypes,
      " (Connect unary; streaming application/connect+* is not served)"));
}

absl::string_view ContentTypeOf(ConnectCodec codec) {
  return codec == ConnectCodec::kJson ? "application/json" : "application/proto";
}

absl::Status CheckProtocolVersion(absl::string_view header) {
  if (header.empty() || header == "1") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("Connect-Protocol-Version: \"", header,
                                                 "\" is not supported; send 1 or omit it"));
}

absl::Status CheckContentEncoding(absl::string_view header) {
  const std::string encoding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header));
  if (encoding.empty() || encoding == "identity" || encoding == "gzip" || encoding == "br") {
    return absl::OkStatus();
  }
  return absl::UnimplementedError(absl::StrCat("Content-Encoding: \"", header,
                                               "\" is not supported; send identity, ",
                                               kAcceptedContentEncodings));
}

absl::StatusOr<std::optional<absl::Duration>> ParseTimeoutMs(absl::string_view header) {
  if (header.empty()) return std::optional<absl::Duration>();
  uint64_t milliseconds = 0;
  const bool digits_only = absl::c_all_of(header, absl::ascii_isdigit);
  if (!digits_only || header.size() > kMaxTimeoutDigits ||
      !absl::SimpleAtoi(header, &milliseconds) || milliseconds == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Connect-Timeout-Ms: \"", header,
                     "\" is not a timeout; send a positive number of milliseconds (at most 10 "
                     "digits)"));
  }
  return std::optional<absl::Duration>(absl::Milliseconds(milliseconds));
}

nlohmann::json ConnectErrorJson(absl::StatusCode code, absl::string_view message,
                                absl::string_view status_details) {
  nlohmann::json error = {{"code", ConnectCodeOf(code).name}};
  if (!message.empty()) error["message"] = message;
  google::rpc::Status status;
  if (status_details.empty() ||
      !status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size())) ||
      status.details_size() == 0) {
    return error;
  }
  nlohmann::json details = nlohmann::json::array();
  for (const google::protobuf::Any& detail : status.details()) {
    // type.googleapis.com/google.rpc.BadRequest -> google.rpc.BadRequest
    absl::string_view type = detail.type_url();
    if (size_t slash = type.rfind('/'); slash != absl::string_view::npos) {
      type = type.substr(slash + 1);
    }
    nlohmann::json entry = {{"type", type}, {"value", EncodeBinaryHeader(detail.value())}};
    if (std::optional<nlohmann::json> debug = DebugJson(detail, type)) entry["debug"] = *debug;
    details.push_back(std::move(entry));
  }
  error["details"] = std::move(details);
  return error;
}

std::string EncodeBinaryHeader(absl::string_view bytes) {
  std::string encoded = absl::Base64Escape(bytes);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return encoded;
}

std::optional<std::string> DecodeBinaryHeader(absl::string_view value) {
  std::string decoded;
  // absl::Base64Unescape accepts padded and unpadded input.
  if (!absl::Base64Unescape(value, &decoded)) return std::nullopt;
  return decoded;
}

}  // namespace brazesync
