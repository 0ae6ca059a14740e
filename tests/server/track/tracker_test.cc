// Tests for server/tracker.h: the asynchronous, gRPC-free Track use case over
// a real WorkspaceRegistry and a real DeliveryEngine whose HttpClient is a
// scripted fake answering inside Post. Covers the error contract of
// brazesync.v1.BrazeSync.Track (NOT_FOUND, INVALID_ARGUMENT with BadRequest
// violations, FAILED_PRECONDITION, UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL),
// allow_partial, validate_only, splitting over Braze's 75-object cap, mapping
// Braze's per-object errors[] back to the exact input items, retries (with a
// 1 ms backoff), and request_id echoing. Each Track is awaited through its
// done callback with a timeout; nothing sleeps. Violations are read back with
// the C++ client's FieldViolations, as a caller would read them.
#include "server/track/tracker.h"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "brazesync/v1/config.pb.h"
#include "client/cpp/brazesync_client.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/base/utf8.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/delivery_engine.h"
#include "server/durability/sqlite_outbox.h"
#include "server/durability/stored_payload.h"
#include "server/http/http_client.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Property;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::StrEq;
using testing_support::FakeHttpClient;
using testing_support::ItemError;
using testing_support::kSuccess;
using testing_support::kWait;
using testing_support::StatusIs;

using BadRequestViolation = google::rpc::BadRequest::FieldViolation;
using JsonValue = nlohmann::json;

constexpr char kProdEndpoint[] = "https://rest.iad-01.braze.com";
constexpr char kLegacyEndpoint[] = "https://rest.fra-01.braze.eu";
constexpr char kKeyVariable[] = "BRAZE_KEY";
constexpr char kAllInvalid[] =
    "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
// 2024-05-01T12:34:56Z: a valid past event time.
constexpr int64_t kEventSeconds = 1714566896;
constexpr int kBrazeCap = 75;
constexpr int kDefaultAttempts = 3;
constexpr char kRequestId[] = "req-42";

MATCHER_P2(ItemIs, kind, index, "") { return arg.kind() == kind && arg.index() == index; }

v1::UserProfile Profile(const std::string& external_id) {
  v1::UserProfile profile;
  profile.mutable_user()->set_external_id(external_id);
  profile.set_first_name("Ada");
  return profile;
}

v1::Event Event(const std::string& external_id, const std::string& name) {
  v1::Event event;
  event.mutable_user()->set_external_id(external_id);
  event.set_name(name);
  event.mutable_time()->set_seconds(kEventSeconds);
  return event;
}

v1::Event InvalidEvent(const std::string& external_id) { return Event(external_id, ""); }

v1::Purchase Purchase(const std::string& external_id) {
  v1::Purchase purchase;
  purchase.mutable_user()->set_external_id(external_id);
  purchase.set_product_id("sku-1");
  purchase.set_currency("USD");
  purchase.set_price(9.5);
  purchase.mutable_time()->set_seconds(kEventSeconds);
  return purchase;
}

// `count` valid events, event i for user "u<i>" named "e<i>".
v1::TrackRequest EventsRequest(int count) {
  v1::TrackRequest request;
  for (int i = 0; i < count; ++i) {
    *request.add_events() = Event(absl::StrCat("u", i), absl::StrCat("e", i));
  }
  return request;
}

