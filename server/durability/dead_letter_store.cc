// Rendering and paging of dead letters, shared by both stores.
#include "server/durability/dead_letter_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/durability/stored_payload.h"

namespace brazesync {
namespace {

// ListedBytes' allowances. A letter's fields other than its text cost at most
// 11 bytes each (tag + varint), each time 23 and the entry's own tag and
// length 6: 128 in all; an attempt costs at most 35 besides its outcome.
constexpr size_t kListedBytesPerLetter = 160;
constexpr size_t kListedBytesPerAttempt = 40;
// Kept free in every page for the page's own fields (next_after_id: at most
// 11 bytes), so that a page's protobuf size stays within max_page_bytes.
constexpr size_t kListedBytesPerPage = 16;

}  // namespace

size_t ListedBytes(const DeadLetter& letter) {
  size_t bytes = kListedBytesPerLetter + letter.workspace.size() + letter.item_id.size() +
                 letter.reason.size() + letter.braze_response.size() + letter.braze_json.size();
  for (const AttemptRecord& attempt : letter.attempts) {
    bytes += kListedBytesPerAttempt + attempt.outcome.size();
  }
  return bytes;
}

DeadLetter RenderDeadLetter(StoredDeadLetter stored, absl::Time now) {
  DeadLetter letter = std::move(stored.letter);
  absl::StatusOr<std::string> json = StoredItemToBrazeJson(letter.payload_version, letter.kind,
                                                           stored.payload, letter.accepted, now);
  letter.braze_json = json.ok() ? *std::move(json) : std::string(json.status().message());
  letter.braze_json_bytes = static_cast<int64_t>(letter.braze_json.size());
  return letter;
}

DeadLetterPage PageOfDeadLetters(std::vector<StoredDeadLetter> rows, bool more,
                                 size_t max_page_bytes) {
  const size_t budget =
      max_page_bytes > kListedBytesPerPage ? max_page_bytes - kListedBytesPerPage : 0;
  const absl::Time now = absl::Now();
  DeadLetterPage page;
  size_t page_bytes = 0;
  for (StoredDeadLetter& row : rows) {
    DeadLetter letter = RenderDeadLetter(std::move(row), now);
    if (ListedBytes(letter) > budget) {
      letter.braze_json.clear();
      letter.braze_json.shrink_to_fit();
      letter.braze_json_omitted = true;
    }
    const size_t bytes = ListedBytes(letter);
    if (!page.letters.empty() && page_bytes + bytes > budget) {
      more = true;
      break;
    }
    page_bytes += bytes;
    page.letters.push_back(std::move(letter));
  }
  page.next_after_id = more && !page.letters.empty() ? page.letters.back().id : 0;
  return page;
}

absl::Status ItemIdNotFound(const std::string& workspace, const std::string& item_id) {
  return absl::NotFoundError(absl::StrCat("item_id: \"", item_id,
                                          "\" was not accepted in workspace \"", workspace,
                                          "\" within the idempotency window"));
}

absl::Status DeadLetterNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("id: no dead letter ", id));
}

size_t DeadLetterStore::PageLimit(int page_size) {
  return page_size <= 0 ? kDefaultPageSize : static_cast<size_t>(std::min(page_size, kMaxPageSize));
}

}  // namespace brazesync
