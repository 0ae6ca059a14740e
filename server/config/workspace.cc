// Braze workspaces: config loading, key resolution and lookup.
#include "server/config/workspace.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "server/base/files.h"
#include "server/security/secret_source.h"
#include "server/validation/phone_numbers.h"

namespace brazesync {
namespace {

// BrazeSync's floor for max_request_bytes (Braze has none): room for the
// largest single item (a profile with 100 KB attributes).
constexpr int64_t kMinRequestBytes = 1'000'000;

// Collects textproto parse errors with their line and column.
class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    absl::StrAppend(&errors_, errors_.empty() ? "" : "; ", "line ", line + 1, ":", column + 1, ": ",
                    message);
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

absl::StatusOr<std::string> ResolveApiKey(const v1::WorkspaceConfig& config, const EnvLookup& env,
                                          const std::string& where) {
  if (!config.api_key_env().empty() && !config.api_key_file().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": set api_key_env or api_key_file, not both"));
  }
  std::string key;
  if (!config.api_key_file().empty()) {
    // Refuses files readable by group or others (secret_source.h).
    absl::StatusOr<std::string> contents =
        ReadSecretFile(config.api_key_file(), absl::StrCat(where, ".api_key_file"));
    if (!contents.ok()) return contents.status();
    key = *std::move(contents);
  } else {
    const std::string variable =
        config.api_key_env().empty() ? "BRAZE_API_KEY" : config.api_key_env();
    key = env(variable);
    if (key.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ".api_key_env: environment variable ", variable, " is not set"));
    }
  }
  if (key.empty()) return absl::FailedPreconditionError(absl::StrCat(where, ": API key is empty"));
  if (key.find_first_of(" \t\r\n\"") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": API key contains whitespace or quotes (send it unquoted)"));
  }
  return key;
}

}  // namespace

std::string ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? "" : value;
}

absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& textproto) {
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  v1::ServerConfig config;
  if (!parser.ParseFromString(textproto, &config)) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", errors.errors()));
  }
  return config;
}

absl::StatusOr<v1::ServerConfig> LoadServerConfigFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadWholeFile(path, "config");
  if (!contents.ok()) return contents.status();
  absl::StatusOr<v1::ServerConfig> config = ParseServerConfig(*contents);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

