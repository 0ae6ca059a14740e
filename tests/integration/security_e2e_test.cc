// End-to-end tests of BrazeSync's security and operations features against
// the real server, libcurl and the Braze emulator: caller tokens (hashed in
// the config) and workspace permissions, per-caller rate limits, the item
// cap, TLS and mutual TLS on the gRPC port, TLS to Braze with certificate
// verification, API key rotation without restart, health following Braze's
// reachability, Prometheus /metrics, and redacted JSON logs.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/http/curl_http_client.h"
#include "server/security/caller_auth.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/integration/test_certs.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "security-e2e-key";
constexpr char kBotToken[] = "bot-token-0123456789";
constexpr char kAdminToken[] = "admin-token-9876543210";

v1::TrackRequest OneEvent(const std::string& workspace, const std::string& user = "u1") {
  v1::TrackRequest request;
  request.set_workspace(workspace);
  v1::Event* event = request.add_events();
  event->mutable_user()->set_external_id(user);
  event->set_name("quote_requested");
  event->mutable_time()->set_seconds(1714566896);
  return request;
}

std::string HttpGet(const std::string& url) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return body;
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TestPki();
    // One directory per process: ctest runs each test of this suite as its
    // own process, in parallel, and a shared directory let one process
    // rewrite the certificates while another's emulator was loading them.
    ASSERT_TRUE(pki_->Create(
        absl::StrCat(::testing::TempDir(), "/security_e2e_pki.", static_cast<int>(::getpid()))))
        << "openssl CLI failed (scripts/install_deps.sh installs it)";
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    key_file_ = ::testing::TempDir() + "/security_e2e_api_key";
    testing::WriteFileWithMode(key_file_, kApiKey, 0600);
  }

  void StartEmulator(bool tls, int port = 0) {
    emulator::EmulatorOptions options;
    options.api_key = kApiKey;
    if (tls) {
      options.tls_cert_file = pki_->server_cert;
      options.tls_key_file = pki_->server_key;
    }
    emulator_ = std::make_unique<emulator::BrazeEmulator>(options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", port).ok());
  }

  v1::ServerConfig Config() {
    v1::ServerConfig config;
    for (const char* name : {"sandbox", "prod"}) {
      v1::WorkspaceConfig* workspace = config.add_workspaces();
      workspace->set_name(name);
      workspace->set_endpoint(emulator_->base_url());
      workspace->set_api_key_file(key_file_);
      workspace->set_request_timeout_ms(2000);
      workspace->set_max_attempts(2);
    }
    v1::CallerConfig* bot = config.add_callers();
    bot->set_name("bot");
    bot->set_token_sha256(Sha256Hex(kBotToken));
    bot->add_allowed_workspaces("sandbox");
    v1::CallerConfig* admin = config.add_callers();
    admin->set_name("admin");
    admin->set_token_sha256(Sha256Hex(kAdminToken));
    admin->add_allowed_workspaces("*");
    return config;
  }

  void StartServer(const v1::ServerConfig& config, ServerOptions options = ServerOptions(),
                   CurlOptions curl = CurlOptions()) {
    absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(config);
    ASSERT_TRUE(registry.ok()) << registry.status();
    options.listen = "127.0.0.1:0";
    options.engine.initial_backoff = absl::Milliseconds(1);
    options.engine.max_backoff = absl::Milliseconds(5);
    options.callers = config.callers();
    options.log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    options.log_level = LogLevel::kDebug;  // successful calls are logged at debug
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient(curl));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    config_ = config;
  }

  std::shared_ptr<grpc::Channel> Channel(
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials()) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()), credentials,
                                     args);
  }

  grpc::Status Track(const v1::TrackRequest& request, const std::string& token,
                     v1::TrackResult* result = nullptr,
                     std::shared_ptr<grpc::Channel> channel = nullptr,
                     const std::string& request_id = "") {
    if (channel == nullptr) channel = Channel();
    auto stub = v1::BrazeSync::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::TrackResult ignored;
    return stub->Track(&context, request, result != nullptr ? result : &ignored);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      std::shared_ptr<grpc::Channel> channel = nullptr) {
    if (channel == nullptr) channel = Channel();
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("brazesync.v1.BrazeSync");
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    server_.reset();
    if (emulator_ != nullptr) emulator_->Stop();
  }

  static testing::TestPki* pki_;
  std::string key_file_;
  std::ostringstream log_;
  v1::ServerConfig config_;
  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
};

