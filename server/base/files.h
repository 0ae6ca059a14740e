// Whole-file reads and the atomic port file: the project's one copy of each,
// so every reader reports a missing file the same way (NOT_FOUND naming the
// config field and the path, never the contents) and every process that
// announces its port does it without a reader ever seeing half a number.
// Permission policy (secret files must be private) is not decided here; see
// security/secret_source.h.
#ifndef BRAZESYNC_SERVER_BASE_FILES_H_
#define BRAZESYNC_SERVER_BASE_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace brazesync {

// The whole contents of `path`, byte for byte. NOT_FOUND, with the message
// `<what>: cannot read file "<path>"`, when it cannot be opened; `what` names
// the setting the path came from (e.g. "tls.cert_file") so the message says
// what to fix.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, absl::string_view what);

// Writes "<port>\n" to `path` through a temporary file in the same directory
// and a rename, so a script polling for the file reads either nothing or the
// whole port. The error names the path.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BASE_FILES_H_