class TrackerTest : public ::testing::Test {
 protected:
  TrackerTest() {
    v1::ServerConfig config;
    v1::WorkspaceConfig* prod = config.add_workspaces();
    prod->set_name("prod");
    prod->set_endpoint(kProdEndpoint);
    prod->set_api_key_env(kKeyVariable);
    v1::WorkspaceConfig* legacy = config.add_workspaces();
    legacy->set_name("legacy");
    legacy->set_endpoint(kLegacyEndpoint);
    legacy->set_api_key_env(kKeyVariable);
    legacy->set_object_cap_mode(v1::OBJECT_CAP_MODE_PER_ARRAY);
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [](const std::string& name) {
          return name == kKeyVariable ? std::string("sk-test") : std::string();
        });
    EXPECT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);

    EngineOptions options;
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    keys_ = std::make_unique<ApiKeySource>(registry_);
    engine_ = std::make_unique<DeliveryEngine>(&http_, keys_.get(), options);
    tracker_ = std::make_unique<Tracker>(&registry_, engine_.get());
    // A request the test did not script fails instead of succeeding.
    http_.set_responder([](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
      return absl::InternalError("FakeHttpClient: nothing scripted");
    });
  }

  // Runs Track and waits for its done; the result lands in result_.
  absl::Status Track(const v1::TrackRequest& request,
                     absl::Time deadline = absl::InfiniteFuture()) {
    struct Outcome {
      absl::Notification done;
      absl::Status status;
      v1::TrackResult result;
    };
    auto outcome = std::make_shared<Outcome>();
    tracker_->Track(request, deadline, [outcome](absl::Status status, v1::TrackResult result) {
      outcome->status = std::move(status);
      outcome->result = std::move(result);
      outcome->done.Notify();
    });
    if (!outcome->done.WaitForNotificationWithTimeout(kWait)) {
      ADD_FAILURE() << "Track did not call done within " << kWait;
      return absl::UnknownError("test: Track never finished");
    }
    result_ = outcome->result;
    return outcome->status;
  }

  FakeHttpClient http_;
  WorkspaceRegistry registry_;
  std::unique_ptr<ApiKeySource> keys_;
  std::unique_ptr<DeliveryEngine> engine_;
  std::unique_ptr<Tracker> tracker_;
  v1::TrackResult result_;
};

// ---- Request-level errors ----

TEST_F(TrackerTest, UnknownWorkspaceIsNotFound) {
  v1::TrackRequest request = EventsRequest(1);
  request.set_workspace("staging");
  EXPECT_THAT(Track(request), StatusIs(absl::StatusCode::kNotFound,
                                       AllOf(HasSubstr("\"staging\""), HasSubstr("prod"))));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(TrackerTest, EmptyRequestIsInvalidArgumentWithAViolation) {
  const absl::Status status = Track(v1::TrackRequest());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no items")));
  EXPECT_THAT(FieldViolations(status), SizeIs(1));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(TrackerTest, InvalidItemRejectsWholeRequestWithViolations) {
  v1::TrackRequest request = EventsRequest(1);
  *request.add_events() = InvalidEvent("u1");
  const absl::Status status = Track(request);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("1 of 2"), HasSubstr("events[1].name"))));
  EXPECT_THAT(FieldViolations(status),
              Contains(Property(&BadRequestViolation::field, StrEq("events[1].name"))));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(TrackerTest, ViolationsNameFieldsOfEveryInvalidItem) {
  v1::TrackRequest request;
  *request.add_attributes() = Profile("u0");
  request.mutable_attributes(0)->mutable_user()->Clear();
  *request.add_purchases() = Purchase("u1");
  request.mutable_purchases(0)->set_currency("XYZ");
  const absl::Status status = Track(request);
  const std::vector<BadRequestViolation> violations = FieldViolations(status);
  EXPECT_THAT(violations,
              Contains(Property(&BadRequestViolation::field, StartsWith("attributes[0].user"))));
  EXPECT_THAT(violations,
              Contains(Property(&BadRequestViolation::field, StrEq("purchases[0].currency"))));
}

