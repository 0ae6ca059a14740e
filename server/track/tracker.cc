// The Track use case, gRPC-free.
#include "server/track/tracker.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/braze/converter.h"
#include "server/braze/item_kind.h"
#include "server/braze/request_planner.h"
#include "server/durability/stored_payload.h"
#include "server/track/normalize.h"
#include "server/validation/error_details.h"
#include "server/validation/validator.h"

namespace brazesync {

struct ValidatedTrackRequest {
  // One ItemResult per input item, attributes, then events, then purchases,
  // each in input order; the invalid ones already REJECTED_INVALID.
  v1::TrackResult result;
  // The valid items (as Braze JSON unless they are stored as they are), and
  // for each the index of its ItemResult in `result`.
  std::vector<PlannedItem> items;
  std::vector<int> slots;
  // Asynchronous path: each valid item encoded for the outbox, in `items`
  // order (workspace and user_key still to fill in).
  std::vector<NewOutboxItem> stored;
  // With read-your-writes on: each valid item as a RecentWrite, in `items`
  // order, recorded once Braze delivered it or the outbox stored it.
  std::vector<RecentWrite> writes;
};

ValidationLimits ValidationLimitsFor(const WorkspaceSettings& workspace) {
  ValidationLimits limits;
  limits.max_array_length = workspace.max_array_length;
  limits.max_request_bytes = workspace.max_request_bytes;
  limits.default_phone_region = workspace.default_phone_region;
  return limits;
}

namespace {

v1::ItemResult* AddItem(v1::TrackResult* result, v1::ItemKind kind, int index,
                        const std::string& item_id) {
  v1::ItemResult* item = result->add_items();
  item->set_kind(kind);
  item->set_index(index);
  item->set_item_id(item_id);
  return item;
}

// Validates every item into `validated` (one ItemResult each, invalid ones
// marked, in the order attributes, events, purchases) and lists the valid ones
// with their result slot, converted to Braze JSON when `to_json`, otherwise
// encoded for the outbox (the asynchronous path stores the item itself). Both
// see the item with its phones in E.164 (normalize.h).
void ValidateAndConvert(const v1::TrackRequest& request, const ValidationLimits& limits,
                        absl::Time now, bool to_json, bool record_writes,
                        ValidatedTrackRequest* validated, FieldViolations* all_violations) {
  v1::TrackResult* result = &validated->result;
  auto accept = [&](v1::ItemKind kind, int index, const std::string& item_id,
                    const v1::UserRef& user, FieldViolations violations, auto convert,
                    auto encode) {
    v1::ItemResult* item = AddItem(result, kind, index, item_id);
    if (!violations.empty()) {
      item->set_status(v1::ITEM_STATUS_REJECTED_INVALID);
      for (const auto& violation : violations) *item->add_violations() = violation;
      all_violations->insert(all_violations->end(), violations.begin(), violations.end());
      return;
    }
    validated->slots.push_back(result->items_size() - 1);
    validated->items.push_back(
        PlannedItem{kind, index, UserKey(user), to_json ? convert() : Json()});
    if (!to_json) validated->stored.push_back(encode());
    if (record_writes) {
      RecentWrite write{validated->items.back().user_key, std::string(BrazeArrayName(kind)), "",
                        now};
      if (to_json) {
        write.braze_json = validated->items.back().json.dump();
      } else {
        // Converted later, only if a lookup needs it.
        write.stored_payload = validated->stored.back().payload;
        write.payload_version = validated->stored.back().payload_version;
      }
      validated->writes.push_back(std::move(write));
    }
  };
  const std::string& region = limits.default_phone_region;
  for (int i = 0; i < request.attributes_size(); ++i) {
    FieldViolations violations;
    ValidateUserProfile(request.attributes(i), absl::StrCat("attributes[", i, "]"), limits,
                        &violations);
    std::optional<v1::UserProfile> copy;
    const v1::UserProfile& profile = WithE164Phones(request.attributes(i), region, &copy);
    accept(
        v1::ITEM_KIND_ATTRIBUTES, i, "", profile.user(), std::move(violations),
        [&] { return ProfileToBraze(profile); }, [&] { return EncodeProfile(profile); });
  }
  for (int i = 0; i < request.events_size(); ++i) {
    FieldViolations violations;
    ValidateEvent(request.events(i), absl::StrCat("events[", i, "]"), limits, &violations);
    std::optional<v1::Event> copy;
    const v1::Event& event = WithE164Phones(request.events(i), region, &copy);
    accept(
        v1::ITEM_KIND_EVENT, i, event.event_id(), event.user(), std::move(violations),
        [&] { return EventToBraze(event, now, now); }, [&] { return EncodeEvent(event, now); });
  }
  for (int i = 0; i < request.purchases_size(); ++i) {
    FieldViolations violations;
    ValidatePurchase(request.purchases(i), absl::StrCat("purchases[", i, "]"), limits, &violations);
    std::optional<v1::Purchase> copy;
    const v1::Purchase& purchase = WithE164Phones(request.purchases(i), region, &copy);
    accept(
        v1::ITEM_KIND_PURCHASE, i, purchase.purchase_id(), purchase.user(), std::move(violations),
        [&] { return PurchaseToBraze(purchase, now, now); },
        [&] { return EncodePurchase(purchase, now); });
  }
}

absl::Status InvalidRequestStatus(int invalid, int total, bool nothing_sent,
                                  const FieldViolations& violations) {
  std::string message = absl::StrCat(invalid, " of ", total, " items are invalid",
                                     nothing_sent ? "; nothing was sent" : "");
  if (!violations.empty()) {
    absl::StrAppend(&message, ". First: ", violations.front().field(), ": ",
                    violations.front().description());
  }
  return InvalidArgumentWithViolations(message, violations);
}

// Copies the engine's verdicts into the result slots of the submitted items.
void ApplyOutcome(const std::vector<int>& slots, DeliveryOutcome outcome, v1::TrackResult* result) {
  for (size_t i = 0; i < slots.size(); ++i) {
    ItemVerdict& verdict = outcome.verdicts[i];
    v1::ItemResult* item = result->mutable_items(slots[i]);
    item->set_status(verdict.status);
    if (verdict.status == v1::ITEM_STATUS_REJECTED_BY_BRAZE) {
      item->set_braze_error(std::move(verdict.braze_error));
    } else if (verdict.status == v1::ITEM_STATUS_FAILED) {
      item->set_error_message(std::string(verdict.failure.message()));
      item->set_retryable(IsRetryable(verdict.failure));
    }
  }
  result->set_braze_requests(outcome.braze_requests);
}

// When no submitted item got a Braze verdict, the call failed as a whole and
// the first failure's code tells the caller whether to retry or fix config.
absl::Status WholeCallFailure(const DeliveryOutcome& outcome) {
  for (const ItemVerdict& verdict : outcome.verdicts) {
    if (verdict.status != v1::ITEM_STATUS_FAILED) return absl::OkStatus();
  }
  return outcome.verdicts.empty() ? absl::OkStatus() : outcome.verdicts.front().failure;
}

v1::Outcome OutcomeOf(const v1::TrackResult& result) {
  int delivered = 0;
  for (const v1::ItemResult& item : result.items()) {
    if (item.status() == v1::ITEM_STATUS_DELIVERED) ++delivered;
  }
  if (delivered == result.items_size()) return v1::OUTCOME_DELIVERED;
  return delivered > 0 ? v1::OUTCOME_PARTIAL : v1::OUTCOME_NOT_DELIVERED;
}

// The request-level checks, then every item's. An error fails the call as a
// whole: no items, DELIVERY_MODE_ASYNC without an outbox, or invalid items
// when the call may not be partial (or nothing valid is left).
absl::StatusOr<ValidatedTrackRequest> ValidateAll(const v1::TrackRequest& request,
                                                  const WorkspaceSettings& workspace,
                                                  bool has_outbox, bool record_writes,
                                                  absl::Time now) {
  const int total = SumOverKinds(CountByKind(request));
  if (total == 0) {
    v1::FieldViolation violation;
    violation.set_field("attributes");
    violation.set_description("at least one of attributes, events or purchases is required");
    return InvalidArgumentWithViolations("the request has no items", {violation});
  }
  const bool async = request.delivery_mode() == v1::DELIVERY_MODE_ASYNC;
  if (async && !has_outbox && !request.validate_only()) {
    return absl::FailedPreconditionError(
        "delivery_mode: DELIVERY_MODE_ASYNC needs a server started with --data_dir (a durable "
        "outbox)");
  }
  ValidatedTrackRequest validated;
  validated.result.set_request_id(request.request_id());
  FieldViolations violations;
  ValidateAndConvert(request, ValidationLimitsFor(workspace), now,
                     /*to_json=*/!async || request.validate_only(),
                     record_writes && !request.validate_only(), &validated, &violations);
  const int invalid = total - static_cast<int>(validated.items.size());
  if (invalid > 0 && (!request.allow_partial() || validated.items.empty())) {
    return InvalidRequestStatus(invalid, total, /*nothing_sent=*/true, violations);
  }
  return validated;
}

// validate_only: the Braze request bodies the valid items would travel in;
// nothing is sent or stored.
void Preview(const WorkspaceSettings& workspace, ValidatedTrackRequest validated,
             Tracker::Done done) {
  v1::TrackResult& result = validated.result;
  const std::vector<PlannedRequest> planned =
      PlanRequests(std::move(validated.items),
                   RequestLimits{workspace.per_array_cap, workspace.max_objects_per_request,
                                 workspace.max_request_bytes});
  for (const PlannedRequest& braze_request : planned) {
    result.add_braze_request_bodies(braze_request.body);
  }
  for (v1::ItemResult& item : *result.mutable_items()) {
    if (item.status() == v1::ITEM_STATUS_UNSPECIFIED) item.set_status(v1::ITEM_STATUS_VALID);
  }
  result.set_outcome(v1::OUTCOME_VALIDATED);
  std::move(done)(absl::OkStatus(), std::move(result));
}

}  // namespace

Tracker::Tracker(const WorkspaceRegistry* workspaces, DeliveryEngine* engine, OutboxStore* outbox,
                 std::function<void()> on_accepted, RecentWrites* recent_writes)
    : workspaces_(workspaces),
      engine_(engine),
      outbox_(outbox),
      on_accepted_(std::move(on_accepted)),
      recent_writes_(recent_writes) {}

void Tracker::Track(const v1::TrackRequest& request, absl::Time deadline, Done done) {
  absl::StatusOr<const WorkspaceSettings*> resolved = workspaces_->Resolve(request.workspace());
  if (!resolved.ok()) {
    std::move(done)(resolved.status(), {});
    return;
  }
  const WorkspaceSettings* workspace = *resolved;
  const absl::Time now = absl::Now();
  absl::StatusOr<ValidatedTrackRequest> validated =
      ValidateAll(request, *workspace, /*has_outbox=*/outbox_ != nullptr,
                  /*record_writes=*/recent_writes_ != nullptr, now);
  if (!validated.ok()) {
    std::move(done)(validated.status(), {});
  } else if (request.validate_only()) {
    Preview(*workspace, *std::move(validated), std::move(done));
  } else if (request.delivery_mode() == v1::DELIVERY_MODE_ASYNC) {
    AcceptDurably(workspace->name, *std::move(validated), std::move(done));
  } else {
    Deliver(*workspace, deadline, *std::move(validated), std::move(done));
  }
}

namespace {

// Records the writes whose `recorded` flag is set (delivered or stored) for
// read-your-writes; `recent_writes` may be null.
void RecordWrites(RecentWrites* recent_writes, const std::string& workspace,
                  std::vector<RecentWrite> writes, const std::vector<bool>& recorded) {
  if (recent_writes == nullptr || writes.empty()) return;
  std::vector<RecentWrite> kept;
  kept.reserve(writes.size());
  for (size_t i = 0; i < writes.size() && i < recorded.size(); ++i) {
    if (recorded[i]) kept.push_back(std::move(writes[i]));
  }
  if (!kept.empty()) recent_writes->Record(workspace, std::move(kept));
}

}  // namespace

void Tracker::AcceptDurably(const std::string& workspace, ValidatedTrackRequest validated,
                            Done done) {
  std::vector<NewOutboxItem> items = std::move(validated.stored);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].workspace = workspace;
    items[i].user_key = std::move(validated.items[i].user_key);
  }
  outbox_->Accept(
      std::move(items), [this, workspace, slots = std::move(validated.slots),
                         writes = std::move(validated.writes), result = std::move(validated.result),
                         done = std::move(done)](absl::StatusOr<std::vector<bool>> stored) mutable {
        if (!stored.ok()) {
          std::move(done)(absl::UnavailableError(
                              absl::StrCat("the outbox could not store the items; nothing was "
                                           "accepted: ",
                                           stored.status().message())),
                          {});
          return;
        }
        for (size_t i = 0; i < slots.size(); ++i) {
          result.mutable_items(slots[i])->set_status((*stored)[i] ? v1::ITEM_STATUS_QUEUED
                                                                  : v1::ITEM_STATUS_DUPLICATE);
        }
        RecordWrites(recent_writes_, workspace, std::move(writes), *stored);
        result.set_outcome(v1::OUTCOME_ACCEPTED);
        std::move(done)(absl::OkStatus(), std::move(result));
        if (on_accepted_) on_accepted_();
      });
}

