// Packing of converted items into Braze /users/track request bodies.
#include "server/request_planner.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace brazesync {
namespace {

// `{"attributes":[],"events":[],"purchases":[]}` plus slack.
constexpr size_t kEnvelopeBytes = 64;

struct SerializedItem {
  ItemRef ref;
  std::string json;
};

// Accumulates one request's items until it is full.
class RequestBuilder final {
 public:
  explicit RequestBuilder(const RequestLimits& limits) : limits_(limits) {}

  bool empty() const { return count_[0] + count_[1] + count_[2] == 0; }

  // Whether `items` can all be added without breaking a limit.
  bool Fits(const std::vector<const SerializedItem*>& items) const {
    int added[3] = {0, 0, 0};
    size_t bytes = bytes_;
    for (const SerializedItem* item : items) {
      ++added[Slot(item->ref.kind)];
      bytes += item->json.size() + 1;
    }
    if (bytes > limits_.max_bytes) return false;
    if (limits_.per_array) {
      for (int i = 0; i < 3; ++i) {
        if (count_[i] + added[i] > limits_.max_objects) return false;
      }
      return true;
    }
    return count_[0] + count_[1] + count_[2] + added[0] + added[1] + added[2] <=
           limits_.max_objects;
  }

  void Add(const SerializedItem& item) {
    const int slot = Slot(item.ref.kind);
    ++count_[slot];
    bytes_ += item.json.size() + 1;
    arrays_[slot].push_back(&item);
  }

  PlannedRequest Finish() {
    static constexpr const char* kNames[3] = {"attributes", "events", "purchases"};
    PlannedRequest request;
    std::vector<ItemRef>* refs[3] = {&request.attributes, &request.events, &request.purchases};
    request.body.reserve(bytes_);
    request.body = "{";
    bool first_array = true;
    for (int slot = 0; slot < 3; ++slot) {
      if (arrays_[slot].empty()) continue;
      absl::StrAppend(&request.body, first_array ? "" : ",", "\"", kNames[slot], "\":[");
      first_array = false;
      for (size_t i = 0; i < arrays_[slot].size(); ++i) {
        absl::StrAppend(&request.body, i == 0 ? "" : ",", arrays_[slot][i]->json);
        refs[slot]->push_back(arrays_[slot][i]->ref);
      }
      request.body += "]";
    }
    request.body += "}";
    *this = RequestBuilder(limits_);
    return request;
  }

 private:
  static int Slot(v1::ItemKind kind) {
    switch (kind) {
      case v1::ITEM_KIND_EVENT:
        return 1;
      case v1::ITEM_KIND_PURCHASE:
        return 2;
      default:
        return 0;
    }
  }

  RequestLimits limits_;
  int count_[3] = {0, 0, 0};
  size_t bytes_ = kEnvelopeBytes;
  std::vector<const SerializedItem*> arrays_[3];
};

}  // namespace

const ItemRef* PlannedRequest::Find(const std::string& input_array, int index) const {
  const std::vector<ItemRef>* array = input_array == "attributes" ? &attributes
                                      : input_array == "events"   ? &events
                                      : input_array == "purchases" ? &purchases
                                                                   : nullptr;
  if (array == nullptr || index < 0 || static_cast<size_t>(index) >= array->size()) {
    return nullptr;
  }
  return &(*array)[index];
}

std::string UserKey(const v1::UserRef& user) {
  switch (user.id_case()) {
    case v1::UserRef::kExternalId:
      return absl::StrCat("external_id:", user.external_id());
    case v1::UserRef::kUserAlias:
      // The label cannot contain '\0' in practice; it separates the parts.
      return absl::StrCat("user_alias:", user.user_alias().alias_label(), std::string(1, '\0'),
                          user.user_alias().alias_name());
    case v1::UserRef::kBrazeId:
      return absl::StrCat("braze_id:", user.braze_id());
    case v1::UserRef::kEmail:
      return absl::StrCat("email:", user.email());
    case v1::UserRef::kPhone:
      return absl::StrCat("phone:", user.phone());
    case v1::UserRef::ID_NOT_SET:
      break;
  }
  return "";
}

std::vector<PlannedRequest> PlanRequests(std::vector<PlannedItem> items,
                                         const RequestLimits& limits) {
  // Serialize once; group by user in order of first appearance.
  std::vector<SerializedItem> serialized;
  serialized.reserve(items.size());
  for (PlannedItem& item : items) {
    serialized.push_back({ItemRef{item.kind, item.index}, item.json.dump()});
  }
  std::vector<std::vector<const SerializedItem*>> groups;
  absl::flat_hash_map<std::string, size_t> group_of_user;
  for (size_t i = 0; i < items.size(); ++i) {
    auto [it, inserted] = group_of_user.try_emplace(items[i].user_key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&serialized[i]);
  }

  std::vector<PlannedRequest> requests;
  RequestBuilder builder(limits);
  for (const auto& group : groups) {
    if (!builder.Fits(group) && !builder.empty()) requests.push_back(builder.Finish());
    if (builder.Fits(group)) {
      for (const SerializedItem* item : group) builder.Add(*item);
      continue;
    }
    // One user with more items than one request holds: consecutive requests.
    for (const SerializedItem* item : group) {
      if (!builder.Fits({item}) && !builder.empty()) requests.push_back(builder.Finish());
      builder.Add(*item);
    }
  }
  if (!builder.empty()) requests.push_back(builder.Finish());
  return requests;
}

}  // namespace brazesync
