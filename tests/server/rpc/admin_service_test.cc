// Tests for server/rpc/admin_service.h through gRPC: an in-process server on
// 127.0.0.1:0 (insecure) serving AdminService over a real SQLite outbox and
// DeadLetterStore in a temporary directory, called through the generated
// BrazeSyncAdmin stub with default channel settings, as any client would.
// Every rpc is exercised: its answer mapped from the store (every field),
// its INVALID_ARGUMENT / NOT_FOUND answers, FAILED_PRECONDITION without an
// outbox, and ListDeadLetters paging over a letter larger than gRPC's
// default 4 MiB receive limit (each page stays under the page budget; the
// letter's JSON is omitted from the list and read whole with GetDeadLetter).
//
// Dead letters are made directly in the outbox (Accept, then a kDead
// report); no relay runs. Nothing sleeps to synchronise.
#include "server/rpc/admin_service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/admin.grpc.pb.h"
#include "brazesync/v1/config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/workspace.h"
#include "server/durability/sqlite_dead_letter_store.h"
#include "server/durability/sqlite_outbox.h"
#include "server/ops/call_log.h"
#include "server/rpc/call_gate.h"
#include "server/security/caller_auth.h"
#include "tests/server/durability/outbox_test_support.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using outbox_testing::AcceptNow;
using outbox_testing::Delivered;
using outbox_testing::EventItem;
using outbox_testing::kOtherWorkspace;
using outbox_testing::kWorkspace;
using outbox_testing::ProfileItem;
using outbox_testing::ReportNow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing_support::kWait;

// gRPC's default max receive message size (what a client gets unless it
// raises it).
constexpr size_t kDefaultReceiveLimit = 4 * 1024 * 1024;
// A letter whose Braze JSON alone is over the default receive limit.
constexpr size_t kHugeNotes = 5 * 1024 * 1024;
// Letters of which two fit a page, but not three.
constexpr size_t kQuarterPageNotes = 400 * 1024;
constexpr char kReason[] = "rejected by Braze: invalid";

// Matches a grpc::Status with `code` whose message contains `text`.
MATCHER_P2(GrpcStatusIs, code, text, "") {
  if (arg.error_code() != code) {
    *result_listener << "code is " << arg.error_code() << " (" << arg.error_message() << ")";
    return false;
  }
  return ::testing::ExplainMatchResult(HasSubstr(text), arg.error_message(), result_listener);
}

std::vector<int64_t> Ids(const v1::ListDeadLettersResponse& response) {
  std::vector<int64_t> ids;
  for (const v1::DeadLetter& letter : response.dead_letters()) ids.push_back(letter.id());
  return ids;
}

