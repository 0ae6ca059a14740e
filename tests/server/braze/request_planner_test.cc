// Tests for server/request_planner.h: packing converted items into Braze
// /users/track request bodies under the object caps (75 combined, or 75 per
// array) and the byte cap, keeping each user's items together and in input
// order, and mapping Braze's errors[] (input_array, index) back to inputs.
#include "server/braze/request_planner.h"

#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Eq;
using ::testing::Field;
using ::testing::IsNull;
using ::testing::Le;
using ::testing::Ne;
using ::testing::Pointee;
using ::testing::SizeIs;
using ::testing::StrEq;

constexpr int kBrazeCap = 75;
constexpr size_t kFourMegabytes = 4'000'000;
constexpr v1::ItemKind kAttributes = v1::ITEM_KIND_ATTRIBUTES;
constexpr v1::ItemKind kEvent = v1::ITEM_KIND_EVENT;
constexpr v1::ItemKind kPurchase = v1::ITEM_KIND_PURCHASE;

const RequestLimits kCombined{/*per_array=*/false, kBrazeCap, kFourMegabytes};
const RequestLimits kPerArray{/*per_array=*/true, kBrazeCap, kFourMegabytes};

v1::UserRef ExternalId(const std::string& id) {
  v1::UserRef user;
  user.set_external_id(id);
  return user;
}

// An item of `kind` at `index` for the user with external_id `user`.
PlannedItem MakeItem(v1::ItemKind kind, int index, const std::string& user) {
  PlannedItem item;
  item.kind = kind;
  item.index = index;
  item.user_key = UserKey(ExternalId(user));
  item.json = Json{{"external_id", user}, {"n", index}};
  return item;
}

// `count` items of `kind`, indexes first..first+count-1, each its own user.
void AppendDistinctUsers(v1::ItemKind kind, int first, int count, std::vector<PlannedItem>* out) {
  for (int i = first; i < first + count; ++i) {
    out->push_back(MakeItem(kind, i, absl::StrCat("user-", kind, "-", i)));
  }
}

// The input indexes of `array`'s items, in array order.
std::vector<int> Indexes(const std::vector<ItemRef>& array) {
  std::vector<int> indexes;
  for (const ItemRef& ref : array) indexes.push_back(ref.index);
  return indexes;
}

auto RefIs(v1::ItemKind kind, int index) {
  return AllOf(Field(&ItemRef::kind, Eq(kind)), Field(&ItemRef::index, Eq(index)));
}

// A request's item counts per array: attributes, events, purchases.
using ArraySizes = std::array<size_t, 3>;

ArraySizes SizesOf(const PlannedRequest& request) {
  return {request.refs.attributes.size(), request.refs.events.size(),
          request.refs.purchases.size()};
}

// ---- Object caps ----

// Items of distinct users, planned under `limits`: per request, how many land
// in each array.
struct ObjectCapCase {
  std::string name;
  RequestLimits limits;
  // Items per kind, in this order: attributes, events, purchases (indexes
  // from 0 each).
  int attributes;
  int events;
  int purchases;
  std::vector<ArraySizes> requests;
};

void PrintTo(const ObjectCapCase& test, std::ostream* os) { *os << test.name; }

class RequestPlannerObjectCapTest : public ::testing::TestWithParam<ObjectCapCase> {};

TEST_P(RequestPlannerObjectCapTest, FillsEachRequestUpToTheCap) {
  const ObjectCapCase& test = GetParam();
  std::vector<PlannedItem> items;
  AppendDistinctUsers(kAttributes, 0, test.attributes, &items);
  AppendDistinctUsers(kEvent, 0, test.events, &items);
  AppendDistinctUsers(kPurchase, 0, test.purchases, &items);
  const std::vector<PlannedRequest> requests = PlanRequests(items, test.limits);
  std::vector<ArraySizes> sizes;
  sizes.reserve(requests.size());
  for (const PlannedRequest& request : requests) sizes.push_back(SizesOf(request));
  EXPECT_THAT(sizes, ElementsAreArray(test.requests));
}

// Each case: name, limits, attribute/event/purchase counts, and each
// request's {attributes, events, purchases}.
std::vector<ObjectCapCase> ObjectCapCases() {
  const RequestLimits ten_combined{/*per_array=*/false, /*max_objects=*/10, kFourMegabytes};
  return {
      {"NoItemsNoRequests", kCombined, 0, 0, 0, {}},
      {"CombinedSeventyFiveItemsInOneRequest", kCombined, 75, 0, 0, {{75, 0, 0}}},
      {"CombinedSplitsSeventySixItemsIntoTwo", kCombined, 76, 0, 0, {{75, 0, 0}, {1, 0, 0}}},
      {"CombinedCountsAcrossArrays", kCombined, 30, 30, 16, {{30, 30, 15}, {0, 0, 1}}},
      {"CombinedAcceptsThirtyThirtyFifteen", kCombined, 30, 30, 15, {{30, 30, 15}}},
      {"PerArrayTwoHundredTwentyFiveItemsInOneRequest", kPerArray, 75, 75, 75, {{75, 75, 75}}},
      {"PerArraySplitsSeventySixEvents", kPerArray, 0, 76, 0, {{0, 75, 0}, {0, 1, 0}}},
      {"HonoursSmallerConfiguredCap", ten_combined, 0, 25, 0, {{0, 10, 0}, {0, 10, 0}, {0, 5, 0}}},
  };
}

