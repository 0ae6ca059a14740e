// The item-kind vocabulary: ItemKind <-> Braze array name.
#include "server/braze/item_kind.h"

namespace brazesync {

bool IsBrazeArrayKind(v1::ItemKind kind) { return !BrazeArrayName(kind).empty(); }

absl::string_view BrazeArrayName(v1::ItemKind kind) {
  switch (kind) {
    case v1::ITEM_KIND_ATTRIBUTES:
      return "attributes";
    case v1::ITEM_KIND_EVENT:
      return "events";
    case v1::ITEM_KIND_PURCHASE:
      return "purchases";
    default:
      return "";
  }
}

v1::ItemKind KindFromBrazeArray(absl::string_view name) {
  for (v1::ItemKind kind : kBrazeArrayKinds) {
    if (BrazeArrayName(kind) == name) return kind;
  }
  return v1::ITEM_KIND_UNSPECIFIED;
}

PerKind<int> CountByKind(const v1::TrackRequest& request) {
  return {request.attributes_size(), request.events_size(), request.purchases_size()};
}

}  // namespace brazesync
