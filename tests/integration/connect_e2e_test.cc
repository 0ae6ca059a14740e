// The HTTP/JSON listener (Connect protocol, server/connect/) end to end: a
// BrazeSyncServer with --http_listen and callers, the Braze emulator behind
// it, and plain HTTP calls through httplib::Client. Covers Track in JSON and
// in binary protobuf with per-item results, the caller checks (401, 403),
// every protocol error (bad JSON, unknown field, content type, method, path,
// streaming rpc, encoding, protocol version, size limit), Connect-Timeout-Ms
// as the deadline, HTTPS and mutual TLS with the gRPC port's files, and a walk over every unary rpc
// of every service the server registers (found through its reflection), so none is left unrouted.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "server/http/curl_http_client.h"
#include "server/security/caller_auth.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/integration/reflected_services.h"
#include "tests/integration/test_certs.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kApiKey[] = "connect-e2e-api-key";
constexpr char kEveryRoleToken[] = "connect-every-role-token-0123456789";
constexpr char kLookupOnlyToken[] = "connect-lookup-only-token-0123456789";
constexpr int kMaxBodyBytes = 64 * 1024;

constexpr char kTrackPath[] = "/brazesync.v1.BrazeSync/Track";

// One valid attribute and one event without its required name.
constexpr char kPartialTrackJson[] = R"({
  "allow_partial": true,
  "attributes": [{"user": {"external_id": "http-user"}, "first_name": "Ada",
                  "custom_attributes": {"plan": {"string_value": "premium"}}}],
  "events": [{"user": {"external_id": "http-user"}}]
})";

class ConnectEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());

    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("default");
    workspace->set_endpoint(emulator_->base_url());
    workspace->set_api_key_env("CONNECT_E2E_KEY");
    workspace->set_request_timeout_ms(5000);
    workspace->set_max_attempts(1);
    v1::CallerConfig* every_role = config.add_callers();
    every_role->set_name("every-role");
    every_role->set_token_sha256(Sha256Hex(kEveryRoleToken));
    every_role->add_allowed_workspaces("*");
    every_role->add_admin_workspaces("*");
    every_role->add_lookup_workspaces("*");
    every_role->add_identity_workspaces("*");
    every_role->add_messaging_workspaces("*");
    every_role->add_subscription_workspaces("*");
    v1::CallerConfig* lookup_only = config.add_callers();
    lookup_only->set_name("lookup-only");
    lookup_only->set_token_sha256(Sha256Hex(kLookupOnlyToken));
    lookup_only->add_lookup_workspaces("*");
    auto registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return std::string(kApiKey); });
    ASSERT_TRUE(registry.ok()) << registry.status();

    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.max_receive_message_bytes = kMaxBodyBytes;
    options.callers = config.callers();
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->http_port(), 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    http_->set_read_timeout(20, 0);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    if (emulator_ != nullptr) emulator_->Stop();
  }

  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  httplib::Result PostJson(const std::string& path, const std::string& body,
                           httplib::Headers headers = Bearer(kEveryRoleToken)) {
    return http_->Post(path.c_str(), headers, body, "application/json");
  }

  // The Connect error object of `result`, checking it is one.
  static nlohmann::json ErrorOf(const httplib::Result& result) {
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    nlohmann::json error = nlohmann::json::parse(result->body, nullptr, false);
    EXPECT_TRUE(error.is_object() && error.contains("code")) << result->body;
    return error;
  }

  // The services the server registers, asked of its reflection service.
  std::vector<std::string> ListServices() {
    grpc::GenericStub stub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                               grpc::InsecureChannelCredentials()));
    return testing_support::ReflectedServices(stub);
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(ConnectEndToEndTest, TrackInJsonAnswersPerItemResultsInJson) {
  httplib::Result result = PostJson(kTrackPath, kPartialTrackJson);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const nlohmann::json answer = nlohmann::json::parse(result->body);
  EXPECT_EQ(answer["outcome"], "OUTCOME_PARTIAL");
  ASSERT_THAT(answer["items"], SizeIs(2));
  EXPECT_EQ(answer["items"][0]["kind"], "ITEM_KIND_ATTRIBUTES");
  EXPECT_EQ(answer["items"][0]["status"], "ITEM_STATUS_DELIVERED");
  EXPECT_EQ(answer["items"][1]["kind"], "ITEM_KIND_EVENT");
  EXPECT_EQ(answer["items"][1]["status"], "ITEM_STATUS_REJECTED_INVALID");
  EXPECT_EQ(answer["items"][1]["violations"][0]["field"], "events[0].name");
  EXPECT_EQ(answer["brazeRequests"], 1);

  const std::vector<emulator::RecordedRequest> received = emulator_->requests();
  ASSERT_THAT(received, SizeIs(1));
  const nlohmann::json body = nlohmann::json::parse(received[0].body);
  EXPECT_EQ(body["attributes"][0]["external_id"], "http-user");
  EXPECT_EQ(body["attributes"][0]["first_name"], "Ada");
  EXPECT_EQ(body["attributes"][0]["plan"], "premium");
  EXPECT_FALSE(body.contains("events"));
}

