// Tests for server/durability/dead_letter_store.h: item status, and the
// dead-letter store (list, get, replay, purge) over a real outbox, including
// paging by count and by bytes (a letter too large for a page is listed
// without its Braze JSON, which GetDeadLetter returns whole), and letters
// whose payload cannot be converted.
//
// Every case runs against both stores (SqliteDeadLetterStore,
// PostgresDeadLetterStore), each test in a database of its own (PostgreSQL:
// in the `postgres` fixture's server, skipped without it); nothing sleeps
// to synchronise.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/durability/sqlite_dead_letter_store.h"
#include "server/durability/sqlite_outbox.h"
#include "tests/server/durability/outbox_test_support.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using outbox_testing::AcceptNow;
using outbox_testing::Dead;
using outbox_testing::Delivered;
using outbox_testing::EventItem;
using outbox_testing::Ids;
using outbox_testing::IsOkAndHolds;
using outbox_testing::kOtherWorkspace;
using outbox_testing::kWorkspace;
using outbox_testing::ProfileItem;
using outbox_testing::ReportNow;
using outbox_testing::Retry;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing_support::StatusIs;

// Every store must pass these: each runs against SQLite and PostgreSQL.
class DeadLetterStoreTest : public outbox_testing::StoreFixture {};
INSTANTIATE_TEST_SUITE_P(Stores, DeadLetterStoreTest, outbox_testing::kAllStores,
                         outbox_testing::StoreKindName);

// --- Item status --------------------------------------------------------

TEST_P(DeadLetterStoreTest, GetItemStatusReportsTheRecord) {
  const int64_t id = AcceptOne(EventItem("e1"));
  const absl::Time retry_at = absl::Now() + absl::Hours(1);
  ASSERT_TRUE(ReportNow(*outbox_, {Retry(id, retry_at, "HTTP 503")}).ok());

  absl::StatusOr<ItemStatus> status = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->workspace, kWorkspace);
  EXPECT_EQ(status->item_id, "e1");
  EXPECT_EQ(status->state, ItemIdState::kQueued);
  EXPECT_EQ(status->attempts, 1);
  EXPECT_EQ(status->reason, "HTTP 503");
  EXPECT_EQ(status->dead_letter_id, 0);
  EXPECT_LE(status->accepted, status->updated);
  EXPECT_LE(status->updated, absl::Now());
}

TEST_P(DeadLetterStoreTest, GetItemStatusIsPerWorkspace) {
  AcceptOne(EventItem("e1", "a", kWorkspace));
  EXPECT_THAT(store_->GetItemStatus(kOtherWorkspace, "e1").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(kOtherWorkspace)));
}

TEST_P(DeadLetterStoreTest, GetItemStatusOfUnknownIdIsNotFound) {
  EXPECT_THAT(store_->GetItemStatus(kWorkspace, "never").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("never")));
}

// --- Dead letters -------------------------------------------------------

TEST_P(DeadLetterStoreTest, ListDeadLettersPagesById) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(DeadLetterOne(EventItem(absl::StrCat("e", i))));

  absl::StatusOr<DeadLetterPage> page1 = store_->ListDeadLetters("", 2, 0);
  ASSERT_TRUE(page1.ok()) << page1.status();
  EXPECT_THAT(Ids(*page1), ElementsAre(ids[0], ids[1]));
  EXPECT_EQ(page1->next_after_id, ids[1]);

  absl::StatusOr<DeadLetterPage> page2 = store_->ListDeadLetters("", 2, page1->next_after_id);
  ASSERT_TRUE(page2.ok()) << page2.status();
  EXPECT_THAT(Ids(*page2), ElementsAre(ids[2], ids[3]));
  EXPECT_EQ(page2->next_after_id, ids[3]);

  absl::StatusOr<DeadLetterPage> page3 = store_->ListDeadLetters("", 2, page2->next_after_id);
  ASSERT_TRUE(page3.ok()) << page3.status();
  EXPECT_THAT(Ids(*page3), ElementsAre(ids[4]));
  EXPECT_EQ(page3->next_after_id, 0);
}

