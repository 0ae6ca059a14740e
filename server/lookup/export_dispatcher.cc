// Packing, single-flight, pacing and retries of /users/export/ids calls
// (see export_dispatcher.h).
#include "server/lookup/export_dispatcher.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/braze/limits.h"
#include "server/braze/users_export.h"
#include "server/braze/users_track.h"
#include "server/delivery/rate_governor.h"

namespace brazesync {

std::string LookupIdentifier::Key() const {
  switch (kind) {
    case Kind::kExternalId:
      return absl::StrCat("external_id:", value);
    case Kind::kUserAlias:
      // Same form as UserKey() (braze/request_planner.h), so own writes
      // addressed by alias find the cached user.
      return absl::StrCat("user_alias:", alias.alias_label(), std::string(1, '\0'),
                          alias.alias_name());
    case Kind::kEmail:
      return absl::StrCat("email:", value);
    case Kind::kPhone:
      return absl::StrCat("phone:", value);
    case Kind::kBrazeId:
      return absl::StrCat("braze_id:", value);
    case Kind::kDeviceId:
      return absl::StrCat("device_id:", value);
  }
  return "";
}

// One identifier on its way to Braze, with everyone waiting for it.
struct ExportDispatcher::Waiting {
  LookupIdentifier id;
  std::string slot;  // field set + key: the single-flight key
  absl::Time queued_at;
  absl::Time not_before = absl::InfinitePast();  // retry backoff
  int attempts = 0;
  std::vector<Done> waiters;
};

// Identifiers asked with one field set.
struct ExportDispatcher::FieldSetQueue {
  std::vector<std::string> fields;
  bool fast = false;  // the call may spend the fast budget
  std::deque<std::shared_ptr<ExportDispatcher::Waiting>> packable;
  std::deque<std::shared_ptr<ExportDispatcher::Waiting>> single;
};

// One export call.
struct ExportDispatcher::Call {
  std::vector<std::shared_ptr<Waiting>> items;
  FieldSetQueue* queue = nullptr;  // lanes and queues are never removed
  std::vector<std::string> fields;
  bool fast = false;
  std::string api_key;
  uint64_t id = 0;
};

struct ExportDispatcher::Lane {
  Lane(const WorkspaceSettings* workspace, LookupCache* cache, std::unique_ptr<RateGovernor> slow,
       std::unique_ptr<RateGovernor> fast)
      : workspace(workspace), cache(cache), slow(std::move(slow)), fast(std::move(fast)) {}

  RateGovernor& governor(bool use_fast) { return use_fast && fast ? *fast : *slow; }

