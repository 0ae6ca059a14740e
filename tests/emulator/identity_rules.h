// What the Braze emulator does with the identity endpoints' bodies
// (shared/reference/braze-api-round2.md §2.2-§2.6, cases 95-127):
//   POST /users/alias/new            NewAliases
//   POST /users/identify             IdentifyUsers
//   POST /users/merge                MergeUsers
//   POST /users/delete               DeleteUsers
//   POST /users/external_ids/rename  RenameExternalIds
//   POST /users/external_ids/remove  RemoveExternalIds
// Each judges a parsed JSON object (the HTTP layer has already checked the
// key, the permission, the content type, the rate limit and that the body is
// an object), answers Braze's 400 before changing anything, and otherwise
// applies the request to a ProfileStore and answers as Braze does, including
// Braze's quiet no-op successes (notes say what was not done). No HTTP here.
#ifndef BRAZESYNC_TESTS_EMULATOR_IDENTITY_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_IDENTITY_RULES_H_

#include <cstddef>

#include "nlohmann/json.hpp"
#include "tests/emulator/endpoint_answer.h"
#include "tests/emulator/profile_store.h"

namespace brazesync::emulator {

// Braze's cap on items per identity request.
inline constexpr size_t kMaxIdentityItems = 50;
// Braze's byte limit on alias_name and alias_label.
inline constexpr size_t kMaxAliasPartBytes = 236;

// 201 {"aliases_processed": N, "message": "success"}. An alias whose pair is
// already on any profile, or whose external_id no profile has, or whose
// label the profile already uses, changes nothing yet counts as processed
// (cases 95, 96).
EndpointAnswer NewAliases(const nlohmann::json& body, ProfileStore& store);

// 201 {"aliases_processed", "emails_processed", "phone_numbers_processed",
// "message": "success", "errors"?: [{"type", "input_array", "index"}]}.
// Item problems are listed in errors[] (input_array: the request array's own
// name) and do not fail the request.
EndpointAnswer IdentifyUsers(const nlohmann::json& body, ProfileStore& store);

// 202 {"message": "success"}. The updates of one request are applied in
// REVERSE order (Braze: "order is not guaranteed"), so a dependent chain
// A->B, B->C in one call ends with only A merged into B.
EndpointAnswer MergeUsers(const nlohmann::json& body, ProfileStore& store);

// 201 {"deleted": N, "message": "success"}; N counts every identifier given
// (Braze queues unknown ones too). Deletion is immediate in the store; the
// export shows it export_lag later.
EndpointAnswer DeleteUsers(const nlohmann::json& body, ProfileStore& store);

// 201 {"message": "success", "external_ids": [renamed current ids],
// "rename_errors": [[index, "message"], ...]}.
EndpointAnswer RenameExternalIds(const nlohmann::json& body, ProfileStore& store);

// 201 {"message": "success", "removed_ids": [...],
// "removal_errors": [[index, "message"], ...]}.
EndpointAnswer RemoveExternalIds(const nlohmann::json& body, ProfileStore& store);

// Checks an {"alias_name", "alias_label"} object: both non-empty strings of
// at most 236 bytes.
bool IsValidAlias(const nlohmann::json& alias);

// Braze's prioritization problems for an e-mail or phone identifier, or
// empty when `prioritization` is a valid list. `allow_least`: delete's list
// omits least_recently_updated.
std::string PrioritizationProblem(const nlohmann::json& prioritization, bool allow_least = true);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_IDENTITY_RULES_H_