class AdminServiceTest : public outbox_testing::OutboxFixture {
 protected:
  void SetUp() override {
    OutboxFixture::SetUp();
    v1::ServerConfig config;
    for (const char* name : {kWorkspace, kOtherWorkspace}) {
      v1::WorkspaceConfig* workspace = config.add_workspaces();
      workspace->set_name(name);
      workspace->set_endpoint("https://rest.iad-01.braze.com");
    }
    config.set_default_workspace(kWorkspace);
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return std::string("key"); });
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_.emplace(*std::move(registry));
    StartServer(store_.get());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Serves an AdminService over `store` (null: no data directory).
  void StartServer(DeadLetterStore* store) {
    // No callers: authentication is off until a test Replace()s them in.
    callers_ = std::make_unique<CallerAuthenticator>(CallerRegistry());
    gate_ = std::make_unique<CallGate>(callers_.get(), &*registry_, nullptr, 0);
    log_ = std::make_unique<CallLog>(nullptr, nullptr, &*registry_);
    service_ = std::make_unique<AdminService>(store, &*registry_, gate_.get(), log_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    stub_ = v1::BrazeSyncAdmin::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

  // A stub whose channel accepts answers of any size, as `brazesync
  // dead-letters show` uses.
  std::unique_ptr<v1::BrazeSyncAdmin::Stub> UnlimitedStub() const {
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);
    return v1::BrazeSyncAdmin::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials(), arguments));
  }

  // Calls `method` of `stub` (default: the default-channel stub) with a
  // deadline.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::BrazeSyncAdmin::Stub::*method)(grpc::ClientContext*,
                                                                     const Request&, Response*),
                    const Request& request, Response* response,
                    v1::BrazeSyncAdmin::Stub* stub = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
    if (!token_.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    return ((stub != nullptr ? stub : stub_.get())->*method)(&context, request, response);
  }

  grpc::Status GetItemStatus(const std::string& workspace, const std::string& item_id,
                             v1::ItemState* state) {
    v1::GetItemStatusRequest request;
    request.set_workspace(workspace);
    request.set_item_id(item_id);
    return Call(&v1::BrazeSyncAdmin::Stub::GetItemStatus, request, state);
  }

  grpc::Status List(const std::string& workspace, int page_size, int64_t after_id,
                    v1::ListDeadLettersResponse* page) {
    v1::ListDeadLettersRequest request;
    request.set_workspace(workspace);
    request.set_page_size(page_size);
    request.set_after_id(after_id);
    return Call(&v1::BrazeSyncAdmin::Stub::ListDeadLetters, request, page);
  }

  grpc::Status Get(int64_t id, v1::DeadLetter* letter, v1::BrazeSyncAdmin::Stub* stub = nullptr) {
    v1::GetDeadLetterRequest request;
    request.set_id(id);
    return Call(&v1::BrazeSyncAdmin::Stub::GetDeadLetter, request, letter, stub);
  }

  template <typename Request>
  static Request Selection(std::vector<int64_t> ids, bool all, const std::string& workspace = "") {
    Request request;
    for (int64_t id : ids) request.add_ids(id);
    request.set_all(all);
    request.set_workspace(workspace);
    return request;
  }

  grpc::Status Replay(const v1::ReplayDeadLettersRequest& request,
                      v1::ReplayDeadLettersResponse* response) {
    return Call(&v1::BrazeSyncAdmin::Stub::ReplayDeadLetters, request, response);
  }

  grpc::Status Purge(const v1::PurgeDeadLettersRequest& request,
                     v1::PurgeDeadLettersResponse* response) {
    return Call(&v1::BrazeSyncAdmin::Stub::PurgeDeadLetters, request, response);
  }

  // Every dead letter's id, listed page by page over the default channel.
  std::vector<int64_t> ListedIds(const std::string& workspace = "") {
    std::vector<int64_t> ids;
    int64_t after_id = 0;
    do {
      v1::ListDeadLettersResponse page;
      const grpc::Status status = List(workspace, 0, after_id, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (int64_t id : Ids(page)) ids.push_back(id);
      after_id = page.next_after_id();
    } while (after_id != 0);
    return ids;
  }

  std::optional<WorkspaceRegistry> registry_;
  std::unique_ptr<CallerAuthenticator> callers_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<CallLog> log_;
  std::string token_;  // sent as a bearer token when set
  std::unique_ptr<AdminService> service_;
  std::unique_ptr<grpc::Server> server_;  // shut down before service_ goes
  int port_ = 0;
  std::unique_ptr<v1::BrazeSyncAdmin::Stub> stub_;
};

// --- GetItemStatus --------------------------------------------------------

TEST_F(AdminServiceTest, GetItemStatusMapsADeadLetteredItem) {
  const absl::Time before = absl::Now() - absl::Seconds(1);
  const int64_t dead_letter_id = DeadLetterOne(EventItem("e1"), kReason);

  v1::ItemState state;
  ASSERT_TRUE(GetItemStatus("", "e1", &state).ok());  // "" = the default workspace
  EXPECT_EQ(state.workspace(), kWorkspace);
  EXPECT_EQ(state.item_id(), "e1");
  EXPECT_EQ(state.state(), v1::DELIVERY_STATE_DEAD_LETTERED);
  EXPECT_EQ(state.attempts(), 1);
  EXPECT_EQ(state.reason(), kReason);
  EXPECT_EQ(state.dead_letter_id(), dead_letter_id);
  EXPECT_GE(state.accepted_at().seconds(), absl::ToUnixSeconds(before));
  EXPECT_GE(state.updated_at().seconds(), state.accepted_at().seconds());
}