  const WorkspaceSettings* const workspace;
  LookupCache* const cache;
  const std::unique_ptr<RateGovernor> slow;
  const std::unique_ptr<RateGovernor> fast;                                 // null: no fast budget
  absl::flat_hash_map<std::string, std::unique_ptr<FieldSetQueue>> queues;  // by field set
  absl::flat_hash_map<std::string, std::shared_ptr<Waiting>> slots;
  size_t queued = 0;
  int in_flight = 0;
};

namespace {

RateGovernorOptions ExportGovernorOptions(const WorkspaceSettings& workspace, int requests,
                                          absl::Duration window) {
  RateGovernorOptions options;
  options.requests_per_window = requests;
  options.window = window;
  options.max_concurrency = workspace.lookup.max_concurrent_exports;
  return options;
}

// Braze's invalid_user_ids entries about `id` (Braze does not document how
// it lists an unknown alias; an entry naming the alias counts).
std::vector<std::string> InvalidEntriesFor(const LookupIdentifier& id,
                                           const std::vector<std::string>& invalid) {
  std::vector<std::string> found;
  for (const std::string& entry : invalid) {
    const bool about = id.kind == LookupIdentifier::Kind::kUserAlias
                           ? absl::StrContains(entry, id.alias.alias_name())
                           : entry == id.value;
    if (about) found.push_back(entry);
  }
  return found;
}

ExportQuery QueryFor(const std::vector<const LookupIdentifier*>& ids,
                     const std::vector<std::string>& fields) {
  ExportQuery query;
  query.fields_to_export = fields;
  for (const LookupIdentifier* id_ptr : ids) {
    const LookupIdentifier& id = *id_ptr;
    switch (id.kind) {
      case LookupIdentifier::Kind::kExternalId:
        query.external_ids.push_back(id.value);
        break;
      case LookupIdentifier::Kind::kUserAlias:
        query.user_aliases.push_back(id.alias);
        break;
      case LookupIdentifier::Kind::kEmail:
        query.email_address = id.value;
        break;
      case LookupIdentifier::Kind::kPhone:
        query.phone = id.value;
        break;
      case LookupIdentifier::Kind::kBrazeId:
        query.braze_id = id.value;
        break;
      case LookupIdentifier::Kind::kDeviceId:
        query.device_id = id.value;
        break;
    }
  }
  return query;
}

}  // namespace

ExportDispatcher::ExportDispatcher(HttpClient* http, const ApiKeySource* keys, size_t max_queued)
    : http_(http), keys_(keys), max_queued_(max_queued), thread_([this] { Loop(); }) {}

ExportDispatcher::~ExportDispatcher() {
  Shutdown();
  thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void ExportDispatcher::AddWorkspace(const WorkspaceSettings* workspace, LookupCache* cache,
                                    const RateBudgetFactory& budgets) {
  const LookupSettings& lookup = workspace->lookup;
  // Their own budget keys: /users/export/ids has its own limit at Braze.
  std::unique_ptr<RateGovernor> slow = MakeKeyedGovernor(
      *workspace,
      ExportGovernorOptions(*workspace, lookup.export_requests_per_minute, absl::Minutes(1)),
      "/users/export/ids", budgets);
  std::unique_ptr<RateGovernor> fast =
      lookup.fast_export_requests_per_second > 0
          ? MakeKeyedGovernor(
                *workspace,
                ExportGovernorOptions(*workspace, lookup.fast_export_requests_per_second,
                                      absl::Seconds(1)),
                "/users/export/ids#fast", budgets)
          : nullptr;
  absl::MutexLock lock(&mu_);
  lanes_[workspace->name] =
      std::make_unique<Lane>(workspace, cache, std::move(slow), std::move(fast));
}

void ExportDispatcher::Fetch(const std::string& workspace, const LookupIdentifier& id,
                             const std::vector<std::string>& fields, Done done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    auto lane_it = lanes_.find(workspace);
    if (stopping_) {
      refused = absl::UnavailableError("BrazeSync is shutting down");
    } else if (lane_it == lanes_.end()) {
      refused = absl::InternalError(absl::StrCat("no export lane for workspace ", workspace));
    } else {
      Lane& lane = *lane_it->second;
      const std::string field_set = absl::StrJoin(fields, ",");
      std::string slot = absl::StrCat(field_set, std::string(1, '\0'), id.Key());
      auto shared = lane.slots.find(slot);
      if (shared != lane.slots.end()) {
        shared->second->waiters.push_back(std::move(done));
        ++stats_.shared;
        return;
      }
      if (lane.queued >= max_queued_) {
        ++stats_.refused;
        refused = absl::ResourceExhaustedError(absl::StrCat(
            "more than ", max_queued_, " identifiers are waiting for Braze's export budget"));
      } else {
        std::unique_ptr<FieldSetQueue>& queue = lane.queues[field_set];
        if (queue == nullptr) {
          queue = std::make_unique<FieldSetQueue>();
          queue->fields = fields;
          queue->fast = QualifiesForFastExport(fields);
        }
        auto waiting = std::make_shared<Waiting>();
        waiting->id = id;
        waiting->slot = slot;
        waiting->queued_at = absl::Now();
        waiting->waiters.push_back(std::move(done));
        (id.packable() ? queue->packable : queue->single).push_back(waiting);
        lane.slots.emplace(std::move(slot), std::move(waiting));
        ++lane.queued;
        wake_ = true;
        return;
      }
    }
  }
  std::move(done)(refused);
}

absl::Time ExportDispatcher::NextCallAt(const std::string& workspace, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = lanes_.find(workspace);
  if (it == lanes_.end()) return now;
  absl::Time at = it->second->slow->NextStartAt(now);
  if (it->second->fast) at = std::min(at, it->second->fast->NextStartAt(now));
  return at;
}

void ExportDispatcher::Shutdown() {
  std::vector<Done> failed;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [name, lane] : lanes_) {
      for (auto& [field_set, queue] : lane->queues) {
        for (auto* items : {&queue->packable, &queue->single}) {
          for (auto& waiting : *items) {
            for (Done& done : waiting->waiters) failed.push_back(std::move(done));
            lane->slots.erase(waiting->slot);
          }
          items->clear();
        }
      }
      lane->queued = 0;
    }
  }
  for (Done& done : failed) {
    std::move(done)(absl::UnavailableError("BrazeSync is shutting down"));
  }
}

