// Differential test: the server's validator and converter against the Braze
// emulator's independent rules (docs/braze-rules.md), over thousands of
// seeded items from item_generator.h. The contract it holds both sides to:
//
// - the validator accepts an item  =>  the emulator stores the converted JSON
//   exactly as sent (201, not in errors[], no alteration);
// - the validator refuses an item  =>  the emulator would reject it, refuse
//   the request, or store something else than what was sent; the only
//   exceptions are the rules docs/braze-rules.md lists as stricter than Braze
//   and fields that never reach Braze (event_id, purchase_id).
//
// The accepted items are then also sent through the emulator's HTTP endpoint
// in full requests, which must come back 201 with no errors[] and no
// alteration, so the HTTP path is held to the same verdicts.
//
// BRAZESYNC_DIFFERENTIAL_ITEMS (default 3000) and BRAZESYNC_DIFFERENTIAL_SEED
// (default fixed) make longer runs: scripts/quality.sh runs 60,000 items.
#include <httplib.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/braze/converter.h"
#include "server/validation/validator.h"
#include "tests/conformance/item_generator.h"
#include "tests/emulator/braze_emulator.h"
#include "tests/emulator/track_rules.h"

namespace brazesync {
namespace {

// Small enough that items around the request cap are cheap to build.
constexpr int64_t kMaxRequestBytes = 200'000;
constexpr int kMaxReportedDisagreements = 25;

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  int64_t value;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

// Refusals that no Braze behaviour can mirror, each for a stated reason.
bool IsExemptViolation(const v1::FieldViolation& violation) {
  const std::string& field = violation.field();
  const std::string& description = violation.description();
  // Never sent to Braze: the caller's idempotency keys.
  if (absl::EndsWith(field, ".event_id") || absl::EndsWith(field, ".purchase_id")) return true;
  // Items with no Braze form: an attribute value with nothing set, a number
  // JSON cannot hold. The converter still writes something (null) for them,
  // but what it writes means nothing.
  if (absl::StartsWith(description, "value required") ||
      absl::StrContains(description, "finite number")) {
    return true;
  }
  // An enum number the proto does not define (proto3 keeps unknown values):
  // the converter can only leave the field out.
  if (absl::StrContains(description, "must be a known")) return true;
  // Contract shape, where the item says something its JSON cannot: an array
  // of objects whose elements are not objects (its JSON reads as a plain
  // array); a clear_fields entry listed twice (it clears the field once).
  if (absl::StrContains(field, ".object_array_value[") && description == "must be an object") {
    return true;
  }
  if (absl::StrContains(field, ".clear_fields[") && absl::StartsWith(description, "duplicate of")) {
    return true;
  }
  // clear_fields is for standard fields; what the converter writes for any
  // other name is a custom attribute's removal, which the item did not mean.
  if (absl::StrContains(field, ".clear_fields[") &&
      absl::StartsWith(description, "must be a clearable standard field")) {
    return true;
  }
  // A time attribute after year 3000: Braze would store the same text as a
  // string (braze-api.md §1.5), so only the item knows it meant a time.
  if (absl::EndsWith(field, ".time_value") && absl::StrContains(description, "year 3000")) {
    return true;
  }
  // A profile without `user`: its email or phone attribute reads as the
  // lookup identifier in Braze's JSON, but the contract asks for `user`.
  if (absl::StartsWith(field, "attributes[") && absl::EndsWith(field, "].user") &&
      absl::StartsWith(description, "required: one of")) {
    return true;
  }
  // docs/braze-rules.md "Stricter than Braze": Rails-style time-zone aliases.
  return absl::EndsWith(field, ".time_zone") && absl::StrContains(description, "IANA");
}

// An item that contradicts itself has no single Braze form: the converter
// writes one of two values for the same JSON key, so none of its violations
// can be compared with what Braze would do. That is a field both set and
// cleared, a profile email or phone other than the one it is looked up by,
// and a custom attribute named like a standard field or identifier (the
// typed field is the one way to set it).
bool IsContradictory(const FieldViolations& violations) {
  for (const auto& violation : violations) {
    const std::string& description = violation.description();
    if (absl::StrContains(description, "set or clear it, not both") ||
        absl::StrContains(description, "must equal user.") ||
        (absl::StrContains(violation.field(), ".custom_attributes[") &&
         (absl::StrContains(description, "standard field") ||
          absl::StrContains(description, "Braze identifier")))) {
      return true;
    }
  }
  return false;
}

struct Judged {
  std::string kind;  // "attributes", "events", "purchases"
  Json sent;
  FieldViolations violations;
  emulator::BodyVerdict verdict;
};

std::string Describe(const Judged& judged) {
  std::string text = absl::StrCat(judged.kind, " object: ", judged.sent.dump().substr(0, 600));
  for (const auto& violation : judged.violations) {
    absl::StrAppend(&text, "\n  validator: ", violation.field(), ": ", violation.description());
  }
  absl::StrAppend(&text, "\n  emulator: HTTP ", judged.verdict.status, " ",
                  judged.verdict.response.dump().substr(0, 300));
  const auto it = judged.verdict.objects.find(judged.kind);
  if (it != judged.verdict.objects.end() && !it->second.empty()) {
    const emulator::ObjectVerdict& object = it->second.front();
    if (object.fate == emulator::Fate::kRejected)
      absl::StrAppend(&text, "; rejected: ", object.error);
    for (const std::string& alteration : object.alterations) {
      absl::StrAppend(&text, "\n  emulator alteration: ", alteration);
    }
  }
  return text;
}

// True when the emulator stored the object exactly as sent.
bool StoredUnaltered(const Judged& judged) {
  if (judged.verdict.status != 201) return false;
  const auto it = judged.verdict.objects.find(judged.kind);
  if (it == judged.verdict.objects.end() || it->second.size() != 1) return false;
  const emulator::ObjectVerdict& object = it->second.front();
  // The emulator's JSON is unordered; BrazeSync's keeps Braze's key order.
  return object.fate == emulator::Fate::kStored && object.alterations.empty() &&
         object.stored == nlohmann::json::parse(judged.sent.dump());
}

// Whether Braze applies the object to a profile whatever the workspace holds:
// an unknown user_alias or braze_id, or `_update_existing_only`, depends on
// profiles that already exist (braze-api.md §6 #15-#18), which the HTTP phase
// below starts without.
bool CreatesOrFindsItsProfile(const Json& object) {
  return !object.contains("user_alias") && !object.contains("braze_id") &&
         !object.contains("_update_existing_only");
}

class DifferentialTest : public ::testing::Test {
 protected:
  DifferentialTest() {
    limits_.max_request_bytes = kMaxRequestBytes;
    rules_.max_body_bytes = kMaxRequestBytes;
    rules_.max_array_length = limits_.max_array_length;
  }