TEST_F(AdminServiceTest, GetItemStatusMapsQueuedAndDelivered) {
  AcceptOne(EventItem("queued"));
  const int64_t delivered = AcceptOne(EventItem("delivered"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(delivered)}).ok());

  v1::ItemState state;
  ASSERT_TRUE(GetItemStatus(kWorkspace, "queued", &state).ok());
  EXPECT_EQ(state.state(), v1::DELIVERY_STATE_QUEUED);
  EXPECT_EQ(state.dead_letter_id(), 0);
  ASSERT_TRUE(GetItemStatus(kWorkspace, "delivered", &state).ok());
  EXPECT_EQ(state.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(state.attempts(), 1);
}

TEST_F(AdminServiceTest, GetItemStatusWithoutItemIdIsInvalidArgument) {
  v1::ItemState state;
  EXPECT_THAT(GetItemStatus(kWorkspace, "", &state),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "item_id"));
}

TEST_F(AdminServiceTest, GetItemStatusOfUnknownWorkspaceIsNotFound) {
  v1::ItemState state;
  EXPECT_THAT(GetItemStatus("nope", "e1", &state),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "workspace"));
}

TEST_F(AdminServiceTest, GetItemStatusOfUnknownIdIsNotFound) {
  v1::ItemState state;
  EXPECT_THAT(GetItemStatus(kOtherWorkspace, "never", &state),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "item_id: \"never\""));
}

// --- ListDeadLetters ------------------------------------------------------

TEST_F(AdminServiceTest, ListDeadLettersMapsEveryFieldAndPagesById) {
  const int64_t first = DeadLetterOne(EventItem("e1", "quote_requested"), kReason);
  const int64_t second = DeadLetterOne(ProfileItem("Ada"), kReason);
  const int64_t third = DeadLetterOne(EventItem("e3"), kReason);

  v1::ListDeadLettersResponse page;
  ASSERT_TRUE(List("", 2, 0, &page).ok());
  EXPECT_THAT(Ids(page), ElementsAre(first, second));
  EXPECT_EQ(page.next_after_id(), second);
  const v1::DeadLetter& letter = page.dead_letters(0);
  EXPECT_EQ(letter.workspace(), kWorkspace);
  EXPECT_EQ(letter.kind(), v1::ITEM_KIND_EVENT);
  EXPECT_EQ(letter.item_id(), "e1");
  EXPECT_EQ(letter.reason(), kReason);
  EXPECT_EQ(letter.braze_response(), "invalid");
  ASSERT_THAT(letter.attempts(), SizeIs(1));
  EXPECT_EQ(letter.attempts(0).outcome(), kReason);
  EXPECT_GT(letter.attempts(0).at().seconds(), 0);
  EXPECT_GT(letter.accepted_at().seconds(), 0);
  EXPECT_GE(letter.dead_lettered_at().seconds(), letter.accepted_at().seconds());
  EXPECT_EQ(letter.payload_version(), 1);
  EXPECT_THAT(letter.braze_json(), HasSubstr("\"quote_requested\""));
  EXPECT_FALSE(letter.braze_json_omitted());
  EXPECT_EQ(letter.braze_json_bytes(), static_cast<int64_t>(letter.braze_json().size()));
  EXPECT_EQ(page.dead_letters(1).kind(), v1::ITEM_KIND_ATTRIBUTES);
  EXPECT_THAT(page.dead_letters(1).item_id(), IsEmpty());

  ASSERT_TRUE(List("", 2, page.next_after_id(), &page).ok());
  EXPECT_THAT(Ids(page), ElementsAre(third));
  EXPECT_EQ(page.next_after_id(), 0);
}

TEST_F(AdminServiceTest, ListDeadLettersFiltersByWorkspace) {
  DeadLetterOne(EventItem("e1", "a", kWorkspace));
  const int64_t staging = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));
  EXPECT_THAT(ListedIds(kOtherWorkspace), ElementsAre(staging));
}