TEST_P(DeadLetterStoreTest, ListDeadLettersExactPageHasNoNextPage) {
  const int64_t first = DeadLetterOne(EventItem("e1"));
  const int64_t second = DeadLetterOne(EventItem("e2"));

  absl::StatusOr<DeadLetterPage> page = store_->ListDeadLetters("", 2, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Ids(*page), ElementsAre(first, second));
  EXPECT_EQ(page->next_after_id, 0);
}

TEST_P(DeadLetterStoreTest, ListDeadLettersDefaultPageSizeReturnsAll) {
  for (int i = 0; i < 3; ++i) DeadLetterOne(EventItem(absl::StrCat("e", i)));
  absl::StatusOr<DeadLetterPage> page = store_->ListDeadLetters("", 0, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->letters, SizeIs(3));
  EXPECT_EQ(page->next_after_id, 0);
}

TEST_P(DeadLetterStoreTest, ListDeadLettersFiltersByWorkspace) {
  const int64_t prod1 = DeadLetterOne(EventItem("e1", "a", kWorkspace));
  const int64_t staging1 = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));
  const int64_t prod2 = DeadLetterOne(EventItem("e3", "a", kWorkspace));
  const int64_t staging2 = DeadLetterOne(EventItem("e4", "a", kOtherWorkspace));

  EXPECT_THAT(store_->ListDeadLetters(kOtherWorkspace, 10, 0),
              IsOkAndHolds(::testing::ResultOf([](const DeadLetterPage& r) { return Ids(r); },
                                               ElementsAre(staging1, staging2))));
  absl::StatusOr<DeadLetterPage> prod = store_->ListDeadLetters(kWorkspace, 1, 0);
  ASSERT_TRUE(prod.ok()) << prod.status();
  EXPECT_THAT(Ids(*prod), ElementsAre(prod1));
  EXPECT_EQ(prod->next_after_id, prod1);
  EXPECT_THAT(store_->ListDeadLetters(kWorkspace, 1, prod->next_after_id),
              IsOkAndHolds(::testing::ResultOf([](const DeadLetterPage& r) { return Ids(r); },
                                               ElementsAre(prod2))));
}

TEST_P(DeadLetterStoreTest, GetDeadLetterReturnsIt) {
  const int64_t id = DeadLetterOne(EventItem("e1"));
  absl::StatusOr<DeadLetter> letter = store_->GetDeadLetter(id);
  ASSERT_TRUE(letter.ok()) << letter.status();
  EXPECT_EQ(letter->id, id);
  EXPECT_EQ(letter->item_id, "e1");
}

TEST_P(DeadLetterStoreTest, GetDeadLetterOfUnknownIdIsNotFound) {
  EXPECT_THAT(store_->GetDeadLetter(42).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("42")));
}