testing::TestPki* SecurityTest::pki_ = nullptr;

TEST_F(SecurityTest, TokensAndWorkspacePermissions) {
  StartEmulator(/*tls=*/false);
  StartServer(Config());

  grpc::Status missing = Track(OneEvent("sandbox"), "");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("authorization: Bearer"));

  grpc::Status wrong = Track(OneEvent("sandbox"), "not-a-token");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), Not(HasSubstr("not-a-token")));

  grpc::Status other_workspace = Track(OneEvent("prod"), kBotToken);
  EXPECT_EQ(other_workspace.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other_workspace.error_message(), HasSubstr("\"prod\""));

  // The default workspace (the first, "sandbox") is what an empty name means.
  EXPECT_TRUE(Track(OneEvent(""), kBotToken).ok());
  EXPECT_TRUE(Track(OneEvent("sandbox"), kBotToken).ok());
  EXPECT_TRUE(Track(OneEvent("prod"), kAdminToken).ok());
  EXPECT_EQ(emulator_->requests().size(), 3u);

  // Health needs no token.
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);

  const std::string metrics = server_->metrics().Text();
  EXPECT_THAT(metrics, HasSubstr("brazesync_rejected_calls_total{reason=\"unauthenticated\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_rejected_calls_total{reason=\"permission_denied\"} 1"));
}

TEST_F(SecurityTest, TrackStreamChecksTokenAtStartAndWorkspacePerMessage) {
  StartEmulator(/*tls=*/false);
  StartServer(Config());
  auto stub = v1::BrazeSync::NewStub(Channel());
  {
    grpc::ClientContext context;
    auto stream = stub->TrackStream(&context);
    stream->WritesDone();
    v1::TrackResult result;
    while (stream->Read(&result)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kBotToken));
  auto stream = stub->TrackStream(&context);
  ASSERT_TRUE(stream->Write(OneEvent("sandbox")));
  ASSERT_TRUE(stream->Write(OneEvent("prod")));
  stream->WritesDone();
  v1::TrackResult first, second;
  ASSERT_TRUE(stream->Read(&first));
  ASSERT_TRUE(stream->Read(&second));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(first.outcome(), v1::OUTCOME_DELIVERED);
  EXPECT_EQ(second.error().code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(SecurityTest, PerCallerRateLimitAndItemCap) {
  StartEmulator(/*tls=*/false);
  v1::ServerConfig config = Config();
  config.mutable_callers(0)->set_requests_per_second(0.001);  // effectively no refill
  config.mutable_callers(0)->set_burst(2);
  ServerOptions options;
  options.max_items_per_request = 3;
  StartServer(config, options);

  v1::TrackRequest request = OneEvent("sandbox");
  request.set_validate_only(true);
  EXPECT_TRUE(Track(request, kBotToken).ok());
  EXPECT_TRUE(Track(request, kBotToken).ok());
  grpc::Status limited = Track(request, kBotToken);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("\"bot\""));
  // Other callers have their own budget.
  EXPECT_TRUE(Track(request, kAdminToken).ok());

  v1::TrackRequest big = OneEvent("sandbox");
  for (int i = 0; i < 3; ++i) *big.add_events() = big.events(0);
  grpc::Status too_many = Track(big, kAdminToken);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_many.error_message(), HasSubstr("attributes|events|purchases"));
  EXPECT_THAT(too_many.error_message(), HasSubstr("4 items"));
}

