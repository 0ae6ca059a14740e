// Redaction of personal data and secrets from text bound for logs: e-mail
// addresses, phone numbers, Bearer tokens, API-key-shaped strings (UUIDs,
// long hex/base64 runs) and any secret value registered at run time (the
// configured Braze API keys). gRPC-free and thread-safe.
#ifndef BRAZESYNC_SERVER_SECURITY_REDACTION_H_
#define BRAZESYNC_SERVER_SECURITY_REDACTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace brazesync {

// Replaces e-mails with "<email>", phone numbers with "<phone>", Bearer
// credentials with "Bearer <redacted>", and key-shaped tokens with "<key>".
std::string RedactPatterns(absl::string_view text);

class Redactor final {
 public:
  // `enabled` false keeps personal data (debugging only); registered secrets
  // are always removed.
  explicit Redactor(bool enabled = true) : enabled_(enabled) {}

  // Replaces the exact secret values always removed (e.g. API keys after a
  // reload). Values shorter than 8 characters are ignored (too many false
  // hits, and no real key is that short).
  void SetSecrets(std::vector<std::string> secrets);
  std::string Redact(absl::string_view text) const;
  bool enabled() const { return enabled_; }

 private:
  const bool enabled_;
  mutable absl::Mutex mu_;
  std::vector<std::string> secrets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_SECURITY_REDACTION_H_