ExportDispatcherStats ExportDispatcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void ExportDispatcher::Loop() {
  while (true) {
    std::vector<Outgoing> outgoing;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      const absl::Time now = absl::Now();
      absl::Time wake = absl::InfiniteFuture();
      for (auto& [name, lane] : lanes_) SendDue(*lane, now, &wake);
      outgoing.swap(outgoing_);
      if (outgoing.empty()) {
        wake_ = false;
        mu_.AwaitWithDeadline(absl::Condition(
                                  +[](ExportDispatcher* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return self->wake_ || self->stopping_;
                                  },
                                  this),
                              wake);
        continue;
      }
    }
    for (Outgoing& call : outgoing) {
      if (call.failed.ok()) {
        http_->Post(std::move(call.request), std::move(call.done));
      } else {
        std::move(call.done)(call.failed);
      }
    }
  }
}

void ExportDispatcher::SendDue(Lane& lane, absl::Time now, absl::Time* wake) {
  const absl::Duration pack_window = lane.workspace->lookup.pack_window;
  while (true) {
    // The queue (and kind) whose oldest ready identifier waited longest.
    FieldSetQueue* best = nullptr;
    bool best_packable = false;
    absl::Time best_since = absl::InfiniteFuture();
    for (auto& [field_set, queue] : lane.queues) {
      for (bool packable : {true, false}) {
        auto& items = packable ? queue->packable : queue->single;
        int ready = 0;
        absl::Time oldest = absl::InfiniteFuture();
        for (const auto& item : items) {
          if (item->not_before > now) {
            *wake = std::min(*wake, item->not_before);
            continue;
          }
          ++ready;
          // A retry does not wait for company again.
          oldest = std::min(oldest, item->attempts > 0 ? now - pack_window : item->queued_at);
          if (ready >= kMaxExportIdentifiers) break;
        }
        if (ready == 0) continue;
        const bool due = !packable || ready >= kMaxExportIdentifiers || oldest + pack_window <= now;
        if (!due) {
          *wake = std::min(*wake, oldest + pack_window);
          continue;
        }
        if (oldest < best_since) {
          best = queue.get();
          best_packable = packable;
          best_since = oldest;
        }
      }
    }
    if (best == nullptr) return;
    RateGovernor& governor = lane.governor(best->fast);
    if (!governor.CanStart(now, lane.in_flight)) {
      *wake = std::min(*wake, std::max(now + absl::Milliseconds(1), governor.NextStartAt(now)));
      return;
    }
    governor.Started(now);
    auto call = std::make_unique<Call>();
    call->queue = best;
    call->fields = best->fields;
    call->fast = best->fast && lane.fast != nullptr;
    auto& items = best_packable ? best->packable : best->single;
    const size_t limit = best_packable ? kMaxExportIdentifiers : 1;
    for (auto it = items.begin(); it != items.end() && call->items.size() < limit;) {
      if ((*it)->not_before > now) {
        ++it;
        continue;
      }
      call->items.push_back(std::move(*it));
      it = items.erase(it);
    }
    lane.queued -= call->items.size();
    Send(lane, std::move(call));
  }
}

void ExportDispatcher::Send(Lane& lane, std::unique_ptr<Call> call) {
  ++in_flight_;
  ++lane.in_flight;
  call->id = next_call_id_++;
  ++stats_.calls;
  stats_.identifiers += static_cast<int64_t>(call->items.size());
  for (auto& item : call->items) ++item->attempts;
  absl::StatusOr<std::string> key = keys_->Current(lane.workspace->name);
  const WorkspaceSettings& workspace = *lane.workspace;
  HttpRequest request;
  if (key.ok()) {
    call->api_key = *key;
    std::vector<const LookupIdentifier*> ids;
    ids.reserve(call->items.size());
    for (const auto& item : call->items) ids.push_back(&item->id);
    request = MakeUsersExportRequest(workspace.endpoint, *key,
                                     UsersExportBody(QueryFor(ids, call->fields)),
                                     workspace.request_timeout);
  }
  Lane* lane_ptr = &lane;
  auto done = [this, lane_ptr,
               call = std::move(call)](absl::StatusOr<HttpResponse> response) mutable {
    OnResponse(lane_ptr, std::move(call), std::move(response));
  };
  // Without a key the call is answered like a failed attempt.
  outgoing_.push_back(Outgoing{std::move(request), std::move(done), key.status()});
}

