// The rules of the BrazeIdentity requests (braze-api-round2.md §2.2-2.6 and
// the §5 cases 95-127): CreateAlias, IdentifyUsers, MergeUsers, DeleteUsers,
// RenameExternalIds, RemoveExternalIds, reported as action_rules.h says
// (paths from the request root, request-level rules apart from the items').
#ifndef BRAZESYNC_SERVER_VALIDATION_IDENTITY_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_IDENTITY_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "brazesync/v1/identity.pb.h"
#include "server/validation/action_rules.h"

namespace brazesync {

// External ids non-empty, at most 987 bytes; alias parts 1..236 bytes (never
// case-folded); no (label, name) twice among user_aliases.
ActionViolations ValidateCreateAlias(const v1::CreateAliasRequest& request);
// At least one item across the arrays; each item's external_id; the alias,
// or email syntax, or phone (E.164 / default region); prioritization
// required for email and phone (CheckPrioritization).
ActionViolations ValidateIdentifyUsers(const v1::IdentifyUsersRequest& request,
                                       const std::string& default_phone_region);
// Both identifiers set, each exactly one kind; prioritization with email or
// phone only; phone E.164; identifier_to_merge != identifier_to_keep.
ActionViolations ValidateMergeUsers(const v1::MergeUsersRequest& request,
                                    const std::string& default_phone_region);
// At least one id; confirm_irreversible (unless validate_only);
// prioritization required for emails and phones, without
// LEAST_RECENTLY_UPDATED.
ActionViolations ValidateDeleteUsers(const v1::DeleteUsersRequest& request,
                                     const std::string& default_phone_region);
// Both ids present, at most 987 bytes, different; no new id twice.
ActionViolations ValidateRenameExternalIds(const v1::RenameExternalIdsRequest& request);
ActionViolations ValidateRemoveExternalIds(const v1::RemoveExternalIdsRequest& request);

// Rewrites every phone of a validated request to E.164, so the Braze JSON
// carries E.164. INVALID_ARGUMENT when a phone cannot be (validation missed
// it).
absl::Status NormalizeActionPhones(v1::IdentifyUsersRequest* request, const std::string& region);
absl::Status NormalizeActionPhones(v1::MergeUsersRequest* request, const std::string& region);
absl::Status NormalizeActionPhones(v1::DeleteUsersRequest* request, const std::string& region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_IDENTITY_RULES_H_
