// Validation verdicts, previews and the sending of Braze calls in waves,
// shared by the identity, messaging and subscription use cases (see
// action_runner.h).
#include "server/actions/action_runner.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "server/validation/error_details.h"

namespace brazesync {
namespace {

using google::protobuf::util::TimeUtil;

// Whether a failed call failed because of the workspace's configuration:
// Braze refused the key (401/403/404), or the Canvas or campaign id.
bool RefusedByConfiguration(const ActionCallOutcome& outcome) {
  return outcome.attempt.status.code() == absl::StatusCode::kFailedPrecondition ||
         (outcome.attempt.http_status == 400 &&
          IsUnknownMessagingIdMessage(outcome.attempt.body.message));
}

// The items of a call that did not succeed.
void FailItems(const ActionCallOutcome& outcome, RetrySafety safety, absl::Time now,
               const std::vector<int>& slots, std::vector<v1::ActionResult>& results) {
  for (const int slot : slots) {
    v1::ActionResult& result = results[slot];
    if (!outcome.sent) {
      result.set_status(v1::ACTION_STATUS_DEFERRED);
      *result.mutable_retry_after() = TimeUtil::NanosecondsToDuration(
          absl::ToInt64Nanoseconds(std::max(absl::ZeroDuration(), outcome.retry_at - now)));
      result.set_error_message(
          "not sent: the workspace's Braze rate pool had no room before the deadline");
      continue;
    }
    result.set_status(v1::ACTION_STATUS_FAILED);
    result.set_error_message(outcome.attempt.http_status == 400 && RefusedByConfiguration(outcome)
                                 ? absl::StrCat("Braze HTTP 400: ", outcome.attempt.body.message)
                                 : std::string(outcome.attempt.status.message()));
    const bool braze_bug_or_config = RefusedByConfiguration(outcome) ||
                                     outcome.attempt.status.code() == absl::StatusCode::kInternal;
    // An idempotent endpoint may always be sent again; a trigger only when
    // Braze cannot have acted on it (docs/actions.md, "Retries").
    result.set_retryable(!braze_bug_or_config &&
                         (safety == RetrySafety::kIdempotent || !outcome.may_have_been_processed));
  }
}

// One plan being sent.
struct PlanState {
  ActionDispatcher* dispatcher;
  std::string workspace;
  BrazeAction action;
  absl::Time deadline;
  std::vector<std::vector<PlannedCall>> waves;
  absl::AnyInvocable<void(ActionRun) &&> done;

