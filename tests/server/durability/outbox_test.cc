// Tests for the outbox contract (server/durability/outbox_store.h), each
// case against both stores (SqliteOutbox, PostgresOutbox) unless it is
// about SQLite's file: opening (and upgrading an older database), acceptance with the idempotency
// window, the FetchDue cursor, delivery reports (delivered, rescheduled, dead-lettered), pruning of
// old ids, durability across closing and reopening, items left in doubt by a killed process, the
// attempt history format, and group commit under concurrent Accept calls. Item state is observed
// through the public DeadLetterStore queries, as an operator would.
//
// Every test opens its own database: SQLite in a fresh directory made with
// mkdtemp, PostgreSQL in a fresh database of the `postgres` fixture's server
// (those cases skip without it). A store on the database's clock cannot be
// moved forward, so "due at a later time" is asked for as "everything"
// there (DueAt).
// Asynchronous calls (Accept, Report) are awaited with absl::Notification;
// nothing sleeps to synchronise.
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/durability/sqlite_dead_letter_store.h"
#include "server/durability/sqlite_outbox.h"
#include "server/durability/stored_payload.h"
#include "tests/server/durability/outbox_test_support.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using outbox_testing::AcceptNow;
using outbox_testing::Dead;
using outbox_testing::Delivered;
using outbox_testing::EventItem;
using outbox_testing::IsOkAndHolds;
using outbox_testing::kOtherWorkspace;
using outbox_testing::kWorkspace;
using outbox_testing::MarkInDoubtNow;
using outbox_testing::ProfileItem;
using outbox_testing::PurchaseItem;
using outbox_testing::ReportNow;
using outbox_testing::Retry;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing_support::StatusIs;
using testing_support::TempDir;

// Every store must pass these: each runs against SQLite and PostgreSQL.
class OutboxTest : public outbox_testing::StoreFixture {};
INSTANTIATE_TEST_SUITE_P(Stores, OutboxTest, outbox_testing::kAllStores,
                         outbox_testing::StoreKindName);

// --- Open ---------------------------------------------------------------

TEST(OutboxOpenTest, FailsPreconditionForMissingDirectory) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox =
      SqliteOutbox::Open(dir.path() + "/does/not/exist", OutboxOptions());
  EXPECT_THAT(outbox.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("data_dir")));
}

TEST(OutboxOpenTest, OpensWithFsyncEveryCommit) {
  TempDir dir;
  OutboxOptions options;
  options.fsync_every_commit = true;
  absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox = SqliteOutbox::Open(dir.path(), options);
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_THAT(AcceptNow(**outbox, {EventItem("e1")}), IsOkAndHolds(ElementsAre(true)));
}

TEST(OutboxOpenTest, FailsPreconditionForAFileThatIsNotADatabase) {
  TempDir dir;
  std::ofstream(dir.path() + "/outbox.sqlite3") << std::string(4096, 'x');
  EXPECT_THAT(SqliteOutbox::Open(dir.path(), OutboxOptions()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("data_dir")));
}

