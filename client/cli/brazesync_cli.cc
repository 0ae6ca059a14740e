// `brazesync`: the command-line client for humans.
//   track          sends a profile, an event and/or a purchase built from
//                  flags, or a whole TrackRequest from a JSON file (proto3
//                  JSON, Braze-like field names); --async queues it in the
//                  server's durable outbox instead of waiting for Braze.
//   status         where an accepted event/purchase is (BrazeSyncAdmin).
//   lookup         what Braze knows about users (BrazeLookup.LookupUsers):
//                  by external ids and aliases (each flag repeatable, and
//                  --external_id also takes a comma list), or by one of
//                  --email, --phone, --braze_id, --device_id.
//   alias, identify, merge, delete, rename, remove-external-ids
//                  change who a Braze user is (BrazeIdentity); delete needs
//                  --yes.
//   trigger-canvas, trigger-campaign
//                  send an API-triggered Canvas or campaign (BrazeMessaging)
//                  to recipients given by repeatable --external_id, --alias,
//                  --email, --braze_id, or --broadcast.
//   subscribe      set a subscription group's state (BrazeSubscriptions).
//                  The action commands exit 3 when any result is not
//                  ACCEPTED, APPLIED, VALID or DUPLICATE.
//   dead-letters   list, show, replay or purge the server's dead letters.
//                  `list` follows the server's pages to the end and prints
//                  them as one response; a letter whose Braze JSON was too
//                  large for a page is noted on stderr, for `show`.
// Every response is printed as JSON. On an error it prints the gRPC code, the
// message and each field violation, and exits non-zero.
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/cpp/brazesync_client.h"

ABSL_FLAG(std::string, target, "",
          "BrazeSync server address host:port (default: $BRAZESYNC_TARGET, else 127.0.0.1:50051)");
ABSL_FLAG(int, timeout_ms, 30000, "Deadline of the call");
ABSL_FLAG(std::string, workspace, "", "Workspace name; empty = the server's default");
ABSL_FLAG(std::string, file, "",
          "A TrackRequest as proto3 JSON (e.g. {\"events\":[...]}); replaces the item flags");
ABSL_FLAG(bool, validate_only, false, "Dry run: print the Braze JSON that would be sent");
ABSL_FLAG(bool, allow_partial, false, "Send the valid items even when some are invalid");
ABSL_FLAG(std::string, external_id, "",
          "User identifier (or use --alias_name/--alias_label). lookup, trigger-*, delete, "
          "subscribe, remove-external-ids: repeatable, and each may be a comma list, e.g. "
          "--external_id=u1,u2 --external_id=u3. identify, alias: the user's external id");
ABSL_FLAG(std::string, alias_name, "", "User alias name (with --alias_label)");
ABSL_FLAG(std::string, alias_label, "", "User alias label (with --alias_name)");
ABSL_FLAG(std::string, first_name, "", "Profile first name");
ABSL_FLAG(std::string, last_name, "", "Profile last name");
ABSL_FLAG(std::string, email, "",
          "Profile email; the user identifier when no external_id or alias is given. "
          "lookup: look users up by this email address. identify, delete, subscribe, trigger-*: "
          "repeatable (identify, delete, trigger-* need --prioritization)");
ABSL_FLAG(std::string, phone, "",
          "Profile phone in E.164, or a national number when the workspace sets "
          "default_phone_region. lookup: look users up by this phone. identify, delete, "
          "subscribe: repeatable (identify and delete need --prioritization)");
ABSL_FLAG(std::string, dob, "", "Profile date of birth YYYY-MM-DD");
ABSL_FLAG(std::string, home_city, "", "Profile home city");
ABSL_FLAG(std::string, country, "", "Profile country, ISO 3166-1 alpha-2");
ABSL_FLAG(std::string, attributes_json, "",
          "track: custom attributes as a JSON object of AttributeValue, e.g. "
          "'{\"os\":{\"string_value\":\"iOS\"}}'. trigger-canvas/trigger-campaign: a "
          "UserProfile in proto3 JSON written to the (single) recipient before the send, e.g. "
          "'{\"first_name\":\"Ada\",\"custom_attributes\":{\"tier\":{\"string_value\":"
          "\"gold\"}}}'");
ABSL_FLAG(std::string, event, "", "Track a custom event with this name");
ABSL_FLAG(std::string, event_properties, "", "Event properties as a JSON object");
ABSL_FLAG(std::string, event_id, "", "Event idempotency key");
ABSL_FLAG(bool, async, false,
          "track: answer once the items are durably queued on the server "
          "(DELIVERY_MODE_ASYNC); check them later with `brazesync status`");
ABSL_FLAG(std::string, item_id, "", "status: the event_id / purchase_id to look up");
ABSL_FLAG(int, page_size, 0,
          "dead-letters list: letters per rpc (0 = server default 100); every page is listed");
ABSL_FLAG(int64_t, after_id, 0, "dead-letters list: only ids after this");
ABSL_FLAG(int64_t, id, 0, "dead-letters show: the dead letter's id");
ABSL_FLAG(std::vector<std::string>, ids, {},
          "dead-letters replay/purge: comma-separated dead-letter ids, e.g. --ids=1,2");
ABSL_FLAG(bool, all, false,
          "dead-letters replay/purge: every dead letter (of --workspace when given)");
ABSL_FLAG(std::string, alias, "",
          "lookup, alias, identify, delete, trigger-*: a user alias as label:name (split at the "
          "first ':'); repeatable");
ABSL_FLAG(std::string, braze_id, "",
          "lookup: look the user up by Braze id. delete, trigger-*: repeatable");
ABSL_FLAG(std::string, device_id, "", "lookup: look the user up by device id");
ABSL_FLAG(std::vector<std::string>, fields, {},
          "lookup: Braze export fields, comma-separated (e.g. first_name,custom_attributes); "
          "empty = the workspace's default list");
ABSL_FLAG(std::optional<int64_t>, max_wait_ms, std::nullopt,
          "lookup: latency budget; identifiers Braze has not answered by then come back "
          "DEFERRED (unset = the workspace's default_max_wait_ms)");
ABSL_FLAG(std::optional<int64_t>, max_age_ms, std::nullopt,
          "lookup: cached data younger than this answers without asking Braze "
          "(unset = the workspace's cache_ttl_ms)");
ABSL_FLAG(std::optional<int64_t>, max_stale_ms, std::nullopt,
          "lookup: when Braze cannot answer within max_wait, serve cached data up to this old "
          "instead of DEFERRED (unset = never older than max_age)");
