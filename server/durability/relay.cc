// The relay: background delivery of the durable outbox.
#include "server/durability/relay.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/braze/users_track.h"
#include "server/durability/stored_payload.h"

namespace brazesync {
namespace {

// How often ids older than the idempotency window are forgotten.
constexpr absl::Duration kPruneInterval = absl::Hours(1);

}  // namespace

Relay::Relay(OutboxStore* outbox, DeliveryEngine* engine, const WorkspaceRegistry* workspaces,
             const RelayOptions& options)
    : outbox_(outbox),
      engine_(engine),
      workspaces_(workspaces),
      options_(options),
      backoff_(options.initial_retry_delay, options.max_retry_delay),
      loop_([this] { Loop(); }) {}

Relay::~Relay() {
  Stop();
  engine_->SetSendGate(nullptr);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* outstanding) { return *outstanding == 0; }, &outstanding_));
}

void Relay::Notify() {
  absl::MutexLock lock(&mu_);
  notified_ = true;
}

void Relay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  loop_.join();
}

void Relay::BeforeSend(std::vector<int64_t> durable_ids,
                       absl::AnyInvocable<void(absl::Status) &&> proceed) {
  outbox_->MarkInDoubt(std::move(durable_ids), std::move(proceed));
}

void Relay::Loop() {
  // Before any delivery: what a killed predecessor left in doubt is settled,
  // and from now on every request is marked before it leaves.
  // (Should that fail, the items are simply sent again: at least once.)
  outbox_->SettleInDoubt(0, options_.dead_letter_in_doubt).IgnoreError();
  engine_->SetSendGate(this);
  int64_t cursor = 0;
  bool dispatched_this_pass = false;
  absl::Time next_prune = absl::Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (notified_ && in_flight_.size() < options_.max_in_flight_items);
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
      if (stopping_) return;
      notified_ = false;
      if (in_flight_.size() >= options_.max_in_flight_items) continue;
      // Ids settled from here on may still appear in the snapshot FetchDue
      // reads below (their report committing meanwhile): skip those.
      settled_.clear();
    }
    const absl::Time now = absl::Now();
    if (now >= next_prune) {
      outbox_->PruneIds(now).IgnoreError();  // retried at the next prune
      next_prune = now + kPruneInterval;
    }
    // Walk the outbox from the cursor; wrap around once the end is reached
    // so rescheduled items are picked up when due.
    absl::StatusOr<std::vector<OutboxItem>> due =
        outbox_->FetchDue(0, now, cursor, options_.fetch_batch);
    if (!due.ok() || due->empty()) {
      if (cursor != 0) {
        cursor = 0;
        // Start the next pass at once only if this one found work; otherwise
        // wait for new items or the poll interval.
        if (dispatched_this_pass) Notify();
        dispatched_this_pass = false;
      }
      continue;
    }
    cursor = due->back().id;
    const bool more_behind = due->size() == options_.fetch_batch;
    std::vector<OutboxItem> fresh;
    {
      absl::MutexLock lock(&mu_);
      for (OutboxItem& item : *due) {
        if (settled_.contains(item.id)) continue;
        if (in_flight_.insert(item.id).second) fresh.push_back(std::move(item));
      }
    }
    if (!fresh.empty()) dispatched_this_pass = true;
    Dispatch(std::move(fresh));
    if (more_behind) Notify();
  }
}

