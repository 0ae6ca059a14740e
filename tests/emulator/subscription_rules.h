// What the Braze emulator does with the subscription endpoints
// (shared/reference/braze-api-round2.md §2.10, §2.11, cases 147-158):
//   POST /subscription/status/set      SetSubscriptionStatusV1 (one group)
//   POST /v2/subscription/status/set   SetSubscriptionStatusV2 (several)
//   GET  /subscription/user/status     UserSubscriptionStatus
// The set endpoints answer Braze's 400s before changing anything, then store
// each state on the profiles: an external_id names one profile, an e-mail or
// phone every profile holding it (fan-out, case 156), and when none holds it
// the state is kept as "orphaned" for the first profile that gets that
// address (case 153) — except a phone with use_double_opt_in_logic, which
// then stores nothing (case 154). The read-back lists, per profile, the
// groups with a state, capitalised (case 158). No HTTP here.
#ifndef BRAZESYNC_TESTS_EMULATOR_SUBSCRIPTION_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_SUBSCRIPTION_RULES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/endpoint_answer.h"
#include "tests/emulator/profile_store.h"

namespace brazesync::emulator {

// Per identifier list in one group update, and per query parameter.
inline constexpr size_t kMaxSubscriptionIds = 50;

inline constexpr char kEmailOrPhoneNotBoth[] =
    "Either an email address or a phone number should be provided, but not both.";
inline constexpr char kInvalidExternalIdArray[] =
    "The value provided for the external_ids field is not a valid ID array.";

// v1: {"subscription_group_id", "subscription_state", "external_id"?,
// "email"? | "phone"? (each a string or an array), "use_double_opt_in_logic"?}
// -> 201 {"message": "success"}.
EndpointAnswer SetSubscriptionStatusV1(const nlohmann::json& body, ProfileStore& store);
// v2: {"subscription_groups": [{"subscription_group_id", "subscription_state",
// "external_ids"?, "emails"? | "phones"?, "use_double_opt_in_logic"?}]}
// -> 201 {"message": "success"}.
EndpointAnswer SetSubscriptionStatusV2(const nlohmann::json& body, ProfileStore& store);

// The parameters of GET /subscription/user/status.
struct SubscriptionStatusQuery {
  std::vector<std::string> external_ids;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  int limit = 100;
  int offset = 0;
};

// 200 {"users": [{"external_id"?, "email"?, "phone"?, "subscription_groups":
// [{"id", "name": "", "channel": "", "status": "Subscribed"|"Unsubscribed"}]}],
// "total_count": N, "message": "success"}; each matching profile once, in
// the order asked (external_ids, emails, phones); keys without a value are
// left out.
EndpointAnswer UserSubscriptionStatus(const SubscriptionStatusQuery& query,
                                      const ProfileStore& store);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_SUBSCRIPTION_RULES_H_
