// The relay: background delivery of the durable outbox.
#include "server/durability/relay.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/braze/users_track.h"
#include "server/durability/stored_payload.h"

namespace brazesync {
namespace {

// How often ids older than the idempotency window are forgotten.
constexpr absl::Duration kPruneInterval = absl::Hours(1);

// The per-user guard's key: (workspace, user), which also fixes the partition.
std::string UserKey(const OutboxItem& item) {
  return absl::StrCat(item.workspace, absl::string_view("\0", 1), item.user_key);
}

}  // namespace

Relay::Relay(OutboxStore* outbox, PartitionOwnership* ownership, DeliveryEngine* engine,
             const WorkspaceRegistry* workspaces, const RelayOptions& options)
    : outbox_(outbox),
      ownership_(ownership),
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

int Relay::InFlightIn(int partition) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_in_flight_.find(partition);
  return it == partitions_in_flight_.end() ? 0 : it->second;
}

void Relay::ForgetInFlight(int64_t id, bool settled) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  auto user = users_in_flight_.find(it->second.user);
  if (--user->second == 0) users_in_flight_.erase(user);
  auto partition = partitions_in_flight_.find(it->second.partition);
  if (--partition->second == 0) partitions_in_flight_.erase(partition);
  if (settled) {
    settled_.insert(id);
    settled_users_.insert(std::move(it->second.user));
  }
  in_flight_.erase(it);
}

void Relay::Loop() {
  // At start, before any wait: what a killed predecessor left in doubt is
  // settled at once.
  TendOwnership();
  absl::Time next_prune = absl::Now();
  while (true) {
    bool room;
    bool verdict_stored;
    absl::Time now;
    // Per partition: how far back its cursor must go, for its rescheduled
    // items due again by `now`.
    absl::flat_hash_map<int, int64_t> back_to;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (notified_ && in_flight_.size() < options_.max_in_flight_items);
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
      if (stopping_) return;
      notified_ = false;
      room = in_flight_.size() < options_.max_in_flight_items;
      // Ids settled from here on may still appear in the snapshots FetchDue
      // reads below (their report committing meanwhile): skip those, and
      // their users' later items.
      if (room) {
        settled_.clear();
        settled_users_.clear();
      }
      verdict_stored = std::exchange(verdict_stored_, false);
      // The outbox's own test for due (FetchDue at `now`).
      now = absl::Now();
      const int64_t now_ms = absl::ToUnixMillis(now);
      for (auto& [partition, queue] : due_again_) {
        while (!queue.empty() && queue.top().due_ms <= now_ms) {
          auto [it, inserted] = back_to.try_emplace(partition, queue.top().id - 1);
          if (!inserted) it->second = std::min(it->second, queue.top().id - 1);
          queue.pop();
        }
      }
    }
    if (now >= next_prune) {
      outbox_->PruneIds(now).IgnoreError();  // retried at the next prune
      next_prune = now + kPruneInterval;
    }
    // Ownership is followed even when full: a partition to hand over must
    // not wait for room.
    const std::vector<int> deliverable = TendOwnership();
    for (const auto& [partition, id] : back_to) {
      auto state = partitions_.find(partition);
      if (state != partitions_.end()) state->second.cursor = std::min(state->second.cursor, id);
    }
    if (verdict_stored) {
      for (auto& [partition, state] : partitions_) {
        if (state.left_out == 0) continue;
        state.cursor = std::min(state.cursor, state.left_out - 1);
        state.left_out = 0;
      }
    }
    if (!room) continue;
    for (int partition : deliverable) FetchAndDispatch(partition, now);
  }
}

std::vector<int> Relay::TendOwnership() {
  const std::vector<OwnedPartition> owned = ownership_->Owned();
  absl::flat_hash_set<int> present;
  for (const OwnedPartition& owned_partition : owned) present.insert(owned_partition.partition);
  // Lost without a hand-over (another replica took it): start afresh should
  // it come back, with a new epoch.
  absl::erase_if(partitions_,
                 [&present](const auto& entry) { return !present.contains(entry.first); });
  {
    absl::MutexLock lock(&mu_);
    absl::erase_if(due_again_,
                   [&present](const auto& entry) { return !present.contains(entry.first); });
  }
  std::vector<int> deliverable;
  for (const OwnedPartition& owned_partition : owned) {
    const int partition = owned_partition.partition;
    PartitionState& state = partitions_[partition];
    if (state.epoch != owned_partition.epoch) {
      // (Re)acquired: a predecessor may have left items in doubt.
      state = PartitionState();
      state.epoch = owned_partition.epoch;
    }
    if (owned_partition.releasing) {
      // Its verdicts must be stored before the next owner settles it, or
      // that owner would judge items whose fate is known here.
      if (!state.released && InFlightIn(partition) == 0) {
        ownership_->Release(partition);
        state.released = true;
      }
      continue;
    }
    state.released = false;
    if (!state.settled) {
      // Items this relay sent in an earlier epoch may still be on their way:
      // settle once they have their verdicts, rather than judge them blind.
      if (InFlightIn(partition) > 0) continue;
      // Sending before settling could send an item twice: on failure, fetch
      // nothing from this partition and try again at the next pass.
      if (!outbox_->SettleInDoubt(partition, options_.dead_letter_in_doubt).ok()) continue;
      state.settled = true;
      // From now on every request is marked in doubt before it leaves.
      if (!gate_installed_) {
        engine_->SetSendGate(this);
        gate_installed_ = true;
      }
    }
    deliverable.push_back(partition);
  }
  return deliverable;
}

