// Implementation of the BrazeSync item validator; see validator.h for the
// contract and the violation path syntax, and shared/reference/braze-api.md
// §1.3-1.9 and §7 for where each rule comes from. This file holds the rules
// of each item kind; paths and primitive checks are in violations.h, the
// rules for free-form JSON (properties, nested attributes) in
// json_value_rules.h.
//
// The validator is the only gate between callers and Braze: the converter
// assumes valid input and Braze answers many mistakes by silently dropping or
// wiping data (an unmappable country sets it to NULL, a bad nested "$time"
// drops every nested update in the request). So every rule here is checked
// up front, and every broken rule is reported, not only the first.
#include "server/validation/validator.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/braze/converter.h"
#include "server/braze/json_size.h"
#include "server/braze/limits.h"
#include "server/braze/profile_fields.h"
#include "server/braze/request_planner.h"
#include "server/validation/array_attribute_rules.h"
#include "server/validation/ecommerce_rules.h"
#include "server/validation/field_syntax.h"
#include "server/validation/json_value_rules.h"
#include "server/validation/phone_numbers.h"
#include "server/validation/reference_data.h"
#include "server/validation/standard_field_rules.h"

namespace brazesync {
namespace {

using google::protobuf::Timestamp;

// BrazeSync's own cap on event_id / purchase_id (Braze never sees them).
constexpr size_t kMaxItemIdBytes = 255;

// ---------------------------------------------------------------------------
// Shared item parts.

void CheckUserAlias(const v1::UserAlias& alias, const std::string& path, FieldViolations* out) {
  const std::string name_path = FieldPath(path, "alias_name");
  const std::string label_path = FieldPath(path, "alias_label");
  if (CheckRequired(alias.alias_name(), name_path, out)) {
    CheckMaxBytes(alias.alias_name(), kMaxAliasPartBytes, name_path, out);
  }
  if (CheckRequired(alias.alias_label(), label_path, out)) {
    CheckMaxBytes(alias.alias_label(), kMaxAliasPartBytes, label_path, out);
  }
}

// A phone Braze can use: E.164, or a national number of `region`
// (phone_numbers.h). Returns its E.164 form, or "" after adding a violation.
std::string CheckPhone(const std::string& phone, absl::string_view region, const std::string& path,
                       FieldViolations* out) {
  absl::StatusOr<std::string> e164 = NormalizePhone(phone, region);
  if (e164.ok()) return *std::move(e164);
  AddViolation(out, path, std::string(e164.status().message()));
  return "";
}

// `path` is the UserRef's own path, e.g. "events[0].user". The oneof already
// guarantees at most one identifier; Braze rejects objects with none.
void CheckUserRef(const v1::UserRef& user, const std::string& path, const ValidationLimits& limits,
                  FieldViolations* out) {
  switch (user.id_case()) {
    case v1::UserRef::ID_NOT_SET:
      AddViolation(out, path, "required: one of external_id, user_alias, braze_id, email, phone");
      break;
    case v1::UserRef::kExternalId:
      if (CheckRequired(user.external_id(), FieldPath(path, "external_id"), out)) {
        CheckMaxBytes(user.external_id(), kMaxExternalIdBytes, FieldPath(path, "external_id"), out);
      }
      break;
    case v1::UserRef::kUserAlias:
      CheckUserAlias(user.user_alias(), FieldPath(path, "user_alias"), out);
      break;
    case v1::UserRef::kBrazeId:
      CheckRequired(user.braze_id(), FieldPath(path, "braze_id"), out);
      break;
    case v1::UserRef::kEmail:
      if (CheckRequired(user.email(), FieldPath(path, "email"), out) &&
          !IsValidEmail(user.email())) {
        AddViolation(out, FieldPath(path, "email"),
                     "must be a valid email address (local@domain.tld)");
      }
      break;
    case v1::UserRef::kPhone:
      if (CheckRequired(user.phone(), FieldPath(path, "phone"), out)) {
        CheckPhone(user.phone(), limits.default_phone_region, FieldPath(path, "phone"), out);
      }
      break;
  }
}

// The one item-level size rule (docs/braze-rules.md, "one item's Braze
// JSON"): measured on exactly what the converter sends, and only for an item
// whose fields are valid (the converter assumes valid input). Without it an
// item would be "valid" in validate_only, then fail as a whole call (sync) or
// be dead-lettered after it was accepted (async).
// The conversion runs only when the protobuf size leaves doubt, so the common
// small item pays for no second conversion.
void CheckFitsOneRequest(size_t violations_before, const google::protobuf::MessageLite& item,
                         const std::function<Json()>& convert, const ValidationLimits& limits,
                         const std::string& path, FieldViolations* out) {
  if (out->size() != violations_before) return;
  const size_t max_bytes = MaxItemJsonBytes(limits.max_request_bytes);
  if (MaxItemJsonBytesForProtoBytes(item.ByteSizeLong()) <= max_bytes) return;
  const size_t json_bytes = convert().dump().size();
  if (json_bytes > max_bytes) {
    AddViolation(
        out, path,
        absl::StrCat("the item's Braze JSON is ", json_bytes,
                     " bytes; one Braze request of this workspace holds at most ", max_bytes,
                     " bytes of item (max_request_bytes ", limits.max_request_bytes,
                     " minus the request envelope), and Braze refuses a larger body "
                     "(413): split the item (e.g. its custom attributes) over several "
                     "items"));
  }
}

// Event and purchase `time`: optional (the server stamps it), valid if set.
// A time after now is sent as now (the converter clamps it, as Braze would,
// braze-api.md §6 #57), so the year-3000 cap of attribute times does not
// apply: only the lower bound and the nanos can make it invalid.
void CheckItemTime(bool has_time, const Timestamp& time, const std::string& path,
                   FieldViolations* out) {
  if (!has_time) return;
  Timestamp bounded = time;
  bounded.set_seconds(std::min(time.seconds(), kMaxTimeSeconds));
  CheckTimestamp(bounded, path, out);
}

// ---------------------------------------------------------------------------
// UserProfile.

// The standard field `clear_fields` may name `name`, or nullptr. Identifiers
// are never clearable.
const ProfileField* FindClearable(absl::string_view name) {
  const ProfileField* field = FindStandardProfileField(name);
  return field != nullptr && field->clearable ? field : nullptr;
}

std::string ClearableNames() {
  std::vector<absl::string_view> names;
  for (const ProfileField& field : StandardProfileFields()) {
    if (field.clearable) names.push_back(field.name);
  }
  return absl::StrJoin(names, ", ");
}

bool IsIdentifierName(absl::string_view name) {
  return name == "external_id" || name == "user_alias" || name == "braze_id" ||
         name == "alias_name" || name == "alias_label";
}

void CheckLatitudeLongitude(double value, double limit, const std::string& path,
                            FieldViolations* out) {
  if (CheckFinite(value, path, out) && std::fabs(value) > limit) {
    AddViolation(out, path,
                 absl::StrCat("must be in [-", limit, ", ", limit, "] (got ", value, ")"));
  }
}

// Global email/push subscription: the zero value means "leave untouched".
void CheckGlobalSubscription(int state, const std::string& path, FieldViolations* out) {
  if (!v1::SubscriptionState_IsValid(state)) {
    AddViolation(
        out, path,
        absl::StrCat("must be a known SubscriptionState (OPTED_IN, SUBSCRIBED or UNSUBSCRIBED), "
                     "got ",
                     state));
  }
}

// The one deliberate refusal with nothing for Braze to alter
// (docs/braze-rules.md, "Stricter than Braze"): Rails-style aliases such as
// "Eastern Time (US & Canada)" change between Rails versions, so the error
// points at the IANA name instead.
std::string TimeZoneError(absl::string_view value) {
  const bool rails_style = !absl::StrContains(value, '/') &&
                           (absl::StrContains(value, ' ') || absl::StrContains(value, '('));
  return absl::StrCat(rails_style ? "a Rails-style time zone alias is not accepted: "
                                  : "must be an IANA time zone name: ",
                      "use the IANA name, e.g. America/New_York", GotValue(value));
}

class ProfileValidator {
 public:
  ProfileValidator(const v1::UserProfile& profile, const std::string& path,
                   const ValidationLimits& limits, FieldViolations* out)
      : profile_(profile), path_(path), limits_(limits), out_(out) {}

