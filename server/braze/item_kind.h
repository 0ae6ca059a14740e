// The item-kind vocabulary, in one place: which Braze /users/track array
// ("attributes", "events", "purchases") holds each v1::ItemKind, the order of
// those arrays in a request body, and PerKind<T>, one T per array, indexed by
// kind instead of by a magic 0/1/2.
//
// Contract: ITEM_KIND_ATTRIBUTES, ITEM_KIND_EVENT and ITEM_KIND_PURCHASE are
// the only kinds with a Braze array. Code that can meet another value (a kind
// parsed from Braze's response or read back from storage) checks
// IsBrazeArrayKind first; PerKind files any other value under `attributes`.
#ifndef BRAZESYNC_SERVER_BRAZE_ITEM_KIND_H_
#define BRAZESYNC_SERVER_BRAZE_ITEM_KIND_H_

#include "absl/strings/string_view.h"
#include "brazesync/v1/brazesync.pb.h"

namespace brazesync {

// The kinds with a Braze array, in the order the arrays appear in a request
// body (and TrackResult.items lists the items).
inline constexpr v1::ItemKind kBrazeArrayKinds[] = {v1::ITEM_KIND_ATTRIBUTES, v1::ITEM_KIND_EVENT,
                                                    v1::ITEM_KIND_PURCHASE};

// Whether `kind` is one of kBrazeArrayKinds.
bool IsBrazeArrayKind(v1::ItemKind kind);

// "attributes", "events" or "purchases": the array in a /users/track body and
// in Braze's `errors[].input_array`. Empty for any other kind.
absl::string_view BrazeArrayName(v1::ItemKind kind);

// The kind whose Braze array is called `name` (exact, case-sensitive match),
// or ITEM_KIND_UNSPECIFIED for any other name.
v1::ItemKind KindFromBrazeArray(absl::string_view name);

// One T per Braze array: counts, offsets, or the items of each array.
template <typename T>
struct PerKind {
  T attributes{};
  T events{};
  T purchases{};

  // The value for `kind`; kinds without a Braze array select `attributes`
  // (see the contract above).
  T& operator[](v1::ItemKind kind) {
    return kind == v1::ITEM_KIND_EVENT      ? events
           : kind == v1::ITEM_KIND_PURCHASE ? purchases
                                            : attributes;
  }
  const T& operator[](v1::ItemKind kind) const {
    return kind == v1::ITEM_KIND_EVENT      ? events
           : kind == v1::ITEM_KIND_PURCHASE ? purchases
                                            : attributes;
  }
};

// attributes + events + purchases.
template <typename T>
T SumOverKinds(const PerKind<T>& values) {
  return values.attributes + values.events + values.purchases;
}

// How many items of each kind `request` carries.
PerKind<int> CountByKind(const v1::TrackRequest& request);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_ITEM_KIND_H_