ABSL_FLAG(std::string, cache_policy, "",
          "lookup: prefer_cache (default), refresh (ask Braze even when cached) or cache_only "
          "(never ask Braze)");
ABSL_FLAG(bool, allow_received_fields, false,
          "lookup: allow canvases_received / campaigns_received in --fields");
ABSL_FLAG(std::string, canvas_id, "", "trigger-canvas: the API-triggered Canvas's id");
ABSL_FLAG(std::string, campaign_id, "", "trigger-campaign: the API-triggered campaign's id");
ABSL_FLAG(std::string, send_id, "", "trigger-campaign: a send_id from /sends/id/create");
ABSL_FLAG(std::string, context_json, "",
          "trigger-canvas: the Canvas context for every recipient, a JSON object, e.g. "
          "'{\"topic\":\"upgrade\"}' ({{context.topic}} in Liquid)");
ABSL_FLAG(std::string, trigger_properties_json, "",
          "trigger-campaign: trigger_properties for every recipient, a JSON object "
          "({{api_trigger_properties.KEY}})");
ABSL_FLAG(std::optional<bool>, send_to_existing_only, std::nullopt,
          "trigger-canvas/trigger-campaign: =false lets Braze create an unknown recipient from "
          "--attributes_json before sending (unset = Braze's default, true)");
ABSL_FLAG(bool, broadcast, false,
          "trigger-canvas/trigger-campaign: send to the whole target segment (no recipients)");
ABSL_FLAG(std::vector<std::string>, prioritization, {},
          "identify/merge/delete/trigger-*: which profile an --email or --phone picks, in order, "
          "e.g. unidentified,most_recently_updated (identified, unidentified, "
          "most_recently_updated, least_recently_updated)");
ABSL_FLAG(std::string, merge, "",
          "merge: the profile merged away, KIND:VALUE with KIND external_id, email, phone or "
          "alias (alias:LABEL:NAME); repeatable, paired in order with --keep");
ABSL_FLAG(std::string, keep, "", "merge: the profile kept, KIND:VALUE as for --merge");
ABSL_FLAG(bool, yes, false, "delete: confirm the irreversible deletion (confirm_irreversible)");
ABSL_FLAG(std::string, current, "",
          "rename: the current external id; repeatable, paired in order with --new");
ABSL_FLAG(std::string, new, "", "rename: the new external id");
ABSL_FLAG(std::string, group, "", "subscribe: the subscription group's id");
ABSL_FLAG(std::string, state, "", "subscribe: subscribed or unsubscribed");
ABSL_FLAG(std::optional<bool>, double_opt_in, std::nullopt,
          "subscribe: =true sends Braze's SMS double opt-in prompt (use_double_opt_in_logic)");

namespace brazesync {
namespace {

using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonStringToMessage;

absl::Status ParseJson(const std::string& json, google::protobuf::Message* message,
                       absl::string_view what) {
  auto status = JsonStringToMessage(json, message, JsonParseOptions());
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", status.message().as_string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::UserRef> UserFromFlags() {
  v1::UserRef user;
  if (!absl::GetFlag(FLAGS_external_id).empty()) {
    user.set_external_id(absl::GetFlag(FLAGS_external_id));
  } else if (!absl::GetFlag(FLAGS_alias_name).empty() ||
             !absl::GetFlag(FLAGS_alias_label).empty()) {
    user.mutable_user_alias()->set_alias_name(absl::GetFlag(FLAGS_alias_name));
    user.mutable_user_alias()->set_alias_label(absl::GetFlag(FLAGS_alias_label));
  } else if (!absl::GetFlag(FLAGS_email).empty()) {
    user.set_email(absl::GetFlag(FLAGS_email));
  } else {
    return absl::InvalidArgumentError(
        "a user is required: --external_id, --alias_name/--alias_label or --email");
  }
  return user;
}

// Fills `profile` from the flags; returns whether any profile field was given.
absl::StatusOr<bool> ProfileFromFlags(const v1::UserRef& user, v1::UserProfile* profile) {
  *profile->mutable_user() = user;
  bool any = false;
  auto set = [&any](const std::string& value, auto setter) {
    if (value.empty()) return;
    setter(value);
    any = true;
  };
  set(absl::GetFlag(FLAGS_first_name), [&](const auto& v) { profile->set_first_name(v); });
  set(absl::GetFlag(FLAGS_last_name), [&](const auto& v) { profile->set_last_name(v); });
  if (!user.has_email()) {
    set(absl::GetFlag(FLAGS_email), [&](const auto& v) { profile->set_email(v); });
  }
  set(absl::GetFlag(FLAGS_phone), [&](const auto& v) { profile->set_phone(v); });
  set(absl::GetFlag(FLAGS_dob), [&](const auto& v) { profile->set_dob(v); });
  set(absl::GetFlag(FLAGS_home_city), [&](const auto& v) { profile->set_home_city(v); });
  set(absl::GetFlag(FLAGS_country), [&](const auto& v) { profile->set_country(v); });
  if (!absl::GetFlag(FLAGS_attributes_json).empty()) {
    v1::UserProfile custom;
    absl::Status status = ParseJson(
        absl::StrCat("{\"custom_attributes\":", absl::GetFlag(FLAGS_attributes_json), "}"), &custom,
        "--attributes_json");
    if (!status.ok()) return status;
    profile->mutable_custom_attributes()->insert(custom.custom_attributes().begin(),
                                                 custom.custom_attributes().end());
    any = true;
  }
  return any;
}

absl::StatusOr<v1::TrackRequest> RequestFromFlags() {
  v1::TrackRequest request;
  if (!absl::GetFlag(FLAGS_file).empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_file));
    if (!in)
      return absl::NotFoundError(absl::StrCat("--file: cannot read ", absl::GetFlag(FLAGS_file)));
    std::stringstream json;
    json << in.rdbuf();
    absl::Status status = ParseJson(json.str(), &request, "--file");
    if (!status.ok()) return status;
  } else {
    absl::StatusOr<v1::UserRef> user = UserFromFlags();
    if (!user.ok()) return user.status();
    v1::UserProfile profile;
    absl::StatusOr<bool> has_profile = ProfileFromFlags(*user, &profile);
    if (!has_profile.ok()) return has_profile.status();
    if (*has_profile) *request.add_attributes() = profile;
    if (!absl::GetFlag(FLAGS_event).empty()) {
      v1::Event* event = request.add_events();
      *event->mutable_user() = *user;
      event->set_name(absl::GetFlag(FLAGS_event));
      event->set_event_id(absl::GetFlag(FLAGS_event_id));
      if (!absl::GetFlag(FLAGS_event_properties).empty()) {
        absl::Status status = ParseJson(absl::GetFlag(FLAGS_event_properties),
                                        event->mutable_properties(), "--event_properties");
        if (!status.ok()) return status;
      }
    }
  }
  if (!absl::GetFlag(FLAGS_workspace).empty())
    request.set_workspace(absl::GetFlag(FLAGS_workspace));
  if (absl::GetFlag(FLAGS_validate_only)) request.set_validate_only(true);
  if (absl::GetFlag(FLAGS_allow_partial)) request.set_allow_partial(true);
  if (absl::GetFlag(FLAGS_async)) request.set_delivery_mode(v1::DELIVERY_MODE_ASYNC);
  return request;
}

