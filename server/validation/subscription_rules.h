// The rules of the BrazeSubscriptions request (braze-api-round2.md §2.10 and
// the §5 cases 147-158): SetSubscriptionStatus, reported as action_rules.h
// says.
#ifndef BRAZESYNC_SERVER_VALIDATION_SUBSCRIPTION_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_SUBSCRIPTION_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "brazesync/v1/subscriptions.pb.h"
#include "server/validation/action_rules.h"

namespace brazesync {

// At least one entry; each: group id, state SUBSCRIBED or UNSUBSCRIBED
// (OPTED_IN is not a group state), at least one id, emails and phones not
// both, no empty id, email syntax, phones E.164 / default region.
ActionViolations ValidateSetSubscriptionStatus(const v1::SetSubscriptionStatusRequest& request,
                                               const std::string& default_phone_region);

// Rewrites every phone of a validated request to E.164, so the Braze JSON
// carries E.164. INVALID_ARGUMENT when a phone cannot be (validation missed
// it).
absl::Status NormalizeActionPhones(v1::SetSubscriptionStatusRequest* request,
                                   const std::string& region);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_SUBSCRIPTION_RULES_H_