INSTANTIATE_TEST_SUITE_P(RequestPlannerTest, RequestPlannerObjectCapTest,
                         ::testing::ValuesIn(ObjectCapCases()),
                         [](const auto& info) { return info.param.name; });

// ---- Byte cap ----

TEST(RequestPlannerTest, SplitsByBytesKeepingEveryBodyUnderTheCap) {
  // Each item serializes to exactly kItemBytes; three fit under kMaxBytes,
  // four do not.
  constexpr size_t kItemBytes = 1000;
  constexpr size_t kMaxBytes = 3500;
  std::vector<PlannedItem> items;
  for (int i = 0; i < 10; ++i) {
    PlannedItem item = MakeItem(kAttributes, i, absl::StrCat("u", i));
    item.json = Json{{"external_id", absl::StrCat("u", i)}, {"pad", ""}};
    const size_t base = item.json.dump().size();
    item.json["pad"] = std::string(kItemBytes - base, 'x');
    ASSERT_THAT(item.json.dump().size(), Eq(kItemBytes));
    items.push_back(std::move(item));
  }
  const std::vector<PlannedRequest> requests =
      PlanRequests(items, RequestLimits{false, kBrazeCap, kMaxBytes});
  ASSERT_THAT(requests, SizeIs(4));
  for (const PlannedRequest& request : requests) {
    EXPECT_THAT(request.body.size(), Le(kMaxBytes));
  }
  EXPECT_THAT(Indexes(requests[0].refs.attributes), ElementsAre(0, 1, 2));
  EXPECT_THAT(Indexes(requests[3].refs.attributes), ElementsAre(9));
}

// The validator refuses an item too large for one request (docs/braze-rules.md),
// so validate_only never plans one; this only pins that the planner, given one
// anyway, neither drops it nor merges it with other users' items.
TEST(RequestPlannerTest, KeepsAnItemLargerThanTheByteCapInARequestOfItsOwn) {
  std::vector<PlannedItem> items;
  AppendDistinctUsers(kEvent, 0, 1, &items);
  items.push_back(MakeItem(kEvent, 1, "big"));
  items.back().json["pad"] = std::string(5000, 'x');
  AppendDistinctUsers(kEvent, 2, 1, &items);
  const std::vector<PlannedRequest> requests =
      PlanRequests(items, RequestLimits{false, kBrazeCap, 2000});
  ASSERT_THAT(requests, SizeIs(3));
  EXPECT_THAT(Indexes(requests[1].refs.events), ElementsAre(1));
}

TEST(RequestPlannerTest, MaxItemJsonBytesIsWhatFitsAloneInARequest) {
  const RequestLimits limits{false, kBrazeCap, 2000};
  const size_t max_item = MaxItemJsonBytes(2000);
  for (v1::ItemKind kind : {kAttributes, kEvent}) {
    EXPECT_TRUE(RequestBuilder(limits).Fits(kind, max_item)) << kind;
    EXPECT_FALSE(RequestBuilder(limits).Fits(kind, max_item + 1)) << kind;
  }
  std::vector<PlannedItem> items;
  items.push_back(MakeItem(kEvent, 0, "u"));
  items.back().json["pad"] = std::string(max_item - items.back().json.dump().size() - 9, 'x');
  ASSERT_THAT(items.back().json.dump().size(), Eq(max_item));  // ,"pad":"" is 9 bytes
  const std::vector<PlannedRequest> requests = PlanRequests(items, limits);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_THAT(requests[0].body.size(), Le(2000u));
  EXPECT_THAT(MaxItemJsonBytes(10), Eq(0u));
}

// ---- Users kept together and in order ----

TEST(RequestPlannerTest, MovesAUsersItemsTogetherToTheNextRequest) {
  std::vector<PlannedItem> items;
  AppendDistinctUsers(kAttributes, 0, 74, &items);
  items.push_back(MakeItem(kAttributes, 74, "together"));
  items.push_back(MakeItem(kAttributes, 75, "together"));
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_THAT(requests[0].refs.attributes, SizeIs(74));
  EXPECT_THAT(Indexes(requests[1].refs.attributes), ElementsAre(74, 75));
}