absl::Duration Timeout() { return absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)); }

// The largest answer `dead-letters show` accepts: a dead letter's Braze JSON
// is about the size of its item, and items come in requests of up to the
// server's --max_receive_message_bytes (16 MiB by default); JSON escaping
// can make it several times larger.
constexpr int kShowMaxReceiveBytes = 128 * 1024 * 1024;

// Prints `message` as JSON with proto field names and every primitive field.
void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
}

// Prints an rpc error (code, message, field violations); returns exit code 1.
int PrintRpcError(const absl::Status& status) {
  std::cerr << "brazesync: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
            << "\n";
  for (const auto& violation : FieldViolations(status)) {
    std::cerr << "  " << violation.field() << ": " << violation.description() << "\n";
  }
  return 1;
}

// Prints a usage error; returns exit code 2.
int UsageError(absl::string_view message) {
  std::cerr << "brazesync: " << message << "\n";
  return 2;
}

// Prints the response as JSON (exit 0) or the error (exit 1).
template <typename Response>
int Print(const absl::StatusOr<Response>& response) {
  if (!response.ok()) return PrintRpcError(response.status());
  PrintJson(*response);
  return 0;
}

// The server to call: --target, else $BRAZESYNC_TARGET (the variable every
// BrazeSync client reads, so one export serves scripts in any language), else
// the quick start's address.
std::string Target() {
  if (std::string flag = absl::GetFlag(FLAGS_target); !flag.empty()) return flag;
  const char* env = std::getenv("BRAZESYNC_TARGET");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:50051";
}

// `client` carrying the caller token from $BRAZESYNC_TOKEN or
// $BRAZESYNC_TOKEN_FILE (never a flag: command lines are visible to every
// user of the machine). Exits with status 2 when the file cannot be read.
template <typename Client>
Client WithToken(Client client) {
  absl::StatusOr<std::string> token = TokenFromEnvironment();
  if (!token.ok()) {
    std::cerr << "brazesync: " << token.status().message() << "\n";
    std::exit(2);
  }
  client.set_token(*std::move(token));
  return client;
}

int RunTrack() {
  absl::StatusOr<v1::TrackRequest> request = RequestFromFlags();
  if (!request.ok()) {
    std::cerr << "brazesync: " << request.status().message() << "\n";
    return 2;
  }
  BrazeSyncClient client = WithToken(BrazeSyncClient::Connect(Target()));
  absl::StatusOr<v1::TrackResult> result = client.Track(*request, Timeout());
  if (!result.ok()) return PrintRpcError(result.status());
  PrintJson(*result);
  return result->outcome() == v1::OUTCOME_DELIVERED || result->outcome() == v1::OUTCOME_VALIDATED ||
                 result->outcome() == v1::OUTCOME_ACCEPTED
             ? 0
             : 3;
}

// Every value given to the flag `name` on the command line, in order:
// `--name=value`, `-name=value`, `--name value` and `-name value` (abseil's
// forms for a non-boolean flag), up to a `--` that ends the flags. Abseil
// keeps only the last occurrence of a flag; lookup's --external_id and
// --alias are repeatable.
std::vector<std::string> RepeatedFlag(int argc, char** argv, absl::string_view name) {
  std::vector<std::string> values;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) continue;
    if (!absl::ConsumePrefix(&arg, name)) continue;
    if (arg.empty()) {
      if (i + 1 < argc) values.emplace_back(argv[++i]);
    } else if (absl::ConsumePrefix(&arg, "=")) {
      values.emplace_back(arg);
    }
  }
  return values;
}

// `millis` as a Duration (negative values too: the server names the field).
google::protobuf::Duration Millis(int64_t millis) {
  google::protobuf::Duration duration;
  duration.set_seconds(millis / 1000);
  duration.set_nanos(static_cast<int32_t>(millis % 1000) * 1000000);
  return duration;
}

// The LookupUsersRequest of `brazesync lookup`'s flags.
absl::StatusOr<v1::LookupUsersRequest> LookupRequestFromFlags(int argc, char** argv) {
  v1::LookupUsersRequest request;
  request.set_workspace(absl::GetFlag(FLAGS_workspace));
  for (const std::string& list : RepeatedFlag(argc, argv, "external_id")) {
    for (absl::string_view id : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      request.add_external_ids(std::string(id));
    }
  }
  for (const std::string& alias : RepeatedFlag(argc, argv, "alias")) {
    const size_t colon = alias.find(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--alias: \"", alias, "\" is not label:name"));
    }
    v1::UserAlias* user_alias = request.add_user_aliases();
    user_alias->set_alias_label(alias.substr(0, colon));
    user_alias->set_alias_name(alias.substr(colon + 1));
  }
  request.set_email_address(absl::GetFlag(FLAGS_email));
  request.set_phone(absl::GetFlag(FLAGS_phone));
  request.set_braze_id(absl::GetFlag(FLAGS_braze_id));
  request.set_device_id(absl::GetFlag(FLAGS_device_id));
  for (const std::string& field : absl::GetFlag(FLAGS_fields)) {
    if (!field.empty()) request.add_fields_to_export(field);
  }
  const std::string policy = absl::GetFlag(FLAGS_cache_policy);
  if (policy == "prefer_cache") {
    request.set_cache_policy(v1::CACHE_POLICY_PREFER_CACHE);
  } else if (policy == "refresh") {
    request.set_cache_policy(v1::CACHE_POLICY_REFRESH);
  } else if (policy == "cache_only") {
    request.set_cache_policy(v1::CACHE_POLICY_CACHE_ONLY);
  } else if (!policy.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cache_policy: \"", policy, "\" is not prefer_cache, refresh or cache_only"));
  }
  if (const std::optional<int64_t> ms = absl::GetFlag(FLAGS_max_age_ms); ms.has_value()) {
    *request.mutable_max_age() = Millis(*ms);
  }
  if (const std::optional<int64_t> ms = absl::GetFlag(FLAGS_max_stale_ms); ms.has_value()) {
    *request.mutable_max_stale() = Millis(*ms);
  }
  if (const std::optional<int64_t> ms = absl::GetFlag(FLAGS_max_wait_ms); ms.has_value()) {
    *request.mutable_max_wait() = Millis(*ms);
  }
  request.set_allow_received_fields(absl::GetFlag(FLAGS_allow_received_fields));
  return request;
}