TEST(OutboxOpenTest, RecordsTheSchemaVersion) {
  TempDir dir;
  ASSERT_TRUE(SqliteOutbox::Open(dir.path(), OutboxOptions()).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((dir.path() + "/outbox.sqlite3").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
                               &select, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(select, 0), 1);
  sqlite3_finalize(select);
  sqlite3_close(db);
}

// --- Accept -------------------------------------------------------------

TEST_P(OutboxTest, AcceptStoresEveryItemAndReturnsTruePerItem) {
  absl::StatusOr<std::vector<bool>> stored =
      AcceptNow(*outbox_, {ProfileItem("Ada"), EventItem("e1"), PurchaseItem("p1")});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_THAT(*stored, ElementsAre(true, true, true));
  EXPECT_EQ(Queued(), 3);

  absl::StatusOr<std::vector<OutboxItem>> due = outbox_->FetchDue(0, absl::Now(), 0, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_THAT(*due, SizeIs(3));
  const OutboxItem& event = (*due)[1];
  EXPECT_EQ(event.workspace, kWorkspace);
  EXPECT_EQ(event.kind, v1::ITEM_KIND_EVENT);
  EXPECT_EQ(event.item_id, "e1");
  EXPECT_EQ(event.user_key, "external_id:u1");
  EXPECT_EQ(event.payload, EventItem("e1").payload);
  EXPECT_EQ(event.payload_version, kPayloadVersion);
  EXPECT_EQ(event.attempts, 0);
  EXPECT_LE(event.accepted, absl::Now());
  EXPECT_EQ((*due)[0].kind, v1::ITEM_KIND_ATTRIBUTES);
  EXPECT_EQ((*due)[2].kind, v1::ITEM_KIND_PURCHASE);
  EXPECT_EQ(StateOf("e1"), ItemIdState::kQueued);
  EXPECT_EQ(StateOf("p1"), ItemIdState::kQueued);
}

TEST_P(OutboxTest, AcceptStoresThePayloadVersionItIsGiven) {
  // The outbox does not interpret payloads: a version only a newer release
  // knows is stored as given (and dead-lettered by the relay, not here).
  NewOutboxItem item = EventItem("e1");
  item.payload_version = 7;
  AcceptOne(std::move(item));
  absl::StatusOr<std::vector<OutboxItem>> due = outbox_->FetchDue(0, absl::Now(), 0, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_THAT(*due, SizeIs(1));
  EXPECT_EQ((*due)[0].payload_version, 7);
}

TEST_P(OutboxTest, AcceptDropsRepeatedIdWithinWindow) {
  ASSERT_THAT(AcceptNow(*outbox_, {EventItem("e1")}), IsOkAndHolds(ElementsAre(true)));

  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1", "other_name"), EventItem("e2")}),
              IsOkAndHolds(ElementsAre(false, true)));
  EXPECT_EQ(Queued(), 2);
}

TEST_P(OutboxTest, AcceptDropsRepeatedIdWithinOneCall) {
  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1"), EventItem("e1")}),
              IsOkAndHolds(ElementsAre(true, false)));
  EXPECT_EQ(Queued(), 1);
}

TEST_P(OutboxTest, SameIdInAnotherWorkspaceIsNotADuplicate) {
  EXPECT_THAT(AcceptNow(*outbox_,
                        {EventItem("e1", "a", kWorkspace), EventItem("e1", "a", kOtherWorkspace)}),
              IsOkAndHolds(ElementsAre(true, true)));
  EXPECT_EQ(Queued(), 2);
}

TEST_P(OutboxTest, DeliveredIdIsStillADuplicateWithinWindow) {
  const int64_t id = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(id)}).ok());

  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1")}), IsOkAndHolds(ElementsAre(false)));
  EXPECT_EQ(Queued(), 0);
}

TEST_P(OutboxTest, DeadLetteredIdMayBeAcceptedAgain) {
  DeadLetterOne(EventItem("e1"));
  ASSERT_EQ(StateOf("e1"), ItemIdState::kDeadLettered);

  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1")}), IsOkAndHolds(ElementsAre(true)));
  EXPECT_EQ(Queued(), 1);
  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, ItemIdState::kQueued);
  EXPECT_EQ(state->dead_letter_id, 0);
  EXPECT_EQ(state->reason, "");
}

TEST_P(OutboxTest, ItemsWithoutIdNeverDedupe) {
  EXPECT_THAT(AcceptNow(*outbox_, {ProfileItem("Ada"), ProfileItem("Ada")}),
              IsOkAndHolds(ElementsAre(true, true)));
  EXPECT_THAT(AcceptNow(*outbox_, {EventItem(""), EventItem("")}),
              IsOkAndHolds(ElementsAre(true, true)));
  EXPECT_EQ(Queued(), 4);
}

TEST_P(OutboxTest, IdIsAcceptedAgainAfterWindow) {
  options_.idempotency_window = absl::Milliseconds(1);
  ASSERT_TRUE(Reopen().ok());
  const int64_t id = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(id)}).ok());
  // Let the (millisecond-granular) window pass: a wait on the clock, not on
  // another thread.
  const absl::Time passed = absl::Now() + absl::Milliseconds(5);
  while (absl::Now() < passed) std::this_thread::yield();

  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1")}), IsOkAndHolds(ElementsAre(true)));
}

// --- FetchDue -----------------------------------------------------------