TEST_F(ConnectEndToEndTest, TrackInBinaryProtobufAnswersInBinaryProtobuf) {
  v1::TrackRequest request;
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id("proto-user");
  event->set_name("quote_requested");
  httplib::Result result = http_->Post(kTrackPath, Bearer(kEveryRoleToken),
                                       request.SerializeAsString(), "application/proto");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/proto");
  v1::TrackResult answer;
  ASSERT_TRUE(answer.ParseFromString(result->body));
  EXPECT_EQ(answer.outcome(), v1::OUTCOME_DELIVERED);
  ASSERT_EQ(answer.items_size(), 1);
  EXPECT_EQ(answer.items(0).status(), v1::ITEM_STATUS_DELIVERED);
  ASSERT_THAT(emulator_->requests(), SizeIs(1));
  EXPECT_THAT(emulator_->requests()[0].body, HasSubstr("\"quote_requested\""));
}

TEST_F(ConnectEndToEndTest, InvalidTrackCarriesFieldViolationsAsConnectDetails) {
  httplib::Result result = PostJson(kTrackPath, R"({"events":[{"user":{"external_id":"u"}}]})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 400);
  const nlohmann::json error = ErrorOf(result);
  EXPECT_EQ(error["code"], "invalid_argument");
  ASSERT_TRUE(error.contains("details")) << error.dump();
  EXPECT_EQ(error["details"][0]["type"], "google.rpc.BadRequest");
  EXPECT_FALSE(error["details"][0]["value"].get<std::string>().empty());
  EXPECT_EQ(error["details"][0]["debug"]["fieldViolations"][0]["field"], "events[0].name");
  EXPECT_THAT(emulator_->requests(), SizeIs(0));
}

TEST_F(ConnectEndToEndTest, CallerChecksAreTheGrpcOnes) {
  httplib::Result no_token = PostJson(kTrackPath, kPartialTrackJson, {});
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
  EXPECT_EQ(ErrorOf(no_token)["code"], "unauthenticated");

  httplib::Result wrong_token = PostJson(kTrackPath, kPartialTrackJson, Bearer("not-a-token"));
  ASSERT_TRUE(wrong_token);
  EXPECT_EQ(wrong_token->status, 401);

  httplib::Result no_role = PostJson(kTrackPath, kPartialTrackJson, Bearer(kLookupOnlyToken));
  ASSERT_TRUE(no_role);
  EXPECT_EQ(no_role->status, 403);
  EXPECT_EQ(ErrorOf(no_role)["code"], "permission_denied");
  EXPECT_THAT(emulator_->requests(), SizeIs(0));
}

TEST_F(ConnectEndToEndTest, BadJsonAndUnknownFieldsAreInvalidArgument) {
  httplib::Result bad_json = PostJson(kTrackPath, R"({"events": [)");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  const nlohmann::json bad_json_error = ErrorOf(bad_json);
  EXPECT_EQ(bad_json_error["code"], "invalid_argument");
  EXPECT_THAT(bad_json_error["message"].get<std::string>(), HasSubstr("brazesync.v1.TrackRequest"));

  httplib::Result unknown = PostJson(kTrackPath, R"({"evnets": []})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_THAT(ErrorOf(unknown)["message"].get<std::string>(), HasSubstr("evnets"));

  httplib::Result bad_proto =
      http_->Post(kTrackPath, Bearer(kEveryRoleToken), "\xff\xff\xff", "application/proto");
  ASSERT_TRUE(bad_proto);
  EXPECT_EQ(bad_proto->status, 400);
  EXPECT_EQ(ErrorOf(bad_proto)["code"], "invalid_argument");
}

TEST_F(ConnectEndToEndTest, WrongContentTypeIs415NamingTheAcceptedTypes) {
  httplib::Result result =
      http_->Post(kTrackPath, Bearer(kEveryRoleToken), kPartialTrackJson, "text/plain");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 415);
  EXPECT_EQ(result->get_header_value("Accept-Post"), "application/json, application/proto");
  EXPECT_THAT(ErrorOf(result)["message"].get<std::string>(),
              HasSubstr("application/json, application/proto"));
}

TEST_F(ConnectEndToEndTest, WrongMethodIs405AndUnknownPathIs404) {
  httplib::Result get = http_->Get(kTrackPath, Bearer(kEveryRoleToken));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->get_header_value("Allow"), "POST");
  EXPECT_THAT(ErrorOf(get)["message"].get<std::string>(), HasSubstr("POST"));

  for (const char* path : {"/brazesync.v1.BrazeSync/Trak", "/brazesync.v1.Nope/Track",
                           "/grpc.health.v1.Health/Check", "/", "/metrics"}) {
    httplib::Result unknown = PostJson(path, "{}");
    ASSERT_TRUE(unknown) << path;
    EXPECT_EQ(unknown->status, 404) << path;
    EXPECT_EQ(ErrorOf(unknown)["code"], "unimplemented") << path;
  }
}

