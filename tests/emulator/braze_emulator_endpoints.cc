// The Braze emulator's identity, trigger and subscription endpoints
// (braze_emulator.h; shared/reference/braze-api-round2.md §2.2-§2.6,
// §2.8-§2.11, §2.13): their routes, budgets and permissions, and the one
// handler they share. What each does with a body is identity_rules.h,
// trigger_rules.h or subscription_rules.h; /users/track and
// /users/export/ids stay in braze_emulator.cc.
#include <httplib.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/emulator/http_plumbing.h"
#include "tests/emulator/identity_rules.h"
#include "tests/emulator/subscription_rules.h"
#include "tests/emulator/trigger_rules.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

constexpr char kTooLarge[] = "Request Entity Too Large";
constexpr char kParseError[] = "Error while parsing request body. Please check your syntax.";
constexpr char kAudiencePrefix[] = "audience:";

void SetRateHeaders(httplib::Response& res, const RateWindowState& w) {
  res.set_header("X-RateLimit-Limit", std::to_string(w.limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(w.remaining));
  res.set_header("X-RateLimit-Reset", std::to_string(w.reset_epoch_seconds));
}

// Every value of the query parameter `name` (repeated, or as `name[]`).
std::vector<std::string> ParamValues(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& key : {name, absl::StrCat(name, "[]")}) {
    const size_t count = req.get_param_value_count(key.c_str());
    for (size_t i = 0; i < count; ++i) out.push_back(req.get_param_value(key.c_str(), i));
  }
  return out;
}

}  // namespace

bool BrazeEmulator::Permitted(const std::string& permission) const {
  return std::find(options_.denied_permissions.begin(), options_.denied_permissions.end(),
                   permission) == options_.denied_permissions.end();
}

FixedWindowLimiter& BrazeEmulator::LimiterLocked(const std::string& name) {
  auto it = limiters_.find(name);
  if (it != limiters_.end()) return it->second;
  const EmulatorOptions& o = options_;
  int limit = o.default_rate_limit_requests;
  absl::Duration window = o.default_rate_limit_window;
  if (name == "identity") {
    limit = o.identity_rate_limit_requests;
    window = o.identity_rate_limit_window;
  } else if (name == "rename") {
    limit = o.rename_rate_limit_requests;
    window = o.rename_rate_limit_window;
  } else if (name == "remove") {
    limit = o.remove_rate_limit_requests;
    window = o.remove_rate_limit_window;
  } else if (name == "trigger") {
    limit = o.trigger_rate_limit_requests;
    window = o.trigger_rate_limit_window;
  } else if (name == "broadcast") {
    limit = o.broadcast_rate_limit_requests;
    window = o.broadcast_rate_limit_window;
  } else if (absl::StartsWith(name, kAudiencePrefix)) {
    limit = o.broadcast_audience_rate_limit_requests;
    window = o.broadcast_rate_limit_window;
  } else if (name == "subscription") {
    limit = o.subscription_rate_limit_requests;
    window = o.subscription_rate_limit_window;
  }
  return limiters_.emplace(name, FixedWindowLimiter(limit, window)).first->second;
}

void BrazeEmulator::HandleEndpoint(const httplib::Request& req, httplib::Response& res,
                                   const std::string& permission, bool json_body,
                                   const Budgets& budgets, const Answerer& answer) {
  const Arrival arrival = Arrive(/*with_faults=*/true, absl::ZeroDuration());
  const Json body =
      json_body ? Json::parse(req.body, nullptr, /*allow_exceptions=*/false) : Json::object();
  const std::vector<std::string> names = budgets(body);
  if (AnswerInjectedFault(Route::kIdentity, arrival, req, res, [&] {
        absl::MutexLock lock(&mu_);
        return LimiterLocked(names.front()).Count(Now(), /*consume=*/false);
      })) {
    return;
  }
  RateWindowState window;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = Now();
    for (const std::string& name : names) {
      window = LimiterLocked(name).Count(now, /*consume=*/true);
      if (window.limited) {
        ++stats_.endpoint_rate_limited[req.path];
        break;
      }
    }
  }
  SetRateHeaders(res, window);
  EndpointAnswer out;
  if (window.limited) {
    out = EndpointAnswer::Error(429, kRateLimitExceeded);
  } else if (std::optional<Refusal> refused =
                 RefuseCaller(req, Permitted(permission), /*denied_status=*/401, json_body)) {
    out = EndpointAnswer::Error(refused->status, refused->message);
  } else if (req.body.size() > options_.max_body_bytes) {
    out = EndpointAnswer::Error(413, kTooLarge);
  } else if (json_body && (body.is_discarded() || !body.is_object())) {
    out = EndpointAnswer::Error(400, kParseError);
  } else {
    absl::MutexLock lock(&mu_);
    out = answer(body);
    const absl::Time now = Now();
    for (size_t index : profiles_.TakeChanged()) {
      NoteProfileChangedLocked(index, now);
      if (options_.export_lag > absl::ZeroDuration()) {
        recent_identity_changes_.emplace_back(now, index);
      }
    }
    for (const std::string& text : out.notes) {
      endpoint_notes_.push_back({{"sequence", arrival.seq}, {"path", req.path}, {"text", text}});
    }
  }
  const std::string response = Dump(out.body);
  SendJson(res, out.status, response);
  Record(arrival.seq, arrival.received, req, out.status, response, nullptr, Route::kIdentity);
}

