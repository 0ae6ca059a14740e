// Tests for server/durability/sqlite_db.h: opening (and failing to open or
// set up) a database, statements (binds, columns, and prepare errors that
// name the statement instead of being dropped), the group-commit worker
// (a failed task undoes only its own writes, urgent work goes first, closing
// runs what is queued) and reads on the reader connection.
//
// Every test uses a file in a fresh mkdtemp directory. Ordering is forced
// with absl::Notification; nothing sleeps to synchronise.
#include "server/durability/sqlite_db.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::kWait;
using testing_support::StatusIs;
using testing_support::TempDir;

constexpr char kCreateTable[] = "CREATE TABLE IF NOT EXISTS t(v TEXT NOT NULL)";

absl::Status CreateTable(Database& db) { return db.Exec(kCreateTable); }

// Inserts `value` into t.
absl::Status Insert(Database& db, const std::string& value) {
  absl::StatusOr<Statement> insert = db.Prepare("INSERT INTO t(v) VALUES(?1)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, value);
  return insert->Step() == SQLITE_DONE ? absl::OkStatus() : db.Error("insert");
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.label = "test";
    absl::StatusOr<std::unique_ptr<Database>> opened =
        Database::Open(path_, options, [](Database& db) { return CreateTable(db); });
    ASSERT_TRUE(opened.ok()) << opened.status();
    db_ = *std::move(opened);
  }

  // Every value in t, in insertion order, read on the reader connection.
  std::vector<std::string> Values() {
    std::vector<std::string> values;
    absl::Status read = db_->Read("SELECT v FROM t ORDER BY rowid", "read t", [&](Statement& row) {
      int step;
      while ((step = row.Step()) == SQLITE_ROW) values.push_back(row.Text(0));
      return step == SQLITE_DONE;
    });
    EXPECT_TRUE(read.ok()) << read;
    return values;
  }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/test.sqlite3";
  std::unique_ptr<Database> db_;
};

TEST(DatabaseOpenTest, FailsPreconditionNamingThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/missing/test.sqlite3";
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path, DatabaseOptions(), [](Database&) { return absl::OkStatus(); });
  EXPECT_THAT(db.status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)));
}

TEST(DatabaseOpenTest, ReturnsTheSetupError) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(dir.path() + "/test.sqlite3", DatabaseOptions(),
                     [](Database&) { return absl::DataLossError("schema from the future"); });
  EXPECT_THAT(db.status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("schema from the future")));
}

TEST_F(DatabaseTest, PrepareOfBadSqlFailsNamingTheStatement) {
  absl::Status status = db_->RunSync([](Database& db) -> absl::Status {
    return db.Prepare("SELECT v FROM no_such_table").status();
  });
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInternal,
                       ::testing::AllOf(HasSubstr("test: prepare"), HasSubstr("no_such_table"))));
}

