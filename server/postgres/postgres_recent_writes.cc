// Recent writes shared between the replicas through bs_recent_writes.
#include "server/postgres/postgres_recent_writes.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/postgres/pg_time.h"

namespace brazesync {
namespace {

// `array` is a reserved word: quoted throughout.
constexpr char kInsertSql[] = R"sql(
INSERT INTO bs_recent_writes(workspace, user_key, "array", braze_json, written_at, replica)
SELECT w, k, a, j, t, $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS u(w, k, a, j, t)
)sql";

constexpr char kPurgeSql[] =
    "DELETE FROM bs_recent_writes WHERE written_at < now() - $1::bigint * interval '1 microsecond'";

// This replica's rows come back without their payload: they only move the
// cursor and close gaps.
std::string PollSql() {
  return absl::StrCat(R"sql(
SELECT id, replica = $2,
  CASE WHEN replica <> $2 THEN workspace END,
  CASE WHEN replica <> $2 THEN user_key END,
  CASE WHEN replica <> $2 THEN "array" END,
  CASE WHEN replica <> $2 THEN braze_json END,
  )sql",
                      PgMicros("written_at"), R"sql(
FROM bs_recent_writes
WHERE (id > $1 OR id = ANY($3::bigint[]))
  AND written_at >= now() - $4::bigint * interval '1 microsecond'
ORDER BY id LIMIT $5
)sql");
}

// Ids skipped over by one row at most; a wider jump is not waited for
// (nothing commits that many rows out of order).
constexpr int64_t kMaxGapRun = 1'000;

bool HasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

}  // namespace

std::string EncodeRecentWriteKey(const std::string& key) {
  std::string text;
  text.reserve(key.size() + 2);
  for (const char c : key) {
    if (c == '\\') {
      text += "\\\\";
    } else if (c == '\0') {
      text += "\\0";
    } else {
      text += c;
    }
  }
  return text;
}

std::string DecodeRecentWriteKey(const std::string& text) {
  std::string key;
  key.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;
      key += text[i] == '0' ? '\0' : text[i];
    } else {
      key += text[i];
    }
  }
  return key;
}

PostgresRecentWrites::PostgresRecentWrites(PostgresRecentWritesOptions options)
    : options_(std::move(options)),
      local_(options_.retention, options_.max_writes),
      poll_sql_(PollSql()) {
  writer_ = std::thread([this] { WriterLoop(); });
  poller_ = std::thread([this] { PollerLoop(); });
}

PostgresRecentWrites::~PostgresRecentWrites() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  poller_.join();
}

void PostgresRecentWrites::Record(const std::string& workspace, std::vector<RecentWrite> writes) {
  if (writes.empty()) return;
  std::vector<Row> rows;
  rows.reserve(writes.size());
  for (const RecentWrite& write : writes) rows.push_back(Row{workspace, write});
  local_.Record(workspace, std::move(writes));
  Enqueue(std::move(rows));
}

std::vector<RecentWrite> PostgresRecentWrites::Find(const std::string& workspace,
                                                    const std::vector<std::string>& user_keys,
                                                    absl::Time since) const {
  return local_.Find(workspace, user_keys, since);
}

void PostgresRecentWrites::Forget(const std::string& workspace,
                                  const std::vector<std::string>& user_keys) {
  local_.Forget(workspace, user_keys);
  std::vector<Row> tombstones;
  tombstones.reserve(user_keys.size());
  const absl::Time now = absl::Now();
  for (const std::string& key : user_keys) {
    tombstones.push_back(Row{workspace, RecentWrite{key, "", "", now}});
  }
  Enqueue(std::move(tombstones));
}

void PostgresRecentWrites::Subscribe(Listener listener) { local_.Subscribe(std::move(listener)); }

void PostgresRecentWrites::Enqueue(std::vector<Row> rows) {
  int64_t dropped = 0;
  {
    absl::MutexLock lock(&mu_);
    for (Row& row : rows) {
      // PostgreSQL text cannot hold these (the key is encoded): local only.
      if (HasNul(row.workspace) || HasNul(row.write.array) || HasNul(row.write.braze_json)) {
        ++dropped;
        continue;
      }
      queue_.push_back(std::move(row));
    }
    while (queue_.size() > std::max<size_t>(1, options_.max_queued)) {
      queue_.pop_front();
      ++dropped;
    }
  }
  if (dropped > 0) stats_.rows_dropped.fetch_add(dropped, std::memory_order_relaxed);
}

