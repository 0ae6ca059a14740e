// What the Braze emulator does with POST /canvas/trigger/send and
// POST /campaigns/trigger/send (shared/reference/braze-api-round2.md §2.8,
// §2.9, cases 128-146): JudgeTrigger answers Braze's 400s, RunTrigger
// applies each recipient's attributes to the ProfileStore (through the
// /users/track attribute judge, before the send, as Braze does) and returns
// the messages Braze would send, which the emulator records for
// GET /_emulator/messages. BroadcastAudienceKey picks the rate-limit budget
// before the body is judged. No HTTP here.
#ifndef BRAZESYNC_TESTS_EMULATOR_TRIGGER_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_TRIGGER_RULES_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/emulator/endpoint_answer.h"
#include "tests/emulator/profile_store.h"

namespace brazesync::emulator {

inline constexpr size_t kMaxTriggerRecipients = 50;
// Braze's 50 KB cap on context / trigger_properties (top level merged with
// one recipient's), measured as compact JSON.
inline constexpr size_t kMaxTriggerPropertiesBytes = 51200;

// One recipients[] entry as judged.
struct TriggerRecipient {
  // The identifier as given: {"external_user_id": ...}, {"user_alias": {...}},
  // {"email": ..., "prioritization": [...]} or {"braze_id": ...}.
  nlohmann::json identifier;
  // The entry's context / canvas_entry_properties / trigger_properties
  // (null when absent) and the key it came under ("" when absent).
  nlohmann::json properties;
  std::string properties_key;
  bool send_to_existing_only = true;
  nlohmann::json attributes;  // null when absent
};

// A body that passed every rule.
struct TriggerRequest {
  bool campaign = false;
  std::string id;       // canvas_id or campaign_id
  std::string state;    // "active", "paused" or "archived"
  std::string send_id;  // campaigns only; "" when absent
  bool broadcast = false;
  nlohmann::json audience;  // null when absent
  // Top-level properties and the key they came under ("" when absent). A
  // Canvas accepts context and the legacy canvas_entry_properties; given
  // both, they are merged and context wins.
  nlohmann::json properties;
  std::string properties_key;
  std::vector<TriggerRecipient> recipients;
};

struct TriggerVerdict {
  std::optional<EndpointAnswer> refusal;  // set: Braze's 400
  TriggerRequest request;
};

// Judges a parsed body. `states`: id -> "active" | "paused" | "archived";
// an id missing from a non-empty map is not found (400), an empty map makes
// every id active.
TriggerVerdict JudgeTrigger(const nlohmann::json& body, bool campaign,
                            const std::map<std::string, std::string>& states);

// The per-audience rate-limit key of a broadcast or audience send (the
// canvas_id or campaign_id plus the canonical dump of `audience`, "" when
// absent), or nullopt for a targeted send (recipients). Looks at the raw
// parsed body, which may be anything.
std::optional<std::string> BroadcastAudienceKey(const nlohmann::json& body, bool campaign);

struct TriggerResult {
  EndpointAnswer answer;
  // One per message Braze sends: {"endpoint", "canvas_id"|"campaign_id",
  // "dispatch_id", "recipient" (the identifier as given, or "broadcast"),
  // "external_id"? (the resolved profile's), "properties" (top level merged
  // with the recipient's, the recipient's keys winning), "properties_key"}.
  std::vector<nlohmann::json> messages;
  // Profiles the recipients' attributes changed or created.
  std::vector<size_t> touched;
};

// Sends a judged request: a paused or archived Canvas/campaign answers 201
// with a notice and sends nothing (nor applies attributes). Otherwise every
// recipient's attributes are applied (for a Canvas without
// subscription_groups), then each distinct recipient that resolves to a
// profile gets one message, with the properties of its LAST entry.
TriggerResult RunTrigger(const TriggerRequest& request, const std::string& dispatch_id,
                         ProfileStore& store);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_TRIGGER_RULES_H_