TEST_P(OutboxTest, FetchDueWalksItemsInAcceptanceOrderFromCursor) {
  for (int i = 0; i < 5; ++i) {
    NewOutboxItem item = EventItem(absl::StrCat("e", i));
    item.user_key = absl::StrCat("user-", i);  // one user's items wait (below)
    ASSERT_TRUE(AcceptNow(*outbox_, {std::move(item)}).ok());
  }
  absl::StatusOr<std::vector<OutboxItem>> first = outbox_->FetchDue(0, absl::Now(), 0, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_THAT(*first, SizeIs(2));
  EXPECT_EQ((*first)[0].item_id, "e0");
  EXPECT_EQ((*first)[1].item_id, "e1");
  EXPECT_LT((*first)[0].id, (*first)[1].id);

  absl::StatusOr<std::vector<OutboxItem>> rest =
      outbox_->FetchDue(0, absl::Now(), first->back().id, 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_THAT(*rest, SizeIs(3));
  EXPECT_EQ((*rest)[0].item_id, "e2");
  EXPECT_EQ((*rest)[2].item_id, "e4");
  EXPECT_GT((*rest)[0].id, first->back().id);

  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), rest->back().id, 10), IsOkAndHolds(IsEmpty()));
}

TEST_P(OutboxTest, FetchDueOnEmptyOutboxIsEmpty) {
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(Queued(), 0);
}

// --- Report -------------------------------------------------------------

TEST_P(OutboxTest, ReportDeliveredDeletesItemAndMarksItDelivered) {
  const int64_t id = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(id)}).ok());

  EXPECT_EQ(Queued(), 0);
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10), IsOkAndHolds(IsEmpty()));
  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, ItemIdState::kDelivered);
  EXPECT_EQ(state->attempts, 1);
  EXPECT_EQ(state->workspace, kWorkspace);
  EXPECT_EQ(state->item_id, "e1");
  EXPECT_GE(state->updated, state->accepted);
}

TEST_P(OutboxTest, ReportRetryReschedulesAndCountsTheAttempt) {
  const int64_t id = AcceptOne(EventItem("e1"));
  const absl::Time retry_at = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(id, retry_at, "HTTP 503")}).ok());

  EXPECT_EQ(Queued(), 1);
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(outbox_->FetchDue(0, retry_at - absl::Milliseconds(2), 0, 10),
              IsOkAndHolds(IsEmpty()));
  absl::StatusOr<std::vector<OutboxItem>> due = outbox_->FetchDue(0, DueAt(retry_at), 0, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_THAT(*due, SizeIs(1));
  EXPECT_EQ((*due)[0].id, id);
  EXPECT_EQ((*due)[0].attempts, 1);

  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, ItemIdState::kQueued);
  EXPECT_EQ(state->attempts, 1);
  EXPECT_EQ(state->reason, "HTTP 503");
}

TEST_P(OutboxTest, ReportRetryAppendsToHistory) {
  const int64_t id = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(id, absl::Now(), "HTTP 503")}).ok());
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(id, absl::Now(), "timeout")}).ok());
  ASSERT_TRUE(ReportNow(*outbox_, {Dead(id, "rejected by Braze: bad", "bad")}).ok());

  absl::StatusOr<DeadLetterPage> letters = store_->ListDeadLetters("", 10, 0);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_THAT(letters->letters, SizeIs(1));
  EXPECT_THAT(letters->letters[0].attempts,
              ElementsAre(Field(&AttemptRecord::outcome, "HTTP 503"),
                          Field(&AttemptRecord::outcome, "timeout"),
                          Field(&AttemptRecord::outcome, "rejected by Braze: bad")));
  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->attempts, 3);
}

