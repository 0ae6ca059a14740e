// The current Braze API key of each workspace.
#include "server/config/api_key_source.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brazesync {

ApiKeySource::ApiKeySource(const WorkspaceRegistry& workspaces) {
  for (const WorkspaceSettings& workspace : workspaces.all())
    Set(workspace.name, workspace.api_key);
}

absl::StatusOr<std::string> ApiKeySource::Current(absl::string_view workspace) const {
  absl::MutexLock lock(&mu_);
  auto it = current_.find(workspace);
  if (it == current_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("workspace \"", workspace, "\" has no Braze API key"));
  }
  return it->second;
}

bool ApiKeySource::Set(absl::string_view workspace, std::string key) {
  absl::MutexLock lock(&mu_);
  if (std::find(all_.begin(), all_.end(), key) == all_.end()) all_.push_back(key);
  auto [it, inserted] = current_.try_emplace(workspace, key);
  if (inserted) return true;
  if (it->second == key) return false;
  it->second = std::move(key);
  return true;
}

std::vector<std::string> ApiKeySource::AllKeys() const {
  absl::MutexLock lock(&mu_);
  return all_;
}

}  // namespace brazesync
