// End-to-end tests of brazesync.v1.BrazeLookup/LookupUsers: the real gRPC
// server and libcurl asking the Braze emulator's /users/export/ids over
// loopback HTTP, whose export lags writes by 30 s as Braze's does. Covers
// read-your-writes after Track, packing and single-flight across callers,
// the cache, NOT_FOUND, the latency budget, validation errors and a refused
// key.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "brazesync/v1/lookup.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/config/workspace.h"
#include "server/http/curl_http_client.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kApiKey[] = "lookup-e2e-key";

v1::LookupUsersRequest ByExternalIds(std::vector<std::string> ids) {
  v1::LookupUsersRequest request;
  for (std::string& id : ids) request.add_external_ids(std::move(id));
  request.add_fields_to_export("first_name");
  request.add_fields_to_export("custom_attributes");
  request.mutable_max_wait()->set_seconds(5);
  return request;
}

class LookupEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(kApiKey); }

  void Start(const std::string& server_key) {
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_options.export_lag = absl::Seconds(30);
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("sandbox");
    workspace->set_endpoint(emulator_->base_url());
    workspace->set_api_key_env("E2E_KEY");
    workspace->set_request_timeout_ms(2000);
    workspace->set_max_attempts(2);
    // Long enough that concurrent callers' lookups meet in one call.
    workspace->mutable_lookup()->set_pack_window_ms(200);
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [server_key](const std::string&) { return server_key; });
    ASSERT_TRUE(registry.ok()) << registry.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    lookup_ = v1::BrazeLookup::NewStub(channel_);
    track_ = v1::BrazeSync::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    if (emulator_ != nullptr) emulator_->Stop();
  }

  grpc::Status Lookup(const v1::LookupUsersRequest& request, v1::LookupUsersResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return lookup_->LookupUsers(&context, request, response);
  }

  void TrackProfile(const std::string& external_id, const std::string& first_name,
                    const std::string& tier) {
    v1::TrackRequest request;
    v1::UserProfile* profile = request.add_attributes();
    profile->mutable_user()->set_external_id(external_id);
    profile->set_first_name(first_name);
    (*profile->mutable_custom_attributes())["tier"].set_string_value(tier);
    grpc::ClientContext context;
    v1::TrackResult result;
    grpc::Status status = track_->Track(&context, request, &result);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(result.outcome(), v1::OUTCOME_DELIVERED);
  }

  size_t ExportCalls() const {
    size_t calls = 0;
    for (const auto& request : emulator_->requests()) {
      if (request.path == "/users/export/ids") ++calls;
    }
    return calls;
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BrazeLookup::Stub> lookup_;
  std::unique_ptr<v1::BrazeSync::Stub> track_;
};

TEST_F(LookupEndToEndTest, ALookupRightAfterTrackShowsTheNewValues) {
  TrackProfile("visitor-1", "Ada", "gold");

  v1::LookupUsersResponse response;
  ASSERT_TRUE(Lookup(ByExternalIds({"visitor-1"}), &response).ok());

  // Braze's export lags 30 s, so the user comes from BrazeSync's own write.
  ASSERT_THAT(response.results(), SizeIs(1));
  const v1::LookupResult& result = response.results(0);
  EXPECT_EQ(result.field(), "external_ids");
  EXPECT_EQ(result.outcome(), v1::LOOKUP_OUTCOME_FOUND);
  EXPECT_TRUE(result.pending_own_write());
  ASSERT_THAT(result.user_indexes(), ElementsAre(0));
  const v1::ExportedUser& user = response.users(0);
  EXPECT_EQ(user.external_id(), "visitor-1");
  EXPECT_EQ(user.first_name(), "Ada");
  EXPECT_EQ(user.custom_attributes().fields().at("tier").string_value(), "gold");
  EXPECT_EQ(ExportCalls(), 1u);
}