TEST_F(DatabaseTest, StatementBindsAndReadsColumns) {
  const std::string text = "caf\xc3\xa9";
  const std::string blob("a\0b", 3);
  absl::Status status = db_->RunSync([&](Database& db) -> absl::Status {
    absl::StatusOr<Statement> select = db.Prepare("SELECT ?1, ?2, ?3, NULL");
    if (!select.ok()) return select.status();
    select->Bind(1, int64_t{1} << 40).Bind(2, text).BindBlob(3, blob);
    EXPECT_EQ(select->Step(), SQLITE_ROW);
    EXPECT_EQ(select->Int(0), int64_t{1} << 40);
    EXPECT_EQ(select->Text(1), text);
    EXPECT_EQ(select->Text(2), blob);
    EXPECT_EQ(select->Bytes(2), 3);
    EXPECT_EQ(select->Text(3), "");
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(DatabaseTest, AStatementIsResetForItsNextUse) {
  ASSERT_TRUE(db_->RunSync([](Database& db) { return Insert(db, "a"); }).ok());
  ASSERT_TRUE(db_->RunSync([](Database& db) { return Insert(db, "b"); }).ok());
  // The same cached statement, stepped to its first row twice.
  for (int use = 0; use < 2; ++use) {
    absl::Status status = db_->RunSync([](Database& db) -> absl::Status {
      absl::StatusOr<Statement> select = db.Prepare("SELECT v FROM t ORDER BY rowid");
      if (!select.ok()) return select.status();
      EXPECT_EQ(select->Step(), SQLITE_ROW);
      EXPECT_EQ(select->Text(0), "a");
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  }
}

TEST_F(DatabaseTest, AFailedTaskUndoesOnlyItsOwnWrites) {
  absl::Notification blocked;
  absl::Notification release;
  std::vector<absl::Status> results(3);
  absl::BlockingCounter remaining(3);
  auto done = [&](int i) {
    return [&, i](absl::Status status) {
      results[i] = std::move(status);
      remaining.DecrementCount();
    };
  };
  // Holds the worker so that the next two tasks share one group commit.
  db_->Submit(
      [&](Database&) -> absl::Status {
        blocked.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      },
      done(0));
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(kWait));
  db_->Submit(
      [](Database& db) -> absl::Status {
        absl::Status inserted = Insert(db, "undone");
        return inserted.ok() ? absl::AbortedError("changed its mind") : inserted;
      },
      done(1));
  db_->Submit([](Database& db) { return Insert(db, "kept"); }, done(2));
  release.Notify();
  remaining.Wait();

  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kAborted, "changed its mind"));
  EXPECT_TRUE(results[2].ok()) << results[2];
  EXPECT_THAT(Values(), ElementsAre("kept"));
}

TEST_F(DatabaseTest, UrgentWorkRunsAheadOfWaitingBackgroundWork) {
  absl::Notification blocked;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<std::string> order;
  db_->Submit(
      [&](Database&) -> absl::Status {
        blocked.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      },
      [](absl::Status) {});
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(kWait));
  auto record = [&](const char* what) {
    return [&, what](Database&) -> absl::Status {
      absl::MutexLock lock(&mu);
      order.push_back(what);
      return absl::OkStatus();
    };
  };
  db_->Submit(record("background"), [](absl::Status) {});
  db_->Submit(
      record("urgent"), [](absl::Status) {}, /*urgent=*/true);
  release.Notify();
  // RunSync queues behind both, so they have run when it returns.
  ASSERT_TRUE(db_->RunSync([](Database&) { return absl::OkStatus(); }).ok());

  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre("urgent", "background"));
}

TEST_F(DatabaseTest, ClosingRunsQueuedWorkFirst) {
  absl::Notification done;
  absl::Status result = absl::UnknownError("not run");
  db_->Submit([](Database& db) { return Insert(db, "queued"); },
              [&](absl::Status status) {
                result = std::move(status);
                done.Notify();
              });
  db_.reset();

  EXPECT_TRUE(done.HasBeenNotified());
  EXPECT_TRUE(result.ok()) << result;
  SetUp();  // reopen the same file
  EXPECT_THAT(Values(), ElementsAre("queued"));
}

TEST_F(DatabaseTest, ReadSeesCommittedWritesOnly) {
  ASSERT_TRUE(db_->RunSync([](Database& db) { return Insert(db, "committed"); }).ok());
  absl::Status failed = db_->RunSync([](Database& db) -> absl::Status {
    absl::Status inserted = Insert(db, "rolled back");
    return inserted.ok() ? absl::AbortedError("undo") : inserted;
  });
  ASSERT_THAT(failed, StatusIs(absl::StatusCode::kAborted, "undo"));
  EXPECT_THAT(Values(), ElementsAre("committed"));
}

TEST_F(DatabaseTest, ReadOfBadSqlFailsNamingWhat) {
  absl::Status read =
      db_->Read("SELECT v FROM no_such_table", "read missing", [](Statement&) { return true; });
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kInternal,
                             ::testing::AllOf(HasSubstr("test: prepare read missing"),
                                              HasSubstr("no_such_table"))));
}

TEST_F(DatabaseTest, ReadReportsAFailedStep) {
  absl::Status read = db_->Read("SELECT v FROM t", "read t", [](Statement&) { return false; });
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kInternal, HasSubstr("test: read t")));
}

TEST_F(DatabaseTest, ErrorNamesTheLabelAndWhat) {
  absl::Status status = db_->RunSync([](Database& db) { return db.Error("step x"); });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal, HasSubstr("test: step x")));
}

}  // namespace
}  // namespace brazesync
