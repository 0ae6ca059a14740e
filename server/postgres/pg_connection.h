// libpq plumbing for the PostgreSQL stores (cluster mode): RAII handles for a
// connection and a result, statements with parameters, array literals, and
// errors as statuses. Knows nothing of any schema; the stores bring their SQL.
//
// The connection string is a libpq URI or key=value conninfo
// (`postgresql:///brazesync?host=/run/postgresql`). A password never comes
// from it by our flags: libpq reads PGPASSWORD or PGPASSFILE (or passfile=)
// itself. Error messages are PostgreSQL's and libpq's, which never contain
// the password.
//
// Errors: a lost or refused connection, and the server shutting down, are
// UNAVAILABLE (retry elsewhere or later); a serialization failure or
// deadlock is ABORTED; anything else is INTERNAL. Each names what was being
// done.
#ifndef BRAZESYNC_SERVER_POSTGRES_PG_CONNECTION_H_
#define BRAZESYNC_SERVER_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace brazesync {

struct PgConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

// One statement parameter, sent as text (or, for bytea, as binary).
struct PgParam {
  std::string value;
  bool null = false;
  bool binary = false;

  static PgParam Text(std::string text) { return PgParam{std::move(text), false, false}; }
  static PgParam Int(int64_t number) { return PgParam{std::to_string(number), false, false}; }
  static PgParam Bytes(std::string bytes) { return PgParam{std::move(bytes), false, true}; }
  static PgParam Null() { return PgParam{std::string(), true, false}; }
};

// Array literals (PostgreSQL's external array syntax) for `$n::type[]`
// parameters: one statement carries a whole batch.
std::string PgIntArray(const std::vector<int64_t>& values);
std::string PgTextArray(const std::vector<std::string>& values);
// bytea elements in hex form.
std::string PgByteaArray(const std::vector<std::string>& values);

// The rows of a finished statement (text format). Move-only.
class PgResult final {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  double Double(int row, int column) const;
  bool Bool(int row, int column) const;
  // A bytea column (hex text form) as bytes.
  std::string Bytes(int row, int column) const;
  // Rows an INSERT/UPDATE/DELETE changed (0 for other statements).
  int64_t affected() const;

 private:
  std::unique_ptr<PGresult, PgResultDeleter> result_;
};

class PgConnection final {
 public:
  // Connects; UNAVAILABLE (naming `label`, e.g. "store") when it cannot.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& uri,
                                                               absl::string_view label);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with `params` ($1, $2, ...); `what` names it in
  // errors ("<label>: <what>: <PostgreSQL's message>").
  absl::StatusOr<PgResult> Exec(absl::string_view what, const std::string& sql,
                                const std::vector<PgParam>& params = {});
  // Runs `sql` (one or more statements, no parameters), discarding rows.
  absl::Status Run(absl::string_view what, const std::string& sql);

  // Whether the connection is still up, as libpq last saw it.
  bool healthy() const { return PQstatus(connection_.get()) == CONNECTION_OK; }
  // The server process serving this session (pg_backend_pid()).
  int backend_pid() const { return PQbackendPID(connection_.get()); }
  // An error of this connection for `what`, classified as above.
  absl::Status Error(absl::string_view what, const PGresult* result) const;

 private:
  PgConnection(PGconn* connection, std::string label);

  std::unique_ptr<PGconn, PgConnectionDeleter> connection_;
  const std::string label_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_POSTGRES_PG_CONNECTION_H_
