// Secret files with strict permissions, and a polling file-change watcher.
#include "server/security/secret_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "server/base/files.h"

namespace brazesync {

absl::Status CheckSecretFilePermissions(const std::string& path, absl::string_view what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat(what, ": cannot read file \"", path, "\": ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": \"", path, "\" is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: file \"%s\" is accessible by group or others (mode %04o); a secret file must be "
        "0600 or stricter (chmod 600 %s)",
        what, path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view what) {
  if (absl::Status status = CheckSecretFilePermissions(path, what); !status.ok()) return status;
  absl::StatusOr<std::string> contents = ReadWholeFile(path, what);
  if (!contents.ok()) {
    // The file exists (the check above saw it) but cannot be opened: a
    // problem with the deployment, not a missing setting.
    return absl::FailedPreconditionError(contents.status().message());
  }
  return std::string(absl::StripAsciiWhitespace(*contents));
}

FileChangeWatcher::FileChangeWatcher(std::vector<std::string> paths, absl::Duration interval,
                                     std::function<void()> on_change)
    : paths_(std::move(paths)), interval_(interval), on_change_(std::move(on_change)) {
  for (const std::string& path : paths_) stamps_[path] = StampOf(path);
  thread_ = std::thread([this] { Loop(); });
}

FileChangeWatcher::~FileChangeWatcher() {
  stop_.Notify();
  thread_.join();
}

FileChangeWatcher::Stamp FileChangeWatcher::StampOf(const std::string& path) {
  Stamp stamp;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return stamp;
  stamp.exists = true;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  stamp.size = static_cast<int64_t>(st.st_size);
  stamp.inode = st.st_ino;
  return stamp;
}

void FileChangeWatcher::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    bool changed = false;
    for (const std::string& path : paths_) {
      Stamp now = StampOf(path);
      if (!(now == stamps_[path])) {
        stamps_[path] = now;
        changed = true;
      }
    }
    if (changed) on_change_();
  }
}

}  // namespace brazesync