TEST_F(TrackerTest, AllowPartialWithEveryItemInvalidIsInvalidArgument) {
  v1::TrackRequest request;
  *request.add_events() = InvalidEvent("u0");
  request.set_allow_partial(true);
  EXPECT_THAT(Track(request), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 of 1")));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(TrackerTest, DeadlineAlreadyPassedIsDeadlineExceeded) {
  EXPECT_THAT(Track(EventsRequest(1), absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

// ---- allow_partial ----

TEST_F(TrackerTest, AllowPartialDeliversValidItemsAndReportsInvalidOnes) {
  v1::TrackRequest request = EventsRequest(1);
  *request.add_events() = InvalidEvent("u1");
  request.set_allow_partial(true);
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_PARTIAL));
  ASSERT_THAT(result_.items(), SizeIs(2));
  EXPECT_THAT(result_.items(0).status(), Eq(v1::ITEM_STATUS_DELIVERED));
  EXPECT_THAT(result_.items(1).status(), Eq(v1::ITEM_STATUS_REJECTED_INVALID));
  EXPECT_THAT(result_.items(1).violations(),
              Contains(Property(&v1::FieldViolation::field, StrEq("events[1].name"))));
}

TEST_F(TrackerTest, AllowPartialSendsOnlyTheValidItems) {
  v1::TrackRequest request = EventsRequest(1);
  *request.add_events() = InvalidEvent("u1");
  request.set_allow_partial(true);
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(http_.requests(), SizeIs(1));
  const JsonValue body = http_.Body(0);
  ASSERT_THAT(body["events"], SizeIs(1));
  EXPECT_THAT(body["events"][0]["external_id"], Eq(JsonValue("u0")));
}

// ---- validate_only ----

TEST_F(TrackerTest, ValidateOnlySendsNothingAndReturnsTheBodies) {
  v1::TrackRequest request = EventsRequest(2);
  *request.add_attributes() = Profile("u0");
  request.set_validate_only(true);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(http_.requests(), IsEmpty());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_VALIDATED));
  EXPECT_THAT(result_.braze_requests(), Eq(0));
  ASSERT_THAT(result_.braze_request_bodies(), SizeIs(1));
  const JsonValue body = JsonValue::parse(result_.braze_request_bodies(0));
  EXPECT_THAT(body["attributes"], SizeIs(1));
  EXPECT_THAT(body["events"], SizeIs(2));
  EXPECT_THAT(body["attributes"][0]["first_name"], Eq(JsonValue("Ada")));
}

TEST_F(TrackerTest, ValidateOnlyMarksEveryItemValid) {
  v1::TrackRequest request = EventsRequest(3);
  request.set_validate_only(true);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(result_.items(), Each(Property(&v1::ItemResult::status, Eq(v1::ITEM_STATUS_VALID))));
}

TEST_F(TrackerTest, ValidateOnlyReturnsOneBodyPerPlannedRequest) {
  v1::TrackRequest request = EventsRequest(kBrazeCap + 1);
  request.set_validate_only(true);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.braze_request_bodies(), SizeIs(2));
  EXPECT_THAT(JsonValue::parse(result_.braze_request_bodies(0))["events"], SizeIs(kBrazeCap));
  EXPECT_THAT(JsonValue::parse(result_.braze_request_bodies(1))["events"], SizeIs(1));
}

TEST_F(TrackerTest, ValidateOnlyStillRejectsInvalidItems) {
  v1::TrackRequest request = EventsRequest(1);
  *request.add_events() = InvalidEvent("u1");
  request.set_validate_only(true);
  EXPECT_THAT(Track(request), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1]")));
}

// ---- Delivery and result shape ----

TEST_F(TrackerTest, DeliversEveryItemOnSuccess) {
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(3)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
  EXPECT_THAT(result_.braze_requests(), Eq(1));
  EXPECT_THAT(result_.items(),
              Each(Property(&v1::ItemResult::status, Eq(v1::ITEM_STATUS_DELIVERED))));
}

TEST_F(TrackerTest, ListsResultsAsAttributesThenEventsThenPurchasesEchoingIds) {
  v1::TrackRequest request;
  *request.add_purchases() = Purchase("u0");
  request.mutable_purchases(0)->set_purchase_id("p-0");
  *request.add_events() = Event("u1", "e");
  request.mutable_events(0)->set_event_id("e-0");
  *request.add_attributes() = Profile("u2");
  *request.add_attributes() = Profile("u3");
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.items(), SizeIs(4));
  EXPECT_THAT(result_.items(0), ItemIs(v1::ITEM_KIND_ATTRIBUTES, 0));
  EXPECT_THAT(result_.items(1), ItemIs(v1::ITEM_KIND_ATTRIBUTES, 1));
  EXPECT_THAT(result_.items(2), ItemIs(v1::ITEM_KIND_EVENT, 0));
  EXPECT_THAT(result_.items(3), ItemIs(v1::ITEM_KIND_PURCHASE, 0));
  EXPECT_THAT(result_.items(2).item_id(), StrEq("e-0"));
  EXPECT_THAT(result_.items(3).item_id(), StrEq("p-0"));
}

