// The cluster store's operator queries over item ids and dead letters.
#include "server/postgres/postgres_dead_letter_store.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/postgres/pg_time.h"

namespace brazesync {
namespace {

int64_t StateValue(ItemIdState state) { return static_cast<int64_t>(state); }

// The bs_dead_letters columns ReadStoredDeadLetter reads, in its order.
const std::string& DeadLetterColumns() {
  static const std::string* columns = new std::string(absl::StrCat(
      "id, workspace, kind, item_id, reason, braze_response, history, ", PgMicros("accepted_at"),
      ", ", PgMicros("dead_at"), ", payload_version, payload"));
  return *columns;
}

StoredDeadLetter ReadStoredDeadLetter(const PgResult& rows, int r) {
  StoredDeadLetter stored;
  DeadLetter& letter = stored.letter;
  letter.id = rows.Int(r, 0);
  letter.workspace = rows.Text(r, 1);
  letter.kind = static_cast<v1::ItemKind>(rows.Int(r, 2));
  letter.item_id = rows.Text(r, 3);
  letter.reason = rows.Text(r, 4);
  letter.braze_response = rows.Text(r, 5);
  letter.attempts = ParseAttemptHistory(rows.Text(r, 6));
  letter.accepted = FromPgMicros(rows.Int(r, 7));
  letter.dead_lettered = FromPgMicros(rows.Int(r, 8));
  letter.payload_version = static_cast<int>(rows.Int(r, 9));
  stored.payload = rows.Bytes(r, 10);
  return stored;
}

// The parameters of a selection for a `WHERE ($1 OR id = ANY($2::bigint[]))
// AND ($3 = '' OR workspace = $3)` clause: ids of another workspace are
// left out, so a caller with the admin role in one workspace cannot reach
// another's letters by id.
std::vector<PgParam> SelectionParams(const DeadLetterSelection& selection) {
  return {PgParam::Text(selection.all ? "true" : "false"), PgParam::Text(PgIntArray(selection.ids)),
          PgParam::Text(selection.workspace)};
}

constexpr char kSelected[] =
    "($1::boolean OR d.id = ANY($2::bigint[])) AND ($3 = '' OR d.workspace = $3)";

}  // namespace

PostgresDeadLetterStore::PostgresDeadLetterStore(std::unique_ptr<PgWorker> worker,
                                                 size_t max_page_bytes)
    : owned_(std::move(worker)), worker_(owned_.get()), max_page_bytes_(max_page_bytes) {}

PostgresDeadLetterStore::PostgresDeadLetterStore(PgWorker* worker, size_t max_page_bytes)
    : worker_(worker), max_page_bytes_(max_page_bytes) {}

absl::StatusOr<ItemStatus> PostgresDeadLetterStore::GetItemStatus(const std::string& workspace,
                                                                  const std::string& item_id) {
  ItemStatus status;
  bool found = false;
  absl::Status read = worker_->RunSync([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> row = connection.Exec(
        "read item id",
        absl::StrCat("SELECT state, ", PgMicros("accepted_at"), ", ", PgMicros("updated_at"),
                     ", attempts, reason, dead_letter_id FROM bs_item_ids "
                     "WHERE workspace = $1 AND item_id = $2"),
        {PgParam::Text(workspace), PgParam::Text(item_id)});
    if (!row.ok()) return row.status();
    found = row->rows() > 0;
    if (!found) return absl::OkStatus();
    status.workspace = workspace;
    status.item_id = item_id;
    status.state = static_cast<ItemIdState>(row->Int(0, 0));
    status.accepted = FromPgMicros(row->Int(0, 1));
    status.updated = FromPgMicros(row->Int(0, 2));
    status.attempts = static_cast<int>(row->Int(0, 3));
    status.reason = row->Text(0, 4);
    status.dead_letter_id = row->Int(0, 5);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (!found) return ItemIdNotFound(workspace, item_id);
  return status;
}

absl::StatusOr<DeadLetterPage> PostgresDeadLetterStore::ListDeadLetters(
    const std::string& workspace, int page_size, int64_t after_id) {
  const size_t limit = PageLimit(page_size);
  std::vector<StoredDeadLetter> rows;
  bool more = false;
  absl::Status read = worker_->RunSync([&](PgConnection& connection) -> absl::Status {
    // First the candidates' payload sizes, then only the letters that fit:
    // memory holds at most one payload more than a page can list, however
    // large the letters are (libpq reads a result whole).
    absl::StatusOr<PgResult> sizes =
        connection.Exec("size dead letters",
                        "SELECT id, octet_length(payload) FROM bs_dead_letters "
                        "WHERE id > $1 AND ($2 = '' OR workspace = $2) ORDER BY id LIMIT $3",
                        {PgParam::Int(after_id), PgParam::Text(workspace),
                         PgParam::Int(static_cast<int64_t>(limit) + 1)});
    if (!sizes.ok()) return sizes.status();
    std::vector<int64_t> ids;
    size_t raw_bytes = 0;
    more = false;
    for (int r = 0; r < sizes->rows(); ++r) {
      if (ids.size() == limit || (!ids.empty() && raw_bytes >= max_page_bytes_)) {
        more = true;
        break;
      }
      ids.push_back(sizes->Int(r, 0));
      raw_bytes += static_cast<size_t>(sizes->Int(r, 1));
    }
    rows.clear();
    if (ids.empty()) return absl::OkStatus();
    absl::StatusOr<PgResult> letters = connection.Exec(
        "list dead letters",
        absl::StrCat("SELECT ", DeadLetterColumns(),
                     " FROM bs_dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id"),
        {PgParam::Text(PgIntArray(ids))});
    if (!letters.ok()) return letters.status();
    for (int r = 0; r < letters->rows(); ++r) rows.push_back(ReadStoredDeadLetter(*letters, r));
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  // Off the session's thread: render, and cut the page at the byte budget.
  return PageOfDeadLetters(std::move(rows), more, max_page_bytes_);
}

absl::StatusOr<DeadLetter> PostgresDeadLetterStore::GetDeadLetter(int64_t id) {
  StoredDeadLetter row;
  bool found = false;
  absl::Status read = worker_->RunSync([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> letter = connection.Exec(
        "read dead letter",
        absl::StrCat("SELECT ", DeadLetterColumns(), " FROM bs_dead_letters WHERE id = $1"),
        {PgParam::Int(id)});
    if (!letter.ok()) return letter.status();
    found = letter->rows() > 0;
    if (found) row = ReadStoredDeadLetter(*letter, 0);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (!found) return DeadLetterNotFound(id);
  return RenderDeadLetter(std::move(row), absl::Now());
}

absl::StatusOr<ReplayResult> PostgresDeadLetterStore::ReplayDeadLetters(
    const DeadLetterSelection& selection) {
  ReplayResult result;
  absl::Status status = worker_->RunSync([&](PgConnection& connection) -> absl::Status {
    result = ReplayResult();
    // The selected letters, locked, with the state of their id now.
    absl::StatusOr<PgResult> selected = connection.Exec(
        "select dead letters to replay",
        absl::StrCat("SELECT d.id, d.workspace, d.item_id, coalesce(i.state, 0) "
                     "FROM bs_dead_letters d LEFT JOIN bs_item_ids i ON d.item_id <> '' "
                     "AND i.workspace = d.workspace AND i.item_id = d.item_id WHERE ",
                     kSelected, " ORDER BY d.id FOR UPDATE OF d"),
        SelectionParams(selection));
    if (!selected.ok()) return selected.status();
    std::vector<int64_t> all;
    std::vector<int64_t> replayed;
    // Ids replayed by this call: a second letter of the same id is then
    // queued again, so it is dropped, as when replayed one at a time.
    std::set<std::pair<std::string, std::string>> queued_here;
    for (int r = 0; r < selected->rows(); ++r) {
      const int64_t id = selected->Int(r, 0);
      const std::string item_workspace = selected->Text(r, 1);
      const std::string item_id = selected->Text(r, 2);
      const int64_t state = selected->Int(r, 3);
      all.push_back(id);
      // Delivered since, or queued again (sent anew by the caller, or a
      // second dead letter of the same id already replayed).
      const bool delivered_since =
          !item_id.empty() && (state == StateValue(ItemIdState::kDelivered) ||
                               state == StateValue(ItemIdState::kQueued) ||
                               !queued_here.emplace(item_workspace, item_id).second);
      if (delivered_since) {
        ++result.skipped_delivered;
      } else {
        replayed.push_back(id);
        ++result.replayed;
      }
    }
    if (all.empty()) return absl::OkStatus();
    if (!replayed.empty()) {
      // A fresh retry horizon from now; the payload keeps the event time.
      const PgParam ids = PgParam::Text(PgIntArray(replayed));
      absl::StatusOr<PgResult> moved = connection.Exec(
          "replay dead letters",
          "INSERT INTO bs_outbox(part, workspace, kind, item_id, user_key, payload, "
          "payload_version, accepted_at, history) SELECT part, workspace, kind, item_id, "
          "user_key, payload, payload_version, now(), history FROM bs_dead_letters "
          "WHERE id = ANY($1::bigint[]) ORDER BY id",
          {ids});
      if (!moved.ok()) return moved.status();
      absl::StatusOr<PgResult> recorded = connection.Exec(
          "record replay",
          "UPDATE bs_item_ids i SET state = $2, updated_at = now(), reason = '', "
          "dead_letter_id = 0 FROM bs_dead_letters d WHERE d.id = ANY($1::bigint[]) "
          "AND d.item_id <> '' AND i.workspace = d.workspace AND i.item_id = d.item_id",
          {ids, PgParam::Int(StateValue(ItemIdState::kQueued))});
      if (!recorded.ok()) return recorded.status();
    }
    return connection
        .Exec("remove replayed dead letters",
              "DELETE FROM bs_dead_letters WHERE id = ANY($1::bigint[])",
              {PgParam::Text(PgIntArray(all))})
        .status();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int> PostgresDeadLetterStore::PurgeDeadLetters(
    const DeadLetterSelection& selection) {
  int purged = 0;
  absl::Status status = worker_->RunSync([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> removed = connection.Exec(
        "purge dead letters", absl::StrCat("DELETE FROM bs_dead_letters d WHERE ", kSelected),
        SelectionParams(selection));
    if (!removed.ok()) return removed.status();
    purged = static_cast<int>(removed->affected());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return purged;
}

}  // namespace brazesync
