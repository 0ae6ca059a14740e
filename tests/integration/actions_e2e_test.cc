// End-to-end tests of brazesync.v1.BrazeIdentity, BrazeMessaging and
// BrazeSubscriptions: the real gRPC server and libcurl calling the Braze
// emulator's identity, trigger and subscription endpoints over loopback
// HTTP, with the braze-api-round2.md §5 cases that concern them: chunking
// (97, 110, 111, 130, 152), honest results for Braze's no-op successes (95,
// 96, 104, 116, 119, 138, 139), dependent merges in order (113), one call
// per delete kind (117), lookups that see deletes at once (119), per-item
// Braze errors (122, 126), duplicates collapsed (131), validation before
// sending (103, 128), the per-audience broadcast pool (144), emails and
// phones apart (148), the shared identity pool (159), no blind retry of a
// trigger, and a refused key (162).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.grpc.pb.h"
#include "brazesync/v1/identity.grpc.pb.h"
#include "brazesync/v1/lookup.grpc.pb.h"
#include "brazesync/v1/messaging.grpc.pb.h"
#include "brazesync/v1/subscriptions.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "server/config/workspace.h"
#include "server/http/curl_http_client.h"
#include "server/server.h"
#include "tests/emulator/braze_emulator.h"

namespace brazesync {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kApiKey[] = "actions-e2e-key";

std::vector<int> Warnings(const v1::ActionResult& result) {
  return {result.warnings().begin(), result.warnings().end()};
}

class ActionsEndToEndTest : public ::testing::Test {
 protected:
  // Starts the emulator with `emulator_options` (api_key set here) and a
  // server on it whose one workspace `configure` may adjust.
  void Start(emulator::EmulatorOptions emulator_options = {},
             const std::function<void(v1::WorkspaceConfig*)>& configure = nullptr) {
    emulator_options.api_key = kApiKey;
    emulator_ = std::make_unique<emulator::BrazeEmulator>(emulator_options);
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("sandbox");
    workspace->set_endpoint(emulator_->base_url());
    workspace->set_api_key_env("E2E_KEY");
    workspace->set_request_timeout_ms(2000);
    workspace->set_max_attempts(2);
    if (configure) configure(workspace);
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return kApiKey; });
    ASSERT_TRUE(registry.ok()) << registry.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    identity_ = v1::BrazeIdentity::NewStub(channel_);
    messaging_ = v1::BrazeMessaging::NewStub(channel_);
    subscriptions_ = v1::BrazeSubscriptions::NewStub(channel_);
    lookup_ = v1::BrazeLookup::NewStub(channel_);
    track_ = v1::BrazeSync::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    if (emulator_ != nullptr) emulator_->Stop();
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return context;
  }

  // Requests the emulator received on `path`, in order.
  std::vector<nlohmann::json> BodiesTo(const std::string& path) const {
    std::vector<nlohmann::json> bodies;
    for (const auto& request : emulator_->requests()) {
      if (request.path == path) bodies.push_back(nlohmann::json::parse(request.body));
    }
    return bodies;
  }

  // The emulator's GET admin or Braze endpoint `path`, as JSON.
  nlohmann::json Get(const std::string& path) const {
    httplib::Client client("127.0.0.1", emulator_->port());
    httplib::Result result =
        client.Get(path, {{"Authorization", absl::StrCat("Bearer ", kApiKey)}});
    EXPECT_TRUE(result) << path;
    if (!result) return nullptr;
    EXPECT_EQ(result->status, 200) << path << ": " << result->body;
    return nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  }

  // Messages the emulated Braze sent (triggers), in order.
  nlohmann::json Messages() const { return Get("/_emulator/messages"); }

  void TrackProfile(const std::string& external_id, const std::string& first_name) {
    v1::TrackRequest request;
    v1::UserProfile* profile = request.add_attributes();
    profile->mutable_user()->set_external_id(external_id);
    profile->set_first_name(first_name);
    v1::TrackResult result;
    grpc::Status status = track_->Track(Context().get(), request, &result);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(result.outcome(), v1::OUTCOME_DELIVERED);
  }

  // A REFRESH lookup of one external id (asks Braze, bypassing the cache).
  v1::LookupUsersResponse LookupExternalId(const std::string& external_id,
                                           v1::CachePolicy policy = v1::CACHE_POLICY_REFRESH) {
    v1::LookupUsersRequest request;
    request.add_external_ids(external_id);
    request.add_fields_to_export("external_id");
    request.add_fields_to_export("first_name");
    request.add_fields_to_export("user_aliases");
    request.add_fields_to_export("custom_attributes");
    request.set_cache_policy(policy);
    request.mutable_max_wait()->set_seconds(5);
    v1::LookupUsersResponse response;
    grpc::Status status = lookup_->LookupUsers(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static v1::Recipient ExternalRecipient(const std::string& external_id) {
    v1::Recipient recipient;
    recipient.set_external_user_id(external_id);
    return recipient;
  }

  std::unique_ptr<emulator::BrazeEmulator> emulator_;
  std::unique_ptr<BrazeSyncServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BrazeIdentity::Stub> identity_;
  std::unique_ptr<v1::BrazeMessaging::Stub> messaging_;
  std::unique_ptr<v1::BrazeSubscriptions::Stub> subscriptions_;
  std::unique_ptr<v1::BrazeLookup::Stub> lookup_;
  std::unique_ptr<v1::BrazeSync::Stub> track_;
};

// ---- Identity ----

// Cases 95, 96, 97: any count is split into calls of 50, and Braze's
// "success" is reported as accepted, possibly a no-op.
TEST_F(ActionsEndToEndTest, FiftyOneAliasesGoInTwoCallsAndComeBackAcceptedNotCreated) {
  Start();
  v1::CreateAliasRequest request;
  for (int i = 0; i < 51; ++i) {
    v1::NewUserAlias* alias = request.add_user_aliases();
    alias->set_alias_label("chat");
    alias->set_alias_name(absl::StrCat("visitor-", i));
  }
  v1::IdentityResponse response;
  grpc::Status status = identity_->CreateAlias(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<nlohmann::json> calls = BodiesTo("/users/alias/new");
  ASSERT_THAT(calls, SizeIs(2));
  EXPECT_THAT(calls[0]["user_aliases"], SizeIs(50));
  EXPECT_THAT(calls[1]["user_aliases"], SizeIs(1));
  ASSERT_THAT(response.results(), SizeIs(51));
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.array(), "user_aliases");
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
    EXPECT_THAT(Warnings(result), Contains(v1::ACTION_WARNING_SUCCESS_MAY_BE_NOOP));
  }
  EXPECT_EQ(response.results(50).braze_call(), 1);
  EXPECT_EQ(response.aliases_processed(), 51);
  ASSERT_THAT(response.braze_calls(), SizeIs(2));
  EXPECT_EQ(response.braze_calls(0).endpoint(), "/users/alias/new");
}

