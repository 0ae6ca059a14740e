// The rules of a LookupUsersRequest; see lookup_rules.h for the list and
// braze-api-round2.md §2.1 and §5 (cases 77-94) for where they come from.
// Every broken rule is reported, each at the path of the field that broke
// it (`user_aliases[1].alias_name`, `fields_to_export[2]`, `phone`), so a
// caller fixes everything in one round trip.
#include "server/validation/lookup_rules.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/duration.pb.h"
#include "server/braze/limits.h"
#include "server/braze/users_export.h"
#include "server/validation/field_syntax.h"
#include "server/validation/phone_numbers.h"

namespace brazesync {
namespace {

// google.protobuf.Duration's own range (duration.proto): about 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;
constexpr int32_t kMaxDurationNanos = 999'999'999;

// The single-valued identifiers a request sets, by field name, in proto
// order.
std::vector<absl::string_view> SingleValuedIdentifiers(const v1::LookupUsersRequest& request) {
  std::vector<absl::string_view> set;
  if (!request.email_address().empty()) set.push_back("email_address");
  if (!request.phone().empty()) set.push_back("phone");
  if (!request.braze_id().empty()) set.push_back("braze_id");
  if (!request.device_id().empty()) set.push_back("device_id");
  return set;
}

void CheckIdentifierKinds(const v1::LookupUsersRequest& request, FieldViolations* out) {
  const bool has_list = request.external_ids_size() > 0 || request.user_aliases_size() > 0;
  const std::vector<absl::string_view> singles = SingleValuedIdentifiers(request);
  if (!has_list && singles.empty()) {
    AddViolation(out, "external_ids",
                 "required: external_ids or user_aliases, or one of email_address, phone, "
                 "braze_id, device_id");
    return;
  }
  // Braze takes one single-valued identifier per call, alone (§2.1), so each
  // costs a call of its own and cannot ride in a packed one.
  for (absl::string_view field : singles) {
    if (has_list) {
      AddViolation(out, std::string(field),
                   "cannot be combined with external_ids or user_aliases; look it up in a "
                   "request of its own");
    }
    if (singles.size() > 1) {
      std::vector<absl::string_view> others;
      for (absl::string_view other : singles) {
        if (other != field) others.push_back(other);
      }
      AddViolation(out, std::string(field),
                   absl::StrCat("only one of email_address, phone, braze_id, device_id per "
                                "lookup; this request also sets ",
                                absl::StrJoin(others, ", ")));
    }
  }
}

void CheckExternalIds(const v1::LookupUsersRequest& request, FieldViolations* out) {
  for (int i = 0; i < request.external_ids_size(); ++i) {
    const std::string path = IndexPath("external_ids", i);
    if (CheckRequired(request.external_ids(i), path, out)) {
      CheckMaxBytes(request.external_ids(i), kMaxExternalIdBytes, path, out);
    }
  }
}

// Case is kept: aliases are case-sensitive (case 92), so nothing here
// normalises or compares them case-insensitively.
void CheckUserAliases(const v1::LookupUsersRequest& request, FieldViolations* out) {
  for (int i = 0; i < request.user_aliases_size(); ++i) {
    const v1::UserAlias& alias = request.user_aliases(i);
    const std::string path = IndexPath("user_aliases", i);
    for (const auto& [name, value] :
         {std::pair<absl::string_view, const std::string*>{"alias_name", &alias.alias_name()},
          {"alias_label", &alias.alias_label()}}) {
      const std::string part_path = FieldPath(path, name);
      if (CheckRequired(*value, part_path, out)) {
        CheckMaxBytes(*value, kMaxAliasPartBytes, part_path, out);
      }
    }
  }
}

void CheckContact(const v1::LookupUsersRequest& request, const std::string& default_phone_region,
                  FieldViolations* out) {
  if (!request.email_address().empty() && !IsValidEmail(request.email_address())) {
    AddViolation(out, "email_address", "must be a valid email address (local@domain.tld)");
  }
  if (!request.phone().empty()) {
    absl::StatusOr<std::string> e164 = NormalizePhone(request.phone(), default_phone_region);
    if (!e164.ok()) AddViolation(out, "phone", std::string(e164.status().message()));
  }
}

void CheckFieldsToExport(const v1::LookupUsersRequest& request, FieldViolations* out) {
  absl::flat_hash_map<absl::string_view, int> first_index;
  for (int i = 0; i < request.fields_to_export_size(); ++i) {
    const std::string& field = request.fields_to_export(i);
    const std::string path = IndexPath("fields_to_export", i);
    const auto [previous, inserted] = first_index.emplace(field, i);
    if (!inserted) {
      AddViolation(out, path,
                   absl::StrCat("duplicate of fields_to_export[", previous->second, "]"));
      continue;
    }
    if (!IsExportField(field)) {
      AddViolation(out, path,
                   "not one of Braze's export fields (e.g. \"first_name\", \"custom_attributes\", "
                   "\"purchases\"); individual custom attributes cannot be selected, ask for "
                   "\"custom_attributes\"" +
                       GotValue(field));
    } else if (IsReceivedField(field) && !request.allow_received_fields()) {
      AddViolation(out, path,
                   absl::StrCat(field,
                                " is heavy for Braze and moves the call to the slow export "
                                "budget; set allow_received_fields to ask for it"));
    }
  }
}

void CheckDuration(bool has, const google::protobuf::Duration& duration, const char* name,
                   FieldViolations* out) {
  if (!has) return;
  const int64_t seconds = duration.seconds();
  const int32_t nanos = duration.nanos();
  const bool in_range = seconds >= -kMaxDurationSeconds && seconds <= kMaxDurationSeconds &&
                        nanos >= -kMaxDurationNanos && nanos <= kMaxDurationNanos;
  const bool signs_agree = !((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0));
  if (!in_range || !signs_agree) {
    AddViolation(out, name,
                 absl::StrCat("not a valid google.protobuf.Duration (seconds ", seconds, ", nanos ",
                              nanos, ")"));
  } else if (seconds < 0 || nanos < 0) {
    AddViolation(out, name, "must not be negative");
  }
}

}  // namespace

FieldViolations ValidateLookupRequest(const v1::LookupUsersRequest& request,
                                      const std::string& default_phone_region) {
  FieldViolations out;
  CheckIdentifierKinds(request, &out);
  CheckExternalIds(request, &out);
  CheckUserAliases(request, &out);
  CheckContact(request, default_phone_region, &out);
  CheckFieldsToExport(request, &out);
  CheckDuration(request.has_max_age(), request.max_age(), "max_age", &out);
  CheckDuration(request.has_max_stale(), request.max_stale(), "max_stale", &out);
  CheckDuration(request.has_max_wait(), request.max_wait(), "max_wait", &out);
  return out;
}

absl::StatusOr<std::string> LookupPhoneE164(const v1::LookupUsersRequest& request,
                                            const std::string& default_phone_region) {
  if (request.phone().empty()) return std::string();
  return NormalizePhone(request.phone(), default_phone_region);
}

}  // namespace brazesync
