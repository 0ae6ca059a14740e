// The BrazeSubscriptions use case (see subscription_actions.h).
#include "server/actions/subscription_actions.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/actions/action_runner.h"
#include "server/braze/action_json.h"
#include "server/braze/limits.h"
#include "server/validation/subscription_rules.h"

namespace brazesync {
namespace {

// Group entries per call. Braze does not document a maximum; RudderStack
// sends 25 (braze-api-round2.md §2.10).
constexpr int kEntriesPerCall = 25;

enum class IdKind { kExternalIds, kEmails, kPhones };

// Part of one caller entry: at most 50 ids of one kind.
struct Slice {
  int entry = 0;
  IdKind kind = IdKind::kExternalIds;
  int begin = 0;
  int end = 0;
};

const google::protobuf::RepeatedPtrField<std::string>& IdsOf(
    const v1::SubscriptionGroupStatus& entry, IdKind kind) {
  switch (kind) {
    case IdKind::kEmails:
      return entry.emails();
    case IdKind::kPhones:
      return entry.phones();
    case IdKind::kExternalIds:
      break;
  }
  return entry.external_ids();
}

// The entry's Braze JSON carrying only the slice's ids.
Json SliceToBraze(const v1::SubscriptionGroupStatus& entry, const Slice& slice) {
  v1::SubscriptionGroupStatus part = entry;
  part.clear_external_ids();
  part.clear_emails();
  part.clear_phones();
  const auto& ids = IdsOf(entry, slice.kind);
  for (int i = slice.begin; i < slice.end; ++i) {
    switch (slice.kind) {
      case IdKind::kExternalIds:
        part.add_external_ids(ids[i]);
        break;
      case IdKind::kEmails:
        part.add_emails(ids[i]);
        break;
      case IdKind::kPhones:
        part.add_phones(ids[i]);
        break;
    }
  }
  // Double opt-in applies to SMS groups, that is to phones (case 155).
  return SubscriptionGroupToBraze(part, slice.kind == IdKind::kPhones);
}

}  // namespace

SubscriptionActions::SubscriptionActions(const WorkspaceRegistry* workspaces,
                                         ActionDispatcher* dispatcher)
    : workspaces_(workspaces), dispatcher_(dispatcher) {}

void SubscriptionActions::SetSubscriptionStatus(const v1::SetSubscriptionStatusRequest& original,
                                                absl::Time deadline, Done done) {
  absl::StatusOr<const WorkspaceSettings*> resolved = workspaces_->Resolve(original.workspace());
  if (!resolved.ok()) return std::move(done)(resolved.status(), {});
  const WorkspaceSettings* workspace = *resolved;
  std::vector<v1::ActionResult> results =
      MakeResults({{"subscription_groups", original.subscription_groups_size()}}, nullptr);
  const absl::Status verdict = ApplyVerdict(
      ValidateSetSubscriptionStatus(original, workspace->default_phone_region),
      original.allow_partial(), [](absl::string_view, int index) { return index; }, &results);
  if (!verdict.ok()) return std::move(done)(verdict, {});
  v1::SetSubscriptionStatusRequest request = original;
  if (absl::Status normalized = NormalizeActionPhones(&request, workspace->default_phone_region);
      !normalized.ok()) {
    return std::move(done)(normalized, {});
  }

  // Slices by kind, in request order; emails and phones never share a call
  // (case 148), external ids go with either.
  std::vector<Slice> slices;
  for (int e = 0; e < request.subscription_groups_size(); ++e) {
    if (results[e].status() != v1::ACTION_STATUS_UNSPECIFIED) continue;
    const v1::SubscriptionGroupStatus& entry = request.subscription_groups(e);
    for (const IdKind kind : {IdKind::kExternalIds, IdKind::kEmails, IdKind::kPhones}) {
      for (const auto& [begin, end] : Chunks(IdsOf(entry, kind).size(), kMaxActionItemsPerCall)) {
        slices.push_back({e, kind, begin, end});
      }
    }
    if (!entry.emails().empty() || !entry.phones().empty()) {
      AddWarning(v1::ACTION_WARNING_FANOUT_BY_EMAIL_OR_PHONE, &results[e]);
    }
    if (entry.has_use_double_opt_in_logic() && entry.use_double_opt_in_logic()) {
      AddWarning(entry.phones().empty() ? v1::ACTION_WARNING_DOUBLE_OPT_IN_IGNORED
                                        : v1::ACTION_WARNING_NEEDS_EXISTING_PROFILE,
                 &results[e]);
    }
  }
  // One call after another (case 157), each with up to kEntriesPerCall
  // slices of one contact kind.
  std::vector<std::vector<PlannedCall>> waves;
  Json items = Json::array();
  PlannedCall open;
  bool open_has_emails = false;
  bool open_has_phones = false;
  const auto close = [&] {
    if (items.empty()) return;
    open.body = MakeActionBody("subscription_groups", items);
    waves.push_back({std::move(open)});
    open = PlannedCall();
    items = Json::array();
    open_has_emails = open_has_phones = false;
  };
  for (const Slice& slice : slices) {
    const bool conflicts = (slice.kind == IdKind::kEmails && open_has_phones) ||
                           (slice.kind == IdKind::kPhones && open_has_emails);
    if (conflicts || static_cast<int>(items.size()) == kEntriesPerCall) close();
    items.push_back(SliceToBraze(request.subscription_groups(slice.entry), slice));
    if (open.slots.empty() || open.slots.back() != slice.entry) open.slots.push_back(slice.entry);
    open_has_emails |= slice.kind == IdKind::kEmails;
    open_has_phones |= slice.kind == IdKind::kPhones;
  }
  close();

  if (request.validate_only()) {
    return std::move(done)(absl::OkStatus(), PreviewResponse<v1::SetSubscriptionStatusResponse>(
                                                 waves, std::move(results)));
  }
  RunActionPlan(dispatcher_, workspace->name, BrazeAction::kSetSubscriptionStatus, std::move(waves),
                std::move(results), ActionDeadline(*workspace, deadline),
                [done = std::move(done)](ActionRun run) mutable {
                  if (!run.status.ok()) return std::move(done)(run.status, {});
                  v1::SetSubscriptionStatusResponse response;
                  for (size_t c = 0; c < run.calls.size(); ++c) {
                    if (!run.answers[c].has_value()) continue;
                    for (const int slot : run.call_slots[c]) {
                      // An entry split over calls keeps its worst outcome.
                      if (run.results[slot].status() == v1::ACTION_STATUS_UNSPECIFIED) {
                        run.results[slot].set_status(v1::ACTION_STATUS_ACCEPTED);
                      }
                    }
                  }
                  MoveRunInto(run, response);
                  std::move(done)(absl::OkStatus(), std::move(response));
                });
}

}  // namespace brazesync