TEST_F(TrackerTest, SendsToTheDefaultWorkspaceWhenNoneIsNamed) {
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(1)).ok());
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].url, StrEq("https://rest.iad-01.braze.com/users/track"));
}

TEST_F(TrackerTest, SendsToTheNamedWorkspace) {
  v1::TrackRequest request = EventsRequest(1);
  request.set_workspace("legacy");
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.requests()[0].url, StrEq("https://rest.fra-01.braze.eu/users/track"));
}

TEST_F(TrackerTest, SplitsSeventySixEventsIntoTwoRequests) {
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(kBrazeCap + 1)).ok());
  ASSERT_THAT(http_.requests(), SizeIs(2));
  EXPECT_THAT(http_.Body(0)["events"], SizeIs(kBrazeCap));
  EXPECT_THAT(http_.Body(1)["events"], SizeIs(1));
  EXPECT_THAT(result_.braze_requests(), Eq(2));
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
}

TEST_F(TrackerTest, SplitsOneHundredSixtyEventsIntoThreeRequests) {
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(160)).ok());
  ASSERT_THAT(http_.requests(), SizeIs(3));
  EXPECT_THAT(http_.Body(0)["events"], SizeIs(kBrazeCap));
  EXPECT_THAT(http_.Body(1)["events"], SizeIs(kBrazeCap));
  EXPECT_THAT(http_.Body(2)["events"], SizeIs(10));
  EXPECT_THAT(result_.items(), SizeIs(160));
  EXPECT_THAT(result_.braze_requests(), Eq(3));
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
}

TEST_F(TrackerTest, PerArrayWorkspaceSendsSeventyFiveOfEachKindInOneRequest) {
  v1::TrackRequest request = EventsRequest(kBrazeCap);
  for (int i = 0; i < kBrazeCap; ++i) *request.add_attributes() = Profile(absl::StrCat("a", i));
  request.set_workspace("legacy");
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(http_.requests(), SizeIs(1));
  EXPECT_THAT(http_.Body(0)["attributes"], SizeIs(kBrazeCap));
  EXPECT_THAT(http_.Body(0)["events"], SizeIs(kBrazeCap));
}

// ---- Braze's per-object verdicts ----

TEST_F(TrackerTest, MapsErrorsOfTheSecondRequestBackToTheInputItem) {
  http_.Respond(201, absl::StrCat(R"({"message":"success","errors":[)",
                                  ItemError("events", 3, "first-request"), "]}"));
  http_.Respond(201, absl::StrCat(R"({"message":"success","errors":[)",
                                  ItemError("events", 0, "EXTERNAL_USER_ID_TOO_LARGE"), "]}"));
  ASSERT_TRUE(Track(EventsRequest(kBrazeCap + 1)).ok());
  ASSERT_THAT(result_.items(), SizeIs(kBrazeCap + 1));
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_PARTIAL));
  EXPECT_THAT(result_.items(3).status(), Eq(v1::ITEM_STATUS_REJECTED_BY_BRAZE));
  EXPECT_THAT(result_.items(3).braze_error(), StrEq("first-request"));
  EXPECT_THAT(result_.items(kBrazeCap).status(), Eq(v1::ITEM_STATUS_REJECTED_BY_BRAZE));
  EXPECT_THAT(result_.items(kBrazeCap).braze_error(), StrEq("EXTERNAL_USER_ID_TOO_LARGE"));
  EXPECT_FALSE(result_.items(kBrazeCap).retryable());
  int delivered = 0;
  for (const v1::ItemResult& item : result_.items()) {
    if (item.status() == v1::ITEM_STATUS_DELIVERED) ++delivered;
  }
  EXPECT_THAT(delivered, Eq(kBrazeCap - 1));
}

