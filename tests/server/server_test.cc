// In-process tests of the assembly (server/server.h) with the HTTP layer
// faked: BrazeSyncServer::Reload rotates the Braze API key that the very
// next request carries, leaves it alone when the reload fails, and keeps
// every key out of the logs. No network beyond a loopback gRPC port.
#include "server/server.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "brazesync/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/workspace.h"
#include "server/http/http_client.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StrEq;
using testing_support::FakeHttpClient;

constexpr char kKeyVariable[] = "PROD_BRAZE_KEY";
constexpr char kStartUpKey[] = "start-up-key-000000001";
constexpr char kRotatedKey[] = "rotated-key-000000002";

v1::ServerConfig Config() {
  v1::ServerConfig config;
  v1::WorkspaceConfig* workspace = config.add_workspaces();
  workspace->set_name("prod");
  workspace->set_endpoint("https://rest.iad-01.braze.com");
  workspace->set_api_key_env(kKeyVariable);
  return config;
}

v1::TrackRequest OneEvent() {
  v1::TrackRequest request;
  request.set_workspace("prod");
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id("u1");
  event->set_name("quote_requested");
  event->mutable_time()->set_seconds(1714566896);
  return request;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(Config(), env_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.reflection = false;
    options.log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    options.log_level = LogLevel::kDebug;
    auto http = std::make_unique<FakeHttpClient>();
    http_ = http.get();
    absl::StatusOr<std::unique_ptr<BrazeSyncServer>> server =
        BrazeSyncServer::Start(options, *std::move(registry), std::move(http));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
  }

  // Tracks one event and returns the Authorization header of the request
  // that carried it to (fake) Braze.
  std::string AuthorizationOfNextRequest() {
    const size_t before = http_->request_count();
    auto stub = v1::BrazeSync::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::TrackResult result;
    const grpc::Status status = stub->Track(&context, OneEvent(), &result);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (http_->request_count() != before + 1) {
      ADD_FAILURE() << "expected one Braze request, saw " << http_->request_count() - before;
      return "";
    }
    for (const auto& [name, value] : http_->request(before).headers) {
      if (name == "Authorization") return value;
    }
    return "";
  }

  std::string key_ = kStartUpKey;  // what the environment holds now
  const EnvLookup env_ = [this](const std::string& name) {
    return name == kKeyVariable ? key_ : std::string();
  };
  std::ostringstream log_;
  FakeHttpClient* http_ = nullptr;  // owned by server_
  std::unique_ptr<BrazeSyncServer> server_;
};

TEST_F(ServerTest, ReloadChangesTheKeyTheNextRequestCarries) {
  EXPECT_THAT(AuthorizationOfNextRequest(), StrEq(absl::StrCat("Bearer ", kStartUpKey)));
  key_ = kRotatedKey;
  ASSERT_TRUE(server_->Reload(Config(), env_).ok());
  EXPECT_THAT(AuthorizationOfNextRequest(), StrEq(absl::StrCat("Bearer ", kRotatedKey)));
  server_->logger().Flush();
  EXPECT_THAT(log_.str(), HasSubstr("\"api_keys_rotated\":1"));
}

TEST_F(ServerTest, FailedReloadKeepsTheKey) {
  key_ = "";  // the variable is unset now: the reload must fail as a whole
  EXPECT_FALSE(server_->Reload(Config(), env_).ok());
  EXPECT_THAT(AuthorizationOfNextRequest(), StrEq(absl::StrCat("Bearer ", kStartUpKey)));
}

TEST_F(ServerTest, NeitherTheOldNorTheNewKeyIsLogged) {
  key_ = kRotatedKey;
  ASSERT_TRUE(server_->Reload(Config(), env_).ok());
  AuthorizationOfNextRequest();
  // Anything that tried to log either key is redacted.
  server_->logger().Log(LogLevel::kWarning,
                        absl::StrCat("keys ", kStartUpKey, " and ", kRotatedKey));
  server_->logger().Flush();
  EXPECT_THAT(log_.str(), HasSubstr("keys <redacted> and <redacted>"));
  EXPECT_THAT(log_.str(), Not(HasSubstr(kStartUpKey)));
  EXPECT_THAT(log_.str(), Not(HasSubstr(kRotatedKey)));
}

}  // namespace
}  // namespace brazesync