  void Run() {
    // push_token_import may go without an identifier (the tokens are for
    // users Braze does not know yet).
    if (!profile_.push_token_import() || profile_.user().id_case() != v1::UserRef::ID_NOT_SET) {
      CheckUserRef(profile_.user(), FieldPath(path_, "user"), limits_, out_);
    }
    CheckSessionSocialAndPushFields(profile_, path_, out_);
    CheckNames();
    CheckContact();
    CheckLocale();
    CheckEnums();
    CheckLocation();
    CheckSubscriptionGroups();
    CheckClearFields();
    CheckCustomAttributes();
    CheckHasUpdate();
  }

 private:
  std::string At(absl::string_view field) const { return FieldPath(path_, field); }

  void CheckNames() {
    if (profile_.has_first_name())
      CheckMaxChars(profile_.first_name(), kMaxStringChars, At("first_name"), out_);
    if (profile_.has_last_name())
      CheckMaxChars(profile_.last_name(), kMaxStringChars, At("last_name"), out_);
    if (profile_.has_home_city())
      CheckMaxChars(profile_.home_city(), kMaxStringChars, At("home_city"), out_);
  }

  // Profile email/phone. When the same kind is the lookup identifier, a
  // different value would be written over the address Braze just matched on.
  void CheckContact() {
    if (profile_.has_email()) {
      if (!IsValidEmail(profile_.email())) {
        AddViolation(out_, At("email"), "must be a valid email address (local@domain.tld)");
      } else if (profile_.user().has_email() && profile_.user().email() != profile_.email()) {
        AddViolation(out_, At("email"),
                     "must equal user.email when the user is looked up by email");
      }
    }
    if (profile_.has_phone()) {
      // Compared in E.164: "06 12 34 56 78" is "+33612345678" in FR.
      const std::string phone =
          CheckPhone(profile_.phone(), limits_.default_phone_region, At("phone"), out_);
      if (!phone.empty() && profile_.user().has_phone() &&
          NormalizePhone(profile_.user().phone(), limits_.default_phone_region)
                  .value_or(profile_.user().phone()) != phone) {
        AddViolation(out_, At("phone"),
                     "must equal user.phone when the user is looked up by phone");
      }
    }
  }