TEST_F(ConnectEndToEndTest, TrackStreamIsUnimplementedPointingToTrackOrGrpc) {
  httplib::Result result = PostJson("/brazesync.v1.BrazeSync/TrackStream", "{}");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 501);
  const nlohmann::json error = ErrorOf(result);
  EXPECT_EQ(error["code"], "unimplemented");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("Track"));
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("gRPC"));
}

TEST_F(ConnectEndToEndTest, UnsupportedEncodingAndProtocolVersionAreRefused) {
  httplib::Headers zstd = Bearer(kEveryRoleToken);
  zstd.emplace("Content-Encoding", "zstd");
  httplib::Result encoded = PostJson(kTrackPath, kPartialTrackJson, zstd);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->status, 501);
  EXPECT_EQ(ErrorOf(encoded)["code"], "unimplemented");
  EXPECT_EQ(encoded->get_header_value("Accept-Encoding"), "gzip, br");

  httplib::Headers version_2 = Bearer(kEveryRoleToken);
  version_2.emplace("Connect-Protocol-Version", "2");
  httplib::Result versioned = PostJson(kTrackPath, kPartialTrackJson, version_2);
  ASSERT_TRUE(versioned);
  EXPECT_EQ(versioned->status, 400);
  EXPECT_THAT(ErrorOf(versioned)["message"].get<std::string>(),
              HasSubstr("Connect-Protocol-Version"));

  httplib::Headers version_1 = Bearer(kEveryRoleToken);
  version_1.emplace("Connect-Protocol-Version", "1");
  httplib::Result ok = PostJson(kTrackPath, kPartialTrackJson, version_1);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(ConnectEndToEndTest, GzipRequestBodiesAreDecoded) {
  http_->set_compress(true);  // Content-Encoding: gzip on the request body
  httplib::Result result = PostJson(kTrackPath, kPartialTrackJson);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200) << result->body;
  EXPECT_THAT(result->body, HasSubstr("OUTCOME_PARTIAL"));
  EXPECT_THAT(emulator_->requests(), SizeIs(1));
}

TEST_F(ConnectEndToEndTest, BodyOverTheSizeLimitIsResourceExhausted) {
  const std::string big =
      absl::StrCat(R"({"request_id": ")", std::string(kMaxBodyBytes, 'x'), R"("})");
  httplib::Result result = PostJson(kTrackPath, big);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 429);
  const nlohmann::json error = ErrorOf(result);
  EXPECT_EQ(error["code"], "resource_exhausted");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("max_receive_message_bytes"));
  EXPECT_THAT(emulator_->requests(), SizeIs(0));
}

TEST_F(ConnectEndToEndTest, ConnectTimeoutMsIsTheCallsDeadline) {
  emulator::Faults slow;
  slow.latency = absl::Seconds(3);
  emulator_->SetFaults(slow);
  httplib::Headers headers = Bearer(kEveryRoleToken);
  headers.emplace("Connect-Timeout-Ms", "300");
  const auto start = std::chrono::steady_clock::now();
  httplib::Result result = PostJson(kTrackPath, kPartialTrackJson, headers);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 504) << result->body;
  EXPECT_EQ(ErrorOf(result)["code"], "deadline_exceeded");
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));

  httplib::Headers bad = Bearer(kEveryRoleToken);
  bad.emplace("Connect-Timeout-Ms", "soon");
  httplib::Result refused = PostJson(kTrackPath, kPartialTrackJson, bad);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_THAT(ErrorOf(refused)["message"].get<std::string>(), HasSubstr("Connect-Timeout-Ms"));
}

