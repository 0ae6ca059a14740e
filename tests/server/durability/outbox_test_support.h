// Helpers shared by the outbox, dead-letter store and admin rpc tests: items
// and delivery reports to store, blocking forms of the outbox's
// asynchronous calls, and OutboxFixture (an outbox and its DeadLetterStore
// in a fresh directory). Test-only.
//
// Asynchronous calls are awaited with absl::Notification (at most kWait);
// nothing sleeps to synchronise.
#ifndef BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_
#define BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/durability/dead_letter_store.h"
#include "server/durability/outbox_store.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace outbox_testing {

inline constexpr char kWorkspace[] = "prod";
inline constexpr char kOtherWorkspace[] = "staging";

// Matches an absl::StatusOr that is OK and whose value matches `matcher`.
MATCHER_P(IsOkAndHolds, matcher, "") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(matcher, *arg, result_listener);
}

v1::Event MakeEvent(const std::string& user, const std::string& name);

// Items in the current stored format (no time stamped, so the payload of two
// equal calls is equal). An event for user "u1" named `name` with `item_id`
// as its event_id:
NewOutboxItem EventItem(const std::string& item_id, const std::string& name = "signed_up",
                        const std::string& workspace = kWorkspace);
// A profile of user "u1" with `first_name`, and optionally a custom
// attribute "notes" of `notes_bytes` characters (to make it large).
NewOutboxItem ProfileItem(const std::string& first_name, size_t notes_bytes = 0);
NewOutboxItem PurchaseItem(const std::string& purchase_id);

DeliveryReport Delivered(int64_t id);
DeliveryReport Retry(int64_t id, absl::Time retry_at, const std::string& outcome = "HTTP 503");
DeliveryReport Dead(int64_t id, const std::string& reason = "rejected by Braze: invalid",
                    const std::string& braze_response = "invalid");

// Accept / Report / MarkInDoubt, waiting for their group commit.
absl::StatusOr<std::vector<bool>> AcceptNow(OutboxStore& outbox, std::vector<NewOutboxItem> items);
absl::Status ReportNow(OutboxStore& outbox, std::vector<DeliveryReport> reports);
absl::Status MarkInDoubtNow(OutboxStore& outbox, std::vector<int64_t> ids);

// Items in the outbox, due or not: every item FetchDue would ever return.
absl::StatusOr<int64_t> QueuedCount(OutboxStore& outbox);

std::vector<int64_t> Ids(const DeadLetterPage& page);

// An outbox and a DeadLetterStore over it, in a directory of their own.
class OutboxFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Reopen().ok()); }

  // Closes the outbox (if open) and opens it again on the same directory
  // with `options_` and a store with `max_page_bytes_`.
  virtual absl::Status Reopen();

  // Accepts one item and returns its outbox id (0 and a failure if not).
  int64_t AcceptOne(NewOutboxItem item);
  // Accepts one item and dead-letters it with `reason`; returns the dead
  // letter's id.
  int64_t DeadLetterOne(NewOutboxItem item,
                        const std::string& reason = "rejected by Braze: invalid");
  // The state of `item_id` (a failure when it has none).
  ItemIdState StateOf(const std::string& item_id, const std::string& workspace = kWorkspace);
  // QueuedCount, or -1 and a failure.
  int64_t Queued();
  // Every dead letter, following pages.
  std::vector<DeadLetter> AllDeadLetters();

  testing_support::TempDir dir_;
  OutboxOptions options_;
  size_t max_page_bytes_ = DeadLetterStore::kDefaultMaxPageBytes;
  std::unique_ptr<OutboxStore> outbox_;
  std::unique_ptr<DeadLetterStore> store_;
  int64_t last_id_ = 0;  // the highest outbox id AcceptOne has seen
};

// Every dead letter in `store`, following pages (a failure on an error).
std::vector<DeadLetter> ListAllDeadLetters(DeadLetterStore& store);

}  // namespace outbox_testing
}  // namespace brazesync

#endif  // BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_