TEST_F(AdminServiceTest, ListDeadLettersWithNegativePageSizeIsInvalidArgument) {
  v1::ListDeadLettersResponse page;
  EXPECT_THAT(List("", -1, 0, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "page_size"));
}

TEST_F(AdminServiceTest, ListDeadLettersPagesStayUnderTheBudgetAroundAHugeLetter) {
  const int64_t small = DeadLetterOne(EventItem("e1"));
  const int64_t huge = DeadLetterOne(ProfileItem("huge", kHugeNotes));
  std::vector<int64_t> ids = {small, huge};
  for (int i = 0; i < 3; ++i) {
    ids.push_back(DeadLetterOne(ProfileItem(absl::StrCat("quarter", i), kQuarterPageNotes)));
  }
  ids.push_back(DeadLetterOne(EventItem("e2")));

  // Page by page over a default channel: every answer arrives (none is over
  // the 4 MiB receive limit) and is within the page budget.
  std::vector<int64_t> listed;
  int64_t after_id = 0;
  int pages = 0;
  do {
    v1::ListDeadLettersResponse page;
    const grpc::Status status = List("", 0, after_id, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GT(page.dead_letters_size(), 0);
    EXPECT_LE(page.ByteSizeLong(), DeadLetterStore::kDefaultMaxPageBytes);
    EXPECT_LT(page.ByteSizeLong(), kDefaultReceiveLimit);
    for (const v1::DeadLetter& letter : page.dead_letters()) {
      listed.push_back(letter.id());
      if (letter.id() == huge) {
        EXPECT_TRUE(letter.braze_json_omitted());
        EXPECT_THAT(letter.braze_json(), IsEmpty());
        EXPECT_GT(letter.braze_json_bytes(), static_cast<int64_t>(kHugeNotes));
        EXPECT_EQ(letter.reason(), kReason);
      } else {
        EXPECT_FALSE(letter.braze_json_omitted()) << letter.id();
        EXPECT_EQ(letter.braze_json_bytes(), static_cast<int64_t>(letter.braze_json().size()));
      }
    }
    after_id = page.next_after_id();
    ++pages;
  } while (after_id != 0 && pages < 20);

  EXPECT_EQ(listed, ids);  // every letter once, oldest first
  EXPECT_GE(pages, 3);     // two quarter-page letters fit a page, three do not
}

// --- GetDeadLetter --------------------------------------------------------

TEST_F(AdminServiceTest, GetDeadLetterReturnsIt) {
  const int64_t id = DeadLetterOne(EventItem("e1", "quote_requested"), kReason);
  v1::DeadLetter letter;
  ASSERT_TRUE(Get(id, &letter).ok());
  EXPECT_EQ(letter.id(), id);
  EXPECT_EQ(letter.item_id(), "e1");
  EXPECT_EQ(letter.reason(), kReason);
  EXPECT_THAT(letter.braze_json(), HasSubstr("\"quote_requested\""));
  EXPECT_FALSE(letter.braze_json_omitted());
}

TEST_F(AdminServiceTest, GetDeadLetterOfAHugeLetterIsWholeWithARaisedReceiveLimit) {
  const int64_t id = DeadLetterOne(ProfileItem("huge", kHugeNotes));
  v1::DeadLetter letter;
  // The answer is over gRPC's default receive limit, as admin.proto warns...
  EXPECT_EQ(Get(id, &letter).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // ...and arrives whole on a channel that raises it.
  std::unique_ptr<v1::BrazeSyncAdmin::Stub> unlimited = UnlimitedStub();
  const grpc::Status status = Get(id, &letter, unlimited.get());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(letter.braze_json_omitted());
  EXPECT_GT(letter.braze_json().size(), kHugeNotes);
  EXPECT_EQ(letter.braze_json_bytes(), static_cast<int64_t>(letter.braze_json().size()));
  EXPECT_THAT(letter.braze_json(), HasSubstr("\"first_name\":\"huge\""));
}

TEST_F(AdminServiceTest, GetDeadLetterOfUnknownIdIsNotFound) {
  v1::DeadLetter letter;
  EXPECT_THAT(Get(4242, &letter),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "id: no dead letter 4242"));
}

// --- ReplayDeadLetters ----------------------------------------------------

TEST_F(AdminServiceTest, ReplayByIdsQueuesTheItemsAgain) {
  const int64_t replayed = DeadLetterOne(EventItem("e1"));
  const int64_t kept = DeadLetterOne(EventItem("e2"));

  v1::ReplayDeadLettersResponse response;
  ASSERT_TRUE(Replay(Selection<v1::ReplayDeadLettersRequest>({replayed}, false), &response).ok());
  EXPECT_EQ(response.replayed(), 1);
  EXPECT_EQ(response.skipped_delivered(), 0);
  v1::ItemState state;
  ASSERT_TRUE(GetItemStatus(kWorkspace, "e1", &state).ok());
  EXPECT_EQ(state.state(), v1::DELIVERY_STATE_QUEUED);
  EXPECT_EQ(Queued(), 1);
  EXPECT_THAT(ListedIds(), ElementsAre(kept));
}

TEST_F(AdminServiceTest, ReplayAllOfAWorkspaceSkipsIdsDeliveredSince) {
  DeadLetterOne(EventItem("e1", "a", kWorkspace));
  const int64_t staging = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));
  DeadLetterOne(EventItem("e3", "a", kWorkspace));
  // e3 was sent again by its caller and delivered since.
  const int64_t again = AcceptOne(EventItem("e3", "a", kWorkspace));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(again)}).ok());

  v1::ReplayDeadLettersResponse response;
  ASSERT_TRUE(
      Replay(Selection<v1::ReplayDeadLettersRequest>({}, true, kWorkspace), &response).ok());
  EXPECT_EQ(response.replayed(), 1);
  EXPECT_EQ(response.skipped_delivered(), 1);
  EXPECT_THAT(ListedIds(), ElementsAre(staging));
}

