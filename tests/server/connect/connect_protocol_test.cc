// The Connect protocol's unary rules (server/connect/connect_protocol.h): the
// full code table of the spec, the request headers' accepted and refused
// values, the error object with and without google.rpc.Status details, and
// the binary header encoding.
#include "server/connect/connect_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using testing_support::StatusIs;

TEST(ConnectCodeOf, FollowsTheSpecTableForEveryCode) {
  // https://connectrpc.com/docs/protocol#error-codes
  const std::map<absl::StatusCode, std::pair<std::string, int>> expected = {
      {absl::StatusCode::kCancelled, {"canceled", 499}},
      {absl::StatusCode::kUnknown, {"unknown", 500}},
      {absl::StatusCode::kInvalidArgument, {"invalid_argument", 400}},
      {absl::StatusCode::kDeadlineExceeded, {"deadline_exceeded", 504}},
      {absl::StatusCode::kNotFound, {"not_found", 404}},
      {absl::StatusCode::kAlreadyExists, {"already_exists", 409}},
      {absl::StatusCode::kPermissionDenied, {"permission_denied", 403}},
      {absl::StatusCode::kResourceExhausted, {"resource_exhausted", 429}},
      {absl::StatusCode::kFailedPrecondition, {"failed_precondition", 400}},
      {absl::StatusCode::kAborted, {"aborted", 409}},
      {absl::StatusCode::kOutOfRange, {"out_of_range", 400}},
      {absl::StatusCode::kUnimplemented, {"unimplemented", 501}},
      {absl::StatusCode::kInternal, {"internal", 500}},
      {absl::StatusCode::kUnavailable, {"unavailable", 503}},
      {absl::StatusCode::kDataLoss, {"data_loss", 500}},
      {absl::StatusCode::kUnauthenticated, {"unauthenticated", 401}},
  };
  for (int code = 1; code <= 16; ++code) {
    const auto status_code = static_cast<absl::StatusCode>(code);
    ASSERT_EQ(expected.count(status_code), 1u) << code;
    const ConnectCode connect = ConnectCodeOf(status_code);
    EXPECT_EQ(std::string(connect.name), expected.at(status_code).first) << code;
    EXPECT_EQ(connect.http_status, expected.at(status_code).second) << code;
  }
  // Not an error, and not a code: the catch-all.
  EXPECT_EQ(std::string(ConnectCodeOf(absl::StatusCode::kOk).name), "unknown");
  EXPECT_EQ(ConnectCodeOf(static_cast<absl::StatusCode>(99)).http_status, 500);
}

TEST(ParseContentType, AcceptsJsonWithUtf8CharsetAndProto) {
  EXPECT_EQ(*ParseContentType("application/json"), ConnectCodec::kJson);
  EXPECT_EQ(*ParseContentType("Application/JSON; charset=utf-8"), ConnectCodec::kJson);
  EXPECT_EQ(*ParseContentType("application/json;charset=\"UTF-8\""), ConnectCodec::kJson);
  EXPECT_EQ(*ParseContentType("application/proto"), ConnectCodec::kProto);
  EXPECT_EQ(ContentTypeOf(ConnectCodec::kJson), "application/json");
  EXPECT_EQ(ContentTypeOf(ConnectCodec::kProto), "application/proto");
}

TEST(ParseContentType, RefusesOthersNamingTheAcceptedTypes) {
  for (const char* refused :
       {"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1",
        "application/connect+json", "application/grpc", "application/proto; charset=utf-8"}) {
    EXPECT_THAT(ParseContentType(refused).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("application/json, application/proto")))
        << refused;
  }
}

TEST(CheckProtocolVersion, AcceptsOneOrNothing) {
  EXPECT_TRUE(CheckProtocolVersion("").ok());
  EXPECT_TRUE(CheckProtocolVersion("1").ok());
  EXPECT_THAT(CheckProtocolVersion("2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Connect-Protocol-Version")));
}

TEST(CheckContentEncoding, AcceptsIdentityGzipAndBrotliOnly) {
  for (const char* accepted : {"", "identity", "gzip", "GZIP", "br"}) {
    EXPECT_TRUE(CheckContentEncoding(accepted).ok()) << accepted;
  }
  for (const char* refused : {"zstd", "snappy", "compress", "gzip, br"}) {
    EXPECT_THAT(CheckContentEncoding(refused),
                StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("gzip, br")))
        << refused;
  }
}

TEST(ParseTimeoutMs, ParsesUpToTenDigitsOfMilliseconds) {
  EXPECT_FALSE(ParseTimeoutMs("")->has_value());
  EXPECT_EQ(**ParseTimeoutMs("1500"), absl::Milliseconds(1500));
  EXPECT_EQ(**ParseTimeoutMs("9999999999"), absl::Milliseconds(9999999999));
  for (const char* refused : {"0", "-5", "1.5", "10s", " 100", "12345678901", "0x10"}) {
    EXPECT_THAT(ParseTimeoutMs(refused).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Connect-Timeout-Ms")))
        << refused;
  }
}

TEST(ConnectErrorJson, CodeAndMessageWithoutDetails) {
  EXPECT_EQ(ConnectErrorJson(absl::StatusCode::kUnauthenticated, "missing token"),
            nlohmann::json({{"code", "unauthenticated"}, {"message", "missing token"}}));
  // An empty message is left out (clients synthesize one).
  EXPECT_EQ(ConnectErrorJson(absl::StatusCode::kUnavailable, ""),
            nlohmann::json({{"code", "unavailable"}}));
  // Bytes that are not a google.rpc.Status add no details.
  EXPECT_FALSE(ConnectErrorJson(absl::StatusCode::kInternal, "x", "\xff\xff not a proto")
                   .contains("details"));
}

TEST(ConnectErrorJson, DetailsCarryTypeUnpaddedBase64ValueAndDebugJson) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field("events[0].name");
  violation->set_description("required");
  google::rpc::Status status;
  status.set_code(3);
  status.add_details()->PackFrom(bad_request);
  // A type this binary does not know still travels, without "debug".
  google::protobuf::Any* unknown = status.add_details();
  unknown->set_type_url("type.googleapis.com/acme.v1.Unknown");
  unknown->set_value("ab");

  const nlohmann::json error =
      ConnectErrorJson(absl::StatusCode::kInvalidArgument, "invalid", status.SerializeAsString());
  ASSERT_EQ(error["details"].size(), 2u);
  const nlohmann::json& first = error["details"][0];
  EXPECT_EQ(first["type"], "google.rpc.BadRequest");
  const std::string value = first["value"];
  EXPECT_EQ(value.find('='), std::string::npos) << value;
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(value, &bytes));
  google::rpc::BadRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(bytes));
  EXPECT_EQ(decoded.field_violations(0).field(), "events[0].name");
  EXPECT_EQ(first["debug"]["fieldViolations"][0]["field"], "events[0].name");
  const nlohmann::json& second = error["details"][1];
  EXPECT_EQ(second["type"], "acme.v1.Unknown");
  EXPECT_EQ(second["value"], "YWI");
  EXPECT_FALSE(second.contains("debug"));
}

TEST(BinaryHeaders, EncodeUnpaddedDecodeEither) {
  EXPECT_EQ(EncodeBinaryHeader("ab"), "YWI");
  EXPECT_EQ(*DecodeBinaryHeader("YWI"), "ab");
  EXPECT_EQ(*DecodeBinaryHeader("YWI="), "ab");
  EXPECT_FALSE(DecodeBinaryHeader("not base64!").has_value());
}

}  // namespace
}  // namespace brazesync
