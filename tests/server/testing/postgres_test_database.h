// A PostgreSQL database of its own for one test, created in the throwaway
// server of the ctest fixture `postgres` (tests/lib/postgres_fixture.sh) and
// dropped afterwards, so tests running in parallel never see each other's
// rows. No mock: the stores are tested against the real engine.
//
// Tests call BRAZESYNC_REQUIRE_POSTGRES() first: without the fixture (the
// server binaries are missing) they skip, saying why. Test-only.
#ifndef BRAZESYNC_TESTS_SERVER_TESTING_POSTGRES_TEST_DATABASE_H_
#define BRAZESYNC_TESTS_SERVER_TESTING_POSTGRES_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "server/postgres/pg_connection.h"

namespace brazesync::testing_support {

class PostgresTestDatabase final {
 public:
  // The fixture server's libpq URI (its database "brazesync"), or "" when
  // there is no fixture.
  static std::string ServerUri();
  // A new, empty database.
  static absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> Create();
  // Drops the database, ending any session still connected to it.
  ~PostgresTestDatabase();
  PostgresTestDatabase(const PostgresTestDatabase&) = delete;
  PostgresTestDatabase& operator=(const PostgresTestDatabase&) = delete;

  // The libpq URI of this database.
  const std::string& uri() const { return uri_; }
  const std::string& name() const { return name_; }
  // A connection to it (for checks a test makes behind a store's back).
  std::unique_ptr<PgConnection> Connect() const;

 private:
  PostgresTestDatabase(std::string name, std::string uri)
      : name_(std::move(name)), uri_(std::move(uri)) {}

  const std::string name_;
  const std::string uri_;
};

// A test with a database of its own: SetUp skips without PostgreSQL, else
// creates `database_`, connects `check_` (for checks behind a store's back)
// and runs SetUpDatabase.
class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // What a suite adds to its fresh database (e.g. the schema).
  virtual void SetUpDatabase(PgConnection& check) {}

  std::unique_ptr<PostgresTestDatabase> database_;
  std::unique_ptr<PgConnection> check_;
};

}  // namespace brazesync::testing_support

// Skips the test when no throwaway PostgreSQL is running.
#define BRAZESYNC_REQUIRE_POSTGRES()                                                   \
  do {                                                                                 \
    if (::brazesync::testing_support::PostgresTestDatabase::ServerUri().empty()) {     \
      GTEST_SKIP() << "no PostgreSQL: the ctest fixture `postgres` did not start one " \
                      "(install the server with scripts/install_deps.sh)";             \
    }                                                                                  \
  } while (false)

#endif  // BRAZESYNC_TESTS_SERVER_TESTING_POSTGRES_TEST_DATABASE_H_