// Shutdown closes the HTTP listener first and lets an HTTP call under way
// finish within the grace period, like a gRPC call.
TEST_F(ConnectEndToEndTest, ShutdownLetsAnHttpCallUnderWayFinish) {
  emulator::Faults slow;
  slow.latency = absl::Milliseconds(700);
  emulator_->SetFaults(slow);
  std::future<httplib::Result> call = std::async(std::launch::async, [this] {
    return PostJson(kTrackPath, R"({"events":[{"user":{"external_id":"u"},"name":"late"}]})");
  });
  // The call is under way once the emulator has it.
  while (emulator_->requests().empty()) std::this_thread::yield();
  const int http_port = server_->http_port();
  server_->Shutdown(absl::Seconds(10));
  httplib::Result result = call.get();
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200) << result->body;
  EXPECT_THAT(result->body, HasSubstr("OUTCOME_DELIVERED"));
  httplib::Client after("127.0.0.1", http_port);
  EXPECT_FALSE(after.Post(kTrackPath, "{}", "application/json")) << "the listener is closed";
}

// Every unary rpc of every registered brazesync.v1 service answers an empty
// request with something other than a routing error: a new rpc is served on
// HTTP the day it is registered on gRPC.
TEST_F(ConnectEndToEndTest, EveryUnaryRpcOfEveryServiceIsRouted) {
  int unary = 0;
  int services = 0;
  for (const std::string& name : ListServices()) {
    if (name.rfind("brazesync.v1.", 0) != 0) continue;
    ++services;
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (method->client_streaming() || method->server_streaming()) continue;
      ++unary;
      const std::string path = absl::StrCat("/", name, "/", method->name());
      httplib::Result result = PostJson(path, "{}");
      ASSERT_TRUE(result) << path;
      EXPECT_THAT(result->status, Not(::testing::AnyOf(404, 405, 415, 501)))
          << path << ": " << result->body;
      // Routed, and through the CallGate with the caller's token.
      if (result->status != 200) {
        EXPECT_THAT(ErrorOf(result)["code"].get<std::string>(),
                    Not(::testing::AnyOf("unimplemented", "unauthenticated", "permission_denied")))
            << path << ": " << result->body;
      }
    }
  }
  EXPECT_GE(services, 6);
  EXPECT_GE(unary, 10);
}

// With TLS on the gRPC port, the HTTP listener is HTTPS with the same files,
// and with a client CA it requires client certificates, as gRPC does.
class ConnectTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.Create(dir_.path() + "/pki"));
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    emulator_->Stop();
  }

  void StartServer(bool mutual) {
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("default");
    workspace->set_endpoint(emulator_->base_url());
    workspace->set_api_key_env("CONNECT_E2E_KEY");
    auto registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return std::string(kApiKey); });
    ASSERT_TRUE(registry.ok()) << registry.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.tls.set_cert_file(pki_.server_cert);
    options.tls.set_key_file(pki_.server_key);
    if (mutual) options.tls.set_client_ca_file(pki_.ca_cert);
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  httplib::Result Track(httplib::SSLClient& client) {
    client.set_ca_cert_path(pki_.ca_cert.c_str());
    client.enable_server_certificate_verification(true);
    return client.Post(kTrackPath,
                       R"({"events":[{"user":{"external_id":"tls-user"},"name":"tls_event"}]})",
                       "application/json");
  }

  testing_support::TempDir dir_;
  testing::TestPki pki_;
  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
};

TEST_F(ConnectTlsTest, ServesHttpsWithTheGrpcPortsCertificate) {
  StartServer(/*mutual=*/false);
  httplib::SSLClient https("127.0.0.1", server_->http_port());
  httplib::Result result = Track(https);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200) << result->body;
  EXPECT_THAT(result->body, HasSubstr("OUTCOME_DELIVERED"));
  // Plain HTTP gets no answer from the HTTPS port.
  httplib::Client plain("127.0.0.1", server_->http_port());
  EXPECT_FALSE(plain.Post(kTrackPath, "{}", "application/json"));
}

TEST_F(ConnectTlsTest, MutualTlsRequiresAClientCertificate) {
  StartServer(/*mutual=*/true);
  httplib::SSLClient without_certificate("127.0.0.1", server_->http_port());
  EXPECT_FALSE(Track(without_certificate));
  httplib::SSLClient with_certificate("127.0.0.1", server_->http_port(), pki_.client_cert,
                                      pki_.client_key);
  httplib::Result result = Track(with_certificate);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200) << result->body;
}

}  // namespace
}  // namespace brazesync
