// The differential test's item generator; see item_generator.h.
#include "tests/conformance/item_generator.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace brazesync::conformance {
namespace {

// Multi-byte text on both sides of the 255-character and byte limits:
// "é" is 2 bytes, "€" 3, "😀" 4 (one code point each).
std::string Repeat(const std::string& unit, size_t count) {
  std::string out;
  out.reserve(unit.size() * count);
  for (size_t i = 0; i < count; ++i) out += unit;
  return out;
}

constexpr const char* kEmails[] = {
    "ada@example.com", "a.b+tag@mail.example.org",
    "a,b@example.com", "a@b",
    "a@@example.com",  "@example.com",
    "a@example..com",  "a b@example.com",
    "a@example.c1",    "a@xn--p1ai",
    "a@xn--",          "é@example.com",
    "a@example.com\t", "a@.example.com",
    "a@example.com.",  "UPPER@EXAMPLE.COM",
    "a@example.co",    "a@example.c",
    "a@[127.0.0.1]",   "a@example.museum",
};

constexpr const char* kPhones[] = {
    "+15043277269",     "+2902222",    "+290222",          "+0123456789",       "+1234567890123456",
    "+123456789012345", "15043277269", "+1 504 327 7269",  "+1-504-327-7269",   "06 12 34 56 78",
    "+33612345678",     "+",           "+44 20 7946 0958", "+4420794609580000", "+1504327726a",
};

constexpr const char* kCountries[] = {"US", "FR",        "us", "Narnia", "UK", "XK",
                                      "AU", "Australia", "",   "USA",    "GB", "ZZ"};
constexpr const char* kLanguages[] = {"en", "fr", "EN", "pt-BR", "fil", "bh", "zz", "", "e"};
constexpr const char* kTimeZones[] = {
    "America/New_York",
    "Europe/Paris",
    "Eastern Time (US & Canada)",
    "Mars/Base",
    "UTC",
    "localtime",
    "Fixed/UTC+01:00",
    "../etc/passwd",
    "Etc/GMT+5",
    "",
    "america/new_york",
    "Asia/Kolkata",
    "America/Argentina/Buenos_Aires",
};
constexpr const char* kDobs[] = {"1980-12-21", "12/21/1980", "1899-12-31", "2101-01-01",
                                 "0001-01-01", "1980-02-30", "1980-2-1",   "",
                                 "2000-02-29", "1900-02-29", "9999-12-31", "1980-12-21T00:00:00Z"};
constexpr const char* kGroupIds[] = {"6e4b3c2a-1f0d-4e5b-9a8c-7d6e5f4a3b2c", "abc", "",
                                     "6E4B3C2A-1F0D-4E5B-9A8C-7D6E5F4A3B2C",
                                     "6e4b3c2a1f0d4e5b9a8c7d6e5f4a3b2c"};
constexpr const char* kClearable[] = {
    "first_name",     "last_name",   "email", "phone",    "home_city",           "country",
    "language",       "time_zone",   "dob",   "gender",   "current_location",    "email_subscribe",
    "push_subscribe", "external_id", "bogus", "braze_id", "subscription_groups", ""};
constexpr const char* kCustomKeys[] = {
    "tier",     "favorite_color", "a.b",     "$x",
    "",         "first_name",     "bio",     "email_subscription_info",
    "x y",      "ünïcödé",        "x$",      "-",
    "_private", "external_id",    "country", "tags"};
constexpr const char* kPropertyKeys[] = {
    "plan", "amount",     "$price", "time",     "event_name", "",    "a.b",
    "a b",  "product_id", "price",  "currency", "quantity",   "ünï", "x$"};
constexpr const char* kDateTimes[] = {
    "2024-05-01T00:00:00Z",      "2024-05-01", "05/01/2024",           "2024-05-01 10:00:00",
    "2024-05-01T10:00:00+02:00", "not a date", "2024-13-01",           "3001-01-01",
    "2024-05-01T25:00:00Z",      "12-1-2021",  "Mar 26 2026 06:12 PM", "2024-05-01t10:00:00.5Z",
};
constexpr const char* kCurrencies[] = {"USD", "usd", "EUR", "XAU", "VED", "XCG", "ZWG", "XYZ",
                                       "US",  "",    "XDR", "CUC", "ANG", "JPY", "usd "};
constexpr const char* kEventNames[] = {
    "signed_up", "", "ecommerce.order_placed", "Signed Up", "ecommerce.unknown", "é"};

}  // namespace