  // Country matters most: Braze sets an unmappable country to NULL (§6 #37).
  void CheckLocale() {
    if (profile_.has_country() && !IsIsoCountryAlpha2(profile_.country())) {
      AddViolation(
          out_, At("country"),
          "must be an ISO 3166-1 alpha-2 code such as \"US\"" + GotValue(profile_.country()));
    }
    if (profile_.has_language() && !IsIsoLanguage639_1(profile_.language())) {
      AddViolation(out_, At("language"),
                   "must be an ISO 639-1 code such as \"en\"" + GotValue(profile_.language()));
    }
    if (profile_.has_time_zone() && !IsIanaTimeZone(profile_.time_zone())) {
      AddViolation(out_, At("time_zone"), TimeZoneError(profile_.time_zone()));
    }
    if (profile_.has_dob() && !IsValidDob(profile_.dob())) {
      AddViolation(out_, At("dob"),
                   "must be a real date \"YYYY-MM-DD\" with a year in 0001..9999" +
                       GotValue(profile_.dob()));
    }
  }

  // proto3 enums are open: a number the schema does not know survives parsing
  // and would make the converter emit nothing or garbage.
  void CheckEnums() {
    if (!v1::Gender_IsValid(profile_.gender())) {
      AddViolation(out_, At("gender"),
                   absl::StrCat("must be a known Gender value, got ", profile_.gender()));
    }
    CheckGlobalSubscription(profile_.email_subscribe(), At("email_subscribe"), out_);
    CheckGlobalSubscription(profile_.push_subscribe(), At("push_subscribe"), out_);
  }

