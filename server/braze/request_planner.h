// Packing of converted items into Braze /users/track request bodies.
//
// Braze caps one request at 75 objects (combined across attributes, events and
// purchases by default, or 75 per array on legacy accounts) and ~4 MB of body.
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
  bool per_array = false;  // 75 per array instead of 75 combined
  int max_objects = 75;
  size_t max_bytes = 4'000'000;
};

// One Braze request: its exact body, and for each Braze array the input items
// in array order, so Braze's `errors[].{input_array,index}` map back.
struct PlannedRequest {
  std::string body;
  std::vector<ItemRef> attributes;
  std::vector<ItemRef> events;
  std::vector<ItemRef> purchases;

  // The input item at `index` of Braze array `input_array`
  // ("attributes"/"events"/"purchases"), or nullptr when there is none.
  const ItemRef* Find(const std::string& input_array, int index) const;
  size_t size() const { return attributes.size() + events.size() + purchases.size(); }
};

// Accumulates serialized Braze objects into one request body within the
// limits. Used by PlanRequests and by the delivery engine's batcher.
class RequestBuilder final {
 public:
  explicit RequestBuilder(const RequestLimits& limits);

  bool empty() const { return size() == 0; }
  size_t size() const { return counts_[0] + counts_[1] + counts_[2]; }
  // Whether objects of the given counts per array (attributes, events,
  // purchases) and total JSON bytes can be added without breaking a limit.
  bool Fits(const int (&counts)[3], size_t json_bytes) const;
  bool Fits(v1::ItemKind kind, size_t json_bytes) const;
  // Appends one serialized object; `ref` is reported back by Finish.
  void Add(const ItemRef& ref, absl::string_view json);
  // The finished request; the builder is empty again afterwards.
  PlannedRequest Finish();

 private:
  RequestLimits limits_;
  int counts_[3] = {0, 0, 0};
  size_t bytes_;
  std::string arrays_[3];
  std::vector<ItemRef> refs_[3];
};

// Which Braze array (0 attributes, 1 events, 2 purchases) holds `kind`.
int ArraySlot(v1::ItemKind kind);

// A stable key for "the same Braze user" (identifier type and value).
std::string UserKey(const v1::UserRef& user);

// Packs `items` (in input order) greedily into requests within the limits,
// keeping one user's items together and in order. A user whose items do not
// fit the open request starts a new one.
std::vector<PlannedRequest> PlanRequests(std::vector<PlannedItem> items,
                                         const RequestLimits& limits);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_REQUEST_PLANNER_H_
