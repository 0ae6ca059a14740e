// One access-log line and the call metrics per rpc.
#include "server/ops/call_log.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace brazesync {
namespace {

// The metrics label of an item's kind: its Braze array.
absl::string_view KindLabel(v1::ItemKind kind) {
  return IsBrazeArrayKind(kind) ? BrazeArrayName(kind) : "unspecified";
}

// ITEM_STATUS_DELIVERED -> "delivered". Computed once per status: this runs
// for every item of every call.
const std::string& OutcomeName(v1::ItemStatus status) {
  static const auto* const kNames = [] {
    auto* names = new absl::flat_hash_map<int, std::string>();
    const google::protobuf::EnumDescriptor* statuses = v1::ItemStatus_descriptor();
    for (int i = 0; i < statuses->value_count(); ++i) {
      std::string name = statuses->value(i)->name();
      if (name.rfind("ITEM_STATUS_", 0) == 0) name = name.substr(12);
      (*names)[statuses->value(i)->number()] = absl::AsciiStrToLower(name);
    }
    return names;
  }();
  static const auto* const kUnknown = new std::string("unknown");
  auto it = kNames->find(status);
  return it == kNames->end() ? *kUnknown : it->second;
}

// Failures BrazeSync or Braze caused (warning) rather than the caller (info).
bool ServerSide(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kFailedPrecondition;
}

}  // namespace

std::string CodeName(absl::StatusCode code) {
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

CallLog::CallLog(Metrics* metrics, JsonLogger* logger, const WorkspaceRegistry* workspaces)
    : metrics_(metrics), logger_(logger), workspaces_(workspaces) {}

std::string CallLog::WorkspaceName(const std::string& workspace) const {
  if (!workspace.empty() || workspaces_ == nullptr) return workspace;
  const WorkspaceSettings* fallback = workspaces_->Find("");
  return fallback != nullptr ? fallback->name : workspace;
}

void CallLog::RecordTrack(absl::string_view method, const std::string& request_id,
                          const Caller* caller, const std::string& workspace,
                          const PerKind<int>& counts, const absl::Status& status,
                          const v1::TrackResult* result, absl::Time started) const {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string code = CodeName(status.code());
  if (metrics_ != nullptr) {
    metrics_->CountCall(method, code, seconds);
    if (result != nullptr) {
      for (const v1::ItemResult& item : result->items()) {
        metrics_->CountItems(KindLabel(item.kind()), OutcomeName(item.status()), 1);
      }
    } else {
      const std::string outcome = absl::StrCat("call_", absl::AsciiStrToLower(code));
      for (const v1::ItemKind kind : kBrazeArrayKinds) {
        metrics_->CountItems(BrazeArrayName(kind), outcome, counts[kind]);
      }
    }
  }
  if (logger_ == nullptr) return;
  const LogLevel level = status.ok()
                             ? LogLevel::kDebug
                             : (ServerSide(status.code()) ? LogLevel::kWarning : LogLevel::kInfo);
  if (!logger_->Enabled(level)) return;
  nlohmann::json fields = {
      {"request_id", request_id},
      {"method", std::string(method)},
      {"workspace", WorkspaceName(workspace)},
      {"code", code},
      {"attributes", counts.attributes},
      {"events", counts.events},
      {"purchases", counts.purchases},
      {"latency_ms", seconds * 1000},
  };
  if (caller != nullptr) fields["caller"] = caller->name;
  if (result != nullptr) {
    fields["outcome"] = v1::Outcome_Name(result->outcome());
    fields["braze_requests"] = result->braze_requests();
  } else {
    fields["error"] = std::string(status.message().substr(0, 512));
  }
  logger_->Log(level, "call finished", std::move(fields));
}

void CallLog::RecordCall(absl::string_view method, const std::string& request_id,
                         const Caller* caller, const std::string& workspace,
                         const absl::Status& status, absl::Time started) const {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string code = CodeName(status.code());
  if (metrics_ != nullptr) metrics_->CountCall(method, code, seconds);
  if (logger_ == nullptr) return;
  const LogLevel level = ServerSide(status.code()) ? LogLevel::kWarning : LogLevel::kInfo;
  if (!logger_->Enabled(level)) return;
  nlohmann::json fields = {
      {"request_id", request_id},     {"method", std::string(method)},
      {"workspace", workspace},       {"code", code},
      {"latency_ms", seconds * 1000},
  };
  if (caller != nullptr) fields["caller"] = caller->name;
  if (!status.ok()) fields["error"] = std::string(status.message().substr(0, 512));
  logger_->Log(level, "call finished", std::move(fields));
}

}  // namespace brazesync