  void CheckLocation() {
    if (!profile_.has_current_location()) return;
    const v1::GeoLocation& location = profile_.current_location();
    CheckLatitudeLongitude(location.latitude(), 90, FieldPath(At("current_location"), "latitude"),
                           out_);
    CheckLatitudeLongitude(location.longitude(), 180,
                           FieldPath(At("current_location"), "longitude"), out_);
  }

  void CheckSubscriptionGroups() {
    for (int i = 0; i < profile_.subscription_groups_size(); ++i) {
      const v1::SubscriptionGroupUpdate& group = profile_.subscription_groups(i);
      const std::string path = IndexPath(At("subscription_groups"), i);
      const std::string id_path = FieldPath(path, "subscription_group_id");
      if (CheckRequired(group.subscription_group_id(), id_path, out_) &&
          !IsUuid(group.subscription_group_id())) {
        AddViolation(
            out_, id_path,
            "must be a subscription group UUID such as \"3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b\"" +
                GotValue(group.subscription_group_id()));
      }
      const int state = group.subscription_state();
      if (state == v1::SUBSCRIPTION_STATE_UNSPECIFIED) {
        AddViolation(out_, FieldPath(path, "subscription_state"),
                     "required: SUBSCRIBED or UNSUBSCRIBED");
      } else if (state != v1::SUBSCRIPTION_STATE_SUBSCRIBED &&
                 state != v1::SUBSCRIPTION_STATE_UNSUBSCRIBED) {
        AddViolation(
            out_, FieldPath(path, "subscription_state"),
            absl::StrCat("must be SUBSCRIBED or UNSUBSCRIBED for a subscription group, got ",
                         v1::SubscriptionState_IsValid(state) ? v1::SubscriptionState_Name(state)
                                                              : absl::StrCat(state)));
      }
      if (group.use_double_opt_in_logic() && state != v1::SUBSCRIPTION_STATE_SUBSCRIBED) {
        AddViolation(out_, FieldPath(path, "use_double_opt_in_logic"),
                     "may only be true when subscription_state is SUBSCRIBED");
      }
    }
  }

  void CheckClearFields() {
    for (int i = 0; i < profile_.clear_fields_size(); ++i) {
      const std::string& name = profile_.clear_fields(i);
      const std::string path = IndexPath(At("clear_fields"), i);
      const ProfileField* field = FindClearable(name);
      const auto begin = profile_.clear_fields().begin();
      const auto previous = std::find(begin, begin + i, name);
      if (IsIdentifierName(name)) {
        AddViolation(out_, path, "identifiers cannot be cleared" + GotValue(name));
      } else if (const ProfileField* standard = FindStandardProfileField(name);
                 standard != nullptr && !standard->clearable) {
        AddViolation(out_, path,
                     absl::StrCat(name, " cannot be cleared: ", standard->not_clearable_because));
      } else if (field == nullptr) {
        AddViolation(out_, path,
                     absl::StrCat("must be a clearable standard field (", ClearableNames(), ")",
                                  GotValue(name)));
      } else if (previous != begin + i) {
        AddViolation(out_, path, absl::StrCat("duplicate of clear_fields[", previous - begin, "]"));
      } else if (field->is_set(profile_)) {
        AddViolation(
            out_, path,
            absl::StrCat("\"", name, "\" is also set in this profile; set or clear it, not both"));
      } else if ((name == "email" && profile_.user().has_email()) ||
                 (name == "phone" && profile_.user().has_phone())) {
        AddViolation(out_, path,
                     absl::StrCat("cannot clear ", name, ": it is the user identifier"));
      }
    }
  }

  void CheckCustomAttributes() {
    const std::string map_path = At("custom_attributes");
    for (const auto* entry : SortedByKey(profile_.custom_attributes())) {
      const std::string path = MapEntryPath(map_path, entry->first);
      CheckCustomKey(entry->first, path);
      CheckAttributeValue(entry->second, path);
    }
  }

