// Tests for server/reference_data: the ISO lists are pinned exhaustively
// (every possible code of the right shape is tried, so both a missing and an
// extra entry fail) and the standard-field list by a table.
#include "server/validation/reference_data.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

// ISO 3166-1 alpha-2: the 249 officially assigned codes.
constexpr char kExpectedCountries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
    "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ "
    "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP "
    "GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG "
    "KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML "
    "MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
    "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
    "SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM "
    "US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW ";

// ISO 639-1: the 184 two-letter codes.
constexpr char kExpectedLanguages[] =
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu ";

// ISO 4217 alphabetic codes in use (see reference_data.cc for the edits made
// to the iso-codes 4.15 list).
constexpr char kExpectedCurrencies[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD "
    "BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK "
    "JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA "
    "MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK "
    "PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP "
    "STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND "
    "VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL ";

std::set<std::string> Split(absl::string_view list) {
  std::vector<std::string> codes = absl::StrSplit(list, ' ', absl::SkipEmpty());
  return std::set<std::string>(codes.begin(), codes.end());
}

// Every string of `length` letters from `first`..`first + 25`.
std::vector<std::string> AllCodes(int length, char first) {
  std::vector<std::string> codes = {""};
  for (int i = 0; i < length; ++i) {
    std::vector<std::string> longer;
    for (const std::string& prefix : codes) {
      for (char c = first; c < first + 26; ++c) longer.push_back(prefix + c);
    }
    codes.swap(longer);
  }
  return codes;
}

struct ExhaustiveCase {
  const char* name;
  bool (*lookup)(absl::string_view);
  const char* expected;
  size_t expected_count;
  int length;
  char first_letter;
};

const ExhaustiveCase kExhaustiveCases[] = {
    {"country", IsIsoCountryAlpha2, kExpectedCountries, 249, 2, 'A'},
    {"language", IsIsoLanguage639_1, kExpectedLanguages, 184, 2, 'a'},
    {"currency", IsIsoCurrency4217, kExpectedCurrencies, 159, 3, 'A'},
};

TEST(ReferenceDataTest, IsoListsAcceptExactlyTheOfficialCodes) {
  for (const ExhaustiveCase& test : kExhaustiveCases) {
    SCOPED_TRACE(test.name);
    const std::set<std::string> expected = Split(test.expected);
    ASSERT_EQ(expected.size(), test.expected_count);
    for (const std::string& code : AllCodes(test.length, test.first_letter)) {
      EXPECT_EQ(test.lookup(code), expected.count(code) == 1) << code;
    }
  }
}

struct LookupCase {
  const char* name;
  bool (*lookup)(absl::string_view);
  const char* input;
  bool expected;
};

const LookupCase kLookupCases[] = {
    // Countries: upper case alpha-2 only (braze-api.md §1.4; §6 #36-37).
    {"country US", IsIsoCountryAlpha2, "US", true},
    {"country AU", IsIsoCountryAlpha2, "AU", true},
    {"country lower case", IsIsoCountryAlpha2, "us", false},
    {"country mixed case", IsIsoCountryAlpha2, "Us", false},
    {"country alpha-3", IsIsoCountryAlpha2, "USA", false},
    {"country name (#36)", IsIsoCountryAlpha2, "Australia", false},
    {"country Narnia (#37)", IsIsoCountryAlpha2, "Narnia", false},
    {"country user-assigned XK", IsIsoCountryAlpha2, "XK", false},
    {"country reserved UK", IsIsoCountryAlpha2, "UK", false},
    {"country reserved EU", IsIsoCountryAlpha2, "EU", false},
    {"country empty", IsIsoCountryAlpha2, "", false},
    {"country trailing space", IsIsoCountryAlpha2, "US ", false},
    // Languages: lower case ISO 639-1.
    {"language en", IsIsoLanguage639_1, "en", true},
    {"language zu", IsIsoLanguage639_1, "zu", true},
    {"language upper case", IsIsoLanguage639_1, "EN", false},
    {"language locale", IsIsoLanguage639_1, "en-US", false},
    {"language 639-2", IsIsoLanguage639_1, "eng", false},
    {"language name", IsIsoLanguage639_1, "english", false},
    {"language empty", IsIsoLanguage639_1, "", false},
    // Currencies: upper case; callers upper-case first (§1.9).
    {"currency USD", IsIsoCurrency4217, "USD", true},
    {"currency EUR", IsIsoCurrency4217, "EUR", true},
    {"currency JPY", IsIsoCurrency4217, "JPY", true},
    {"currency ZWG (2024)", IsIsoCurrency4217, "ZWG", true},
    {"currency XCG (2025)", IsIsoCurrency4217, "XCG", true},
    {"currency lower case", IsIsoCurrency4217, "usd", false},
    {"currency XYZ (#65)", IsIsoCurrency4217, "XYZ", false},
    {"currency HRK withdrawn", IsIsoCurrency4217, "HRK", false},
    {"currency XTS testing", IsIsoCurrency4217, "XTS", false},
    {"currency XXX none", IsIsoCurrency4217, "XXX", false},
    {"currency VED (2021)", IsIsoCurrency4217, "VED", true},
    {"currency XAU gold", IsIsoCurrency4217, "XAU", false},
    {"currency XDR special drawing right", IsIsoCurrency4217, "XDR", false},
    {"currency CLF fund", IsIsoCurrency4217, "CLF", false},
    {"currency CUC withdrawn", IsIsoCurrency4217, "CUC", false},
    {"currency XBA bond unit", IsIsoCurrency4217, "XBA", false},
    {"currency BTC", IsIsoCurrency4217, "BTC", false},
    {"currency symbol", IsIsoCurrency4217, "$", false},
    {"currency empty", IsIsoCurrency4217, "", false},
};

TEST(ReferenceDataTest, LookupTable) {
  for (const LookupCase& test : kLookupCases) {
    SCOPED_TRACE(test.name);
    EXPECT_EQ(test.lookup(test.input), test.expected);
  }
}

TEST(ReferenceDataTest, StandardAttributeFieldsAreRecognised) {
  // braze-api.md §1.3-1.6: identifiers, standard fields and object flags.
  const char* const kStandard[] = {"external_id",
                                   "user_alias",
                                   "braze_id",
                                   "alias_name",
                                   "alias_label",
                                   "email",
                                   "phone",
                                   "first_name",
                                   "last_name",
                                   "home_city",
                                   "dob",
                                   "country",
                                   "language",
                                   "gender",
                                   "time_zone",
                                   "email_subscribe",
                                   "push_subscribe",
                                   "subscription_groups",
                                   "current_location",
                                   "date_of_first_session",
                                   "date_of_last_session",
                                   "marked_email_as_spam_at",
                                   "email_open_tracking_disabled",
                                   "email_click_tracking_disabled",
                                   "push_tokens",
                                   "push_token_import",
                                   "facebook",
                                   "twitter",
                                   "image_url",
                                   "bio",
                                   "email_subscription_info",
                                   "_update_existing_only",
                                   "_merge_objects"};
  for (const char* field : kStandard) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(IsStandardAttributeField(field));
  }
}

TEST(ReferenceDataTest, OtherKeysAreNotStandardFields) {
  // Braze field names are case-sensitive: "First_Name" is a custom attribute.
  const char* const kCustom[] = {"",          "tier",   "First_Name",        "EMAIL", "first_name ",
                                 "firstname", "_merge", "custom_attributes", "zzz",   "_"};
  for (const char* key : kCustom) {
    SCOPED_TRACE(key);
    EXPECT_FALSE(IsStandardAttributeField(key));
  }
}

}  // namespace
}  // namespace brazesync