TEST_F(AdminServiceTest, ReplayNeedsIdsOrAllButNotBoth) {
  const int64_t id = DeadLetterOne(EventItem("e1"));
  v1::ReplayDeadLettersResponse response;
  EXPECT_THAT(Replay(Selection<v1::ReplayDeadLettersRequest>({}, false), &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "ids: give ids, or all: true"));
  EXPECT_THAT(Replay(Selection<v1::ReplayDeadLettersRequest>({id}, true), &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "not both"));
  EXPECT_THAT(ListedIds(), ElementsAre(id));  // nothing was replayed
}

// --- PurgeDeadLetters -----------------------------------------------------

TEST_F(AdminServiceTest, PurgeByIdsDeletesOnlyThose) {
  const int64_t first = DeadLetterOne(EventItem("e1"));
  const int64_t second = DeadLetterOne(EventItem("e2"));

  v1::PurgeDeadLettersResponse response;
  ASSERT_TRUE(Purge(Selection<v1::PurgeDeadLettersRequest>({first, 9999}, false), &response).ok());
  EXPECT_EQ(response.purged(), 1);
  EXPECT_THAT(ListedIds(), ElementsAre(second));
  EXPECT_EQ(Queued(), 0);  // purged, not replayed
}

TEST_F(AdminServiceTest, PurgeAllOfAWorkspace) {
  DeadLetterOne(EventItem("e1", "a", kWorkspace));
  DeadLetterOne(EventItem("e2", "a", kWorkspace));
  const int64_t staging = DeadLetterOne(EventItem("e3", "a", kOtherWorkspace));

  v1::PurgeDeadLettersResponse response;
  ASSERT_TRUE(Purge(Selection<v1::PurgeDeadLettersRequest>({}, true, kWorkspace), &response).ok());
  EXPECT_EQ(response.purged(), 2);
  EXPECT_THAT(ListedIds(), ElementsAre(staging));
}

TEST_F(AdminServiceTest, PurgeNeedsIdsOrAllButNotBoth) {
  const int64_t id = DeadLetterOne(EventItem("e1"));
  v1::PurgeDeadLettersResponse response;
  EXPECT_THAT(Purge(Selection<v1::PurgeDeadLettersRequest>({}, false), &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "ids"));
  EXPECT_THAT(Purge(Selection<v1::PurgeDeadLettersRequest>({id}, true), &response),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "not both"));
  EXPECT_THAT(ListedIds(), ElementsAre(id));  // nothing was purged
}

