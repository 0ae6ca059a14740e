// Tests for server/postgres/pg_connection.h against a real PostgreSQL:
// parameters and array literals round-trip any bytes, and errors are
// classified and name what failed.
#include "server/postgres/pg_connection.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/testing/postgres_test_database.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using testing_support::PostgresTestDatabase;

class PgConnectionTest : public testing_support::PostgresDatabaseTest {
 protected:
};

TEST_F(PgConnectionTest, ParametersRoundTripTextNumbersBytesAndNull) {
  const std::string bytes("a\0b\xff\"\\", 6);
  absl::StatusOr<PgResult> row =
      check_->Exec("echo", "SELECT $1::text, $2::bigint, $3::bytea, $4::text IS NULL",
                   {PgParam::Text("quote \" and \\ and é"), PgParam::Int(-42),
                    PgParam::Bytes(bytes), PgParam::Null()});
  ASSERT_TRUE(row.ok()) << row.status();
  ASSERT_EQ(row->rows(), 1);
  EXPECT_EQ(row->Text(0, 0), "quote \" and \\ and é");
  EXPECT_EQ(row->Int(0, 1), -42);
  EXPECT_EQ(row->Bytes(0, 2), bytes);
  EXPECT_TRUE(row->Bool(0, 3));
}

TEST_F(PgConnectionTest, ArrayLiteralsRoundTripEveryElement) {
  const std::vector<std::string> texts = {"", "plain", "with,comma", "{braces}", "\"q\"", "back\\"};
  const std::vector<std::string> blobs = {std::string("\0\x01", 2), "", "xyz"};
  absl::StatusOr<PgResult> rows =
      check_->Exec("unnest",
                   "SELECT t, b, i FROM unnest($1::text[], $2::bytea[], $3::bigint[]) "
                   "WITH ORDINALITY AS u(t, b, i, n) ORDER BY n",
                   {PgParam::Text(PgTextArray({texts[0], texts[1], texts[2]})),
                    PgParam::Text(PgByteaArray(blobs)), PgParam::Text(PgIntArray({1, -2, 3}))});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->rows(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rows->Text(i, 0), texts[i]);
    EXPECT_EQ(rows->Bytes(i, 1), blobs[i]);
  }
  EXPECT_EQ(rows->Int(1, 2), -2);
  absl::StatusOr<PgResult> odd =
      check_->Exec("odd texts", "SELECT unnest($1::text[])",
                   {PgParam::Text(PgTextArray({texts[3], texts[4], texts[5]}))});
  ASSERT_TRUE(odd.ok()) << odd.status();
  ASSERT_EQ(odd->rows(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(odd->Text(i, 0), texts[i + 3]);
}

TEST_F(PgConnectionTest, AStatementErrorIsInternalAndNamesWhatFailed) {
  absl::StatusOr<PgResult> result = check_->Exec("read widgets", "SELECT * FROM widgets");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("test: read widgets: "));
  EXPECT_THAT(result.status().message(), HasSubstr("widgets"));
  EXPECT_TRUE(check_->healthy());
}

TEST_F(PgConnectionTest, ATerminatedSessionIsUnavailable) {
  std::unique_ptr<PgConnection> other = database_->Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(check_
                  ->Exec("terminate", "SELECT pg_terminate_backend($1)",
                         {PgParam::Int(other->backend_pid())})
                  .ok());
  absl::StatusOr<PgResult> result = other->Exec("after", "SELECT 1");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_FALSE(other->healthy());
}

TEST(PgConnectionConnectTest, AnUnreachableServerIsUnavailableAndNamesTheLabel) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect("postgresql:///none?host=/nonexistent-dir&connect_timeout=2", "store");
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(connection.status().message(), HasSubstr("store: cannot connect to PostgreSQL"));
}

}  // namespace
}  // namespace brazesync
