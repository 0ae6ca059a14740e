// Caller authentication, authorisation and per-caller rate limiting, gRPC-free.
// Callers present a bearer token; BrazeSync stores only the token's SHA-256
// (OpenSSL EVP) and compares digests in constant time (CRYPTO_memcmp). Each
// caller holds roles per workspace (Role::kTrack: write items; Role::kAdmin:
// item status and dead letters; Role::kLookup: read profiles) and one token
// bucket shared by every service.
// The gRPC layer (server/rpc/call_gate.h) maps the results: missing or wrong
// token UNAUTHENTICATED, a role the caller lacks in that workspace
// PERMISSION_DENIED, over the rate RESOURCE_EXHAUSTED.
#ifndef BRAZESYNC_SERVER_SECURITY_CALLER_AUTH_H_
#define BRAZESYNC_SERVER_SECURITY_CALLER_AUTH_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "brazesync/v1/config.pb.h"

namespace brazesync {

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `data` through OpenSSL's EVP interface.
Sha256Digest Sha256(absl::string_view data);
// Lower-case hex of Sha256(data).
std::string Sha256Hex(absl::string_view data);

// The token in an `authorization` metadata value "Bearer <token>" (scheme
// case-insensitive). UNAUTHENTICATED when empty or of another scheme; the
// message never contains the value.
absl::StatusOr<std::string> BearerToken(absl::string_view authorization);

// A token bucket: `rate` tokens per second, at most `burst` saved up.
// Not thread-safe; CallerAuthenticator serialises access.
class TokenBucket final {
 public:
  TokenBucket(double rate, double burst, absl::Time now);
  // Takes one token if available.
  bool TryTake(absl::Time now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

// What a caller may do in a workspace. Every rpc requires one role (its
// service's; see server/rpc/call_gate.h and the rpc comments in protos/).
enum class Role {
  kTrack,          // write items: BrazeSync.Track, BrazeSync.TrackStream
  kAdmin,          // operate: every BrazeSyncAdmin rpc (item status, dead letters)
  kLookup,         // read profiles (personal data): every BrazeLookup rpc
  kIdentity,       // change who users are (alias, identify, merge, delete, rename): BrazeIdentity
  kMessaging,      // trigger Canvases and campaigns: BrazeMessaging
  kSubscriptions,  // set subscription-group state: BrazeSubscriptions
};

// "track" / "admin" / "lookup" / "identity" / "messaging" /
// "subscriptions", as in configuration and error messages.
const char* RoleName(Role role);

// The workspaces in which a caller holds one role.
struct WorkspaceGrant {
  bool all = false;  // "*"
  absl::flat_hash_set<std::string> names;

  bool Covers(const std::string& workspace) const { return all || names.contains(workspace); }
  bool empty() const { return !all && names.empty(); }
};

// One configured caller.
struct Caller {
  std::string name;
  Sha256Digest token_sha256{};
  WorkspaceGrant track;            // CallerConfig.allowed_workspaces
  WorkspaceGrant admin;            // CallerConfig.admin_workspaces
  WorkspaceGrant lookup;           // CallerConfig.lookup_workspaces
  WorkspaceGrant identity;         // CallerConfig.identity_workspaces
  WorkspaceGrant messaging;        // CallerConfig.messaging_workspaces
  WorkspaceGrant subscriptions;    // CallerConfig.subscription_workspaces
  double requests_per_second = 0;  // 0 = unlimited
  double burst = 1;

  const WorkspaceGrant& grant(Role role) const {
    switch (role) {
      case Role::kAdmin:
        return admin;
      case Role::kLookup:
        return lookup;
      case Role::kIdentity:
        return identity;
      case Role::kMessaging:
        return messaging;
      case Role::kSubscriptions:
        return subscriptions;
      case Role::kTrack:
        break;
    }
    return track;
  }
  bool Holds(Role role, const std::string& workspace) const {
    return grant(role).Covers(workspace);
  }
};

// An immutable set of callers, built from configuration.
class CallerRegistry final {
 public:
  // Checks every caller (unique names, a hash that is 64 hex digits, known
  // workspaces) and reads token_sha256_file (strict permissions). Errors name
  // the field, e.g. callers["bot"].token_sha256.
  static absl::StatusOr<CallerRegistry> Create(
      const google::protobuf::RepeatedPtrField<v1::CallerConfig>& callers,
      const std::vector<std::string>& known_workspaces);

  // The caller whose token hashes to SHA-256(token), or nullptr. Compares
  // against every caller in constant time per digest.
  std::shared_ptr<const Caller> Find(absl::string_view token) const;
  bool empty() const { return callers_.empty(); }
  size_t size() const { return callers_.size(); }

 private:
  std::vector<std::shared_ptr<const Caller>> callers_;
};

// Thread-safe front: the current registry (replaceable at run time) plus one
// token bucket per caller name, kept across reloads.
class CallerAuthenticator final {
 public:
  explicit CallerAuthenticator(CallerRegistry registry);

  // false when no callers are configured: authentication is off.
  bool enabled() const;
  // Swaps in a reloaded registry; calls in progress keep their caller.
  void Replace(CallerRegistry registry);

  // UNAUTHENTICATED (missing or unknown token) or the caller.
  absl::StatusOr<std::shared_ptr<const Caller>> Authenticate(absl::string_view authorization) const;
  // PERMISSION_DENIED unless `caller` holds `role` in `workspace`.
  static absl::Status Authorize(const Caller& caller, Role role, const std::string& workspace);
  // PERMISSION_DENIED unless `caller` holds `role` in every workspace ("*"):
  // for admin requests that name no workspace and so act on all of them.
  static absl::Status AuthorizeAll(const Caller& caller, Role role);
  // PERMISSION_DENIED unless `caller` holds `role` in some workspace: a
  // TrackStream is refused at its start when no message could be admitted.
  static absl::Status AuthorizeAny(const Caller& caller, Role role);
  // RESOURCE_EXHAUSTED when `caller` is over its rate.
  absl::Status Admit(const Caller& caller, absl::Time now);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const CallerRegistry> registry_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, TokenBucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_SECURITY_CALLER_AUTH_H_