TEST(RequestPlannerTest, GroupsAUsersScatteredItemsInInputOrder) {
  std::vector<PlannedItem> items = {MakeItem(kEvent, 0, "a"), MakeItem(kEvent, 1, "b"),
                                    MakeItem(kEvent, 2, "a"), MakeItem(kEvent, 3, "b"),
                                    MakeItem(kEvent, 4, "a")};
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_THAT(Indexes(requests[0].refs.events), ElementsAre(0, 2, 4, 1, 3));
}

TEST(RequestPlannerTest, KeepsAUsersItemsOfDifferentKindsInOneRequest) {
  std::vector<PlannedItem> items;
  items.push_back(MakeItem(kAttributes, 0, "shared"));
  AppendDistinctUsers(kAttributes, 1, 73, &items);
  items.push_back(MakeItem(kEvent, 0, "shared"));
  items.push_back(MakeItem(kPurchase, 0, "shared"));
  // 76 items: "shared" (3 items) is packed first, so the overflow is a
  // distinct-user attribute, never one of "shared"'s items.
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_THAT(requests[0].refs.events, ElementsAre(RefIs(kEvent, 0)));
  EXPECT_THAT(requests[0].refs.purchases, ElementsAre(RefIs(kPurchase, 0)));
  EXPECT_THAT(requests[0].refs.attributes.front(), RefIs(kAttributes, 0));
  EXPECT_THAT(requests[1].refs.events, SizeIs(0));
  EXPECT_THAT(requests[1].refs.purchases, SizeIs(0));
}

TEST(RequestPlannerTest, SpreadsAUserWithMoreThanSeventyFiveItemsOverConsecutiveRequests) {
  constexpr int kHeavyItems = 80;
  std::vector<PlannedItem> items;
  items.push_back(MakeItem(kEvent, 0, "first"));
  for (int i = 1; i <= kHeavyItems; ++i) items.push_back(MakeItem(kEvent, i, "heavy"));
  items.push_back(MakeItem(kEvent, kHeavyItems + 1, "last"));
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);

  std::vector<int> heavy_indexes;
  std::vector<size_t> heavy_requests;
  for (size_t r = 0; r < requests.size(); ++r) {
    EXPECT_THAT(requests[r].size(), Le(static_cast<size_t>(kBrazeCap)));
    for (const ItemRef& ref : requests[r].refs.events) {
      if (ref.index >= 1 && ref.index <= kHeavyItems) {
        heavy_indexes.push_back(ref.index);
        if (heavy_requests.empty() || heavy_requests.back() != r) heavy_requests.push_back(r);
      }
    }
  }
  std::vector<int> expected(kHeavyItems);
  for (int i = 0; i < kHeavyItems; ++i) expected[i] = i + 1;
  EXPECT_THAT(heavy_indexes, Eq(expected));
  ASSERT_THAT(heavy_requests, SizeIs(2));
  EXPECT_THAT(heavy_requests[1], Eq(heavy_requests[0] + 1));
}

// ---- Find ----

// Find on the one request planned from attributes #3 (user x), events #7 (y)
// and #2 (z), and purchase #5 (x): what `index` of `input_array` maps to.
struct FindCase {
  std::string name;
  std::string input_array;
  int index;
  std::optional<ItemRef> expected;  // nullopt: Find returns nullptr
};

void PrintTo(const FindCase& test, std::ostream* os) { *os << test.name; }

class RequestPlannerFindTest : public ::testing::TestWithParam<FindCase> {
 protected:
  void SetUp() override {
    std::vector<PlannedItem> items = {MakeItem(kAttributes, 3, "x"), MakeItem(kEvent, 7, "y"),
                                      MakeItem(kEvent, 2, "z"), MakeItem(kPurchase, 5, "x")};
    std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
    ASSERT_THAT(requests, SizeIs(1));
    request_ = std::move(requests[0]);
  }

  PlannedRequest request_;
};

TEST_P(RequestPlannerFindTest, MapsABrazeIndexBackToItsInput) {
  const FindCase& test = GetParam();
  const ItemRef* found = request_.Find(KindFromBrazeArray(test.input_array), test.index);
  if (test.expected.has_value()) {
    EXPECT_THAT(found, Pointee(RefIs(test.expected->kind, test.expected->index)));
  } else {
    EXPECT_THAT(found, IsNull());
  }
}

std::vector<FindCase> FindCases() {
  return {
      {"AttributesIndex0", "attributes", 0, ItemRef{kAttributes, 3}},
      {"EventsIndex0", "events", 0, ItemRef{kEvent, 7}},
      {"EventsIndex1", "events", 1, ItemRef{kEvent, 2}},
      {"PurchasesIndex0", "purchases", 0, ItemRef{kPurchase, 5}},
      {"NullPastTheEnd", "events", 2, std::nullopt},
      {"NullForANegativeIndex", "events", -1, std::nullopt},
      {"NullForAnUnknownArray", "users", 0, std::nullopt},
      {"NullForAWronglyCasedArray", "Events", 0, std::nullopt},
  };
}