// `brazesync lookup`: prints the LookupUsersResponse (exit 0, whatever the
// per-identifier outcomes) or the rpc error (exit 1).
int RunLookup(int argc, char** argv) {
  absl::StatusOr<v1::LookupUsersRequest> request = LookupRequestFromFlags(argc, argv);
  if (!request.ok()) return UsageError(absl::StrCat("lookup: ", request.status().message()));
  return Print(WithToken(BrazeSyncClient::Connect(Target())).LookupUsers(*request, Timeout()));
}

// --- The Braze actions (identity, messaging, subscriptions) ---------------

// Every value of the repeatable flag `name`, each split at commas (for ids
// that never hold one: external ids, braze ids, emails, phones).
std::vector<std::string> RepeatedList(int argc, char** argv, absl::string_view name) {
  std::vector<std::string> values;
  for (const std::string& list : RepeatedFlag(argc, argv, name)) {
    for (absl::string_view value : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      values.emplace_back(value);
    }
  }
  return values;
}

// `label:name` (split at the first ':') as a UserAlias.
absl::StatusOr<v1::UserAlias> ParseAlias(absl::string_view flag, const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", text, "\" is not label:name"));
  }
  v1::UserAlias alias;
  alias.set_alias_label(text.substr(0, colon));
  alias.set_alias_name(text.substr(colon + 1));
  return alias;
}

// Every --alias as a UserAlias.
absl::StatusOr<std::vector<v1::UserAlias>> AliasesFromFlags(int argc, char** argv) {
  std::vector<v1::UserAlias> aliases;
  for (const std::string& text : RepeatedFlag(argc, argv, "alias")) {
    absl::StatusOr<v1::UserAlias> alias = ParseAlias("--alias", text);
    if (!alias.ok()) return alias.status();
    aliases.push_back(*std::move(alias));
  }
  return aliases;
}

// --prioritization as Braze's order of preference (Braze's names or the
// enum's, e.g. unidentified or PRIORITIZATION_UNIDENTIFIED).
absl::StatusOr<std::vector<v1::Prioritization>> PrioritizationFromFlags() {
  std::vector<v1::Prioritization> order;
  for (const std::string& name : absl::GetFlag(FLAGS_prioritization)) {
    if (name.empty()) continue;
    v1::Prioritization value;
    if (!v1::Prioritization_Parse(absl::StrCat("PRIORITIZATION_", absl::AsciiStrToUpper(name)),
                                  &value) &&
        !v1::Prioritization_Parse(name, &value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--prioritization: \"", name,
          "\" is not identified, unidentified, most_recently_updated or least_recently_updated"));
    }
    order.push_back(value);
  }
  return order;
}

template <typename Field>
void AddAll(const std::vector<v1::Prioritization>& order, Field* field) {
  for (v1::Prioritization value : order) field->Add(value);
}

// Sets the fields every action request has: workspace, validate_only,
// allow_partial.
template <typename Request>
void SetCommonFields(Request* request) {
  request->set_workspace(absl::GetFlag(FLAGS_workspace));
  request->set_validate_only(absl::GetFlag(FLAGS_validate_only));
  request->set_allow_partial(absl::GetFlag(FLAGS_allow_partial));
}

// Prints an action response (exit 0 when every result is ACCEPTED, APPLIED,
// VALID or DUPLICATE, else 3) or the rpc error (exit 1).
template <typename Response>
int PrintAction(const absl::StatusOr<Response>& response) {
  if (!response.ok()) return PrintRpcError(response.status());
  PrintJson(*response);
  return AllActionsAccepted(response->results()) ? 0 : 3;
}

BrazeSyncClient ActionClient() { return WithToken(BrazeSyncClient::Connect(Target())); }

// The recipients of `trigger-canvas` / `trigger-campaign`: every
// --external_id, --alias, --email (with --prioritization) and --braze_id, in
// that order; --send_to_existing_only and --attributes_json (a UserProfile,
// with exactly one recipient) apply to each.
absl::Status RecipientsFromFlags(int argc, char** argv,
                                 google::protobuf::RepeatedPtrField<v1::Recipient>* recipients) {
  absl::StatusOr<std::vector<v1::Prioritization>> order = PrioritizationFromFlags();
  if (!order.ok()) return order.status();
  absl::StatusOr<std::vector<v1::UserAlias>> aliases = AliasesFromFlags(argc, argv);
  if (!aliases.ok()) return aliases.status();
  for (const std::string& id : RepeatedList(argc, argv, "external_id")) {
    recipients->Add()->set_external_user_id(id);
  }
  for (const v1::UserAlias& alias : *aliases) *recipients->Add()->mutable_user_alias() = alias;
  for (const std::string& email : RepeatedList(argc, argv, "email")) {
    v1::Recipient* recipient = recipients->Add();
    recipient->set_email(email);
    AddAll(*order, recipient->mutable_prioritization());
  }
  for (const std::string& id : RepeatedList(argc, argv, "braze_id")) {
    recipients->Add()->set_braze_id(id);
  }
  const std::string attributes_json = absl::GetFlag(FLAGS_attributes_json);
  if (!attributes_json.empty()) {
    if (recipients->size() != 1) {
      return absl::InvalidArgumentError("--attributes_json needs exactly one recipient");
    }
    absl::Status status = ParseJson(attributes_json, recipients->Mutable(0)->mutable_attributes(),
                                    "--attributes_json");
    if (!status.ok()) return status;
  }
  if (const std::optional<bool> existing = absl::GetFlag(FLAGS_send_to_existing_only);
      existing.has_value()) {
    for (v1::Recipient& recipient : *recipients) recipient.set_send_to_existing_only(*existing);
  }
  return absl::OkStatus();
}

