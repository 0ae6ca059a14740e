// Braze's /users/track rules as the emulator models them: a pure, HTTP-free
// judge of one request body. It decides, for every object, the fate Braze
// gives it (docs/braze-rules.md "How the emulator answers"):
//   - rejected: listed in the response's errors[], nothing stored;
//   - stored with alterations: Braze answers success but applies something
//     other than what was sent (country wiped, string not applied, array
//     truncated, properties cut to 256, future time replaced by now, ...);
//   - stored: applied as sent.
// and the status and body Braze answers (201, or a fatal 400 / 413).
//
// Sources: shared/reference/braze-api.md §1.2-§1.9 and §2 (Braze's documented
// behaviour) and docs/braze-rules.md (the "Braze's outcome as the emulator
// models it" column, where Braze leaves a choice). It is written independently
// of server/validation on purpose and includes none of it: the differential
// test (tests/conformance) holds the two to one contract, so a mistake on
// either side shows up as a disagreement instead of being mirrored.
//
// Stateless: whether a profile exists (_update_existing_only, unknown alias,
// $add over 100 KB of what is stored) is the profile store's business
// (profile_store.h); the HTTP emulator runs JudgeTrackBody, then applies the
// stored objects to the store. Authentication, Content-Type, 415 and 429 stay
// in the HTTP layer.
#ifndef BRAZESYNC_TESTS_EMULATOR_TRACK_RULES_H_
#define BRAZESYNC_TESTS_EMULATOR_TRACK_RULES_H_

#include <string>

#include "tests/emulator/track_types.h"

namespace brazesync::emulator {

// Judges one /users/track body (after auth and Content-Type, which the HTTP
// layer checks). A stored object with no alterations has stored == the object
// as sent.
BodyVerdict JudgeTrackBody(const std::string& body, const TrackRules& rules);

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_TRACK_RULES_H_
