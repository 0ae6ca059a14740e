// Tests for server/braze/json_size.h. The contract is a property: for every
// value, JsonSize equals the length of the converter's own JSON text. It is
// checked over hand-picked edge cases (the number rule's boundaries, every
// escaped character) and over thousands of random nested values from a fixed
// seed, so a failure reproduces.
#include "server/braze/json_size.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "brazesync/v1/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "server/braze/converter.h"

namespace brazesync {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::Eq;

constexpr double kTwoTo53 = 9007199254740992.0;

Value Number(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

Value String(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

// Numbers where the rule changes or printing is delicate.
const double kEdgeNumbers[] = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    -0.5,
    1.5,
    123456.789,
    1e15,
    1e16,
    1e17,
    1e21,
    1e22,
    1e300,
    -1e300,
    1e-5,
    1e-7,
    5e-324,
    2.2250738585072014e-308,
    std::numeric_limits<double>::max(),
    std::numeric_limits<double>::lowest(),
    kTwoTo53 - 1,
    kTwoTo53,
    kTwoTo53 + 2,
    -kTwoTo53,
    -kTwoTo53 - 2,
    9.2233720368547758e18,
    std::numeric_limits<double>::quiet_NaN(),
    std::numeric_limits<double>::infinity(),
    -std::numeric_limits<double>::infinity(),
};

TEST(JsonSizeTest, NumbersMatchTheConverter) {
  for (double number : kEdgeNumbers) {
    EXPECT_THAT(JsonSize(Number(number)), Eq(ValueToJson(Number(number)).dump().size()))
        << number << " -> " << ValueToJson(Number(number)).dump();
  }
}

TEST(JsonSizeTest, CountsIntegralDoublesUpToTwoTo53AsIntegers) {
  EXPECT_THAT(JsonNumberSize(kTwoTo53), Eq(16u));      // 9007199254740992
  EXPECT_THAT(JsonNumberSize(-kTwoTo53), Eq(17u));     // -9007199254740992
  EXPECT_THAT(JsonNumberSize(kTwoTo53 + 2), Eq(21u));  // 9.007199254740994e+15
  EXPECT_THAT(JsonNumberSize(0.1), Eq(3u));            // 0.1, not 0.10000000000000001
  EXPECT_THAT(JsonNumberSize(std::nan("")), Eq(4u));   // null
}

TEST(JsonSizeTest, StringsMatchTheConverterForEveryEscape) {
  std::string every_byte_below_0x80;
  for (int c = 0; c < 0x80; ++c) every_byte_below_0x80 += static_cast<char>(c);
  for (const std::string& text :
       {std::string(""), std::string("plain"), std::string("say \"hi\" \\ / ok"),
        std::string("\b\f\n\r\t"), std::string("\x01\x1f\x7f"), std::string(1, '\0'),
        std::string("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), every_byte_below_0x80}) {
    EXPECT_THAT(JsonStringSize(text), Eq(Json(text).dump().size())) << Json(text).dump();
    EXPECT_THAT(JsonSize(String(text)), Eq(ValueToJson(String(text)).dump().size()));
  }
}

TEST(JsonSizeTest, EmptyAndNullValuesMatchTheConverter) {
  Value empty_struct;
  empty_struct.mutable_struct_value();
  Value empty_list;
  empty_list.mutable_list_value();
  Value null;
  null.set_null_value(google::protobuf::NULL_VALUE);
  Value bool_true;
  bool_true.set_bool_value(true);
  Value bool_false;
  bool_false.set_bool_value(false);
  for (const Value& value : {Value(), empty_struct, empty_list, null, bool_true, bool_false}) {
    EXPECT_THAT(JsonSize(value), Eq(ValueToJson(value).dump().size())) << ValueToJson(value).dump();
  }
}

TEST(JsonSizeTest, StringListMatchesAJsonArrayOfItsStrings) {
  v1::StringList list;
  EXPECT_THAT(JsonSize(list), Eq(Json::array().dump().size()));
  Json array = Json::array();
  for (const char* text : {"a", "b\"c", "\xC3\xA9", "", "\n"}) {
    list.add_values(text);
    array.push_back(text);
  }
  EXPECT_THAT(JsonSize(list), Eq(array.dump().size())) << array.dump();
}

// The converter sends each distinct value once, so that is what is measured.
TEST(JsonSizeTest, StringListCountsEachDistinctValueOnce) {
  v1::StringList list;
  for (const char* text : {"hotdog", "hotdog", "pizza", "hotdog"}) list.add_values(text);
  EXPECT_THAT(JsonSize(list), Eq(Json::array({"hotdog", "pizza"}).dump().size()));
  v1::UserProfile profile;
  (*profile.mutable_custom_attributes())["food"].mutable_array_value()->CopyFrom(list);
  EXPECT_THAT(JsonSize(list), Eq(ProfileToBraze(profile)["food"].dump().size()));
}

// Random values: numbers from the edge list, random bit patterns and random
// integers; strings of ASCII, control characters, escapes and multi-byte
// UTF-8; objects and lists nested up to a few levels.
class RandomValues final {
 public:
  explicit RandomValues(uint32_t seed) : random_(seed) {}

  Value Next(int depth) {
    switch (Pick(depth > 0 ? 7 : 5)) {
      case 0:
        return Number(NextNumber());
      case 1:
        return String(NextString());
      case 2: {
        Value value;
        value.set_bool_value(Pick(2) == 0);
        return value;
      }
      case 3: {
        Value value;
        value.set_null_value(google::protobuf::NULL_VALUE);
        return value;
      }
      case 4:
        return Value();  // no kind: written as null
      case 5: {
        Value value;
        Struct* object = value.mutable_struct_value();
        for (int i = Pick(5); i > 0; --i)
          (*object->mutable_fields())[NextString()] = Next(depth - 1);
        return value;
      }
      default: {
        Value value;
        ListValue* list = value.mutable_list_value();
        for (int i = Pick(5); i > 0; --i) *list->add_values() = Next(depth - 1);
        return value;
      }
    }
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  double NextNumber() {
    switch (Pick(4)) {
      case 0:
        return kEdgeNumbers[Pick(static_cast<int>(std::size(kEdgeNumbers)))];
      case 1: {
        const uint64_t bits = std::uniform_int_distribution<uint64_t>()(random_);
        double number;
        std::memcpy(&number, &bits, sizeof(number));
        return number;  // any double, NaNs and infinities included
      }
      case 2:
        return static_cast<double>(
                   std::uniform_int_distribution<int64_t>(-1'000'000, 1'000'000)(random_)) /
               (Pick(2) == 0 ? 1 : 100);
      default:
        return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(random_), Pick(140) - 70);
    }
  }

  std::string NextString() {
    static constexpr const char* kPieces[] = {
        "a",  "Z",  "0",  " ",    "\"",   "\\",   "/",        "\b",           "\f",
        "\n", "\r", "\t", "\x01", "\x1f", "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
    std::string text;
    for (int i = Pick(12); i > 0; --i) text += kPieces[Pick(static_cast<int>(std::size(kPieces)))];
    return text;
  }

  std::mt19937 random_;
};

TEST(JsonSizeTest, RandomValuesMatchTheConverter) {
  RandomValues values(/*seed=*/20240501);
  for (int i = 0; i < 5000; ++i) {
    const Value value = values.Next(/*depth=*/4);
    const std::string json = ValueToJson(value).dump();
    ASSERT_THAT(JsonSize(value), Eq(json.size())) << "value #" << i << ": " << json;
    if (value.has_struct_value()) {
      ASSERT_THAT(JsonSize(value.struct_value()),
                  Eq(StructToJson(value.struct_value()).dump().size()));
    }
    if (value.has_list_value()) {
      ASSERT_THAT(JsonSize(value.list_value()), Eq(json.size()));
    }
  }
}

}  // namespace
}  // namespace brazesync
