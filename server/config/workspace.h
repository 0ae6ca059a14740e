// Braze workspaces BrazeSync writes to: loading the typed config (textproto of
// brazesync.v1.ServerConfig, or a single workspace from flags), resolving each
// workspace's API key from the environment or a file (which must not be
// readable by group or others), and looking workspaces
// up by name. Bad configuration is reported with the field that is wrong.
#ifndef BRAZESYNC_SERVER_CONFIG_WORKSPACE_H_
#define BRAZESYNC_SERVER_CONFIG_WORKSPACE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"
#include "server/braze/limits.h"
#include "server/config/actions_settings.h"
#include "server/config/lookup_settings.h"

namespace brazesync {

// A workspace with every default applied and its key resolved.
struct WorkspaceSettings {
  std::string name;
  std::string endpoint;  // e.g. "https://rest.iad-01.braze.com", no trailing '/'
  // Secret: never log it. The key resolved at start-up; what requests carry
  // is ApiKeySource's (api_key_source.h), which a reload may have rotated.
  std::string api_key;
  bool per_array_cap = false;
  int max_objects_per_request = kMaxObjectsPerRequest;
  size_t max_request_bytes = kMaxRequestBytes;
  int max_array_length = kMaxArrayLength;
  absl::Duration request_timeout = absl::Seconds(10);
  int max_attempts = 3;
  // Region of national phone numbers, e.g. "FR" (upper case); empty: E.164
  // only.
  std::string default_phone_region;
  // Cluster mode: the shared rate budget's key (WorkspaceConfig.rate_budget_key);
  // empty means the workspace's name.
  std::string rate_budget_key;
  // BrazeLookup (WorkspaceConfig.lookup).
  LookupSettings lookup;
  // BrazeIdentity, BrazeMessaging, BrazeSubscriptions (WorkspaceConfig.actions).
  ActionsSettings actions;
};

// Reads an environment variable; injectable for tests. Returns "" when unset.
using EnvLookup = std::function<std::string(const std::string& name)>;
std::string ProcessEnv(const std::string& name);

// Parses a textproto ServerConfig.
absl::StatusOr<v1::ServerConfig> ParseServerConfig(const std::string& textproto);
absl::StatusOr<v1::ServerConfig> LoadServerConfigFile(const std::string& path);

// Applies defaults, checks every field and resolves the key.
absl::StatusOr<WorkspaceSettings> ResolveWorkspace(const v1::WorkspaceConfig& config,
                                                   const EnvLookup& env = ProcessEnv);

// The configured workspaces, looked up by name.
class WorkspaceRegistry final {
 public:
  // Fails when there is no workspace, names repeat, or the default is unknown.
  static absl::StatusOr<WorkspaceRegistry> Create(const v1::ServerConfig& config,
                                                  const EnvLookup& env = ProcessEnv);

  // The workspace called `name` ("" = the default), or nullptr.
  const WorkspaceSettings* Find(const std::string& name) const;
  // The same for a request's `workspace` field: NOT_FOUND naming the
  // configured workspaces when none is called `name`.
  absl::StatusOr<const WorkspaceSettings*> Resolve(const std::string& name) const;
  const std::vector<WorkspaceSettings>& all() const { return workspaces_; }
  // The workspace names, in configuration order (for messages and for
  // checking the workspaces callers name).
  std::vector<std::string> names() const;

 private:
  std::vector<WorkspaceSettings> workspaces_;
  size_t default_index_ = 0;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONFIG_WORKSPACE_H_
