// Tests for server/validation/json_value_rules.h, table-driven: each case
// builds one free-form JSON value (event or purchase properties, a nested
// object attribute, an array of objects) and names the single violation it
// must produce (exact path plus a description substring), or none. Cases from
// braze-api.md §6 carry their conformance number.
#include "server/validation/json_value_rules.h"

#include <cstddef>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/server/validation/violation_matchers.h"

namespace brazesync {
namespace v1 {
// Readable failure messages for violations.
void PrintTo(const FieldViolation& violation, std::ostream* os) {
  *os << "{" << violation.field() << ": " << violation.description() << "}";
}
}  // namespace v1

namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Chars(size_t n, const std::string& unit = "a") {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

Value StringValue(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

Value NumberValue(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

// A list of `count` strings of `length` characters.
Value StringListValue(int count, size_t length) {
  Value value;
  for (int i = 0; i < count; ++i) {
    *value.mutable_list_value()->add_values() = StringValue(Chars(length));
  }
  return value;
}

// {"k": [strings...]} whose compact JSON is exactly `bytes` long. JSON size:
// {} 2 + "k": 4 + [] 2 + each string (length + 2 quotes) + (count - 1) commas.
Struct ObjectOfJsonSize(size_t bytes) {
  const size_t kLength = 250;
  size_t count = 1;
  while (7 + 3 * (count + 1) + kLength * count <= bytes) ++count;
  const size_t last = bytes - 7 - 3 * count - kLength * (count - 1);
  Struct object;
  Value& list = (*object.mutable_fields())["k"];
  for (size_t i = 0; i + 1 < count; ++i) {
    *list.mutable_list_value()->add_values() = StringValue(Chars(kLength));
  }
  *list.mutable_list_value()->add_values() = StringValue(Chars(last));
  return object;
}

Value& Field(Struct* object, const std::string& key) { return (*object->mutable_fields())[key]; }

Struct& Child(Struct* object, const std::string& key) {
  return *Field(object, key).mutable_struct_value();
}

// One case for a rule on a Struct; `path` is the value's own path.
struct StructCase {
  std::string name;
  std::function<void(Struct*)> build;
  std::string field = "";        // Empty: the value must be valid.
  std::string description = "";  // Substring of the only violation's description.
};

void PrintTo(const StructCase& test, std::ostream* os) { *os << test.name; }

void ExpectOnly(const FieldViolations& violations, const StructCase& test) {
  if (test.field.empty()) {
    EXPECT_THAT(violations, IsEmpty());
  } else {
    EXPECT_THAT(violations, ElementsAre(Violation(test.field, test.description)));
  }
}

// ---------------------------------------------------------------------------
// Event properties.

std::vector<StructCase> EventPropertyCases() {
  const std::string props = "properties";
  return {
      {"Complete",
       [](Struct* p) {
         Field(p, "amount") = NumberValue(12.5);
         Field(p, "label") = StringValue(Chars(255));
         Field(p, "tags") = StringListValue(3, 5);
         Field(p, "a b") = StringValue("keys may contain spaces");
         (*Child(p, "nested").mutable_fields())["deep"] = NumberValue(1);
         Field(p, "none").set_null_value(google::protobuf::NULL_VALUE);
         Field(p, "flag").set_bool_value(false);
       }},
      // §6 #59: "$price", "time", "event_name".
      {"DollarKey", [](Struct* p) { Field(p, "$price") = NumberValue(1); }, props + ".$price",
       "must not start with \"$\""},
      {"ReservedTime", [](Struct* p) { Field(p, "time") = NumberValue(1); }, props + ".time",
       "reserved by Braze"},
      {"ReservedEventName", [](Struct* p) { Field(p, "event_name") = StringValue("x"); },
       props + ".event_name", "reserved"},
      {"PurchaseKeysAllowed",
       [](Struct* p) {
         Field(p, "price") = NumberValue(1);
         Field(p, "currency") = StringValue("USD");
       }},
      {"EmptyKey", [](Struct* p) { Field(p, "") = NumberValue(1); }, props + "[\"\"]",
       "key must not be empty"},
      {"Key256Characters", [](Struct* p) { Field(p, Chars(256)) = NumberValue(1); },
       props + "." + Chars(256), "key must be at most 255 characters"},
      {"KeyPathQuoted", [](Struct* p) { Field(p, "a.b c") = StringValue(Chars(256)); },
       props + "[\"a.b c\"]", "at most 255 characters"},
      {"Exactly256Keys",
       [](Struct* p) {
         for (int i = 0; i < 256; ++i) Field(p, "p" + std::to_string(i)) = NumberValue(i);
       }},
      // §6 #60: Braze keeps only the first 256; the gateway rejects.
      {"Keys257",
       [](Struct* p) {
         for (int i = 0; i < 257; ++i) Field(p, "p" + std::to_string(i)) = NumberValue(i);
       },
       props, "must have at most 256 keys (got 257)"},
      {"String256Characters", [](Struct* p) { Field(p, "label") = StringValue(Chars(256)); },
       props + ".label", "at most 255 characters (got 256)"},
      {"NestedListString",
       [](Struct* p) {
         Field(p, "tags") = StringListValue(2, 3);
         *Field(p, "tags").mutable_list_value()->add_values() = StringValue(Chars(300));
       },
       props + ".tags[2]", "at most 255 characters"},
      {"NaN", [](Struct* p) { Field(p, "amount") = NumberValue(kNaN); }, props + ".amount",
       "finite"},
      {"NestedInfinity",
       [](Struct* p) { (*Child(p, "obj").mutable_fields())["x"] = NumberValue(kInf); },
       props + ".obj.x", "finite"},
      {"NestedDollarKey",
       [](Struct* p) { (*Child(p, "obj").mutable_fields())["$x"] = NumberValue(1); },
       props + ".obj.$x", "must not start with \"$\""},
      {"ValueNotSet", [](Struct* p) { Field(p, "x"); }, props + ".x", "value must be set"},
      // §1.8: no datetime inside a property array (Braze stores it as text).
      {"DatetimeInArray",
       [](Struct* p) {
         Field(p, "dates") = StringListValue(1, 3);
         *Field(p, "dates").mutable_list_value()->add_values() =
             StringValue("2024-05-01T00:00:00Z");
       },
       props + ".dates[1]", "a datetime string is not allowed inside an array"},
      {"UsDateInNestedArray",
       [](Struct* p) {
         *Field(&Child(p, "obj"), "d").mutable_list_value()->add_values() =
             StringValue("05/01/2024");
       },
       props + ".obj.d[0]", "datetime"},
      {"DatetimeOutsideArray", [](Struct* p) { Field(p, "at") = StringValue("2024-05-01"); }},
      {"DateLikeButNotADate",
       [](Struct* p) {
         *Field(p, "codes").mutable_list_value()->add_values() = StringValue("2024-13-45");
       }},
      // §1.5: no multi-dimensional arrays.
      {"ArrayInArray",
       [](Struct* p) { Field(p, "grid").mutable_list_value()->add_values()->mutable_list_value(); },
       props + ".grid[0]", "an array must not directly contain an array"},
      {"ArrayInObjectInArray",
       [](Struct* p) {
         Value* element = Field(p, "rows").mutable_list_value()->add_values();
         (*element->mutable_struct_value()->mutable_fields())["cells"] = StringListValue(2, 1);
       }},
      {"Exactly100KB", [](Struct* p) { *p = ObjectOfJsonSize(102400); }},
      // §6 #61: arrays/objects over 100 KB.
      {"Over100KB", [](Struct* p) { *p = ObjectOfJsonSize(102401); }, props,
       "must be at most 102400 bytes as JSON (got 102401)"},
      // Sizes count the JSON Braze receives: 0.1 is written "0.1" (3 bytes),
      // so `,"n":0.1` adds 8 bytes (an upper-bound estimate such as "%.17g"
      // would count 19 and reject the first case).
      {"NonIntegralNumberAtTheCap",
       [](Struct* p) {
         *p = ObjectOfJsonSize(102400 - 8);
         Field(p, "n") = NumberValue(0.1);
       }},
      {"NonIntegralNumberOverTheCap",
       [](Struct* p) {
         *p = ObjectOfJsonSize(102400 - 7);
         Field(p, "n") = NumberValue(0.1);
       },
       props, "must be at most 102400 bytes as JSON (got 102401)"},
  };
}

class EventPropertiesTest : public testing::TestWithParam<StructCase> {};

TEST_P(EventPropertiesTest, ReportsExactlyTheExpectedViolation) {
  Struct properties;
  GetParam().build(&properties);
  FieldViolations violations;
  CheckEventProperties(properties, "properties", &violations);
  ExpectOnly(violations, GetParam());
}

INSTANTIATE_TEST_SUITE_P(JsonValueRulesTest, EventPropertiesTest,
                         testing::ValuesIn(EventPropertyCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Purchase properties: the event rules, a 50 KB cap and more reserved keys.

std::vector<StructCase> PurchasePropertyCases() {
  const std::string props = "properties";
  std::vector<StructCase> cases = {
      {"Valid", [](Struct* p) { Field(p, "color") = StringValue("red"); }},
      {"DollarKey", [](Struct* p) { Field(p, "$x") = NumberValue(1); }, props + ".$x",
       "must not start with \"$\""},
      {"String256Characters", [](Struct* p) { Field(p, "note") = StringValue(Chars(256)); },
       props + ".note", "at most 255 characters"},
      {"Keys257",
       [](Struct* p) {
         for (int i = 0; i < 257; ++i) Field(p, "p" + std::to_string(i)) = NumberValue(i);
       },
       props, "at most 256 keys"},
      {"Exactly50KB", [](Struct* p) { *p = ObjectOfJsonSize(51200); }},
      {"Over50KB", [](Struct* p) { *p = ObjectOfJsonSize(51201); }, props,
       "must be at most 51200 bytes as JSON (got 51201)"},
  };
  // §6 #67: {"price": 1} and every other reserved purchase property key.
  for (const char* key : {"price", "product_id", "quantity", "currency", "time", "event_name"}) {
    cases.push_back({std::string("Reserved_") + key,
                     [key](Struct* p) { Field(p, key) = NumberValue(1); }, props + "." + key,
                     "key is reserved by Braze (reserved: currency, event_name, price, "
                     "product_id, quantity, time)"});
  }
  return cases;
}

class PurchasePropertiesTest : public testing::TestWithParam<StructCase> {};

TEST_P(PurchasePropertiesTest, ReportsExactlyTheExpectedViolation) {
  Struct properties;
  GetParam().build(&properties);
  FieldViolations violations;
  CheckPurchaseProperties(properties, "properties", &violations);
  ExpectOnly(violations, GetParam());
}

INSTANTIATE_TEST_SUITE_P(JsonValueRulesTest, PurchasePropertiesTest,
                         testing::ValuesIn(PurchasePropertyCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Nested object attributes.

std::vector<StructCase> NestedObjectCases() {
  const std::string object = "obj";
  return {
      {"WithTimes",
       [](Struct* o) {
         Field(o, "name") = StringValue(Chars(255));
         Field(o, "count") = NumberValue(3);
         Field(o, "gone").set_null_value(google::protobuf::NULL_VALUE);
         Field(o, "tags") = StringListValue(3, 10);
         Field(&Child(o, "born"), "$time") = StringValue("1990-05-01");
         Field(&Child(&Child(o, "inner"), "at"), "$time") = StringValue("2024-05-01T12:34:56.789Z");
         Field(&Child(o, "last"), "$time") = StringValue("3000-12-31T23:59:59Z");
       }},
      // §6 #52: nested key "a.b" or "$x".
      {"KeyWithDot", [](Struct* o) { Field(o, "a.b") = NumberValue(1); }, object + "[\"a.b\"]",
       "must not contain \".\""},
      {"KeyWithDollar", [](Struct* o) { Field(o, "$x") = NumberValue(1); }, object + ".$x",
       "must not contain \"$\""},
      {"DeepKeyWithDollar", [](Struct* o) { Field(&Child(o, "inner"), "a$b") = NumberValue(1); },
       object + ".inner.a$b", "must not contain \"$\""},
      {"KeyWithSpace", [](Struct* o) { Field(o, "a b") = NumberValue(1); }, object + "[\"a b\"]",
       "must not contain spaces"},
      {"KeyEmpty", [](Struct* o) { Field(o, "") = NumberValue(1); }, object + "[\"\"]",
       "key must not be empty"},
      {"Key256Characters", [](Struct* o) { Field(o, Chars(256)) = NumberValue(1); },
       object + "." + Chars(256), "key must be at most 255 characters"},
      {"String256Characters",
       [](Struct* o) {
         Field(o, "tags") = StringListValue(2, 256);
         Field(o, "tags").mutable_list_value()->mutable_values(0)->set_string_value("ok");
       },
       object + ".tags[1]", "at most 255 characters (got 256)"},
      {"NumberNaN", [](Struct* o) { Field(o, "n") = NumberValue(kNaN); }, object + ".n", "finite"},
      {"ValueNotSet", [](Struct* o) { Field(o, "n"); }, object + ".n", "value must be set"},
      // §6 #51: a bad $time drops every nested update in the request.
      {"TimeNotParseable",
       [](Struct* o) { Field(&Child(o, "born"), "$time") = StringValue("bad"); },
       object + ".born.$time", "ISO 8601"},
      {"TimeYear3001",
       [](Struct* o) { Field(&Child(o, "born"), "$time") = StringValue("3001-01-01"); },
       object + ".born.$time", "in year 3000 or earlier (got \"3001-01-01\")"},
      {"TimeNotString",
       [](Struct* o) { Field(&Child(o, "born"), "$time") = NumberValue(1714566896); },
       object + ".born.$time", "must be a string date"},
      {"TimeNull",
       [](Struct* o) {
         Field(&Child(o, "born"), "$time").set_null_value(google::protobuf::NULL_VALUE);
       },
       object + ".born.$time", "must be a string date"},
      {"TimeWithOtherKeys",
       [](Struct* o) {
         Struct& born = Child(o, "born");
         Field(&born, "$time") = StringValue("1990-05-01");
         Field(&born, "tz") = StringValue("UTC");
       },
       object + ".born", "no other keys"},
      {"Exactly100KB", [](Struct* o) { *o = ObjectOfJsonSize(102400); }},
      {"Over100KB", [](Struct* o) { Field(o, "tags") = StringListValue(450, 250); }, object,
       "must be at most 102400 bytes as JSON"},
  };
}

class NestedObjectTest : public testing::TestWithParam<StructCase> {};

TEST_P(NestedObjectTest, ReportsExactlyTheExpectedViolation) {
  Struct object;
  GetParam().build(&object);
  FieldViolations violations;
  CheckNestedObject(object, "obj", &violations);
  ExpectOnly(violations, GetParam());
}

INSTANTIATE_TEST_SUITE_P(JsonValueRulesTest, NestedObjectTest,
                         testing::ValuesIn(NestedObjectCases()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------
// Arrays of objects.

TEST(JsonValueRulesTest, ObjectArrayOfObjectsIsValid) {
  ListValue pets;
  for (const char* type : {"dog", "cat"}) {
    Struct& pet = *pets.add_values()->mutable_struct_value();
    Field(&pet, "type") = StringValue(type);
    Field(&Child(&pet, "adopted"), "$time") = StringValue("2020-01-01");
  }
  FieldViolations violations;
  CheckObjectArray(pets, "pets", &violations);
  EXPECT_THAT(violations, IsEmpty());
}

TEST(JsonValueRulesTest, ObjectArrayElementsMustBeObjects) {
  ListValue pets;
  pets.add_values()->mutable_struct_value();
  *pets.add_values() = StringValue("dog");
  FieldViolations violations;
  CheckObjectArray(pets, "pets", &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("pets[1]", "must be an object")));
}

TEST(JsonValueRulesTest, ObjectArrayElementsFollowTheNestedKeyAndValueRules) {
  ListValue pets;
  Field(pets.add_values()->mutable_struct_value(), "$remove") = NumberValue(1);
  Field(pets.add_values()->mutable_struct_value(), "name") = StringValue(Chars(256));
  FieldViolations violations;
  CheckObjectArray(pets, "pets", &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("pets[0].$remove", "must not contain \"$\""),
                                      Violation("pets[1].name", "at most 255 characters")));
}

TEST(JsonValueRulesTest, ObjectArrayOver100KB) {
  ListValue pets;
  for (int i = 0; i < 450; ++i) {
    Field(pets.add_values()->mutable_struct_value(), "s") = StringValue(Chars(250));
  }
  FieldViolations violations;
  CheckObjectArray(pets, "pets", &violations);
  EXPECT_THAT(violations, ElementsAre(Violation("pets", "must be at most 102400 bytes as JSON")));
}

TEST(JsonValueRulesTest, ReportsEveryViolationInKeyOrder) {
  Struct object;
  Field(&object, "z") = NumberValue(kNaN);
  Field(&object, "a.b") = NumberValue(1);
  Field(&object, "m") = StringValue(Chars(256));
  FieldViolations violations;
  CheckNestedObject(object, "obj", &violations);
  EXPECT_THAT(violations,
              ElementsAre(Violation("obj[\"a.b\"]", "\".\""), Violation("obj.m", "255 characters"),
                          Violation("obj.z", "finite")));
}

}  // namespace
}  // namespace brazesync