TEST_P(OutboxTest, ReportDeadMovesItemToDeadLetters) {
  const int64_t id = AcceptOne(EventItem("e1", "quote_requested"));
  ASSERT_TRUE(
      ReportNow(*outbox_, {Dead(id, "rejected by Braze: 'name' is invalid", "'name' is invalid")})
          .ok());

  EXPECT_EQ(Queued(), 0);
  absl::StatusOr<DeadLetterPage> letters = store_->ListDeadLetters("", 10, 0);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_THAT(letters->letters, SizeIs(1));
  const DeadLetter& letter = letters->letters[0];
  EXPECT_GT(letter.id, 0);
  EXPECT_EQ(letter.workspace, kWorkspace);
  EXPECT_EQ(letter.kind, v1::ITEM_KIND_EVENT);
  EXPECT_EQ(letter.item_id, "e1");
  EXPECT_EQ(letter.reason, "rejected by Braze: 'name' is invalid");
  EXPECT_EQ(letter.braze_response, "'name' is invalid");
  EXPECT_THAT(letter.attempts,
              ElementsAre(Field(&AttemptRecord::outcome, "rejected by Braze: 'name' is invalid")));
  EXPECT_EQ(letter.payload_version, kPayloadVersion);
  EXPECT_THAT(letter.braze_json, HasSubstr("\"quote_requested\""));
  EXPECT_GE(letter.dead_lettered, letter.accepted);

  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, ItemIdState::kDeadLettered);
  EXPECT_EQ(state->dead_letter_id, letter.id);
  EXPECT_EQ(state->reason, "rejected by Braze: 'name' is invalid");
  EXPECT_EQ(state->attempts, 1);
}

TEST_P(OutboxTest, ReportForUnknownIdIsIgnored) {
  EXPECT_TRUE(ReportNow(*outbox_, {Delivered(12345), Dead(12346)}).ok());
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(Field(&DeadLetterPage::letters, IsEmpty())));
}

TEST_P(OutboxTest, ReportAppliesManyVerdictsInOneCall) {
  const int64_t delivered = AcceptOne(EventItem("e1"));
  const int64_t retried = AcceptOne(EventItem("e2"));
  const int64_t dead = AcceptOne(EventItem("e3"));
  ASSERT_TRUE(
      ReportNow(*outbox_, {Delivered(delivered), Retry(retried, absl::Now()), Dead(dead)}).ok());

  EXPECT_EQ(StateOf("e1"), ItemIdState::kDelivered);
  EXPECT_EQ(StateOf("e2"), ItemIdState::kQueued);
  EXPECT_EQ(StateOf("e3"), ItemIdState::kDeadLettered);
  EXPECT_EQ(Queued(), 1);
}

// --- PruneIds -----------------------------------------------------------

TEST_P(OutboxTest, PruneIdsForgetsSettledIdsOlderThanWindow) {
  const int64_t delivered = AcceptOne(EventItem("delivered"));
  AcceptOne(EventItem("queued"));
  DeadLetterOne(EventItem("dead"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(delivered)}).ok());

  // Prune as if the window had passed since.
  ASSERT_TRUE(outbox_->PruneIds(absl::Now() + options_.idempotency_window + absl::Seconds(1)).ok());

  EXPECT_THAT(store_->GetItemStatus(kWorkspace, "delivered").status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(store_->GetItemStatus(kWorkspace, "dead").status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // A queued id is kept: it still guards its live item.
  EXPECT_EQ(StateOf("queued"), ItemIdState::kQueued);
  // The dead letter itself is kept.
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(Field(&DeadLetterPage::letters, SizeIs(1))));
  // A forgotten id may be accepted again.
  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("delivered")}), IsOkAndHolds(ElementsAre(true)));
}

TEST_P(OutboxTest, PruneIdsWithTinyWindowForgetsSettledIds) {
  options_.idempotency_window = absl::Milliseconds(1);
  ASSERT_TRUE(Reopen().ok());
  const int64_t delivered = AcceptOne(EventItem("delivered"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(delivered)}).ok());
  // Let the window pass: a wait on the clock, not on another thread.
  const absl::Time passed = absl::Now() + absl::Milliseconds(5);
  while (absl::Now() < passed) std::this_thread::yield();

  ASSERT_TRUE(outbox_->PruneIds(absl::Now()).ok());

  EXPECT_THAT(store_->GetItemStatus(kWorkspace, "delivered").status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

// Regression test (was a bug in server/durability/outbox.cc, Outbox::Accept):
// an id was treated as a duplicate only while its row was younger than the
// window, even when the item was still QUEUED. PruneIds deliberately keeps
// queued ids "to guard against duplicates of live items", but Accept ignored
// them once they aged: after an outage longer than the window (server down,
// or an item waiting that long for its first attempt), a client retry of a
// still-queued id was stored again and Braze received it twice. Accept's
// claim now keeps a queued id a duplicate however old it is.
TEST_P(OutboxTest, QueuedIdStaysADuplicateAfterWindow) {
  options_.idempotency_window = absl::Milliseconds(1);
  ASSERT_TRUE(Reopen().ok());
  AcceptOne(EventItem("queued"));
  const absl::Time passed = absl::Now() + absl::Milliseconds(5);
  while (absl::Now() < passed) std::this_thread::yield();

  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("queued")}), IsOkAndHolds(ElementsAre(false)));
  EXPECT_EQ(Queued(), 1);
}

