// Seeded generator of BrazeSync items for the differential test: user
// profiles, events and purchases whose fields are drawn from pools of edge
// cases (every boundary in docs/braze-rules.md and the braze-api.md §6 cases,
// on both sides of it) and random text.
//
// Each item starts valid and gets zero to three mutations, so roughly half of
// the items are valid and the other half break one rule or a few. The
// generator does not know which: the validator decides, the emulator judges,
// and the test compares them.
#ifndef BRAZESYNC_TESTS_CONFORMANCE_ITEM_GENERATOR_H_
#define BRAZESYNC_TESTS_CONFORMANCE_ITEM_GENERATOR_H_

#include <cstdint>
#include <random>
#include <string>

#include "brazesync/v1/types.pb.h"

namespace brazesync::conformance {

class ItemGenerator final {
 public:
  // `max_request_bytes`: the workspace's request cap, so oversize items can be
  // generated around it without building 4 MB items.
  explicit ItemGenerator(uint64_t seed, int64_t max_request_bytes);

  v1::UserProfile Profile();
  v1::Event Event();
  v1::Purchase Purchase();

 private:
  bool OneIn(int n);
  size_t Below(size_t n);
  template <typename T, size_t N>
  const T& Pick(const T (&pool)[N]) {
    return pool[Below(N)];
  }

  // Field pools: each returns a valid value most of the time and an edge case
  // or a broken value otherwise.
  std::string Text(size_t max_chars);
  std::string BoundaryString();
  std::string Email();
  std::string Phone();
  std::string DateTimeText();
  google::protobuf::Value JsonValue(int depth);
  void UserRef(v1::UserRef* user);
  void Time(google::protobuf::Timestamp* time);
  void Properties(google::protobuf::Struct* properties);
  std::string CustomKey();
  void CustomValue(v1::AttributeValue* value);
  void StringList(v1::StringList* list);
  std::string Padding(int64_t bytes);

  void MutateProfile(v1::UserProfile* profile);
  void MutateEvent(v1::Event* event);
  void MutatePurchase(v1::Purchase* purchase);

  std::mt19937_64 rng_;
  const int64_t max_request_bytes_;
  int next_user_ = 0;
};

}  // namespace brazesync::conformance

#endif  // BRAZESYNC_TESTS_CONFORMANCE_ITEM_GENERATOR_H_
