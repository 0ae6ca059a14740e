// The shared part of the action rules (action_rules.h): the identifiers
// every BrazeIdentity, BrazeMessaging and BrazeSubscriptions item is made of
// (external ids, aliases, emails, phones) and Braze's prioritization rules,
// each reported at the path of the field that broke it, like
// lookup_rules.cc. The per-service rules are in identity_rules.cc,
// trigger_rules.cc and subscription_rules.cc.
#include "server/validation/action_rules.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "brazesync/v1/actions.pb.h"
#include "server/braze/limits.h"
#include "server/validation/field_syntax.h"
#include "server/validation/phone_numbers.h"

namespace brazesync {
namespace {

// ---- Prioritization names ----

std::string PrioritizationName(int value) {
  if (v1::Prioritization_IsValid(value)) {
    return v1::Prioritization_Name(static_cast<v1::Prioritization>(value));
  }
  return absl::StrCat(value);
}

}  // namespace

FieldViolations ActionViolations::All() const {
  FieldViolations all = request;
  for (const ItemViolations& item : items) {
    all.insert(all.end(), item.violations.begin(), item.violations.end());
  }
  return all;
}

void CheckPrioritization(const google::protobuf::RepeatedField<int>& values,
                         const std::string& path, bool required, bool allow_least_recently_updated,
                         FieldViolations* out) {
  if (values.empty()) {
    if (required) {
      AddViolation(out, path,
                   "required: which profile Braze picks when several hold the email or phone, "
                   "e.g. [PRIORITIZATION_UNIDENTIFIED, PRIORITIZATION_MOST_RECENTLY_UPDATED]");
    }
    return;
  }
  absl::flat_hash_map<int, int> first_index;
  for (int i = 0; i < values.size(); ++i) {
    const int value = values.Get(i);
    const std::string value_path = IndexPath(path, i);
    const auto [previous, inserted] = first_index.emplace(value, i);
    if (!inserted) {
      AddViolation(out, value_path,
                   absl::StrCat("duplicate of ", IndexPath(path, previous->second), " (",
                                PrioritizationName(value), ")"));
    } else if (value == v1::PRIORITIZATION_UNSPECIFIED) {
      AddViolation(out, value_path, "must not be PRIORITIZATION_UNSPECIFIED");
    } else if (!v1::Prioritization_IsValid(value)) {
      AddViolation(out, value_path,
                   absl::StrCat("not a known Prioritization value (got ", value, ")"));
    } else if (value == v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED &&
               !allow_least_recently_updated) {
      AddViolation(out, value_path,
                   "PRIORITIZATION_LEAST_RECENTLY_UPDATED is not accepted here (Braze's "
                   "delete takes identified, unidentified and most_recently_updated)");
    }
  }
  const auto has = [&first_index](v1::Prioritization value) { return first_index.contains(value); };
  if (has(v1::PRIORITIZATION_IDENTIFIED) && has(v1::PRIORITIZATION_UNIDENTIFIED)) {
    AddViolation(out, path, "not both PRIORITIZATION_IDENTIFIED and PRIORITIZATION_UNIDENTIFIED");
  }
  if (has(v1::PRIORITIZATION_MOST_RECENTLY_UPDATED) &&
      has(v1::PRIORITIZATION_LEAST_RECENTLY_UPDATED)) {
    AddViolation(out, path,
                 "not both PRIORITIZATION_MOST_RECENTLY_UPDATED and "
                 "PRIORITIZATION_LEAST_RECENTLY_UPDATED");
  }
}

void AddItemViolations(const std::string& array, int index, FieldViolations violations,
                       ActionViolations* out) {
  if (violations.empty()) return;
  out->items.push_back(ItemViolations{array, index, std::move(violations)});
}

void CheckExternalId(absl::string_view id, const std::string& path, FieldViolations* out) {
  if (CheckRequired(id, path, out)) CheckMaxBytes(id, kMaxExternalIdBytes, path, out);
}

// Case is kept: alias names are case-sensitive (case 105), so nothing here
// normalises or compares them case-insensitively.
void CheckAliasParts(absl::string_view name, absl::string_view label, const std::string& path,
                     FieldViolations* out) {
  for (const auto& [field, value] :
       {std::pair<absl::string_view, absl::string_view>{"alias_name", name},
        {"alias_label", label}}) {
    const std::string part_path = FieldPath(path, field);
    if (CheckRequired(value, part_path, out)) {
      CheckMaxBytes(value, kMaxAliasPartBytes, part_path, out);
    }
  }
}

void CheckUserAlias(const v1::UserAlias& alias, const std::string& path, FieldViolations* out) {
  CheckAliasParts(alias.alias_name(), alias.alias_label(), path, out);
}

void CheckEmailAddress(absl::string_view email, const std::string& path, FieldViolations* out) {
  if (CheckRequired(email, path, out) && !IsValidEmail(email)) {
    AddViolation(out, path, "must be a valid email address (local@domain.tld)");
  }
}

// E.164, or a national number of `region` (case 114: Braze silently skips
// merges between non-E.164 phones; case 150: v2 rejects them).
void CheckPhoneNumber(absl::string_view phone, const std::string& path, const std::string& region,
                      FieldViolations* out) {
  if (!CheckRequired(phone, path, out)) return;
  absl::StatusOr<std::string> e164 = NormalizePhone(phone, region);
  if (!e164.ok()) AddViolation(out, path, std::string(e164.status().message()));
}

absl::Status NormalizePhoneInPlace(std::string* phone, const std::string& path,
                                   const std::string& region) {
  absl::StatusOr<std::string> e164 = NormalizePhone(*phone, region);
  if (!e164.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e164.status().message()));
  }
  *phone = *std::move(e164);
  return absl::OkStatus();
}

}  // namespace brazesync