// --- Without a data directory ----------------------------------------------

class AdminServiceWithoutOutboxTest : public AdminServiceTest {
 protected:
  void SetUp() override {
    AdminServiceTest::SetUp();
    server_->Shutdown();
    server_.reset();
    StartServer(nullptr);
  }
};

TEST_F(AdminServiceWithoutOutboxTest, EveryValidCallIsFailedPrecondition) {
  constexpr char kNoOutbox[] = "no data directory";
  v1::ItemState state;
  EXPECT_THAT(GetItemStatus("", "e1", &state),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, kNoOutbox));
  v1::ListDeadLettersResponse page;
  EXPECT_THAT(List("", 0, 0, &page),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, kNoOutbox));
  v1::DeadLetter letter;
  EXPECT_THAT(Get(1, &letter), GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, kNoOutbox));
  v1::ReplayDeadLettersResponse replayed;
  EXPECT_THAT(Replay(Selection<v1::ReplayDeadLettersRequest>({}, true), &replayed),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, kNoOutbox));
  v1::PurgeDeadLettersResponse purged;
  EXPECT_THAT(Purge(Selection<v1::PurgeDeadLettersRequest>({1}, false), &purged),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, kNoOutbox));
}

TEST_F(AdminServiceWithoutOutboxTest, AnInvalidRequestIsStillInvalidArgument) {
  v1::ItemState state;
  EXPECT_THAT(GetItemStatus("", "", &state),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "item_id"));
  v1::ListDeadLettersResponse page;
  EXPECT_THAT(List("", -5, 0, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "page_size"));
}

// A caller with the admin role in one workspace reaches only that
// workspace's letters, by listing, by id, or by replaying or purging ids.
TEST_F(AdminServiceTest, AnAdminOfOneWorkspaceCannotReachAnotherWorkspacesLetters) {
  const int64_t mine = DeadLetterOne(EventItem("e1"));
  const int64_t theirs = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));
  v1::CallerConfig ops;
  ops.set_name("ops");
  ops.set_token_sha256(Sha256Hex("ops-token-0123456789"));
  ops.add_admin_workspaces(kWorkspace);
  google::protobuf::RepeatedPtrField<v1::CallerConfig> callers;
  *callers.Add() = ops;
  absl::StatusOr<CallerRegistry> registry =
      CallerRegistry::Create(callers, {kWorkspace, kOtherWorkspace});
  ASSERT_TRUE(registry.ok()) << registry.status();
  callers_->Replace(*std::move(registry));

  v1::DeadLetter letter;
  EXPECT_THAT(Get(mine, &letter), GrpcStatusIs(grpc::StatusCode::UNAUTHENTICATED, "Bearer"));
  token_ = "ops-token-0123456789";
  EXPECT_TRUE(Get(mine, &letter).ok());
  EXPECT_THAT(Get(theirs, &letter), GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED,
                                                 "lacks the admin role in workspace"));
  v1::ListDeadLettersResponse page;
  EXPECT_THAT(List("", 0, 0, &page),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "every workspace"));
  ASSERT_TRUE(List(kWorkspace, 0, 0, &page).ok());
  EXPECT_THAT(Ids(page), ElementsAre(mine));
  // Naming its own workspace does not stretch to another's ids.
  v1::PurgeDeadLettersResponse purged;
  ASSERT_TRUE(
      Purge(Selection<v1::PurgeDeadLettersRequest>({theirs}, false, kWorkspace), &purged).ok());
  EXPECT_EQ(purged.purged(), 0);
  v1::ReplayDeadLettersResponse replayed;
  EXPECT_THAT(Replay(Selection<v1::ReplayDeadLettersRequest>({theirs}, false), &replayed),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "every workspace"));
  token_.clear();
  callers_->Replace(CallerRegistry());  // authentication off again
  EXPECT_THAT(ListedIds(), ElementsAre(mine, theirs));
}

}  // namespace
}  // namespace brazesync
