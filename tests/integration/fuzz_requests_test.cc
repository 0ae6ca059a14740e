// Fuzz-style robustness test: a live BrazeSync server (pointed at the Braze
// emulator, with small limits) receives many malformed, random, oversize and
// garbage requests: random field contents, huge strings, deeply nested
// Structs, too many items, messages over the size limit, invalid UTF-8 and
// random bytes sent through a generic stub. Every call must end with a clear
// status (OK only for valid requests; otherwise a specific non-OK code with a
// message), and the server must still answer health checks and valid calls.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/http/curl_http_client.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"

namespace brazesync {
namespace {

constexpr char kApiKey[] = "fuzz-key";
constexpr int kMaxItems = 50;
constexpr int kMaxMessageBytes = 256 * 1024;

class FuzzRequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("sandbox");
    workspace->set_endpoint(emulator_->base_url());
    workspace->set_api_key_env("FUZZ_KEY");
    auto registry = WorkspaceRegistry::Create(config, [](const std::string&) { return kApiKey; });
    ASSERT_TRUE(registry.ok()) << registry.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.max_items_per_request = kMaxItems;
    options.max_receive_message_bytes = kMaxMessageBytes;
    options.log_level = LogLevel::kError;
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::BrazeSync::NewStub(channel_);
  }

  void TearDown() override {
    server_->Shutdown(absl::ZeroDuration());
    emulator_->Stop();
  }

  grpc::Status Track(const v1::TrackRequest& request, v1::TrackResult* result = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::TrackResult ignored;
    return stub_->Track(&context, request, result != nullptr ? result : &ignored);
  }

  // Sends `bytes` as the serialized TrackRequest, bypassing the client's
  // own serialization (invalid UTF-8, truncated or random messages).
  grpc::Status TrackRaw(const std::string& bytes) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, "/brazesync.v1.BrazeSync/Track", grpc::StubOptions(), &request,
                      &response, [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  }

