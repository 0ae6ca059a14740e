// Structured logs: one JSON object per line (spdlog), with UTC timestamp,
// level, message and fields such as request_id, method, workspace, code,
// item counts and latency. Every string value passes through a Redactor, so
// e-mails, phone numbers, Bearer tokens and API keys do not reach the log.
#ifndef BRAZESYNC_SERVER_OPS_LOGGING_H_
#define BRAZESYNC_SERVER_OPS_LOGGING_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/security/redaction.h"

namespace spdlog {
class logger;
namespace sinks {
class sink;
}  // namespace sinks
}  // namespace spdlog

namespace brazesync {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class JsonLogger final {
 public:
  // Logs to `sink` (stderr when null) at `min_level` and above. `redactor`
  // must outlive the logger.
  JsonLogger(std::shared_ptr<spdlog::sinks::sink> sink, const Redactor* redactor,
             LogLevel min_level = LogLevel::kInfo);
  ~JsonLogger();
  JsonLogger(const JsonLogger&) = delete;
  JsonLogger& operator=(const JsonLogger&) = delete;

  // Writes {"ts":...,"level":...,"msg":message, ...fields} (fields must be a
  // JSON object or null). Thread-safe.
  void Log(LogLevel level, absl::string_view message,
           nlohmann::json fields = nlohmann::json::object());
  // Whether `level` is logged, so callers can skip building fields.
  bool Enabled(LogLevel level) const;
  void Flush();

 private:
  std::shared_ptr<spdlog::logger> logger_;
  const Redactor* const redactor_;
};

// Parses "debug", "info", "warning", "error".
bool ParseLogLevel(absl::string_view name, LogLevel* level);

// A new random request id (16 hex digits).
std::string NewRequestId();

// `candidate` if it is a usable request id (1..128 printable ASCII characters
// without quotes or backslashes), else a new one.
std::string RequestIdOr(absl::string_view candidate);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_OPS_LOGGING_H_