  void CheckCustomKey(absl::string_view key, const std::string& path) {
    if (!CheckKey(key, path, out_)) return;
    if (key[0] == '$') {
      AddViolation(out_, path, "key must not start with \"$\"");
    } else if (absl::StrContains(key, '.')) {
      AddViolation(out_, path, "key must not contain \".\"");
    } else if (IsStandardAttributeField(key)) {
      // Braze would read it as the standard field (or identifier) instead.
      AddViolation(out_, path, StandardFieldKeyError(key));
    }
  }

  void CheckAttributeValue(const v1::AttributeValue& value, const std::string& path) {
    switch (value.value_case()) {
      case v1::AttributeValue::VALUE_NOT_SET:
        AddViolation(
            out_, path,
            "value required: set one of string_value, int_value, double_value, bool_value, "
            "time_value, array_value, object_value, increment, add, remove, null_value, "
            "object_array_value, object_array_operation, array_change");
        break;
      case v1::AttributeValue::kStringValue:
        CheckMaxChars(value.string_value(), kMaxStringChars, FieldPath(path, "string_value"), out_);
        break;
      case v1::AttributeValue::kDoubleValue:
        CheckFinite(value.double_value(), FieldPath(path, "double_value"), out_);
        break;
      case v1::AttributeValue::kTimeValue:
        CheckTimestamp(value.time_value(), FieldPath(path, "time_value"), out_);
        break;
      case v1::AttributeValue::kArrayValue:
        CheckStringList(value.array_value(), limits_.max_array_length,
                        FieldPath(path, "array_value"), out_);
        break;
      case v1::AttributeValue::kAdd:
        CheckArrayOperation(value.add(), limits_.max_array_length, FieldPath(path, "add"), out_);
        break;
      case v1::AttributeValue::kRemove:
        // Removing values cannot grow the array: no count cap.
        CheckArrayOperation(value.remove(), kNoArrayLengthCap, FieldPath(path, "remove"), out_);
        break;
      case v1::AttributeValue::kObjectValue:
        CheckNestedObject(value.object_value(), FieldPath(path, "object_value"), out_);
        break;
      case v1::AttributeValue::kObjectArrayValue:
        CheckObjectArray(value.object_array_value(), FieldPath(path, "object_array_value"), out_);
        break;
      case v1::AttributeValue::kObjectArrayOperation:
        CheckObjectArrayOperation(value.object_array_operation(),
                                  FieldPath(path, "object_array_operation"), out_);
        break;
      case v1::AttributeValue::kArrayChange:
        CheckArrayChange(value.array_change(), limits_.max_array_length,
                         FieldPath(path, "array_change"), out_);
        break;
      case v1::AttributeValue::kIntValue:
      case v1::AttributeValue::kBoolValue:
      case v1::AttributeValue::kIncrement:
      case v1::AttributeValue::kNullValue:
        break;
    }
  }

  // Braze bills every write and an empty object does nothing, so a profile
  // with only `user` is almost certainly a caller bug. update_existing_only
  // false alone is a real request: create the (alias-only) profile.
  void CheckHasUpdate() {
    const v1::UserProfile& p = profile_;
    const auto standard = StandardProfileFields();
    const bool has_update =
        std::any_of(standard.begin(), standard.end(),
                    [&p](const ProfileField& field) { return field.is_set(p); }) ||
        p.custom_attributes_size() > 0 || p.clear_fields_size() > 0 ||
        (p.has_update_existing_only() && !p.update_existing_only());
    if (!has_update) {
      AddViolation(
          out_, path_,
          "nothing to update: set at least one field besides user (a standard field, "
          "subscription group, custom attribute, clear_fields entry, or update_existing_only "
          "false to create the profile)");
    }
  }

