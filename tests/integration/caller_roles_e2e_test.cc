// The caller-security layer over real gRPC, for every rpc of every service
// the server registers. The services are discovered through the server's own
// reflection service (so a service added later is covered without editing
// this file), their methods through the protobuf descriptor pool, and each is
// called with {no token, wrong token, a track-only caller, an admin-only
// caller}. A service whose required role is not declared in kRequiredRoles
// fails the suite: adding a service means deciding who may call it.
// Also: health and reflection stay open without a token, per-caller rate
// limits span every service, and Braze's response text reaches no caller with
// the workspace's API key in it.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "client/cpp/brazesync_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/server.h"
#include "tests/integration/reflected_services.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::brazesync::testing_support::RawStream;
using ::brazesync::testing_support::ToByteBuffer;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "roles-e2e-api-key-0123456789abcdef";
constexpr char kTrackToken[] = "track-only-token-0123456789";
constexpr char kAdminToken[] = "admin-only-token-0123456789";
constexpr char kLookupToken[] = "lookup-only-token-0123456789";
constexpr char kIdentityToken[] = "identity-only-token-0123456789";
constexpr char kMessagingToken[] = "messaging-only-token-0123456789";
constexpr char kSubscriptionsToken[] = "subscriptions-only-token-0123456789";
constexpr char kLimitedToken[] = "limited-token-0123456789";

// The role each BrazeSync service requires: the one place a new service's
// callers are decided for this test.
const std::map<std::string, Role>& RequiredRoles() {
  static const auto* const kRoles = new std::map<std::string, Role>{
      {"brazesync.v1.BrazeSync", Role::kTrack},
      {"brazesync.v1.BrazeSyncAdmin", Role::kAdmin},
      {"brazesync.v1.BrazeLookup", Role::kLookup},
      {"brazesync.v1.BrazeIdentity", Role::kIdentity},
      {"brazesync.v1.BrazeMessaging", Role::kMessaging},
      {"brazesync.v1.BrazeSubscriptions", Role::kSubscriptions},
  };
  return *kRoles;
}

// Services every server registers that are not BrazeSync's: open by design.
bool IsInfrastructure(const std::string& service) {
  return service == "grpc.health.v1.Health" || service.rfind("grpc.reflection.", 0) == 0;
}

class CallerRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig config;
    for (const char* name : {"sandbox", "prod"}) {
      v1::WorkspaceConfig* workspace = config.add_workspaces();
      workspace->set_name(name);
      workspace->set_endpoint("http://127.0.0.1:9");  // FakeHttpClient answers instead
      workspace->set_api_key_env("ROLES_E2E_KEY");
      workspace->set_max_attempts(1);
    }
    AddCaller(&config, "bot", kTrackToken, {"sandbox"}, {});
    AddCaller(&config, "ops", kAdminToken, {}, {"*"});
    AddCaller(&config, "reader", kLookupToken, {}, {})->add_lookup_workspaces("sandbox");
    AddCaller(&config, "crm", kIdentityToken, {}, {})->add_identity_workspaces("sandbox");
    AddCaller(&config, "journeys", kMessagingToken, {}, {})->add_messaging_workspaces("sandbox");
    AddCaller(&config, "consent", kSubscriptionsToken, {}, {})
        ->add_subscription_workspaces("sandbox");
    v1::CallerConfig* limited = AddCaller(&config, "limited", kLimitedToken, {"*"}, {"*"});
    limited->add_lookup_workspaces("*");
    limited->set_requests_per_second(0.001);
    limited->set_burst(1);
    auto registry = WorkspaceRegistry::Create(config, [](const std::string& name) {
      return name == "ROLES_E2E_KEY" ? std::string(kApiKey) : std::string();
    });
    ASSERT_TRUE(registry.ok()) << registry.status();
    auto http = std::make_unique<testing_support::FakeHttpClient>();
    http_ = http.get();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = data_dir_.path();
    options.callers = config.callers();
    auto server = BrazeSyncServer::Start(options, *std::move(registry), std::move(http));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = std::make_unique<grpc::GenericStub>(channel_);
  }

  static v1::CallerConfig* AddCaller(v1::ServerConfig* config, const std::string& name,
                                     const std::string& token,
                                     const std::vector<std::string>& track,
                                     const std::vector<std::string>& admin) {
    v1::CallerConfig* caller = config->add_callers();
    caller->set_name(name);
    caller->set_token_sha256(Sha256Hex(token));
    for (const std::string& workspace : track) caller->add_allowed_workspaces(workspace);
    for (const std::string& workspace : admin) caller->add_admin_workspaces(workspace);
    return caller;
  }

  // The services the server answers for, asked of its reflection service
  // without a token (reflection stays open). Its descriptors are read from
  // Debian's grpc-proto at run time into a pool of their own, so nothing
  // here links a second copy of the reflection messages.
  std::vector<std::string> ListServices() { return testing_support::ReflectedServices(*stub_); }

  // Calls `method` with an empty request and `token` ("" = none); the status.
  grpc::Status Call(const MethodDescriptor& method, const std::string& token) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
    if (method.client_streaming() || method.server_streaming()) {
      RawStream stream(stub_.get(), &context, path, {""});
      return stream.Await();
    }
    grpc::ByteBuffer request = ToByteBuffer("");
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  // Every method of every BrazeSync service the server registers.
  std::vector<const MethodDescriptor*> BrazeSyncMethods() {
    std::vector<const MethodDescriptor*> methods;
    for (const std::string& name : ListServices()) {
      if (IsInfrastructure(name)) continue;
      const ServiceDescriptor* service = DescriptorPool::generated_pool()->FindServiceByName(name);
      if (service == nullptr) {
        ADD_FAILURE() << name << ": registered but not in the descriptor pool";
        continue;
      }
      if (RequiredRoles().count(name) == 0) {
        ADD_FAILURE() << name << ": no required role declared; put it behind the CallGate and "
                      << "add it to RequiredRoles()";
        continue;
      }
      for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
    }
    return methods;
  }

  static Role RoleOf(const MethodDescriptor& method) {
    return RequiredRoles().at(method.service()->full_name());
  }

  testing_support::TempDir data_dir_;
  testing_support::FakeHttpClient* http_ = nullptr;
  std::unique_ptr<BrazeSyncServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

TEST_F(CallerRolesTest, ReflectionListsEveryBrazeSyncService) {
  const std::vector<std::string> services = ListServices();
  EXPECT_THAT(services,
              ::testing::IsSupersetOf({"brazesync.v1.BrazeSync", "brazesync.v1.BrazeSyncAdmin",
                                       "brazesync.v1.BrazeLookup"}));
}

TEST_F(CallerRolesTest, EveryRpcWithoutATokenIsUnauthenticated) {
  const auto methods = BrazeSyncMethods();
  ASSERT_GE(methods.size(), 8u);
  for (const MethodDescriptor* method : methods) {
    EXPECT_EQ(Call(*method, "").error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method->full_name();
  }
}

TEST_F(CallerRolesTest, EveryRpcWithAWrongTokenIsUnauthenticated) {
  for (const MethodDescriptor* method : BrazeSyncMethods()) {
    grpc::Status status = Call(*method, "not-a-configured-token");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method->full_name();
    EXPECT_THAT(status.error_message(), Not(HasSubstr("not-a-configured-token")));
  }
}

// Each caller holds one role: it reaches exactly the rpcs of the services
// that require that role and is denied every other.
TEST_F(CallerRolesTest, EachRoleReachesOnlyTheServicesThatRequireIt) {
  const std::map<Role, std::string> token_of = {
      {Role::kTrack, kTrackToken},         {Role::kAdmin, kAdminToken},
      {Role::kLookup, kLookupToken},       {Role::kIdentity, kIdentityToken},
      {Role::kMessaging, kMessagingToken}, {Role::kSubscriptions, kSubscriptionsToken}};
  for (const auto& [role, token] : token_of) {
    for (const MethodDescriptor* method : BrazeSyncMethods()) {
      const grpc::StatusCode code = Call(*method, token).error_code();
      if (RoleOf(*method) == role) {
        EXPECT_THAT(code, Not(AnyOf(grpc::StatusCode::UNAUTHENTICATED,
                                    grpc::StatusCode::PERMISSION_DENIED)))
            << RoleName(role) << " caller, " << method->full_name();
      } else {
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED)
            << RoleName(role) << " caller, " << method->full_name();
      }
    }
  }
}

