// libFuzzer target: validation -> conversion -> request planning.
//
// The input is a serialized brazesync.v1.TrackRequest (binary protobuf). When
// it does not parse, the bytes are tried as a textproto TrackRequest (that is
// what the seed corpus holds, so it stays readable); a textproto request that
// would not survive the wire (invalid UTF-8 in a string field) is skipped,
// because gRPC can never deliver one. Every item is validated;
// valid items are converted to Braze JSON exactly as the tracker does, and the
// converted items are planned into /users/track bodies with limits taken from
// the input, then serialized. Nothing may crash, leak or trip UBSan, every
// planned body must be valid JSON that serializes again, and the validator's
// size measure (braze/json_size.h) must equal the length of the converter's
// text for every free-form JSON value of a valid item. Every valid item's
// JSON must also stay within the protobuf-size bound the validator's
// one-request rule relies on, and the Braze emulator's independent rules
// (tests/emulator/track_rules.h, docs/braze-rules.md) must store it exactly
// as sent: the differential test's property, driven by coverage.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "brazesync/v1/brazesync.pb.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "server/braze/converter.h"
#include "server/braze/json_size.h"
#include "server/braze/limits.h"
#include "server/braze/request_planner.h"
#include "server/validation/validator.h"
#include "tests/emulator/track_rules.h"

namespace brazesync {
namespace {

void Plan(std::vector<PlannedItem> items, const RequestLimits& limits) {
  for (const PlannedRequest& request : PlanRequests(std::move(items), limits)) {
    // Bodies must be JSON that Braze can parse.
    const Json parsed = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) __builtin_trap();
    for (size_t i = 0; i < request.refs.attributes.size(); ++i) {
      if (request.Find(v1::ITEM_KIND_ATTRIBUTES, static_cast<int>(i)) == nullptr) __builtin_trap();
    }
    (void)request.Find(v1::ITEM_KIND_EVENT, -1);
    (void)request.Find(v1::ITEM_KIND_PURCHASE, 1 << 30);
  }
}

// The size the validator measured is exactly what the converter writes.
void ExpectExactJsonSize(const google::protobuf::Struct& object) {
  if (JsonSize(object) != StructToJson(object).dump().size()) __builtin_trap();
}

void ExpectExactJsonSizes(const v1::UserProfile& profile) {
  for (const auto& [key, value] : profile.custom_attributes()) {
    if (value.has_object_value()) ExpectExactJsonSize(value.object_value());
  }
}

// See the file comment.
void ExpectBrazeStoresUnaltered(const char* array, const google::protobuf::MessageLite& item,
                                const Json& json, int max_array_length) {
  const std::string text = json.dump();
  if (text.size() > MaxItemJsonBytesForProtoBytes(item.ByteSizeLong())) __builtin_trap();
  emulator::TrackRules rules;
  rules.max_array_length = max_array_length;
  const emulator::BodyVerdict verdict =
      emulator::JudgeTrackBody(absl::StrCat("{\"", array, "\":[", text, "]}"), rules);
  if (verdict.status != 201) __builtin_trap();
  const emulator::ObjectVerdict& object = verdict.objects.at(array).at(0);
  if (object.fate != emulator::Fate::kStored || !object.alterations.empty() ||
      object.stored != nlohmann::json::parse(text)) {
    __builtin_trap();
  }
}

void Run(const v1::TrackRequest& request, uint32_t knobs) {
  // Legacy accounts cap arrays at 25 values.
  ValidationLimits validation;
  validation.max_array_length = (knobs & 1) ? 25 : kMaxArrayLength;
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::vector<PlannedItem> items;
  for (int i = 0; i < request.attributes_size(); ++i) {
    FieldViolations violations;
    ValidateUserProfile(request.attributes(i), absl::StrCat("attributes[", i, "]"), validation,
                        &violations);
    if (!violations.empty()) continue;
    ExpectExactJsonSizes(request.attributes(i));
    items.push_back(PlannedItem{v1::ITEM_KIND_ATTRIBUTES, i, UserKey(request.attributes(i).user()),
                                ProfileToBraze(request.attributes(i))});
    ExpectBrazeStoresUnaltered("attributes", request.attributes(i), items.back().json,
                               validation.max_array_length);
  }
  for (int i = 0; i < request.events_size(); ++i) {
    FieldViolations violations;
    ValidateEvent(request.events(i), absl::StrCat("events[", i, "]"), validation, &violations);
    if (!violations.empty()) continue;
    ExpectExactJsonSize(request.events(i).properties());
    items.push_back(PlannedItem{v1::ITEM_KIND_EVENT, i, UserKey(request.events(i).user()),
                                EventToBraze(request.events(i), now, now)});
    ExpectBrazeStoresUnaltered("events", request.events(i), items.back().json,
                               validation.max_array_length);
  }
  for (int i = 0; i < request.purchases_size(); ++i) {
    FieldViolations violations;
    ValidatePurchase(request.purchases(i), absl::StrCat("purchases[", i, "]"), validation,
                     &violations);
    if (!violations.empty()) continue;
    ExpectExactJsonSize(request.purchases(i).properties());
    items.push_back(PlannedItem{v1::ITEM_KIND_PURCHASE, i, UserKey(request.purchases(i).user()),
                                PurchaseToBraze(request.purchases(i), now, now)});
    ExpectBrazeStoresUnaltered("purchases", request.purchases(i), items.back().json,
                               validation.max_array_length);
  }
  // Converted JSON must always serialize (invalid UTF-8 would throw here).
  for (const PlannedItem& item : items) (void)item.json.dump();

  RequestLimits limits;
  limits.per_array = (knobs & 2) != 0;
  limits.max_objects = 1 + static_cast<int>((knobs >> 2) % kMaxObjectsPerRequest);
  // Small byte caps exercise the "one item larger than a request" path.
  limits.max_bytes = (knobs & 0x8000) ? 200 + (knobs >> 16) % 4000 : kMaxRequestBytes;
  Plan(std::move(items), limits);
}

}  // namespace
}  // namespace brazesync

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Keep single executions fast: huge inputs only slow the search down.
  if (size > 64 * 1024) return 0;
  // Protobuf logs every invalid-UTF-8 string it meets; silence it once.
  static const bool quiet_protobuf = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet_protobuf;
  uint32_t knobs = 0;
  for (size_t i = 0; i < size && i < 4; ++i) knobs = knobs * 131 + data[i];
  brazesync::v1::TrackRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) {
    request.Clear();
    google::protobuf::TextFormat::Parser parser;
    parser.AllowPartialMessage(true);
    // Errors on stderr would flood the fuzzer's output.
    class Quiet : public google::protobuf::io::ErrorCollector {
     public:
      void AddError(int, int, const std::string&) override {}
      void AddWarning(int, int, const std::string&) override {}
    } quiet;
    parser.RecordErrorsTo(&quiet);
    if (!parser.ParseFromString(std::string(reinterpret_cast<const char*>(data), size), &request)) {
      return 0;
    }
    // TextFormat accepts invalid UTF-8 in proto3 `string` fields (it only
    // logs), but the wire parser that every real request goes through
    // (gRPC, and the outbox when it reloads items) rejects it. Keep only
    // requests that survive the wire, so findings are reachable.
    brazesync::v1::TrackRequest wire;
    if (!wire.ParseFromString(request.SerializeAsString())) return 0;
  }
  brazesync::Run(request, knobs);
  return 0;
}