// `brazesync trigger-canvas` / `trigger-campaign`. Never retried (see
// BrazeSyncClient::TriggerCanvas): a trigger may send twice.
int RunTrigger(int argc, char** argv, bool canvas) {
  const absl::string_view command = canvas ? "trigger-canvas" : "trigger-campaign";
  auto usage = [&](absl::string_view message) {
    return UsageError(absl::StrCat(command, ": ", message));
  };
  google::protobuf::RepeatedPtrField<v1::Recipient> recipients;
  if (absl::Status status = RecipientsFromFlags(argc, argv, &recipients); !status.ok()) {
    return usage(status.message());
  }
  const bool broadcast = absl::GetFlag(FLAGS_broadcast);
  if (recipients.empty() && !broadcast) {
    return usage("give recipients (--external_id, --alias, --email, --braze_id) or --broadcast");
  }
  if (canvas) {
    v1::TriggerCanvasRequest request;
    SetCommonFields(&request);
    request.set_canvas_id(absl::GetFlag(FLAGS_canvas_id));
    if (request.canvas_id().empty()) return usage("--canvas_id is required");
    if (!absl::GetFlag(FLAGS_trigger_properties_json).empty()) {
      return usage("--trigger_properties_json is for trigger-campaign; use --context_json");
    }
    if (!absl::GetFlag(FLAGS_context_json).empty()) {
      absl::Status status =
          ParseJson(absl::GetFlag(FLAGS_context_json), request.mutable_context(), "--context_json");
      if (!status.ok()) return usage(status.message());
    }
    request.set_broadcast(broadcast);
    request.mutable_recipients()->Swap(&recipients);
    return PrintAction(ActionClient().TriggerCanvas(request, Timeout()));
  }
  v1::TriggerCampaignRequest request;
  SetCommonFields(&request);
  request.set_campaign_id(absl::GetFlag(FLAGS_campaign_id));
  if (request.campaign_id().empty()) return usage("--campaign_id is required");
  if (!absl::GetFlag(FLAGS_context_json).empty()) {
    return usage("--context_json is for trigger-canvas; use --trigger_properties_json");
  }
  request.set_send_id(absl::GetFlag(FLAGS_send_id));
  if (!absl::GetFlag(FLAGS_trigger_properties_json).empty()) {
    absl::Status status =
        ParseJson(absl::GetFlag(FLAGS_trigger_properties_json),
                  request.mutable_trigger_properties(), "--trigger_properties_json");
    if (!status.ok()) return usage(status.message());
  }
  request.set_broadcast(broadcast);
  request.mutable_recipients()->Swap(&recipients);
  return PrintAction(ActionClient().TriggerCampaign(request, Timeout()));
}

// `brazesync alias`: one new alias per --alias, added to --external_id when
// given (else Braze creates alias-only users).
int RunAlias(int argc, char** argv) {
  absl::StatusOr<std::vector<v1::UserAlias>> aliases = AliasesFromFlags(argc, argv);
  if (!aliases.ok()) return UsageError(absl::StrCat("alias: ", aliases.status().message()));
  if (aliases->empty()) return UsageError("alias: --alias=LABEL:NAME is required");
  v1::CreateAliasRequest request;
  SetCommonFields(&request);
  const std::string external_id = absl::GetFlag(FLAGS_external_id);
  for (const v1::UserAlias& alias : *aliases) {
    v1::NewUserAlias* item = request.add_user_aliases();
    if (!external_id.empty()) item->set_external_id(external_id);
    item->set_alias_label(alias.alias_label());
    item->set_alias_name(alias.alias_name());
  }
  return PrintAction(ActionClient().CreateAlias(request, Timeout()));
}

// `brazesync identify`: gives --external_id to the alias-only (--alias,
// repeatable), email-only (--email) or phone-only (--phone) profiles; email
// and phone need --prioritization.
int RunIdentify(int argc, char** argv) {
  const std::string external_id = absl::GetFlag(FLAGS_external_id);
  if (external_id.empty()) return UsageError("identify: --external_id is required");
  absl::StatusOr<std::vector<v1::UserAlias>> aliases = AliasesFromFlags(argc, argv);
  if (!aliases.ok()) return UsageError(absl::StrCat("identify: ", aliases.status().message()));
  absl::StatusOr<std::vector<v1::Prioritization>> order = PrioritizationFromFlags();
  if (!order.ok()) return UsageError(absl::StrCat("identify: ", order.status().message()));
  v1::IdentifyUsersRequest request;
  SetCommonFields(&request);
  for (const v1::UserAlias& alias : *aliases) {
    v1::AliasToIdentify* item = request.add_aliases_to_identify();
    item->set_external_id(external_id);
    *item->mutable_user_alias() = alias;
  }
  for (const std::string& email : RepeatedList(argc, argv, "email")) {
    v1::EmailToIdentify* item = request.add_emails_to_identify();
    item->set_external_id(external_id);
    item->set_email(email);
    AddAll(*order, item->mutable_prioritization());
  }
  for (const std::string& phone : RepeatedList(argc, argv, "phone")) {
    v1::PhoneToIdentify* item = request.add_phone_numbers_to_identify();
    item->set_external_id(external_id);
    item->set_phone(phone);
    AddAll(*order, item->mutable_prioritization());
  }
  if (request.aliases_to_identify().empty() && request.emails_to_identify().empty() &&
      request.phone_numbers_to_identify().empty()) {
    return UsageError("identify: give --alias=LABEL:NAME, --email or --phone");
  }
  return PrintAction(ActionClient().IdentifyUsers(request, Timeout()));
}

// KIND:VALUE (external_id, email, phone, alias:LABEL:NAME) as a merge side;
// email and phone carry `order`.
absl::StatusOr<v1::MergeIdentifier> ParseMergeIdentifier(
    absl::string_view flag, const std::string& text, const std::vector<v1::Prioritization>& order) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", text, "\" is not KIND:VALUE"));
  }
  const std::string kind = text.substr(0, colon);
  const std::string value = text.substr(colon + 1);
  v1::MergeIdentifier identifier;
  if (kind == "external_id") {
    identifier.set_external_id(value);
  } else if (kind == "email" || kind == "phone") {
    if (kind == "email") {
      identifier.set_email(value);
    } else {
      identifier.set_phone(value);
    }
    AddAll(order, identifier.mutable_prioritization());
  } else if (kind == "alias" || kind == "user_alias") {
    absl::StatusOr<v1::UserAlias> alias = ParseAlias(flag, value);
    if (!alias.ok()) return alias.status();
    *identifier.mutable_user_alias() = *std::move(alias);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": unknown kind \"", kind, "\" (external_id, email, phone or alias:LABEL:NAME)"));
  }
  return identifier;
}

