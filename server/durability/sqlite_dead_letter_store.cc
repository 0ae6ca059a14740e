// The embedded store's operator queries over item ids and dead letters.
#include "server/durability/sqlite_dead_letter_store.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/durability/stored_payload.h"

namespace brazesync {
namespace {

// The dead_letters columns ReadStoredDeadLetter reads, in its order.
constexpr char kDeadLetterColumns[] =
    "id, workspace, kind, item_id, reason, braze_response, history, accepted_ms, dead_ms, "
    "payload_version, payload";

StoredDeadLetter ReadStoredDeadLetter(const Statement& row) {
  StoredDeadLetter stored;
  DeadLetter& letter = stored.letter;
  letter.id = row.Int(0);
  letter.workspace = row.Text(1);
  letter.kind = static_cast<v1::ItemKind>(row.Int(2));
  letter.item_id = row.Text(3);
  letter.reason = row.Text(4);
  letter.braze_response = row.Text(5);
  letter.attempts = ParseAttemptHistory(row.Text(6));
  letter.accepted = absl::FromUnixMillis(row.Int(7));
  letter.dead_lettered = absl::FromUnixMillis(row.Int(8));
  letter.payload_version = static_cast<int>(row.Int(9));
  stored.payload = row.Text(10);
  return stored;
}

// Selects dead letters by explicit ids, or all, in either case only of
// `selection.workspace` when it is set, and applies `fn` to each id,
// stopping at the first error. Ids of another workspace are skipped, so a
// caller with the admin role in one workspace cannot reach another's
// letters by id.
template <typename Fn>
absl::Status ForEachDeadLetter(Database& db, const DeadLetterSelection& selection, Fn fn) {
  std::vector<int64_t> selected;
  if (selection.all) {
    absl::StatusOr<Statement> list =
        db.Prepare("SELECT id FROM dead_letters WHERE (?1 = '' OR workspace = ?1) ORDER BY id");
    if (!list.ok()) return list.status();
    list->Bind(1, selection.workspace);
    int step;
    while ((step = list->Step()) == SQLITE_ROW) selected.push_back(list->Int(0));
    if (step != SQLITE_DONE) return db.Error("list dead letters");
  } else if (selection.workspace.empty()) {
    selected = selection.ids;
  } else {
    for (int64_t id : selection.ids) {
      absl::StatusOr<Statement> in_workspace =
          db.Prepare("SELECT 1 FROM dead_letters WHERE id = ?1 AND workspace = ?2");
      if (!in_workspace.ok()) return in_workspace.status();
      in_workspace->Bind(1, id).Bind(2, selection.workspace);
      const int step = in_workspace->Step();
      if (step == SQLITE_ROW) selected.push_back(id);
      if (step != SQLITE_ROW && step != SQLITE_DONE) return db.Error("select dead letter");
    }
  }
  for (int64_t id : selected) {
    absl::Status status = fn(id);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

int64_t StateValue(ItemIdState state) { return static_cast<int64_t>(state); }

}  // namespace

SqliteDeadLetterStore::SqliteDeadLetterStore(SqliteOutbox* outbox, size_t max_page_bytes)
    : db_(outbox->database()), max_page_bytes_(max_page_bytes) {}

absl::StatusOr<ItemStatus> SqliteDeadLetterStore::GetItemStatus(const std::string& workspace,
                                                                const std::string& item_id) {
  ItemStatus status;
  bool found = false;
  absl::Status read = db_.RunSync([&](Database& db) -> absl::Status {
    absl::StatusOr<Statement> select = db.Prepare(
        "SELECT state, accepted_ms, updated_ms, attempts, reason, dead_letter_id FROM item_ids "
        "WHERE workspace = ?1 AND item_id = ?2");
    if (!select.ok()) return select.status();
    select->Bind(1, workspace).Bind(2, item_id);
    const int step = select->Step();
    if (step == SQLITE_DONE) return absl::OkStatus();
    if (step != SQLITE_ROW) return db.Error("read item id");
    found = true;
    status.workspace = workspace;
    status.item_id = item_id;
    status.state = static_cast<ItemIdState>(select->Int(0));
    status.accepted = absl::FromUnixMillis(select->Int(1));
    status.updated = absl::FromUnixMillis(select->Int(2));
    status.attempts = static_cast<int>(select->Int(3));
    status.reason = select->Text(4);
    status.dead_letter_id = select->Int(5);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (!found) return ItemIdNotFound(workspace, item_id);
  return status;
}

absl::StatusOr<DeadLetterPage> SqliteDeadLetterStore::ListDeadLetters(const std::string& workspace,
                                                                      int page_size,
                                                                      int64_t after_id) {
  const size_t limit = PageLimit(page_size);
  // On the commit thread: the rows, raw. Reading stops once the payloads
  // read reach the byte budget, so memory holds at most one payload more
  // than a page can list, however large the letters are.
  std::vector<StoredDeadLetter> rows;
  bool more = false;
  absl::Status read = db_.RunSync([&](Database& db) -> absl::Status {
    static const std::string sql = absl::StrCat(
        "SELECT ", kDeadLetterColumns,
        " FROM dead_letters WHERE id > ?1 AND (?2 = '' OR workspace = ?2) ORDER BY id LIMIT ?3");
    absl::StatusOr<Statement> select = db.Prepare(sql.c_str());
    if (!select.ok()) return select.status();
    select->Bind(1, after_id).Bind(2, workspace).Bind(3, static_cast<int64_t>(limit) + 1);
    size_t raw_bytes = 0;
    int step;
    while ((step = select->Step()) == SQLITE_ROW) {
      if (rows.size() == limit || (!rows.empty() && raw_bytes >= max_page_bytes_)) {
        more = true;
        return absl::OkStatus();
      }
      rows.push_back(ReadStoredDeadLetter(*select));
      raw_bytes += rows.back().payload.size();
    }
    return step == SQLITE_DONE ? absl::OkStatus() : db.Error("list dead letters");
  });
  if (!read.ok()) return read;

  // Off the commit thread: render, and cut the page at the byte budget.
  return PageOfDeadLetters(std::move(rows), more, max_page_bytes_);
}

absl::StatusOr<DeadLetter> SqliteDeadLetterStore::GetDeadLetter(int64_t id) {
  StoredDeadLetter row;
  bool found = false;
  absl::Status read = db_.RunSync([&](Database& db) -> absl::Status {
    static const std::string sql =
        absl::StrCat("SELECT ", kDeadLetterColumns, " FROM dead_letters WHERE id = ?1");
    absl::StatusOr<Statement> select = db.Prepare(sql.c_str());
    if (!select.ok()) return select.status();
    select->Bind(1, id);
    const int step = select->Step();
    if (step == SQLITE_DONE) return absl::OkStatus();
    if (step != SQLITE_ROW) return db.Error("read dead letter");
    row = ReadStoredDeadLetter(*select);
    found = true;
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (!found) return DeadLetterNotFound(id);
  return RenderDeadLetter(std::move(row), absl::Now());
}

absl::StatusOr<ReplayResult> SqliteDeadLetterStore::ReplayDeadLetters(
    const DeadLetterSelection& selection) {
  ReplayResult result;
  absl::Status status = db_.RunSync([&](Database& db) -> absl::Status {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    return ForEachDeadLetter(db, selection, [&](int64_t id) -> absl::Status {
      absl::StatusOr<Statement> row =
          db.Prepare("SELECT workspace, item_id FROM dead_letters WHERE id = ?1");
      if (!row.ok()) return row.status();
      row->Bind(1, id);
      if (row->Step() != SQLITE_ROW) return absl::OkStatus();
      const std::string item_workspace = row->Text(0);
      const std::string item_id = row->Text(1);
      bool delivered_since = false;
      if (!item_id.empty()) {
        absl::StatusOr<Statement> seen =
            db.Prepare("SELECT state FROM item_ids WHERE workspace = ?1 AND item_id = ?2");
        if (!seen.ok()) return seen.status();
        seen->Bind(1, item_workspace).Bind(2, item_id);
        // Delivered since, or queued again (sent anew by the caller, or a
        // second dead letter of the same id already replayed).
        delivered_since =
            seen->Step() == SQLITE_ROW && (seen->Int(0) == StateValue(ItemIdState::kDelivered) ||
                                           seen->Int(0) == StateValue(ItemIdState::kQueued));
      }
      if (!delivered_since) {
        // A fresh retry horizon from now; the payload keeps the event time.
        absl::StatusOr<Statement> move = db.Prepare(
            "INSERT INTO outbox(workspace, kind, item_id, user_key, payload, payload_version, "
            "accepted_ms, history) SELECT workspace, kind, item_id, user_key, payload, "
            "payload_version, ?2, history FROM dead_letters WHERE id = ?1");
        if (!move.ok()) return move.status();
        move->Bind(1, id).Bind(2, now);
        if (move->Step() != SQLITE_DONE) return db.Error("replay");
        if (!item_id.empty()) {
          absl::StatusOr<Statement> record = db.Prepare(
              "UPDATE item_ids SET state = ?3, updated_ms = ?4, reason = '', dead_letter_id = 0 "
              "WHERE workspace = ?1 AND item_id = ?2");
          if (!record.ok()) return record.status();
          record->Bind(1, item_workspace)
              .Bind(2, item_id)
              .Bind(3, StateValue(ItemIdState::kQueued))
              .Bind(4, now);
          if (record->Step() != SQLITE_DONE) return db.Error("record replay");
        }
        ++result.replayed;
      } else {
        ++result.skipped_delivered;
      }
      absl::StatusOr<Statement> remove = db.Prepare("DELETE FROM dead_letters WHERE id = ?1");
      if (!remove.ok()) return remove.status();
      remove->Bind(1, id);
      return remove->Step() == SQLITE_DONE ? absl::OkStatus() : db.Error("remove replayed");
    });
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int> SqliteDeadLetterStore::PurgeDeadLetters(const DeadLetterSelection& selection) {
  int purged = 0;
  absl::Status status = db_.RunSync([&](Database& db) -> absl::Status {
    return ForEachDeadLetter(db, selection, [&](int64_t id) -> absl::Status {
      absl::StatusOr<Statement> remove = db.Prepare("DELETE FROM dead_letters WHERE id = ?1");
      if (!remove.ok()) return remove.status();
      remove->Bind(1, id);
      if (remove->Step() != SQLITE_DONE) return db.Error("purge");
      purged += db.Changes();
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  return purged;
}

}  // namespace brazesync