ItemGenerator::ItemGenerator(uint64_t seed, int64_t max_request_bytes)
    : rng_(seed), max_request_bytes_(max_request_bytes) {}

bool ItemGenerator::OneIn(int n) { return Below(static_cast<size_t>(n)) == 0; }

size_t ItemGenerator::Below(size_t n) {
  return std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
}

std::string ItemGenerator::Text(size_t max_chars) {
  static const char* const kUnits[] = {"a", "Z", "7", " ", "é", "€", "😀", "-", ".", "$", "\t"};
  const size_t length = Below(max_chars + 1);
  std::string out;
  for (size_t i = 0; i < length; ++i) out += kUnits[Below(std::size(kUnits))];
  return out;
}

// Around 255 characters, in units of 1 to 4 bytes.
std::string ItemGenerator::BoundaryString() {
  static const char* const kUnits[] = {"x", "é", "€", "😀"};
  const std::string unit = kUnits[Below(4)];
  switch (Below(6)) {
    case 0:
      return Repeat(unit, 255);
    case 1:
      return Repeat(unit, 256);
    case 2:
      return "";
    case 3:
      return Repeat(unit, 254);
    default:
      return Text(12);
  }
}

std::string ItemGenerator::Email() {
  if (OneIn(8)) return Repeat("a", 254 - 12) + "@example.com";
  if (OneIn(8)) return Repeat("a", 255 - 12) + "@example.com";
  return Pick(kEmails);
}

std::string ItemGenerator::Phone() { return Pick(kPhones); }

std::string ItemGenerator::DateTimeText() { return Pick(kDateTimes); }

std::string ItemGenerator::Padding(int64_t bytes) {
  return std::string(static_cast<size_t>(std::max<int64_t>(bytes, 0)), 'p');
}

google::protobuf::Value ItemGenerator::JsonValue(int depth) {
  google::protobuf::Value value;
  switch (Below(depth > 0 ? 9 : 6)) {
    case 0:
      value.set_string_value(BoundaryString());
      break;
    case 1:
      value.set_number_value(static_cast<double>(Below(2000)) / 8 - 100);
      break;
    case 2:
      value.set_bool_value(OneIn(2));
      break;
    case 3:
      value.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case 4:
      value.set_string_value(DateTimeText());
      break;
    case 5:
      value.set_number_value(OneIn(2) ? 1e300 : 42);
      break;
    case 6: {
      google::protobuf::ListValue* list = value.mutable_list_value();
      const size_t n = Below(4);
      for (size_t i = 0; i < n; ++i) *list->add_values() = JsonValue(depth - 1);
      break;
    }
    case 7: {
      google::protobuf::Struct* object = value.mutable_struct_value();
      const size_t n = Below(4);
      for (size_t i = 0; i < n; ++i) {
        (*object->mutable_fields())[OneIn(3) ? Pick(kPropertyKeys) : Text(6)] =
            JsonValue(depth - 1);
      }
      break;
    }
    default: {
      // The nested date wrapper, well or badly formed.
      google::protobuf::Struct* object = value.mutable_struct_value();
      if (OneIn(5)) {
        (*object->mutable_fields())["$time"].set_number_value(5);
      } else {
        (*object->mutable_fields())["$time"].set_string_value(DateTimeText());
      }
      if (OneIn(6)) (*object->mutable_fields())["other"].set_bool_value(true);
      break;
    }
  }
  return value;
}