TEST_F(LookupEndToEndTest, UnknownUserIsNotFoundAndTheNegativeAnswerIsCached) {
  v1::LookupUsersResponse first;
  ASSERT_TRUE(Lookup(ByExternalIds({"nobody"}), &first).ok());
  ASSERT_THAT(first.results(), SizeIs(1));
  EXPECT_EQ(first.results(0).outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  EXPECT_FALSE(first.results(0).from_cache());
  EXPECT_THAT(first.invalid_user_ids(), ElementsAre("nobody"));
  EXPECT_EQ(first.braze_requests(), 1);

  v1::LookupUsersResponse second;
  ASSERT_TRUE(Lookup(ByExternalIds({"nobody"}), &second).ok());
  EXPECT_EQ(second.results(0).outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  EXPECT_TRUE(second.results(0).from_cache());
  EXPECT_EQ(second.braze_requests(), 0);
  EXPECT_EQ(ExportCalls(), 1u);
}

TEST_F(LookupEndToEndTest, SeventyIdsFromTwoCallersTravelInTwoCallsOfAtMostFifty) {
  std::vector<std::string> first_ids;
  std::vector<std::string> second_ids;
  for (int i = 0; i < 40; ++i) first_ids.push_back(absl::StrCat("a-", i));
  for (int i = 0; i < 30; ++i) second_ids.push_back(absl::StrCat("b-", i));
  second_ids.push_back("a-0");  // asked by both callers: one slot

  auto lookup = [this](std::vector<std::string> ids) {
    v1::LookupUsersResponse response;
    grpc::Status status = Lookup(ByExternalIds(std::move(ids)), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  auto first = std::async(std::launch::async, lookup, first_ids);
  auto second = std::async(std::launch::async, lookup, second_ids);
  const v1::LookupUsersResponse a = first.get();
  const v1::LookupUsersResponse b = second.get();

  EXPECT_THAT(a.results(), SizeIs(40));
  EXPECT_THAT(b.results(), SizeIs(31));
  for (const auto& result : a.results()) EXPECT_EQ(result.outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  for (const auto& result : b.results()) EXPECT_EQ(result.outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  size_t identifiers = 0;
  size_t calls = 0;
  for (const auto& request : emulator_->requests()) {
    if (request.path != "/users/export/ids") continue;
    ++calls;
    const nlohmann::json body = nlohmann::json::parse(request.body);
    EXPECT_LE(body["external_ids"].size(), 50u);
    EXPECT_TRUE(body.contains("fields_to_export"));
    identifiers += body["external_ids"].size();
  }
  EXPECT_EQ(identifiers, 70u);  // a-0 once
  EXPECT_LE(calls, 3u);         // the two callers' lookups shared calls
}

TEST_F(LookupEndToEndTest, SlowBrazeAnswersDeferredWithinTheLatencyBudget) {
  emulator::Faults faults = emulator_->faults();
  faults.latency = absl::Seconds(2);
  emulator_->SetFaults(faults);
  v1::LookupUsersRequest request = ByExternalIds({"slow-1"});
  request.mutable_max_wait()->set_seconds(0);
  request.mutable_max_wait()->set_nanos(100'000'000);

  const absl::Time started = absl::Now();
  v1::LookupUsersResponse response;
  ASSERT_TRUE(Lookup(request, &response).ok());

  EXPECT_LT(absl::Now() - started, absl::Seconds(1));
  ASSERT_THAT(response.results(), SizeIs(1));
  EXPECT_EQ(response.results(0).outcome(), v1::LOOKUP_OUTCOME_DEFERRED);
  EXPECT_TRUE(response.results(0).has_retry_after());
}

TEST_F(LookupEndToEndTest, InvalidRequestNamesTheField) {
  v1::LookupUsersRequest request;
  request.set_email_address("ada@example.com");
  request.set_phone("+15043277269");

  v1::LookupUsersResponse response;
  grpc::ClientContext context;
  grpc::Status status = lookup_->LookupUsers(&context, request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_GE(details.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_GE(bad_request.field_violations_size(), 1);
  EXPECT_THAT(bad_request.field_violations(0).field(), ::testing::AnyOf("email_address", "phone"));
  EXPECT_EQ(ExportCalls(), 0u);
}

TEST_F(LookupEndToEndTest, RefusedKeyIsFailedPrecondition) {
  TearDown();
  Start("a-key-braze-refuses");

  v1::LookupUsersResponse response;
  grpc::Status status = Lookup(ByExternalIds({"u-1"}), &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("a-key-braze-refuses")));
}

}  // namespace
}  // namespace brazesync
