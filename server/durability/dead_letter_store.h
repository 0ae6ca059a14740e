// Operator queries over the outbox's item ids and dead letters: where an
// accepted item is, and the dead-letter store (list, inspect, replay, purge).
// The contract both stores implement (SqliteDeadLetterStore,
// PostgresDeadLetterStore; in cluster mode they answer for the whole
// cluster), and the rendering and paging they share. Answers are plain C++
// structs; the admin rpc maps them to its wire types
// (server/rpc/admin_service.cc), so an admin.proto change never recompiles
// storage. A dead letter's Braze JSON is rendered from its stored payload
// (stored_payload.h), outside any database thread.
//
// Listing is paged twice over: by count (page_size) and by bytes. A page's
// letters, counted by ListedBytes() (an upper bound of their protobuf size),
// leave room for the page's own fields within `max_page_bytes`, so a page
// always fits a gRPC message of that size. A letter whose Braze JSON alone
// exceeds the budget is listed without it (braze_json_omitted);
// GetDeadLetter always returns it whole.
#ifndef BRAZESYNC_SERVER_DURABILITY_DEAD_LETTER_STORE_H_
#define BRAZESYNC_SERVER_DURABILITY_DEAD_LETTER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/durability/attempt_history.h"
#include "server/durability/outbox_store.h"

namespace brazesync {

// The idempotency record of one accepted event/purchase id.
struct ItemStatus {
  std::string workspace;
  std::string item_id;
  ItemIdState state = ItemIdState::kQueued;
  absl::Time accepted;
  absl::Time updated;
  int attempts = 0;
  // Why it is dead-lettered, or the last retryable failure while queued.
  std::string reason;
  // kDeadLettered: the dead letter's id; otherwise 0.
  int64_t dead_letter_id = 0;
};

struct DeadLetter {
  int64_t id = 0;
  std::string workspace;
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  std::string item_id;  // empty for a profile
  std::string reason;
  std::string braze_response;
  std::vector<AttemptRecord> attempts;
  absl::Time accepted;
  absl::Time dead_lettered;
  int payload_version = 0;
  // The Braze JSON the stored payload converts to now, or why it cannot be
  // converted (e.g. an unknown payload version). Empty when omitted.
  std::string braze_json;
  // Listing only: braze_json was left out because it alone is larger than a
  // page may be; GetDeadLetter returns it.
  bool braze_json_omitted = false;
  // The size of the Braze JSON (also when omitted).
  int64_t braze_json_bytes = 0;
};

struct DeadLetterPage {
  std::vector<DeadLetter> letters;
  // The id to list after for the next page; 0 when there is none.
  int64_t next_after_id = 0;
};

// Which dead letters a replay or purge acts on: `ids` or `all`, in either
// case only those of `workspace` when it is not empty.
struct DeadLetterSelection {
  std::vector<int64_t> ids;
  bool all = false;
  std::string workspace;
};

struct ReplayResult {
  // Moved back to the outbox.
  int replayed = 0;
  // Dropped, not replayed: their id was delivered or queued again since.
  int skipped_delivered = 0;
};

// An upper bound of `letter`'s size as a protobuf message in a listing: its
// text and JSON plus a fixed allowance per letter and per attempt for field
// tags, lengths, numbers and times.
size_t ListedBytes(const DeadLetter& letter);

// A dead letter as read from a store: everything but the Braze JSON, and the
// payload that JSON is rendered from.
struct StoredDeadLetter {
  DeadLetter letter;
  std::string payload;
};

// `stored` with its Braze JSON as of `now`, or the reason there is none.
DeadLetter RenderDeadLetter(StoredDeadLetter stored, absl::Time now);

// A listing page from `rows` (read in id order, stopping once their payloads
// reach `max_page_bytes`; `more`: rows were left unread): rendered, Braze
// JSON omitted where a letter alone exceeds the budget, cut at the budget.
DeadLetterPage PageOfDeadLetters(std::vector<StoredDeadLetter> rows, bool more,
                                 size_t max_page_bytes);

// The NOT_FOUND answers both stores give.
absl::Status ItemIdNotFound(const std::string& workspace, const std::string& item_id);
absl::Status DeadLetterNotFound(int64_t id);

class DeadLetterStore {
 public:
  // Page sizes when the caller gives none, and at most.
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  // Bytes per page by default: a quarter of gRPC's default 4 MiB receive
  // limit, so any client can list with default channel settings.
  static constexpr size_t kDefaultMaxPageBytes = size_t{1} << 20;

  // The page size to read for `page_size` as a caller gave it.
  static size_t PageLimit(int page_size);

  virtual ~DeadLetterStore() = default;

  // NOT_FOUND (naming item_id) when the id was never accepted in
  // `workspace` or has left the idempotency window.
  virtual absl::StatusOr<ItemStatus> GetItemStatus(const std::string& workspace,
                                                   const std::string& item_id) = 0;
  // Dead letters with id > `after_id` (of `workspace`, or all when empty),
  // oldest first: at most `page_size` (<= 0: kDefaultPageSize; capped at
  // kMaxPageSize) and at most max_page_bytes by ListedBytes(). A page always
  // holds at least one letter when one is left, so paging makes progress.
  virtual absl::StatusOr<DeadLetterPage> ListDeadLetters(const std::string& workspace,
                                                         int page_size, int64_t after_id) = 0;
  // One dead letter, its Braze JSON whole; NOT_FOUND (naming id) if absent.
  virtual absl::StatusOr<DeadLetter> GetDeadLetter(int64_t id) = 0;
  // Moves the selected dead letters back to the outbox, with a fresh retry
  // horizon from now. A letter whose id was delivered or queued again since
  // is dropped instead (it must not reach Braze twice). Unknown ids, and ids
  // of another workspace than a selection's, are ignored. All or nothing.
  virtual absl::StatusOr<ReplayResult> ReplayDeadLetters(const DeadLetterSelection& selection) = 0;
  // Deletes the selected dead letters; returns how many there were.
  virtual absl::StatusOr<int> PurgeDeadLetters(const DeadLetterSelection& selection) = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_DEAD_LETTER_STORE_H_
