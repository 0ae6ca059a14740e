// Tests for server/status_conversion.h: ToGrpcStatus keeps the code and the
// message (truncated to 1024 bytes), and carries every absl::Status payload,
// notably the BadRequest field violations from server/error_details.h, as a
// google.protobuf.Any inside the google.rpc.Status in error_details(), where
// the C++ client (FromGrpcStatus, FieldViolations) reads them back.
#include "server/rpc/status_conversion.h"

#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "brazesync/v1/brazesync.pb.h"
#include "client/cpp/brazesync_client.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/base/utf8.h"
#include "server/validation/error_details.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::StrEq;

constexpr size_t kMaxMessageBytes = 1024;
constexpr char kBadRequestTypeUrlText[] = "type.googleapis.com/google.rpc.BadRequest";

v1::FieldViolation Violation(const std::string& field, const std::string& description) {
  v1::FieldViolation violation;
  violation.set_field(field);
  violation.set_description(description);
  return violation;
}

google::rpc::Status DetailsOf(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  return details;
}

MATCHER_P2(BadRequestViolationIs, field, description, "") {
  return arg.field() == field && arg.description() == description;
}

TEST(StatusConversionTest, MapsOkToOk) {
  const grpc::Status status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_THAT(status.error_details(), IsEmpty());
}

struct CodeCase {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

class StatusConversionCodeTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(StatusConversionCodeTest, PreservesCode) {
  EXPECT_THAT(ToGrpcStatus(absl::Status(GetParam().absl_code, "m")).error_code(),
              Eq(GetParam().grpc_code));
}

INSTANTIATE_TEST_SUITE_P(
    StatusConversionTest, StatusConversionCodeTest,
    ::testing::Values(
        CodeCase{absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
        CodeCase{absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
        CodeCase{absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
        CodeCase{absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
        CodeCase{absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
        CodeCase{absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
        CodeCase{absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
        CodeCase{absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
        CodeCase{absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED}));

TEST(StatusConversionTest, PreservesMessage) {
  const grpc::Status status = ToGrpcStatus(absl::UnavailableError("Braze answered HTTP 503"));
  EXPECT_THAT(status.error_message(), StrEq("Braze answered HTTP 503"));
}

TEST(StatusConversionTest, KeepsMessageOfExactlyTheLimit) {
  const std::string message(kMaxMessageBytes, 'a');
  EXPECT_THAT(ToGrpcStatus(absl::InternalError(message)).error_message(), StrEq(message));
}

TEST(StatusConversionTest, TruncatesLongMessageTo1024Bytes) {
  const std::string message(5000, 'b');
  const grpc::Status status = ToGrpcStatus(absl::InternalError(message));
  EXPECT_THAT(status.error_message(), SizeIs(kMaxMessageBytes));
  EXPECT_THAT(status.error_message(), StartsWith(std::string(kMaxMessageBytes - 3, 'b')));
}

// The message is also google.rpc.Status.message, a proto3 string: a split
// multi-byte character would make the details unparseable for clients.
TEST(StatusConversionTest, TruncatesOnAUtf8CharacterBoundary) {
  std::string message;
  for (int i = 0; i < 600; ++i) message += "\xC3\xA9";  // "é", 2 bytes each
  const grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError(message));
  EXPECT_THAT(status.error_message().size(), ::testing::Le(kMaxMessageBytes));
  EXPECT_TRUE(IsValidUtf8(status.error_message()));
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
}

TEST(StatusConversionTest, DetailsRepeatCodeAndTruncatedMessage) {
  const grpc::Status status = ToGrpcStatus(absl::NotFoundError(std::string(2000, 'c')));
  const google::rpc::Status details = DetailsOf(status);
  EXPECT_THAT(details.code(), Eq(static_cast<int>(grpc::StatusCode::NOT_FOUND)));
  EXPECT_THAT(details.message(), StrEq(status.error_message()));
}

TEST(StatusConversionTest, StatusWithoutPayloadHasNoDetailEntries) {
  EXPECT_THAT(DetailsOf(ToGrpcStatus(absl::UnavailableError("x"))).details(), IsEmpty());
}

TEST(StatusConversionTest, CarriesBadRequestAsAnyWithItsTypeUrl) {
  const absl::Status status = InvalidArgumentWithViolations(
      "1 of 1 items are invalid", {Violation("events[0].name", "required")});
  const google::rpc::Status details = DetailsOf(ToGrpcStatus(status));
  ASSERT_THAT(details.details(), SizeIs(1));
  EXPECT_THAT(details.details(0).type_url(), StrEq(kBadRequestTypeUrlText));
  EXPECT_TRUE(details.details(0).Is<google::rpc::BadRequest>());
}

TEST(StatusConversionTest, BadRequestParsesBackWithTheSameViolations) {
  const absl::Status status = InvalidArgumentWithViolations(
      "2 of 3 items are invalid",
      {Violation("events[2].time", "must not be after year 3000"),
       Violation("attributes[0].custom_attributes[\"$x\"]", "key must not start with \"$\"")});
  const google::rpc::Status details = DetailsOf(ToGrpcStatus(status));
  ASSERT_THAT(details.details(), SizeIs(1));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  EXPECT_THAT(bad_request.field_violations(),
              ElementsAre(BadRequestViolationIs("events[2].time", "must not be after year 3000"),
                          BadRequestViolationIs("attributes[0].custom_attributes[\"$x\"]",
                                                "key must not start with \"$\"")));
}

TEST(StatusConversionTest, CarriesEveryPayload) {
  absl::Status status = InvalidArgumentWithViolations("bad", {Violation("f", "d")});
  status.SetPayload("type.googleapis.com/google.rpc.ErrorInfo", absl::Cord("raw"));
  const google::rpc::Status details = DetailsOf(ToGrpcStatus(status));
  std::vector<std::string> type_urls;
  for (const auto& any : details.details()) type_urls.push_back(any.type_url());
  EXPECT_THAT(type_urls, ::testing::UnorderedElementsAre(
                             kBadRequestTypeUrlText, "type.googleapis.com/google.rpc.ErrorInfo"));
}

TEST(StatusConversionTest, ClientReadsBackTheViolationsAttached) {
  const absl::Status status =
      InvalidArgumentWithViolations("bad", {Violation("purchases[1].currency", "not ISO 4217")});
  const std::vector<google::rpc::BadRequest::FieldViolation> violations =
      FieldViolations(FromGrpcStatus(ToGrpcStatus(status)));
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_THAT(violations[0].field(), StrEq("purchases[1].currency"));
  EXPECT_THAT(violations[0].description(), StrEq("not ISO 4217"));
}

}  // namespace
}  // namespace brazesync