TEST_F(CallerRolesTest, HealthStaysOpenWithoutAToken) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("brazesync.v1.BrazeSync");
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(CallerRolesTest, OneRateLimitSpansEveryService) {
  const MethodDescriptor* track =
      DescriptorPool::generated_pool()->FindMethodByName("brazesync.v1.BrazeSync.Track");
  const MethodDescriptor* list = DescriptorPool::generated_pool()->FindMethodByName(
      "brazesync.v1.BrazeSyncAdmin.ListDeadLetters");
  ASSERT_NE(track, nullptr);
  ASSERT_NE(list, nullptr);
  // The burst of one is spent on Track (an empty request: INVALID_ARGUMENT)...
  EXPECT_EQ(Call(*track, kLimitedToken).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // ...so the admin service refuses the same caller.
  EXPECT_EQ(Call(*list, kLimitedToken).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// A Braze (or proxy) answer that echoes the request's Authorization header
// must not hand the workspace's API key to the caller.
TEST_F(CallerRolesTest, BrazeTextThatEchoesTheKeyIsRedactedBeforeTheCallerSeesIt) {
  http_->set_responder([](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    std::string echoed;
    for (const auto& [name, value] : request.headers) absl::StrAppend(&echoed, name, "=", value);
    return testing_support::Response(401, nlohmann::json({{"message", echoed}}).dump());
  });
  auto stub = v1::BrazeSync::NewStub(channel_);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kTrackToken));
  v1::TrackRequest request;
  request.set_workspace("sandbox");
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id("u1");
  event->set_name("quote_requested");
  event->mutable_time()->set_seconds(1714566896);
  v1::TrackResult result;
  grpc::Status status = stub->Track(&context, request, &result);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("401"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kApiKey)));
  EXPECT_THAT(status.error_details(), Not(HasSubstr(kApiKey)));
}

// The C++ client (and so the CLI) sends the token it reads from the
// environment or a file, and the server's roles apply to it.
TEST_F(CallerRolesTest, ClientsSendTheTokenFromTheEnvironment) {
  const std::string target = absl::StrCat("127.0.0.1:", server_->port());
  testing_support::TempDir dir;
  const std::string token_file = dir.path() + "/token";
  {
    std::ofstream out(token_file);
    out << kAdminToken << "\n";
  }
  ::unsetenv("BRAZESYNC_TOKEN");
  ::setenv("BRAZESYNC_TOKEN_FILE", token_file.c_str(), 1);
  absl::StatusOr<std::string> admin_token = TokenFromEnvironment();
  ASSERT_TRUE(admin_token.ok()) << admin_token.status();
  EXPECT_EQ(*admin_token, kAdminToken);
  ::setenv("BRAZESYNC_TOKEN", kTrackToken, 1);  // wins over the file
  absl::StatusOr<std::string> track_token = TokenFromEnvironment();
  ::unsetenv("BRAZESYNC_TOKEN");
  ::unsetenv("BRAZESYNC_TOKEN_FILE");
  ASSERT_TRUE(track_token.ok());
  EXPECT_EQ(*track_token, kTrackToken);

  AdminClient admin = AdminClient::Connect(target);
  v1::ListDeadLettersRequest list;
  EXPECT_EQ(admin.ListDeadLetters(list).status().code(), absl::StatusCode::kUnauthenticated);
  admin.set_token(*admin_token);
  EXPECT_TRUE(admin.ListDeadLetters(list).ok());
  admin.set_token(*track_token);
  EXPECT_EQ(admin.ListDeadLetters(list).status().code(), absl::StatusCode::kPermissionDenied);

  BrazeSyncClient track = BrazeSyncClient::Connect(target);
  track.set_token(*track_token);
  v1::TrackRequest empty;
  empty.set_workspace("sandbox");
  EXPECT_EQ(track.Track(empty).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace brazesync
