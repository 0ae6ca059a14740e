// Packing of converted items into Braze /users/track request bodies.
#include "server/braze/request_planner.h"

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

bool GroupFits(const RequestBuilder& builder, const std::vector<const SerializedItem*>& items) {
  int counts[3] = {0, 0, 0};
  size_t bytes = 0;
  for (const SerializedItem* item : items) {
    ++counts[ArraySlot(item->ref.kind)];
    bytes += item->json.size();
  }
  return builder.Fits(counts, bytes);
}

}  // namespace

int ArraySlot(v1::ItemKind kind) {
  switch (kind) {
    case v1::ITEM_KIND_EVENT:
      return 1;
    case v1::ITEM_KIND_PURCHASE:
      return 2;
    default:
      return 0;
  }
}

RequestBuilder::RequestBuilder(const RequestLimits& limits)
    : limits_(limits), bytes_(kEnvelopeBytes) {}

bool RequestBuilder::Fits(const int (&counts)[3], size_t json_bytes) const {
  // Each object also costs a separating comma.
  if (bytes_ + json_bytes + counts[0] + counts[1] + counts[2] > limits_.max_bytes) return false;
  if (limits_.per_array) {
    for (int i = 0; i < 3; ++i) {
      if (counts_[i] + counts[i] > limits_.max_objects) return false;
    }
    return true;
  }
  return static_cast<int>(size()) + counts[0] + counts[1] + counts[2] <= limits_.max_objects;
}

bool RequestBuilder::Fits(v1::ItemKind kind, size_t json_bytes) const {
  int counts[3] = {0, 0, 0};
  ++counts[ArraySlot(kind)];
  return Fits(counts, json_bytes);
}

void RequestBuilder::Add(const ItemRef& ref, absl::string_view json) {
  const int slot = ArraySlot(ref.kind);
  if (counts_[slot]++ > 0) arrays_[slot] += ',';
  absl::StrAppend(&arrays_[slot], json);
  bytes_ += json.size() + 1;
  refs_[slot].push_back(ref);
}

PlannedRequest RequestBuilder::Finish() {
  static constexpr const char* kNames[3] = {"attributes", "events", "purchases"};
  PlannedRequest request;
  request.body.reserve(bytes_);
  request.body = "{";
  for (int slot = 0; slot < 3; ++slot) {
    if (counts_[slot] == 0) continue;
    absl::StrAppend(&request.body, request.body.size() > 1 ? "," : "", "\"", kNames[slot], "\":[",
                    arrays_[slot], "]");
  }
  request.body += "}";
  request.attributes = std::move(refs_[0]);
  request.events = std::move(refs_[1]);
  request.purchases = std::move(refs_[2]);
  *this = RequestBuilder(limits_);
  return request;
}

const ItemRef* PlannedRequest::Find(const std::string& input_array, int index) const {
  const std::vector<ItemRef>* array = input_array == "attributes"  ? &attributes
                                      : input_array == "events"    ? &events
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
    if (!GroupFits(builder, group) && !builder.empty()) requests.push_back(builder.Finish());
    if (GroupFits(builder, group)) {
      for (const SerializedItem* item : group) builder.Add(item->ref, item->json);
      continue;
    }
    // One user with more items than one request holds: consecutive requests.
    for (const SerializedItem* item : group) {
      if (!builder.Fits(item->ref.kind, item->json.size()) && !builder.empty()) {
        requests.push_back(builder.Finish());
      }
      builder.Add(item->ref, item->json);
    }
  }
  if (!builder.empty()) requests.push_back(builder.Finish());
  return requests;
}

}  // namespace brazesync
