// Caller authentication, authorisation and rate limiting.
#include "server/security/caller_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "server/security/secret_source.h"

namespace brazesync {
namespace {

bool ParseHexDigest(absl::string_view hex, Sha256Digest& out) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
}

}  // namespace

Sha256Digest Sha256(absl::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; then the digest stays zero,
  // which no configured hash can match by accident (hashes are checked).
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

std::string Sha256Hex(absl::string_view data) {
  const Sha256Digest digest = Sha256(data);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<std::string> BearerToken(absl::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing caller token: send metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  value = absl::StripAsciiWhitespace(value.substr(7));
  if (value.empty()) return absl::UnauthenticatedError("empty caller token");
  return std::string(value);
}

TokenBucket::TokenBucket(double rate, double burst, absl::Time now)
    : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

bool TokenBucket::TryTake(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

namespace {

// The workspaces listed in `names` ("*" = all), each a configured one.
absl::StatusOr<WorkspaceGrant> ParseGrant(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    const absl::flat_hash_set<std::string>& known, const std::string& field) {
  WorkspaceGrant grant;
  for (const std::string& workspace : names) {
    if (workspace == "*") {
      grant.all = true;
    } else if (!known.contains(workspace)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": no workspace is named \"", workspace, "\""));
    } else {
      grant.names.insert(workspace);
    }
  }
  return grant;
}

}  // namespace

absl::StatusOr<CallerRegistry> CallerRegistry::Create(
    const google::protobuf::RepeatedPtrField<v1::CallerConfig>& callers,
    const std::vector<std::string>& known_workspaces) {
  const absl::flat_hash_set<std::string> known(known_workspaces.begin(), known_workspaces.end());
  absl::flat_hash_set<std::string> names;
  CallerRegistry registry;
  for (int i = 0; i < callers.size(); ++i) {
    const v1::CallerConfig& config = callers[i];
    if (config.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("callers[", i, "].name: required"));
    }
    const std::string where = absl::StrCat("callers[\"", config.name(), "\"]");
    if (!names.insert(config.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("callers: name \"", config.name(), "\" appears twice"));
    }
    auto caller = std::make_shared<Caller>();
    caller->name = config.name();
    if (config.token_sha256().empty() == config.token_sha256_file().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": set exactly one of token_sha256 and token_sha256_file"));
    }
    std::string hex = config.token_sha256();
    std::string field = ".token_sha256";
    if (!config.token_sha256_file().empty()) {
      field = ".token_sha256_file";
      absl::StatusOr<std::string> contents =
          ReadSecretFile(config.token_sha256_file(), absl::StrCat(where, field));
      if (!contents.ok()) return contents.status();
      // `sha256sum` output ends with "  -" or the file name: keep the digest.
      hex = std::string(contents->substr(0, contents->find_first_of(" \t\r\n")));
    }
    if (!ParseHexDigest(hex, caller->token_sha256)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, field, ": must be the SHA-256 of the token as 64 hex digits, not the token"));
    }
    if (config.allowed_workspaces().empty() && config.admin_workspaces().empty() &&
        config.lookup_workspaces().empty() && config.identity_workspaces().empty() &&
        config.messaging_workspaces().empty() && config.subscription_workspaces().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ".allowed_workspaces: required unless another role is granted (admin_workspaces, "
          "lookup_workspaces, identity_workspaces, messaging_workspaces or "
          "subscription_workspaces; workspace names, or \"*\" for all)"));
    }
    const struct {
      const google::protobuf::RepeatedPtrField<std::string>& names;
      const char* field;
      WorkspaceGrant* grant;
    } grants[] = {
        {config.allowed_workspaces(), ".allowed_workspaces", &caller->track},
        {config.admin_workspaces(), ".admin_workspaces", &caller->admin},
        {config.lookup_workspaces(), ".lookup_workspaces", &caller->lookup},
        {config.identity_workspaces(), ".identity_workspaces", &caller->identity},
        {config.messaging_workspaces(), ".messaging_workspaces", &caller->messaging},
        {config.subscription_workspaces(), ".subscription_workspaces", &caller->subscriptions},
    };
    for (const auto& [names, field, grant] : grants) {
      absl::StatusOr<WorkspaceGrant> parsed = ParseGrant(names, known, absl::StrCat(where, field));
      if (!parsed.ok()) return parsed.status();
      *grant = *std::move(parsed);
    }
    if (!(config.requests_per_second() >= 0) || std::isinf(config.requests_per_second())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".requests_per_second: must be >= 0 (0 = unlimited)"));
    }
    if (config.burst() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".burst: must be >= 0"));
    }
    caller->requests_per_second = config.requests_per_second();
    caller->burst = config.burst() > 0 ? config.burst()
                                       : std::max(1.0, std::ceil(config.requests_per_second()));
    registry.callers_.push_back(std::move(caller));
  }
  return registry;
}

