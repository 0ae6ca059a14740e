// In-process tests of the brazesync.v1.BrazeSync adapter (server/rpc/
// brazesync_service.h and track_stream_reactor.h): the service is registered
// on a gRPC server listening on 127.0.0.1:0 over a real Tracker and
// DeliveryEngine whose HttpClient is a scripted fake, and called through the
// generated stub. Covers what only the adapter does: raw parsing (malformed
// bytes get INVALID_ARGUMENT, not UNIMPLEMENTED), the x-request-id header,
// the item cap, status mapping with BadRequest details, and TrackStream's
// in-order results, per-message errors, refusal at the start, and its
// pause at kMaxStreamRequestsInFlight requests waiting for Braze.
#include "server/rpc/brazesync_service.h"

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cpp/brazesync_client.h"
#include "server/config/api_key_source.h"
#include "server/delivery/delivery_engine.h"
#include "server/rpc/track_stream_reactor.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing_support::FakeHttpClient;

constexpr int64_t kEventSeconds = 1714566896;  // 2024-05-01T12:34:56Z
constexpr int kMaxItems = 3;
constexpr char kToken[] = "adapter-test-token";

v1::TrackRequest OneEvent(const std::string& user, const std::string& request_id = "") {
  v1::TrackRequest request;
  request.set_request_id(request_id);
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id(user);
  event->set_name("quote_requested");
  event->mutable_time()->set_seconds(kEventSeconds);
  return request;
}

class BrazeSyncServiceTest : public ::testing::Test {
 protected:
  BrazeSyncServiceTest() {
    v1::ServerConfig config;
    v1::WorkspaceConfig* prod = config.add_workspaces();
    prod->set_name("prod");
    prod->set_endpoint("https://rest.iad-01.braze.com");
    prod->set_api_key_env("KEY");
    prod->set_max_attempts(1);
    v1::CallerConfig* bot = config.add_callers();
    bot->set_name("bot");
    bot->set_token_sha256(Sha256Hex(kToken));
    bot->add_allowed_workspaces("prod");
    auto registry = WorkspaceRegistry::Create(
        config, [](const std::string&) { return std::string("sk-adapter-test"); });
    EXPECT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    auto callers = CallerRegistry::Create(config.callers(), {"prod"});
    EXPECT_TRUE(callers.ok()) << callers.status();
    callers_ = std::make_unique<CallerAuthenticator>(*std::move(callers));
    keys_ = std::make_unique<ApiKeySource>(registry_);
    engine_ = std::make_unique<DeliveryEngine>(&http_, keys_.get(), EngineOptions());
    tracker_ = std::make_unique<Tracker>(&registry_, engine_.get());
    gate_ = std::make_unique<CallGate>(callers_.get(), &registry_, nullptr, kMaxItems);
    log_ = std::make_unique<CallLog>(nullptr, nullptr, &registry_);
    service_ = std::make_unique<BrazeSyncService>(tracker_.get(), gate_.get(), log_.get(),
                                                  absl::Seconds(10));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::BrazeSync::NewStub(channel_);
  }

  ~BrazeSyncServiceTest() override {
    http_.ReleaseAll(testing_support::Response(201));
    server_->Shutdown(std::chrono::system_clock::now());
    engine_->Shutdown();
  }

  void Authorize(grpc::ClientContext* context) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  FakeHttpClient http_;
  WorkspaceRegistry registry_;
  std::unique_ptr<CallerAuthenticator> callers_;
  std::unique_ptr<ApiKeySource> keys_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::unique_ptr<Tracker> tracker_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<CallLog> log_;
  std::unique_ptr<BrazeSyncService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BrazeSync::Stub> stub_;
};