void Tracker::Deliver(const WorkspaceSettings& workspace, absl::Time deadline,
                      ValidatedTrackRequest validated, Done done) {
  std::vector<EngineItem> items;
  items.reserve(validated.items.size());
  for (PlannedItem& planned : validated.items) {
    items.push_back(EngineItem{planned.kind, std::move(planned.user_key), planned.json.dump()});
  }
  // Submit fails only before taking ownership of the callback's work, so the
  // callback is shared with the failure path below.
  auto shared_done = std::make_shared<Done>(std::move(done));
  absl::Status submitted =
      engine_->Submit(workspace, std::move(items), deadline,
                      [recent_writes = recent_writes_, shared_done, workspace = workspace.name,
                       slots = std::move(validated.slots), writes = std::move(validated.writes),
                       result = std::move(validated.result)](DeliveryOutcome outcome) mutable {
                        absl::Status failure = WholeCallFailure(outcome);
                        if (!failure.ok()) {
                          std::move (*shared_done)(std::move(failure), {});
                          return;
                        }
                        std::vector<bool> delivered;
                        delivered.reserve(outcome.verdicts.size());
                        for (const ItemVerdict& verdict : outcome.verdicts) {
                          delivered.push_back(verdict.status == v1::ITEM_STATUS_DELIVERED);
                        }
                        RecordWrites(recent_writes, workspace, std::move(writes), delivered);
                        ApplyOutcome(slots, std::move(outcome), &result);
                        result.set_outcome(OutcomeOf(result));
                        std::move (*shared_done)(absl::OkStatus(), std::move(result));
                      });
  if (!submitted.ok()) std::move (*shared_done)(std::move(submitted), {});
}

}  // namespace brazesync
