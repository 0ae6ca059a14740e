// Cluster mode end to end for the identity, messaging and subscription
// services: two real servers on one throwaway PostgreSQL (the `postgres`
// ctest fixture) and the Braze emulator. Calls through either replica spend
// the same per-workspace rate pools: one shared row of bs_rate_budget per
// Braze endpoint family (docs/actions.md, "Rate pools"; case 159).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/identity.grpc.pb.h"
#include "brazesync/v1/messaging.grpc.pb.h"
#include "brazesync/v1/subscriptions.grpc.pb.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/integration/cluster_replicas.h"
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
    replicas_.Start(database_->uri(), emulator_->base_url(), kApiKey);
  }

  void TearDown() override {
    replicas_.Stop();
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
  testing_support::ClusterReplicas replicas_;
};

TEST_F(ActionsClusterTest, BothReplicasSpendOneSharedPoolPerEndpointFamily) {
  BRAZESYNC_REQUIRE_POSTGRES();
  for (size_t r = 0; r < replicas_.channels.size(); ++r) {
    auto identity = v1::BrazeIdentity::NewStub(replicas_.channels[r]);
    v1::CreateAliasRequest alias;
    v1::NewUserAlias* new_alias = alias.add_user_aliases();
    new_alias->set_alias_label("chat");
    new_alias->set_alias_name(absl::StrCat("replica-", r));
    grpc::ClientContext alias_context;
    v1::IdentityResponse identity_response;
    grpc::Status status = identity->CreateAlias(&alias_context, alias, &identity_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(identity_response.results(0).status(), v1::ACTION_STATUS_ACCEPTED) << r;

    auto subscriptions = v1::BrazeSubscriptions::NewStub(replicas_.channels[r]);
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