void ItemGenerator::UserRef(v1::UserRef* user) {
  const int id = next_user_++;
  switch (Below(12)) {
    case 0:
      user->set_email(Email());
      return;
    case 1:
      user->set_phone(Phone());
      return;
    case 2:
      user->set_braze_id(absl::StrCat("braze-", id));
      return;
    case 3: {
      v1::UserAlias* alias = user->mutable_user_alias();
      alias->set_alias_label(OneIn(4) ? Repeat(OneIn(2) ? "€" : "x", OneIn(2) ? 78 : 79) : "chat");
      alias->set_alias_name(OneIn(4) ? Repeat("a", 236 + Below(2)) : absl::StrCat("conv-", id));
      if (OneIn(8)) alias->set_alias_name("");
      return;
    }
    case 4:
      switch (Below(5)) {
        case 0:
          user->set_external_id(Repeat("x", 987));
          return;
        case 1:
          user->set_external_id(Repeat("x", 988));
          return;
        case 2:
          user->set_external_id(Repeat("€", 329 + Below(2)));
          return;
        case 3:
          user->set_external_id("");
          return;
        default:
          return;  // no identifier at all
      }
    default:
      user->set_external_id(absl::StrCat("user-", id));
      return;
  }
}

void ItemGenerator::Time(google::protobuf::Timestamp* time) {
  switch (Below(8)) {
    case 0:
      time->set_seconds(32'535'215'999);  // 3000-12-31T23:59:59Z
      return;
    case 1:
      time->set_seconds(32'535'216'000);  // 3001-01-01
      return;
    case 2:
      time->set_seconds(-86400);  // 1969-12-31
      return;
    case 3:
      time->set_seconds(4'102'444'800);  // 2100: in the future
      return;
    case 4:
      time->set_seconds(1714566896);
      time->set_nanos(static_cast<int32_t>(Below(1'000'000'000)));
      return;
    default:
      time->set_seconds(1714566896 + static_cast<int64_t>(Below(1'000'000)));
      return;
  }
}

void ItemGenerator::Properties(google::protobuf::Struct* properties) {
  auto& fields = *properties->mutable_fields();
  switch (Below(10)) {
    case 0: {  // around the 256-key cap
      const size_t keys = 255 + Below(3);
      for (size_t i = 0; i < keys; ++i) fields[absl::StrCat("k", i)].set_number_value(1);
      return;
    }
    case 1: {  // around the 100 KB / 50 KB caps
      const size_t cap = OneIn(2) ? 102'400 : 51'200;
      google::protobuf::ListValue* list = fields["blob"].mutable_list_value();
      const size_t chunk = 250;
      const size_t chunks = (cap - 200) / (chunk + 3) + Below(3);
      for (size_t i = 0; i < chunks; ++i) list->add_values()->set_string_value(Padding(chunk));
      return;
    }
    case 2: {  // datetimes inside arrays
      google::protobuf::ListValue* list = fields["dates"].mutable_list_value();
      list->add_values()->set_string_value(DateTimeText());
      if (OneIn(2)) list->add_values()->set_string_value("plain");
      return;
    }
    case 3: {  // an array inside an array
      google::protobuf::ListValue* list = fields["grid"].mutable_list_value();
      google::protobuf::ListValue* inner = list->add_values()->mutable_list_value();
      inner->add_values()->set_number_value(1);
      return;
    }
    default: {
      const size_t n = Below(5);
      for (size_t i = 0; i < n; ++i) {
        fields[OneIn(3) ? Pick(kPropertyKeys) : (OneIn(10) ? BoundaryString() : Text(10))] =
            JsonValue(2);
      }
      return;
    }
  }
}

std::string ItemGenerator::CustomKey() {
  if (OneIn(10)) return BoundaryString();
  if (OneIn(2)) return Pick(kCustomKeys);
  return absl::StrCat("attr_", Below(100));
}

void ItemGenerator::StringList(v1::StringList* list) {
  switch (Below(6)) {
    case 0: {  // around the array cap
      const size_t n = 499 + Below(3);
      for (size_t i = 0; i < n; ++i) list->add_values(absl::StrCat("v", i));
      return;
    }
    case 1:  // duplicates
      list->add_values("a");
      list->add_values("a");
      list->add_values("b");
      return;
    case 2: {  // around 100 KB
      const size_t n = 400 + Below(20);
      for (size_t i = 0; i < n; ++i) list->add_values(Repeat("€", 85));
      return;
    }
    default: {
      const size_t n = Below(5);
      for (size_t i = 0; i < n; ++i) list->add_values(OneIn(4) ? BoundaryString() : Text(8));
      return;
    }
  }
}

void ItemGenerator::CustomValue(v1::AttributeValue* value) {
  switch (Below(14)) {
    case 0:
      value->set_string_value(BoundaryString());
      return;
    case 1:
      value->set_int_value(static_cast<int64_t>(rng_()));
      return;
    case 2: {
      static const double kDoubles[] = {
          1.5, -0.0, 1e308, std::nan(""), std::numeric_limits<double>::infinity(), 3};
      value->set_double_value(Pick(kDoubles));
      return;
    }
    case 3:
      value->set_bool_value(OneIn(2));
      return;
    case 4:
      Time(value->mutable_time_value());
      return;
    case 5:
      StringList(value->mutable_array_value());
      return;
    case 6: {
      google::protobuf::Struct* object = value->mutable_object_value();
      const size_t n = 1 + Below(3);
      for (size_t i = 0; i < n; ++i) {
        (*object->mutable_fields())[OneIn(3) ? Pick(kCustomKeys) : Text(6)] = JsonValue(2);
      }
      return;
    }
    case 7:
      value->set_increment(static_cast<int64_t>(Below(20)) - 10);
      return;
    case 8:
      StringList(value->mutable_add());
      return;
    case 9:
      StringList(value->mutable_remove());
      return;
    case 10:
      value->set_null_value(google::protobuf::NULL_VALUE);
      return;
    case 11: {
      google::protobuf::ListValue* list = value->mutable_object_array_value();
      const size_t n = Below(4);
      for (size_t i = 0; i < n; ++i) *list->add_values() = JsonValue(2);
      return;
    }
    case 12:
      return;  // no value set
    default:
      value->set_string_value(Text(20));
      return;
  }
}

void ItemGenerator::MutateProfile(v1::UserProfile* p) {
  switch (Below(22)) {
    case 0:
      p->set_first_name(BoundaryString());
      return;
    case 1:
      p->set_last_name(BoundaryString());
      return;
    case 2:
      p->set_home_city(BoundaryString());
      return;
    case 3:
      p->set_email(Email());
      return;
    case 4:
      p->set_phone(Phone());
      return;
    case 5:
      p->set_country(Pick(kCountries));
      return;
    case 6:
      p->set_language(Pick(kLanguages));
      return;
    case 7:
      p->set_time_zone(Pick(kTimeZones));
      return;
    case 8:
      p->set_dob(Pick(kDobs));
      return;
    case 9:
      p->set_gender(static_cast<v1::Gender>(Below(7)));  // 6 is not a Gender value
      return;
    case 10:
      p->set_email_subscribe(static_cast<v1::SubscriptionState>(Below(5)));
      return;
    case 11:
      p->set_push_subscribe(static_cast<v1::SubscriptionState>(Below(5)));
      return;
    case 12: {
      v1::GeoLocation* location = p->mutable_current_location();
      static const double kLatitudes[] = {40.7, 90, 90.1, -90, -91, std::nan("")};
      static const double kLongitudes[] = {-74, 180, 180.5, -180, -181};
      location->set_latitude(Pick(kLatitudes));
      location->set_longitude(Pick(kLongitudes));
      return;
    }
    case 13: {
      v1::SubscriptionGroupUpdate* group = p->add_subscription_groups();
      group->set_subscription_group_id(Pick(kGroupIds));
      group->set_subscription_state(static_cast<v1::SubscriptionState>(Below(4)));
      group->set_use_double_opt_in_logic(OneIn(3));
      return;
    }
    case 14:
      p->add_clear_fields(Pick(kClearable));
      return;
    case 15:
      p->set_update_existing_only(OneIn(2));
      return;
    case 16:
      p->set_merge_objects(OneIn(2));
      return;
    case 17: {  // an item around the request byte cap
      v1::AttributeValue& value = (*p->mutable_custom_attributes())["big"];
      google::protobuf::ListValue* list = value.mutable_object_array_value();
      const int64_t target = max_request_bytes_ - 150 + static_cast<int64_t>(Below(300));
      const int64_t per_object = 20'000;
      for (int64_t written = 0; written < target; written += per_object + 12) {
        (*list->add_values()->mutable_struct_value()->mutable_fields())["p"].set_string_value(
            Padding(std::min(per_object, target - written)));
      }
      return;
    }
    default: {
      CustomValue(&(*p->mutable_custom_attributes())[CustomKey()]);
      return;
    }
  }
}

void ItemGenerator::MutateEvent(v1::Event* e) {
  switch (Below(7)) {
    case 0:
      e->set_name(OneIn(2) ? BoundaryString() : Pick(kEventNames));
      return;
    case 1:
      if (OneIn(3)) {
        e->clear_time();
      } else {
        Time(e->mutable_time());
      }
      return;
    case 2:
      e->set_app_id(OneIn(2) ? "" : Text(10));
      return;
    case 3:
      e->set_update_existing_only(OneIn(2));
      return;
    case 4:
      e->set_event_id(Repeat("i", 255 + Below(2)));
      return;
    default:
      Properties(e->mutable_properties());
      return;
  }
}

void ItemGenerator::MutatePurchase(v1::Purchase* p) {
  switch (Below(8)) {
    case 0:
      p->set_product_id(BoundaryString());
      return;
    case 1:
      p->set_currency(Pick(kCurrencies));
      return;
    case 2: {
      static const double kPrices[] = {
          0, -1, 12.12, 1e308, std::nan(""), std::numeric_limits<double>::infinity()};
      if (OneIn(5)) {
        p->clear_price();
      } else {
        p->set_price(Pick(kPrices));
      }
      return;
    }
    case 3: {
      static const int kQuantities[] = {0, 1, 100, 101, -5, 50};
      if (OneIn(5)) {
        p->clear_quantity();
      } else {
        p->set_quantity(Pick(kQuantities));
      }
      return;
    }
    case 4:
      if (OneIn(3)) {
        p->clear_time();
      } else {
        Time(p->mutable_time());
      }
      return;
    case 5:
      p->set_purchase_id(Repeat("i", 255 + Below(2)));
      return;
    default:
      Properties(p->mutable_properties());
      return;
  }
}

v1::UserProfile ItemGenerator::Profile() {
  v1::UserProfile profile;
  UserRef(profile.mutable_user());
  profile.set_first_name("Ada");
  const size_t mutations = Below(4);
  for (size_t i = 0; i < mutations; ++i) MutateProfile(&profile);
  return profile;
}

v1::Event ItemGenerator::Event() {
  v1::Event event;
  UserRef(event.mutable_user());
  event.set_name("conversation_ended");
  event.mutable_time()->set_seconds(1714566896);
  const size_t mutations = Below(4);
  for (size_t i = 0; i < mutations; ++i) MutateEvent(&event);
  return event;
}

v1::Purchase ItemGenerator::Purchase() {
  v1::Purchase purchase;
  UserRef(purchase.mutable_user());
  purchase.set_product_id("sku-1");
  purchase.set_currency("USD");
  purchase.set_price(9.99);
  purchase.mutable_time()->set_seconds(1714566896);
  const size_t mutations = Below(4);
  for (size_t i = 0; i < mutations; ++i) MutatePurchase(&purchase);
  return purchase;
}

}  // namespace brazesync::conformance