void ExportDispatcher::OnResponse(Lane* lane, std::unique_ptr<Call> call,
                                  absl::StatusOr<HttpResponse> response) {
  const absl::Time now = absl::Now();
  ScrubApiKey(call->api_key, &response);
  const BrazeAttempt attempt = InterpretBrazeAttempt(response, now, "users.export.ids");
  absl::StatusOr<ExportAnswer> answer = attempt.status.ok()
                                            ? ParseUsersExportBody(response->body)
                                            : absl::StatusOr<ExportAnswer>(attempt.status);
  std::vector<absl::AnyInvocable<void() &&>> finish;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    --lane->in_flight;
    lane->governor(call->fast).OnAttempt(attempt, now);
    wake_ = true;
    if (attempt.http_status == 429) ++stats_.throttled;
    if (!answer.ok()) {
      const bool retryable = !attempt.status.ok() && IsRetryable(attempt.status);
      const absl::Time when =
          now + attempt.retry_after.value_or(backoff_.Next(call->items.front()->attempts));
      RetryOrFail(*lane, *call, answer.status(), attempt.http_status == 429,
                  retryable && !stopping_ ? when : absl::InfiniteFuture(), &finish);
    } else {
      for (auto& item : call->items) lane->slots.erase(item->slot);
    }
  }
  if (answer.ok()) {
    std::vector<std::string> asked;
    asked.reserve(call->items.size());
    for (const auto& item : call->items) asked.push_back(item->id.Key());
    std::vector<CachedAnswer> answers =
        lane->cache->Store(asked, std::move(answer->users), call->fields, now);
    for (size_t i = 0; i < call->items.size(); ++i) {
      ExportFetch fetch;
      fetch.call_id = call->id;
      fetch.answer = i < answers.size() ? std::move(answers[i]) : CachedAnswer{};
      if (fetch.answer.users.empty()) {
        fetch.invalid_user_ids = InvalidEntriesFor(call->items[i]->id, answer->invalid_user_ids);
      }
      std::vector<Done>& waiters = call->items[i]->waiters;
      for (size_t w = 0; w + 1 < waiters.size(); ++w) std::move(waiters[w])(fetch);
      if (!waiters.empty()) std::move(waiters.back())(std::move(fetch));
    }
  }
  for (auto& run : finish) std::move(run)();
}

void ExportDispatcher::RetryOrFail(Lane& lane, Call& call, const absl::Status& status,
                                   bool throttled, absl::Time when,
                                   std::vector<absl::AnyInvocable<void() &&>>* finish) {
  const int max_attempts = lane.workspace->max_attempts;
  // Back in front of their queue, oldest first, so order is kept.
  FieldSetQueue* queue = call.queue;
  for (auto it = call.items.rbegin(); it != call.items.rend(); ++it) {
    std::shared_ptr<Waiting>& item = *it;
    if (when != absl::InfiniteFuture() && item->attempts < max_attempts) {
      item->not_before = when;
      (item->id.packable() ? queue->packable : queue->single).push_front(item);
      ++lane.queued;
      continue;
    }
    lane.slots.erase(item->slot);
    // Braze's throttling outlasting every attempt is the budget running out,
    // not Braze failing: RESOURCE_EXHAUSTED lets the use case say DEFERRED.
    absl::Status final_status = throttled
                                    ? absl::ResourceExhaustedError(absl::StrCat(
                                          "Braze kept throttling the export: ", status.message()))
                                    : status;
    for (Done& done : item->waiters) {
      finish->push_back(
          [done = std::move(done), final_status]() mutable { std::move(done)(final_status); });
    }
  }
}

}  // namespace brazesync
