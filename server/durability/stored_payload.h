// The stored item format, both halves in one place: how an accepted item is
// encoded for the outbox (on Track), and how a stored payload is decoded to
// the Braze JSON object it is delivered as (by the relay, and for operators
// looking at a dead letter).
//
// Format kPayloadVersion (1): the serialized brazesync.v1 UserProfile, Event
// or Purchase, with the receipt time stamped into an event or purchase that
// has no `time`, so a late delivery still reports when the item was received.
// A release decodes every version it knows and refuses the others with
// DATA_LOSS rather than guess, so items stored by one release are delivered
// by the next. This is the only durability file that knows Braze JSON.
#ifndef BRAZESYNC_SERVER_DURABILITY_STORED_PAYLOAD_H_
#define BRAZESYNC_SERVER_DURABILITY_STORED_PAYLOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/durability/outbox_store.h"

namespace brazesync {

// The format new items are stored in.
inline constexpr int kPayloadVersion = 1;

// The outbox items for one Track item, in the current format: kind, item_id
// (event_id / purchase_id; none for a profile), payload and payload_version
// are set; workspace and user_key are the caller's to fill in. The tracker
// passes items whose phones are already E.164 (track/normalize.h), so
// decoding needs no workspace setting.
NewOutboxItem EncodeProfile(const v1::UserProfile& profile);
// `received` is stamped as the event's time when it has none.
NewOutboxItem EncodeEvent(v1::Event event, absl::Time received);
// `received` is stamped as the purchase's time when it has none.
NewOutboxItem EncodePurchase(v1::Purchase purchase, absl::Time received);

// The Braze JSON object a stored payload converts to at `now` (event and
// purchase times clamp to it; `accepted` is the time of one without its own).
// DATA_LOSS for an unknown version or kind, or a payload that does not parse.
absl::StatusOr<std::string> StoredItemToBrazeJson(int payload_version, v1::ItemKind kind,
                                                  const std::string& payload, absl::Time accepted,
                                                  absl::Time now);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_DURABILITY_STORED_PAYLOAD_H_