// `brazesync merge`: each --merge is merged into the --keep at the same
// position.
int RunMerge(int argc, char** argv) {
  const std::vector<std::string> merged = RepeatedFlag(argc, argv, "merge");
  const std::vector<std::string> kept = RepeatedFlag(argc, argv, "keep");
  if (merged.empty() || merged.size() != kept.size()) {
    return UsageError("merge: give --merge=KIND:VALUE --keep=KIND:VALUE pairs");
  }
  absl::StatusOr<std::vector<v1::Prioritization>> order = PrioritizationFromFlags();
  if (!order.ok()) return UsageError(absl::StrCat("merge: ", order.status().message()));
  v1::MergeUsersRequest request;
  SetCommonFields(&request);
  for (size_t i = 0; i < merged.size(); ++i) {
    absl::StatusOr<v1::MergeIdentifier> from = ParseMergeIdentifier("--merge", merged[i], *order);
    if (!from.ok()) return UsageError(absl::StrCat("merge: ", from.status().message()));
    absl::StatusOr<v1::MergeIdentifier> to = ParseMergeIdentifier("--keep", kept[i], *order);
    if (!to.ok()) return UsageError(absl::StrCat("merge: ", to.status().message()));
    v1::MergeUpdate* update = request.add_merge_updates();
    *update->mutable_identifier_to_merge() = *std::move(from);
    *update->mutable_identifier_to_keep() = *std::move(to);
  }
  return PrintAction(ActionClient().MergeUsers(request, Timeout()));
}

// `brazesync delete`: every --external_id, --alias, --braze_id, --email and
// --phone (repeatable); refuses to run without --yes (or --validate_only).
int RunDelete(int argc, char** argv) {
  absl::StatusOr<std::vector<v1::UserAlias>> aliases = AliasesFromFlags(argc, argv);
  if (!aliases.ok()) return UsageError(absl::StrCat("delete: ", aliases.status().message()));
  absl::StatusOr<std::vector<v1::Prioritization>> order = PrioritizationFromFlags();
  if (!order.ok()) return UsageError(absl::StrCat("delete: ", order.status().message()));
  v1::DeleteUsersRequest request;
  SetCommonFields(&request);
  for (const std::string& id : RepeatedList(argc, argv, "external_id"))
    request.add_external_ids(id);
  for (const v1::UserAlias& alias : *aliases) *request.add_user_aliases() = alias;
  for (const std::string& id : RepeatedList(argc, argv, "braze_id")) request.add_braze_ids(id);
  for (const std::string& email : RepeatedList(argc, argv, "email")) {
    v1::EmailToDelete* item = request.add_email_addresses();
    item->set_email(email);
    AddAll(*order, item->mutable_prioritization());
  }
  for (const std::string& phone : RepeatedList(argc, argv, "phone")) {
    v1::PhoneToDelete* item = request.add_phone_numbers();
    item->set_phone(phone);
    AddAll(*order, item->mutable_prioritization());
  }
  if (request.external_ids().empty() && request.user_aliases().empty() &&
      request.braze_ids().empty() && request.email_addresses().empty() &&
      request.phone_numbers().empty()) {
    return UsageError("delete: give --external_id, --alias, --braze_id, --email or --phone");
  }
  if (!absl::GetFlag(FLAGS_yes) && !request.validate_only()) {
    return UsageError("delete: deleting users cannot be undone; add --yes to confirm");
  }
  request.set_confirm_irreversible(absl::GetFlag(FLAGS_yes));
  return PrintAction(ActionClient().DeleteUsers(request, Timeout()));
}

// `brazesync rename`: each --current becomes the --new at the same position.
int RunRename(int argc, char** argv) {
  const std::vector<std::string> current = RepeatedFlag(argc, argv, "current");
  const std::vector<std::string> renamed = RepeatedFlag(argc, argv, "new");
  if (current.empty() || current.size() != renamed.size()) {
    return UsageError("rename: give --current=ID --new=ID pairs");
  }
  v1::RenameExternalIdsRequest request;
  SetCommonFields(&request);
  for (size_t i = 0; i < current.size(); ++i) {
    v1::ExternalIdRename* rename = request.add_external_id_renames();
    rename->set_current_external_id(current[i]);
    rename->set_new_external_id(renamed[i]);
  }
  return PrintAction(ActionClient().RenameExternalIds(request, Timeout()));
}

// `brazesync remove-external-ids`: removes deprecated ids (--external_id,
// repeatable).
int RunRemoveExternalIds(int argc, char** argv) {
  v1::RemoveExternalIdsRequest request;
  SetCommonFields(&request);
  for (const std::string& id : RepeatedList(argc, argv, "external_id"))
    request.add_external_ids(id);
  if (request.external_ids().empty()) {
    return UsageError("remove-external-ids: --external_id is required");
  }
  return PrintAction(ActionClient().RemoveExternalIds(request, Timeout()));
}

// `brazesync subscribe`: one subscription_groups entry for --group and
// --state with every --external_id, --email and --phone (repeatable).
int RunSubscribe(int argc, char** argv) {
  v1::SetSubscriptionStatusRequest request;
  SetCommonFields(&request);
  v1::SubscriptionGroupStatus* entry = request.add_subscription_groups();
  entry->set_subscription_group_id(absl::GetFlag(FLAGS_group));
  if (entry->subscription_group_id().empty()) return UsageError("subscribe: --group is required");
  const std::string state = absl::GetFlag(FLAGS_state);
  if (state == "subscribed") {
    entry->set_subscription_state(v1::SUBSCRIPTION_STATE_SUBSCRIBED);
  } else if (state == "unsubscribed") {
    entry->set_subscription_state(v1::SUBSCRIPTION_STATE_UNSUBSCRIBED);
  } else {
    return UsageError("subscribe: --state must be subscribed or unsubscribed");
  }
  for (const std::string& id : RepeatedList(argc, argv, "external_id")) entry->add_external_ids(id);
  for (const std::string& email : RepeatedList(argc, argv, "email")) entry->add_emails(email);
  for (const std::string& phone : RepeatedList(argc, argv, "phone")) entry->add_phones(phone);
  if (entry->external_ids().empty() && entry->emails().empty() && entry->phones().empty()) {
    return UsageError("subscribe: give --external_id, --email or --phone");
  }
  if (const std::optional<bool> double_opt_in = absl::GetFlag(FLAGS_double_opt_in);
      double_opt_in.has_value()) {
    entry->set_use_double_opt_in_logic(*double_opt_in);
  }
  return PrintAction(ActionClient().SetSubscriptionStatus(request, Timeout()));
}

