// The Track use case, gRPC-free.
#include "server/tracker.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/converter.h"
#include "server/error_details.h"
#include "server/request_planner.h"
#include "server/validator.h"

namespace brazesync {
namespace {

// Result slots are attributes, then events, then purchases, each in input
// order; this finds an item's slot.
class ResultIndex final {
 public:
  explicit ResultIndex(const v1::TrackRequest& request)
      : event_offset_(request.attributes_size()),
        purchase_offset_(request.attributes_size() + request.events_size()) {}

  int Slot(v1::ItemKind kind, int index) const {
    switch (kind) {
      case v1::ITEM_KIND_EVENT:
        return event_offset_ + index;
      case v1::ITEM_KIND_PURCHASE:
        return purchase_offset_ + index;
      default:
        return index;
    }
  }

 private:
  int event_offset_;
  int purchase_offset_;
};

v1::ItemResult* AddItem(v1::TrackResult* result, v1::ItemKind kind, int index,
                        const std::string& item_id) {
  v1::ItemResult* item = result->add_items();
  item->set_kind(kind);
  item->set_index(index);
  item->set_item_id(item_id);
  return item;
}

// Validates every item into `result` (one ItemResult each, invalid ones marked)
// and converts the valid ones into `planned`.
void ValidateAndConvert(const v1::TrackRequest& request, const ValidationLimits& limits,
                        absl::Time now, v1::TrackResult* result,
                        std::vector<PlannedItem>* planned, FieldViolations* all_violations) {
  auto accept = [&](v1::ItemKind kind, int index, const std::string& item_id,
                    const v1::UserRef& user, FieldViolations violations, auto convert) {
    v1::ItemResult* item = AddItem(result, kind, index, item_id);
    if (!violations.empty()) {
      item->set_status(v1::ITEM_STATUS_REJECTED_INVALID);
      for (const auto& violation : violations) *item->add_violations() = violation;
      all_violations->insert(all_violations->end(), violations.begin(), violations.end());
      return;
    }
    planned->push_back(PlannedItem{kind, index, UserKey(user), convert()});
  };
  for (int i = 0; i < request.attributes_size(); ++i) {
    const v1::UserProfile& profile = request.attributes(i);
    FieldViolations violations;
    ValidateUserProfile(profile, absl::StrCat("attributes[", i, "]"), limits, &violations);
    accept(v1::ITEM_KIND_ATTRIBUTES, i, "", profile.user(), std::move(violations),
           [&] { return ProfileToBraze(profile); });
  }
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::Event& event = request.events(i);
    FieldViolations violations;
    ValidateEvent(event, absl::StrCat("events[", i, "]"), limits, &violations);
    accept(v1::ITEM_KIND_EVENT, i, event.event_id(), event.user(), std::move(violations),
           [&] { return EventToBraze(event, now, now); });
  }
  for (int i = 0; i < request.purchases_size(); ++i) {
    const v1::Purchase& purchase = request.purchases(i);
    FieldViolations violations;
    ValidatePurchase(purchase, absl::StrCat("purchases[", i, "]"), limits, &violations);
    accept(v1::ITEM_KIND_PURCHASE, i, purchase.purchase_id(), purchase.user(),
           std::move(violations), [&] { return PurchaseToBraze(purchase, now, now); });
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

// Records Braze's verdicts for the items of one delivered request.
void RecordDelivery(const PlannedRequest& planned, const BrazeDelivery& delivery,
                    const ResultIndex& index, v1::TrackResult* result) {
  auto for_each_item = [&](auto fn) {
    for (const auto* array : {&planned.attributes, &planned.events, &planned.purchases}) {
      for (const ItemRef& ref : *array) fn(result->mutable_items(index.Slot(ref.kind, ref.index)));
    }
  };
  if (!delivery.HasItemVerdicts()) {
    const bool retryable = IsRetryable(delivery.status);
    for_each_item([&](v1::ItemResult* item) {
      item->set_status(v1::ITEM_STATUS_FAILED);
      item->set_error_message(std::string(delivery.status.message()));
      item->set_retryable(retryable);
    });
    return;
  }
  // A 2xx processed every item it did not list; a 400 processed none.
  for_each_item([&](v1::ItemResult* item) {
    if (delivery.status.ok()) {
      item->set_status(v1::ITEM_STATUS_DELIVERED);
    } else {
      item->set_status(v1::ITEM_STATUS_FAILED);
      item->set_error_message(std::string(delivery.status.message()));
      item->set_retryable(true);
    }
  });
  for (const BrazeItemError& error : delivery.body.errors) {
    const ItemRef* ref = planned.Find(error.input_array, error.index);
    if (ref == nullptr) continue;  // Braze named an object we did not send
    v1::ItemResult* item = result->mutable_items(index.Slot(ref->kind, ref->index));
    item->set_status(v1::ITEM_STATUS_REJECTED_BY_BRAZE);
    item->set_braze_error(error.type);
    item->clear_error_message();
    item->set_retryable(false);
  }
}

v1::Outcome OutcomeOf(const v1::TrackResult& result) {
  int delivered = 0;
  for (const v1::ItemResult& item : result.items()) {
    if (item.status() == v1::ITEM_STATUS_DELIVERED) ++delivered;
  }
  if (delivered == result.items_size()) return v1::OUTCOME_DELIVERED;
  return delivered > 0 ? v1::OUTCOME_PARTIAL : v1::OUTCOME_NOT_DELIVERED;
}

std::string WorkspaceNames(const WorkspaceRegistry& registry) {
  std::vector<std::string> names;
  for (const WorkspaceSettings& workspace : registry.all()) names.push_back(workspace.name);
  return absl::StrJoin(names, ", ");
}

}  // namespace

Tracker::Tracker(const WorkspaceRegistry* workspaces, BrazeClient* braze)
    : workspaces_(workspaces), braze_(braze) {}

absl::Status Tracker::Track(const v1::TrackRequest& request, absl::Time deadline,
                            v1::TrackResult* result) {
  const WorkspaceSettings* workspace = workspaces_->Find(request.workspace());
  if (workspace == nullptr) {
    return absl::NotFoundError(absl::StrCat("workspace: no workspace is named \"",
                                            request.workspace(), "\" (configured: ",
                                            WorkspaceNames(*workspaces_), ")"));
  }
  const int total = request.attributes_size() + request.events_size() + request.purchases_size();
  if (total == 0) {
    v1::FieldViolation violation;
    violation.set_field("attributes");
    violation.set_description("at least one of attributes, events or purchases is required");
    return InvalidArgumentWithViolations("the request has no items", {violation});
  }

  result->Clear();
  std::vector<PlannedItem> planned_items;
  FieldViolations violations;
  const absl::Time now = absl::Now();
  ValidateAndConvert(request, ValidationLimits{workspace->max_array_length}, now, result,
                     &planned_items, &violations);
  const int invalid = total - static_cast<int>(planned_items.size());
  if (invalid > 0 && (!request.allow_partial() || planned_items.empty())) {
    return InvalidRequestStatus(invalid, total, /*nothing_sent=*/true, violations);
  }

  const std::vector<PlannedRequest> planned = PlanRequests(
      std::move(planned_items),
      RequestLimits{workspace->per_array_cap, workspace->max_objects_per_request,
                    workspace->max_request_bytes});
  const ResultIndex index(request);
  if (request.validate_only()) {
    for (const PlannedRequest& braze_request : planned) {
      result->add_braze_request_bodies(braze_request.body);
    }
    for (v1::ItemResult& item : *result->mutable_items()) {
      if (item.status() == v1::ITEM_STATUS_UNSPECIFIED) item.set_status(v1::ITEM_STATUS_VALID);
    }
    result->set_outcome(v1::OUTCOME_VALIDATED);
    return absl::OkStatus();
  }

  int attempts = 0;
  bool any_verdict = false;
  absl::Status first_failure;
  for (const PlannedRequest& braze_request : planned) {
    BrazeDelivery delivery = braze_->PostUsersTrack(*workspace, braze_request.body, deadline);
    attempts += delivery.attempts;
    RecordDelivery(braze_request, delivery, index, result);
    if (delivery.HasItemVerdicts()) {
      any_verdict = true;
    } else if (first_failure.ok()) {
      first_failure = delivery.status;
    }
  }
  result->set_braze_requests(attempts);
  // Every Braze request failed outright: the call failed as a whole, and the
  // status code tells the caller whether to retry or fix configuration.
  if (!any_verdict) return first_failure;
  result->set_outcome(OutcomeOf(*result));
  return absl::OkStatus();
}

}  // namespace brazesync
