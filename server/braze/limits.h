// Braze's documented /users/track limits (shared/reference/braze-api.md
// §1.3-1.9 and §7) and /users/export/ids limits (braze-api-round2.md §2.1),
// each written once. Configuration range checks, workspace
// defaults, request packing, validation and pacing all read them from here, so
// a change on Braze's side is one edit; the proto comments that document them
// to callers (protos/brazesync/v1/config.proto, types.proto) repeat the
// numbers and must be updated with them.
//
// Limits BrazeSync sets for itself (event_id length, attempts, timeouts) are
// not Braze's and live with the code that enforces them.
#ifndef BRAZESYNC_SERVER_BRAZE_LIMITS_H_
#define BRAZESYNC_SERVER_BRAZE_LIMITS_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace brazesync {

// ---- One request ----

// Objects per request: combined across attributes, events and purchases by
// default, or in each array on legacy accounts (ObjectCapMode).
inline constexpr int kMaxObjectsPerRequest = 75;
// Request body size ("4 MB").
inline constexpr size_t kMaxRequestBytes = 4'000'000;

// ---- Pacing ----

// /users/track requests Braze admits per window, per workspace.
inline constexpr int kRateLimitRequests = 3000;
inline constexpr absl::Duration kRateLimitWindow = absl::Seconds(3);

// ---- Values ----

// Strings and object keys ("255 characters"; Braze counts code points).
inline constexpr size_t kMaxStringChars = 255;
// Values of an array attribute: Braze's default and maximum (legacy accounts
// are configured lower, to 25 or 100).
inline constexpr int kMaxArrayLength = 500;
// Identifiers.
inline constexpr size_t kMaxExternalIdBytes = 987;
inline constexpr size_t kMaxAliasPartBytes = 236;  // alias_name and alias_label each
// Array attributes, nested object attributes and event properties, as JSON
// ("100 KB").
inline constexpr size_t kMaxNestedJsonBytes = 102'400;
// Purchase properties, as JSON ("50 KB").
inline constexpr size_t kMaxPurchasePropertiesJsonBytes = 51'200;
// Keys of one event's or purchase's properties (Braze keeps the first 256).
inline constexpr int kMaxPropertyKeys = 256;
// Purchase quantity.
inline constexpr int kMinPurchaseQuantity = 1;
inline constexpr int kMaxPurchaseQuantity = 100;
// Times: Braze stores later ones as strings, so time filters would silently
// stop matching. kMaxTimeSeconds is 3000-12-31T23:59:59Z.
inline constexpr int kMaxTimeYear = 3000;
inline constexpr int64_t kMaxTimeSeconds = 32'535'215'999;

// ---- /users/export/ids (braze-api-round2.md §2.1) ----

// External ids and user aliases together in one export call.
inline constexpr int kMaxExportIdentifiers = 50;
// Export calls Braze admits per minute, per workspace: workspaces onboarded
// on or after 2024-08-22, and older ones.
inline constexpr int kExportRequestsPerMinute = 250;
inline constexpr int kLegacyExportRequestsPerMinute = 2500;
// The fast limit, per second, for a workspace on the default limit whose
// every call lists fields_to_export without canvases_received or
// campaigns_received (QualifiesForFastExport).
inline constexpr int kFastExportRequestsPerSecond = 40;

// ---- Identity, triggers, subscriptions (braze-api-round2.md §2.2-2.10) ----

// Items per call of every identity endpoint, recipients per trigger call,
// ids per subscription group entry.
inline constexpr int kMaxActionItemsPerCall = 50;
// A trigger's properties (Canvas context, campaign trigger_properties), the
// top-level object merged with one recipient's, as JSON.
inline constexpr size_t kMaxTriggerPropertiesBytes = 51'200;

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_LIMITS_H_
