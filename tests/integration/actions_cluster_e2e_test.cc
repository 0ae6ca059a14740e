// Cluster mode end to end for the identity, messaging and subscription
// services: two real servers on one throwaway PostgreSQL (the `postgres`
// ctest fixture) and the Braze emulator. Calls through either replica spend
// the same per-workspace rate pools: one shared row of bs_rate_budget per
// Braze endpoint family (docs/actions.md, "Rate pools"; case 159).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/identity.grpc.pb.h"
#include "brazesync/v1/messaging.grpc.pb.h"
#include "brazesync/v1/subscriptions.grpc.pb.h"
#include "server/config/workspace.h"
#include "server/http/curl_http_client.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

constexpr char kApiKey[] = "actions-cluster-key";

class ActionsClusterTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (database_ == nullptr) return;  // skipped
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    for (const char* replica : {"replica-a", "replica-b"}) {
      v1::ServerConfig config;
      v1::WorkspaceConfig* workspace = config.add_workspaces();
      workspace->set_name("sandbox");
      workspace->set_endpoint(emulator_->base_url());
      workspace->set_api_key_env("E2E_KEY");
      absl::StatusOr<WorkspaceRegistry> registry = WorkspaceRegistry::Create(
          config, [](const std::string&) { return std::string(kApiKey); });
      ASSERT_TRUE(registry.ok()) << registry.status();
      ServerOptions options;
      options.listen = "127.0.0.1:0";
      options.store = database_->uri();
      options.cluster.partitions = 4;
      options.cluster.replica_name = replica;
      auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
      ASSERT_TRUE(server.ok()) << server.status();
      channels_.push_back(grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                              grpc::InsecureChannelCredentials()));
      servers_.push_back(*std::move(server));
    }
  }

  void TearDown() override {
    for (auto& server : servers_) server->Shutdown(absl::ZeroDuration());
    servers_.clear();
    if (emulator_ != nullptr) emulator_->Stop();
  }

  // How many rows of bs_rate_budget have `key`.
  int64_t BudgetRows(const std::string& key) {
    absl::StatusOr<PgResult> rows = check_->Exec(
        "budget rows", "SELECT count(*) FROM bs_rate_budget WHERE key = $1", {PgParam::Text(key)});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->Int(0, 0) : -1;
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::vector<std::unique_ptr<BrazeSyncServer>> servers_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

TEST_F(ActionsClusterTest, BothReplicasSpendOneSharedPoolPerEndpointFamily) {
  BRAZESYNC_REQUIRE_POSTGRES();
  for (size_t r = 0; r < channels_.size(); ++r) {
    auto identity = v1::BrazeIdentity::NewStub(channels_[r]);
    v1::CreateAliasRequest alias;
    v1::NewUserAlias* new_alias = alias.add_user_aliases();
    new_alias->set_alias_label("chat");
    new_alias->set_alias_name(absl::StrCat("replica-", r));
    grpc::ClientContext alias_context;
    v1::IdentityResponse identity_response;
    grpc::Status status = identity->CreateAlias(&alias_context, alias, &identity_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(identity_response.results(0).status(), v1::ACTION_STATUS_ACCEPTED) << r;

    auto subscriptions = v1::BrazeSubscriptions::NewStub(channels_[r]);
    v1::SetSubscriptionStatusRequest consent;
    v1::SubscriptionGroupStatus* group = consent.add_subscription_groups();
    group->set_subscription_group_id("newsletter");
    group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
    group->add_external_ids(absl::StrCat("user-", r));
    grpc::ClientContext consent_context;
    v1::SetSubscriptionStatusResponse consent_response;
    status = subscriptions->SetSubscriptionStatus(&consent_context, consent, &consent_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(consent_response.results(0).status(), v1::ACTION_STATUS_ACCEPTED) << r;
  }
  // One row per pool, whichever replica spent it.
  EXPECT_EQ(BudgetRows("sandbox/identity"), 1);
  EXPECT_EQ(BudgetRows("sandbox/subscriptions"), 1);
  EXPECT_EQ(emulator_->stats().by_status.count(429), 0u);
}

}  // namespace
}  // namespace brazesync