  Judged Judge(const std::string& kind, Json sent, FieldViolations violations) {
    Json body = Json::object();
    body[kind] = Json::array({sent});
    Judged judged{kind, std::move(sent), std::move(violations), {}};
    judged.verdict = emulator::JudgeTrackBody(body.dump(), rules_);
    return judged;
  }

  ValidationLimits limits_;
  emulator::TrackRules rules_;
};

TEST_F(DifferentialTest, ValidatorAcceptsExactlyWhatBrazeStoresUnaltered) {
  const int64_t items = EnvOr("BRAZESYNC_DIFFERENTIAL_ITEMS", 3000);
  const uint64_t seed = static_cast<uint64_t>(EnvOr("BRAZESYNC_DIFFERENTIAL_SEED", 20261130));
  std::cout << "differential run: " << items << " items, seed " << seed << "\n";
  conformance::ItemGenerator generator(seed, kMaxRequestBytes);

  std::map<std::string, int> accepted_by_kind, refused_by_kind;
  std::vector<Judged> accepted;
  int disagreements = 0;
  auto check = [&](Judged judged) {
    FieldViolations relevant;
    for (const auto& violation : judged.violations) {
      if (!IsExemptViolation(violation) && !IsContradictory(judged.violations)) {
        relevant.push_back(violation);
      }
    }
    const bool unaltered = StoredUnaltered(judged);
    if (judged.violations.empty()) {
      ++accepted_by_kind[judged.kind];
      if (!unaltered && ++disagreements <= kMaxReportedDisagreements) {
        ADD_FAILURE() << "validator accepts, Braze would not store it as sent:\n"
                      << Describe(judged);
      }
      if (unaltered && CreatesOrFindsItsProfile(judged.sent)) accepted.push_back(std::move(judged));
    } else {
      ++refused_by_kind[judged.kind];
      if (!relevant.empty() && unaltered && ++disagreements <= kMaxReportedDisagreements) {
        ADD_FAILURE() << "validator refuses, Braze would store it as sent:\n" << Describe(judged);
      }
    }
  };

  const absl::Time now = absl::Now();
  for (int64_t i = 0; i < items; ++i) {
    FieldViolations violations;
    switch (i % 3) {
      case 0: {
        const v1::UserProfile profile = generator.Profile();
        ValidateUserProfile(profile, "attributes[0]", limits_, &violations);
        check(Judge("attributes", ProfileToBraze(profile), std::move(violations)));
        break;
      }
      case 1: {
        const v1::Event event = generator.Event();
        ValidateEvent(event, "events[0]", limits_, &violations);
        check(Judge("events", EventToBraze(event, now, now), std::move(violations)));
        break;
      }
      default: {
        const v1::Purchase purchase = generator.Purchase();
        ValidatePurchase(purchase, "purchases[0]", limits_, &violations);
        check(Judge("purchases", PurchaseToBraze(purchase, now, now), std::move(violations)));
        break;
      }
    }
  }
  EXPECT_EQ(disagreements, 0) << disagreements << " disagreements (the first "
                              << kMaxReportedDisagreements << " are listed above)";
  // Both sides of every kind must be exercised, or the test proves nothing.
  for (const char* kind : {"attributes", "events", "purchases"}) {
    EXPECT_GT(accepted_by_kind[kind], items / 20) << kind << ": too few valid items";
    EXPECT_GT(refused_by_kind[kind], items / 20) << kind << ": too few invalid items";
  }

  // The accepted objects again, through HTTP in full requests (at most 75
  // objects and kMaxRequestBytes each): 201, no errors[], no alteration.
  emulator::EmulatorOptions options;
  options.max_body_bytes = kMaxRequestBytes;
  options.rate_limit_requests = 1'000'000;
  emulator::BrazeEmulator braze(options);
  ASSERT_TRUE(braze.Start("127.0.0.1", 0).ok());
  httplib::Client client("127.0.0.1", braze.port());
  const httplib::Headers headers = {{"Authorization", "Bearer " + options.api_key}};
  size_t sent_objects = 0;
  size_t next = 0;
  while (next < accepted.size()) {
    Json body = Json::object();
    size_t count = 0;
    size_t bytes = 2;
    while (next < accepted.size() && count < 75) {
      const Judged& item = accepted[next];
      const size_t item_bytes = item.sent.dump().size() + item.kind.size() + 8;
      if (count > 0 && bytes + item_bytes > static_cast<size_t>(kMaxRequestBytes)) break;
      body[item.kind].push_back(item.sent);
      bytes += item_bytes;
      ++count;
      ++next;
    }
    const std::string text = body.dump();
    ASSERT_LE(text.size(), static_cast<size_t>(kMaxRequestBytes));
    const auto response = client.Post("/users/track", headers, text, "application/json");
    ASSERT_TRUE(response) << "emulator did not answer";
    EXPECT_EQ(response->status, 201) << response->body.substr(0, 500);
    const Json answer = Json::parse(response->body, nullptr, false);
    EXPECT_FALSE(answer.contains("errors")) << response->body.substr(0, 500);
    sent_objects += count;
  }
  EXPECT_EQ(braze.alterations().size(), 0u);
  const Json stored = braze.accepted();
  size_t stored_objects = 0;
  for (const char* kind : {"attributes", "events", "purchases"}) {
    if (stored.contains(kind)) stored_objects += stored[kind].size();
  }
  EXPECT_EQ(stored_objects, sent_objects);
  braze.Stop();
}

}  // namespace
}  // namespace brazesync
