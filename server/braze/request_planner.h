// Packing of converted items into Braze /users/track request bodies.
//
// Braze caps one request at kMaxObjectsPerRequest objects (combined across
// attributes, events and purchases by default, or per array on legacy
// accounts) and kMaxRequestBytes of body (server/braze/limits.h).
// Braze does not guarantee ordering across requests, so the planner keeps all
// of one user's items in one request whenever they fit, and otherwise spreads
// them over consecutive requests in input order.
#ifndef BRAZESYNC_SERVER_BRAZE_REQUEST_PLANNER_H_
#define BRAZESYNC_SERVER_BRAZE_REQUEST_PLANNER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "brazesync/v1/brazesync.pb.h"
#include "server/braze/converter.h"
#include "server/braze/item_kind.h"
#include "server/braze/limits.h"

namespace brazesync {

// One converted item waiting to be sent.
struct PlannedItem {
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  int index = 0;         // position in the caller's array of that kind
  std::string user_key;  // identifies the Braze user; equal keys = same user
  Json json;             // the Braze object
};

// Where an item of a planned request came from.
struct ItemRef {
  v1::ItemKind kind = v1::ITEM_KIND_UNSPECIFIED;
  int index = 0;
};

struct RequestLimits {
  bool per_array = false;  // max_objects per array instead of combined
  int max_objects = kMaxObjectsPerRequest;
  size_t max_bytes = kMaxRequestBytes;
};

// One Braze request: its exact body, and for each Braze array the input items
// in array order, so Braze's `errors[].{input_array,index}` map back.
struct PlannedRequest {
  std::string body;
  PerKind<std::vector<ItemRef>> refs;

  // The input item at `index` of the Braze array of `kind` (for Braze's
  // errors: KindFromBrazeArray(input_array)), or nullptr when there is none,
  // including for a kind without a Braze array.
  const ItemRef* Find(v1::ItemKind kind, int index) const;
  size_t size() const {
    return refs.attributes.size() + refs.events.size() + refs.purchases.size();
  }
};

// Accumulates serialized Braze objects into one request body within the
// limits. Used by PlanRequests and by the delivery engine's batcher.
class RequestBuilder final {
 public:
  explicit RequestBuilder(const RequestLimits& limits);

  bool empty() const { return size() == 0; }
  size_t size() const { return static_cast<size_t>(SumOverKinds(counts_)); }
  // Whether objects of the given counts per Braze array and total JSON bytes
  // can be added without breaking a limit.
  bool Fits(const PerKind<int>& counts, size_t json_bytes) const;
  bool Fits(v1::ItemKind kind, size_t json_bytes) const;
  // Appends one serialized object; `ref` is reported back by Finish.
  void Add(const ItemRef& ref, absl::string_view json);
  // The finished request; the builder is empty again afterwards.
  PlannedRequest Finish();

 private:
  RequestLimits limits_;
  PerKind<int> counts_;
  size_t bytes_;
  PerKind<std::string> arrays_;  // each array's objects, comma-separated
  PerKind<std::vector<ItemRef>> refs_;
};

// The largest serialized Braze object that fits, alone, in a request of at
// most `max_request_bytes` (the request envelope `{"attributes":[...]}` and
// its separators deducted). The validator refuses larger items
// (docs/braze-rules.md), so every accepted item can be sent.
size_t MaxItemJsonBytes(size_t max_request_bytes);

// A stable key for "the same Braze user" (identifier type and value).
std::string UserKey(const v1::UserRef& user);

// Packs `items` (in input order) greedily into requests within the limits,
// keeping one user's items together and in order. A user whose items do not
// fit the open request starts a new one.
std::vector<PlannedRequest> PlanRequests(std::vector<PlannedItem> items,
                                         const RequestLimits& limits);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_REQUEST_PLANNER_H_
