// The LookupUsers use case (see user_lookup.h).
#include "server/lookup/user_lookup.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/braze/users_export.h"
#include "server/validation/error_details.h"
#include "server/validation/lookup_rules.h"

namespace brazesync {
namespace {

// What a call keeps of the caller's deadline for the answer itself: building
// it, and its trip back to the caller. An answer that arrives after the
// deadline is lost to the caller as DEADLINE_EXCEEDED, so a DEFERRED answer
// must leave early enough to arrive: a loaded host or one network hop takes
// far more than a few milliseconds (5 ms was seen to lose the answer to a
// Node client on a loaded 2-core machine).
constexpr absl::Duration kAnswerMargin = absl::Milliseconds(50);

// The field sent for each identifier kind (LookupResult.field).
const char* FieldOf(LookupIdentifier::Kind kind) {
  switch (kind) {
    case LookupIdentifier::Kind::kExternalId:
      return "external_ids";
    case LookupIdentifier::Kind::kUserAlias:
      return "user_aliases";
    case LookupIdentifier::Kind::kEmail:
      return "email_address";
    case LookupIdentifier::Kind::kPhone:
      return "phone";
    case LookupIdentifier::Kind::kBrazeId:
      return "braze_id";
    case LookupIdentifier::Kind::kDeviceId:
      return "device_id";
  }
  return "";
}

absl::Duration DurationOf(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

google::protobuf::Timestamp TimestampOf(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

google::protobuf::Duration DurationProtoOf(absl::Duration duration) {
  return google::protobuf::util::TimeUtil::NanosecondsToDuration(
      absl::ToInt64Nanoseconds(std::max(duration, absl::ZeroDuration())));
}

// The identifiers of `request`, in LookupResult order. `phone` is E.164.
std::vector<LookupIdentifier> IdentifiersOf(const v1::LookupUsersRequest& request,
                                            const std::string& phone) {
  std::vector<LookupIdentifier> ids;
  for (const std::string& external_id : request.external_ids()) {
    ids.push_back({LookupIdentifier::Kind::kExternalId, external_id, {}});
  }
  for (const v1::UserAlias& alias : request.user_aliases()) {
    ids.push_back({LookupIdentifier::Kind::kUserAlias, "", alias});
  }
  if (!request.email_address().empty()) {
    ids.push_back({LookupIdentifier::Kind::kEmail, request.email_address(), {}});
  }
  if (!phone.empty()) ids.push_back({LookupIdentifier::Kind::kPhone, phone, {}});
  if (!request.braze_id().empty()) {
    ids.push_back({LookupIdentifier::Kind::kBrazeId, request.braze_id(), {}});
  }
  if (!request.device_id().empty()) {
    ids.push_back({LookupIdentifier::Kind::kDeviceId, request.device_id(), {}});
  }
  return ids;
}

// The fields to ask Braze for: the caller's (or the workspace's default)
// plus those that match users to identifiers; sorted, unique.
std::vector<std::string> FieldsFor(const v1::LookupUsersRequest& request,
                                   const LookupSettings& settings) {
  std::vector<std::string> fields =
      request.fields_to_export().empty()
          ? settings.default_fields_to_export
          : std::vector<std::string>(request.fields_to_export().begin(),
                                     request.fields_to_export().end());
  for (const std::string& field : IdentifyingExportFields()) fields.push_back(field);
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  return fields;
}

// A user's identity for listing it once in LookupUsersResponse.users.
std::string UserIdentity(const v1::ExportedUser& user) {
  if (user.has_braze_id()) return absl::StrCat("b:", user.braze_id());
  if (user.has_external_id()) return absl::StrCat("e:", user.external_id());
  return absl::StrCat("s:", user.SerializeAsString());
}

}  // namespace

// One lookup in progress.
struct UserLookup::Pending {
  absl::Mutex mu;
  Done done ABSL_GUARDED_BY(mu);
  bool finished ABSL_GUARDED_BY(mu) = false;
  std::vector<LookupIdentifier> ids;
  // Each identifier's position in its request field (LookupResult.index).
  std::vector<int> indexes;
  std::vector<std::string> fields;
  std::string workspace;
  LookupCache* cache = nullptr;
  absl::Duration max_stale;
  // Per identifier, once answered.
  std::vector<std::optional<v1::LookupResult>> results ABSL_GUARDED_BY(mu);
  std::vector<std::vector<v1::ExportedUser>> users ABSL_GUARDED_BY(mu);
  std::vector<std::string> invalid_user_ids ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<uint64_t> calls ABSL_GUARDED_BY(mu);
  size_t open ABSL_GUARDED_BY(mu) = 0;

  // Records identifier `i`'s answer (ignored once the lookup has answered).
  void Answer(size_t i, const CachedAnswer& answer, bool from_cache,
              const std::vector<std::string>& invalid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (finished || results[i].has_value()) return;
    v1::LookupResult result;
    const bool multi = ids[i].kind == LookupIdentifier::Kind::kEmail ||
                       ids[i].kind == LookupIdentifier::Kind::kPhone;
    if (answer.users.empty()) {
      result.set_outcome(v1::LOOKUP_OUTCOME_NOT_FOUND);
      if (from_cache) {
        // A cached negative answer: the identifier as Braze lists it.
        invalid_user_ids.push_back(ids[i].kind == LookupIdentifier::Kind::kUserAlias
                                       ? ids[i].alias.alias_name()
                                       : ids[i].value);
      }
    } else {
      result.set_outcome(multi && answer.users.size() > 1 ? v1::LOOKUP_OUTCOME_AMBIGUOUS
                                                          : v1::LOOKUP_OUTCOME_FOUND);
    }
    for (const std::string& entry : invalid) invalid_user_ids.push_back(entry);
    result.set_from_cache(from_cache);
    *result.mutable_fetched_at() = TimestampOf(answer.fetched_at);
    result.set_pending_own_write(answer.pending_own_write);
    users[i] = answer.users;
    results[i] = std::move(result);
    --open;
  }

  // Identifier `i` could not be answered.
  void Fail(size_t i, v1::LookupOutcome outcome, absl::string_view message,
            absl::Duration retry_after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (finished || results[i].has_value()) return;
    v1::LookupResult result;
    result.set_outcome(outcome);
    if (outcome == v1::LOOKUP_OUTCOME_DEFERRED) {
      *result.mutable_retry_after() = DurationProtoOf(retry_after);
    } else {
      result.set_error_message(std::string(message));
    }
    results[i] = std::move(result);
    --open;
  }

  // The answer, once: every identifier's result, each user once. Returns
  // the callback to run outside the lock (null when already finished).
  absl::AnyInvocable<void() &&> Finish(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (finished) return nullptr;
    finished = true;
    v1::LookupUsersResponse response;
    if (status.ok()) {
      absl::flat_hash_map<std::string, int> user_index;
      for (size_t i = 0; i < ids.size(); ++i) {
        v1::LookupResult* result = response.add_results();
        if (results[i].has_value()) *result = *results[i];
        result->set_field(FieldOf(ids[i].kind));
        result->set_index(indexes[i]);
        for (v1::ExportedUser& user : users[i]) {
          auto [it, added] = user_index.emplace(UserIdentity(user), response.users_size());
          if (added) {
            // Own writes overlaid may have set fields this lookup did not ask for.
            KeepExportFields(fields, &user);
            *response.add_users() = std::move(user);
          }
          result->add_user_indexes(it->second);
        }
      }
      for (std::string& entry : invalid_user_ids) response.add_invalid_user_ids(std::move(entry));
      response.set_braze_requests(static_cast<int>(calls.size()));
    }
    return [done = std::move(done), status = std::move(status),
            response = std::move(response)]() mutable {
      std::move(done)(std::move(status), std::move(response));
    };
  }
};

UserLookup::UserLookup(const WorkspaceRegistry* workspaces, HttpClient* http,
                       const ApiKeySource* keys, RecentWrites* writes,
                       const RateBudgetFactory& budgets)
    : workspaces_(workspaces), dispatcher_(http, keys) {
  for (const WorkspaceSettings& workspace : workspaces->all()) {
    LookupCacheOptions options;
    options.workspace = workspace.name;
    options.max_entries = workspace.lookup.cache_max_entries;
    options.retention = workspace.lookup.cache_retention;
    options.negative_ttl = workspace.lookup.negative_cache_ttl;
    options.consistency_window = workspace.lookup.consistency_window;
    auto cache = std::make_unique<LookupCache>(options, writes);
    dispatcher_.AddWorkspace(&workspace, cache.get(), budgets);
    caches_[workspace.name] = std::move(cache);
  }
  if (writes != nullptr) {
    writes->Subscribe([this](const std::string& workspace, const RecentWrite& write) {
      auto it = caches_.find(workspace);
      if (it != caches_.end()) it->second->ApplyOwnWrite(write);
    });
  }
}

UserLookup::~UserLookup() { Shutdown(); }

void UserLookup::Shutdown() { dispatcher_.Shutdown(); }

void UserLookup::Lookup(const v1::LookupUsersRequest& request, absl::Time deadline, Done done) {
  absl::StatusOr<const WorkspaceSettings*> resolved = workspaces_->Resolve(request.workspace());
  if (!resolved.ok()) {
    std::move(done)(resolved.status(), {});
    return;
  }
  const WorkspaceSettings* workspace = *resolved;
  const FieldViolations violations =
      ValidateLookupRequest(request, workspace->default_phone_region);
  if (!violations.empty()) {
    std::move(done)(
        InvalidArgumentWithViolations(
            absl::StrCat("the lookup breaks ", violations.size(), " rule",
                         violations.size() == 1 ? "" : "s", "; first: ", violations.front().field(),
                         ": ", violations.front().description()),
            violations),
        {});
    return;
  }
  absl::StatusOr<std::string> phone = LookupPhoneE164(request, workspace->default_phone_region);
  if (!phone.ok()) {
    std::move(done)(phone.status(), {});
    return;
  }
  const LookupSettings& settings = workspace->lookup;
  const absl::Time now = absl::Now();
  const absl::Duration max_age =
      request.has_max_age() ? DurationOf(request.max_age()) : settings.cache_ttl;
  const absl::Duration max_stale = std::max(
      max_age, request.has_max_stale() ? DurationOf(request.max_stale()) : absl::ZeroDuration());
  const absl::Duration max_wait =
      request.has_max_wait() ? DurationOf(request.max_wait()) : settings.default_max_wait;
  const absl::Time answer_by = std::min(now + max_wait, deadline - kAnswerMargin);

  auto pending = std::make_shared<Pending>();
  pending->ids = IdentifiersOf(request, *phone);
  for (size_t i = 0; i < pending->ids.size(); ++i) {
    const LookupIdentifier::Kind kind = pending->ids[i].kind;
    pending->indexes.push_back(kind == LookupIdentifier::Kind::kExternalId ? static_cast<int>(i)
                               : kind == LookupIdentifier::Kind::kUserAlias
                                   ? static_cast<int>(i) - request.external_ids_size()
                                   : 0);
  }
  pending->fields = FieldsFor(request, settings);
  pending->workspace = workspace->name;
  pending->cache = caches_.at(workspace->name).get();
  pending->max_stale = max_stale;
  std::vector<size_t> to_fetch;
  absl::AnyInvocable<void() &&> finish;
  {
    absl::MutexLock lock(&pending->mu);
    pending->done = std::move(done);
    pending->results.resize(pending->ids.size());
    pending->users.resize(pending->ids.size());
    pending->open = pending->ids.size();
    for (size_t i = 0; i < pending->ids.size(); ++i) {
      const std::string key = pending->ids[i].Key();
      const v1::CachePolicy policy = request.cache_policy();
      std::optional<CachedAnswer> cached;
      if (policy == v1::CACHE_POLICY_CACHE_ONLY) {
        cached = pending->cache->Find(key, pending->fields, max_stale, now);
      } else if (policy != v1::CACHE_POLICY_REFRESH) {
        cached = pending->cache->Find(key, pending->fields, max_age, now);
      }
      if (cached.has_value()) {
        pending->Answer(i, *cached, /*from_cache=*/true, {});
      } else if (policy == v1::CACHE_POLICY_CACHE_ONLY) {
        pending->Fail(i, v1::LOOKUP_OUTCOME_DEFERRED, "", settings.pack_window);
      } else {
        to_fetch.push_back(i);
      }
    }
    if (pending->open == 0) finish = pending->Finish(absl::OkStatus());
  }
  if (finish) {
    std::move(finish)();
    return;
  }
  timers_.RunAt(answer_by, [this, pending] { Expire(pending); });
  for (size_t i : to_fetch) {
    dispatcher_.Fetch(
        workspace->name, pending->ids[i], pending->fields,
        [this, pending, i](absl::StatusOr<ExportFetch> fetched) {
          absl::AnyInvocable<void() &&> finish;
          {
            absl::MutexLock lock(&pending->mu);
            if (fetched.ok()) {
              if (fetched->call_id != 0) pending->calls.insert(fetched->call_id);
              pending->Answer(i, fetched->answer, /*from_cache=*/false, fetched->invalid_user_ids);
            } else if (absl::IsFailedPrecondition(fetched.status())) {
              finish = pending->Finish(fetched.status());
            } else {
              // Braze failed this identifier; older data may still do.
              std::optional<CachedAnswer> stale = pending->cache->Find(
                  pending->ids[i].Key(), pending->fields, pending->max_stale, absl::Now());
              if (stale.has_value()) {
                pending->Answer(i, *stale, /*from_cache=*/true, {});
              } else if (absl::IsResourceExhausted(fetched.status())) {
                pending->Fail(
                    i, v1::LOOKUP_OUTCOME_DEFERRED, "",
                    dispatcher_.NextCallAt(pending->workspace, absl::Now()) - absl::Now());
              } else {
                pending->Fail(i, v1::LOOKUP_OUTCOME_ERROR, fetched.status().message(),
                              absl::ZeroDuration());
              }
            }
            if (!finish && pending->open == 0) finish = pending->Finish(absl::OkStatus());
          }
          if (finish) std::move(finish)();
        });
  }
}

void UserLookup::Expire(const std::shared_ptr<Pending>& pending) {
  absl::AnyInvocable<void() &&> finish;
  {
    absl::MutexLock lock(&pending->mu);
    if (pending->finished) return;
    const absl::Time now = absl::Now();
    const absl::Duration retry_after =
        std::max(dispatcher_.NextCallAt(pending->workspace, now) - now, absl::Milliseconds(1));
    for (size_t i = 0; i < pending->ids.size(); ++i) {
      if (pending->results[i].has_value()) continue;
      std::optional<CachedAnswer> stale =
          pending->cache->Find(pending->ids[i].Key(), pending->fields, pending->max_stale, now);
      if (stale.has_value()) {
        pending->Answer(i, *stale, /*from_cache=*/true, {});
      } else {
        pending->Fail(i, v1::LOOKUP_OUTCOME_DEFERRED, "", retry_after);
      }
    }
    finish = pending->Finish(absl::OkStatus());
  }
  if (finish) std::move(finish)();
}

void UserLookup::ForgetUsers(const std::string& workspace,
                             const std::vector<std::string>& user_keys) {
  const auto found = caches_.find(workspace);
  if (found != caches_.end()) found->second->Forget(user_keys);
}

void UserLookup::MarkDeleted(const std::string& workspace,
                             const std::vector<std::string>& user_keys, absl::Time now,
                             absl::Time until) {
  const auto found = caches_.find(workspace);
  if (found != caches_.end()) found->second->Tombstone(user_keys, now, until);
}

}  // namespace brazesync
