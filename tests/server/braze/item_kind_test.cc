// Tests for server/braze/item_kind.h: every ItemKind with a Braze array maps
// to Braze's array name and back, other kinds and names map to nothing, and
// PerKind indexes by kind.
#include "server/braze/item_kind.h"

#include <string>
#include <vector>

#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::IsEmpty;

TEST(ItemKindTest, NamesTheBrazeArrayOfEachKind) {
  EXPECT_THAT(BrazeArrayName(v1::ITEM_KIND_ATTRIBUTES), Eq("attributes"));
  EXPECT_THAT(BrazeArrayName(v1::ITEM_KIND_EVENT), Eq("events"));
  EXPECT_THAT(BrazeArrayName(v1::ITEM_KIND_PURCHASE), Eq("purchases"));
}

TEST(ItemKindTest, KindsWithoutAnArrayHaveNoName) {
  EXPECT_THAT(BrazeArrayName(v1::ITEM_KIND_UNSPECIFIED), IsEmpty());
  EXPECT_THAT(BrazeArrayName(static_cast<v1::ItemKind>(99)), IsEmpty());
  EXPECT_FALSE(IsBrazeArrayKind(v1::ITEM_KIND_UNSPECIFIED));
  EXPECT_FALSE(IsBrazeArrayKind(static_cast<v1::ItemKind>(99)));
}

TEST(ItemKindTest, ArrayKindsAreInRequestBodyOrder) {
  EXPECT_THAT(kBrazeArrayKinds,
              ElementsAre(v1::ITEM_KIND_ATTRIBUTES, v1::ITEM_KIND_EVENT, v1::ITEM_KIND_PURCHASE));
}

// A kind added to the proto must get a Braze array here (or be rejected
// before it reaches Braze), so it cannot silently be filed as attributes.
TEST(ItemKindTest, EveryKindButUnspecifiedHasABrazeArray) {
  const google::protobuf::EnumDescriptor* kinds = v1::ItemKind_descriptor();
  for (int i = 0; i < kinds->value_count(); ++i) {
    const auto kind = static_cast<v1::ItemKind>(kinds->value(i)->number());
    EXPECT_EQ(IsBrazeArrayKind(kind), kind != v1::ITEM_KIND_UNSPECIFIED) << kinds->value(i)->name();
  }
}

TEST(ItemKindTest, NameRoundTripsToItsKind) {
  for (v1::ItemKind kind : kBrazeArrayKinds) {
    EXPECT_THAT(KindFromBrazeArray(BrazeArrayName(kind)), Eq(kind)) << kind;
  }
}

TEST(ItemKindTest, OtherNamesMapToUnspecified) {
  for (const char* name : {"", "users", "event", "Events", "attributes ", "PURCHASES"}) {
    EXPECT_THAT(KindFromBrazeArray(name), Eq(v1::ITEM_KIND_UNSPECIFIED)) << "\"" << name << "\"";
  }
}

TEST(ItemKindTest, PerKindIndexesTheNamedMember) {
  PerKind<std::string> names;
  for (v1::ItemKind kind : kBrazeArrayKinds) names[kind] = std::string(BrazeArrayName(kind));
  EXPECT_THAT(names.attributes, Eq("attributes"));
  EXPECT_THAT(names.events, Eq("events"));
  EXPECT_THAT(names.purchases, Eq("purchases"));
  const PerKind<std::string>& read_only = names;
  EXPECT_THAT(read_only[v1::ITEM_KIND_EVENT], Eq("events"));
}

TEST(ItemKindTest, PerKindFilesOtherKindsUnderAttributes) {
  PerKind<int> counts;
  ++counts[v1::ITEM_KIND_UNSPECIFIED];
  ++counts[static_cast<v1::ItemKind>(99)];
  EXPECT_THAT(counts.attributes, Eq(2));
  EXPECT_THAT(counts.events + counts.purchases, Eq(0));
}

TEST(ItemKindTest, CountsAndSumsTheItemsOfARequest) {
  v1::TrackRequest request;
  request.add_attributes();
  request.add_events();
  request.add_events();
  request.add_purchases();
  request.add_purchases();
  request.add_purchases();
  const PerKind<int> counts = CountByKind(request);
  EXPECT_THAT(counts.attributes, Eq(1));
  EXPECT_THAT(counts.events, Eq(2));
  EXPECT_THAT(counts.purchases, Eq(3));
  EXPECT_THAT(SumOverKinds(counts), Eq(6));
}

}  // namespace
}  // namespace brazesync