void Relay::FetchAndDispatch(int partition, absl::Time now) {
  PartitionState& state = partitions_[partition];
  // Walk the partition from its cursor; wrap around once the end is reached
  // so rescheduled items are picked up when due.
  absl::StatusOr<std::vector<OutboxItem>> due =
      outbox_->FetchDue(partition, now, state.cursor, options_.fetch_batch);
  if (!due.ok() || due->empty()) {
    if (state.cursor != 0) {
      state.cursor = 0;
      // Start the next pass at once only if this one found work; otherwise
      // wait for new items or the poll interval.
      if (state.dispatched_this_pass) Notify();
      state.dispatched_this_pass = false;
    }
    return;
  }
  state.cursor = due->back().id;
  const bool more_behind = due->size() == options_.fetch_batch;
  std::vector<OutboxItem> fresh;
  // The lowest id left out for a user whose earlier item's verdict was
  // stored during this fetch: fetched again at once.
  int64_t again_from = 0;
  {
    absl::MutexLock lock(&mu_);
    // Users with an item not taken from this fetch: their later items wait
    // too, whatever keeps the earlier one.
    absl::flat_hash_set<std::string> held;
    // Users with items taken from this fetch: those travel in one Submit.
    absl::flat_hash_set<std::string> taken;
    for (OutboxItem& item : *due) {
      std::string user = UserKey(item);
      if (settled_.contains(item.id) || in_flight_.contains(item.id)) {
        held.insert(std::move(user));
        continue;
      }
      const bool busy = users_in_flight_.contains(user) && !taken.contains(user);
      if (held.contains(user) || busy || settled_users_.contains(user)) {
        // Its verdict stored, an earlier item may be due again behind the
        // cursor; in flight, it may yet be rescheduled.
        int64_t& left_out = users_in_flight_.contains(user) ? state.left_out : again_from;
        if (left_out == 0 || item.id < left_out) left_out = item.id;
        held.insert(std::move(user));
        continue;
      }
      in_flight_.emplace(item.id, InFlight{partition, user});
      ++users_in_flight_[user];
      ++partitions_in_flight_[partition];
      taken.insert(std::move(user));
      fresh.push_back(std::move(item));
    }
  }
  if (!fresh.empty()) state.dispatched_this_pass = true;
  const int64_t refused = Dispatch(std::move(fresh));
  // Items the engine refused (full) go again from where they were, before
  // any later item of their users.
  if (refused != 0) state.cursor = std::min(state.cursor, refused - 1);
  if (again_from != 0) {
    state.cursor = std::min(state.cursor, again_from - 1);
    Notify();
  } else if (more_behind) {
    Notify();
  }
}

int64_t Relay::Dispatch(std::vector<OutboxItem> items) {
  int64_t refused = 0;
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
      for (const OutboxItem& item : *sent_items) {
        ForgetInFlight(item.id, /*settled=*/false);
        if (refused == 0 || item.id < refused) refused = item.id;
      }
      --outstanding_;
    }
  }
  if (!undeliverable.empty()) Record(std::move(undeliverable), std::move(undeliverable_ids));
  return refused;
}

void Relay::Record(std::vector<DeliveryReport> reports, std::vector<int64_t> ids) {
  // When each rescheduled item is due again, in the outbox's milliseconds.
  std::vector<DueAgain> due_again;
  for (const DeliveryReport& report : reports) {
    if (report.result == DeliveryReport::Result::kRetry) {
      due_again.push_back(DueAgain{absl::ToUnixMillis(report.retry_at), report.id});
    }
  }
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  outbox_->Report(std::move(reports), [this, ids = std::move(ids),
                                       due_again = std::move(due_again)](absl::Status stored) {
    if (!stored.ok() && options_.on_report_error) options_.on_report_error(stored, ids.size());
    absl::MutexLock lock(&mu_);
    if (stored.ok()) {
      for (const DueAgain& item : due_again) {
        auto it = in_flight_.find(item.id);
        if (it != in_flight_.end()) due_again_[it->second.partition].push(item);
      }
    }
    for (int64_t id : ids) ForgetInFlight(id, /*settled=*/true);
    verdict_stored_ = true;
    --outstanding_;
    notified_ = true;
  });
}

}  // namespace brazesync