TEST_P(OutboxTest, PruneIdsKeepsIdsWithinWindow) {
  const int64_t delivered = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(delivered)}).ok());

  ASSERT_TRUE(outbox_->PruneIds(absl::Now()).ok());

  EXPECT_EQ(StateOf("e1"), ItemIdState::kDelivered);
  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("e1")}), IsOkAndHolds(ElementsAre(false)));
}

// --- Durability ---------------------------------------------------------

TEST_P(OutboxTest, EverythingSurvivesClosingAndReopening) {
  const int64_t queued = AcceptOne(EventItem("queued"));
  const int64_t retried = AcceptOne(EventItem("retried"));
  const int64_t delivered = AcceptOne(EventItem("delivered"));
  const int64_t dead = AcceptOne(EventItem("dead"));
  const absl::Time retry_at = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(retried, retry_at), Delivered(delivered),
                                   Dead(dead, "rejected by Braze: x", "x")})
                  .ok());

  ASSERT_TRUE(Reopen().ok());

  EXPECT_EQ(Queued(), 2);
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, queued))));
  EXPECT_THAT(
      outbox_->FetchDue(0, DueAt(retry_at), 0, 10),
      IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, queued), Field(&OutboxItem::id, retried))));
  EXPECT_EQ(StateOf("delivered"), ItemIdState::kDelivered);
  EXPECT_EQ(StateOf("dead"), ItemIdState::kDeadLettered);
  absl::StatusOr<DeadLetterPage> letters = store_->ListDeadLetters("", 10, 0);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_THAT(letters->letters, SizeIs(1));
  EXPECT_EQ(letters->letters[0].reason, "rejected by Braze: x");
  // The idempotency record survives too.
  EXPECT_THAT(AcceptNow(*outbox_, {EventItem("queued"), EventItem("delivered")}),
              IsOkAndHolds(ElementsAre(false, false)));
  // New ids continue after the old ones.
  const int64_t later = AcceptOne(EventItem("later"));
  EXPECT_GT(later, dead);
}

// --- Per-user order across retries ------------------------------------------

TEST_P(OutboxTest, ALaterItemOfAUserWaitsWhileAnEarlierOneWaitsForItsRetry) {
  NewOutboxItem first = EventItem("a1");
  NewOutboxItem second = EventItem("a2");
  NewOutboxItem other = EventItem("b1");
  other.user_key = "another-user";
  const int64_t a1 = AcceptOne(std::move(first));
  const int64_t a2 = AcceptOne(std::move(second));
  const int64_t b1 = AcceptOne(std::move(other));
  const absl::Time retry_at = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(a1, retry_at)}).ok());

  // a2 is due but must not overtake a1; the other user's item goes on.
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, b1))));
  // Once a1 is due, both come out in acceptance order.
  EXPECT_THAT(outbox_->FetchDue(0, DueAt(retry_at), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, a1), Field(&OutboxItem::id, a2),
                                       Field(&OutboxItem::id, b1))));
}

TEST_P(OutboxTest, AStoreWithOnePartitionRefusesAnother) {
  EXPECT_EQ(outbox_->FetchDue(1, absl::Now(), 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outbox_->SettleInDoubt(1, true).status().code(), absl::StatusCode::kInvalidArgument);
}

// The walk's cursor can pass an item before it is visible (ids are drawn at
// insert, visibility comes at commit, and replicas commit concurrently); its
// user's later items must then wait for the wrap-around that picks it up,
// not overtake it. Found by the cluster test.
TEST_P(OutboxTest, AUsersItemAfterTheCursorWaitsForItsEarlierItemBehindIt) {
  const int64_t earlier = AcceptOne(EventItem("a1"));
  const int64_t later = AcceptOne(EventItem("a2"));
  NewOutboxItem other = EventItem("b1");
  other.user_key = "another-user";
  const int64_t other_id = AcceptOne(std::move(other));
  // From a cursor at `earlier` (as if the walk had passed it unseen): a2
  // waits, the other user's item goes on.
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), earlier, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, other_id))));
  // From the start, both come out in order.
  EXPECT_THAT(
      outbox_->FetchDue(0, absl::Now(), 0, 10),
      IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, earlier), Field(&OutboxItem::id, later),
                               Field(&OutboxItem::id, other_id))));
}

