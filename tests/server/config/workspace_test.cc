// Tests for server/workspace.h: parsing the textproto ServerConfig (syntax
// errors carry a line number), applying workspace defaults, rejecting every
// bad field with a message that names it, resolving the API key from an
// injected environment or a file, and WorkspaceRegistry lookups (duplicate
// names, default_workspace, Find("")).
#include "server/config/workspace.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::Not;
using ::testing::NotNull;
using ::testing::Pointee;
using ::testing::SizeIs;
using ::testing::StrEq;
using testing_support::StatusIs;

constexpr char kEndpoint[] = "https://rest.iad-01.braze.com";
constexpr char kApiKey[] = "sk-prod-0123456789";
constexpr char kKeyVariable[] = "PROD_BRAZE_KEY";

template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// An environment holding only `variables`.
EnvLookup FakeEnv(std::map<std::string, std::string> variables) {
  return [variables](const std::string& name) {
    auto it = variables.find(name);
    return it == variables.end() ? std::string() : it->second;
  };
}

const EnvLookup& ProdEnv() {
  static const EnvLookup* env = new EnvLookup(FakeEnv({{kKeyVariable, kApiKey}}));
  return *env;
}

v1::WorkspaceConfig Workspace(const std::string& name) {
  v1::WorkspaceConfig config;
  config.set_name(name);
  config.set_endpoint(kEndpoint);
  config.set_api_key_env(kKeyVariable);
  return config;
}

// Writes `contents` to a fresh file under the test temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/workspace_test_" + name;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
  }
  // Key files must be private (secret_source.h).
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

// ---- ParseServerConfig / LoadServerConfigFile ----

TEST(WorkspaceTest, ParsesTextprotoConfig) {
  const absl::StatusOr<v1::ServerConfig> config = ParseServerConfig(R"pb(
    listen: "127.0.0.1:50051"
    default_workspace: "eu"
    workspaces {
      name: "us"
      endpoint: "https://rest.iad-01.braze.com"
      api_key_env: "US_KEY"
      object_cap_mode: OBJECT_CAP_MODE_PER_ARRAY
      max_attempts: 5
    }
    workspaces { name: "eu" endpoint: "https://rest.fra-01.braze.eu" api_key_file: "/k" }
  )pb");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->listen(), StrEq("127.0.0.1:50051"));
  EXPECT_THAT(config->default_workspace(), StrEq("eu"));
  ASSERT_THAT(config->workspaces(), SizeIs(2));
  EXPECT_THAT(config->workspaces(0).object_cap_mode(), Eq(v1::OBJECT_CAP_MODE_PER_ARRAY));
  EXPECT_THAT(config->workspaces(0).max_attempts(), Eq(5));
  EXPECT_THAT(config->workspaces(1).api_key_file(), StrEq("/k"));
}

TEST(WorkspaceTest, ReportsSyntaxErrorWithLineNumber) {
  const absl::StatusOr<v1::ServerConfig> config = ParseServerConfig(
      "listen: \"127.0.0.1:0\"\n"
      "workspaces {\n"
      "  name: \"us\"\n"
      "  endpont: \"https://rest.iad-01.braze.com\"\n"
      "}\n");
  EXPECT_THAT(StatusOf(config), StatusIs(absl::StatusCode::kInvalidArgument,
                                         AllOf(HasSubstr("line 4"), HasSubstr("endpont"))));
}

TEST(WorkspaceTest, ReportsUnclosedBlock) {
  const absl::StatusOr<v1::ServerConfig> config =
      ParseServerConfig("workspaces {\n  name: \"us\"\n");
  EXPECT_THAT(StatusOf(config), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line")));
}

TEST(WorkspaceTest, LoadsConfigFile) {
  const std::string path =
      WriteTempFile("good.textproto", "workspaces { name: \"us\" endpoint: \"https://x\" }\n");
  const absl::StatusOr<v1::ServerConfig> config = LoadServerConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->workspaces(0).name(), StrEq("us"));
}