std::shared_ptr<const Caller> CallerRegistry::Find(absl::string_view token) const {
  const Sha256Digest digest = Sha256(token);
  std::shared_ptr<const Caller> found;
  // Compare against every caller so the time does not depend on which matched.
  for (const auto& caller : callers_) {
    if (CRYPTO_memcmp(digest.data(), caller->token_sha256.data(), digest.size()) == 0) {
      found = caller;
    }
  }
  return found;
}

CallerAuthenticator::CallerAuthenticator(CallerRegistry registry)
    : registry_(std::make_shared<const CallerRegistry>(std::move(registry))) {}

bool CallerAuthenticator::enabled() const {
  absl::MutexLock lock(&mu_);
  return !registry_->empty();
}

void CallerAuthenticator::Replace(CallerRegistry registry) {
  auto replacement = std::make_shared<const CallerRegistry>(std::move(registry));
  absl::MutexLock lock(&mu_);
  registry_ = std::move(replacement);
  // Budgets restart (full) after a reload, so changed rates apply at once.
  buckets_.clear();
}

absl::StatusOr<std::shared_ptr<const Caller>> CallerAuthenticator::Authenticate(
    absl::string_view authorization) const {
  absl::StatusOr<std::string> token = BearerToken(authorization);
  if (!token.ok()) return token.status();
  std::shared_ptr<const CallerRegistry> registry;
  {
    absl::MutexLock lock(&mu_);
    registry = registry_;
  }
  std::shared_ptr<const Caller> caller = registry->Find(*token);
  if (caller == nullptr) return absl::UnauthenticatedError("invalid caller token");
  return caller;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kLookup:
      return "lookup";
    case Role::kIdentity:
      return "identity";
    case Role::kMessaging:
      return "messaging";
    case Role::kSubscriptions:
      return "subscriptions";
    case Role::kTrack:
      break;
  }
  return "track";
}

absl::Status CallerAuthenticator::Authorize(const Caller& caller, Role role,
                                            const std::string& workspace) {
  if (caller.Holds(role, workspace)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("caller \"", caller.name, "\" lacks the ",
                                                  RoleName(role), " role in workspace \"",
                                                  workspace, "\""));
}

absl::Status CallerAuthenticator::AuthorizeAll(const Caller& caller, Role role) {
  if (caller.grant(role).all) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("caller \"", caller.name, "\" lacks the ", RoleName(role),
                   " role in every workspace (\"*\"); name a workspace in the request"));
}

absl::Status CallerAuthenticator::AuthorizeAny(const Caller& caller, Role role) {
  if (!caller.grant(role).empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("caller \"", caller.name, "\" lacks the ", RoleName(role), " role"));
}

absl::Status CallerAuthenticator::Admit(const Caller& caller, absl::Time now) {
  if (caller.requests_per_second <= 0) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(caller.name);
  if (it == buckets_.end()) {
    it = buckets_.emplace(caller.name, TokenBucket(caller.requests_per_second, caller.burst, now))
             .first;
  }
  if (it->second.TryTake(now)) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "caller \"%s\" is over its rate limit of %g requests per second; retry with backoff",
      caller.name, caller.requests_per_second));
}

}  // namespace brazesync