// --- In doubt (items a killed process was sending) -----------------------

TEST_P(OutboxTest, ItemsLeftInDoubtAreDeadLetteredWithTheReasonAfterAReopen) {
  const int64_t in_doubt = AcceptOne(EventItem("sent"));
  const int64_t waiting = AcceptOne(EventItem("waiting"));
  ASSERT_TRUE(MarkInDoubtNow(*outbox_, {in_doubt}).ok());
  ASSERT_TRUE(Reopen().ok());  // as after a SIGKILL: nothing reported

  EXPECT_THAT(outbox_->SettleInDoubt(0, /*dead_letter=*/true), IsOkAndHolds(1));
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, waiting))));
  absl::StatusOr<DeadLetterPage> letters = store_->ListDeadLetters("", 10, 0);
  ASSERT_TRUE(letters.ok()) << letters.status();
  ASSERT_THAT(letters->letters, SizeIs(1));
  EXPECT_EQ(letters->letters[0].item_id, "sent");
  EXPECT_THAT(letters->letters[0].reason, HasSubstr("in doubt"));
  EXPECT_EQ(StateOf("sent"), ItemIdState::kDeadLettered);
  // Settled once: a second start finds nothing.
  EXPECT_THAT(outbox_->SettleInDoubt(0, true), IsOkAndHolds(0));
}

TEST_P(OutboxTest, ItemsLeftInDoubtStayQueuedWhenResent) {
  const int64_t id = AcceptOne(EventItem("sent"));
  ASSERT_TRUE(MarkInDoubtNow(*outbox_, {id}).ok());
  ASSERT_TRUE(Reopen().ok());  // as after a SIGKILL: nothing reported
  EXPECT_THAT(outbox_->SettleInDoubt(0, /*dead_letter=*/false), IsOkAndHolds(1));
  EXPECT_THAT(outbox_->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::id, id))));
  EXPECT_THAT(outbox_->SettleInDoubt(0, true), IsOkAndHolds(0));  // no longer in doubt
}

TEST_P(OutboxTest, AnItemWhoseAttemptWasReportedIsNoLongerInDoubt) {
  const int64_t retried = AcceptOne(EventItem("retried"));
  const int64_t delivered = AcceptOne(EventItem("delivered"));
  ASSERT_TRUE(MarkInDoubtNow(*outbox_, {retried, delivered}).ok());
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(retried, absl::Now()), Delivered(delivered)}).ok());
  ASSERT_TRUE(Reopen().ok());  // the next start finds nothing in doubt
  EXPECT_THAT(outbox_->SettleInDoubt(0, true), IsOkAndHolds(0));
  EXPECT_EQ(Queued(), 1);
}

TEST(OutboxUpgradeTest, AnOutboxFromBeforeInDoubtOpensAndKeepsItsItems) {
  TempDir dir;
  {
    // The outbox table as the first release created it (no in_doubt column).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(absl::StrCat(dir.path(), "/outbox.sqlite3").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "workspace TEXT NOT NULL, kind INTEGER NOT NULL, item_id TEXT NOT "
                           "NULL, user_key TEXT NOT NULL, payload BLOB NOT NULL, payload_version "
                           "INTEGER NOT NULL, accepted_ms INTEGER NOT NULL, attempts INTEGER NOT "
                           "NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0, "
                           "last_outcome TEXT NOT NULL DEFAULT '', history TEXT NOT NULL DEFAULT "
                           "'[]'); INSERT INTO outbox(workspace, kind, item_id, user_key, payload, "
                           "payload_version, accepted_ms) VALUES('prod', 2, 'old', "
                           "'external_id:u1', x'', 1, 0);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  absl::StatusOr<std::unique_ptr<SqliteOutbox>> outbox =
      SqliteOutbox::Open(dir.path(), OutboxOptions());
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  EXPECT_THAT((*outbox)->SettleInDoubt(0, true), IsOkAndHolds(0));
  EXPECT_THAT((*outbox)->FetchDue(0, absl::Now(), 0, 10),
              IsOkAndHolds(ElementsAre(Field(&OutboxItem::item_id, "old"))));
}

// --- Attempt history ----------------------------------------------------

TEST_P(OutboxTest, HistoryKeepsTheLastTwentyAttemptsInOrder) {
  const int64_t id = AcceptOne(EventItem("e1"));
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(ReportNow(*outbox_, {Retry(id, absl::Now(), absl::StrCat("HTTP 50", i))}).ok());
  }
  ASSERT_TRUE(ReportNow(*outbox_, {Dead(id, "gave up")}).ok());
  const std::vector<DeadLetter> letters = AllDeadLetters();
  ASSERT_THAT(letters, SizeIs(1));
  ASSERT_THAT(letters[0].attempts, SizeIs(20));
  EXPECT_EQ(letters[0].attempts.front().outcome, "HTTP 506");
  EXPECT_EQ(letters[0].attempts.back().outcome, "gave up");
  EXPECT_LE(letters[0].attempts.front().at, letters[0].attempts.back().at);
}