  absl::Mutex mu;
  ActionRun run ABSL_GUARDED_BY(mu);
  size_t wave ABSL_GUARDED_BY(mu) = 0;
  size_t open_calls ABSL_GUARDED_BY(mu) = 0;
  bool any_success ABSL_GUARDED_BY(mu) = false;
  absl::Status refusal ABSL_GUARDED_BY(mu);
};

void StartWave(const std::shared_ptr<PlanState>& state);

// Records one call's outcome; starts the next wave, or finishes, after the
// wave's last call.
void OnCallDone(const std::shared_ptr<PlanState>& state, size_t call_index,
                ActionCallOutcome outcome) {
  const ActionEndpoint& endpoint = EndpointOf(state->action);
  bool wave_done = false;
  {
    absl::MutexLock lock(&state->mu);
    ActionRun& run = state->run;
    v1::BrazeCall& call = run.calls[call_index];
    call.set_attempts(outcome.attempts);
    call.set_http_status(outcome.attempt.http_status);
    if (outcome.sent && outcome.attempt.status.ok()) {
      ActionResponseBody answer = ParseActionResponseBody(outcome.response_body);
      call.set_message(answer.message);
      call.set_dispatch_id(answer.dispatch_id);
      call.set_notice(answer.notice);
      call.set_send_id(answer.send_id);
      run.answers[call_index] = std::move(answer);
      state->any_success = true;
    } else {
      call.set_message(outcome.sent ? outcome.attempt.body.message
                                    : "not sent: no room in the rate pool before the deadline");
      if (outcome.sent && RefusedByConfiguration(outcome) && state->refusal.ok()) {
        state->refusal = absl::FailedPreconditionError(
            outcome.attempt.status.code() == absl::StatusCode::kFailedPrecondition
                ? std::string(outcome.attempt.status.message())
                : absl::StrCat("Braze refused ", endpoint.path, ": ",
                               outcome.attempt.body.message));
      }
      FailItems(outcome, endpoint.retry, absl::Now(), run.call_slots[call_index], run.results);
    }
    wave_done = --state->open_calls == 0;
  }
  if (!wave_done) return;
  bool finished = false;
  {
    absl::MutexLock lock(&state->mu);
    ++state->wave;
    finished = state->wave >= state->waves.size();
    if (finished && !state->any_success && !state->refusal.ok()) {
      state->run.status = state->refusal;
    }
  }
  if (!finished) {
    StartWave(state);
    return;
  }
  ActionRun run;
  {
    absl::MutexLock lock(&state->mu);
    run = std::move(state->run);
  }
  std::move(state->done)(std::move(run));
}

void StartWave(const std::shared_ptr<PlanState>& state) {
  std::vector<std::pair<size_t, ActionCall>> calls;
  {
    absl::MutexLock lock(&state->mu);
    // Waves with no call are skipped.
    while (state->wave < state->waves.size() && state->waves[state->wave].empty()) ++state->wave;
    if (state->wave < state->waves.size()) {
      for (PlannedCall& planned : state->waves[state->wave]) {
        const size_t index = state->run.calls.size();
        v1::BrazeCall& call = *state->run.calls.emplace(state->run.calls.end());
        call.set_endpoint(std::string(EndpointOf(state->action).path));
        state->run.call_slots.push_back(planned.slots);
        state->run.answers.emplace_back();
        for (const int slot : planned.slots) {
          state->run.results[slot].set_braze_call(static_cast<int>(index));
        }
        ActionCall call_to_make;
        call_to_make.workspace = state->workspace;
        call_to_make.action = state->action;
        call_to_make.body = std::move(planned.body);
        call_to_make.has_recipients = planned.has_recipients;
        call_to_make.audience_key = std::move(planned.audience_key);
        call_to_make.deadline = state->deadline;
        calls.emplace_back(index, std::move(call_to_make));
      }
      state->open_calls = calls.size();
    }
  }
  if (calls.empty()) {
    ActionRun run;
    {
      absl::MutexLock lock(&state->mu);
      if (!state->any_success && !state->refusal.ok()) state->run.status = state->refusal;
      run = std::move(state->run);
    }
    std::move(state->done)(std::move(run));
    return;
  }
  for (auto& [index, call] : calls) {
    state->dispatcher->Call(std::move(call), [state, index = index](ActionCallOutcome outcome) {
      OnCallDone(state, index, std::move(outcome));
    });
  }
}

}  // namespace

std::vector<v1::ActionResult> MakeResults(const std::vector<ItemArray>& arrays,
                                          std::vector<int>* first_slots) {
  std::vector<v1::ActionResult> results;
  for (const ItemArray& array : arrays) {
    if (first_slots != nullptr) first_slots->push_back(static_cast<int>(results.size()));
    for (int i = 0; i < array.count; ++i) {
      v1::ActionResult& result = results.emplace_back();
      result.set_array(std::string(array.array));
      result.set_index(i);
    }
  }
  return results;
}

absl::Status ApplyVerdict(const ActionViolations& verdict, bool allow_partial,
                          const std::function<int(absl::string_view array, int index)>& slot_of,
                          std::vector<v1::ActionResult>* results) {
  if (verdict.ok()) return absl::OkStatus();
  if (!verdict.request.empty() || !allow_partial) {
    const FieldViolations all = verdict.All();
    const int invalid_items = static_cast<int>(verdict.items.size());
    std::string message =
        verdict.request.empty()
            ? absl::StrCat(invalid_items, " of ", results->size(), " items ",
                           invalid_items == 1 ? "is" : "are", " invalid; nothing was sent")
            : "the request is invalid; nothing was sent";
    absl::StrAppend(&message, ". First: ", all.front().field(), ": ", all.front().description());
    return InvalidArgumentWithViolations(message, all);
  }
  for (const ItemViolations& item : verdict.items) {
    v1::ActionResult& result = (*results)[slot_of(item.array, item.index)];
    result.set_status(v1::ACTION_STATUS_REJECTED_INVALID);
    for (const v1::FieldViolation& violation : item.violations) {
      *result.add_violations() = violation;
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> PreviewPlan(const std::vector<std::vector<PlannedCall>>& waves,
                                     std::vector<v1::ActionResult>* results) {
  std::vector<std::string> bodies;
  for (const std::vector<PlannedCall>& wave : waves) {
    for (const PlannedCall& call : wave) bodies.push_back(call.body);
  }
  for (v1::ActionResult& result : *results) {
    if (result.status() == v1::ACTION_STATUS_UNSPECIFIED) {
      result.set_status(v1::ACTION_STATUS_VALID);
    }
  }
  return bodies;
}

void RunActionPlan(ActionDispatcher* dispatcher, const std::string& workspace, BrazeAction action,
                   std::vector<std::vector<PlannedCall>> waves,
                   std::vector<v1::ActionResult> results, absl::Time deadline,
                   absl::AnyInvocable<void(ActionRun) &&> done) {
  auto state = std::make_shared<PlanState>();
  state->dispatcher = dispatcher;
  state->workspace = workspace;
  state->action = action;
  state->deadline = deadline;
  state->waves = std::move(waves);
  state->done = std::move(done);
  {
    absl::MutexLock lock(&state->mu);
    state->run.results = std::move(results);
  }
  StartWave(state);
}

absl::Time ActionDeadline(const WorkspaceSettings& workspace, absl::Time rpc_deadline) {
  return std::min(rpc_deadline, absl::Now() + workspace.actions.max_wait);
}

std::vector<std::pair<int, int>> Chunks(int count, int per_call) {
  std::vector<std::pair<int, int>> chunks;
  for (int begin = 0; begin < count; begin += per_call) {
    chunks.emplace_back(begin, std::min(count, begin + per_call));
  }
  return chunks;
}

void AddWarning(v1::ActionWarning warning, v1::ActionResult* result) {
  for (const int existing : result->warnings()) {
    if (existing == warning) return;
  }
  result->add_warnings(warning);
}

}  // namespace brazesync
