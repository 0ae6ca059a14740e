// Whole-file reads and the atomic port file.
#include "server/base/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace brazesync {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read file \"", path, "\""));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status WritePortFile(const std::string& path, int port) {
  // The pid keeps two processes given the same path from sharing a temp file.
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot write port file \"", temp, "\""));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rename \"", temp, "\" to \"", path, "\": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace brazesync