int RunStatus() {
  if (absl::GetFlag(FLAGS_item_id).empty()) {
    return UsageError("status: --item_id is required");
  }
  v1::GetItemStatusRequest request;
  request.set_workspace(absl::GetFlag(FLAGS_workspace));
  request.set_item_id(absl::GetFlag(FLAGS_item_id));
  return Print(WithToken(AdminClient::Connect(Target())).GetItemStatus(request, Timeout()));
}

// Fills `ids`/`all`/`workspace` of a replay or purge request from --ids,
// --all and --workspace; exactly one of --ids and --all is required.
template <typename Request>
absl::Status SelectionFromFlags(Request* request) {
  const std::vector<std::string> ids = absl::GetFlag(FLAGS_ids);
  const bool all = absl::GetFlag(FLAGS_all);
  if (ids.empty() == !all) return absl::InvalidArgumentError("give --ids=1,2 or --all, not both");
  for (const std::string& text : ids) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(text, &id) || id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ids: \"", text, "\" is not a dead-letter id (a positive integer)"));
    }
    request->add_ids(id);
  }
  request->set_all(all);
  request->set_workspace(absl::GetFlag(FLAGS_workspace));
  return absl::OkStatus();
}

// Every dead letter after --after_id (of --workspace), page by page, as one
// response whose next_after_id is 0. The server keeps each page small enough
// for a default channel, leaving out the Braze JSON of a letter too large
// for a page; those letters are named on stderr.
absl::StatusOr<v1::ListDeadLettersResponse> ListAllDeadLetters(AdminClient& client) {
  v1::ListDeadLettersRequest request;
  request.set_workspace(absl::GetFlag(FLAGS_workspace));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_after_id(absl::GetFlag(FLAGS_after_id));
  v1::ListDeadLettersResponse all;
  while (true) {
    absl::StatusOr<v1::ListDeadLettersResponse> page = client.ListDeadLetters(request, Timeout());
    if (!page.ok()) return page.status();
    for (v1::DeadLetter& letter : *page->mutable_dead_letters()) {
      if (letter.braze_json_omitted()) {
        std::cerr << "brazesync: dead letter " << letter.id() << ": braze_json ("
                  << letter.braze_json_bytes()
                  << " bytes) is too large to list; see `brazesync dead-letters show --id="
                  << letter.id() << "`\n";
      }
      *all.add_dead_letters() = std::move(letter);
    }
    if (page->next_after_id() == 0) return all;
    // A cursor that does not advance would list the same page forever.
    if (page->next_after_id() <= request.after_id()) {
      return absl::InternalError(absl::StrCat("next_after_id: ", page->next_after_id(),
                                              " does not advance past after_id ",
                                              request.after_id()));
    }
    request.set_after_id(page->next_after_id());
  }
}

int RunDeadLetters(const std::string& action) {
  const std::string target = Target();
  if (action == "list") {
    if (absl::GetFlag(FLAGS_page_size) < 0) return UsageError("--page_size: must be >= 0");
    AdminClient client = WithToken(AdminClient::Connect(target));
    return Print(ListAllDeadLetters(client));
  }
  if (action == "show") {
    if (absl::GetFlag(FLAGS_id) <= 0) return UsageError("dead-letters show: --id is required");
    v1::GetDeadLetterRequest request;
    request.set_id(absl::GetFlag(FLAGS_id));
    // One letter with its whole Braze JSON: about as large as its item, so
    // it can be over gRPC's default 4 MiB receive limit.
    return Print(WithToken(AdminClient::Connect(target, kShowMaxReceiveBytes))
                     .GetDeadLetter(request, Timeout()));
  }
  AdminClient client = WithToken(AdminClient::Connect(target));
  if (action == "replay") {
    v1::ReplayDeadLettersRequest request;
    absl::Status selection = SelectionFromFlags(&request);
    if (!selection.ok())
      return UsageError(absl::StrCat("dead-letters replay: ", selection.message()));
    return Print(client.ReplayDeadLetters(request, Timeout()));
  }
  if (action == "purge") {
    v1::PurgeDeadLettersRequest request;
    absl::Status selection = SelectionFromFlags(&request);
    if (!selection.ok())
      return UsageError(absl::StrCat("dead-letters purge: ", selection.message()));
    return Print(client.PurgeDeadLetters(request, Timeout()));
  }
  return UsageError(
      absl::StrCat("dead-letters: unknown action \"", action, "\" (list, show, replay or purge)"));
}

}  // namespace
}  // namespace brazesync