  const v1::UserProfile& profile_;
  const std::string& path_;
  const ValidationLimits& limits_;
  FieldViolations* out_;
};

}  // namespace

void ValidateUserProfile(const v1::UserProfile& profile, const std::string& path,
                         const ValidationLimits& limits, FieldViolations* out) {
  const size_t before = out->size();
  ProfileValidator(profile, path, limits, out).Run();
  CheckFitsOneRequest(
      before, profile, [&profile] { return ProfileToBraze(profile); }, limits, path, out);
}

void ValidateEvent(const v1::Event& event, const std::string& path, const ValidationLimits& limits,
                   FieldViolations* out) {
  const size_t before = out->size();
  CheckUserRef(event.user(), FieldPath(path, "user"), limits, out);
  if (CheckRequired(event.name(), FieldPath(path, "name"), out)) {
    CheckMaxChars(event.name(), kMaxStringChars, FieldPath(path, "name"), out);
  }
  CheckItemTime(event.has_time(), event.time(), FieldPath(path, "time"), out);
  CheckMaxChars(event.app_id(), kMaxStringChars, FieldPath(path, "app_id"), out);
  if (event.has_properties()) {
    CheckEventProperties(event.properties(), FieldPath(path, "properties"), out);
  }
  // Absent properties are an empty object: every required one is missing.
  CheckEcommerceProperties(event.name(), event.properties(), FieldPath(path, "properties"), out);
  CheckMaxBytes(event.event_id(), kMaxItemIdBytes, FieldPath(path, "event_id"), out);
  // Every time is written in the same 24 characters, so any instant measures
  // the size that will be sent.
  CheckFitsOneRequest(
      before, event, [&event] { return EventToBraze(event, absl::UnixEpoch(), absl::UnixEpoch()); },
      limits, path, out);
}

void ValidatePurchase(const v1::Purchase& purchase, const std::string& path,
                      const ValidationLimits& limits, FieldViolations* out) {
  const size_t before = out->size();
  CheckUserRef(purchase.user(), FieldPath(path, "user"), limits, out);
  if (CheckRequired(purchase.product_id(), FieldPath(path, "product_id"), out)) {
    CheckMaxChars(purchase.product_id(), kMaxStringChars, FieldPath(path, "product_id"), out);
  }
  const std::string currency_path = FieldPath(path, "currency");
  if (CheckRequired(purchase.currency(), currency_path, out) &&
      !IsIsoCurrency4217(absl::AsciiStrToUpper(purchase.currency()))) {
    AddViolation(
        out, currency_path,
        "must be an ISO 4217 currency code such as \"USD\"" + GotValue(purchase.currency()));
  }
  const std::string price_path = FieldPath(path, "price");
  if (!purchase.has_price()) {
    AddViolation(out, price_path, "required: a finite number >= 0 in major units");
  } else if (CheckFinite(purchase.price(), price_path, out) && purchase.price() < 0) {
    AddViolation(out, price_path, absl::StrCat("must be >= 0 (got ", purchase.price(), ")"));
  }
  if (purchase.has_quantity() &&
      (purchase.quantity() < kMinPurchaseQuantity || purchase.quantity() > kMaxPurchaseQuantity)) {
    AddViolation(out, FieldPath(path, "quantity"),
                 absl::StrFormat("must be in %d..%d (got %d)", kMinPurchaseQuantity,
                                 kMaxPurchaseQuantity, purchase.quantity()));
  }
  CheckItemTime(purchase.has_time(), purchase.time(), FieldPath(path, "time"), out);
  CheckMaxChars(purchase.app_id(), kMaxStringChars, FieldPath(path, "app_id"), out);
  if (purchase.has_properties()) {
    CheckPurchaseProperties(purchase.properties(), FieldPath(path, "properties"), out);
  }
  CheckMaxBytes(purchase.purchase_id(), kMaxItemIdBytes, FieldPath(path, "purchase_id"), out);
  CheckFitsOneRequest(
      before, purchase,
      [&purchase] { return PurchaseToBraze(purchase, absl::UnixEpoch(), absl::UnixEpoch()); },
      limits, path, out);
}

}  // namespace brazesync
