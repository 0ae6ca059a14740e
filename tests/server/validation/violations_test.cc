// Tests for server/validation/violations.h: the FieldViolation path syntax
// documented in validator.h (dotted fields, [index], ["quoted"] map entries,
// JSON-like Struct keys), the shortened quotes of caller values, and the
// primitive checks (each adds at most one violation and says whether the
// value passed).
#include "server/validation/violations.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::StrEq;

// 3000-12-31T23:59:59Z, the last second Braze stores as a time.
constexpr int64_t kLastSecondOf3000 = 32535215999;

auto Violation(const std::string& field, const std::string& description) {
  return AllOf(Property(&v1::FieldViolation::field, StrEq(field)),
               Property(&v1::FieldViolation::description, StrEq(description)));
}

std::string Chars(size_t n, const std::string& unit = "a") {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

google::protobuf::Timestamp Time(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp time;
  time.set_seconds(seconds);
  time.set_nanos(nanos);
  return time;
}

// ---- Paths ----

TEST(ViolationsTest, FieldPathJoinsWithADotOrStartsAtTheRoot) {
  EXPECT_THAT(FieldPath("events[2]", "time"), StrEq("events[2].time"));
  EXPECT_THAT(FieldPath("", "quantity"), StrEq("quantity"));
}

TEST(ViolationsTest, IndexPathAppendsAZeroBasedIndex) {
  EXPECT_THAT(IndexPath("attributes", 0), StrEq("attributes[0]"));
  EXPECT_THAT(IndexPath("a.values", 12), StrEq("a.values[12]"));
}

TEST(ViolationsTest, MapEntryPathAlwaysQuotesTheKeyAsAJsonString) {
  EXPECT_THAT(MapEntryPath("c", "tier"), StrEq("c[\"tier\"]"));
  EXPECT_THAT(MapEntryPath("c", "a.b"), StrEq("c[\"a.b\"]"));
  EXPECT_THAT(MapEntryPath("c", ""), StrEq("c[\"\"]"));
  EXPECT_THAT(MapEntryPath("c", "say \"hi\" \\"), StrEq("c[\"say \\\"hi\\\" \\\\\"]"));
  EXPECT_THAT(MapEntryPath("c", "\n\t\x01\x7f"), StrEq("c[\"\\n\\t\\u0001\\u007f\"]"));
  EXPECT_THAT(MapEntryPath("c", "caf\xC3\xA9"), StrEq("c[\"caf\xC3\xA9\"]"));  // UTF-8 kept
}

TEST(ViolationsTest, StructFieldPathDotsOnlyKeysThatCannotBeMisread) {
  EXPECT_THAT(StructFieldPath("p", "$price"), StrEq("p.$price"));
  EXPECT_THAT(StructFieldPath("p", "a-b_1"), StrEq("p.a-b_1"));
  EXPECT_THAT(StructFieldPath("p", "a b"), StrEq("p[\"a b\"]"));
  EXPECT_THAT(StructFieldPath("p", "a.b"), StrEq("p[\"a.b\"]"));
  EXPECT_THAT(StructFieldPath("p", ""), StrEq("p[\"\"]"));
  EXPECT_THAT(StructFieldPath("p", "caf\xC3\xA9"), StrEq("p[\"caf\xC3\xA9\"]"));
  EXPECT_THAT(StructFieldPath("", "k"), StrEq("k"));
}

TEST(ViolationsTest, GotValueQuotesShortValuesWhole) {
  EXPECT_THAT(GotValue("XYZ"), StrEq(" (got \"XYZ\")"));
  EXPECT_THAT(GotValue(Chars(40)), StrEq(" (got \"" + Chars(40) + "\")"));
}

TEST(ViolationsTest, GotValueCutsLongValuesOnACharacterBoundary) {
  EXPECT_THAT(GotValue(Chars(41)), StrEq(" (got \"" + Chars(40) + "\"...)"));
  // 2-byte characters: 40 bytes hold 20 of them.
  EXPECT_THAT(GotValue(Chars(100, "\xC3\xA9")),
              StrEq(" (got \"" + Chars(20, "\xC3\xA9") + "\"...)"));
  // 3-byte characters: byte 40 is inside the 14th, so 13 fit.
  EXPECT_THAT(GotValue(Chars(30, "\xE2\x82\xAC")),
              StrEq(" (got \"" + Chars(13, "\xE2\x82\xAC") + "\"...)"));
}

// ---- Checks ----

TEST(ViolationsTest, CheckMaxCharsCountsCharactersNotBytes) {
  FieldViolations out;
  EXPECT_TRUE(CheckMaxChars(Chars(255, "\xC3\xA9"), 255, "name", &out));  // 510 bytes
  EXPECT_FALSE(CheckMaxChars(Chars(256, "\xC3\xA9"), 255, "name", &out));
  EXPECT_THAT(out, ElementsAre(Violation("name", "must be at most 255 characters (got 256)")));
}

TEST(ViolationsTest, CheckMaxBytesCountsBytes) {
  FieldViolations out;
  EXPECT_TRUE(CheckMaxBytes(Chars(255), 255, "id", &out));
  EXPECT_FALSE(CheckMaxBytes(Chars(128, "\xC3\xA9"), 255, "id", &out));
  EXPECT_THAT(out, ElementsAre(Violation("id", "must be at most 255 bytes (got 256)")));
}

TEST(ViolationsTest, CheckRequiredRejectsOnlyEmpty) {
  FieldViolations out;
  EXPECT_TRUE(CheckRequired(" ", "name", &out));
  EXPECT_FALSE(CheckRequired("", "name", &out));
  EXPECT_THAT(out, ElementsAre(Violation("name", "required: must not be empty")));
}

TEST(ViolationsTest, CheckFiniteRejectsNaNAndInfinities) {
  FieldViolations out;
  EXPECT_TRUE(CheckFinite(std::numeric_limits<double>::max(), "x", &out));
  EXPECT_FALSE(CheckFinite(std::numeric_limits<double>::quiet_NaN(), "x", &out));
  EXPECT_FALSE(CheckFinite(-std::numeric_limits<double>::infinity(), "y", &out));
  EXPECT_THAT(out, ElementsAre(Violation("x", "must be a finite number"),
                               Violation("y", "must be a finite number")));
}

TEST(ViolationsTest, CheckTimestampAcceptsYear1ToYear3000) {
  FieldViolations out;
  EXPECT_TRUE(CheckTimestamp(Time(kLastSecondOf3000, 999999999), "t", &out));
  EXPECT_TRUE(CheckTimestamp(Time(-62135596800), "t", &out));  // 0001-01-01T00:00:00Z
  EXPECT_THAT(out, IsEmpty());
}

TEST(ViolationsTest, CheckTimestampNamesWhatIsWrong) {
  FieldViolations out;
  EXPECT_FALSE(CheckTimestamp(Time(0, -1), "a", &out));
  EXPECT_FALSE(CheckTimestamp(Time(0, 1000000000), "b", &out));
  EXPECT_FALSE(CheckTimestamp(Time(-62135596801), "c", &out));
  EXPECT_FALSE(CheckTimestamp(Time(kLastSecondOf3000 + 1), "d", &out));
  EXPECT_THAT(
      out,
      ElementsAre(
          Violation("a", "must have nanos in 0..999999999 (got -1)"),
          Violation("b", "must have nanos in 0..999999999 (got 1000000000)"),
          Violation("c", "must be a valid time at or after 0001-01-01T00:00:00Z"),
          Violation("d", "must be in year 3000 or earlier (Braze stores later times as strings)")));
}

TEST(ViolationsTest, CheckJsonSizeSaysTheLimitAndTheSize) {
  FieldViolations out;
  EXPECT_TRUE(CheckJsonSize(100, 100, "p", &out));
  EXPECT_FALSE(CheckJsonSize(101, 100, "p", &out));
  EXPECT_THAT(out, ElementsAre(Violation("p", "must be at most 100 bytes as JSON (got 101)")));
}

TEST(ViolationsTest, CheckKeyNeedsAShortNonEmptyKey) {
  FieldViolations out;
  EXPECT_TRUE(CheckKey(Chars(255, "\xC3\xA9"), "k", &out));
  EXPECT_FALSE(CheckKey("", "empty", &out));
  EXPECT_FALSE(CheckKey(Chars(256), "long", &out));
  EXPECT_THAT(out, ElementsAre(Violation("empty", "key must not be empty"),
                               Violation("long", "key must be at most 255 characters (got 256)")));
}

TEST(ViolationsTest, ChecksAppendToExistingViolations) {
  FieldViolations out(1);
  CheckRequired("", "name", &out);
  EXPECT_THAT(out,
              ElementsAre(Violation("", ""), Violation("name", "required: must not be empty")));
}

TEST(ViolationsTest, SortedByKeyOrdersMapEntries) {
  google::protobuf::Struct object;
  for (const char* key : {"b", "a", "c", "$"}) (*object.mutable_fields())[key];
  std::vector<std::string> keys;
  for (const auto* entry : SortedByKey(object.fields())) keys.push_back(entry->first);
  EXPECT_THAT(keys, ElementsAre("$", "a", "b", "c"));
}

}  // namespace
}  // namespace brazesync
