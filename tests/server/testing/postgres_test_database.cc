// Per-test databases in the fixture's PostgreSQL.
#include "tests/server/testing/postgres_test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace brazesync::testing_support {
namespace {

// The fixture's URI names database "brazesync" (tests/lib/postgres.sh).
constexpr char kServerDatabase[] = "///brazesync?";

}  // namespace

std::string PostgresTestDatabase::ServerUri() {
  const char* file = std::getenv("BRAZESYNC_TEST_PG_DSN_FILE");
  if (file == nullptr) return "";
  std::ifstream in(file);
  std::string uri;
  std::getline(in, uri);
  return std::string(absl::StripAsciiWhitespace(uri));
}

absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> PostgresTestDatabase::Create() {
  const std::string server = ServerUri();
  if (server.empty()) return absl::FailedPreconditionError("no PostgreSQL fixture");
  static std::atomic<int> counter{0};
  const std::string name = absl::StrCat("test_", getpid(), "_", counter++, "_", rand() % 100000);
  absl::StatusOr<std::unique_ptr<PgConnection>> admin = PgConnection::Connect(server, "test");
  if (!admin.ok()) return admin.status();
  absl::Status created = (*admin)->Run("create database", absl::StrCat("CREATE DATABASE ", name));
  if (!created.ok()) return created;
  const std::string uri =
      absl::StrReplaceAll(server, {{kServerDatabase, absl::StrCat("///", name, "?")}});
  return std::unique_ptr<PostgresTestDatabase>(new PostgresTestDatabase(name, uri));
}

PostgresTestDatabase::~PostgresTestDatabase() {
  absl::StatusOr<std::unique_ptr<PgConnection>> admin = PgConnection::Connect(ServerUri(), "test");
  if (!admin.ok()) return;  // the fixture removes the whole server anyway
  (*admin)
      ->Run("drop database", absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"))
      .IgnoreError();
}

std::unique_ptr<PgConnection> PostgresTestDatabase::Connect() const {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection = PgConnection::Connect(uri_, "test");
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? *std::move(connection) : nullptr;
}

void PostgresDatabaseTest::SetUp() {
  BRAZESYNC_REQUIRE_POSTGRES();
  absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> database = PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  database_ = *std::move(database);
  check_ = database_->Connect();
  ASSERT_NE(check_, nullptr);
  SetUpDatabase(*check_);
}

}  // namespace brazesync::testing_support
