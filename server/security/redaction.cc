// Redaction of personal data and secrets from log text.
#include "server/security/redaction.h"

#include <re2/re2.h>

#include <utility>

#include "absl/strings/str_replace.h"

namespace brazesync {
namespace {

struct Rule {
  const RE2* pattern;
  const char* replacement;
};

const std::vector<Rule>& Rules() {
  // Order matters: credentials first, so a token is not half-eaten by the
  // phone or e-mail rule.
  static const auto* rules = new std::vector<Rule>{
      {new RE2(R"((?i)\bbearer\s+[A-Za-z0-9._~+/=:-]+)"), "Bearer <redacted>"},
      {new RE2(R"((?i)\b(api[_-]?key|token|secret|password)(["']?\s*[:=]\s*["']?)[^\s"',;}&]+)"),
       "\\1\\2<redacted>"},
      {new RE2(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"), "<email>"},
      // UUID-shaped keys (Braze REST API keys) and long opaque runs.
      {new RE2(
           R"(\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"),
       "<key>"},
      {new RE2(R"(\b[0-9a-fA-F]{32,}\b)"), "<key>"},
      // E.164 (+441234567890, +1 (555) 123-4567) and North-American style.
      {new RE2(R"(\+[0-9][0-9 ().-]{5,18}[0-9])"), "<phone>"},
      {new RE2(R"((?:\([0-9]{3}\) ?|\b[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}\b)"), "<phone>"},
  };
  return *rules;
}

}  // namespace

std::string RedactPatterns(absl::string_view text) {
  std::string out(text);
  for (const Rule& rule : Rules()) RE2::GlobalReplace(&out, *rule.pattern, rule.replacement);
  return out;
}

void Redactor::SetSecrets(std::vector<std::string> secrets) {
  std::vector<std::string> kept;
  for (std::string& secret : secrets) {
    if (secret.size() >= 8) kept.push_back(std::move(secret));
  }
  absl::MutexLock lock(&mu_);
  secrets_ = std::move(kept);
}

std::string Redactor::Redact(absl::string_view text) const {
  std::string out(text);
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& secret : secrets_) absl::StrReplaceAll({{secret, "<redacted>"}}, &out);
  }
  if (enabled_) out = RedactPatterns(out);
  return out;
}

}  // namespace brazesync
