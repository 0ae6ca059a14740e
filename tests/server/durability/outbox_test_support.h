// Helpers shared by the outbox, dead-letter store and admin rpc tests: items
// and delivery reports to store, blocking forms of the outbox's
// asynchronous calls, OutboxFixture (an outbox and its DeadLetterStore, on
// SQLite in a fresh directory or on PostgreSQL in a fresh database) and
// StoreFixture (the same, run once per store, for the cases every store
// must pass). Test-only.
//
// Asynchronous calls are awaited with absl::Notification (at most kWait);
// nothing sleeps to synchronise.
#ifndef BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_
#define BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <ostream>
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
#include "server/postgres/pg_worker.h"
#include "tests/server/testing/postgres_test_database.h"
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

// The stores a StoreFixture test runs against.
enum class StoreKind { kSqlite, kPostgres };
// "Sqlite" / "Postgres", for test names.
std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info);
// The same in messages (and in ctest's test names, instead of the bytes).
void PrintTo(StoreKind kind, std::ostream* os);

// Options of a session that owns `partitions` as the ownership component's
// would (PostgresOwnership): on connecting it takes each partition's
// advisory lock and records itself as the owner with the next epoch, so
// every new session is a new owner and the previous one's marks are from an
// earlier epoch.
PgWorkerOptions PartitionOwnerOptions(const std::string& uri, std::vector<int> partitions);

// An outbox and a DeadLetterStore over it, in a directory (SQLite) or a
// database (PostgreSQL, one partition) of their own.
class OutboxFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Reopen().ok()); }

  // Closes the outbox (if open) and opens it again on the same directory or
  // database with `options_` and a store with `max_page_bytes_`. PostgreSQL:
  // as a restarted replica, with a new owner session (the next epoch).
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

  // The `now` to pass FetchDue for the items due at `time`: `time` itself for
  // a store that honours the caller's clock (SQLite); everything for one on
  // the database's clock (PostgreSQL), which a test cannot move forward.
  absl::Time DueAt(absl::Time time) const;

  StoreKind kind_ = StoreKind::kSqlite;
  testing_support::TempDir dir_;
  OutboxOptions options_;
  size_t max_page_bytes_ = DeadLetterStore::kDefaultMaxPageBytes;
  // PostgreSQL: the test's database and the session owning partition 0
  // (declared before the outbox, which uses it).
  std::unique_ptr<testing_support::PostgresTestDatabase> pg_database_;
  std::unique_ptr<PgWorker> owner_session_;
  std::unique_ptr<OutboxStore> outbox_;
  std::unique_ptr<DeadLetterStore> store_;
  int64_t last_id_ = 0;  // the highest outbox id AcceptOne has seen
};

// OutboxFixture run once per store (value-parameterized by StoreKind):
// instantiate with
//   INSTANTIATE_TEST_SUITE_P(Stores, MyTest, kAllStores, StoreKindName);
// The PostgreSQL instance skips when no throwaway PostgreSQL runs.
class StoreFixture : public OutboxFixture, public ::testing::WithParamInterface<StoreKind> {
 protected:
  void SetUp() override;
};

inline const auto kAllStores = ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres);

// Every dead letter in `store`, following pages (a failure on an error).
std::vector<DeadLetter> ListAllDeadLetters(DeadLetterStore& store);

}  // namespace outbox_testing
}  // namespace brazesync

#endif  // BRAZESYNC_TESTS_SERVER_DURABILITY_OUTBOX_TEST_SUPPORT_H_
