// The BrazeMessaging use case (see trigger_actions.h).
#include "server/actions/trigger_actions.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "server/actions/action_runner.h"
#include "server/braze/action_json.h"
#include "server/braze/converter.h"
#include "server/braze/request_planner.h"
#include "server/track/normalize.h"
#include "server/track/tracker.h"
#include "server/validation/trigger_rules.h"

namespace brazesync {
namespace {

// The recipient's identifier as the user of a Track profile.
v1::UserRef RecipientUser(const v1::Recipient& recipient) {
  v1::UserRef user;
  switch (recipient.id_case()) {
    case v1::Recipient::kExternalUserId:
      user.set_external_id(recipient.external_user_id());
      break;
    case v1::Recipient::kUserAlias:
      *user.mutable_user_alias() = recipient.user_alias();
      break;
    case v1::Recipient::kEmail:
      user.set_email(recipient.email());
      break;
    case v1::Recipient::kBrazeId:
      user.set_braze_id(recipient.braze_id());
      break;
    case v1::Recipient::ID_NOT_SET:
      break;
  }
  return user;
}

}  // namespace

// What differs between a Canvas and a campaign trigger.
struct TriggerActions::Trigger {
  BrazeAction action;
  std::string workspace;
  const google::protobuf::RepeatedPtrField<v1::Recipient>* recipients;
  Json envelope;             // the body without recipients
  TriggerPropertiesKey key;  // where each recipient's properties go
  std::string audience_key;  // broadcasts: id + audience
  std::vector<v1::ActionResult> results;
  bool validate_only = false;
  std::string phone_region;
};

TriggerActions::TriggerActions(const WorkspaceRegistry* workspaces, ActionDispatcher* dispatcher,
                               RecentWrites* writes)
    : workspaces_(workspaces), dispatcher_(dispatcher), writes_(writes) {}

namespace {

// The per-audience key of a broadcast: Braze's 10 per minute are per
// Canvas or campaign and audience.
std::string AudienceKey(const std::string& id, const google::protobuf::Struct& audience) {
  return absl::StrCat(id, "#", absl::Hash<std::string>()(StructToJson(audience).dump()));
}

// The results of a trigger: one per recipient, or one for a broadcast.
std::vector<v1::ActionResult> TriggerResults(int recipients) {
  return MakeResults(
      {recipients > 0 ? ItemArray{"recipients", recipients} : ItemArray{"broadcast", 1}}, nullptr);
}

absl::Status Verdict(const ActionViolations& verdict, bool allow_partial,
                     std::vector<v1::ActionResult>* results) {
  return ApplyVerdict(
      verdict, allow_partial, [](absl::string_view, int index) { return index; }, results);
}

}  // namespace

namespace {

// What differs between the two requests, by overload.
ActionViolations ValidateTrigger(const v1::TriggerCanvasRequest& request,
                                 const ValidationLimits& limits) {
  return ValidateTriggerCanvas(request, limits);
}
ActionViolations ValidateTrigger(const v1::TriggerCampaignRequest& request,
                                 const ValidationLimits& limits) {
  return ValidateTriggerCampaign(request, limits);
}
BrazeAction ActionOf(const v1::TriggerCanvasRequest&) { return BrazeAction::kTriggerCanvas; }
BrazeAction ActionOf(const v1::TriggerCampaignRequest&) { return BrazeAction::kTriggerCampaign; }
TriggerPropertiesKey KeyOf(const v1::TriggerCanvasRequest&, const WorkspaceSettings& workspace) {
  return CanvasPropertiesKeyOf(workspace.actions.canvas_properties_key);
}
TriggerPropertiesKey KeyOf(const v1::TriggerCampaignRequest&, const WorkspaceSettings&) {
  return TriggerPropertiesKey::kTriggerProperties;
}
Json EnvelopeOf(const v1::TriggerCanvasRequest& request, TriggerPropertiesKey key) {
  return TriggerCanvasEnvelope(request, key);
}
Json EnvelopeOf(const v1::TriggerCampaignRequest& request, TriggerPropertiesKey) {
  return TriggerCampaignEnvelope(request);
}
const std::string& IdOf(const v1::TriggerCanvasRequest& request) { return request.canvas_id(); }
const std::string& IdOf(const v1::TriggerCampaignRequest& request) { return request.campaign_id(); }

}  // namespace

template <typename Request>
void TriggerActions::Start(const Request& request, absl::Time deadline, Done done) {
  absl::StatusOr<const WorkspaceSettings*> resolved = workspaces_->Resolve(request.workspace());
  if (!resolved.ok()) return std::move(done)(resolved.status(), {});
  const WorkspaceSettings* workspace = *resolved;
  Trigger trigger;
  trigger.results = TriggerResults(request.recipients_size());
  const absl::Status verdict = Verdict(ValidateTrigger(request, ValidationLimitsFor(*workspace)),
                                       request.allow_partial(), &trigger.results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  trigger.action = ActionOf(request);
  trigger.workspace = workspace->name;
  trigger.recipients = &request.recipients();
  trigger.key = KeyOf(request, *workspace);
  trigger.envelope = EnvelopeOf(request, trigger.key);
  trigger.audience_key = AudienceKey(IdOf(request), request.audience());
  trigger.validate_only = request.validate_only();
  trigger.phone_region = workspace->default_phone_region;
  Run(std::move(trigger), ActionDeadline(*workspace, deadline), std::move(done));
}

void TriggerActions::TriggerCanvas(const v1::TriggerCanvasRequest& request, absl::Time deadline,
                                   Done done) {
  Start(request, deadline, std::move(done));
}

void TriggerActions::TriggerCampaign(const v1::TriggerCampaignRequest& request, absl::Time deadline,
                                     Done done) {
  Start(request, deadline, std::move(done));
}

void TriggerActions::Run(Trigger trigger, absl::Time deadline, Done done) {
  const auto& recipients = *trigger.recipients;
  std::vector<v1::ActionResult>& results = trigger.results;

  // Braze sends one message per user, with the last entry's properties
  // (case 131): only the last entry of each user is sent, whichever call it
  // would have gone in.
  std::vector<int> kept;
  absl::flat_hash_map<std::string, int> last_of_user;
  for (int i = 0; i < recipients.size(); ++i) {
    if (results[i].status() != v1::ACTION_STATUS_UNSPECIFIED) continue;
    last_of_user[UserKey(RecipientUser(recipients[i]))] = i;
  }
  for (int i = 0; i < recipients.size(); ++i) {
    if (results[i].status() != v1::ACTION_STATUS_UNSPECIFIED) continue;
    const int last = last_of_user.at(UserKey(RecipientUser(recipients[i])));
    if (last == i) {
      kept.push_back(i);
      continue;
    }
    results[i].set_status(v1::ACTION_STATUS_DUPLICATE);
    AddWarning(v1::ACTION_WARNING_REPLACES_EARLIER_ENTRY, &results[last]);
  }

  // Each kept recipient's Braze JSON, and its attributes as a Track object
  // (with the recipient's identifier) for read-your-writes.
  std::vector<Json> recipient_json(recipients.size());
  std::vector<std::string> written(recipients.size());
  std::vector<std::string> user_keys(recipients.size());
  for (const int i : kept) {
    const v1::Recipient& recipient = recipients[i];
    user_keys[i] = UserKey(RecipientUser(recipient));
    Json attributes;  // null: none
    if (recipient.has_attributes()) {
      std::optional<v1::UserProfile> normalized;
      const v1::UserProfile& profile =
          WithE164Phones(recipient.attributes(), trigger.phone_region, &normalized);
      attributes = ProfileToBraze(profile);
      v1::UserProfile as_written = profile;
      *as_written.mutable_user() = RecipientUser(recipient);
      written[i] = ProfileToBraze(as_written).dump();
    }
    recipient_json[i] = RecipientToBraze(recipient, trigger.key, attributes);
  }

  std::vector<PlannedCall> calls;
  if (recipients.empty()) {
    PlannedCall call;
    call.body = trigger.envelope.dump();
    call.slots = {0};
    call.has_recipients = false;
    call.audience_key = trigger.audience_key;
    calls.push_back(std::move(call));
  }
  for (const auto& [begin, end] : Chunks(static_cast<int>(kept.size()), kMaxActionItemsPerCall)) {
    PlannedCall call;
    Json body = trigger.envelope;
    Json& list = body["recipients"] = Json::array();
    for (int k = begin; k < end; ++k) {
      list.push_back(recipient_json[kept[k]]);
      call.slots.push_back(kept[k]);
    }
    call.body = body.dump();
    calls.push_back(std::move(call));
  }
  std::vector<std::vector<PlannedCall>> waves = {std::move(calls)};

  if (trigger.validate_only) {
    return std::move(done)(absl::OkStatus(),
                           PreviewResponse<v1::TriggerResponse>(waves, std::move(results)));
  }

  // Whether Braze may create the recipient (else a user it does not know
  // gets nothing, silently).
  std::vector<bool> may_create(recipients.size(), false);
  for (const int i : kept) {
    may_create[i] =
        recipients[i].has_send_to_existing_only() && !recipients[i].send_to_existing_only();
  }
  const bool broadcast = recipients.empty();
  RunActionPlan(dispatcher_, trigger.workspace, trigger.action, std::move(waves),
                std::move(results), deadline,
                [this, workspace = trigger.workspace, broadcast, may_create = std::move(may_create),
                 written = std::move(written), user_keys = std::move(user_keys),
                 done = std::move(done)](ActionRun run) mutable {
                  if (!run.status.ok()) return std::move(done)(run.status, {});
                  v1::TriggerResponse response;
                  std::vector<RecentWrite> writes;
                  const absl::Time now = absl::Now();
                  for (size_t c = 0; c < run.calls.size(); ++c) {
                    if (!run.answers[c].has_value()) continue;
                    const ActionResponseBody& answer = *run.answers[c];
                    if (!answer.dispatch_id.empty()) response.add_dispatch_ids(answer.dispatch_id);
                    for (const int slot : run.call_slots[c]) {
                      v1::ActionResult& result = run.results[slot];
                      result.set_status(v1::ACTION_STATUS_ACCEPTED);
                      if (!answer.notice.empty()) {
                        // Paused or archived: Braze sent nothing (case 138).
                        AddWarning(v1::ACTION_WARNING_CANVAS_NOT_ACTIVE, &result);
                        continue;
                      }
                      if (broadcast) continue;
                      if (!may_create[slot]) {
                        AddWarning(v1::ACTION_WARNING_RECIPIENT_EXISTENCE_NOT_CHECKED, &result);
                      }
                      if (!written[slot].empty()) {
                        RecentWrite write;
                        write.user_key = user_keys[slot];
                        write.array = "attributes";
                        write.braze_json = written[slot];
                        write.written_at = now;
                        writes.push_back(std::move(write));
                      }
                    }
                  }
                  if (writes_ != nullptr && !writes.empty())
                    writes_->Record(workspace, std::move(writes));
                  MoveRunInto(run, response);
                  std::move(done)(absl::OkStatus(), std::move(response));
                });
}

}  // namespace brazesync
