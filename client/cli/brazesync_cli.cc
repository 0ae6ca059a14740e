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
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/cpp/brazesync_client.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "BrazeSync server address host:port");
ABSL_FLAG(int, timeout_ms, 30000, "Deadline of the call");
ABSL_FLAG(std::string, workspace, "", "Workspace name; empty = the server's default");
ABSL_FLAG(std::string, file, "",
          "A TrackRequest as proto3 JSON (e.g. {\"events\":[...]}); replaces the item flags");
ABSL_FLAG(bool, validate_only, false, "Dry run: print the Braze JSON that would be sent");
ABSL_FLAG(bool, allow_partial, false, "Send the valid items even when some are invalid");
ABSL_FLAG(std::string, external_id, "",
          "User identifier (or use --alias_name/--alias_label). lookup: repeatable, and each "
          "may be a comma list, e.g. --external_id=u1,u2 --external_id=u3");
ABSL_FLAG(std::string, alias_name, "", "User alias name (with --alias_label)");
ABSL_FLAG(std::string, alias_label, "", "User alias label (with --alias_name)");
ABSL_FLAG(std::string, first_name, "", "Profile first name");
ABSL_FLAG(std::string, last_name, "", "Profile last name");
ABSL_FLAG(std::string, email, "",
          "Profile email; the user identifier when no external_id or alias is given. "
          "lookup: look users up by this email address");
ABSL_FLAG(std::string, phone, "",
          "Profile phone in E.164, or a national number when the workspace sets "
          "default_phone_region. lookup: look users up by this phone");
ABSL_FLAG(std::string, dob, "", "Profile date of birth YYYY-MM-DD");
ABSL_FLAG(std::string, home_city, "", "Profile home city");
ABSL_FLAG(std::string, country, "", "Profile country, ISO 3166-1 alpha-2");
ABSL_FLAG(std::string, attributes_json, "",
          "Custom attributes as a JSON object of AttributeValue, e.g. "
          "'{\"os\":{\"string_value\":\"iOS\"}}'");
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
          "lookup: a user alias as label:name (split at the first ':'); repeatable");
ABSL_FLAG(std::string, braze_id, "", "lookup: look the user up by Braze id");
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
  BrazeSyncClient client = WithToken(BrazeSyncClient::Connect(absl::GetFlag(FLAGS_target)));
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
  return Print(WithToken(BrazeSyncClient::Connect(absl::GetFlag(FLAGS_target)))
                   .LookupUsers(*request, Timeout()));
}

int RunStatus() {
  if (absl::GetFlag(FLAGS_item_id).empty()) {
    return UsageError("status: --item_id is required");
  }
  v1::GetItemStatusRequest request;
  request.set_workspace(absl::GetFlag(FLAGS_workspace));
  request.set_item_id(absl::GetFlag(FLAGS_item_id));
  return Print(WithToken(AdminClient::Connect(absl::GetFlag(FLAGS_target)))
                   .GetItemStatus(request, Timeout()));
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
  const std::string target = absl::GetFlag(FLAGS_target);
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
      "  brazesync status --item_id=order-17\n"
      "  brazesync dead-letters list --workspace=prod   (every page, as one JSON response)\n"
      "  brazesync dead-letters show --id=42\n"
      "  brazesync dead-letters replay --ids=42,43   (or --all [--workspace=prod])\n"
      "  brazesync dead-letters purge --all --workspace=staging\n"
      "A server with callers configured needs a token: set BRAZESYNC_TOKEN, or\n"
      "BRAZESYNC_TOKEN_FILE to a file holding it (never a flag). Track needs the track role,\n"
      "lookup the lookup role, status and dead-letters the admin role.\n"
      "lookup prints the LookupUsersResponse: one result per identifier (FOUND, NOT_FOUND,\n"
      "AMBIGUOUS, DEFERRED or ERROR) and the users found.\n"
      "Exit codes: 0 delivered/validated/accepted (track) or success (lookup: any outcome),\n"
      "1 rpc error, 2 bad usage, 3 some items not delivered (track).");
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
  if (command == "status" && args.size() == 2) return brazesync::RunStatus();
  if (command == "dead-letters" && args.size() == 3) return brazesync::RunDeadLetters(args[2]);
  std::cerr << kUsage;
  return 2;
}
