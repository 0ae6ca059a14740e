// The Braze REST API key each workspace sends, looked up by workspace name
// when a request is built. This is the one place that says which key goes
// out: the delivery engine asks it for every request, and a reload
// (BrazeSyncServer::Reload) replaces a workspace's key here, so the next
// request carries the new key without a restart. WorkspaceSettings::api_key
// stays what the config resolved at start-up and is only the seed.
//
// It also remembers every key it has held, current and previous, so the
// redactor can keep all of them out of logs. Thread-safe. Keys are secrets:
// nothing here puts one into a status message.
#ifndef BRAZESYNC_SERVER_CONFIG_API_KEY_SOURCE_H_
#define BRAZESYNC_SERVER_CONFIG_API_KEY_SOURCE_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/config/workspace.h"

namespace brazesync {

class ApiKeySource final {
 public:
  // No workspace has a key yet (tests that Set them one by one).
  ApiKeySource() = default;
  // Each workspace starts with its start-up key (WorkspaceSettings::api_key).
  explicit ApiKeySource(const WorkspaceRegistry& workspaces);
  ApiKeySource(const ApiKeySource&) = delete;
  ApiKeySource& operator=(const ApiKeySource&) = delete;

  // The key to send for `workspace` now. FAILED_PRECONDITION (naming the
  // workspace) when it has none: a configuration gap, not worth a retry.
  absl::StatusOr<std::string> Current(absl::string_view workspace) const;

  // From the next lookup on, `workspace` sends `key`. Returns whether that
  // changed its key.
  bool Set(absl::string_view workspace, std::string key);

  // Every key held since construction, current and previous, each once, in
  // the order first held: what logs must never show.
  std::vector<std::string> AllKeys() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> current_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_CONFIG_API_KEY_SOURCE_H_
