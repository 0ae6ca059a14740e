// Phone normalisation with libphonenumber; see phone_numbers.h.
#include "server/validation/phone_numbers.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/validation/field_syntax.h"

namespace brazesync {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

}  // namespace

bool IsPhoneRegion(absl::string_view region) {
  if (region.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(region[0])) ||
      !absl::ascii_isupper(static_cast<unsigned char>(region[1]))) {
    return false;
  }
  // 0 for regions libphonenumber has no metadata for.
  return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(std::string(region)) != 0;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view text, absl::string_view region) {
  if (IsE164Phone(text)) return std::string(text);
  if (region.empty()) {
    return absl::InvalidArgumentError(
        "must be an E.164 phone number such as \"+15043277269\" (a national number needs the "
        "workspace's default_phone_region)");
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // An extension has no place in E.164: Format would drop it silently.
  if (util.Parse(std::string(text), std::string(region), &number) !=
          PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number) || number.has_extension()) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid ", region, " phone number"));
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace brazesync