TEST_P(DeadLetterStoreTest, ReplayMovesDeadLetterBackToOutbox) {
  const int64_t dead_id = DeadLetterOne(EventItem("e1"));
  ASSERT_EQ(Queued(), 0);

  absl::StatusOr<ReplayResult> replay = store_->ReplayDeadLetters({{dead_id}, false, ""});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->replayed, 1);
  EXPECT_EQ(replay->skipped_delivered, 0);

  absl::StatusOr<std::vector<OutboxItem>> due = outbox_->FetchDue(0, absl::Now(), 0, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  ASSERT_THAT(*due, SizeIs(1));
  EXPECT_EQ((*due)[0].item_id, "e1");
  EXPECT_EQ((*due)[0].payload, EventItem("e1").payload);
  EXPECT_THAT(store_->GetDeadLetter(dead_id).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  absl::StatusOr<ItemStatus> state = store_->GetItemStatus(kWorkspace, "e1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, ItemIdState::kQueued);
  EXPECT_EQ(state->dead_letter_id, 0);
}

TEST_P(DeadLetterStoreTest, ReplaySkipsIdDeliveredSince) {
  const int64_t dead_id = DeadLetterOne(EventItem("e1"));
  // The caller sends e1 again (allowed after a dead letter) and it is
  // delivered.
  const int64_t again = AcceptOne(EventItem("e1"));
  ASSERT_TRUE(ReportNow(*outbox_, {Delivered(again)}).ok());

  absl::StatusOr<ReplayResult> replay = store_->ReplayDeadLetters({{dead_id}, false, ""});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->replayed, 0);
  EXPECT_EQ(replay->skipped_delivered, 1);
  EXPECT_EQ(Queued(), 0);
  EXPECT_EQ(StateOf("e1"), ItemIdState::kDelivered);
  EXPECT_THAT(store_->GetDeadLetter(dead_id).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

// Regression test (was a bug in server/durability/dead_letter_store.cc,
// ReplayDeadLetters): it skipped a dead letter only when its id was DELIVERED.
// When the caller had sent the id again (allowed after a dead letter) and it
// was still QUEUED, replay added a second outbox row with the same id and Braze
// received the item twice; likewise with `all` when one id had two dead
// letters. Replay now also skips an id that is QUEUED (counted in
// skipped_delivered: it is about to be delivered) and drops the dead letter as
// for DELIVERED.
TEST_P(DeadLetterStoreTest, ReplaySkipsIdQueuedAgainSince) {
  const int64_t dead_id = DeadLetterOne(EventItem("e1"));
  AcceptOne(EventItem("e1"));  // sent again; still queued

  absl::StatusOr<ReplayResult> replay = store_->ReplayDeadLetters({{dead_id}, false, ""});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->replayed, 0);
  EXPECT_EQ(Queued(), 1);
}

TEST_P(DeadLetterStoreTest, ReplayAllOfWorkspaceLeavesOthers) {
  DeadLetterOne(EventItem("e1", "a", kWorkspace));
  const int64_t staging = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));
  DeadLetterOne(EventItem("", "a", kWorkspace));

  absl::StatusOr<ReplayResult> replay = store_->ReplayDeadLetters({{}, true, kWorkspace});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->replayed, 2);
  EXPECT_EQ(Queued(), 2);
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(::testing::ResultOf([](const DeadLetterPage& r) { return Ids(r); },
                                               ElementsAre(staging))));
}

TEST_P(DeadLetterStoreTest, ReplayOfUnknownIdDoesNothing) {
  absl::StatusOr<ReplayResult> replay = store_->ReplayDeadLetters({{99}, false, ""});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->replayed, 0);
  EXPECT_EQ(replay->skipped_delivered, 0);
  EXPECT_EQ(Queued(), 0);
}

TEST_P(DeadLetterStoreTest, PurgeByIdsDeletesOnlyThose) {
  const int64_t first = DeadLetterOne(EventItem("e1"));
  const int64_t second = DeadLetterOne(EventItem("e2"));
  const int64_t third = DeadLetterOne(EventItem("e3"));

  absl::StatusOr<int> purge = store_->PurgeDeadLetters({{first, third, 9999}, false, ""});
  ASSERT_TRUE(purge.ok()) << purge.status();
  EXPECT_EQ(*purge, 2);
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(::testing::ResultOf([](const DeadLetterPage& r) { return Ids(r); },
                                               ElementsAre(second))));
  EXPECT_EQ(Queued(), 0);
}

TEST_P(DeadLetterStoreTest, PurgeAllOfWorkspace) {
  DeadLetterOne(EventItem("e1", "a", kWorkspace));
  const int64_t staging = DeadLetterOne(EventItem("e2", "a", kOtherWorkspace));

  absl::StatusOr<int> purge = store_->PurgeDeadLetters({{}, true, kWorkspace});
  ASSERT_TRUE(purge.ok()) << purge.status();
  EXPECT_EQ(*purge, 1);
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(::testing::ResultOf([](const DeadLetterPage& r) { return Ids(r); },
                                               ElementsAre(staging))));
}