TEST_F(BrazeSyncServiceTest, TrackDeliversAndEchoesTheRequestIdHeader) {
  grpc::ClientContext context;
  Authorize(&context);
  context.AddMetadata("x-request-id", "call-7");
  v1::TrackResult result;
  grpc::Status status = stub_->Track(&context, OneEvent("u1"), &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.outcome(), v1::OUTCOME_DELIVERED);
  ASSERT_THAT(result.items(), SizeIs(1));
  EXPECT_EQ(result.items(0).status(), v1::ITEM_STATUS_DELIVERED);
  auto header = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(header, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(header->second.data(), header->second.size()), "call-7");
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(BrazeSyncServiceTest, MalformedBytesAreInvalidArgumentNotUnimplemented) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  Authorize(&context);
  const std::string garbage = "\xff\xff\xff\xff not a protobuf";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/brazesync.v1.BrazeSync/Track", grpc::StubOptions(), &request,
                    &response, [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a valid brazesync.v1.TrackRequest"));
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(BrazeSyncServiceTest, InvalidItemsCarryFieldViolationsThroughGrpc) {
  grpc::ClientContext context;
  Authorize(&context);
  v1::TrackRequest request = OneEvent("u1");
  request.mutable_events(0)->clear_name();
  v1::TrackResult result;
  grpc::Status status = stub_->Track(&context, request, &result);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolations(FromGrpcStatus(status))) {
    fields.push_back(violation.field());
  }
  EXPECT_THAT(fields, ElementsAre("events[0].name"));
}

TEST_F(BrazeSyncServiceTest, RequestsOverTheItemCapAreRefusedBeforeTracking) {
  grpc::ClientContext context;
  Authorize(&context);
  v1::TrackRequest request;
  for (int i = 0; i <= kMaxItems; ++i) request.MergeFrom(OneEvent(absl::StrCat("u", i)));
  v1::TrackResult result;
  grpc::Status status = stub_->Track(&context, request, &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 3 are allowed per request"));
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(BrazeSyncServiceTest, TrackStreamWithoutATokenIsRefusedAtItsStart) {
  grpc::ClientContext context;
  auto stream = stub_->TrackStream(&context);
  v1::TrackResult result;
  EXPECT_FALSE(stream->Read(&result));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(BrazeSyncServiceTest, TrackStreamAnswersEveryRequestInOrderWithPerMessageErrors) {
  grpc::ClientContext context;
  Authorize(&context);
  auto stream = stub_->TrackStream(&context);
  v1::TrackRequest invalid = OneEvent("u2", "r2");
  invalid.mutable_events(0)->clear_name();
  v1::TrackRequest elsewhere = OneEvent("u3", "r3");
  elsewhere.set_workspace("staging");  // no such workspace for this caller
  ASSERT_TRUE(stream->Write(OneEvent("u1", "r1")));
  ASSERT_TRUE(stream->Write(invalid));
  ASSERT_TRUE(stream->Write(elsewhere));
  ASSERT_TRUE(stream->Write(OneEvent("u4", "r4")));
  ASSERT_TRUE(stream->WritesDone());
  std::vector<std::string> ids;
  std::vector<int> codes;
  v1::TrackResult result;
  while (stream->Read(&result)) {
    ids.push_back(result.request_id());
    codes.push_back(result.error().code());
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_THAT(ids, ElementsAre("r1", "r2", "r3", "r4"));
  EXPECT_THAT(codes, ElementsAre(0, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
                                 static_cast<int>(grpc::StatusCode::PERMISSION_DENIED), 0));
}

TEST_F(BrazeSyncServiceTest, TrackStreamStopsReadingAtTheInFlightCap) {
  http_.set_park(true);  // Braze does not answer until released
  grpc::ClientContext context;
  Authorize(&context);
  auto stream = stub_->TrackStream(&context);
  const int sent = static_cast<int>(kMaxStreamRequestsInFlight) + 20;
  std::thread writer([&] {
    for (int i = 0; i < sent; ++i) {
      if (!stream->Write(OneEvent(absl::StrCat("user", i), absl::StrCat("r", i)))) return;
    }
    stream->WritesDone();
  });
  // Braze is silent, so every request the reactor reads stays in the engine
  // (queued, or in a parked Braze request): their count is what it read.
  auto items_in_engine = [this] {
    const EngineStats stats = engine_->stats();
    return static_cast<int64_t>(stats.queued_items) + stats.items_sent;
  };
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (items_in_engine() < static_cast<int64_t>(kMaxStreamRequestsInFlight) &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));  // polling a condition, bounded
  }
  writer.join();  // every request is now with the server's transport
  EXPECT_EQ(items_in_engine(), static_cast<int64_t>(kMaxStreamRequestsInFlight));
  // It stays there while nothing is answered (a broken cap reads on at once).
  const absl::Time watch_until = absl::Now() + absl::Milliseconds(200);
  while (absl::Now() < watch_until) {
    ASSERT_LE(items_in_engine(), static_cast<int64_t>(kMaxStreamRequestsInFlight));
    absl::SleepFor(absl::Milliseconds(5));
  }
  http_.set_park(false);
  http_.ReleaseAll(testing_support::Response(201));
  int results = 0;
  v1::TrackResult result;
  while (stream->Read(&result)) {
    EXPECT_EQ(result.request_id(), absl::StrCat("r", results));
    ++results;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(results, sent);
}

}  // namespace
}  // namespace brazesync
