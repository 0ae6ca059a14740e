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
  PerKind<int> counts;
  size_t bytes = 0;
  for (const SerializedItem* item : items) {
    ++counts[item->ref.kind];
    bytes += item->json.size();
  }
  return builder.Fits(counts, bytes);
}

}  // namespace

RequestBuilder::RequestBuilder(const RequestLimits& limits)
    : limits_(limits), bytes_(kEnvelopeBytes) {}

bool RequestBuilder::Fits(const PerKind<int>& counts, size_t json_bytes) const {
  const int added = SumOverKinds(counts);
  // Each object also costs a separating comma.
  if (bytes_ + json_bytes + added > limits_.max_bytes) return false;
  if (limits_.per_array) {
    for (v1::ItemKind kind : kBrazeArrayKinds) {
      if (counts_[kind] + counts[kind] > limits_.max_objects) return false;
    }
    return true;
  }
  return SumOverKinds(counts_) + added <= limits_.max_objects;
}

bool RequestBuilder::Fits(v1::ItemKind kind, size_t json_bytes) const {
  PerKind<int> counts;
  ++counts[kind];
  return Fits(counts, json_bytes);
}

void RequestBuilder::Add(const ItemRef& ref, absl::string_view json) {
  std::string& array = arrays_[ref.kind];
  if (counts_[ref.kind]++ > 0) array += ',';
  absl::StrAppend(&array, json);
  bytes_ += json.size() + 1;
  refs_[ref.kind].push_back(ref);
}

PlannedRequest RequestBuilder::Finish() {
  PlannedRequest request;
  request.body.reserve(bytes_);
  request.body = "{";
  for (v1::ItemKind kind : kBrazeArrayKinds) {
    if (counts_[kind] == 0) continue;
    absl::StrAppend(&request.body, request.body.size() > 1 ? "," : "", "\"", BrazeArrayName(kind),
                    "\":[", arrays_[kind], "]");
  }
  request.body += "}";
  request.refs = std::move(refs_);
  *this = RequestBuilder(limits_);
  return request;
}

const ItemRef* PlannedRequest::Find(v1::ItemKind kind, int index) const {
  if (!IsBrazeArrayKind(kind)) return nullptr;
  const std::vector<ItemRef>& array = refs[kind];
  if (index < 0 || static_cast<size_t>(index) >= array.size()) return nullptr;
  return &array[index];
}

size_t MaxItemJsonBytes(size_t max_request_bytes) {
  // RequestBuilder::Fits for one object in an empty request: the envelope
  // and the object's separating comma.
  const size_t overhead = kEnvelopeBytes + 1;
  return max_request_bytes > overhead ? max_request_bytes - overhead : 0;
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