// Braze rejects every event named "bad..." at its position in the body it
// received; the tracker must attribute each rejection to that exact input
// item even though grouping by user reorders items inside the body.
TEST_F(TrackerTest, MapsErrorsToExactItemsWhenUsersAreReordered) {
  http_.set_responder([](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    const JsonValue body = JsonValue::parse(request.body);
    std::vector<std::string> errors;
    for (const char* array : {"attributes", "events", "purchases"}) {
      if (!body.contains(array)) continue;
      for (size_t i = 0; i < body[array].size(); ++i) {
        const JsonValue& object = body[array][i];
        if (object.contains("name") && object["name"].get<std::string>().rfind("bad", 0) == 0) {
          errors.push_back(
              ItemError(array, static_cast<int>(i), object["name"].get<std::string>()));
        }
        if (object.contains("product_id") && object["product_id"] == "bad-sku") {
          errors.push_back(ItemError(array, static_cast<int>(i), "bad-sku"));
        }
      }
    }
    HttpResponse response;
    response.status = 201;
    response.body =
        absl::StrCat(R"({"message":"success","errors":[)", absl::StrJoin(errors, ","), "]}");
    return response;
  });
  // Input order interleaves users, so the body groups u-a's items first.
  v1::TrackRequest request;
  *request.add_events() = Event("u-a", "ok-0");
  *request.add_events() = Event("u-b", "bad-1");
  *request.add_events() = Event("u-a", "bad-2");
  *request.add_events() = Event("u-c", "ok-3");
  *request.add_events() = Event("u-b", "ok-4");
  *request.add_purchases() = Purchase("u-c");
  *request.add_purchases() = Purchase("u-a");
  request.mutable_purchases(1)->set_product_id("bad-sku");
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.items(), SizeIs(7));
  std::map<int, std::string> rejected;  // result slot -> braze_error
  for (int i = 0; i < result_.items_size(); ++i) {
    if (result_.items(i).status() == v1::ITEM_STATUS_REJECTED_BY_BRAZE) {
      rejected[i] = result_.items(i).braze_error();
    }
  }
  EXPECT_THAT(rejected, Eq(std::map<int, std::string>{{1, "bad-1"}, {2, "bad-2"}, {6, "bad-sku"}}));
}

TEST_F(TrackerTest, IgnoresBrazeErrorsNamingObjectsThatWereNotSent) {
  http_.Respond(
      201, absl::StrCat(R"({"message":"success","errors":[)", ItemError("purchases", 0, "x"), ",",
                        ItemError("events", 9, "y"), "]}"));
  ASSERT_TRUE(Track(EventsRequest(2)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
}

TEST_F(TrackerTest, Braze400WithEveryObjectListedIsOkWithNothingDelivered) {
  http_.Respond(400, absl::StrCat(R"({"message":")", kAllInvalid, R"(","errors":[)",
                                  ItemError("events", 0, "no id"), ",",
                                  ItemError("events", 1, "no id"), "]}"));
  ASSERT_TRUE(Track(EventsRequest(2)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_NOT_DELIVERED));
  EXPECT_THAT(result_.items(),
              Each(AllOf(Property(&v1::ItemResult::status, Eq(v1::ITEM_STATUS_REJECTED_BY_BRAZE)),
                         Property(&v1::ItemResult::braze_error, StrEq("no id")),
                         Property(&v1::ItemResult::retryable, Eq(false)))));
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

// A 400 processed nothing, so the objects Braze did not list may go again.
TEST_F(TrackerTest, Braze400RetriesTheUnlistedObjects) {
  http_.Respond(400, absl::StrCat(R"({"message":")", kAllInvalid, R"(","errors":[)",
                                  ItemError("events", 0, "no id"), "]}"));
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(2)).ok());
  ASSERT_THAT(result_.items(), SizeIs(2));
  EXPECT_THAT(result_.items(0).status(), Eq(v1::ITEM_STATUS_REJECTED_BY_BRAZE));
  EXPECT_THAT(result_.items(1).status(), Eq(v1::ITEM_STATUS_DELIVERED));
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_PARTIAL));
  EXPECT_THAT(result_.braze_requests(), Eq(2));
  ASSERT_THAT(http_.requests(), SizeIs(2));
  ASSERT_THAT(http_.Body(1)["events"], SizeIs(1));
  EXPECT_THAT(http_.Body(1)["events"][0]["external_id"], Eq(JsonValue("u1")));
}