  bool Healthy() {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("brazesync.v1.BrazeSync");
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  // A non-OK status must carry one of the documented codes for a caller's
  // mistake and a message. INTERNAL is not among them: it means Braze refused
  // a request BrazeSync built, i.e. validator and Braze disagree (a bug).
  static void ExpectClearError(const grpc::Status& status, const std::string& what) {
    EXPECT_FALSE(status.ok()) << what;
    EXPECT_THAT(status.error_code(),
                ::testing::AnyOf(grpc::StatusCode::INVALID_ARGUMENT,
                                 grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::NOT_FOUND))
        << what << ": " << status.error_message();
    EXPECT_FALSE(status.error_message().empty()) << what;
  }

  // Every item the validator let through must reach Braze unrefused: an item
  // REJECTED_BY_BRAZE is one the validator should have refused.
  static void ExpectNoBrazeRejections(const v1::TrackResult& result, const std::string& what) {
    for (const v1::ItemResult& item : result.items()) {
      EXPECT_NE(item.status(), v1::ITEM_STATUS_REJECTED_BY_BRAZE)
          << what << ": " << v1::ItemKind_Name(item.kind()) << "[" << item.index()
          << "] refused by Braze: " << item.braze_error();
      EXPECT_NE(item.status(), v1::ITEM_STATUS_FAILED)
          << what << ": " << v1::ItemKind_Name(item.kind()) << "[" << item.index()
          << "] failed: " << item.error_message();
    }
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BrazeSync::Stub> stub_;
};

v1::Event ValidEvent(const std::string& user) {
  v1::Event event;
  event.mutable_user()->set_external_id(user);
  event.set_name("fuzz_event");
  event.mutable_time()->set_seconds(1714566896);
  return event;
}

std::string RandomString(std::mt19937_64& rng, size_t max_length) {
  std::uniform_int_distribution<size_t> length(0, max_length);
  std::uniform_int_distribution<int> byte(1, 127);  // valid UTF-8 (ASCII)
  std::string out(length(rng), ' ');
  for (char& c : out) c = static_cast<char>(byte(rng));
  return out;
}

TEST_F(FuzzRequestsTest, RandomFieldContentsGetClearAnswers) {
  std::mt19937_64 rng(20240501);
  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < 300; ++i) {
    v1::TrackRequest request;
    const int shape = static_cast<int>(rng() % 6);
    if (shape != 5) request.set_workspace(rng() % 4 == 0 ? RandomString(rng, 8) : "");
    const int items = static_cast<int>(rng() % 4);
    for (int j = 0; j < items; ++j) {
      v1::Event* event = request.add_events();
      if (rng() % 3) event->mutable_user()->set_external_id(RandomString(rng, 20));
      event->set_name(RandomString(rng, 30));
      if (rng() % 2)
        event->mutable_time()->set_seconds(static_cast<int64_t>(rng() % 4'000'000'000));
      (*event->mutable_properties()->mutable_fields())[RandomString(rng, 10)].set_string_value(
          RandomString(rng, 300));
      v1::Purchase* purchase = request.add_purchases();
      purchase->mutable_user()->set_external_id(RandomString(rng, 12));
      purchase->set_product_id(RandomString(rng, 12));
      purchase->set_currency(RandomString(rng, 4));
      purchase->set_price(static_cast<double>(rng() % 100000) / 7.0 - 100);
      purchase->set_quantity(static_cast<int32_t>(rng() % 200) - 50);
      v1::UserProfile* profile = request.add_attributes();
      profile->mutable_user()->set_email(RandomString(rng, 20));
      profile->set_dob(RandomString(rng, 12));
      profile->set_country(RandomString(rng, 3));
    }
    request.set_validate_only(rng() % 2 == 0);
    request.set_allow_partial(rng() % 2 == 0);
    v1::TrackResult result;
    const grpc::Status status = Track(request, &result);
    ++codes[status.error_code()];
    if (status.ok()) {
      ExpectNoBrazeRejections(result, absl::StrCat("random request ", i));
    } else {
      ExpectClearError(status, absl::StrCat("random request ", i));
    }
  }
  EXPECT_GT(codes[grpc::StatusCode::INVALID_ARGUMENT], 0);
  EXPECT_GT(codes[grpc::StatusCode::OK], 0) << "no request got through: the test checks nothing";
  EXPECT_TRUE(Healthy());
}

TEST_F(FuzzRequestsTest, OversizeAndMalformedRequestsGetSpecificCodes) {
  // Too many items: INVALID_ARGUMENT naming the arrays and the count.
  v1::TrackRequest too_many;
  for (int i = 0; i <= kMaxItems; ++i) *too_many.add_events() = ValidEvent("u");
  grpc::Status status = Track(too_many);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("attributes|events|purchases"));
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr(absl::StrCat(kMaxItems + 1)));

  // Over the message size limit: RESOURCE_EXHAUSTED from gRPC itself.
  v1::TrackRequest oversize;
  *oversize.add_events() = ValidEvent("u");
  (*oversize.mutable_events(0)->mutable_properties()->mutable_fields())["blob"].set_string_value(
      std::string(kMaxMessageBytes + 1, 'x'));
  status = Track(oversize);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();

  // Huge strings under the message limit: the validator names the field.
  v1::TrackRequest huge;
  *huge.add_events() = ValidEvent(std::string(100'000, 'u'));
  huge.mutable_events(0)->set_name(std::string(100'000, 'n'));
  ExpectClearError(Track(huge), "huge strings");

  // A deeply nested Struct.
  v1::TrackRequest deep;
  *deep.add_events() = ValidEvent("u");
  google::protobuf::Struct* level = deep.mutable_events(0)->mutable_properties();
  for (int i = 0; i < 90; ++i) level = (*level->mutable_fields())["d"].mutable_struct_value();
  (*level->mutable_fields())["leaf"].set_number_value(1);
  ExpectClearError(Track(deep), "deep struct");

  // No items at all.
  ExpectClearError(Track(v1::TrackRequest()), "empty request");

  // Invalid UTF-8 in a string field (field 3 = events, inside it field 2 = name).
  v1::TrackRequest valid;
  *valid.add_events() = ValidEvent("u");
  std::string bytes = valid.SerializeAsString();
  const std::string good_name = "fuzz_event";
  const size_t at = bytes.find(good_name);
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xff';
  bytes[at + 1] = '\xfe';
  ExpectClearError(TrackRaw(bytes), "invalid UTF-8");

  // A valid request through the raw path works, so the checks above are real.
  EXPECT_TRUE(TrackRaw(valid.SerializeAsString()).ok());

  // Random bytes and truncated messages.
  std::mt19937_64 rng(7);
  int parse_failures = 0;
  for (int i = 0; i < 100; ++i) {
    std::string garbage(rng() % 512 + 1, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    const grpc::Status raw = TrackRaw(garbage);
    if (raw.ok()) continue;  // random bytes can parse into a valid message
    ExpectClearError(raw, absl::StrCat("garbage ", i));
    ++parse_failures;
  }
  EXPECT_GT(parse_failures, 50);
  const std::string full = valid.SerializeAsString();
  ExpectClearError(TrackRaw(full.substr(0, full.size() / 2)), "truncated");

  EXPECT_TRUE(Healthy());
  EXPECT_TRUE(Track(valid).ok()) << "server still delivers after the abuse";
}

}  // namespace
}  // namespace brazesync