TEST(WorkspaceTest, PrefixesConfigFileSyntaxErrorWithPath) {
  const std::string path = WriteTempFile("bad.textproto", "\n\nlisten: 42 42\n");
  const absl::StatusOr<v1::ServerConfig> config = LoadServerConfigFile(path);
  EXPECT_THAT(StatusOf(config), StatusIs(absl::StatusCode::kInvalidArgument,
                                         AllOf(HasSubstr(path), HasSubstr("line 3"))));
}

TEST(WorkspaceTest, ReportsMissingConfigFileAsNotFound) {
  const std::string path = ::testing::TempDir() + "/workspace_test_does_not_exist.textproto";
  EXPECT_THAT(StatusOf(LoadServerConfigFile(path)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

// ---- ResolveWorkspace: defaults ----

TEST(WorkspaceTest, AppliesDefaults) {
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(Workspace("us"), ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->name, StrEq("us"));
  EXPECT_FALSE(settings->per_array_cap);
  EXPECT_THAT(settings->max_objects_per_request, Eq(75));
  EXPECT_THAT(settings->max_request_bytes, Eq(4'000'000u));
  EXPECT_THAT(settings->max_array_length, Eq(500));
  EXPECT_THAT(settings->request_timeout, Eq(absl::Seconds(10)));
  EXPECT_THAT(settings->max_attempts, Eq(3));
  EXPECT_THAT(settings->rate_budget_key, StrEq(""));  // the name, in cluster mode
}

TEST(WorkspaceTest, StripsTheEndpointsTrailingSlash) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_endpoint("https://rest.iad-01.braze.com/");
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->endpoint, StrEq("https://rest.iad-01.braze.com"));
}

TEST(WorkspaceTest, AppliesConfiguredValues) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_object_cap_mode(v1::OBJECT_CAP_MODE_PER_ARRAY);
  config.set_max_objects_per_request(50);
  config.set_max_request_bytes(2'000'000);
  config.set_max_array_length(100);
  config.set_request_timeout_ms(2500);
  config.set_max_attempts(5);
  config.set_rate_budget_key("company");
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->per_array_cap);
  EXPECT_THAT(settings->max_objects_per_request, Eq(50));
  EXPECT_THAT(settings->max_request_bytes, Eq(2'000'000u));
  EXPECT_THAT(settings->max_array_length, Eq(100));
  EXPECT_THAT(settings->request_timeout, Eq(absl::Milliseconds(2500)));
  EXPECT_THAT(settings->max_attempts, Eq(5));
  EXPECT_THAT(settings->rate_budget_key, StrEq("company"));
}

TEST(WorkspaceTest, TreatsCombinedCapModeAsNotPerArray) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_object_cap_mode(v1::OBJECT_CAP_MODE_COMBINED);
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_FALSE(settings->per_array_cap);
}

// ---- ResolveWorkspace: validation errors name the field ----

TEST(WorkspaceTest, RejectsEmptyName) {
  EXPECT_THAT(StatusOf(ResolveWorkspace(Workspace(""), ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
}

TEST(WorkspaceTest, RejectsEndpointThatIsNotAnHttpUrl) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_endpoint("rest.iad-01.braze.com");
  EXPECT_THAT(
      StatusOf(ResolveWorkspace(config, ProdEnv())),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("workspaces[\"us\"].endpoint"),
                                                         HasSubstr("rest.iad-01.braze.com"))));
}

TEST(WorkspaceTest, RejectsEmptyEndpoint) {
  v1::WorkspaceConfig config = Workspace("us");
  config.clear_endpoint();
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(".endpoint")));
}

TEST(WorkspaceTest, RejectsTooManyObjectsPerRequest) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_objects_per_request(76);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(".max_objects_per_request: must be 1..75 (0 = 75)")));
}

TEST(WorkspaceTest, RejectsNegativeObjectsPerRequest) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_objects_per_request(-1);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(".max_objects_per_request")));
}

TEST(WorkspaceTest, RejectsRequestBytesOverFourMegabytes) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_request_bytes(4'000'001);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(".max_request_bytes: must be at most 4000000 (0 = 4000000)")));
}