TEST_F(TrackerTest, Braze400UnlistedObjectsThatKeepFailingAreFailedAndRetryable) {
  http_.Respond(400, absl::StrCat(R"({"message":")", kAllInvalid, R"(","errors":[)",
                                  ItemError("events", 0, "no id"), "]}"));
  http_.Respond(503, "Service Unavailable");
  ASSERT_TRUE(Track(EventsRequest(2)).ok());
  ASSERT_THAT(result_.items(), SizeIs(2));
  EXPECT_THAT(result_.items(0).status(), Eq(v1::ITEM_STATUS_REJECTED_BY_BRAZE));
  EXPECT_THAT(result_.items(1).status(), Eq(v1::ITEM_STATUS_FAILED));
  EXPECT_TRUE(result_.items(1).retryable());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_NOT_DELIVERED));
}

// ---- HTTP failures ----

TEST_F(TrackerTest, Http401IsFailedPreconditionWithoutRetry) {
  http_.Respond(401, R"({"message":"Invalid API Key"})");
  EXPECT_THAT(Track(EventsRequest(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("401")));
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

TEST_F(TrackerTest, Http400WithoutErrorsIsInternal) {
  http_.Respond(400, R"({"message":"Max Input Length Exceeded"})");
  EXPECT_THAT(Track(EventsRequest(1)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("Max Input Length Exceeded")));
}

TEST_F(TrackerTest, Http503IsRetriedThenUnavailable) {
  http_.Respond(503, "Service Unavailable");
  EXPECT_THAT(Track(EventsRequest(1)), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
  EXPECT_THAT(http_.requests(), SizeIs(kDefaultAttempts));
}

TEST_F(TrackerTest, Http503ThenSuccessDelivers) {
  http_.Respond(503);
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(EventsRequest(1)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
  EXPECT_THAT(result_.braze_requests(), Eq(2));
}

TEST_F(TrackerTest, PartialFailureAcrossTwoRequestsIsOkAndPartial) {
  http_.Respond(201, kSuccess);
  http_.Respond(503, "Service Unavailable");
  ASSERT_TRUE(Track(EventsRequest(kBrazeCap + 1)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_PARTIAL));
  EXPECT_THAT(result_.braze_requests(), Eq(1 + kDefaultAttempts));
  for (int i = 0; i < kBrazeCap; ++i) {
    EXPECT_THAT(result_.items(i).status(), Eq(v1::ITEM_STATUS_DELIVERED)) << i;
  }
  const v1::ItemResult& failed = result_.items(kBrazeCap);
  EXPECT_THAT(failed.status(), Eq(v1::ITEM_STATUS_FAILED));
  EXPECT_TRUE(failed.retryable());
  EXPECT_THAT(failed.error_message(), HasSubstr("503"));
}

// Braze's body lands (truncated) in ItemResult.error_message; a split UTF-8
// character would make the whole TrackResult unparseable for the caller.
TEST_F(TrackerTest, FailedItemMessageFromNonAsciiBodyKeepsResultParseable) {
  std::string html = "<p>";
  for (int i = 0; i < 300; ++i) html += "\xC3\xA9";  // "é", 2 bytes each
  http_.Respond(201, kSuccess);
  http_.Respond(503, html);
  ASSERT_TRUE(Track(EventsRequest(kBrazeCap + 1)).ok());
  v1::TrackResult parsed;
  EXPECT_TRUE(parsed.ParseFromString(result_.SerializeAsString()));
  EXPECT_TRUE(IsValidUtf8(result_.items(kBrazeCap).error_message()));
  EXPECT_THAT(result_.items(kBrazeCap).error_message(), HasSubstr("503"));
}

TEST_F(TrackerTest, ConfigFailureInSecondRequestIsNotRetryableForItsItems) {
  http_.Respond(201, kSuccess);
  http_.Respond(403, R"({"message":"Access Denied"})");
  ASSERT_TRUE(Track(EventsRequest(kBrazeCap + 1)).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_PARTIAL));
  EXPECT_THAT(result_.items(kBrazeCap).status(), Eq(v1::ITEM_STATUS_FAILED));
  EXPECT_FALSE(result_.items(kBrazeCap).retryable());
  EXPECT_THAT(result_.items(kBrazeCap).error_message(), Not(IsEmpty()));
}

// ---- request_id and back-pressure ----

TEST_F(TrackerTest, EchoesTheRequestIdInTheResult) {
  v1::TrackRequest request = EventsRequest(1);
  request.set_request_id(kRequestId);
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(result_.request_id(), StrEq(kRequestId));
}

TEST_F(TrackerTest, EchoesTheRequestIdForValidateOnly) {
  v1::TrackRequest request = EventsRequest(1);
  request.set_request_id(kRequestId);
  request.set_validate_only(true);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(result_.request_id(), StrEq(kRequestId));
}

// ---- Phones: national numbers reach Braze in E.164 on every path ----

// The fixture's engine and HTTP fake, over one workspace "fr" with
// default_phone_region FR, and an outbox for DELIVERY_MODE_ASYNC.
class TrackerPhoneTest : public TrackerTest {
 protected:
  TrackerPhoneTest() {
    tracker_.reset();
    engine_.reset();
    v1::ServerConfig config;
    v1::WorkspaceConfig* fr = config.add_workspaces();
    fr->set_name("fr");
    fr->set_endpoint(kLegacyEndpoint);
    fr->set_api_key_env(kKeyVariable);
    fr->set_default_phone_region("FR");
    absl::StatusOr<WorkspaceRegistry> registry =
        WorkspaceRegistry::Create(config, [](const std::string&) { return std::string("sk"); });
    EXPECT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    keys_ = std::make_unique<ApiKeySource>(registry_);
    engine_ = std::make_unique<DeliveryEngine>(&http_, keys_.get(), EngineOptions());
    absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox =
        SqliteOutbox::Open(dir_.path(), OutboxOptions());
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    if (outbox.ok()) outbox_ = *std::move(outbox);
    tracker_ = std::make_unique<Tracker>(&registry_, engine_.get(), outbox_.get());
  }
  ~TrackerPhoneTest() override {
    tracker_.reset();
    outbox_.reset();
  }

  // A profile, an event and a purchase of the user "06 12 34 56 78" (the
  // profile also sets its phone to the same number, written differently).
  static v1::TrackRequest NationalPhonesRequest() {
    v1::TrackRequest request;
    v1::UserProfile* profile = request.add_attributes();
    *profile = Profile("unused");
    profile->mutable_user()->set_phone("06 12 34 56 78");
    profile->set_phone("06.12.34.56.78");
    *request.add_events() = Event("unused", "signed_up");
    request.mutable_events(0)->mutable_user()->set_phone("06 12 34 56 78");
    *request.add_purchases() = Purchase("unused");
    request.mutable_purchases(0)->mutable_user()->set_phone("+33 6 12 34 56 78");
    return request;
  }

  testing_support::TempDir dir_;
  std::unique_ptr<SqliteOutbox> outbox_;
};

constexpr char kE164[] = "+33612345678";

TEST_F(TrackerPhoneTest, ValidateOnlyBodyCarriesE164) {
  v1::TrackRequest request = NationalPhonesRequest();
  request.set_validate_only(true);
  ASSERT_TRUE(Track(request).ok());
  ASSERT_THAT(result_.braze_request_bodies(), SizeIs(1));
  const JsonValue body = JsonValue::parse(result_.braze_request_bodies(0));
  EXPECT_THAT(body["attributes"][0]["phone"], Eq(JsonValue(kE164)));
  EXPECT_THAT(body["events"][0]["phone"], Eq(JsonValue(kE164)));
  EXPECT_THAT(body["purchases"][0]["phone"], Eq(JsonValue(kE164)));
  EXPECT_THAT(result_.braze_request_bodies(0), Not(HasSubstr("06 12")));
}

TEST_F(TrackerPhoneTest, SyncDeliveryCarriesE164) {
  http_.Respond(201, kSuccess);
  ASSERT_TRUE(Track(NationalPhonesRequest()).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_DELIVERED));
  ASSERT_THAT(http_.requests(), SizeIs(1));
  const JsonValue body = JsonValue::parse(http_.requests()[0].body);
  EXPECT_THAT(body["attributes"][0]["phone"], Eq(JsonValue(kE164)));
  EXPECT_THAT(body["events"][0]["phone"], Eq(JsonValue(kE164)));
  EXPECT_THAT(body["purchases"][0]["phone"], Eq(JsonValue(kE164)));
}

// The relay converts stored items later, without the workspace's region: the
// stored proto must already hold E.164.
TEST_F(TrackerPhoneTest, AsyncStoresE164) {
  ASSERT_NE(outbox_, nullptr);
  v1::TrackRequest request = NationalPhonesRequest();
  request.set_delivery_mode(v1::DELIVERY_MODE_ASYNC);
  ASSERT_TRUE(Track(request).ok());
  EXPECT_THAT(result_.outcome(), Eq(v1::OUTCOME_ACCEPTED));
  const absl::Time now = absl::Now() + absl::Hours(1);
  absl::StatusOr<std::vector<OutboxItem>> stored = outbox_->FetchDue(0, now, 0, 10);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_THAT(*stored, SizeIs(3));
  for (const OutboxItem& item : *stored) {
    EXPECT_THAT(item.user_key, HasSubstr(kE164));
    absl::StatusOr<std::string> json =
        StoredItemToBrazeJson(item.payload_version, item.kind, item.payload, item.accepted, now);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_THAT(JsonValue::parse(*json)["phone"], Eq(JsonValue(kE164))) << *json;
  }
}

TEST_F(TrackerPhoneTest, InvalidNationalPhoneIsInvalidArgumentNamingFieldNotNumber) {
  v1::TrackRequest request = NationalPhonesRequest();
  request.mutable_events(0)->mutable_user()->set_phone("06 12");
  const absl::Status status = Track(request);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("events[0].user.phone: not a valid FR phone number"),
                                     Not(HasSubstr("06 12")))));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST(TrackerBackPressureTest, FullDeliveryQueueIsResourceExhausted) {
  v1::ServerConfig config;
  v1::WorkspaceConfig* prod = config.add_workspaces();
  prod->set_name("prod");
  prod->set_endpoint(kProdEndpoint);
  prod->set_api_key_env(kKeyVariable);
  absl::StatusOr<WorkspaceRegistry> registry =
      WorkspaceRegistry::Create(config, [](const std::string&) { return std::string("sk-test"); });
  ASSERT_TRUE(registry.ok()) << registry.status();
  FakeHttpClient http;
  EngineOptions options;
  options.max_queued_items_per_workspace = 1;
  const ApiKeySource keys(*registry);
  DeliveryEngine engine(&http, &keys, options);
  Tracker tracker(&*registry, &engine);
  absl::Notification done;
  absl::Status status;
  tracker.Track(EventsRequest(2), absl::InfiniteFuture(), [&](absl::Status s, v1::TrackResult) {
    status = std::move(s);
    done.Notify();
  });
  ASSERT_TRUE(done.HasBeenNotified());  // back-pressure answers at once
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("full")));
  EXPECT_THAT(http.requests(), IsEmpty());
}

}  // namespace
}  // namespace brazesync
