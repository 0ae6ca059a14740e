// Regression tests for the oversize-item contract (test-audit HIGH-2,
// docs/braze-rules.md "one item's Braze JSON"): an item whose Braze JSON
// cannot fit in one request of the workspace's max_request_bytes is
// REJECTED_INVALID in validate_only, INVALID_ARGUMENT with a BadRequest field
// violation at the item's own path in a synchronous call, and refused up
// front (nothing stored) in an asynchronous one. Before, it was "valid",
// failed without a violation, and was accepted then dead-lettered.
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "brazesync/v1/config.pb.h"
#include "client/cpp/brazesync_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/durability/sqlite_outbox.h"
#include "server/track/tracker.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::SizeIs;
using ::testing::StrEq;
using testing_support::FakeHttpClient;
using testing_support::kWait;
using testing_support::StatusIs;

using BadRequestViolation = google::rpc::BadRequest::FieldViolation;

constexpr char kKeyVariable[] = "BRAZE_KEY";
// BrazeSync's floor for max_request_bytes.
constexpr int64_t kMaxRequestBytes = 1'000'000;

// A profile whose Braze JSON is about 1.1 MB: 11 nested attributes of about
// 97 KB each (each under Braze's 100 KB cap, so only the whole item is too
// large).
v1::UserProfile HugeProfile() {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("big");
  for (int a = 0; a < 11; ++a) {
    google::protobuf::Struct* object =
        (*profile.mutable_custom_attributes())[absl::StrCat("blob", a)].mutable_object_value();
    for (int k = 0; k < 370; ++k) {
      (*object->mutable_fields())[absl::StrCat("k", k)].set_string_value(std::string(250, 'x'));
    }
  }
  return profile;
}

v1::UserProfile SmallProfile() {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id("small");
  profile.set_first_name("Ada");
  return profile;
}

class OversizeItemTest : public ::testing::Test {
 protected:
  OversizeItemTest() {
    v1::ServerConfig config;
    v1::WorkspaceConfig* prod = config.add_workspaces();
    prod->set_name("prod");
    prod->set_endpoint("https://rest.iad-01.braze.com");
    prod->set_api_key_env(kKeyVariable);
    prod->set_max_request_bytes(kMaxRequestBytes);
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return std::string("sk"); });
    EXPECT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    keys_ = std::make_unique<ApiKeySource>(registry_);
    engine_ = std::make_unique<DeliveryEngine>(&http_, keys_.get(), EngineOptions());
    absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox =
        SqliteOutbox::Open(dir_.path(), OutboxOptions());
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    outbox_ = *std::move(outbox);
    tracker_ = std::make_unique<Tracker>(&registry_, engine_.get(), outbox_.get());
  }

  absl::Status Track(const v1::TrackRequest& request) {
    absl::Notification done;
    absl::Status status;
    tracker_->Track(request, absl::InfiniteFuture(), [&](absl::Status s, v1::TrackResult result) {
      status = std::move(s);
      result_ = std::move(result);
      done.Notify();
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return status;
  }

  v1::TrackRequest Request(v1::DeliveryMode mode) {
    v1::TrackRequest request;
    *request.add_attributes() = SmallProfile();
    *request.add_attributes() = HugeProfile();
    request.set_delivery_mode(mode);
    return request;
  }

  testing_support::TempDir dir_;
  FakeHttpClient http_;
  WorkspaceRegistry registry_;
  std::unique_ptr<ApiKeySource> keys_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::unique_ptr<SqliteOutbox> outbox_;
  std::unique_ptr<Tracker> tracker_;
  v1::TrackResult result_;
};

TEST_F(OversizeItemTest, ValidateOnlyMarksItRejectedInvalidAtTheItemsPath) {
  v1::TrackRequest request = Request(v1::DELIVERY_MODE_SYNC);
  request.set_validate_only(true);
  request.set_allow_partial(true);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.items(), SizeIs(2));
  EXPECT_THAT(result_.items(0).status(), v1::ITEM_STATUS_VALID);
  EXPECT_THAT(result_.items(1).status(), v1::ITEM_STATUS_REJECTED_INVALID);
  EXPECT_THAT(result_.items(1).violations(),
              ElementsAre(AllOf(Property(&v1::FieldViolation::field, StrEq("attributes[1]")),
                                Property(&v1::FieldViolation::description,
                                         HasSubstr("max_request_bytes 1000000")))));
  // Every body it previews fits the workspace's cap.
  for (const std::string& body : result_.braze_request_bodies()) {
    EXPECT_LE(body.size(), static_cast<size_t>(kMaxRequestBytes));
  }
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(OversizeItemTest, SyncCallIsInvalidArgumentWithABadRequestViolation) {
  const absl::Status status = Track(Request(v1::DELIVERY_MODE_SYNC));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attributes[1]")));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Property(&BadRequestViolation::field, StrEq("attributes[1]"))));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(OversizeItemTest, AsyncCallRefusesItUpFrontAndStoresNothing) {
  const absl::Status status = Track(Request(v1::DELIVERY_MODE_ASYNC));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attributes[1]")));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Property(&BadRequestViolation::field, StrEq("attributes[1]"))));
  absl::StatusOr<std::vector<OutboxItem>> stored =
      outbox_->FetchDue(0, absl::InfiniteFuture(), 0, 10);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_THAT(*stored, IsEmpty());
}

TEST_F(OversizeItemTest, AsyncCallWithAllowPartialQueuesOnlyTheItemsThatFit) {
  v1::TrackRequest request = Request(v1::DELIVERY_MODE_ASYNC);
  request.set_allow_partial(true);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.items(), SizeIs(2));
  EXPECT_THAT(result_.items(0).status(), v1::ITEM_STATUS_QUEUED);
  EXPECT_THAT(result_.items(1).status(), v1::ITEM_STATUS_REJECTED_INVALID);
  absl::StatusOr<std::vector<OutboxItem>> stored =
      outbox_->FetchDue(0, absl::InfiniteFuture(), 0, 10);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_THAT(*stored, SizeIs(1));
}

}  // namespace
}  // namespace brazesync
