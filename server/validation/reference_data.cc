// Compiled-in ISO and Braze reference lists; see reference_data.h.
//
// Sources: the ISO lists come from Debian's iso-codes 4.15 data
// (/usr/share/iso-codes/json), updated by hand for ISO 4217 amendments since
// then. Each array must stay sorted (checked at compile time below) because
// lookups use binary search.
#include "server/validation/reference_data.h"

#include <algorithm>
#include <cstddef>

namespace brazesync {
namespace {

// ISO 3166-1 alpha-2: the 249 officially assigned codes. User-assigned codes
// (e.g. "XK" for Kosovo) and exceptionally reserved ones ("UK", "EU") are
// excluded because Braze maps only real country codes.
constexpr absl::string_view kCountries[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"};

// ISO 639-1: all 184 two-letter codes, including "bh" (deprecated by ISO but
// still present in many locale lists, so accepting it is harmless).
constexpr absl::string_view kLanguages[] = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu"};

// The 159 circulating codes of ISO 4217 List One (docs/braze-rules.md,
// "Currencies"): iso-codes 4.15 minus "HRK" (withdrawn in 2023) plus "ZWG"
// (2024) and "XCG" (2025); codes still in a transition period ("ANG", "SLL",
// "ZWL") are kept so existing integrations do not break. Codes that are never
// a price are left out, as Braze refuses them: fund codes (BOV, CHE, CHW, CLF,
// COU, MXV, USN, UYI, UYW), precious metals (XAG, XAU, XPD, XPT), bond units
// (XBA-XBD), XDR, XSU, XUA, the withdrawn CUC, and XTS/XXX.
constexpr absl::string_view kCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWG", "ZWL"};

// Standard attributes-object keys and identifiers (braze-api.md §1.3-1.6),
// including deprecated or invalid ones ("bio", "image_url",
// "email_subscription_info") that Braze still treats specially.
constexpr absl::string_view kStandardFields[] = {"_merge_objects",
                                                 "_update_existing_only",
                                                 "alias_label",
                                                 "alias_name",
                                                 "bio",
                                                 "braze_id",
                                                 "country",
                                                 "current_location",
                                                 "date_of_first_session",
                                                 "date_of_last_session",
                                                 "dob",
                                                 "email",
                                                 "email_click_tracking_disabled",
                                                 "email_open_tracking_disabled",
                                                 "email_subscribe",
                                                 "email_subscription_info",
                                                 "external_id",
                                                 "facebook",
                                                 "first_name",
                                                 "gender",
                                                 "home_city",
                                                 "image_url",
                                                 "language",
                                                 "last_name",
                                                 "marked_email_as_spam_at",
                                                 "phone",
                                                 "push_subscribe",
                                                 "push_token_import",
                                                 "push_tokens",
                                                 "subscription_groups",
                                                 "time_zone",
                                                 "twitter",
                                                 "user_alias"};

// Plain byte-wise "less than" usable in constant expressions, so sortedness is
// checked at compile time without relying on a constexpr string_view::compare.
constexpr bool Less(absl::string_view a, absl::string_view b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

template <size_t N>
constexpr bool IsStrictlySorted(const absl::string_view (&list)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (!Less(list[i - 1], list[i])) return false;
  }
  return true;
}

static_assert(IsStrictlySorted(kCountries), "kCountries must be sorted");
static_assert(IsStrictlySorted(kLanguages), "kLanguages must be sorted");
static_assert(IsStrictlySorted(kCurrencies), "kCurrencies must be sorted");
static_assert(IsStrictlySorted(kStandardFields), "kStandardFields must be sorted");

template <size_t N>
bool Contains(const absl::string_view (&list)[N], absl::string_view value) {
  return std::binary_search(std::begin(list), std::end(list), value, Less);
}

}  // namespace

bool IsIsoCountryAlpha2(absl::string_view code) { return Contains(kCountries, code); }

bool IsIsoLanguage639_1(absl::string_view code) { return Contains(kLanguages, code); }

bool IsIsoCurrency4217(absl::string_view code) { return Contains(kCurrencies, code); }

bool IsStandardAttributeField(absl::string_view key) { return Contains(kStandardFields, key); }

}  // namespace brazesync
