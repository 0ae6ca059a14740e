// Structured JSON logs through spdlog.
#include "server/ops/logging.h"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <string_view>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace brazesync {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarning:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

void RedactStrings(nlohmann::json& value, const Redactor& redactor) {
  if (value.is_string()) {
    value = redactor.Redact(value.get_ref<const std::string&>());
  } else if (value.is_structured()) {
    for (auto& element : value) RedactStrings(element, redactor);
  }
}

}  // namespace

JsonLogger::JsonLogger(std::shared_ptr<spdlog::sinks::sink> sink, const Redactor* redactor,
                       LogLevel min_level)
    : redactor_(redactor) {
  if (sink == nullptr) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  logger_ = std::make_shared<spdlog::logger>("brazesync", std::move(sink));
  // %v is the rest of the object, without its braces (see Log).
  logger_->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc));
  logger_->set_level(ToSpdlog(min_level));
  logger_->flush_on(spdlog::level::warn);
}

JsonLogger::~JsonLogger() { logger_->flush(); }

void JsonLogger::Log(LogLevel level, absl::string_view message, nlohmann::json fields) {
  const spdlog::level::level_enum spd_level = ToSpdlog(level);
  if (!logger_->should_log(spd_level)) return;
  nlohmann::json object = nlohmann::json::object();
  object["msg"] = std::string(message);
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) object[key] = std::move(value);
  }
  RedactStrings(object, *redactor_);
  // Invalid UTF-8 (caller-supplied text) is replaced, never thrown on.
  const std::string dumped = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  logger_->log(spd_level, "{}", std::string_view(dumped).substr(1, dumped.size() - 2));
}

bool JsonLogger::Enabled(LogLevel level) const { return logger_->should_log(ToSpdlog(level)); }

void JsonLogger::Flush() { logger_->flush(); }

bool ParseLogLevel(absl::string_view name, LogLevel* level) {
  if (name == "debug") {
    *level = LogLevel::kDebug;
  } else if (name == "info") {
    *level = LogLevel::kInfo;
  } else if (name == "warning" || name == "warn") {
    *level = LogLevel::kWarning;
  } else if (name == "error") {
    *level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

std::string NewRequestId() {
  static absl::BitGen* const gen = new absl::BitGen();
  static absl::Mutex mu(absl::kConstInit);
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(*gen));
}

std::string RequestIdOr(absl::string_view candidate) {
  if (candidate.empty() || candidate.size() > 128) return NewRequestId();
  for (char c : candidate) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return NewRequestId();
  }
  return std::string(candidate);
}

}  // namespace brazesync