void BrazeEmulator::HandleTrigger(const httplib::Request& req, httplib::Response& res,
                                  bool campaign) {
  HandleEndpoint(
      req, res, campaign ? "campaigns.trigger.send" : "canvas.trigger.send", /*json_body=*/true,
      [campaign](const Json& body) -> std::vector<std::string> {
        if (std::optional<std::string> key = BroadcastAudienceKey(body, campaign)) {
          return {"broadcast", absl::StrCat(kAudiencePrefix, *key)};
        }
        return {"trigger"};
      },
      [this, campaign](const Json& body) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        TriggerVerdict verdict = JudgeTrigger(
            body, campaign, campaign ? options_.campaign_states : options_.canvas_states);
        if (verdict.refusal) return *verdict.refusal;
        const std::string dispatch_id = absl::StrCat("emulator-dispatch-", ++next_dispatch_);
        TriggerResult result = RunTrigger(verdict.request, dispatch_id, profiles_);
        const absl::Time now = Now();
        for (size_t index : result.touched) NoteProfileChangedLocked(index, now);
        for (Json& message : result.messages) messages_.push_back(std::move(message));
        stats_.messages_sent += result.messages.size();
        return result.answer;
      });
}

void BrazeEmulator::RegisterIdentityRoutes(httplib::Server& s) {
  auto post = [this, &s](const char* path, const char* permission, const char* budget,
                         EndpointAnswer (*rule)(const Json&, ProfileStore&)) {
    s.Post(path,
           [this, permission, budget, rule](const httplib::Request& req, httplib::Response& res) {
             HandleEndpoint(
                 req, res, permission, /*json_body=*/true,
                 [budget](const Json&) { return std::vector<std::string>{budget}; },
                 [this, rule](const Json& body)
                     ABSL_NO_THREAD_SAFETY_ANALYSIS { return rule(body, profiles_); });
           });
  };
  post("/users/alias/new", "users.alias.new", "identity", NewAliases);
  post("/users/identify", "users.identify", "identity", IdentifyUsers);
  post("/users/merge", "users.merge", "identity", MergeUsers);
  post("/users/delete", "users.delete", "identity", DeleteUsers);
  post("/users/external_ids/rename", "users.external_ids.rename", "rename", RenameExternalIds);
  post("/users/external_ids/remove", "users.external_ids.remove", "remove", RemoveExternalIds);
  post("/subscription/status/set", "subscription.status.set", "subscription",
       SetSubscriptionStatusV1);
  post("/v2/subscription/status/set", "subscription.status.set", "subscription",
       SetSubscriptionStatusV2);
  s.Post("/canvas/trigger/send", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrigger(req, res, /*campaign=*/false);
  });
  s.Post("/campaigns/trigger/send", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrigger(req, res, /*campaign=*/true);
  });
  s.Get("/subscription/user/status", [this](const httplib::Request& req, httplib::Response& res) {
    HandleEndpoint(
        req, res, "subscription.groups.get", /*json_body=*/false,
        [](const Json&) { return std::vector<std::string>{"default"}; },
        [this, &req](const Json&) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          SubscriptionStatusQuery query;
          query.external_ids = ParamValues(req, "external_id");
          query.emails = ParamValues(req, "email");
          query.phones = ParamValues(req, "phone");
          if (req.has_param("limit") &&
              !absl::SimpleAtoi(req.get_param_value("limit"), &query.limit)) {
            query.limit = -1;
          }
          if (req.has_param("offset") &&
              !absl::SimpleAtoi(req.get_param_value("offset"), &query.offset)) {
            query.offset = -1;
          }
          return UserSubscriptionStatus(query, profiles_);
        });
  });
}

}  // namespace brazesync::emulator
