// libpq plumbing for the PostgreSQL stores.
#include "server/postgres/pg_connection.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace brazesync {
namespace {

// One array element in double quotes, with " and \ escaped.
std::string QuotedElement(absl::string_view value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

// SQLSTATE classes that mean "the server is not there (now)": connection
// exceptions (08), operator intervention (57: shutdown, terminated session),
// insufficient resources (53: too many connections).
bool IsUnavailable(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57") ||
         absl::StartsWith(sqlstate, "53");
}

std::string OneLine(absl::string_view message) {
  std::string line(absl::StripTrailingAsciiWhitespace(message));
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  return line;
}

}  // namespace

std::string PgIntArray(const std::vector<int64_t>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

std::string PgTextArray(const std::vector<std::string>& values) {
  std::string array = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) array.push_back(',');
    array += QuotedElement(values[i]);
  }
  array.push_back('}');
  return array;
}

std::string PgByteaArray(const std::vector<std::string>& values) {
  std::string array = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) array.push_back(',');
    array += QuotedElement(absl::StrCat("\\x", absl::BytesToHexString(values[i])));
  }
  array.push_back('}');
  return array;
}

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     PQgetlength(result_.get(), row, column));
}

int64_t PgResult::Int(int row, int column) const {
  int64_t value = 0;
  return absl::SimpleAtoi(Text(row, column), &value) ? value : 0;
}

double PgResult::Double(int row, int column) const {
  double value = 0;
  return absl::SimpleAtod(Text(row, column), &value) ? value : 0;
}

bool PgResult::Bool(int row, int column) const { return Text(row, column) == "t"; }

std::string PgResult::Bytes(int row, int column) const {
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
  if (bytes == nullptr) return std::string();
  std::string value(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return value;
}

int64_t PgResult::affected() const {
  int64_t count = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_.get()), &count) ? count : 0;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& uri,
                                                                    absl::string_view label) {
  PGconn* raw = PQconnectdb(uri.c_str());
  std::unique_ptr<PGconn, PgConnectionDeleter> owned(raw);
  if (raw == nullptr) {
    return absl::UnavailableError(absl::StrCat(label, ": cannot allocate a connection"));
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat(label, ": cannot connect to PostgreSQL: ", OneLine(PQerrorMessage(raw))));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(owned.release(), std::string(label)));
}

PgConnection::PgConnection(PGconn* connection, std::string label)
    : connection_(connection), label_(std::move(label)) {}

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view what, const std::string& sql,
                                            const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  for (const PgParam& param : params) {
    values.push_back(param.null ? nullptr : param.value.data());
    lengths.push_back(static_cast<int>(param.value.size()));
    formats.push_back(param.binary ? 1 : 0);
  }
  PGresult* raw = PQexecParams(connection_.get(), sql.c_str(), static_cast<int>(params.size()),
                               /*paramTypes=*/nullptr, values.data(), lengths.data(),
                               formats.data(), /*resultFormat=*/0);
  PgResult result(raw);  // owns it from here
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(what, raw);
  return result;
}

absl::Status PgConnection::Run(absl::string_view what, const std::string& sql) {
  std::unique_ptr<PGresult, PgResultDeleter> result(PQexec(connection_.get(), sql.c_str()));
  const ExecStatusType status =
      result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return Error(what, result.get());
}

absl::Status PgConnection::Error(absl::string_view what, const PGresult* result) const {
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string message = OneLine(result != nullptr && *PQresultErrorMessage(result) != '\0'
                                          ? PQresultErrorMessage(result)
                                          : PQerrorMessage(connection_.get()));
  const std::string text = absl::StrCat(label_, ": ", what, ": ", message);
  const absl::string_view state = sqlstate == nullptr ? "" : sqlstate;
  if (PQstatus(connection_.get()) != CONNECTION_OK || IsUnavailable(state)) {
    return absl::UnavailableError(text);
  }
  if (state == "40001" || state == "40P01") return absl::AbortedError(text);
  return absl::InternalError(text);
}

}  // namespace brazesync
