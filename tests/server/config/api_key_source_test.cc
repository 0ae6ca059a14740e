// Tests for server/config/api_key_source.h: workspaces start with their
// start-up keys, lookups are by workspace name, Set rotates one workspace's
// key from the next lookup on, every key ever held stays listed for the
// redactor, and no error names a key.
#include "server/config/api_key_source.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "brazesync/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/workspace.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing_support::StatusIs;

constexpr char kProdKey[] = "prod-key-0000000001";
constexpr char kEuKey[] = "eu-key-00000000001";

WorkspaceRegistry Registry() {
  v1::ServerConfig config;
  for (const char* name : {"prod", "eu"}) {
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name(name);
    workspace->set_endpoint("https://rest.iad-01.braze.com");
    workspace->set_api_key_env(std::string(name) + "_KEY");
  }
  absl::StatusOr<WorkspaceRegistry> registry =
      WorkspaceRegistry::Create(config, [](const std::string& variable) -> std::string {
        if (variable == "prod_KEY") return kProdKey;
        if (variable == "eu_KEY") return kEuKey;
        return "";
      });
  EXPECT_TRUE(registry.ok()) << registry.status();
  return *std::move(registry);
}

TEST(ApiKeySourceTest, StartsWithEachWorkspacesStartUpKey) {
  const ApiKeySource keys(Registry());
  EXPECT_EQ(*keys.Current("prod"), kProdKey);
  EXPECT_EQ(*keys.Current("eu"), kEuKey);
}

TEST(ApiKeySourceTest, SetChangesOnlyThatWorkspacesKey) {
  ApiKeySource keys(Registry());
  EXPECT_TRUE(keys.Set("prod", "prod-key-0000000002"));
  EXPECT_EQ(*keys.Current("prod"), "prod-key-0000000002");
  EXPECT_EQ(*keys.Current("eu"), kEuKey);
}

TEST(ApiKeySourceTest, SetReportsWhetherTheKeyChanged) {
  ApiKeySource keys(Registry());
  EXPECT_FALSE(keys.Set("prod", kProdKey));
  EXPECT_TRUE(keys.Set("prod", "prod-key-0000000002"));
  EXPECT_FALSE(keys.Set("prod", "prod-key-0000000002"));
}

TEST(ApiKeySourceTest, UnknownWorkspaceIsFailedPreconditionNamingItButNoKey) {
  const ApiKeySource keys(Registry());
  EXPECT_THAT(
      keys.Current("staging").status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("\"staging\""), Not(HasSubstr(kProdKey)), Not(HasSubstr(kEuKey)))));
}

TEST(ApiKeySourceTest, EmptySourceHasNoKeys) {
  const ApiKeySource keys;
  EXPECT_FALSE(keys.Current("prod").ok());
  EXPECT_THAT(keys.AllKeys(), IsEmpty());
}

// The redactor is told every key a workspace has ever sent, so a key rotated
// out (or one rotated through) never appears in a later log line either.
TEST(ApiKeySourceTest, AllKeysListsCurrentAndPreviousKeysOnce) {
  ApiKeySource keys(Registry());
  keys.Set("prod", "prod-key-0000000002");
  keys.Set("prod", "prod-key-0000000003");
  keys.Set("eu", kEuKey);
  EXPECT_THAT(keys.AllKeys(),
              ElementsAre(kProdKey, kEuKey, "prod-key-0000000002", "prod-key-0000000003"));
}

TEST(ApiKeySourceTest, LookupsWhileRotatingSeeOneOfTheKeys) {
  ApiKeySource keys(Registry());
  std::thread rotator([&keys] {
    for (int i = 0; i < 1000; ++i) keys.Set("prod", i % 2 == 0 ? "key-even-00000" : kProdKey);
  });
  for (int i = 0; i < 1000; ++i) {
    const absl::StatusOr<std::string> key = keys.Current("prod");
    ASSERT_TRUE(key.ok());
    ASSERT_TRUE(*key == kProdKey || *key == "key-even-00000") << *key;
  }
  rotator.join();
}

}  // namespace
}  // namespace brazesync