TEST_F(SecurityTest, TlsAndMutualTls) {
  StartEmulator(/*tls=*/false);
  ServerOptions options;
  options.tls.set_cert_file(pki_->server_cert);
  options.tls.set_key_file(pki_->server_key);
  StartServer(Config(), options);
  grpc::SslCredentialsOptions trusting;
  trusting.pem_root_certs = testing::TestPki::Read(pki_->ca_cert);
  EXPECT_TRUE(
      Track(OneEvent("sandbox"), kBotToken, nullptr, Channel(grpc::SslCredentials(trusting))).ok());
  EXPECT_FALSE(Track(OneEvent("sandbox"), kBotToken).ok()) << "plaintext must not work";
  grpc::SslCredentialsOptions other;
  other.pem_root_certs = testing::TestPki::Read(pki_->other_ca_cert);
  EXPECT_EQ(Track(OneEvent("sandbox"), kBotToken, nullptr, Channel(grpc::SslCredentials(other)))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();

  options.tls.set_client_ca_file(pki_->ca_cert);
  StartServer(Config(), options);
  EXPECT_EQ(Track(OneEvent("sandbox"), kBotToken, nullptr, Channel(grpc::SslCredentials(trusting)))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "a client without a certificate must be refused";
  grpc::SslCredentialsOptions with_cert = trusting;
  with_cert.pem_private_key = testing::TestPki::Read(pki_->client_key);
  with_cert.pem_cert_chain = testing::TestPki::Read(pki_->client_cert);
  EXPECT_TRUE(
      Track(OneEvent("sandbox"), kBotToken, nullptr, Channel(grpc::SslCredentials(with_cert)))
          .ok());
}

TEST_F(SecurityTest, RefusesKeyFilesReadableByOthers) {
  StartEmulator(/*tls=*/false);
  ::chmod(key_file_.c_str(), 0644);
  absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(Config());
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(registry.status().message(), HasSubstr(key_file_));
  EXPECT_THAT(registry.status().message(), HasSubstr("0644"));

  ServerOptions options;
  options.tls.set_cert_file(pki_->server_cert);
  const std::string loose_key = ::testing::TempDir() + "/security_e2e_loose.key";
  testing::WriteFileWithMode(loose_key, testing::TestPki::Read(pki_->server_key), 0640);
  options.tls.set_key_file(loose_key);
  ::chmod(key_file_.c_str(), 0600);
  absl::StatusOr<WorkspaceRegistry> ok_registry = WorkspaceRegistry::Create(Config());
  ASSERT_TRUE(ok_registry.ok());
  options.listen = "127.0.0.1:0";
  auto server = BrazeSyncServer::Start(options, *std::move(ok_registry), MakeCurlHttpClient());
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("tls.key_file"));
  EXPECT_THAT(server.status().message(), HasSubstr(loose_key));
}

TEST_F(SecurityTest, VerifiesBrazeCertificate) {
  StartEmulator(/*tls=*/true);
  ASSERT_THAT(emulator_->base_url(), ::testing::StartsWith("https://"));
  CurlOptions trusting;
  trusting.ca_file = pki_->ca_cert;
  StartServer(Config(), ServerOptions(), trusting);
  EXPECT_TRUE(Track(OneEvent("sandbox"), kBotToken).ok());
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();

  CurlOptions wrong_ca;
  wrong_ca.ca_file = pki_->other_ca_cert;
  StartServer(Config(), ServerOptions(), wrong_ca);
  grpc::Status status = Track(OneEvent("sandbox"), kBotToken);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
}

TEST_F(SecurityTest, RotatesApiKeyAndCallersWithoutRestart) {
  StartEmulator(/*tls=*/false);
  testing::WriteFileWithMode(key_file_, "old-key-0000000000", 0600);
  StartServer(Config());
  EXPECT_EQ(Track(OneEvent("sandbox"), kBotToken).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // Braze says 401

  testing::WriteFileWithMode(key_file_, kApiKey, 0600);
  v1::ServerConfig rotated = Config();
  rotated.mutable_callers(0)->set_token_sha256(Sha256Hex("new-bot-token-000"));
  ASSERT_TRUE(server_->Reload(rotated).ok());
  EXPECT_TRUE(Track(OneEvent("sandbox"), "new-bot-token-000").ok());
  EXPECT_EQ(Track(OneEvent("sandbox"), kBotToken).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A reload that fails changes nothing.
  testing::WriteFileWithMode(key_file_, "yet-another-key-000", 0644);
  EXPECT_FALSE(server_->Reload(rotated).ok());
  EXPECT_TRUE(Track(OneEvent("sandbox"), "new-bot-token-000").ok());
  EXPECT_THAT(server_->metrics().Text(),
              HasSubstr("brazesync_secret_reloads_total{result=\"error\"} 1"));
  EXPECT_THAT(log_.str(), Not(HasSubstr(kApiKey)));
  EXPECT_THAT(log_.str(), Not(HasSubstr("old-key-0000000000")));
}

TEST_F(SecurityTest, HealthFollowsBrazeReachability) {
  StartEmulator(/*tls=*/false);
  const int port = emulator_->port();
  StartServer(Config());
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
  emulator_->Stop();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Track(OneEvent("sandbox"), kBotToken).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(server_->braze_reachable());
  StartEmulator(/*tls=*/false, port);
  EXPECT_TRUE(Track(OneEvent("sandbox"), kBotToken).ok());
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(SecurityTest, MetricsEndpointAndRedactedJsonLogs) {
  StartEmulator(/*tls=*/false);
  ServerOptions options;
  options.metrics_listen = "127.0.0.1:0";
  StartServer(Config(), options);
  ASSERT_NE(server_->metrics_port(), 0);

  v1::TrackRequest request = OneEvent("sandbox");
  v1::UserProfile* profile = request.add_attributes();
  profile->mutable_user()->set_external_id("u1");
  profile->set_email("ada@example.com");
  EXPECT_TRUE(Track(request, kBotToken, nullptr, nullptr, "req-123").ok());
  v1::TrackRequest invalid = OneEvent("sandbox");
  invalid.mutable_events(0)->set_name("");
  invalid.mutable_events(0)->mutable_user()->set_external_id("ada@example.com");
  EXPECT_FALSE(Track(invalid, kBotToken).ok());

  const std::string metrics =
      HttpGet(absl::StrCat("http://127.0.0.1:", server_->metrics_port(), "/metrics"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_requests_total{code=\"OK\",method=\"Track\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("brazesync_requests_total{code=\"INVALID_ARGUMENT\",method=\"Track\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_items_total{kind=\"events\",outcome=\"delivered\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_braze_responses_total{code=\"201\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_braze_requests_total 1"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_data_points_sent_total 2"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_queue_depth 0"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_braze_reachable 1"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_rate_governor_waits_total"));
  EXPECT_THAT(metrics, HasSubstr("brazesync_braze_retries_total"));
  EXPECT_THAT(metrics, Not(HasSubstr(kApiKey)));

  server_->logger().Flush();
  bool found = false;
  for (absl::string_view line : absl::StrSplit(log_.str(), '\n', absl::SkipEmpty())) {
    const nlohmann::json entry = nlohmann::json::parse(line);  // every line is JSON
    ASSERT_TRUE(entry.contains("ts") && entry.contains("level") && entry.contains("msg"));
    if (entry.value("request_id", "") == "req-123") {
      found = true;
      EXPECT_EQ(entry["method"], "Track");
      EXPECT_EQ(entry["workspace"], "sandbox");
      EXPECT_EQ(entry["code"], "OK");
      EXPECT_EQ(entry["caller"], "bot");
      EXPECT_EQ(entry["events"], 1);
      EXPECT_EQ(entry["attributes"], 1);
      EXPECT_TRUE(entry.contains("latency_ms"));
    }
  }
  EXPECT_TRUE(found) << log_.str();
  EXPECT_THAT(log_.str(), Not(HasSubstr("ada@example.com")));
  EXPECT_THAT(log_.str(), Not(HasSubstr(kBotToken)));
  EXPECT_THAT(log_.str(), Not(HasSubstr(kApiKey)));
}

}  // namespace
}  // namespace brazesync
