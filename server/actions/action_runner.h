// The machinery every identity, messaging and subscription rpc shares
// (docs/actions.md): the validation verdict turned into the rpc's status or
// per-item REJECTED_INVALID results, and the Braze calls sent through the
// ActionDispatcher in waves (the calls of one wave at once, the waves one
// after another: dependent merges), each call's failure or deferral written
// into the results of the items it carried. What a 2xx answer means per
// item differs per endpoint: the use cases read it from ActionRun.answers.
#ifndef BRAZESYNC_SERVER_ACTIONS_ACTION_RUNNER_H_
#define BRAZESYNC_SERVER_ACTIONS_ACTION_RUNNER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "brazesync/v1/actions.pb.h"
#include "server/braze/action_endpoints.h"
#include "server/braze/action_response.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"
#include "server/validation/action_rules.h"

namespace brazesync {

// One Braze call to make: its body and the result slots (indexes into
// ActionRun.results) of the items it carries, in body order.
struct PlannedCall {
  std::string body;
  std::vector<int> slots;
  // Triggers: see ActionCall.
  bool has_recipients = true;
  std::string audience_key;
};

// What running a plan produced.
struct ActionRun {
  // One per caller item (the use case made them; the runner fills the
  // failures of the calls that carried them).
  std::vector<v1::ActionResult> results;
  // One per call made or given up, in plan order (waves in order).
  std::vector<v1::BrazeCall> calls;
  // Per entry of `calls`: its slots, and Braze's 2xx answer (nullopt when
  // the call failed or was not sent: its items are FAILED or DEFERRED).
  std::vector<std::vector<int>> call_slots;
  std::vector<std::optional<ActionResponseBody>> answers;
  // FAILED_PRECONDITION when Braze refused the workspace's key (or, for a
  // trigger, the Canvas or campaign id) and no call succeeded; else OK.
  absl::Status status;
};

// The results of a request's items, in order, for the arrays and counts
// given ({"aliases_to_identify", 3}, ...). Returns the first slot of each.
struct ItemArray {
  absl::string_view array;
  int count;
};
std::vector<v1::ActionResult> MakeResults(const std::vector<ItemArray>& arrays,
                                          std::vector<int>* first_slots);

// Applies a request's validation verdict: a request-level violation, or an
// item violation without allow_partial, is the rpc's INVALID_ARGUMENT (with
// every violation, the first named in the message); otherwise the invalid
// items' results become REJECTED_INVALID (their `slot_of(array, index)`)
// and OK is returned.
absl::Status ApplyVerdict(const ActionViolations& verdict, bool allow_partial,
                          const std::function<int(absl::string_view array, int index)>& slot_of,
                          std::vector<v1::ActionResult>* results);

// validate_only: every result still UNSPECIFIED becomes VALID, and the
// plan's bodies, in order, are the request bodies.
std::vector<std::string> PreviewPlan(const std::vector<std::vector<PlannedCall>>& waves,
                                     std::vector<v1::ActionResult>* results);

// Sends `waves` of `action` calls for `workspace` and runs `done` once
// every call has finished. Items of a call that failed come back FAILED
// (`retryable` as the endpoint's RetrySafety allows), of a call never sent
// DEFERRED with retry_after; the items of 2xx calls keep their results for
// the use case to fill from `answers`, with braze_call set.
void RunActionPlan(ActionDispatcher* dispatcher, const std::string& workspace, BrazeAction action,
                   std::vector<std::vector<PlannedCall>> waves,
                   std::vector<v1::ActionResult> results, absl::Time deadline,
                   absl::AnyInvocable<void(ActionRun) &&> done);

// How long a call of `workspace` may wait for its rate pool (and retry):
// the workspace's ActionsConfig.max_wait from now, never past the rpc's
// `rpc_deadline`.
absl::Time ActionDeadline(const WorkspaceSettings& workspace, absl::Time rpc_deadline);

// Splits `count` items into runs of at most `per_call` (Braze's 50): the
// [begin, end) ranges.
std::vector<std::pair<int, int>> Chunks(int count, int per_call);

// Adds `warning` to `result` once.
void AddWarning(v1::ActionWarning warning, v1::ActionResult* result);

// The answer of a validate_only request: the exact Braze bodies of `waves`
// and one result per item. `Response` is any of the three action responses
// (IdentityResponse, TriggerResponse, SetSubscriptionStatusResponse), which
// share the fields `results`, `braze_calls` and `braze_request_bodies`.
template <typename Response>
Response PreviewResponse(const std::vector<std::vector<PlannedCall>>& waves,
                         std::vector<v1::ActionResult> results) {
  Response response;
  for (std::string& body : PreviewPlan(waves, &results)) {
    response.add_braze_request_bodies(std::move(body));
  }
  for (v1::ActionResult& result : results) *response.add_results() = std::move(result);
  return response;
}

// Moves a finished run's results and calls into `response` (one of the same
// three).
template <typename Response>
void MoveRunInto(ActionRun& run, Response& response) {
  for (v1::ActionResult& result : run.results) *response.add_results() = std::move(result);
  for (v1::BrazeCall& call : run.calls) *response.add_braze_calls() = std::move(call);
}

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_ACTIONS_ACTION_RUNNER_H_
