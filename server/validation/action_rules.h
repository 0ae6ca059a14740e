// The rules of the identity, messaging and subscription requests
// (braze-api-round2.md §2.2-2.10 and the §5 cases 95-157), reported like
// Track's: one FieldViolation per broken rule with a path from the request
// root (`aliases_to_identify[2].user_alias.alias_name`,
// `recipients[4].attributes.first_name`), so a caller sees every problem at
// once. Request-level rules (broadcast with recipients, no item at all,
// confirm_irreversible) are reported apart from the items' own, so that
// allow_partial can send the valid items of a request whose request-level
// rules hold.
//
// Item counts are not limited: the use cases split items into Braze's 50 per
// call. Phones may be national numbers of the workspace's default region;
// NormalizeActionPhones turns them into E.164 after validation.
//
// This header holds what the three services share (the violation types,
// prioritization and the identifier checks); each service's rules are in
// identity_rules.h, trigger_rules.h and subscription_rules.h.
#ifndef BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"
#include "google/protobuf/repeated_field.h"
#include "server/validation/violations.h"

namespace brazesync {

// The violations of one caller item: `array` and `index` say which
// ("aliases_to_identify", 2).
struct ItemViolations {
  std::string array;
  int index = 0;
  FieldViolations violations;
};

struct ActionViolations {
  // Rules of the request as a whole; any of them rejects the whole request
  // whatever allow_partial says.
  FieldViolations request;
  // Only items with at least one violation, in request order.
  std::vector<ItemViolations> items;

  bool ok() const { return request.empty() && items.empty(); }
  // Every violation, request-level first (for google.rpc.BadRequest).
  FieldViolations All() const;
};

// ---- Shared ----
// Braze's prioritization rules at `path`: required (when `required`), no
// UNSPECIFIED, no value twice, not both IDENTIFIED and UNIDENTIFIED, not
// both MOST_ and LEAST_RECENTLY_UPDATED, no LEAST_RECENTLY_UPDATED unless
// `allow_least_recently_updated` (delete refuses it).
void CheckPrioritization(const google::protobuf::RepeatedField<int>& values,
                         const std::string& path, bool required, bool allow_least_recently_updated,
                         FieldViolations* out);

// ---- Building blocks of the per-service rules ----
// The Check* functions append their violations to `out`, at or below `path`.

// Keeps `violations` as the item (`array`, `index`) of `out` when there are
// any, so `out->items` lists only invalid items, in the order added.
void AddItemViolations(const std::string& array, int index, FieldViolations violations,
                       ActionViolations* out);
// Not empty, at most kMaxExternalIdBytes (987) bytes.
void CheckExternalId(absl::string_view id, const std::string& path, FieldViolations* out);
// `path.alias_name` and `path.alias_label`: each 1..kMaxAliasPartBytes (236)
// bytes, case kept.
void CheckAliasParts(absl::string_view name, absl::string_view label, const std::string& path,
                     FieldViolations* out);
void CheckUserAlias(const v1::UserAlias& alias, const std::string& path, FieldViolations* out);
// Not empty, address syntax (field_syntax.h IsValidEmail).
void CheckEmailAddress(absl::string_view email, const std::string& path, FieldViolations* out);
// Not empty, E.164 or a national number of `region` (NormalizePhone).
void CheckPhoneNumber(absl::string_view phone, const std::string& path, const std::string& region,
                      FieldViolations* out);
// `*phone` rewritten to E.164; INVALID_ARGUMENT naming `path` when it
// cannot be (NormalizeActionPhones).
absl::Status NormalizePhoneInPlace(std::string* phone, const std::string& path,
                                   const std::string& region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_ACTION_RULES_H_
