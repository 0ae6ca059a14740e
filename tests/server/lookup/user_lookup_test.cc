// Tests of the LookupUsers use case with Braze faked: validation and the
// workspace, outcomes per identifier, the cache and its policies, the latency
// budget (DEFERRED, or stale data within max_stale), read-your-writes over
// an export that does not show the write yet, and Braze refusing the key.
#include "server/lookup/user_lookup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <utility>

#include "server/durability/memory_recent_writes.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing_support::FakeHttpClient;
using testing_support::Response;
using testing_support::StatusIs;

constexpr char kAda[] =
    R"({"message":"success","users":[{"external_id":"u1","braze_id":"b1","first_name":"Ada",
        "custom_attributes":{"tier":"gold"}}]})";
constexpr char kNobody[] = R"({"message":"success","users":[],"invalid_user_ids":["ghost"]})";

struct Answer {
  absl::Status status;
  v1::LookupUsersResponse response;
};

class UserLookupTest : public ::testing::Test {
 protected:
  UserLookupTest() {
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("sandbox");
    workspace->set_endpoint("http://braze.test");
    workspace->set_api_key_env("KEY");
    workspace->set_max_attempts(1);
    workspace->mutable_lookup()->set_pack_window_ms(1);
    registry_ = *WorkspaceRegistry::Create(config, [](const std::string&) { return "key-1"; });
    keys_ = std::make_unique<ApiKeySource>(registry_);
    lookup_ = std::make_unique<UserLookup>(&registry_, &http_, keys_.get(), &writes_, nullptr);
  }

  Answer Lookup(const v1::LookupUsersRequest& request,
                absl::Time deadline = absl::InfiniteFuture()) {
    std::promise<Answer> answered;
    lookup_->Lookup(request, deadline,
                    [&answered](absl::Status status, v1::LookupUsersResponse response) {
                      answered.set_value({std::move(status), std::move(response)});
                    });
    return answered.get_future().get();
  }

  static v1::LookupUsersRequest ById(const std::string& id) {
    v1::LookupUsersRequest request;
    request.add_external_ids(id);
    request.mutable_max_wait()->set_seconds(5);
    return request;
  }

  WorkspaceRegistry registry_;
  std::unique_ptr<ApiKeySource> keys_;
  FakeHttpClient http_;
  MemoryRecentWrites writes_{absl::Minutes(2)};
  std::unique_ptr<UserLookup> lookup_;
};

TEST_F(UserLookupTest, UnknownWorkspaceIsNotFound) {
  v1::LookupUsersRequest request = ById("u1");
  request.set_workspace("nope");
  EXPECT_THAT(Lookup(request).status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

TEST_F(UserLookupTest, InvalidRequestIsRejectedBeforeBraze) {
  v1::LookupUsersRequest request;
  request.add_fields_to_export("loyaltyPoints");
  request.add_external_ids("u1");
  EXPECT_THAT(Lookup(request).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fields_to_export[0]")));
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(UserLookupTest, FoundUserThenFromTheCache) {
  http_.Respond(200, kAda);
  const Answer first = Lookup(ById("u1"));
  ASSERT_TRUE(first.status.ok()) << first.status;
  ASSERT_THAT(first.response.results(), SizeIs(1));
  EXPECT_EQ(first.response.results(0).outcome(), v1::LOOKUP_OUTCOME_FOUND);
  EXPECT_FALSE(first.response.results(0).from_cache());
  EXPECT_TRUE(first.response.results(0).has_fetched_at());
  EXPECT_EQ(first.response.braze_requests(), 1);
  ASSERT_THAT(first.response.users(), SizeIs(1));
  EXPECT_EQ(first.response.users(0).first_name(), "Ada");
  // The workspace's default fields plus the identifying ones were asked for.
  const nlohmann::json fields = http_.Body(0)["fields_to_export"];
  EXPECT_NE(std::find(fields.begin(), fields.end(), "braze_id"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "custom_attributes"), fields.end());

  const Answer second = Lookup(ById("u1"));
  ASSERT_TRUE(second.status.ok());
  EXPECT_TRUE(second.response.results(0).from_cache());
  EXPECT_EQ(second.response.braze_requests(), 0);
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(UserLookupTest, RefreshAsksBrazeEvenWithAFreshEntry) {
  http_.Respond(200, kAda);
  ASSERT_TRUE(Lookup(ById("u1")).status.ok());
  v1::LookupUsersRequest request = ById("u1");
  request.set_cache_policy(v1::CACHE_POLICY_REFRESH);
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_FALSE(answer.response.results(0).from_cache());
  EXPECT_EQ(http_.request_count(), 2u);
}

TEST_F(UserLookupTest, UnknownUserIsNotFoundWithBrazesInvalidIds) {
  http_.Respond(200, kNobody);
  const Answer answer = Lookup(ById("ghost"));
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  EXPECT_THAT(answer.response.invalid_user_ids(), ElementsAre("ghost"));
  EXPECT_THAT(answer.response.users(), SizeIs(0));
}

TEST_F(UserLookupTest, CacheOnlyMissIsDeferredWithoutCallingBraze) {
  v1::LookupUsersRequest request = ById("u1");
  request.set_cache_policy(v1::CACHE_POLICY_CACHE_ONLY);
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_DEFERRED);
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(UserLookupTest, SlowBrazeIsDeferredAtMaxWaitAndTheAnswerLandsInTheCache) {
  http_.set_park(true);
  v1::LookupUsersRequest request = ById("u1");
  request.mutable_max_wait()->set_seconds(0);
  request.mutable_max_wait()->set_nanos(50'000'000);
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_DEFERRED);
  EXPECT_TRUE(answer.response.results(0).has_retry_after());

  ASSERT_TRUE(http_.AwaitParked(1));
  http_.ReleaseAll(Response(200, kAda));
  ASSERT_TRUE(testing_support::Eventually([&] {
    v1::LookupUsersRequest cached = ById("u1");
    cached.set_cache_policy(v1::CACHE_POLICY_CACHE_ONLY);
    return Lookup(cached).response.results(0).outcome() == v1::LOOKUP_OUTCOME_FOUND;
  }));
}

TEST_F(UserLookupTest, StaleDataWithinMaxStaleAnswersWhenBrazeIsSlow) {
  http_.Respond(200, kAda);
  ASSERT_TRUE(Lookup(ById("u1")).status.ok());
  http_.set_park(true);
  v1::LookupUsersRequest request = ById("u1");
  request.mutable_max_age()->set_nanos(1);  // the entry is too old to be fresh
  request.mutable_max_stale()->set_seconds(3600);
  request.mutable_max_wait()->set_nanos(50'000'000);
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_FOUND);
  EXPECT_TRUE(answer.response.results(0).from_cache());
  EXPECT_EQ(answer.response.users(0).first_name(), "Ada");
  http_.ReleaseAll(Response(200, kAda));
}

TEST_F(UserLookupTest, TheCallsDeadlineBoundsTheWait) {
  http_.set_park(true);
  const absl::Time started = absl::Now();
  const Answer answer = Lookup(ById("u1"), absl::Now() + absl::Milliseconds(100));
  EXPECT_LT(absl::Now() - started, absl::Seconds(2));
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_DEFERRED);
  http_.ReleaseAll(Response(200, kAda));
}

TEST_F(UserLookupTest, EmailSharedByTwoUsersIsAmbiguous) {
  http_.Respond(200, R"({"message":"success","users":[
      {"external_id":"u1","braze_id":"b1","email":"a@x.com"},
      {"external_id":"u2","braze_id":"b2","email":"a@x.com"}]})");
  v1::LookupUsersRequest request;
  request.set_email_address("a@x.com");
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).field(), "email_address");
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_AMBIGUOUS);
  EXPECT_THAT(answer.response.results(0).user_indexes(), ElementsAre(0, 1));
}