// The partner's anonymous visitor: tracked under an alias, then logged in.
TEST_F(ActionsEndToEndTest, AnAnonymousVisitorWhoLogsInKeepsWhatTheConversationCollected) {
  Start();
  v1::TrackRequest track;
  v1::UserProfile* visitor = track.add_attributes();
  visitor->mutable_user()->mutable_user_alias()->set_alias_label("chat_session");
  visitor->mutable_user()->mutable_user_alias()->set_alias_name("session-77");
  visitor->set_update_existing_only(false);
  (*visitor->mutable_custom_attributes())["favourite_plan"].set_string_value("premium");
  v1::TrackResult tracked;
  ASSERT_TRUE(track_->Track(Context().get(), track, &tracked).ok());
  ASSERT_EQ(tracked.outcome(), v1::OUTCOME_DELIVERED);
  TrackProfile("customer-77", "Grace");

  v1::IdentifyUsersRequest identify;
  v1::AliasToIdentify* item = identify.add_aliases_to_identify();
  item->set_external_id("customer-77");
  item->mutable_user_alias()->set_alias_label("chat_session");
  item->mutable_user_alias()->set_alias_name("session-77");
  v1::IdentityResponse response;
  grpc::Status status = identity_->IdentifyUsers(Context().get(), identify, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(response.results(), SizeIs(1));
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(Warnings(response.results(0)), Contains(v1::ACTION_WARNING_MERGE_NOT_GUARANTEED));

  const v1::LookupUsersResponse found = LookupExternalId("customer-77");
  ASSERT_THAT(found.users(), SizeIs(1));
  EXPECT_EQ(found.users(0).first_name(), "Grace");
  EXPECT_EQ(found.users(0).custom_attributes().fields().at("favourite_plan").string_value(),
            "premium");
}

// Case 103: refused before anything is sent, with the field's path.
TEST_F(ActionsEndToEndTest, AnInvalidPrioritizationIsRefusedBeforeSending) {
  Start();
  v1::IdentifyUsersRequest request;
  v1::EmailToIdentify* item = request.add_emails_to_identify();
  item->set_external_id("u1");
  item->set_email("ada@example.com");
  item->add_prioritization(v1::PRIORITIZATION_MOST_RECENTLY_UPDATED);
  item->add_prioritization(v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED);
  v1::IdentityResponse response;
  grpc::Status status = identity_->IdentifyUsers(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("emails_to_identify[0].prioritization"));
  EXPECT_THAT(BodiesTo("/users/identify"), SizeIs(0));
}

// Case 113: A into B and B into C go in two calls, in order; sent in one
// call the emulator (like Braze) may apply them in the other order.
TEST_F(ActionsEndToEndTest, DependentMergesAreSentOneAfterTheOther) {
  Start();
  TrackProfile("merge-a", "Ann");
  TrackProfile("merge-b", "Bob");
  TrackProfile("merge-c", "Cy");
  v1::MergeUsersRequest request;
  v1::MergeUpdate* first = request.add_merge_updates();
  first->mutable_identifier_to_merge()->set_external_id("merge-a");
  first->mutable_identifier_to_keep()->set_external_id("merge-b");
  v1::MergeUpdate* second = request.add_merge_updates();
  second->mutable_identifier_to_merge()->set_external_id("merge-b");
  second->mutable_identifier_to_keep()->set_external_id("merge-c");
  v1::IdentityResponse response;
  grpc::Status status = identity_->MergeUsers(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<nlohmann::json> calls = BodiesTo("/users/merge");
  ASSERT_THAT(calls, SizeIs(2));
  EXPECT_EQ(calls[0]["merge_updates"][0]["identifier_to_merge"]["external_id"], "merge-a");
  EXPECT_EQ(calls[1]["merge_updates"][0]["identifier_to_merge"]["external_id"], "merge-b");
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
    EXPECT_THAT(Warnings(result), Contains(v1::ACTION_WARNING_QUEUED));  // 202 (case 116)
  }
  EXPECT_THAT(LookupExternalId("merge-a").users(), SizeIs(0));
  EXPECT_THAT(LookupExternalId("merge-b").users(), SizeIs(0));
  EXPECT_THAT(LookupExternalId("merge-c").users(), SizeIs(1));
}

// Cases 117 and 119: one call per identifier kind; the deleted user is
// gone from lookups at once, without asking Braze again.
TEST_F(ActionsEndToEndTest, DeleteSendsOneCallPerKindAndLookupsSeeTheUserGone) {
  Start();
  TrackProfile("leaving-1", "Lee");
  ASSERT_THAT(LookupExternalId("leaving-1").users(), SizeIs(1));

  v1::DeleteUsersRequest request;
  request.add_external_ids("leaving-1");
  v1::UserAlias* alias = request.add_user_aliases();
  alias->set_alias_label("chat_session");
  alias->set_alias_name("gone-9");
  request.set_confirm_irreversible(true);
  v1::IdentityResponse response;
  grpc::Status status = identity_->DeleteUsers(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<nlohmann::json> calls = BodiesTo("/users/delete");
  ASSERT_THAT(calls, SizeIs(2));
  EXPECT_TRUE(calls[0].contains("external_ids") != calls[0].contains("user_aliases"));
  ASSERT_THAT(response.results(), SizeIs(2));
  EXPECT_EQ(response.results(0).array(), "external_ids");
  EXPECT_EQ(response.results(1).array(), "user_aliases");
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
    EXPECT_THAT(Warnings(result), Contains(v1::ACTION_WARNING_QUEUED));
  }

  const size_t exports_before = BodiesTo("/users/export/ids").size();
  const v1::LookupUsersResponse gone = LookupExternalId("leaving-1", v1::CACHE_POLICY_PREFER_CACHE);
  ASSERT_THAT(gone.results(), SizeIs(1));
  EXPECT_EQ(gone.results(0).outcome(), v1::LOOKUP_OUTCOME_NOT_FOUND);
  EXPECT_TRUE(gone.results(0).from_cache());
  EXPECT_EQ(BodiesTo("/users/export/ids").size(), exports_before);
}

TEST_F(ActionsEndToEndTest, DeleteNeedsConfirmIrreversible) {
  Start();
  v1::DeleteUsersRequest request;
  request.add_external_ids("u1");
  v1::IdentityResponse response;
  grpc::Status status = identity_->DeleteUsers(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("confirm_irreversible"));
  EXPECT_THAT(BodiesTo("/users/delete"), SizeIs(0));
}

// Cases 122 and 126: Braze's per-item errors land on the right items.
TEST_F(ActionsEndToEndTest, RenameAndRemoveReportBrazesVerdictPerItem) {
  Start();
  TrackProfile("old-id", "Olga");
  TrackProfile("taken-id", "Tim");
  v1::RenameExternalIdsRequest rename;
  v1::ExternalIdRename* ok = rename.add_external_id_renames();
  ok->set_current_external_id("old-id");
  ok->set_new_external_id("new-id");
  v1::ExternalIdRename* taken = rename.add_external_id_renames();
  taken->set_current_external_id("taken-id");
  taken->set_new_external_id("new-id-2");
  v1::ExternalIdRename* clash = rename.add_external_id_renames();
  clash->set_current_external_id("new-id-2");
  clash->set_new_external_id("old-id");
  v1::IdentityResponse renamed;
  grpc::Status status = identity_->RenameExternalIds(Context().get(), rename, &renamed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(renamed.results(), SizeIs(3));
  EXPECT_EQ(renamed.results(0).status(), v1::ACTION_STATUS_APPLIED);
  EXPECT_EQ(renamed.results(1).status(), v1::ACTION_STATUS_APPLIED);
  // old-id is now deprecated: in use.
  EXPECT_EQ(renamed.results(2).status(), v1::ACTION_STATUS_REJECTED_BY_BRAZE);
  EXPECT_THAT(renamed.results(2).braze_error(), HasSubstr("in use"));
  EXPECT_THAT(renamed.external_ids(), ElementsAre("old-id", "taken-id"));

  v1::RemoveExternalIdsRequest remove;
  remove.add_external_ids("old-id");  // deprecated: removable
  remove.add_external_ids("new-id");  // primary: refused (case 126)
  v1::IdentityResponse removed;
  status = identity_->RemoveExternalIds(Context().get(), remove, &removed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(removed.results(), SizeIs(2));
  EXPECT_EQ(removed.results(0).status(), v1::ACTION_STATUS_APPLIED);
  EXPECT_EQ(removed.results(1).status(), v1::ACTION_STATUS_REJECTED_BY_BRAZE);
  EXPECT_THAT(removed.removed_ids(), ElementsAre("old-id"));
}

// Case 159: alias, identify, merge and delete spend one pool; a call with
// no room before its deadline is DEFERRED, never sent into a 429.
TEST_F(ActionsEndToEndTest, TheIdentityEndpointsShareOneRatePool) {
  Start({}, [](v1::WorkspaceConfig* workspace) {
    workspace->mutable_actions()->set_identity_requests_per_minute(2);
    workspace->mutable_actions()->set_max_wait_ms(200);
  });
  v1::IdentityResponse response;
  v1::CreateAliasRequest alias;
  v1::NewUserAlias* new_alias = alias.add_user_aliases();
  new_alias->set_alias_label("chat");
  new_alias->set_alias_name("pool-1");
  ASSERT_TRUE(identity_->CreateAlias(Context().get(), alias, &response).ok());
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);

  v1::DeleteUsersRequest remove;
  remove.add_external_ids("pool-2");
  remove.set_confirm_irreversible(true);
  ASSERT_TRUE(identity_->DeleteUsers(Context().get(), remove, &response).ok());
  v1::DeleteUsersRequest again = remove;
  again.set_external_ids(0, "pool-3");
  ASSERT_TRUE(identity_->DeleteUsers(Context().get(), again, &response).ok());

  // Two of the three calls had room; the third waited 200 ms and gave up.
  const size_t sent = BodiesTo("/users/alias/new").size() + BodiesTo("/users/delete").size();
  EXPECT_LE(sent, 2u);
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_DEFERRED);
  EXPECT_GT(response.results(0).retry_after().seconds(), 0);
  EXPECT_EQ(emulator_->stats().by_status.count(429), 0u);
}

// Case 162: a key without the endpoint's permission is the server's
// configuration to fix, named in the error.
TEST_F(ActionsEndToEndTest, AKeyWithoutThePermissionIsAFailedPrecondition) {
  emulator::EmulatorOptions options;
  options.denied_permissions = {"users.merge"};
  Start(options);
  v1::MergeUsersRequest request;
  v1::MergeUpdate* update = request.add_merge_updates();
  update->mutable_identifier_to_merge()->set_external_id("x");
  update->mutable_identifier_to_keep()->set_external_id("y");
  v1::IdentityResponse response;
  grpc::Status status = identity_->MergeUsers(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("users.merge"));
}

// ---- Messaging ----

// The partner's retargeting: the conversation ends, its profile and context
// reach Braze, and the Canvas receives the context.
TEST_F(ActionsEndToEndTest, ACanvasTriggeredAfterAConversationCarriesItsContext) {
  Start();
  TrackProfile("shopper-1", "Sam");
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("abandoned-chat");
  (*request.mutable_context()->mutable_fields())["channel"].set_string_value("chat");
  v1::Recipient* recipient = request.add_recipients();
  recipient->set_external_user_id("shopper-1");
  (*recipient->mutable_context()->mutable_fields())["last_intent"].set_string_value("upgrade_plan");
  (*recipient->mutable_attributes()->mutable_custom_attributes())["last_intent"].set_string_value(
      "upgrade_plan");
  v1::TriggerResponse response;
  grpc::Status status = messaging_->TriggerCanvas(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(response.dispatch_ids(), SizeIs(1));
  ASSERT_THAT(response.results(), SizeIs(1));
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  // Case 139: Braze does not say whether the user exists.
  EXPECT_THAT(Warnings(response.results(0)),
              Contains(v1::ACTION_WARNING_RECIPIENT_EXISTENCE_NOT_CHECKED));

  const nlohmann::json messages = Messages();
  ASSERT_EQ(messages.size(), 1u) << messages.dump();
  EXPECT_EQ(messages[0]["canvas_id"], "abandoned-chat");
  EXPECT_EQ(messages[0]["external_id"], "shopper-1");
  EXPECT_EQ(messages[0]["properties"]["channel"], "chat");
  EXPECT_EQ(messages[0]["properties"]["last_intent"], "upgrade_plan");
  EXPECT_EQ(messages[0]["properties_key"], "context");
  // The attributes are BrazeSync's own write: lookups see them at once.
  const v1::LookupUsersResponse found = LookupExternalId("shopper-1");
  ASSERT_THAT(found.users(), SizeIs(1));
  EXPECT_EQ(found.users(0).custom_attributes().fields().at("last_intent").string_value(),
            "upgrade_plan");
}

// Cases 130 and 131: 120 recipients with one user listed twice: deduped
// across the whole request, then 3 calls; the last entry's context wins.
TEST_F(ActionsEndToEndTest, ManyRecipientsAreDedupedThenSentInCallsOfFifty) {
  Start();
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("welcome");
  for (int i = 0; i < 120; ++i) {
    v1::Recipient* recipient = request.add_recipients();
    recipient->set_external_user_id(absl::StrCat("r-", i == 119 ? 0 : i));
    recipient->set_send_to_existing_only(false);
    recipient->mutable_attributes()->set_first_name(absl::StrCat("R", i));
    (*recipient->mutable_context()->mutable_fields())["n"].set_number_value(i);
  }
  v1::TriggerResponse response;
  grpc::Status status = messaging_->TriggerCanvas(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(response.results(), SizeIs(120));
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_DUPLICATE);
  EXPECT_FALSE(response.results(0).has_braze_call());
  EXPECT_EQ(response.results(119).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(Warnings(response.results(119)), Contains(v1::ACTION_WARNING_REPLACES_EARLIER_ENTRY));
  const std::vector<nlohmann::json> calls = BodiesTo("/canvas/trigger/send");
  ASSERT_THAT(calls, SizeIs(3));
  size_t recipients = 0;
  for (const nlohmann::json& call : calls) {
    EXPECT_LE(call["recipients"].size(), 50u);
    recipients += call["recipients"].size();
  }
  EXPECT_EQ(recipients, 119u);
  EXPECT_THAT(response.dispatch_ids(), SizeIs(3));
  const nlohmann::json messages = Messages();
  ASSERT_EQ(messages.size(), 119u);
  for (const nlohmann::json& message : messages) {
    if (message["external_id"] == "r-0") EXPECT_EQ(message["properties"]["n"], 119);
  }
}

// Case 138: Braze's "success" for a paused Canvas sends nothing.
TEST_F(ActionsEndToEndTest, APausedCanvasIsAcceptedWithItsNoticeAndNothingIsSent) {
  emulator::EmulatorOptions options;
  options.canvas_states = {{"paused-canvas", "paused"}};
  Start(options);
  TrackProfile("p-1", "Pat");
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("paused-canvas");
  *request.add_recipients() = ExternalRecipient("p-1");
  v1::TriggerResponse response;
  grpc::Status status = messaging_->TriggerCanvas(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(Warnings(response.results(0)), Contains(v1::ACTION_WARNING_CANVAS_NOT_ACTIVE));
  ASSERT_THAT(response.braze_calls(), SizeIs(1));
  EXPECT_THAT(response.braze_calls(0).notice(), HasSubstr("paused"));
  EXPECT_EQ(Messages().size(), 0u);
}

// Case 128.
TEST_F(ActionsEndToEndTest, BroadcastWithRecipientsIsInvalid) {
  Start();
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("promo");
  request.set_broadcast(true);
  *request.add_recipients() = ExternalRecipient("u1");
  v1::TriggerResponse response;
  grpc::Status status = messaging_->TriggerCampaign(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("broadcast"));
  EXPECT_THAT(BodiesTo("/campaigns/trigger/send"), SizeIs(0));
}

// Case 144: broadcasts of one campaign and audience spend their own pool.
TEST_F(ActionsEndToEndTest, TheSecondBroadcastToTheSameAudienceWaitsForItsPool) {
  Start({}, [](v1::WorkspaceConfig* workspace) {
    workspace->mutable_actions()->set_broadcast_requests_per_audience_per_minute(1);
    workspace->mutable_actions()->set_max_wait_ms(200);
  });
  v1::TriggerCampaignRequest request;
  request.set_campaign_id("promo");
  request.set_broadcast(true);
  v1::TriggerResponse first;
  ASSERT_TRUE(messaging_->TriggerCampaign(Context().get(), request, &first).ok());
  EXPECT_EQ(first.results(0).array(), "broadcast");
  EXPECT_EQ(first.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  v1::TriggerResponse second;
  ASSERT_TRUE(messaging_->TriggerCampaign(Context().get(), request, &second).ok());
  EXPECT_EQ(second.results(0).status(), v1::ACTION_STATUS_DEFERRED);
  // Another campaign has its own audience pool.
  request.set_campaign_id("other-promo");
  v1::TriggerResponse third;
  ASSERT_TRUE(messaging_->TriggerCampaign(Context().get(), request, &third).ok());
  EXPECT_EQ(third.results(0).status(), v1::ACTION_STATUS_ACCEPTED);
  EXPECT_THAT(BodiesTo("/campaigns/trigger/send"), SizeIs(2));
}

// A trigger that may have reached Braze is never sent again: a retry could
// message the user twice.
TEST_F(ActionsEndToEndTest, ATriggerIsNotRetriedAfterAServerError) {
  Start();
  emulator::Faults faults;
  faults.fail_next = 1;
  faults.fail_next_status = 503;
  emulator_->SetFaults(faults);
  v1::TriggerCanvasRequest request;
  request.set_canvas_id("welcome");
  *request.add_recipients() = ExternalRecipient("u1");
  v1::TriggerResponse response;
  grpc::Status status = messaging_->TriggerCanvas(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.results(0).status(), v1::ACTION_STATUS_FAILED);
  EXPECT_FALSE(response.results(0).retryable());
  EXPECT_THAT(BodiesTo("/canvas/trigger/send"), SizeIs(1));
  ASSERT_THAT(response.braze_calls(), SizeIs(1));
  EXPECT_EQ(response.braze_calls(0).attempts(), 1);
}

// ---- Subscriptions ----

// Cases 148 and 152: emails and phones in separate calls; 51 ids split.
TEST_F(ActionsEndToEndTest, EmailsAndPhonesGoInSeparateCallsAndLongListsAreSplit) {
  Start();
  TrackProfile("s-50", "Sue");
  v1::SetSubscriptionStatusRequest request;
  v1::SubscriptionGroupStatus* email_group = request.add_subscription_groups();
  email_group->set_subscription_group_id("newsletter");
  email_group->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  email_group->add_emails("ada@example.com");
  v1::SubscriptionGroupStatus* sms_group = request.add_subscription_groups();
  sms_group->set_subscription_group_id("sms-alerts");
  sms_group->set_subscription_state(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
  sms_group->add_phones("+12223334444");
  v1::SubscriptionGroupStatus* many = request.add_subscription_groups();
  many->set_subscription_group_id("newsletter");
  many->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  for (int i = 0; i < 51; ++i) many->add_external_ids(absl::StrCat("s-", i));
  v1::SetSubscriptionStatusResponse response;
  grpc::Status status = subscriptions_->SetSubscriptionStatus(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<nlohmann::json> calls = BodiesTo("/v2/subscription/status/set");
  ASSERT_GE(calls.size(), 2u);
  for (const nlohmann::json& call : calls) {
    bool emails = false;
    bool phones = false;
    for (const nlohmann::json& group : call["subscription_groups"]) {
      emails |= group.contains("emails");
      phones |= group.contains("phones");
      if (group.contains("external_ids")) EXPECT_LE(group["external_ids"].size(), 50u);
    }
    EXPECT_FALSE(emails && phones) << call.dump();
  }
  ASSERT_THAT(response.results(), SizeIs(3));
  for (const v1::ActionResult& result : response.results()) {
    EXPECT_EQ(result.status(), v1::ACTION_STATUS_ACCEPTED);
  }
  EXPECT_THAT(Warnings(response.results(0)), Contains(v1::ACTION_WARNING_FANOUT_BY_EMAIL_OR_PHONE));
  // Braze stored the 51st id's state (read back as Braze spells it).
  const nlohmann::json state = Get("/subscription/user/status?external_id=s-50");
  const nlohmann::json groups =
      state.value("/users/0/subscription_groups"_json_pointer, nlohmann::json::array());
  ASSERT_EQ(groups.size(), 1u) << state.dump();
  EXPECT_EQ(groups[0].value("status", ""), "Subscribed");
}

}  // namespace
}  // namespace brazesync