TEST(WorkspaceTest, RejectsRequestBytesTooSmallForOneItem) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_request_bytes(999'999);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(".max_request_bytes: must be at least 1000000")));
}

TEST(WorkspaceTest, RejectsArrayLengthOverFiveHundred) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_array_length(501);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(".max_array_length: must be 1..500 (0 = 500)")));
}

TEST(WorkspaceTest, HasNoDefaultPhoneRegionByDefault) {
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(Workspace("us"), ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->default_phone_region, IsEmpty());
}

TEST(WorkspaceTest, AppliesDefaultPhoneRegionInUpperCase) {
  for (const char* region : {"FR", "fr"}) {
    v1::WorkspaceConfig config = Workspace("eu");
    config.set_default_phone_region(region);
    const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, ProdEnv());
    ASSERT_TRUE(settings.ok()) << settings.status();
    EXPECT_THAT(settings->default_phone_region, StrEq("FR"));
  }
}

TEST(WorkspaceTest, RejectsUnknownPhoneRegionNamingTheField) {
  for (const char* region : {"ZZ", "FRA", "France", "001", " FR"}) {
    v1::WorkspaceConfig config = Workspace("eu");
    config.set_default_phone_region(region);
    EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("workspaces[\"eu\"].default_phone_region: must be an ISO "
                                         "3166-1 alpha-2 region"),
                               HasSubstr(absl::StrCat("(got \"", region, "\")")))))
        << region;
  }
}

TEST(WorkspaceTest, ParsesDefaultPhoneRegionFromTextproto) {
  const absl::StatusOr<v1::ServerConfig> config =
      ParseServerConfig(R"pb(workspaces {
                               name: "eu"
                               endpoint: "https://rest.fra-01.braze.eu"
                               default_phone_region: "FR"
                             })pb");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->workspaces(0).default_phone_region(), StrEq("FR"));
}

TEST(WorkspaceTest, RejectsNegativeRequestTimeout) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_request_timeout_ms(-1);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(".request_timeout_ms")));
}

TEST(WorkspaceTest, RejectsTooManyAttempts) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_max_attempts(21);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(".max_attempts")));
}

TEST(WorkspaceTest, RejectsBothKeyEnvAndKeyFile) {
  v1::WorkspaceConfig config = Workspace("us");
  config.set_api_key_file("/etc/brazesync/key");
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("api_key_env"), HasSubstr("api_key_file"))));
}

// ---- API key resolution ----

TEST(WorkspaceTest, ReadsKeyFromNamedEnvironmentVariable) {
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(Workspace("us"), ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->api_key, StrEq(kApiKey));
}

TEST(WorkspaceTest, ReadsKeyFromBrazeApiKeyWhenNoSourceIsNamed) {
  v1::WorkspaceConfig config = Workspace("us");
  config.clear_api_key_env();
  const absl::StatusOr<WorkspaceSettings> settings =
      ResolveWorkspace(config, FakeEnv({{"BRAZE_API_KEY", "default-key"}}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->api_key, StrEq("default-key"));
}

TEST(WorkspaceTest, ReportsMissingEnvironmentVariableAsFailedPrecondition) {
  EXPECT_THAT(StatusOf(ResolveWorkspace(Workspace("us"), FakeEnv({}))),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(kKeyVariable), HasSubstr(".api_key_env"))));
}

TEST(WorkspaceTest, ReadsKeyFromFileIgnoringTrailingWhitespace) {
  v1::WorkspaceConfig config = Workspace("us");
  config.clear_api_key_env();
  config.set_api_key_file(WriteTempFile("key", std::string(kApiKey) + "\n"));
  const absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, FakeEnv({}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->api_key, StrEq(kApiKey));
}

TEST(WorkspaceTest, ReportsUnreadableKeyFileNamingTheField) {
  v1::WorkspaceConfig config = Workspace("us");
  config.clear_api_key_env();
  config.set_api_key_file(::testing::TempDir() + "/workspace_test_no_such_key");
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, FakeEnv({}))),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(".api_key_file")));
}