TEST_P(DeadLetterStoreTest, PurgeAll) {
  for (int i = 0; i < 3; ++i)
    DeadLetterOne(EventItem(absl::StrCat("e", i), "a", i % 2 ? kWorkspace : kOtherWorkspace));
  absl::StatusOr<int> purge = store_->PurgeDeadLetters({{}, true, ""});
  ASSERT_TRUE(purge.ok()) << purge.status();
  EXPECT_EQ(*purge, 3);
  EXPECT_THAT(store_->ListDeadLetters("", 10, 0),
              IsOkAndHolds(Field(&DeadLetterPage::letters, IsEmpty())));
}

// --- Paging by bytes ----------------------------------------------------

// A page budget that holds two of the 4 KB letters below, not three.
constexpr size_t kSmallPageBytes = 10'000;
constexpr size_t kMediumNotes = 4'000;

TEST_P(DeadLetterStoreTest, ListedBytesCountsTextJsonAndAttempts) {
  DeadLetter letter;
  const size_t empty = ListedBytes(letter);
  letter.workspace = "prod";
  letter.item_id = "e1";
  letter.reason = "why";
  letter.braze_response = "text";
  letter.braze_json = std::string(100, 'j');
  const size_t with_text = ListedBytes(letter);
  EXPECT_EQ(with_text, empty + 4 + 2 + 3 + 4 + 100);
  letter.attempts.push_back({absl::Now(), "HTTP 503"});
  EXPECT_GT(ListedBytes(letter), with_text + 8);
}

TEST_P(DeadLetterStoreTest, ListStopsAtTheByteBudgetAndTheCursorContinues) {
  max_page_bytes_ = kSmallPageBytes;
  ASSERT_TRUE(Reopen().ok());
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(DeadLetterOne(ProfileItem(absl::StrCat("p", i), kMediumNotes)));
  }

  std::vector<int64_t> listed;
  std::vector<size_t> page_sizes;
  int64_t after_id = 0;
  do {
    absl::StatusOr<DeadLetterPage> page = store_->ListDeadLetters("", 0, after_id);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_THAT(page->letters, ::testing::Not(IsEmpty()));
    size_t bytes = 0;
    for (const DeadLetter& letter : page->letters) {
      EXPECT_FALSE(letter.braze_json_omitted) << letter.id;
      EXPECT_THAT(letter.braze_json, HasSubstr("\"p"));
      bytes += ListedBytes(letter);
      listed.push_back(letter.id);
    }
    EXPECT_LE(bytes, kSmallPageBytes);
    page_sizes.push_back(page->letters.size());
    after_id = page->next_after_id;
    if (after_id != 0) {
      EXPECT_EQ(after_id, page->letters.back().id);
    }
  } while (after_id != 0 && listed.size() <= ids.size());

  EXPECT_THAT(listed, ElementsAreArray(ids));  // each once, in order
  EXPECT_THAT(page_sizes, ElementsAre(2, 2, 1));
}

