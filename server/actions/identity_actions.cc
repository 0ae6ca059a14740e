// The BrazeIdentity use case (see identity_actions.h).
#include "server/actions/identity_actions.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/actions/action_runner.h"
#include "server/braze/action_json.h"
#include "server/braze/action_response.h"
#include "server/braze/request_planner.h"
#include "server/validation/identity_rules.h"

namespace brazesync {
namespace {

constexpr int kPerCall = kMaxActionItemsPerCall;

std::string ExternalIdKey(const std::string& external_id) {
  v1::UserRef user;
  user.set_external_id(external_id);
  return UserKey(user);
}

std::string AliasKey(const v1::UserAlias& alias) {
  v1::UserRef user;
  *user.mutable_user_alias() = alias;
  return UserKey(user);
}

std::string EmailKey(const std::string& email) {
  v1::UserRef user;
  user.set_email(email);
  return UserKey(user);
}

std::string PhoneKey(const std::string& phone) {
  v1::UserRef user;
  user.set_phone(phone);
  return UserKey(user);
}

std::string BrazeIdKey(const std::string& braze_id) {
  v1::UserRef user;
  user.set_braze_id(braze_id);
  return UserKey(user);
}

std::string MergeIdentifierKey(const v1::MergeIdentifier& identifier) {
  switch (identifier.id_case()) {
    case v1::MergeIdentifier::kExternalId:
      return ExternalIdKey(identifier.external_id());
    case v1::MergeIdentifier::kUserAlias:
      return AliasKey(identifier.user_alias());
    case v1::MergeIdentifier::kEmail:
      return EmailKey(identifier.email());
    case v1::MergeIdentifier::kPhone:
      return PhoneKey(identifier.phone());
    case v1::MergeIdentifier::ID_NOT_SET:
      break;
  }
  return "";
}

// The slot of item `index` of `array` given each array's first slot.
std::function<int(absl::string_view, int)> SlotsOf(std::vector<ItemArray> arrays,
                                                   std::vector<int> first_slots) {
  return [arrays = std::move(arrays), first_slots = std::move(first_slots)](absl::string_view array,
                                                                            int index) {
    for (size_t a = 0; a < arrays.size(); ++a) {
      if (arrays[a].array == array) return first_slots[a] + index;
    }
    return first_slots.front() + index;
  };
}

// The slots still to send (validation did not reject them), in order.
std::vector<int> OpenSlots(const std::vector<v1::ActionResult>& results, int begin, int end) {
  std::vector<int> open;
  for (int slot = begin; slot < end; ++slot) {
    if (results[slot].status() == v1::ACTION_STATUS_UNSPECIFIED) open.push_back(slot);
  }
  return open;
}

// One wave of calls of at most kPerCall of `slots`, each body made by
// `body_of` from the slots it carries.
std::vector<PlannedCall> ChunkCalls(
    const std::vector<int>& slots,
    const std::function<std::string(const std::vector<int>& chunk)>& body_of) {
  std::vector<PlannedCall> calls;
  for (const auto& [begin, end] : Chunks(static_cast<int>(slots.size()), kPerCall)) {
    PlannedCall call;
    call.slots.assign(slots.begin() + begin, slots.begin() + end);
    call.body = body_of(call.slots);
    calls.push_back(std::move(call));
  }
  return calls;
}

// Copies a finished run into `response`; `accepted` runs for each call
// Braze answered 2xx, with its answer and the slots it carried.
void FinishRun(
    ActionRun run, v1::IdentityResponse response,
    const std::function<void(const ActionResponseBody& answer, const std::vector<int>& slots,
                             std::vector<v1::ActionResult>& results,
                             v1::IdentityResponse& response)>& accepted,
    IdentityActions::Done done) {
  if (!run.status.ok()) {
    std::move(done)(run.status, {});
    return;
  }
  for (size_t c = 0; c < run.calls.size(); ++c) {
    if (!run.answers[c].has_value()) continue;
    accepted(*run.answers[c], run.call_slots[c], run.results, response);
  }
  MoveRunInto(run, response);
  std::move(done)(absl::OkStatus(), std::move(response));
}

// The results of a validate_only request.
void FinishPreview(const std::vector<std::vector<PlannedCall>>& waves,
                   std::vector<v1::ActionResult> results, IdentityActions::Done done) {
  std::move(done)(absl::OkStatus(),
                  PreviewResponse<v1::IdentityResponse>(waves, std::move(results)));
}

// Marks the items of an accepted call ACCEPTED with `warnings`, except
// those Braze listed in `errors` (REJECTED_BY_BRAZE). An error's index
// counts in its own input array among this call's items of that array
// (`array_of` says each slot's array), or, for Braze's "user_identifiers",
// in the call's items as a whole.
void AcceptItems(const ActionResponseBody& answer, const std::vector<int>& slots,
                 const std::function<std::string(int slot)>& array_of,
                 std::initializer_list<v1::ActionWarning> warnings,
                 std::vector<v1::ActionResult>& results) {
  absl::flat_hash_map<std::string, std::vector<int>> by_array;
  for (const int slot : slots) by_array[array_of(slot)].push_back(slot);
  for (const BrazeItemError& error : answer.errors) {
    int slot = -1;
    const auto found = by_array.find(error.input_array);
    if (found != by_array.end()) {
      if (error.index >= 0 && error.index < static_cast<int>(found->second.size())) {
        slot = found->second[error.index];
      }
    } else if (error.index >= 0 && error.index < static_cast<int>(slots.size())) {
      slot = slots[error.index];
    }
    if (slot < 0) continue;
    results[slot].set_status(v1::ACTION_STATUS_REJECTED_BY_BRAZE);
    results[slot].set_braze_error(error.type);
  }
  for (const int slot : slots) {
    if (results[slot].status() != v1::ACTION_STATUS_UNSPECIFIED) continue;
    results[slot].set_status(v1::ACTION_STATUS_ACCEPTED);
    for (const v1::ActionWarning warning : warnings) AddWarning(warning, &results[slot]);
  }
}

// Waves of merge updates, in the request's order: an update goes after
// every earlier one it depends on (Braze's order within a call is not
// guaranteed): one that merged away a profile this update names (A into B
// before A into C or C into A), or one that kept the profile this update
// merges away (A into B before B into C). Merges into the same kept profile
// do not depend on each other.
std::vector<std::vector<int>> MergeWaves(const v1::MergeUsersRequest& request,
                                         const std::vector<int>& open) {
  absl::flat_hash_map<std::string, int> merged_in;   // identifier -> last wave merging it away
  absl::flat_hash_map<std::string, int> touched_in;  // identifier -> last wave naming it
  const auto wave_after = [](const absl::flat_hash_map<std::string, int>& waves,
                             const std::string& key) {
    const auto found = waves.find(key);
    return found == waves.end() ? 0 : found->second + 1;
  };
  std::vector<std::vector<int>> waves;
  for (const int index : open) {
    const v1::MergeUpdate& update = request.merge_updates(index);
    const std::string merged = MergeIdentifierKey(update.identifier_to_merge());
    const std::string kept = MergeIdentifierKey(update.identifier_to_keep());
    const int wave = std::max({wave_after(touched_in, merged), wave_after(merged_in, kept)});
    if (wave >= static_cast<int>(waves.size())) waves.resize(wave + 1);
    waves[wave].push_back(index);
    merged_in[merged] = std::max(merged_in[merged], wave);
    for (const std::string& key : {merged, kept}) touched_in[key] = std::max(touched_in[key], wave);
  }
  return waves;
}

// A rename or remove answer: Braze's indexed errors (into the call's
// items) reject their items; an item whose id Braze lists as done
// (`done_ids`) is APPLIED; any other is ACCEPTED.
void ApplyIdListAnswer(const std::vector<IndexedBrazeError>& errors,
                       const std::vector<std::string>& done_ids, const std::vector<int>& slots,
                       const std::function<std::string(int slot)>& id_of,
                       std::vector<v1::ActionResult>& results) {
  for (const IndexedBrazeError& error : errors) {
    if (error.index < 0 || error.index >= static_cast<int>(slots.size())) continue;
    v1::ActionResult& result = results[slots[error.index]];
    result.set_status(v1::ACTION_STATUS_REJECTED_BY_BRAZE);
    result.set_braze_error(error.message);
  }
  for (const int slot : slots) {
    v1::ActionResult& result = results[slot];
    if (result.status() != v1::ACTION_STATUS_UNSPECIFIED) continue;
    const bool done = std::find(done_ids.begin(), done_ids.end(), id_of(slot)) != done_ids.end();
    result.set_status(done ? v1::ACTION_STATUS_APPLIED : v1::ACTION_STATUS_ACCEPTED);
  }
}

}  // namespace

IdentityActions::IdentityActions(const WorkspaceRegistry* workspaces, ActionDispatcher* dispatcher,
                                 UserLookup* lookup, RecentWrites* writes)
    : workspaces_(workspaces), dispatcher_(dispatcher), lookup_(lookup), writes_(writes) {}

void IdentityActions::ForgetUsers(const std::string& workspace,
                                  const std::vector<std::string>& user_keys) {
  if (lookup_ != nullptr && !user_keys.empty()) lookup_->ForgetUsers(workspace, user_keys);
}

void IdentityActions::SendOneArray(const OneArray& rpc, absl::Time deadline, Done done) {
  absl::StatusOr<const WorkspaceSettings*> workspace = workspaces_->Resolve(rpc.workspace);
  if (!workspace.ok()) return std::move(done)(workspace.status(), {});
  const std::vector<ItemArray> arrays = {{rpc.array, rpc.count}};
  std::vector<int> first;
  std::vector<v1::ActionResult> results = MakeResults(arrays, &first);
  const absl::Status verdict =
      ApplyVerdict(*rpc.verdict, rpc.allow_partial, SlotsOf(arrays, first), &results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  std::vector<std::vector<PlannedCall>> waves = {
      ChunkCalls(OpenSlots(results, 0, rpc.count), [&](const std::vector<int>& slots) {
        Json items = Json::array();
        for (const int slot : slots) items.push_back(rpc.item_json(slot));
        return MakeActionBody(rpc.array, items);
      })};
  if (rpc.validate_only) return FinishPreview(waves, std::move(results), std::move(done));

  const std::string name = (*workspace)->name;
  RunActionPlan(dispatcher_, name, rpc.action, std::move(waves), std::move(results),
                ActionDeadline(**workspace, deadline),
                [this, name, read_answer = rpc.read_answer, keys_of = rpc.keys_of,
                 done = std::move(done)](ActionRun run) mutable {
                  FinishRun(
                      std::move(run), {},
                      [&](const ActionResponseBody& answer, const std::vector<int>& slots,
                          std::vector<v1::ActionResult>& results, v1::IdentityResponse& response) {
                        read_answer(answer, slots, results, response);
                        std::vector<std::string> keys;
                        for (const int slot : slots) {
                          for (std::string& key : keys_of(slot)) keys.push_back(std::move(key));
                        }
                        ForgetUsers(name, keys);
                      },
                      std::move(done));
                });
}

void IdentityActions::CreateAlias(const v1::CreateAliasRequest& request, absl::Time deadline,
                                  Done done) {
  const ActionViolations verdict = ValidateCreateAlias(request);
  OneArray rpc{
      request.workspace(),     "user_aliases",          request.user_aliases_size(), &verdict,
      request.validate_only(), request.allow_partial(), BrazeAction::kCreateAlias};
  rpc.item_json = [request](int i) { return NewUserAliasToBraze(request.user_aliases(i)); };
  rpc.read_answer = [](const ActionResponseBody& answer, const std::vector<int>& slots,
                       std::vector<v1::ActionResult>& results, v1::IdentityResponse& response) {
    response.set_aliases_processed(response.aliases_processed() +
                                   answer.aliases_processed.value_or(0));
    AcceptItems(
        answer, slots, [](int) { return std::string("user_aliases"); },
        {v1::ACTION_WARNING_SUCCESS_MAY_BE_NOOP}, results);
  };
  rpc.keys_of = [request](int i) {
    const v1::NewUserAlias& alias = request.user_aliases(i);
    v1::UserAlias pair;
    pair.set_alias_name(alias.alias_name());
    pair.set_alias_label(alias.alias_label());
    std::vector<std::string> keys = {AliasKey(pair)};
    if (alias.has_external_id()) keys.push_back(ExternalIdKey(alias.external_id()));
    return keys;
  };
  SendOneArray(rpc, deadline, std::move(done));
}

void IdentityActions::IdentifyUsers(const v1::IdentifyUsersRequest& original, absl::Time deadline,
                                    Done done) {
  absl::StatusOr<const WorkspaceSettings*> workspace = workspaces_->Resolve(original.workspace());
  if (!workspace.ok()) return std::move(done)(workspace.status(), {});
  const std::vector<ItemArray> arrays = {
      {"aliases_to_identify", original.aliases_to_identify_size()},
      {"emails_to_identify", original.emails_to_identify_size()},
      {"phone_numbers_to_identify", original.phone_numbers_to_identify_size()}};
  std::vector<int> first;
  std::vector<v1::ActionResult> results = MakeResults(arrays, &first);
  const absl::Status verdict =
      ApplyVerdict(ValidateIdentifyUsers(original, (*workspace)->default_phone_region),
                   original.allow_partial(), SlotsOf(arrays, first), &results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  v1::IdentifyUsersRequest request = original;
  if (absl::Status normalized = NormalizeActionPhones(&request, (*workspace)->default_phone_region);
      !normalized.ok()) {
    return std::move(done)(normalized, {});
  }

  // A slot's array and index within it.
  const auto locate = [first](int slot) -> std::pair<int, int> {
    int array = 0;
    while (array + 1 < static_cast<int>(first.size()) && slot >= first[array + 1]) ++array;
    return {array, slot - first[array]};
  };
  std::vector<std::vector<PlannedCall>> waves = {ChunkCalls(
      OpenSlots(results, 0, static_cast<int>(results.size())), [&](const std::vector<int>& slots) {
        Json aliases = Json::array();
        Json emails = Json::array();
        Json phones = Json::array();
        for (const int slot : slots) {
          const auto [array, index] = locate(slot);
          if (array == 0)
            aliases.push_back(AliasToIdentifyToBraze(request.aliases_to_identify(index)));
          if (array == 1)
            emails.push_back(EmailToIdentifyToBraze(request.emails_to_identify(index)));
          if (array == 2) {
            phones.push_back(PhoneToIdentifyToBraze(request.phone_numbers_to_identify(index)));
          }
        }
        Json body = Json::object();
        if (!aliases.empty()) body["aliases_to_identify"] = std::move(aliases);
        if (!emails.empty()) body["emails_to_identify"] = std::move(emails);
        if (!phones.empty()) body["phone_numbers_to_identify"] = std::move(phones);
        return body.dump();
      })};
  if (request.validate_only()) return FinishPreview(waves, std::move(results), std::move(done));

  const std::string name = (*workspace)->name;
  RunActionPlan(
      dispatcher_, name, BrazeAction::kIdentifyUsers, std::move(waves), std::move(results),
      ActionDeadline(**workspace, deadline),
      [this, request = std::move(request), name, locate,
       done = std::move(done)](ActionRun run) mutable {
        static constexpr const char* kArrays[] = {"aliases_to_identify", "emails_to_identify",
                                                  "phone_numbers_to_identify"};
        FinishRun(
            std::move(run), {},
            [&](const ActionResponseBody& answer, const std::vector<int>& slots,
                std::vector<v1::ActionResult>& results, v1::IdentityResponse& response) {
              response.set_aliases_processed(response.aliases_processed() +
                                             answer.aliases_processed.value_or(0));
              response.set_emails_processed(response.emails_processed() +
                                            answer.emails_processed.value_or(0));
              response.set_phone_numbers_processed(response.phone_numbers_processed() +
                                                   answer.phone_numbers_processed.value_or(0));
              // Braze answers success for an alias that matches nothing (its
              // case differs), an email or phone shared by several users, or
              // a user that already has an alias with the same label.
              AcceptItems(
                  answer, slots, [&](int slot) { return std::string(kArrays[locate(slot).first]); },
                  {v1::ACTION_WARNING_MERGE_NOT_GUARANTEED}, results);
              std::vector<std::string> keys;
              for (const int slot : slots) {
                const auto [array, index] = locate(slot);
                if (array == 0) {
                  const v1::AliasToIdentify& item = request.aliases_to_identify(index);
                  if (results[slot].status() == v1::ACTION_STATUS_ACCEPTED) {
                    AddWarning(v1::ACTION_WARNING_SUCCESS_MAY_BE_NOOP, &results[slot]);
                  }
                  keys.push_back(ExternalIdKey(item.external_id()));
                  keys.push_back(AliasKey(item.user_alias()));
                } else if (array == 1) {
                  const v1::EmailToIdentify& item = request.emails_to_identify(index);
                  keys.push_back(ExternalIdKey(item.external_id()));
                  keys.push_back(EmailKey(item.email()));
                } else {
                  const v1::PhoneToIdentify& item = request.phone_numbers_to_identify(index);
                  keys.push_back(ExternalIdKey(item.external_id()));
                  keys.push_back(PhoneKey(item.phone()));
                }
              }
              ForgetUsers(name, keys);
            },
            std::move(done));
      });
}

void IdentityActions::MergeUsers(const v1::MergeUsersRequest& original, absl::Time deadline,
                                 Done done) {
  absl::StatusOr<const WorkspaceSettings*> workspace = workspaces_->Resolve(original.workspace());
  if (!workspace.ok()) return std::move(done)(workspace.status(), {});
  const std::vector<ItemArray> arrays = {{"merge_updates", original.merge_updates_size()}};
  std::vector<int> first;
  std::vector<v1::ActionResult> results = MakeResults(arrays, &first);
  const absl::Status verdict =
      ApplyVerdict(ValidateMergeUsers(original, (*workspace)->default_phone_region),
                   original.allow_partial(), SlotsOf(arrays, first), &results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  v1::MergeUsersRequest request = original;
  if (absl::Status normalized = NormalizeActionPhones(&request, (*workspace)->default_phone_region);
      !normalized.ok()) {
    return std::move(done)(normalized, {});
  }

  std::vector<std::vector<PlannedCall>> waves;
  for (const std::vector<int>& wave :
       MergeWaves(request, OpenSlots(results, 0, request.merge_updates_size()))) {
    waves.push_back(ChunkCalls(wave, [&](const std::vector<int>& slots) {
      Json items = Json::array();
      for (const int slot : slots) items.push_back(MergeUpdateToBraze(request.merge_updates(slot)));
      return MakeActionBody("merge_updates", items);
    }));
  }
  if (request.validate_only()) return FinishPreview(waves, std::move(results), std::move(done));

  const std::string name = (*workspace)->name;
  RunActionPlan(
      dispatcher_, name, BrazeAction::kMergeUsers, std::move(waves), std::move(results),
      ActionDeadline(**workspace, deadline),
      [this, request = std::move(request), name, done = std::move(done)](ActionRun run) mutable {
        FinishRun(
            std::move(run), {},
            [&](const ActionResponseBody& answer, const std::vector<int>& slots,
                std::vector<v1::ActionResult>& results, v1::IdentityResponse&) {
              // 202: Braze merges later; it skips profiles marked for
              // deletion or in the Global Control Group without a word.
              AcceptItems(
                  answer, slots, [](int) { return std::string("merge_updates"); },
                  {v1::ACTION_WARNING_QUEUED, v1::ACTION_WARNING_MERGE_NOT_GUARANTEED}, results);
              std::vector<std::string> keys;
              std::vector<std::string> merged_away;
              for (const int slot : slots) {
                const v1::MergeUpdate& update = request.merge_updates(slot);
                merged_away.push_back(MergeIdentifierKey(update.identifier_to_merge()));
                keys.push_back(merged_away.back());
                keys.push_back(MergeIdentifierKey(update.identifier_to_keep()));
              }
              ForgetUsers(name, keys);
              // The merged profile is gone: BrazeSync's earlier writes to it
              // must not make lookups answer it as still there.
              if (writes_ != nullptr) writes_->Forget(name, merged_away);
            },
            std::move(done));
      });
}

void IdentityActions::DeleteUsers(const v1::DeleteUsersRequest& original, absl::Time deadline,
                                  Done done) {
  absl::StatusOr<const WorkspaceSettings*> workspace = workspaces_->Resolve(original.workspace());
  if (!workspace.ok()) return std::move(done)(workspace.status(), {});
  const std::vector<ItemArray> arrays = {{"external_ids", original.external_ids_size()},
                                         {"user_aliases", original.user_aliases_size()},
                                         {"braze_ids", original.braze_ids_size()},
                                         {"email_addresses", original.email_addresses_size()},
                                         {"phone_numbers", original.phone_numbers_size()}};
  std::vector<int> first;
  std::vector<v1::ActionResult> results = MakeResults(arrays, &first);
  const absl::Status verdict =
      ApplyVerdict(ValidateDeleteUsers(original, (*workspace)->default_phone_region),
                   original.allow_partial(), SlotsOf(arrays, first), &results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  v1::DeleteUsersRequest request = original;
  if (absl::Status normalized = NormalizeActionPhones(&request, (*workspace)->default_phone_region);
      !normalized.ok()) {
    return std::move(done)(normalized, {});
  }

  // Each item's Braze JSON and lookup key, by slot.
  std::vector<Json> item_json(results.size());
  std::vector<std::string> item_key(results.size());
  for (int i = 0; i < request.external_ids_size(); ++i) {
    item_json[first[0] + i] = request.external_ids(i);
    item_key[first[0] + i] = ExternalIdKey(request.external_ids(i));
  }
  for (int i = 0; i < request.user_aliases_size(); ++i) {
    item_json[first[1] + i] = UserAliasToBraze(request.user_aliases(i));
    item_key[first[1] + i] = AliasKey(request.user_aliases(i));
  }
  for (int i = 0; i < request.braze_ids_size(); ++i) {
    item_json[first[2] + i] = request.braze_ids(i);
    item_key[first[2] + i] = BrazeIdKey(request.braze_ids(i));
  }
  for (int i = 0; i < request.email_addresses_size(); ++i) {
    item_json[first[3] + i] = EmailToDeleteToBraze(request.email_addresses(i));
    item_key[first[3] + i] = EmailKey(request.email_addresses(i).email());
  }
  for (int i = 0; i < request.phone_numbers_size(); ++i) {
    item_json[first[4] + i] = PhoneToDeleteToBraze(request.phone_numbers(i));
    item_key[first[4] + i] = PhoneKey(request.phone_numbers(i).phone());
  }
  // Braze takes one identifier kind per request (case 117): one call per
  // kind and chunk, all at once.
  std::vector<PlannedCall> calls;
  for (size_t a = 0; a < arrays.size(); ++a) {
    const std::string array(arrays[a].array);
    for (PlannedCall& call : ChunkCalls(OpenSlots(results, first[a], first[a] + arrays[a].count),
                                        [&](const std::vector<int>& slots) {
                                          Json items = Json::array();
                                          for (const int slot : slots)
                                            items.push_back(item_json[slot]);
                                          return MakeActionBody(array, items);
                                        })) {
      calls.push_back(std::move(call));
    }
  }
  std::vector<std::vector<PlannedCall>> waves = {std::move(calls)};
  if (request.validate_only()) return FinishPreview(waves, std::move(results), std::move(done));

  const std::string name = (*workspace)->name;
  const absl::Duration tombstone = (*workspace)->actions.delete_tombstone;
  RunActionPlan(dispatcher_, name, BrazeAction::kDeleteUsers, std::move(waves), std::move(results),
                ActionDeadline(**workspace, deadline),
                [this, name, tombstone, item_key = std::move(item_key),
                 done = std::move(done)](ActionRun run) mutable {
                  FinishRun(
                      std::move(run), {},
                      [&](const ActionResponseBody& answer, const std::vector<int>& slots,
                          std::vector<v1::ActionResult>& results, v1::IdentityResponse& response) {
                        response.set_deleted(response.deleted() + answer.deleted.value_or(0));
                        AcceptItems(
                            answer, slots, [&](int slot) { return results[slot].array(); },
                            {v1::ACTION_WARNING_QUEUED}, results);
                        std::vector<std::string> keys;
                        keys.reserve(slots.size());
                        for (const int slot : slots) keys.push_back(item_key[slot]);
                        // Braze's export may show deleted users for minutes (case
                        // 119): lookups answer NOT_FOUND meanwhile, and BrazeSync's
                        // own recent writes must not bring them back.
                        const absl::Time now = absl::Now();
                        if (lookup_ != nullptr)
                          lookup_->MarkDeleted(name, keys, now, now + tombstone);
                        if (writes_ != nullptr) writes_->Forget(name, keys);
                      },
                      std::move(done));
                });
}

void IdentityActions::RenameExternalIds(const v1::RenameExternalIdsRequest& request,
                                        absl::Time deadline, Done done) {
  const ActionViolations verdict = ValidateRenameExternalIds(request);
  OneArray rpc{request.workspace(),
               "external_id_renames",
               request.external_id_renames_size(),
               &verdict,
               request.validate_only(),
               request.allow_partial(),
               BrazeAction::kRenameExternalIds};
  rpc.item_json = [request](int i) {
    return ExternalIdRenameToBraze(request.external_id_renames(i));
  };
  rpc.read_answer = [request](const ActionResponseBody& answer, const std::vector<int>& slots,
                              std::vector<v1::ActionResult>& results,
                              v1::IdentityResponse& response) {
    ApplyIdListAnswer(
        answer.rename_errors, answer.external_ids, slots,
        [&](int slot) { return request.external_id_renames(slot).current_external_id(); }, results);
    for (const std::string& id : answer.external_ids) response.add_external_ids(id);
  };
  rpc.keys_of = [request](int i) {
    const v1::ExternalIdRename& rename = request.external_id_renames(i);
    return std::vector<std::string>{ExternalIdKey(rename.current_external_id()),
                                    ExternalIdKey(rename.new_external_id())};
  };
  SendOneArray(rpc, deadline, std::move(done));
}

void IdentityActions::RemoveExternalIds(const v1::RemoveExternalIdsRequest& request,
                                        absl::Time deadline, Done done) {
  const ActionViolations verdict = ValidateRemoveExternalIds(request);
  OneArray rpc{
      request.workspace(),     "external_ids",          request.external_ids_size(),    &verdict,
      request.validate_only(), request.allow_partial(), BrazeAction::kRemoveExternalIds};
  rpc.item_json = [request](int i) { return Json(request.external_ids(i)); };
  rpc.read_answer = [request](const ActionResponseBody& answer, const std::vector<int>& slots,
                              std::vector<v1::ActionResult>& results,
                              v1::IdentityResponse& response) {
    ApplyIdListAnswer(
        answer.removal_errors, answer.removed_ids, slots,
        [&](int slot) { return request.external_ids(slot); }, results);
    for (const std::string& id : answer.removed_ids) response.add_removed_ids(id);
  };
  rpc.keys_of = [request](int i) {
    return std::vector<std::string>{ExternalIdKey(request.external_ids(i))};
  };
  SendOneArray(rpc, deadline, std::move(done));
}

}  // namespace brazesync