TEST(WorkspaceTest, RejectsEmptyKeyFile) {
  v1::WorkspaceConfig config = Workspace("us");
  config.clear_api_key_env();
  config.set_api_key_file(WriteTempFile("empty_key", "\n"));
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, FakeEnv({}))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
}

TEST(WorkspaceTest, RejectsQuotedKeyWithoutEchoingIt) {
  const absl::StatusOr<WorkspaceSettings> settings =
      ResolveWorkspace(Workspace("us"), FakeEnv({{kKeyVariable, "\"sk-quoted-secret\""}}));
  EXPECT_THAT(StatusOf(settings), StatusIs(absl::StatusCode::kInvalidArgument,
                                           AllOf(HasSubstr("quotes"), Not(HasSubstr("secret")))));
}

TEST(WorkspaceTest, RejectsKeyWithInnerWhitespace) {
  EXPECT_THAT(StatusOf(ResolveWorkspace(Workspace("us"), FakeEnv({{kKeyVariable, "sk one"}}))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whitespace")));
}

// ---- WorkspaceRegistry ----

v1::ServerConfig TwoWorkspaces() {
  v1::ServerConfig config;
  *config.add_workspaces() = Workspace("us");
  *config.add_workspaces() = Workspace("eu");
  return config;
}

TEST(WorkspaceTest, RegistryRequiresAWorkspace) {
  EXPECT_THAT(StatusOf(WorkspaceRegistry::Create(v1::ServerConfig(), ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("workspaces")));
}

TEST(WorkspaceTest, RegistryRejectsDuplicateNames) {
  v1::ServerConfig config = TwoWorkspaces();
  *config.add_workspaces() = Workspace("us");
  EXPECT_THAT(
      StatusOf(WorkspaceRegistry::Create(config, ProdEnv())),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("\"us\""), HasSubstr("twice"))));
}

TEST(WorkspaceTest, RegistryReportsTheFirstInvalidWorkspace) {
  v1::ServerConfig config = TwoWorkspaces();
  config.mutable_workspaces(1)->set_max_attempts(99);
  EXPECT_THAT(
      StatusOf(WorkspaceRegistry::Create(config, ProdEnv())),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("workspaces[\"eu\"].max_attempts")));
}

TEST(WorkspaceTest, RegistryRejectsUnknownDefaultWorkspace) {
  v1::ServerConfig config = TwoWorkspaces();
  config.set_default_workspace("ap");
  EXPECT_THAT(StatusOf(WorkspaceRegistry::Create(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("default_workspace"), HasSubstr("\"ap\""))));
}

TEST(WorkspaceTest, FindEmptyNameReturnsFirstWorkspaceWithoutDefault) {
  const absl::StatusOr<WorkspaceRegistry> registry =
      WorkspaceRegistry::Create(TwoWorkspaces(), ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->Find(""), Pointee(Field(&WorkspaceSettings::name, StrEq("us"))));
}

TEST(WorkspaceTest, FindEmptyNameReturnsDefaultWorkspace) {
  v1::ServerConfig config = TwoWorkspaces();
  config.set_default_workspace("eu");
  const absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(config, ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->Find(""), Pointee(Field(&WorkspaceSettings::name, StrEq("eu"))));
}

TEST(WorkspaceTest, FindReturnsWorkspaceByName) {
  const absl::StatusOr<WorkspaceRegistry> registry =
      WorkspaceRegistry::Create(TwoWorkspaces(), ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->Find("eu"), Pointee(Field(&WorkspaceSettings::name, StrEq("eu"))));
  EXPECT_THAT(registry->all(), SizeIs(2));
}

TEST(WorkspaceTest, NamesListsEveryWorkspaceInConfigurationOrder) {
  v1::ServerConfig config = TwoWorkspaces();
  config.set_default_workspace("eu");  // the default is not moved first
  const absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(config, ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->names(), ElementsAre("us", "eu"));
}