void Relay::Dispatch(std::vector<OutboxItem> items) {
  const absl::Time now = absl::Now();
  std::vector<DeliveryReport> undeliverable;
  std::vector<int64_t> undeliverable_ids;
  // Per workspace, in acceptance order.
  absl::flat_hash_map<std::string, std::vector<OutboxItem>> by_workspace;
  for (OutboxItem& item : items) by_workspace[item.workspace].push_back(std::move(item));

  for (auto& [name, group] : by_workspace) {
    const WorkspaceSettings* workspace = workspaces_->Find(name);
    std::vector<EngineItem> engine_items;
    std::vector<OutboxItem> sent;
    for (OutboxItem& item : group) {
      absl::StatusOr<std::string> json =
          workspace == nullptr
              ? absl::StatusOr<std::string>(absl::FailedPreconditionError(
                    absl::StrCat("workspace \"", name, "\" is no longer configured")))
              : StoredItemToBrazeJson(item.payload_version, item.kind, item.payload, item.accepted,
                                      now);
      if (!json.ok()) {
        DeliveryReport report;
        report.id = item.id;
        report.result = DeliveryReport::Result::kDead;
        report.outcome = std::string(json.status().message());
        report.reason = report.outcome;
        undeliverable.push_back(std::move(report));
        undeliverable_ids.push_back(item.id);
        continue;
      }
      engine_items.push_back(EngineItem{item.kind, item.user_key, *std::move(json), item.id});
      sent.push_back(std::move(item));
    }
    if (engine_items.empty()) continue;
    auto sent_items = std::make_shared<std::vector<OutboxItem>>(std::move(sent));
    {
      absl::MutexLock lock(&mu_);
      ++outstanding_;
    }
    absl::Status submitted = engine_->Submit(
        *workspace, std::move(engine_items), now + options_.attempt_deadline,
        [this, sent_items](DeliveryOutcome outcome) {
          const absl::Time done_at = absl::Now();
          std::vector<DeliveryReport> reports;
          std::vector<int64_t> ids;
          for (size_t i = 0; i < sent_items->size(); ++i) {
            const OutboxItem& item = (*sent_items)[i];
            const ItemVerdict& verdict = outcome.verdicts[i];
            DeliveryReport report;
            report.id = item.id;
            ids.push_back(item.id);
            switch (verdict.status) {
              case v1::ITEM_STATUS_DELIVERED:
                report.result = DeliveryReport::Result::kDelivered;
                report.outcome = "delivered";
                break;
              case v1::ITEM_STATUS_REJECTED_BY_BRAZE:
                report.result = DeliveryReport::Result::kDead;
                report.outcome = absl::StrCat("rejected by Braze: ", verdict.braze_error);
                report.reason = report.outcome;
                report.braze_response = verdict.braze_error;
                break;
              default: {
                report.outcome = std::string(verdict.failure.message());
                const bool within_horizon = done_at < item.accepted + options_.retry_horizon;
                if (IsRetryable(verdict.failure) && within_horizon) {
                  report.result = DeliveryReport::Result::kRetry;
                  report.retry_at = done_at + backoff_.Next(item.attempts + 1);
                } else {
                  report.result = DeliveryReport::Result::kDead;
                  report.reason =
                      within_horizon
                          ? absl::StrCat("permanent failure: ", report.outcome)
                          : absl::StrCat("retry horizon exceeded after ", item.attempts + 1,
                                         " attempts; last: ", report.outcome);
                }
              }
            }
            reports.push_back(std::move(report));
          }
          Record(std::move(reports), std::move(ids));
          absl::MutexLock lock(&mu_);
          --outstanding_;
        });
    if (!submitted.ok()) {
      // The engine is full or stopping: leave the items queued for later.
      absl::MutexLock lock(&mu_);
      for (const OutboxItem& item : *sent_items) in_flight_.erase(item.id);
      --outstanding_;
    }
  }
  if (!undeliverable.empty()) Record(std::move(undeliverable), std::move(undeliverable_ids));
}

void Relay::Record(std::vector<DeliveryReport> reports, std::vector<int64_t> ids) {
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  outbox_->Report(std::move(reports), [this, ids = std::move(ids)](absl::Status stored) {
    if (!stored.ok() && options_.on_report_error) options_.on_report_error(stored, ids.size());
    absl::MutexLock lock(&mu_);
    for (int64_t id : ids) {
      in_flight_.erase(id);
      settled_.insert(id);
    }
    --outstanding_;
    notified_ = true;
  });
}

}  // namespace brazesync