int main(int argc, char** argv) {
  constexpr char kUsage[] =
      "usage: brazesync track [flags]\n"
      "       brazesync lookup (--external_id=ID[,ID...] | --alias=LABEL:NAME)... | --email=E |\n"
      "                        --phone=P | --braze_id=B | --device_id=D) [--workspace=W]\n"
      "                        [--fields=F,...] [--max_wait_ms=N] [--max_age_ms=N] "
      "[--max_stale_ms=N]\n"
      "                        [--cache_policy=prefer_cache|refresh|cache_only]\n"
      "       brazesync trigger-canvas --canvas_id=C (RECIPIENT... | --broadcast) "
      "[--context_json=JSON]\n"
      "       brazesync trigger-campaign --campaign_id=C (RECIPIENT... | --broadcast)\n"
      "                        [--trigger_properties_json=JSON] [--send_id=S]\n"
      "         RECIPIENT: --external_id=ID[,ID...] | --alias=LABEL:NAME | --email=E "
      "--prioritization=P,... |\n"
      "                    --braze_id=B   (each repeatable); one recipient may have\n"
      "                    --attributes_json=USERPROFILE_JSON [--send_to_existing_only=false]\n"
      "       brazesync alias --alias=LABEL:NAME... [--external_id=ID]\n"
      "       brazesync identify --external_id=ID (--alias=LABEL:NAME | --email=E | --phone=P)... "
      "[--prioritization=P,...]\n"
      "       brazesync merge (--merge=KIND:VALUE --keep=KIND:VALUE)... [--prioritization=P,...]\n"
      "       brazesync delete (--external_id=ID | --alias=L:N | --braze_id=B | --email=E | "
      "--phone=P)... --yes\n"
      "       brazesync rename (--current=ID --new=ID)...\n"
      "       brazesync remove-external-ids --external_id=ID...\n"
      "       brazesync subscribe --group=ID --state=subscribed|unsubscribed\n"
      "                        (--external_id=ID | --email=E | --phone=P)... "
      "[--double_opt_in=true]\n"
      "         (every action command also takes --workspace, --validate_only, --allow_partial)\n"
      "       brazesync status --item_id=ID [--workspace=W]\n"
      "       brazesync dead-letters list [--workspace=W] [--page_size=N] [--after_id=ID]\n"
      "       brazesync dead-letters show --id=ID\n"
      "       brazesync dead-letters replay (--ids=1,2 | --all) [--workspace=W]\n"
      "       brazesync dead-letters purge (--ids=1,2 | --all) [--workspace=W]\n"
      "(see --help)\n";
  absl::SetProgramUsageMessage(
      "BrazeSync command-line client.\n"
      "  brazesync track --target=127.0.0.1:50051 --external_id=u1 --first_name=Ada "
      "--event=quote_requested\n"
      "  brazesync track --file=request.json\n"
      "  brazesync track --async --external_id=u1 --event=paid --event_id=order-17\n"
      "  brazesync lookup --external_id=u1,u2 --alias=crm:42 --fields=first_name,custom_attributes "
      "--max_wait_ms=300 --max_stale_ms=3600000\n"
      "  brazesync lookup --email=ada@example.com --cache_policy=refresh\n"
      "  brazesync trigger-canvas --canvas_id=cv-retarget --external_id=u1 --external_id=u2 "
      "--context_json='{\"topic\":\"upgrade\"}'\n"
      "  brazesync trigger-canvas --canvas_id=cv-welcome --external_id=u3 "
      "--send_to_existing_only=false --attributes_json='{\"first_name\":\"Ada\"}'\n"
      "  brazesync trigger-campaign --campaign_id=cp-1 --email=ada@example.com "
      "--prioritization=identified,most_recently_updated --trigger_properties_json='{\"coupon\":"
      "\"CHAT10\"}'\n"
      "  brazesync alias --alias=chat:visitor-7              (an alias-only user)\n"
      "  brazesync identify --external_id=u1 --alias=chat:visitor-7\n"
      "  brazesync identify --external_id=u1 --email=ada@example.com "
      "--prioritization=unidentified,most_recently_updated\n"
      "  brazesync merge --merge=external_id:old-u1 --keep=external_id:u1\n"
      "  brazesync merge --merge=email:a@b.c --keep=external_id:u1 "
      "--prioritization=unidentified,most_recently_updated\n"
      "  brazesync delete --external_id=u1 --external_id=u2 --yes\n"
      "  brazesync rename --current=u1 --new=crm-1\n"
      "  brazesync subscribe --group=sg-newsletter --state=subscribed --external_id=u1,u2\n"
      "  brazesync status --item_id=order-17\n"
      "  brazesync dead-letters list --workspace=prod   (every page, as one JSON response)\n"
      "  brazesync dead-letters show --id=42\n"
      "  brazesync dead-letters replay --ids=42,43   (or --all [--workspace=prod])\n"
      "  brazesync dead-letters purge --all --workspace=staging\n"
      "A server with callers configured needs a token: set BRAZESYNC_TOKEN, or\n"
      "BRAZESYNC_TOKEN_FILE to a file holding it (never a flag). Track needs the track role,\n"
      "lookup the lookup role, alias/identify/merge/delete/rename/remove-external-ids the\n"
      "identity role, trigger-canvas/trigger-campaign the messaging role, subscribe the\n"
      "subscriptions role, status and dead-letters the admin role.\n"
      "lookup prints the LookupUsersResponse: one result per identifier (FOUND, NOT_FOUND,\n"
      "AMBIGUOUS, DEFERRED or ERROR) and the users found.\n"
      "The action commands print the IdentityResponse, TriggerResponse or\n"
      "SetSubscriptionStatusResponse: one result per item, and the Braze calls made.\n"
      "ACCEPTED means Braze took the item, not that its effect is visible yet.\n"
      "Triggers are never retried by the client: after a timeout Braze may have sent.\n"
      "Exit codes: 0 delivered/validated/accepted (track), success (lookup: any outcome),\n"
      "every result ACCEPTED, APPLIED, VALID or DUPLICATE (action commands);\n"
      "1 rpc error, 2 bad usage, 3 some items not delivered (track) or some result\n"
      "REJECTED_INVALID, REJECTED_BY_BRAZE, FAILED or DEFERRED (action commands).");
  // --help lists the flags of this file: abseil's default lists only those of
  // a file named after the binary (brazesync.cc).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = usage.contains_helpshort_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "client/cli/brazesync_cli.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string command = args.size() >= 2 ? args[1] : "";
  if (command == "track" && args.size() == 2) return brazesync::RunTrack();
  if (command == "lookup" && args.size() == 2) return brazesync::RunLookup(argc, argv);
  if (args.size() == 2) {
    if (command == "trigger-canvas") return brazesync::RunTrigger(argc, argv, /*canvas=*/true);
    if (command == "trigger-campaign") return brazesync::RunTrigger(argc, argv, /*canvas=*/false);
    if (command == "alias") return brazesync::RunAlias(argc, argv);
    if (command == "identify") return brazesync::RunIdentify(argc, argv);
    if (command == "merge") return brazesync::RunMerge(argc, argv);
    if (command == "delete") return brazesync::RunDelete(argc, argv);
    if (command == "rename") return brazesync::RunRename(argc, argv);
    if (command == "remove-external-ids") return brazesync::RunRemoveExternalIds(argc, argv);
    if (command == "subscribe") return brazesync::RunSubscribe(argc, argv);
  }
  if (command == "status" && args.size() == 2) return brazesync::RunStatus();
  if (command == "dead-letters" && args.size() == 3) return brazesync::RunDeadLetters(args[2]);
  std::cerr << kUsage;
  return 2;
}
