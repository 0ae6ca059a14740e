// The Braze JSON of a recent write (see recent_writes.h).
#include "server/durability/recent_writes.h"

#include "absl/status/statusor.h"
#include "server/braze/item_kind.h"
#include "server/durability/stored_payload.h"

namespace brazesync {

std::string BrazeJsonOf(const RecentWrite& write) {
  if (write.stored_payload.empty()) return write.braze_json;
  absl::StatusOr<std::string> json =
      StoredItemToBrazeJson(write.payload_version, KindFromBrazeArray(write.array),
                            write.stored_payload, write.written_at, write.written_at);
  return json.ok() ? *std::move(json) : std::string();
}

}  // namespace brazesync