bool PostgresRecentWrites::WaitUntil(absl::Time deadline, bool wake_on_rows) {
  struct Wake {
    PostgresRecentWrites* self;
    bool on_rows;
  };
  Wake wake{this, wake_on_rows};
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(
                            +[](Wake* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                              return w->self->stopping_ || (w->on_rows && !w->self->queue_.empty());
                            },
                            &wake),
                        deadline);
  return stopping_;
}

std::unique_ptr<PgConnection> PostgresRecentWrites::Connect(Loop loop) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(options_.uri, "recent writes");
  if (!connection.ok()) {
    Failed(loop, connection.status());
    return nullptr;
  }
  // Soft state: a crash losing the last rows costs a lookup an overlay, and
  // not waiting for the WAL flush keeps inserts cheap.
  const absl::Status configured =
      (*connection)
          ->Run("configure the session",
                "SET synchronous_commit = off; SET application_name = 'brazesync recent writes'");
  if (!configured.ok()) {
    Failed(loop, configured);
    return nullptr;
  }
  return std::move(*connection);
}

void PostgresRecentWrites::WriterLoop() {
  std::unique_ptr<PgConnection> connection;
  absl::Time retry_at = absl::InfinitePast();
  absl::Time purge_at = absl::Now();
  for (;;) {
    if (absl::Now() < retry_at) {
      if (WaitUntil(retry_at, /*wake_on_rows=*/false)) break;
      continue;
    }
    if (WaitUntil(purge_at, /*wake_on_rows=*/true)) break;
    if (connection == nullptr) {
      connection = Connect(kWriter);
      if (connection == nullptr) {
        retry_at = absl::Now() + options_.reconnect_delay;
        continue;
      }
    }
    absl::Status status = absl::OkStatus();
    if (absl::Now() >= purge_at) {
      status = Purge(*connection);
      purge_at = absl::Now() + options_.purge_interval;
    }
    std::vector<Row> batch;
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      const size_t count = std::min(queue_.size(), std::max<size_t>(1, options_.max_batch));
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(count)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(count));
    }
    if (status.ok() && !batch.empty()) {
      status = Insert(*connection, batch);
      if (status.ok()) {
        stats_.rows_inserted.fetch_add(static_cast<int64_t>(batch.size()),
                                       std::memory_order_relaxed);
      } else if (!connection->healthy()) {
        // Lost session: the rows wait for the next one (within the cap).
        std::vector<Row> rows(std::make_move_iterator(batch.begin()),
                              std::make_move_iterator(batch.end()));
        absl::MutexLock lock(&mu_);
        queue_.insert(queue_.begin(), std::make_move_iterator(rows.begin()),
                      std::make_move_iterator(rows.end()));
      } else {
        // The statement itself failed: retrying the same rows would too.
        stats_.rows_dropped.fetch_add(static_cast<int64_t>(batch.size()),
                                      std::memory_order_relaxed);
      }
    }
    if (status.ok()) {
      Succeeded(kWriter);
      continue;
    }
    Failed(kWriter, status);
    if (!connection->healthy()) connection.reset();
    retry_at = absl::Now() + options_.reconnect_delay;
  }
  // Stopping: what is queued goes out while the session is up.
  while (connection != nullptr && connection->healthy()) {
    std::vector<Row> batch;
    {
      absl::MutexLock lock(&mu_);
      const size_t count = std::min(queue_.size(), std::max<size_t>(1, options_.max_batch));
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(count)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(count));
    }
    if (batch.empty() || !Insert(*connection, batch).ok()) break;
  }
}

absl::Status PostgresRecentWrites::Insert(PgConnection& connection, const std::vector<Row>& rows) {
  std::vector<std::string> workspaces, keys, arrays, jsons, times;
  for (std::vector<std::string>* column : {&workspaces, &keys, &arrays, &jsons, &times}) {
    column->reserve(rows.size());
  }
  for (const Row& row : rows) {
    workspaces.push_back(row.workspace);
    keys.push_back(EncodeRecentWriteKey(row.write.user_key));
    arrays.push_back(row.write.array);
    jsons.push_back(BrazeJsonOf(row.write));
    times.push_back(PgTimestamp(row.write.written_at));
  }
  return connection
      .Exec("share recent writes", kInsertSql,
            {PgParam::Text(PgTextArray(workspaces)), PgParam::Text(PgTextArray(keys)),
             PgParam::Text(PgTextArray(arrays)), PgParam::Text(PgTextArray(jsons)),
             PgParam::Text(PgTextArray(times)), PgParam::Text(options_.replica)})
      .status();
}

