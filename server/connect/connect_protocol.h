// The Connect protocol's unary rules (https://connectrpc.com/docs/protocol)
// as plain functions, free of gRPC and of any HTTP library: status code ->
// Connect code name and HTTP status, the Content-Type, Content-Encoding,
// Connect-Protocol-Version and Connect-Timeout-Ms request headers, the
// Connect JSON error object, and binary (-bin) header values.
#ifndef BRAZESYNC_SERVER_CONNECT_CONNECT_PROTOCOL_H_
#define BRAZESYNC_SERVER_CONNECT_CONNECT_PROTOCOL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace brazesync {

// A status code as Connect writes it: its name ("invalid_argument") and the
// HTTP status of the error response.
struct ConnectCode {
  absl::string_view name;
  int http_status;
};

// The Connect spec's error-code table; OK (not an error) maps to unknown/500.
ConnectCode ConnectCodeOf(absl::StatusCode code);

// The message codecs a unary call may use.
enum class ConnectCodec { kJson, kProto };

// The Content-Types accepted, for the Accept-Post header and error messages.
inline constexpr char kAcceptedContentTypes[] = "application/json, application/proto";
// Request Content-Encodings accepted besides identity (decoded by the HTTP
// server), for the Accept-Encoding header and error messages.
inline constexpr char kAcceptedContentEncodings[] = "gzip, br";

// The codec of a unary request's Content-Type: "application/json" (optionally
// with charset=utf-8) or "application/proto". INVALID_ARGUMENT naming the
// accepted types otherwise (the caller answers 415).
absl::StatusOr<ConnectCodec> ParseContentType(absl::string_view content_type);

// The Content-Type of a successful response in `codec`.
absl::string_view ContentTypeOf(ConnectCodec codec);

// Connect-Protocol-Version: absent (empty) or "1"; INVALID_ARGUMENT otherwise.
absl::Status CheckProtocolVersion(absl::string_view header);

// Content-Encoding: absent, identity, gzip or br; UNIMPLEMENTED naming the
// supported encodings otherwise.
absl::Status CheckContentEncoding(absl::string_view header);

// Connect-Timeout-Ms: nullopt when absent (empty), the duration for 1 to 10
// ASCII digits (at least 1 ms), INVALID_ARGUMENT otherwise.
absl::StatusOr<std::optional<absl::Duration>> ParseTimeoutMs(absl::string_view header);

// The Connect error object {"code", "message", "details"}. `status_details` is
// a serialized google.rpc.Status (gRPC's grpc-status-details-bin, possibly
// empty); each of its details becomes {"type": full message name, "value":
// unpadded base64 of the bytes} plus "debug" (the detail in JSON) when the
// type is known to this binary.
nlohmann::json ConnectErrorJson(absl::StatusCode code, absl::string_view message,
                                absl::string_view status_details = {});

// Binary metadata in HTTP headers: unpadded base64 out; padded or unpadded in
// (nullopt when not base64).
std::string EncodeBinaryHeader(absl::string_view bytes);
std::optional<std::string> DecodeBinaryHeader(absl::string_view value);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONNECT_CONNECT_PROTOCOL_H_