absl::StatusOr<WorkspaceSettings> ResolveWorkspace(const v1::WorkspaceConfig& config,
                                                   const EnvLookup& env) {
  const std::string where = absl::StrCat("workspaces[\"", config.name(), "\"]");
  if (config.name().empty()) return absl::InvalidArgumentError("workspaces.name: required");
  WorkspaceSettings settings;
  settings.name = config.name();
  settings.endpoint = std::string(absl::StripSuffix(config.endpoint(), "/"));
  if (!absl::StartsWith(settings.endpoint, "https://") &&
      !absl::StartsWith(settings.endpoint, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".endpoint: must be an http(s) URL such as https://rest.iad-01.braze.com (got \"",
        config.endpoint(), "\")"));
  }
  absl::StatusOr<std::string> key = ResolveApiKey(config, env, where);
  if (!key.ok()) return key.status();
  settings.api_key = *std::move(key);
  settings.per_array_cap = config.object_cap_mode() == v1::OBJECT_CAP_MODE_PER_ARRAY;
  if (config.max_objects_per_request() < 0 ||
      config.max_objects_per_request() > kMaxObjectsPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".max_objects_per_request: must be 1..",
                                                   kMaxObjectsPerRequest,
                                                   " (0 = ", kMaxObjectsPerRequest, ")"));
  }
  if (config.max_objects_per_request() > 0) {
    settings.max_objects_per_request = config.max_objects_per_request();
  }
  if (config.max_request_bytes() < 0 ||
      config.max_request_bytes() > static_cast<int64_t>(kMaxRequestBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".max_request_bytes: must be at most ",
                                                   kMaxRequestBytes, " (0 = ", kMaxRequestBytes,
                                                   ")"));
  }
  if (config.max_request_bytes() > 0) {
    if (config.max_request_bytes() < kMinRequestBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".max_request_bytes: must be at least ", kMinRequestBytes));
    }
    settings.max_request_bytes = static_cast<size_t>(config.max_request_bytes());
  }
  if (config.max_array_length() < 0 || config.max_array_length() > kMaxArrayLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".max_array_length: must be 1..", kMaxArrayLength, " (0 = ", kMaxArrayLength, ")"));
  }
  if (config.max_array_length() > 0) settings.max_array_length = config.max_array_length();
  if (config.request_timeout_ms() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".request_timeout_ms: must be >= 0"));
  }
  if (config.request_timeout_ms() > 0) {
    settings.request_timeout = absl::Milliseconds(config.request_timeout_ms());
  }
  if (config.max_attempts() < 0 || config.max_attempts() > 20) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".max_attempts: must be 0..20"));
  }
  if (config.max_attempts() > 0) settings.max_attempts = config.max_attempts();
  if (!config.default_phone_region().empty()) {
    settings.default_phone_region = absl::AsciiStrToUpper(config.default_phone_region());
    if (!IsPhoneRegion(settings.default_phone_region)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where,
                       ".default_phone_region: must be an ISO 3166-1 alpha-2 region with phone "
                       "numbers, such as \"FR\" (got \"",
                       config.default_phone_region(), "\")"));
    }
  }
  settings.rate_budget_key = config.rate_budget_key();
  absl::StatusOr<LookupSettings> lookup =
      ResolveLookupSettings(config.lookup(), absl::StrCat(where, ".lookup"));
  if (!lookup.ok()) return lookup.status();
  settings.lookup = *std::move(lookup);
  absl::StatusOr<ActionsSettings> actions =
      ResolveActionsSettings(config.actions(), absl::StrCat(where, ".actions"));
  if (!actions.ok()) return actions.status();
  settings.actions = *std::move(actions);
  return settings;
}

absl::StatusOr<WorkspaceRegistry> WorkspaceRegistry::Create(const v1::ServerConfig& config,
                                                            const EnvLookup& env) {
  if (config.workspaces().empty()) {
    return absl::InvalidArgumentError("workspaces: at least one workspace is required");
  }
  WorkspaceRegistry registry;
  absl::flat_hash_set<std::string> names;
  for (const v1::WorkspaceConfig& workspace : config.workspaces()) {
    if (!names.insert(workspace.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("workspaces: name \"", workspace.name(), "\" appears twice"));
    }
    absl::StatusOr<WorkspaceSettings> settings = ResolveWorkspace(workspace, env);
    if (!settings.ok()) return settings.status();
    registry.workspaces_.push_back(*std::move(settings));
  }
  if (!config.default_workspace().empty()) {
    const WorkspaceSettings* found = registry.Find(config.default_workspace());
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("default_workspace: no workspace is named \"",
                                                     config.default_workspace(), "\""));
    }
    registry.default_index_ = static_cast<size_t>(found - registry.workspaces_.data());
  }
  return registry;
}

std::vector<std::string> WorkspaceRegistry::names() const {
  std::vector<std::string> names;
  names.reserve(workspaces_.size());
  for (const WorkspaceSettings& workspace : workspaces_) names.push_back(workspace.name);
  return names;
}

const WorkspaceSettings* WorkspaceRegistry::Find(const std::string& name) const {
  if (name.empty()) return &workspaces_[default_index_];
  for (const WorkspaceSettings& workspace : workspaces_) {
    if (workspace.name == name) return &workspace;
  }
  return nullptr;
}

absl::StatusOr<const WorkspaceSettings*> WorkspaceRegistry::Resolve(const std::string& name) const {
  const WorkspaceSettings* workspace = Find(name);
  if (workspace == nullptr) {
    return absl::NotFoundError(absl::StrCat("workspace: no workspace is named \"", name,
                                            "\" (configured: ", absl::StrJoin(names(), ", "), ")"));
  }
  return workspace;
}

}  // namespace brazesync
