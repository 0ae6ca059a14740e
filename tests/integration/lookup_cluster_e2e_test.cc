// Cluster mode end to end for BrazeLookup: two real servers on one throwaway
// PostgreSQL (the `postgres` ctest fixture) and the Braze emulator, whose
// export lags writes by 30 s. A profile tracked through replica A is seen
// by a lookup on replica B (read-your-writes shared through
// bs_recent_writes), and the export budget both replicas spend is one shared
// row of bs_rate_budget.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "brazesync/v1/lookup.grpc.pb.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/integration/cluster_replicas.h"
#include "tests/server/testing/postgres_test_database.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

constexpr char kApiKey[] = "lookup-cluster-key";

class LookupClusterTest : public testing_support::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (database_ == nullptr) return;  // skipped
    emulator::EmulatorOptions emulator_options;
    emulator_options.api_key = kApiKey;
    emulator_options.export_lag = absl::Seconds(30);
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    replicas_.Start(database_->uri(), emulator_->base_url(), kApiKey);
  }

  void TearDown() override {
    replicas_.Stop();
    if (emulator_ != nullptr) emulator_->Stop();
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  testing_support::ClusterReplicas replicas_;
};

TEST_F(LookupClusterTest, AWriteThroughOneReplicaIsSeenByALookupOnTheOther) {
  BRAZESYNC_REQUIRE_POSTGRES();
  v1::TrackRequest track;
  v1::UserProfile* profile = track.add_attributes();
  profile->mutable_user()->set_external_id("visitor-7");
  profile->set_first_name("Grace");
  (*profile->mutable_custom_attributes())["tier"].set_string_value("gold");
  {
    grpc::ClientContext context;
    v1::TrackResult result;
    grpc::Status status =
        v1::BrazeSync::NewStub(replicas_.channels[0])->Track(&context, track, &result);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(result.outcome(), v1::OUTCOME_DELIVERED);
  }

  auto lookup_b = v1::BrazeLookup::NewStub(replicas_.channels[1]);
  v1::LookupUsersRequest request;
  request.add_external_ids("visitor-7");
  request.mutable_max_wait()->set_seconds(5);
  v1::LookupUsersResponse seen;
  // Replica B learns A's write by polling bs_recent_writes (every 50 ms).
  ASSERT_TRUE(testing_support::Eventually([&] {
    grpc::ClientContext context;
    v1::LookupUsersResponse response;
    if (!lookup_b->LookupUsers(&context, request, &response).ok()) return false;
    if (response.results_size() != 1 || response.results(0).outcome() != v1::LOOKUP_OUTCOME_FOUND) {
      return false;
    }
    seen = response;
    return true;
  }));
  EXPECT_TRUE(seen.results(0).pending_own_write());
  EXPECT_EQ(seen.users(0).first_name(), "Grace");
  EXPECT_EQ(seen.users(0).custom_attributes().fields().at("tier").string_value(), "gold");

  // The export budget B spent is the cluster's shared row.
  absl::StatusOr<PgResult> budget =
      check_->Exec("export budget", "SELECT count(*) FROM bs_rate_budget WHERE key = $1",
                   {PgParam::Text("sandbox/users/export/ids")});
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_EQ(budget->Int(0, 0), 1);
}

}  // namespace
}  // namespace brazesync