TEST_F(UserLookupTest, OwnWriteOverlaysAnExportThatDoesNotShowItYet) {
  writes_.Record("sandbox",
                 {RecentWrite{"external_id:u1", "attributes",
                              R"({"external_id":"u1","first_name":"Grace"})", absl::Now()}});
  http_.Respond(200, kAda);  // Braze's export still says Ada
  const Answer answer = Lookup(ById("u1"));
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.users(0).first_name(), "Grace");
  EXPECT_TRUE(answer.response.results(0).pending_own_write());
}

TEST_F(UserLookupTest, OwnWriteShowsOnlyTheFieldsAskedFor) {
  writes_.Record(
      "sandbox",
      {RecentWrite{"external_id:u1", "attributes",
                   R"({"external_id":"u1","first_name":"Grace","email":"g@x.com"})", absl::Now()}});
  http_.Respond(200, kAda);
  v1::LookupUsersRequest request = ById("u1");
  request.add_fields_to_export("first_name");
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.users(0).first_name(), "Grace");
  EXPECT_FALSE(answer.response.users(0).has_email());
}

TEST_F(UserLookupTest, OwnWriteToAnExportedNobodyIsFound) {
  writes_.Record("sandbox",
                 {RecentWrite{"external_id:ghost", "attributes",
                              R"({"external_id":"ghost","first_name":"New"})", absl::Now()}});
  http_.Respond(200, kNobody);
  const Answer answer = Lookup(ById("ghost"));
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_FOUND);
  EXPECT_TRUE(answer.response.results(0).pending_own_write());
  EXPECT_EQ(answer.response.users(0).first_name(), "New");
}

TEST_F(UserLookupTest, RefusedKeyFailsTheCall) {
  http_.Respond(403, R"({"message":"Access Denied"})");
  EXPECT_THAT(Lookup(ById("u1")).status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("users.export.ids")));
}

TEST_F(UserLookupTest, BrazeDownIsAnErrorPerIdentifier) {
  http_.Respond(503, R"({"message":"down"})");
  const Answer answer = Lookup(ById("u1"));
  ASSERT_TRUE(answer.status.ok());
  EXPECT_EQ(answer.response.results(0).outcome(), v1::LOOKUP_OUTCOME_ERROR);
  EXPECT_THAT(answer.response.results(0).error_message(), HasSubstr("503"));
}

TEST_F(UserLookupTest, ResultsFollowTheRequestsOrderWithIndexes) {
  http_.Respond(200, kNobody);
  v1::LookupUsersRequest request;
  request.add_external_ids("x1");
  request.add_external_ids("x2");
  v1::UserAlias* alias = request.add_user_aliases();
  alias->set_alias_name("Bob@x");
  alias->set_alias_label("email");
  const Answer answer = Lookup(request);
  ASSERT_TRUE(answer.status.ok());
  ASSERT_THAT(answer.response.results(), SizeIs(3));
  EXPECT_EQ(answer.response.results(0).field(), "external_ids");
  EXPECT_EQ(answer.response.results(1).index(), 1);
  EXPECT_EQ(answer.response.results(2).field(), "user_aliases");
  EXPECT_EQ(answer.response.results(2).index(), 0);
  // The alias went to Braze with its case kept.
  bool alias_sent = false;
  for (size_t i = 0; i < http_.request_count(); ++i) {
    const nlohmann::json body = http_.Body(i);
    if (body.contains("user_aliases")) {
      EXPECT_EQ(body["user_aliases"][0]["alias_name"], "Bob@x");
      alias_sent = true;
    }
  }
  EXPECT_TRUE(alias_sent);
}

}  // namespace
}  // namespace brazesync
