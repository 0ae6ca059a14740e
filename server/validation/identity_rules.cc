// The rules of the BrazeIdentity requests (identity_rules.h; braze-api-round2.md
// §2.2-2.6, cases 95-127): aliases, identify, merge, delete, rename and
// remove, each broken rule at its path from the request root
// (`merge_updates[3].identifier_to_keep.phone`).
#include "server/validation/identity_rules.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/validation/phone_numbers.h"

namespace brazesync {
namespace {

void CheckMergeIdentifier(const v1::MergeIdentifier& identifier, const std::string& path,
                          const std::string& region, FieldViolations* out) {
  bool by_contact = false;
  switch (identifier.id_case()) {
    case v1::MergeIdentifier::kExternalId:
      CheckExternalId(identifier.external_id(), FieldPath(path, "external_id"), out);
      break;
    case v1::MergeIdentifier::kUserAlias:
      CheckUserAlias(identifier.user_alias(), FieldPath(path, "user_alias"), out);
      break;
    case v1::MergeIdentifier::kEmail:
      CheckEmailAddress(identifier.email(), FieldPath(path, "email"), out);
      by_contact = true;
      break;
    case v1::MergeIdentifier::kPhone:
      CheckPhoneNumber(identifier.phone(), FieldPath(path, "phone"), region, out);
      by_contact = true;
      break;
    case v1::MergeIdentifier::ID_NOT_SET:
      AddViolation(out, path, "one of external_id, user_alias, email, phone is required");
      break;
  }
  const std::string prioritization_path = FieldPath(path, "prioritization");
  if (by_contact) {
    CheckPrioritization(identifier.prioritization(), prioritization_path, /*required=*/true,
                        /*allow_least_recently_updated=*/true, out);
  } else if (identifier.prioritization_size() > 0) {
    AddViolation(out, prioritization_path, "only allowed with email or phone");
  }
}

// Whether both sides name the same profile (prioritization aside; phones
// compared as E.164 when both are valid).
bool SameProfile(const v1::MergeIdentifier& a, const v1::MergeIdentifier& b,
                 const std::string& region) {
  if (a.id_case() != b.id_case()) return false;
  switch (a.id_case()) {
    case v1::MergeIdentifier::kExternalId:
      return a.external_id() == b.external_id();
    case v1::MergeIdentifier::kUserAlias:
      return a.user_alias().alias_name() == b.user_alias().alias_name() &&
             a.user_alias().alias_label() == b.user_alias().alias_label();
    case v1::MergeIdentifier::kEmail:
      return a.email() == b.email();
    case v1::MergeIdentifier::kPhone: {
      if (a.phone() == b.phone()) return true;
      absl::StatusOr<std::string> a_e164 = NormalizePhone(a.phone(), region);
      absl::StatusOr<std::string> b_e164 = NormalizePhone(b.phone(), region);
      return a_e164.ok() && b_e164.ok() && *a_e164 == *b_e164;
    }
    case v1::MergeIdentifier::ID_NOT_SET:
      return false;
  }
  return false;
}

absl::Status NormalizeMergeIdentifier(v1::MergeIdentifier* identifier, const std::string& path,
                                      const std::string& region) {
  if (identifier->id_case() != v1::MergeIdentifier::kPhone) return absl::OkStatus();
  return NormalizePhoneInPlace(identifier->mutable_phone(), FieldPath(path, "phone"), region);
}

}  // namespace

ActionViolations ValidateCreateAlias(const v1::CreateAliasRequest& request) {
  ActionViolations result;
  if (request.user_aliases_size() == 0) {
    AddViolation(&result.request, "user_aliases", "at least one alias is required");
  }
  // (label, name) -> first index; the later item of a pair is the one reported.
  absl::flat_hash_map<std::pair<std::string, std::string>, int> first_index;
  for (int i = 0; i < request.user_aliases_size(); ++i) {
    const v1::NewUserAlias& alias = request.user_aliases(i);
    const std::string path = IndexPath("user_aliases", i);
    FieldViolations out;
    if (alias.has_external_id()) {
      CheckExternalId(alias.external_id(), FieldPath(path, "external_id"), &out);
    }
    CheckAliasParts(alias.alias_name(), alias.alias_label(), path, &out);
    const auto [previous, inserted] =
        first_index.emplace(std::make_pair(alias.alias_label(), alias.alias_name()), i);
    if (!inserted) {
      AddViolation(&out, path,
                   absl::StrCat("same alias_label and alias_name as ",
                                IndexPath("user_aliases", previous->second),
                                ": a (label, name) pair names one user"));
    }
    AddItemViolations("user_aliases", i, std::move(out), &result);
  }
  return result;
}

ActionViolations ValidateIdentifyUsers(const v1::IdentifyUsersRequest& request,
                                       const std::string& default_phone_region) {
  ActionViolations result;
  if (request.aliases_to_identify_size() == 0 && request.emails_to_identify_size() == 0 &&
      request.phone_numbers_to_identify_size() == 0) {
    AddViolation(&result.request, "aliases_to_identify",
                 "at least one item is required across aliases_to_identify, "
                 "emails_to_identify and phone_numbers_to_identify");
  }
  for (int i = 0; i < request.aliases_to_identify_size(); ++i) {
    const v1::AliasToIdentify& item = request.aliases_to_identify(i);
    const std::string path = IndexPath("aliases_to_identify", i);
    FieldViolations out;
    CheckExternalId(item.external_id(), FieldPath(path, "external_id"), &out);
    if (item.has_user_alias()) {
      CheckUserAlias(item.user_alias(), FieldPath(path, "user_alias"), &out);
    } else {
      AddViolation(&out, FieldPath(path, "user_alias"), "required: the alias-only profile");
    }
    AddItemViolations("aliases_to_identify", i, std::move(out), &result);
  }
  for (int i = 0; i < request.emails_to_identify_size(); ++i) {
    const v1::EmailToIdentify& item = request.emails_to_identify(i);
    const std::string path = IndexPath("emails_to_identify", i);
    FieldViolations out;
    CheckExternalId(item.external_id(), FieldPath(path, "external_id"), &out);
    CheckEmailAddress(item.email(), FieldPath(path, "email"), &out);
    CheckPrioritization(item.prioritization(), FieldPath(path, "prioritization"),
                        /*required=*/true, /*allow_least_recently_updated=*/true, &out);
    AddItemViolations("emails_to_identify", i, std::move(out), &result);
  }
  for (int i = 0; i < request.phone_numbers_to_identify_size(); ++i) {
    const v1::PhoneToIdentify& item = request.phone_numbers_to_identify(i);
    const std::string path = IndexPath("phone_numbers_to_identify", i);
    FieldViolations out;
    CheckExternalId(item.external_id(), FieldPath(path, "external_id"), &out);
    CheckPhoneNumber(item.phone(), FieldPath(path, "phone"), default_phone_region, &out);
    CheckPrioritization(item.prioritization(), FieldPath(path, "prioritization"),
                        /*required=*/true, /*allow_least_recently_updated=*/true, &out);
    AddItemViolations("phone_numbers_to_identify", i, std::move(out), &result);
  }
  return result;
}

ActionViolations ValidateMergeUsers(const v1::MergeUsersRequest& request,
                                    const std::string& default_phone_region) {
  ActionViolations result;
  if (request.merge_updates_size() == 0) {
    AddViolation(&result.request, "merge_updates", "at least one merge update is required");
  }
  for (int i = 0; i < request.merge_updates_size(); ++i) {
    const v1::MergeUpdate& update = request.merge_updates(i);
    const std::string path = IndexPath("merge_updates", i);
    const std::string merge_path = FieldPath(path, "identifier_to_merge");
    const std::string keep_path = FieldPath(path, "identifier_to_keep");
    FieldViolations out;
    if (update.has_identifier_to_merge()) {
      CheckMergeIdentifier(update.identifier_to_merge(), merge_path, default_phone_region, &out);
    } else {
      AddViolation(&out, merge_path, "required: the profile merged away");
    }
    if (update.has_identifier_to_keep()) {
      CheckMergeIdentifier(update.identifier_to_keep(), keep_path, default_phone_region, &out);
    } else {
      AddViolation(&out, keep_path, "required: the profile kept");
    }
    if (SameProfile(update.identifier_to_merge(), update.identifier_to_keep(),
                    default_phone_region)) {
      AddViolation(&out, keep_path,
                   "must differ from identifier_to_merge: a profile cannot be merged into itself");
    }
    AddItemViolations("merge_updates", i, std::move(out), &result);
  }
  return result;
}

ActionViolations ValidateDeleteUsers(const v1::DeleteUsersRequest& request,
                                     const std::string& default_phone_region) {
  ActionViolations result;
  if (request.external_ids_size() == 0 && request.user_aliases_size() == 0 &&
      request.braze_ids_size() == 0 && request.email_addresses_size() == 0 &&
      request.phone_numbers_size() == 0) {
    AddViolation(&result.request, "external_ids",
                 "at least one identifier is required across external_ids, user_aliases, "
                 "braze_ids, email_addresses and phone_numbers");
  }
  if (!request.confirm_irreversible() && !request.validate_only()) {
    AddViolation(&result.request, "confirm_irreversible",
                 "must be true: deleting users cannot be undone");
  }
  for (int i = 0; i < request.external_ids_size(); ++i) {
    FieldViolations out;
    CheckExternalId(request.external_ids(i), IndexPath("external_ids", i), &out);
    AddItemViolations("external_ids", i, std::move(out), &result);
  }
  for (int i = 0; i < request.user_aliases_size(); ++i) {
    FieldViolations out;
    CheckUserAlias(request.user_aliases(i), IndexPath("user_aliases", i), &out);
    AddItemViolations("user_aliases", i, std::move(out), &result);
  }
  for (int i = 0; i < request.braze_ids_size(); ++i) {
    FieldViolations out;
    CheckExternalId(request.braze_ids(i), IndexPath("braze_ids", i), &out);
    AddItemViolations("braze_ids", i, std::move(out), &result);
  }
  for (int i = 0; i < request.email_addresses_size(); ++i) {
    const v1::EmailToDelete& item = request.email_addresses(i);
    const std::string path = IndexPath("email_addresses", i);
    FieldViolations out;
    CheckEmailAddress(item.email(), FieldPath(path, "email"), &out);
    CheckPrioritization(item.prioritization(), FieldPath(path, "prioritization"),
                        /*required=*/true, /*allow_least_recently_updated=*/false, &out);
    AddItemViolations("email_addresses", i, std::move(out), &result);
  }
  for (int i = 0; i < request.phone_numbers_size(); ++i) {
    const v1::PhoneToDelete& item = request.phone_numbers(i);
    const std::string path = IndexPath("phone_numbers", i);
    FieldViolations out;
    CheckPhoneNumber(item.phone(), FieldPath(path, "phone"), default_phone_region, &out);
    CheckPrioritization(item.prioritization(), FieldPath(path, "prioritization"),
                        /*required=*/true, /*allow_least_recently_updated=*/false, &out);
    AddItemViolations("phone_numbers", i, std::move(out), &result);
  }
  return result;
}

ActionViolations ValidateRenameExternalIds(const v1::RenameExternalIdsRequest& request) {
  ActionViolations result;
  if (request.external_id_renames_size() == 0) {
    AddViolation(&result.request, "external_id_renames", "at least one rename is required");
  }
  absl::flat_hash_map<std::string, int> first_index;
  for (int i = 0; i < request.external_id_renames_size(); ++i) {
    const v1::ExternalIdRename& rename = request.external_id_renames(i);
    const std::string path = IndexPath("external_id_renames", i);
    const std::string new_path = FieldPath(path, "new_external_id");
    FieldViolations out;
    CheckExternalId(rename.current_external_id(), FieldPath(path, "current_external_id"), &out);
    CheckExternalId(rename.new_external_id(), new_path, &out);
    if (!rename.new_external_id().empty()) {
      if (rename.new_external_id() == rename.current_external_id()) {
        AddViolation(&out, new_path, "must differ from current_external_id");
      }
      const auto [previous, inserted] = first_index.emplace(rename.new_external_id(), i);
      if (!inserted) {
        AddViolation(&out, new_path,
                     absl::StrCat("same as ",
                                  FieldPath(IndexPath("external_id_renames", previous->second),
                                            "new_external_id"),
                                  ": an external id can be given to one user only"));
      }
    }
    AddItemViolations("external_id_renames", i, std::move(out), &result);
  }
  return result;
}

ActionViolations ValidateRemoveExternalIds(const v1::RemoveExternalIdsRequest& request) {
  ActionViolations result;
  if (request.external_ids_size() == 0) {
    AddViolation(&result.request, "external_ids", "at least one external id is required");
  }
  for (int i = 0; i < request.external_ids_size(); ++i) {
    FieldViolations out;
    CheckExternalId(request.external_ids(i), IndexPath("external_ids", i), &out);
    AddItemViolations("external_ids", i, std::move(out), &result);
  }
  return result;
}

// ---- Phones to E.164 ----

absl::Status NormalizeActionPhones(v1::IdentifyUsersRequest* request, const std::string& region) {
  for (int i = 0; i < request->phone_numbers_to_identify_size(); ++i) {
    absl::Status status = NormalizePhoneInPlace(
        request->mutable_phone_numbers_to_identify(i)->mutable_phone(),
        FieldPath(IndexPath("phone_numbers_to_identify", i), "phone"), region);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status NormalizeActionPhones(v1::MergeUsersRequest* request, const std::string& region) {
  for (int i = 0; i < request->merge_updates_size(); ++i) {
    v1::MergeUpdate* update = request->mutable_merge_updates(i);
    const std::string path = IndexPath("merge_updates", i);
    if (update->has_identifier_to_merge()) {
      absl::Status status = NormalizeMergeIdentifier(
          update->mutable_identifier_to_merge(), FieldPath(path, "identifier_to_merge"), region);
      if (!status.ok()) return status;
    }
    if (update->has_identifier_to_keep()) {
      absl::Status status = NormalizeMergeIdentifier(update->mutable_identifier_to_keep(),
                                                     FieldPath(path, "identifier_to_keep"), region);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeActionPhones(v1::DeleteUsersRequest* request, const std::string& region) {
  for (int i = 0; i < request->phone_numbers_size(); ++i) {
    absl::Status status =
        NormalizePhoneInPlace(request->mutable_phone_numbers(i)->mutable_phone(),
                              FieldPath(IndexPath("phone_numbers", i), "phone"), region);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace brazesync
