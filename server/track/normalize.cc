// Phones to E.164 in validated items; see normalize.h.
#include "server/track/normalize.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "server/validation/phone_numbers.h"

namespace brazesync {
namespace {

// The E.164 form of a validated phone, or the phone itself.
std::string E164(const std::string& phone, absl::string_view region) {
  absl::StatusOr<std::string> e164 = NormalizePhone(phone, region);
  return e164.ok() ? *std::move(e164) : phone;
}

// The item's user.phone in E.164, in `*copy` when it changes.
template <typename Item>
const Item& WithE164UserPhone(const Item& item, absl::string_view region,
                              std::optional<Item>* copy) {
  if (region.empty() || !item.user().has_phone()) return item;
  std::string e164 = E164(item.user().phone(), region);
  if (e164 == item.user().phone()) return item;
  copy->emplace(item);
  (*copy)->mutable_user()->set_phone(std::move(e164));
  return **copy;
}

}  // namespace

const v1::UserProfile& WithE164Phones(const v1::UserProfile& item, absl::string_view region,
                                      std::optional<v1::UserProfile>* copy) {
  const v1::UserProfile& profile = WithE164UserPhone(item, region, copy);
  if (region.empty() || !profile.has_phone()) return profile;
  std::string e164 = E164(profile.phone(), region);
  if (e164 == profile.phone()) return profile;
  if (!copy->has_value()) copy->emplace(item);
  (*copy)->set_phone(std::move(e164));
  return **copy;
}

const v1::Event& WithE164Phones(const v1::Event& item, absl::string_view region,
                                std::optional<v1::Event>* copy) {
  return WithE164UserPhone(item, region, copy);
}

const v1::Purchase& WithE164Phones(const v1::Purchase& item, absl::string_view region,
                                   std::optional<v1::Purchase>* copy) {
  return WithE164UserPhone(item, region, copy);
}

}  // namespace brazesync