TEST(WorkspaceTest, FindReturnsNullForUnknownName) {
  const absl::StatusOr<WorkspaceRegistry> registry =
      WorkspaceRegistry::Create(TwoWorkspaces(), ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->Find("ap"), IsNull());
  EXPECT_THAT(registry->Find("US"), IsNull());
}

TEST(WorkspaceTest, FindStillWorksAfterTheRegistryIsMoved) {
  v1::ServerConfig config = TwoWorkspaces();
  config.set_default_workspace("eu");
  absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(config, ProdEnv());
  ASSERT_TRUE(registry.ok()) << registry.status();
  const WorkspaceRegistry moved = *std::move(registry);
  EXPECT_THAT(moved.Find(""),
              AllOf(NotNull(), Pointee(Field(&WorkspaceSettings::name, StrEq("eu")))));
}

// ---- WorkspaceConfig.actions (docs/actions.md) ----

v1::WorkspaceConfig ActionsWorkspace() {
  v1::WorkspaceConfig config;
  config.set_name("prod");
  config.set_endpoint(kEndpoint);
  config.set_api_key_env(kKeyVariable);
  return config;
}

TEST(ActionsSettingsTest, DefaultsAreBrazesLimits) {
  absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(ActionsWorkspace(), ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  const ActionsSettings& actions = settings->actions;
  EXPECT_EQ(actions.LimitOf(RatePool::kIdentity).requests, 20'000);
  EXPECT_EQ(actions.LimitOf(RatePool::kIdentity).window, absl::Minutes(1));
  EXPECT_EQ(actions.LimitOf(RatePool::kRename).requests, 1'000);
  EXPECT_EQ(actions.LimitOf(RatePool::kRemove).requests, 1'000);
  EXPECT_EQ(actions.LimitOf(RatePool::kTargetedTriggers).requests, 250'000);
  EXPECT_EQ(actions.LimitOf(RatePool::kTargetedTriggers).window, absl::Hours(1));
  EXPECT_EQ(actions.LimitOf(RatePool::kBroadcastTriggers).requests, 250);
  EXPECT_EQ(actions.broadcast_per_audience.requests, 10);
  EXPECT_EQ(actions.LimitOf(RatePool::kSubscriptions).requests, 5'000);
  EXPECT_EQ(actions.max_wait, absl::Seconds(10));
  EXPECT_EQ(actions.delete_tombstone, absl::Minutes(10));
  EXPECT_EQ(actions.canvas_properties_key, v1::CANVAS_PROPERTIES_KEY_CONTEXT);
}

TEST(ActionsSettingsTest, ConfiguredValuesReplaceTheDefaults) {
  v1::WorkspaceConfig config = ActionsWorkspace();
  config.mutable_actions()->set_identity_requests_per_minute(100);
  config.mutable_actions()->set_broadcast_requests_per_audience_per_minute(2);
  config.mutable_actions()->set_max_wait_ms(250);
  config.mutable_actions()->set_canvas_properties_key(
      v1::CANVAS_PROPERTIES_KEY_CANVAS_ENTRY_PROPERTIES);
  absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(config, ProdEnv());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->actions.LimitOf(RatePool::kIdentity).requests, 100);
  EXPECT_EQ(settings->actions.broadcast_per_audience.requests, 2);
  EXPECT_EQ(settings->actions.max_wait, absl::Milliseconds(250));
  EXPECT_EQ(settings->actions.canvas_properties_key,
            v1::CANVAS_PROPERTIES_KEY_CANVAS_ENTRY_PROPERTIES);
}

TEST(ActionsSettingsTest, ANegativeValueIsRefusedNamingTheField) {
  v1::WorkspaceConfig config = ActionsWorkspace();
  config.mutable_actions()->set_subscription_requests_per_minute(-1);
  EXPECT_THAT(StatusOf(ResolveWorkspace(config, ProdEnv())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("actions.subscription_requests_per_minute: must be >= 0")));
}

}  // namespace
}  // namespace brazesync