INSTANTIATE_TEST_SUITE_P(RequestPlannerTest, RequestPlannerFindTest,
                         ::testing::ValuesIn(FindCases()),
                         [](const auto& info) { return info.param.name; });

TEST(RequestPlannerTest, FindResolvesIndexesWithinTheSecondRequest) {
  std::vector<PlannedItem> items;
  AppendDistinctUsers(kEvent, 0, 80, &items);
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_THAT(requests[1].Find(kEvent, 0), Pointee(RefIs(kEvent, 75)));
  EXPECT_THAT(requests[1].Find(kEvent, 4), Pointee(RefIs(kEvent, 79)));
  EXPECT_THAT(requests[1].Find(kEvent, 5), IsNull());
}

// PerKind files unknown kinds under attributes; Find must not.
TEST(RequestPlannerTest, FindReturnsNullForAKindWithoutABrazeArray) {
  const std::vector<PlannedRequest> requests =
      PlanRequests({MakeItem(kAttributes, 0, "a")}, kCombined);
  ASSERT_THAT(requests, SizeIs(1));
  ASSERT_THAT(requests[0].Find(kAttributes, 0), Pointee(RefIs(kAttributes, 0)));
  EXPECT_THAT(requests[0].Find(v1::ITEM_KIND_UNSPECIFIED, 0), IsNull());
}

// ---- Body ----

TEST(RequestPlannerTest, WritesExactCompactBodyOmittingEmptyArrays) {
  std::vector<PlannedItem> items = {MakeItem(kPurchase, 0, "p"), MakeItem(kAttributes, 0, "a")};
  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_THAT(requests[0].body, StrEq(R"({"attributes":[{"external_id":"a","n":0}],)"
                                      R"("purchases":[{"external_id":"p","n":0}]})"));
}

TEST(RequestPlannerTest, BodyArraysHoldExactlyThePlannedItemsInRefOrder) {
  std::vector<PlannedItem> items;
  AppendDistinctUsers(kAttributes, 0, 20, &items);
  AppendDistinctUsers(kEvent, 0, 40, &items);
  AppendDistinctUsers(kPurchase, 0, 30, &items);
  std::vector<Json> by_kind[4];
  for (const PlannedItem& item : items) by_kind[item.kind].push_back(item.json);

  const std::vector<PlannedRequest> requests = PlanRequests(items, kCombined);
  ASSERT_THAT(requests, SizeIs(2));
  for (const PlannedRequest& request : requests) {
    const Json body = Json::parse(request.body);  // throws if not valid JSON
    ASSERT_TRUE(body.is_object());
    const struct {
      const char* name;
      const std::vector<ItemRef>* refs;
    } arrays[] = {{"attributes", &request.refs.attributes},
                  {"events", &request.refs.events},
                  {"purchases", &request.refs.purchases}};
    size_t keys = 0;
    for (const auto& array : arrays) {
      if (array.refs->empty()) {
        EXPECT_FALSE(body.contains(array.name)) << array.name;
        continue;
      }
      ++keys;
      ASSERT_TRUE(body.contains(array.name)) << array.name;
      const Json& json_array = body[array.name];
      ASSERT_THAT(json_array.size(), Eq(array.refs->size()));
      for (size_t i = 0; i < json_array.size(); ++i) {
        const ItemRef& ref = (*array.refs)[i];
        EXPECT_THAT(json_array[i], Eq(by_kind[ref.kind][ref.index])) << array.name << i;
      }
    }
    EXPECT_THAT(body.size(), Eq(keys));
  }
}

// ---- UserKey ----

TEST(RequestPlannerTest, UserKeyDistinguishesIdentifierKinds) {
  v1::UserRef email;
  email.set_email("x");
  EXPECT_THAT(UserKey(ExternalId("x")), Ne(UserKey(email)));
}

TEST(RequestPlannerTest, UserKeyKeepsAliasLabelAndNameApart) {
  v1::UserRef first;
  first.mutable_user_alias()->set_alias_label("ab");
  first.mutable_user_alias()->set_alias_name("c");
  v1::UserRef second;
  second.mutable_user_alias()->set_alias_label("a");
  second.mutable_user_alias()->set_alias_name("bc");
  EXPECT_THAT(UserKey(first), Ne(UserKey(second)));
}

TEST(RequestPlannerTest, UserKeyIsEqualForTheSameUser) {
  EXPECT_THAT(UserKey(ExternalId("u1")), Eq(UserKey(ExternalId("u1"))));
}

}  // namespace
}  // namespace brazesync
