// Reading secrets (Braze API keys, token hashes, TLS keys) from files with
// strict permissions, and noticing when such files change so they can be
// re-read without a restart. Secrets never come from flags; error messages
// name the file, never its contents.
#ifndef BRAZESYNC_SERVER_SECURITY_SECRET_SOURCE_H_
#define BRAZESYNC_SERVER_SECURITY_SECRET_SOURCE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace brazesync {

// OK when `path` exists and no group/other permission bit is set
// (mode & 077 == 0); otherwise FAILED_PRECONDITION (NOT_FOUND when missing)
// naming `what` and the file. Symlinks are followed (Kubernetes secrets).
absl::Status CheckSecretFilePermissions(const std::string& path, absl::string_view what);

// CheckSecretFilePermissions, then the file's contents (ReadWholeFile,
// base/files.h) with surrounding whitespace removed. A file that passes the
// check but cannot be opened is FAILED_PRECONDITION.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view what);

// Calls `on_change` (on its own thread) whenever the modification time, size
// or inode of one of the watched files changes, or a file appears or
// disappears. Polls every `interval`. Stops and joins in the destructor.
class FileChangeWatcher final {
 public:
  FileChangeWatcher(std::vector<std::string> paths, absl::Duration interval,
                    std::function<void()> on_change);
  ~FileChangeWatcher();
  FileChangeWatcher(const FileChangeWatcher&) = delete;
  FileChangeWatcher& operator=(const FileChangeWatcher&) = delete;

 private:
  struct Stamp {
    bool exists = false;
    int64_t mtime_ns = 0;
    int64_t size = 0;
    ino_t inode = 0;
    bool operator==(const Stamp& other) const {
      return exists == other.exists && mtime_ns == other.mtime_ns && size == other.size &&
             inode == other.inode;
    }
  };
  static Stamp StampOf(const std::string& path);
  void Loop();

  const std::vector<std::string> paths_;
  const absl::Duration interval_;
  const std::function<void()> on_change_;
  std::map<std::string, Stamp> stamps_;  // loop thread only (after construction)
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_SECURITY_SECRET_SOURCE_H_
