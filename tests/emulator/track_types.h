// The types of the emulator's /users/track judge (track_rules.h): the
// account settings the rules depend on and the verdicts they produce. Kept
// apart so that the per-area rule files (attribute_rules.h, event_rules.h,
// identifier_rules.h) and the profile store can share them without
// depending on the judge itself.
#ifndef BRAZESYNC_TESTS_EMULATOR_TRACK_TYPES_H_
#define BRAZESYNC_TESTS_EMULATOR_TRACK_TYPES_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace brazesync::emulator {

// The account settings the rules depend on.
struct TrackRules {
  bool per_array_cap = false;  // legacy: 75 per array instead of 75 combined
  int max_objects = 75;
  size_t max_body_bytes = 4'000'000;
  int max_array_length = 500;             // the workspace's array attribute cap
  std::vector<std::string> push_app_ids;  // empty = any app_id is known (case #33)
  // external_ids Braze refuses as dummies (BLACKLISTED_EXTERNAL_USER_ID, case
  // #21). Braze's list is unpublished, so the default is empty and a test
  // names the values it wants refused.
  std::vector<std::string> blocked_external_ids;
  // "Now" for the future-time rule (case #57); unset = absl::Now().
  std::optional<absl::Time> now;
};

enum class Fate { kStored, kRejected };

struct ObjectVerdict {
  Fate fate = Fate::kStored;
  std::string error;      // errors[].type when kRejected
  nlohmann::json stored;  // kStored: the object as Braze would apply it
  // kStored: one line per silent drop/alteration, e.g.
  // "country: \"Narnia\" is not a country; Braze sets country to null".
  std::vector<std::string> alterations;
};

struct BodyVerdict {
  int status = 201;         // 201, 400, 413 (auth/415/429 stay in the HTTP layer)
  nlohmann::json response;  // the body Braze would answer
  // Per array name ("attributes", "events", "purchases"), one verdict per
  // object in order. Only arrays present in the body have an entry; empty
  // when the whole request is fatal (400/413).
  std::map<std::string, std::vector<ObjectVerdict>> objects;
  // The parsed body when the request was judged object by object (null for a
  // fatal 400/413), so the HTTP layer need not parse it a second time.
  nlohmann::json request;
};

// The three array names, in Braze's processing order.
inline constexpr const char* kTrackArrayNames[] = {"attributes", "events", "purchases"};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_TRACK_TYPES_H_
