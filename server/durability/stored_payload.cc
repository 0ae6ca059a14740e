// The stored item format (kPayloadVersion): encode on accept, decode to Braze
// JSON on delivery.
#include "server/durability/stored_payload.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

// `received` at millisecond precision, the precision the outbox keeps.
void Stamp(absl::Time received, google::protobuf::Timestamp* time) {
  const int64_t ms = absl::ToUnixMillis(received);
  time->set_seconds(ms / 1000);
  time->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
}

}  // namespace

NewOutboxItem EncodeProfile(const v1::UserProfile& profile) {
  NewOutboxItem item;
  item.kind = v1::ITEM_KIND_ATTRIBUTES;
  item.payload = profile.SerializeAsString();
  item.payload_version = kPayloadVersion;
  return item;
}

NewOutboxItem EncodeEvent(v1::Event event, absl::Time received) {
  if (!event.has_time()) Stamp(received, event.mutable_time());
  NewOutboxItem item;
  item.kind = v1::ITEM_KIND_EVENT;
  item.item_id = event.event_id();
  item.payload = event.SerializeAsString();
  item.payload_version = kPayloadVersion;
  return item;
}

NewOutboxItem EncodePurchase(v1::Purchase purchase, absl::Time received) {
  if (!purchase.has_time()) Stamp(received, purchase.mutable_time());
  NewOutboxItem item;
  item.kind = v1::ITEM_KIND_PURCHASE;
  item.item_id = purchase.purchase_id();
  item.payload = purchase.SerializeAsString();
  item.payload_version = kPayloadVersion;
  return item;
}

absl::StatusOr<std::string> StoredItemToBrazeJson(int payload_version, v1::ItemKind kind,
                                                  const std::string& payload, absl::Time accepted,
                                                  absl::Time now) {
  if (payload_version != kPayloadVersion) {
    return absl::DataLossError(
        absl::StrCat("payload version ", payload_version, " is not supported by this release"));
  }
  const absl::Status unreadable = absl::DataLossError("payload does not parse");
  switch (kind) {
    case v1::ITEM_KIND_ATTRIBUTES: {
      v1::UserProfile profile;
      if (!profile.ParseFromString(payload)) return unreadable;
      return ProfileToBraze(profile).dump();
    }
    case v1::ITEM_KIND_EVENT: {
      v1::Event event;
      if (!event.ParseFromString(payload)) return unreadable;
      return EventToBraze(event, accepted, now).dump();
    }
    case v1::ITEM_KIND_PURCHASE: {
      v1::Purchase purchase;
      if (!purchase.ParseFromString(payload)) return unreadable;
      return PurchaseToBraze(purchase, accepted, now).dump();
    }
    default:
      return absl::DataLossError(absl::StrCat("unknown item kind ", kind));
  }
}

}  // namespace brazesync
