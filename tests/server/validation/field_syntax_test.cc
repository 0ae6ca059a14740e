// Tests for server/field_syntax: one table per check, each with accepted and
// rejected inputs, including the relevant braze-api.md §6 conformance cases.
#include "server/validation/field_syntax.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

struct SyntaxCase {
  std::string input;
  bool valid;
};

struct SyntaxTable {
  const char* name;
  bool (*check)(absl::string_view);
  std::vector<SyntaxCase> cases;
};

// Each instantiation is named after the check it covers.
std::string TableName(const testing::TestParamInfo<SyntaxTable>& info) { return info.param.name; }

// Names the table in test output (and keeps ctest names free of raw bytes).
void PrintTo(const SyntaxTable& table, std::ostream* os) { *os << table.name; }

class FieldSyntaxTest : public testing::TestWithParam<SyntaxTable> {};

TEST_P(FieldSyntaxTest, AcceptsAndRejects) {
  for (const SyntaxCase& test : GetParam().cases) {
    SCOPED_TRACE(testing::Message() << "input: \"" << test.input << "\"");
    EXPECT_EQ(GetParam().check(test.input), test.valid);
  }
}

std::string Repeat(char c, size_t n) { return std::string(n, c); }

SyntaxTable EmailTable() {
  // 64 + 1 + 189 = 254 bytes, the longest allowed address.
  const std::string longest = Repeat('a', 64) + "@" + Repeat('b', 185) + ".com";
  return {"IsValidEmail",
          IsValidEmail,
          {
              {"a@b.co", true},
              {"first.last+tag@example.com", true},
              {"user@mail.sub.example.org", true},
              {"UPPER@EXAMPLE.COM", true},
              {"x@example.xn--p1ai", true},        // punycode TLD
              {"δοκιμή@παράδειγμα.δοκιμή", true},  // internationalised address
              {longest, true},
              {"a" + longest, false},   // 255 bytes
              {"not-an-email", false},  // §6 #22: EMAIL_BAD_FORMAT
              {"", false},
              {"@example.com", false},
              {"a@", false},
              {"a@b", false},
              {"a@b.c", false},      // one-letter TLD
              {"a@b.c1", false},     // TLD with a digit
              {"a@b.xn--", false},   // empty punycode label
              {"a b@c.com", false},  // space in local part
              {"a@b c.com", false},
              {"a@b..com", false},
              {"a@.b.com", false},
              {"a@b.com.", false},
              {"a@@b.com", false},
              {"a@b@c.com", false},
              {"a@b.com\n", false},
              {"\ta@b.com", false},
              {"a,b@example.com", false},  // comma: Braze refuses it
              {"a@example,com", false},
          }};
}

SyntaxTable PhoneTable() {
  return {"IsE164Phone",
          IsE164Phone,
          {
              {"+15043277269", true},
              {"+1234567", true},          // 7 digits, the minimum
              {"+2902222", true},          // St Helena: 7-digit numbers exist
              {"+6831234", true},          // Niue
              {"+123456789012345", true},  // 15 digits, the E.164 maximum
              {"+447911123456", true},
              {"", false},
              {"+", false},
              {"15043277269", false},        // no "+"
              {"+0123456789", false},        // country code cannot start with 0
              {"+123456", false},            // 6 digits
              {"+1234567890123456", false},  // 16 digits
              {"+1 504 327 7269", false},
              {"+1-504-327-7269", false},
              {"+1(504)3277269", false},
              {"++15043277269", false},
              {"+1504327726a", false},
              {"+15043277269 ", false},
              {"+１５０４３２７７２６９", false},  // full-width digits
          }};
}

SyntaxTable DobTable() {
  return {"IsValidDob",
          IsValidDob,
          {
              {"1980-12-21", true},
              {"2000-02-29", true},  // divisible by 400: leap year
              {"2024-02-29", true},
              {"1900-01-01", true},
              {"2100-12-31", true},
              {"12/21/1980", false},  // §6 #39: must be YYYY-MM-DD
              {"", false},
              {"1900-02-29", false},  // divisible by 100 only: not a leap year
              {"2023-02-29", false},
              {"1980-04-31", false},
              {"1980-13-01", false},
              {"1980-00-10", false},
              {"1980-01-00", false},
              {"1980-01-32", false},
              {"1899-12-31", true},  // any year 0001..9999, as Braze
              {"2101-01-01", true},
              {"0001-01-01", true},
              {"9999-12-31", true},
              {"0000-01-01", false},  // there is no year 0
              {"1980-2-1", false},
              {"1980/12/21", false},
              {"1980-12-21T00:00:00Z", false},
              {" 1980-12-21", false},
              {"+980-12-21", false},
          }};
}