TEST_P(DeadLetterStoreTest, ALetterLargerThanAPageIsListedWithoutItsJson) {
  max_page_bytes_ = kSmallPageBytes;
  ASSERT_TRUE(Reopen().ok());
  constexpr size_t kLargeNotes = 5 * kSmallPageBytes;
  const int64_t before = DeadLetterOne(EventItem("e1", "before_it"));
  const int64_t large = DeadLetterOne(ProfileItem("Ada", kLargeNotes));
  const int64_t after = DeadLetterOne(EventItem("e2", "after_it"));

  // Reading stops after the large letter (its payload alone exceeds the
  // budget), so the page ends with it and the cursor continues after it.
  absl::StatusOr<DeadLetterPage> page = store_->ListDeadLetters("", 0, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_THAT(Ids(*page), ElementsAre(before, large));
  EXPECT_EQ(page->next_after_id, large);
  const DeadLetter& listed = page->letters[1];
  EXPECT_TRUE(listed.braze_json_omitted);
  EXPECT_THAT(listed.braze_json, IsEmpty());
  EXPECT_GT(listed.braze_json_bytes, static_cast<int64_t>(kLargeNotes));
  EXPECT_EQ(listed.reason, "rejected by Braze: invalid");  // the rest is there
  EXPECT_FALSE(page->letters[0].braze_json_omitted);
  EXPECT_THAT(page->letters[0].braze_json, HasSubstr("\"before_it\""));
  EXPECT_THAT(
      store_->ListDeadLetters("", 0, page->next_after_id),
      IsOkAndHolds(Field(&DeadLetterPage::letters, ElementsAre(Field(&DeadLetter::id, after)))));

  // GetDeadLetter has no page budget: the JSON comes whole.
  absl::StatusOr<DeadLetter> whole = store_->GetDeadLetter(large);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_FALSE(whole->braze_json_omitted);
  EXPECT_EQ(static_cast<int64_t>(whole->braze_json.size()), listed.braze_json_bytes);
  EXPECT_THAT(whole->braze_json, HasSubstr(std::string(kLargeNotes, 'n')));
}

TEST_P(DeadLetterStoreTest, ALargeLetterFirstIsAPageOfItsOwn) {
  max_page_bytes_ = kSmallPageBytes;
  ASSERT_TRUE(Reopen().ok());
  const int64_t large = DeadLetterOne(ProfileItem("Ada", 5 * kSmallPageBytes));
  const int64_t medium1 = DeadLetterOne(ProfileItem("p1", kMediumNotes));
  const int64_t medium2 = DeadLetterOne(ProfileItem("p2", kMediumNotes));
  const int64_t medium3 = DeadLetterOne(ProfileItem("p3", kMediumNotes));

  absl::StatusOr<DeadLetterPage> first = store_->ListDeadLetters("", 0, 0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Ids(*first), ElementsAre(large));
  EXPECT_TRUE(first->letters[0].braze_json_omitted);
  EXPECT_EQ(first->next_after_id, large);
  absl::StatusOr<DeadLetterPage> second = store_->ListDeadLetters("", 0, first->next_after_id);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Ids(*second), ElementsAre(medium1, medium2));
  EXPECT_EQ(second->next_after_id, medium2);
  EXPECT_THAT(
      store_->ListDeadLetters("", 0, second->next_after_id),
      IsOkAndHolds(Field(&DeadLetterPage::letters, ElementsAre(Field(&DeadLetter::id, medium3)))));
}

TEST_P(DeadLetterStoreTest, DefaultBudgetListsManyOrdinaryLettersInOnePage) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(DeadLetterOne(EventItem(absl::StrCat("e", i))));
  absl::StatusOr<DeadLetterPage> page = store_->ListDeadLetters("", 0, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Ids(*page), ElementsAreArray(ids));
  EXPECT_EQ(page->next_after_id, 0);
}

// --- Payloads that cannot be converted ------------------------------------

TEST_P(DeadLetterStoreTest, AnUnconvertiblePayloadIsListedWithTheReason) {
  NewOutboxItem future = EventItem("future");
  future.payload_version = 99;  // a version only a newer release knows
  const int64_t id = DeadLetterOne(std::move(future));

  absl::StatusOr<DeadLetter> letter = store_->GetDeadLetter(id);
  ASSERT_TRUE(letter.ok()) << letter.status();
  EXPECT_EQ(letter->payload_version, 99);
  EXPECT_THAT(letter->braze_json, HasSubstr("payload version 99 is not supported"));
  EXPECT_THAT(store_->ListDeadLetters("", 0, 0),
              IsOkAndHolds(Field(&DeadLetterPage::letters, SizeIs(1))));
}

}  // namespace
}  // namespace brazesync