absl::Status PostgresRecentWrites::Purge(PgConnection& connection) {
  return connection
      .Exec("purge recent writes", kPurgeSql,
            {PgParam::Int(absl::ToInt64Microseconds(options_.retention))})
      .status();
}

void PostgresRecentWrites::PollerLoop() {
  std::unique_ptr<PgConnection> connection;
  absl::Time poll_at = absl::InfinitePast();
  for (;;) {
    if (WaitUntil(poll_at, /*wake_on_rows=*/false)) break;
    poll_at = absl::Now() + options_.poll_interval;
    if (connection == nullptr) {
      connection = Connect(kPoller);
      if (connection == nullptr) {
        poll_at = std::max(poll_at, absl::Now() + options_.reconnect_delay);
        continue;
      }
    }
    absl::StatusOr<bool> more = Poll(*connection);
    if (more.ok()) {
      Succeeded(kPoller);
      if (*more) poll_at = absl::Now();
      continue;
    }
    Failed(kPoller, more.status());
    if (!connection->healthy()) connection.reset();
    poll_at = std::max(poll_at, absl::Now() + options_.reconnect_delay);
  }
}

absl::StatusOr<bool> PostgresRecentWrites::Poll(PgConnection& connection) {
  const absl::Time now = absl::Now();
  std::vector<int64_t> gaps;
  for (auto it = gaps_.begin(); it != gaps_.end();) {
    if (it->second < now) {
      gaps_.erase(it++);
    } else {
      gaps.push_back(it->first);
      ++it;
    }
  }
  const size_t limit = std::max<size_t>(1, options_.max_batch);
  absl::StatusOr<PgResult> rows = connection.Exec(
      "read recent writes", poll_sql_,
      {PgParam::Int(cursor_), PgParam::Text(options_.replica), PgParam::Text(PgIntArray(gaps)),
       PgParam::Int(absl::ToInt64Microseconds(options_.retention)),
       PgParam::Int(static_cast<int64_t>(limit))});
  if (!rows.ok()) return rows.status();

  // Other replicas' rows in id order: writes of one workspace recorded
  // together, a tombstone applied where it falls.
  std::string workspace;
  std::vector<RecentWrite> writes;
  auto flush = [&] {
    if (writes.empty()) return;
    stats_.rows_received.fetch_add(static_cast<int64_t>(writes.size()), std::memory_order_relaxed);
    local_.Record(workspace, std::move(writes));
    writes.clear();
  };
  for (int r = 0; r < rows->rows(); ++r) {
    const int64_t id = rows->Int(r, 0);
    if (id > cursor_) {
      // The first read starts the cursor: what was skipped before it is
      // history, not a late commit.
      if (cursor_set_ && id - cursor_ - 1 <= kMaxGapRun) {
        for (int64_t gap = cursor_ + 1; gap < id; ++gap)
          gaps_.emplace(gap, now + options_.gap_wait);
      }
      cursor_ = id;
    } else {
      gaps_.erase(id);
    }
    if (rows->Bool(r, 1)) continue;  // this replica's
    std::string row_workspace = rows->Text(r, 2);
    if (row_workspace != workspace) {
      flush();
      workspace = std::move(row_workspace);
    }
    RecentWrite write{DecodeRecentWriteKey(rows->Text(r, 3)), rows->Text(r, 4), rows->Text(r, 5),
                      FromPgMicros(rows->Int(r, 6))};
    if (write.array.empty()) {
      flush();
      local_.Forget(workspace, {write.user_key});
      continue;
    }
    writes.push_back(std::move(write));
  }
  flush();
  cursor_set_ = true;
  return static_cast<size_t>(rows->rows()) >= limit;
}

void PostgresRecentWrites::Failed(Loop loop, const absl::Status& status) {
  stats_.failures.fetch_add(1, std::memory_order_relaxed);
  stats_.degraded.store(true, std::memory_order_relaxed);
  bool report = false;
  {
    absl::MutexLock lock(&status_mu_);
    report = !failing_[kWriter] && !failing_[kPoller];
    failing_[loop] = true;
  }
  if (report && options_.on_status) options_.on_status(status);
}

void PostgresRecentWrites::Succeeded(Loop loop) {
  bool report = false;
  {
    absl::MutexLock lock(&status_mu_);
    if (!failing_[loop]) return;
    failing_[loop] = false;
    report = !failing_[kWriter] && !failing_[kPoller];
  }
  if (!report) return;
  stats_.degraded.store(false, std::memory_order_relaxed);
  if (options_.on_status) options_.on_status(absl::OkStatus());
}

}  // namespace brazesync
