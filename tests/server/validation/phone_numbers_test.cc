// Tests for server/validation/phone_numbers.h: E.164 numbers pass unchanged,
// national numbers of the workspace's default region become E.164, and no
// error message repeats the number.
#include "server/validation/phone_numbers.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StrEq;

// The error message of NormalizePhone(text, region); fails the test when it
// succeeds or is not INVALID_ARGUMENT.
std::string ErrorOf(const std::string& text, const std::string& region) {
  const absl::StatusOr<std::string> e164 = NormalizePhone(text, region);
  EXPECT_FALSE(e164.ok()) << text << " in " << region << " gave " << e164.value_or("");
  EXPECT_THAT(e164.status().code(), Eq(absl::StatusCode::kInvalidArgument));
  return std::string(e164.status().message());
}

TEST(PhoneNumbersTest, FrenchNationalNumberBecomesE164) {
  EXPECT_THAT(NormalizePhone("06 12 34 56 78", "FR").value_or(""), StrEq("+33612345678"));
  EXPECT_THAT(NormalizePhone("06.12.34.56.78", "FR").value_or(""), StrEq("+33612345678"));
  EXPECT_THAT(NormalizePhone("0033 6 12 34 56 78", "FR").value_or(""), StrEq("+33612345678"));
}

TEST(PhoneNumbersTest, UsNationalNumberBecomesE164) {
  EXPECT_THAT(NormalizePhone("(504) 327-7269", "US").value_or(""), StrEq("+15043277269"));
  EXPECT_THAT(NormalizePhone("504-327-7269", "US").value_or(""), StrEq("+15043277269"));
}

TEST(PhoneNumbersTest, BritishNationalNumberBecomesE164) {
  EXPECT_THAT(NormalizePhone("020 7946 0958", "GB").value_or(""), StrEq("+442079460958"));
}

TEST(PhoneNumbersTest, FormattedInternationalNumberBecomesE164WithAnyRegion) {
  EXPECT_THAT(NormalizePhone("+1 504-327-7269", "FR").value_or(""), StrEq("+15043277269"));
}

TEST(PhoneNumbersTest, E164PassesUnchangedWithOrWithoutRegion) {
  EXPECT_THAT(NormalizePhone("+15043277269", "").value_or(""), StrEq("+15043277269"));
  EXPECT_THAT(NormalizePhone("+15043277269", "FR").value_or(""), StrEq("+15043277269"));
}

// 7 digits is E.164's real minimum (St Helena, Niue); the syntax rule holds
// even where libphonenumber's metadata would disagree.
TEST(PhoneNumbersTest, SevenDigitE164Passes) {
  EXPECT_THAT(NormalizePhone("+2902222", "").value_or(""), StrEq("+2902222"));
  EXPECT_THAT(NormalizePhone("+2902222", "FR").value_or(""), StrEq("+2902222"));
  EXPECT_THAT(NormalizePhone("+6831234", "").value_or(""), StrEq("+6831234"));
}

TEST(PhoneNumbersTest, NationalNumberWithoutRegionSaysARegionIsNeeded) {
  const std::string error = ErrorOf("06 12 34 56 78", "");
  EXPECT_THAT(error, HasSubstr("E.164"));
  EXPECT_THAT(error, HasSubstr("default_phone_region"));
}

TEST(PhoneNumbersTest, FormattedInternationalNumberWithoutRegionIsRefused) {
  EXPECT_THAT(ErrorOf("+1 504-327-7269", ""), HasSubstr("E.164"));
}

TEST(PhoneNumbersTest, InvalidNumberNamesTheRegion) {
  EXPECT_THAT(ErrorOf("12", "FR"), StrEq("not a valid FR phone number"));
  EXPECT_THAT(ErrorOf("06 12 34", "FR"), StrEq("not a valid FR phone number"));
  EXPECT_THAT(ErrorOf("not a number", "FR"), StrEq("not a valid FR phone number"));
  EXPECT_THAT(ErrorOf("", "FR"), StrEq("not a valid FR phone number"));
}

// E.164 cannot hold an extension; dropping it would alter the number.
TEST(PhoneNumbersTest, NumberWithExtensionIsRefused) {
  EXPECT_THAT(ErrorOf("06 12 34 56 78 ext. 5", "FR"), StrEq("not a valid FR phone number"));
}

// Phones are personal data: messages are safe to log and return.
TEST(PhoneNumbersTest, ErrorsNeverEchoTheNumber) {
  for (const char* region : {"", "FR"}) {
    const std::string error = ErrorOf("06 99", region);
    EXPECT_THAT(error, Not(HasSubstr("06 99")));
    EXPECT_THAT(error, Not(HasSubstr("699")));
  }
}

TEST(PhoneNumbersTest, KnowsRegions) {
  EXPECT_TRUE(IsPhoneRegion("FR"));
  EXPECT_TRUE(IsPhoneRegion("US"));
  EXPECT_TRUE(IsPhoneRegion("GB"));
  EXPECT_FALSE(IsPhoneRegion(""));
  EXPECT_FALSE(IsPhoneRegion("fr"));   // callers (config) upper-case first
  EXPECT_FALSE(IsPhoneRegion("ZZ"));   // not a region
  EXPECT_FALSE(IsPhoneRegion("001"));  // libphonenumber's non-geographic entity
  EXPECT_FALSE(IsPhoneRegion("FRA"));
}

}  // namespace
}  // namespace brazesync