SyntaxTable TimeZoneTable() {
  return {"IsIanaTimeZone",
          IsIanaTimeZone,
          {
              {"UTC", true},
              {"America/New_York", true},
              {"Europe/Paris", true},
              {"Asia/Kolkata", true},
              {"America/Argentina/Buenos_Aires", true},
              {"America/Port-au-Prince", true},
              {"Etc/GMT+5", true},
              {"Mars/Base", false},  // §6 #38: Braze silently ignores it
              {"", false},
              {"Local", false},
              {"localtime", false},
              {"america/new_york", false},
              {"Eastern Time (US & Canada)", false},  // Rails alias, not IANA
              {"Fixed/UTC+01:00", false},
              {"Factory", false},
              {"posixrules", false},
              {"/usr/share/zoneinfo/UTC", false},
              {"../zoneinfo/UTC", false},
              {"America/", false},
              {"/UTC", false},
              {"UTC ", false},
              {"+01:00", false},
              {"zone.tab", false},
          }};
}

SyntaxTable UuidTable() {
  return {"IsUuid",
          IsUuid,
          {
              {"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", true},
              {"3F1E2D4C-5B6A-4798-8A9B-0C1D2E3F4A5B", true},
              {"3f1E2d4C-5b6A-4798-8a9B-0c1D2e3F4a5B", true},
              {"00000000-0000-0000-0000-000000000000", true},
              {"abc", false},  // §6 #27: BAD_SUBSCRIPTION_GROUP_ID
              {"", false},
              {"3f1e2d4c5b6a47988a9b0c1d2e3f4a5b", false},
              {"{3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b}", false},
              {"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5g", false},
              {"3f1e2d4-c5b6a-4798-8a9b-0c1d2e3f4a5b", false},
              {"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5", false},
              {"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5bb", false},
              {" 3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5", false},
          }};
}

SyntaxTable Iso8601Table() {
  return {"IsIso8601DateTime",
          IsIso8601DateTime,
          {
              {"2024-05-01", true},
              {"2024-05-01T12:34:56Z", true},
              {"2024-05-01T12:34:56.789Z", true},
              {"2024-05-01T12:34:56+01:00", true},
              {"2024-05-01T12:34:56-0530", true},
              {"2024-05-01T12:34:56", true},  // no zone: UTC (braze-api.md §1.7)
              {"2024-05-01 12:34:56", true},
              {"3000-12-31T23:59:59Z", true},
              {"bad", false},  // §6 #51: a bad "$time" drops all nested updates
              {"", false},
              {"3001-01-01", false},  // §6 #50: stored as a string
              {"2024-02-30", false},
              {"2024-05-01T24:00:00Z", false},
              {"2024-05-01T12:60:00Z", false},
              {"2024-05-01T12:34Z", false},
              {"2024-05-01T12:34:56.Z", false},
              {"2024-05-01T12:34:56+1", false},
              {"2024-05-01T12:34:56 Z", false},
              {"2024-05-01X12:34:56Z", false},
              {"05/01/2024", false},
              {"2024-05-01T", false},
          }};
}

// docs/braze-rules.md's "datetime string": what Braze refuses inside a
// property array.
SyntaxTable BrazeDateTimeTable() {
  return {"IsBrazeDateTimeString",
          IsBrazeDateTimeString,
          {
              {"2024-05-01", true},
              {"2024-05-01T12:34:56", true},
              {"2024-05-01t12:34:56", true},
              {"2024-05-01 12:34:56", true},
              {"2024-05-01T12:34:56.789Z", true},
              {"2024-05-01T12:34:56+01:00", true},
              {"2024-05-01T12:34:56-05:30", true},
              {"0000-01-01", true},
              {"3000-12-31T23:59:59Z", true},
              // A later year is only text to Braze (braze-api.md §1.5).
              {"3001-01-01", false},
              {"9999-12-31T23:59:59Z", false},
              {"01/01/3001", false},
              {"05/01/2024", true},
              {"02/29/2024", true},
              {"", false},
              {"hello", false},
              {"2024-02-30", false},
              {"02/30/2024", false},
              {"2024-05-01T12:34", false},
              {"2024-05-01T24:00:00", false},
              {"2024-05-01T12:34:56+0100", false},
              {"2024-05-01T12:34:56z", false},
              {"2024-05-01X", false},
              {"5/1/2024", false},
              {"2024/05/01", false},
              {"12345", false},
          }};
}

INSTANTIATE_TEST_SUITE_P(Checks, FieldSyntaxTest,
                         testing::Values(EmailTable(), PhoneTable(), DobTable(), TimeZoneTable(),
                                         UuidTable(), Iso8601Table(), BrazeDateTimeTable()),
                         TableName);

}  // namespace
}  // namespace brazesync
