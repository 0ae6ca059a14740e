// The rules of the BrazeMessaging requests (braze-api-round2.md §2.8-2.9
// and the §5 cases 128-146): TriggerCanvas and TriggerCampaign, reported as
// action_rules.h says; recipient attributes are checked by Track's
// validator below `recipients[i].attributes`.
#ifndef BRAZESYNC_SERVER_VALIDATION_TRIGGER_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_TRIGGER_RULES_H_

#include <string>

#include "brazesync/v1/messaging.pb.h"
#include "server/validation/action_rules.h"
#include "server/validation/validator.h"

namespace brazesync {

// Request: canvas_id required; broadcast not with recipients; without
// recipients broadcast or audience required. Each recipient: exactly one
// identifier; prioritization with email only; send_to_existing_only false
// needs attributes and is not allowed with user_alias; no
// trigger_properties (campaign-only); attributes valid as Track's
// (`limits`) with `user` empty (the recipient's identifier stands for it)
// and no subscription_groups (Braze ignores them on Canvas triggers); the
// top-level context with the recipient's on top at most 50 KB of JSON
// (kMaxTriggerPropertiesBytes).
ActionViolations ValidateTriggerCanvas(const v1::TriggerCanvasRequest& request,
                                       const ValidationLimits& limits);
// Same for campaigns with trigger_properties (no context); attachments not
// with broadcast, each with file_name and an https url; subscription_groups
// allowed in attributes.
ActionViolations ValidateTriggerCampaign(const v1::TriggerCampaignRequest& request,
                                         const ValidationLimits& limits);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_TRIGGER_RULES_H_
