// Implementation of track_rules.h: the request-level rules (braze-api.md
// §1.2, §2.3: parse error, 413, object caps, no data, every object invalid)
// around the per-object judges in attribute_rules.h and event_rules.h.
#include "tests/emulator/track_rules.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/emulator/attribute_rules.h"
#include "tests/emulator/event_rules.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;

// Braze's wording (braze-api.md §2.3, §6).
constexpr char kParseError[] = "Error while parsing request body. Please check your syntax.";
constexpr char kMaxInputLength[] = "Max Input Length Exceeded";
constexpr char kValidDataRequired[] =
    "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
constexpr char kTooLarge[] = "Request Entity Too Large";

BodyVerdict Fatal(int status, const char* message) {
  BodyVerdict out;
  out.status = status;
  out.response = {{"message", message}};
  return out;
}

}  // namespace

BodyVerdict JudgeTrackBody(const std::string& body, const TrackRules& rules) {
  if (body.size() > rules.max_body_bytes) return Fatal(413, kTooLarge);
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return Fatal(400, kParseError);

  // Which arrays were sent; a present non-array is unusable data.
  const Json* arrays[3] = {nullptr, nullptr, nullptr};
  size_t total = 0;
  bool over_cap = false;
  for (int i = 0; i < 3; ++i) {
    auto it = parsed.find(kTrackArrayNames[i]);
    if (it == parsed.end() || it->is_null()) continue;
    if (!it->is_array()) return Fatal(400, kValidDataRequired);
    arrays[i] = &*it;
    total += it->size();
    if (it->size() > static_cast<size_t>(rules.max_objects)) over_cap = true;
  }
  if (!rules.per_array_cap) over_cap = total > static_cast<size_t>(rules.max_objects);
  // Over the cap is fatal for the whole request: nothing is processed.
  if (over_cap) return Fatal(400, kMaxInputLength);
  if (total == 0) return Fatal(400, kValidDataRequired);

  const absl::Time now = rules.now.value_or(absl::Now());
  // Property key order is only needed for the rare object over 256 keys, so
  // the body is parsed a second time, order-preserving, only then.
  std::unique_ptr<nlohmann::ordered_json> ordered;
  auto order_of = [&](const char* array, size_t index) {
    return [&, array, index]() {
      if (ordered == nullptr) {
        ordered = std::make_unique<nlohmann::ordered_json>(
            nlohmann::ordered_json::parse(body, nullptr, false));
      }
      std::vector<std::string> keys;
      for (const auto& [key, value] : (*ordered)[array][index]["properties"].items()) {
        keys.push_back(key);
      }
      return keys;
    };
  };

  BodyVerdict out;
  if (arrays[0] != nullptr) out.objects["attributes"] = JudgeAttributeObjects(*arrays[0], rules);
  if (arrays[1] != nullptr) {
    auto& verdicts = out.objects["events"];
    for (size_t i = 0; i < arrays[1]->size(); ++i) {
      verdicts.push_back(JudgeEventObject((*arrays[1])[i], rules, now, order_of("events", i)));
    }
  }
  if (arrays[2] != nullptr) {
    auto& verdicts = out.objects["purchases"];
    for (size_t i = 0; i < arrays[2]->size(); ++i) {
      verdicts.push_back(
          JudgePurchaseObject((*arrays[2])[i], rules, now, order_of("purchases", i)));
    }
  }

  Json errors = Json::array();
  size_t processed_total = 0;
  Json response = {{"message", "success"}};
  for (const char* name : kTrackArrayNames) {
    auto it = out.objects.find(name);
    if (it == out.objects.end()) continue;
    size_t processed = 0;
    for (size_t index = 0; index < it->second.size(); ++index) {
      const ObjectVerdict& verdict = it->second[index];
      if (verdict.fate == Fate::kRejected) {
        errors.push_back({{"type", verdict.error}, {"input_array", name}, {"index", index}});
      } else {
        ++processed;
      }
    }
    response[absl::StrCat(name, "_processed")] = processed;
    processed_total += processed;
  }
  out.request = std::move(parsed);  // `arrays` point into it: not used below
  if (processed_total == 0) {
    out.status = 400;
    out.response = {{"message", kValidDataRequired}, {"errors", errors}};
    return out;
  }
  if (!errors.empty()) response["errors"] = errors;
  out.status = 201;
  out.response = std::move(response);
  return out;
}

}  // namespace brazesync::emulator