TEST(ParseAttemptHistoryTest, ReadsEntriesAndSkipsWhatIsNotAnEntry) {
  const std::vector<AttemptRecord> attempts =
      ParseAttemptHistory(R"([{"at_ms":1714521600000,"outcome":"HTTP 503"},7,{"outcome":"x"}])");
  ASSERT_THAT(attempts, SizeIs(2));
  EXPECT_EQ(attempts[0].at, absl::FromUnixSeconds(1714521600));
  EXPECT_EQ(attempts[0].outcome, "HTTP 503");
  EXPECT_EQ(attempts[1].at, absl::UnixEpoch());
  EXPECT_EQ(attempts[1].outcome, "x");
}

TEST(ParseAttemptHistoryTest, MalformedHistoryReadsAsEmpty) {
  EXPECT_THAT(ParseAttemptHistory("not json"), IsEmpty());
  EXPECT_THAT(ParseAttemptHistory(R"({"at_ms":1})"), IsEmpty());
  EXPECT_THAT(ParseAttemptHistory(""), IsEmpty());
}

// --- Group commit -------------------------------------------------------

TEST_P(OutboxTest, ConcurrentAcceptsAllCompleteAndAreStored) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 50;
  absl::BlockingCounter remaining(kThreads * kCallsPerThread);
  std::atomic<int> stored{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCallsPerThread; ++c) {
        // One call with an id and one item without, so both paths race.
        std::vector<NewOutboxItem> items = {EventItem(absl::StrCat("t", t, "c", c)),
                                            ProfileItem("Ada")};
        outbox_->Accept(std::move(items), [&](absl::StatusOr<std::vector<bool>> result) {
          if (!result.ok()) {
            failed.fetch_add(1);
          } else {
            for (bool one : *result) stored.fetch_add(one ? 1 : 0);
          }
          remaining.DecrementCount();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  remaining.Wait();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stored.load(), kThreads * kCallsPerThread * 2);
  EXPECT_EQ(Queued(), kThreads * kCallsPerThread * 2);
}

TEST_P(OutboxTest, ConcurrentAcceptsOfOneIdStoreItOnce) {
  constexpr int kThreads = 8;
  absl::BlockingCounter remaining(kThreads);
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      outbox_->Accept({EventItem("same")}, [&](absl::StatusOr<std::vector<bool>> result) {
        if (result.ok() && (*result)[0]) stored.fetch_add(1);
        remaining.DecrementCount();
      });
    });
  }
  for (std::thread& thread : threads) thread.join();
  remaining.Wait();

  EXPECT_EQ(stored.load(), 1);
  EXPECT_EQ(Queued(), 1);
}

TEST_P(OutboxTest, ClosingRunsQueuedWorkFirst) {
  absl::Notification accepted;
  bool ok = false;
  outbox_->Accept({EventItem("e1")}, [&](absl::StatusOr<std::vector<bool>> result) {
    ok = result.ok();
    accepted.Notify();
  });
  outbox_.reset();  // the destructor drains the pending commit

  EXPECT_TRUE(accepted.HasBeenNotified());
  EXPECT_TRUE(ok);
  ASSERT_TRUE(Reopen().ok());
  EXPECT_EQ(Queued(), 1);
}

}  // namespace
}  // namespace brazesync
