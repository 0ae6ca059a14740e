// Unit tests for caller_auth: SHA-256 via EVP, Bearer parsing, the caller
// registry's checks and lookups, workspace authorisation and token buckets.
#include "server/security/caller_auth.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::CallerConfig Caller(const std::string& name, const std::string& token,
                        std::vector<std::string> workspaces) {
  v1::CallerConfig config;
  config.set_name(name);
  config.set_token_sha256(Sha256Hex(token));
  for (const auto& workspace : workspaces) config.add_allowed_workspaces(workspace);
  return config;
}

google::protobuf::RepeatedPtrField<v1::CallerConfig> Callers(
    std::initializer_list<v1::CallerConfig> list) {
  google::protobuf::RepeatedPtrField<v1::CallerConfig> callers;
  for (const auto& caller : list) *callers.Add() = caller;
  return callers;
}

TEST(CallerAuthTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CallerAuthTest, ParsesBearerTokensWithoutEchoingThem) {
  EXPECT_EQ(*BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(*BearerToken("bearer  abc "), "abc");
  EXPECT_EQ(BearerToken("").status().code(), absl::StatusCode::kUnauthenticated);
  absl::Status basic = BearerToken("Basic secret-value").status();
  EXPECT_EQ(basic.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(basic.message(), Not(HasSubstr("secret-value")));
  EXPECT_EQ(BearerToken("Bearer ").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(CallerAuthTest, FindsCallersByTokenHash) {
  auto registry = CallerRegistry::Create(
      Callers({Caller("bot", "t1", {"sandbox"}), Caller("admin", "t2", {"*"})}),
      {"sandbox", "prod"});
  ASSERT_TRUE(registry.ok()) << registry.status();
  ASSERT_NE(registry->Find("t1"), nullptr);
  EXPECT_EQ(registry->Find("t1")->name, "bot");
  EXPECT_EQ(registry->Find("t2")->name, "admin");
  EXPECT_EQ(registry->Find("t3"), nullptr);
  EXPECT_TRUE(registry->Find("t1")->Holds(Role::kTrack, "sandbox"));
  EXPECT_FALSE(registry->Find("t1")->Holds(Role::kTrack, "prod"));
  EXPECT_TRUE(registry->Find("t2")->Holds(Role::kTrack, "prod"));
  // allowed_workspaces grants track only.
  EXPECT_FALSE(registry->Find("t2")->Holds(Role::kAdmin, "prod"));
}

TEST(CallerAuthTest, AdminWorkspacesGrantTheAdminRolePerWorkspace) {
  v1::CallerConfig ops = Caller("ops", "t1", {});
  ops.add_admin_workspaces("sandbox");
  v1::CallerConfig root = Caller("root", "t2", {"sandbox"});
  root.add_admin_workspaces("*");
  auto registry = CallerRegistry::Create(Callers({ops, root}), {"sandbox", "prod"});
  ASSERT_TRUE(registry.ok()) << registry.status();
  const auto& admin_of_sandbox = *registry->Find("t1");
  EXPECT_TRUE(admin_of_sandbox.Holds(Role::kAdmin, "sandbox"));
  EXPECT_FALSE(admin_of_sandbox.Holds(Role::kAdmin, "prod"));
  EXPECT_FALSE(admin_of_sandbox.Holds(Role::kTrack, "sandbox"));
  EXPECT_EQ(CallerAuthenticator::AuthorizeAll(admin_of_sandbox, Role::kAdmin).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CallerAuthenticator::AuthorizeAny(admin_of_sandbox, Role::kTrack).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CallerAuthenticator::AuthorizeAny(admin_of_sandbox, Role::kAdmin).ok());
  const auto& admin_of_all = *registry->Find("t2");
  EXPECT_TRUE(CallerAuthenticator::AuthorizeAll(admin_of_all, Role::kAdmin).ok());
  EXPECT_TRUE(admin_of_all.Holds(Role::kAdmin, "prod"));
  absl::Status denied = CallerAuthenticator::Authorize(admin_of_sandbox, Role::kAdmin, "prod");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(denied.message(), HasSubstr("lacks the admin role in workspace \"prod\""));
}

TEST(CallerAuthTest, RejectsUnknownAdminWorkspacesAndCallersWithNoRole) {
  v1::CallerConfig typo = Caller("ops", "t1", {});
  typo.add_admin_workspaces("prd");
  EXPECT_THAT(CallerRegistry::Create(Callers({typo}), {"prod"}).status().message(),
              HasSubstr("callers[\"ops\"].admin_workspaces: no workspace is named \"prd\""));
  EXPECT_THAT(
      CallerRegistry::Create(Callers({Caller("idle", "t1", {})}), {"prod"}).status().message(),
      HasSubstr("callers[\"idle\"].allowed_workspaces: required unless another role"));
}

TEST(CallerAuthTest, RejectsBadCallerConfigNamingTheField) {
  v1::CallerConfig plain = Caller("bot", "t", {"sandbox"});
  plain.set_token_sha256("my-plain-token");
  auto status = CallerRegistry::Create(Callers({plain}), {"sandbox"}).status();
  EXPECT_THAT(status.message(), HasSubstr("callers[\"bot\"].token_sha256"));
  EXPECT_THAT(status.message(), Not(HasSubstr("my-plain-token")));

  status = CallerRegistry::Create(Callers({Caller("bot", "t", {"typo"})}), {"sandbox"}).status();
  EXPECT_THAT(status.message(), HasSubstr("allowed_workspaces"));
  status = CallerRegistry::Create(Callers({Caller("bot", "t", {})}), {"sandbox"}).status();
  EXPECT_THAT(status.message(), HasSubstr("allowed_workspaces: required"));
  status =
      CallerRegistry::Create(Callers({Caller("bot", "t", {"*"}), Caller("bot", "u", {"*"})}), {})
          .status();
  EXPECT_THAT(status.message(), HasSubstr("appears twice"));
}

TEST(CallerAuthTest, ReadsHashFilesOnlyWithStrictPermissions) {
  const std::string path = ::testing::TempDir() + "/caller_auth_test_hash";
  {
    std::ofstream out(path, std::ios::trunc);
    out << Sha256Hex("t1") << "  -\n";  // sha256sum output
  }
  v1::CallerConfig config = Caller("bot", "t1", {"*"});
  config.clear_token_sha256();
  config.set_token_sha256_file(path);
  ::chmod(path.c_str(), 0644);
  auto refused = CallerRegistry::Create(Callers({config}), {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(path));
  ::chmod(path.c_str(), 0600);
  auto registry = CallerRegistry::Create(Callers({config}), {});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_NE(registry->Find("t1"), nullptr);
}

TEST(CallerAuthTest, AuthenticatorMapsTokensWorkspacesAndRates) {
  v1::CallerConfig bot = Caller("bot", "t1", {"sandbox"});
  bot.set_requests_per_second(1);
  bot.set_burst(2);
  auto registry = CallerRegistry::Create(Callers({bot}), {"sandbox", "prod"});
  ASSERT_TRUE(registry.ok());
  CallerAuthenticator auth(*std::move(registry));
  EXPECT_TRUE(auth.enabled());
  EXPECT_EQ(auth.Authenticate("Bearer nope").status().code(), absl::StatusCode::kUnauthenticated);
  auto caller = auth.Authenticate("Bearer t1");
  ASSERT_TRUE(caller.ok());
  EXPECT_TRUE(CallerAuthenticator::Authorize(**caller, Role::kTrack, "sandbox").ok());
  EXPECT_EQ(CallerAuthenticator::Authorize(**caller, Role::kTrack, "prod").code(),
            absl::StatusCode::kPermissionDenied);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(auth.Admit(**caller, t0).ok());
  EXPECT_TRUE(auth.Admit(**caller, t0).ok());
  EXPECT_EQ(auth.Admit(**caller, t0).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(auth.Admit(**caller, t0 + absl::Seconds(1)).ok());  // refilled one

  auth.Replace(*CallerRegistry::Create({}, {}));
  EXPECT_FALSE(auth.enabled());
}

TEST(CallerAuthTest, TokenBucketRefillsUpToBurst) {
  const absl::Time t0 = absl::FromUnixSeconds(0);
  TokenBucket bucket(10, 3, t0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0 + absl::Milliseconds(100)));
  EXPECT_FALSE(bucket.TryTake(t0 + absl::Milliseconds(100)));
  int taken = 0;
  while (bucket.TryTake(t0 + absl::Seconds(10))) ++taken;
  EXPECT_EQ(taken, 3);
}

}  // namespace
}  // namespace brazesync
