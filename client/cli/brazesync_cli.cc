// `brazesync`: the command-line client for humans. Sends a profile, an event
// and/or a purchase built from flags, or a whole TrackRequest from a JSON file
// (proto3 JSON, Braze-like field names), and prints the TrackResult as JSON.
// On an error it prints the gRPC code, the message and each field violation,
// and exits non-zero.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/cpp/brazesync_client.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "BrazeSync server address host:port");
ABSL_FLAG(int, timeout_ms, 30000, "Deadline of the call");
ABSL_FLAG(std::string, workspace, "", "Workspace name; empty = the server's default");
ABSL_FLAG(std::string, file, "",
          "A TrackRequest as proto3 JSON (e.g. {\"events\":[...]}); replaces the item flags");
ABSL_FLAG(bool, validate_only, false, "Dry run: print the Braze JSON that would be sent");
ABSL_FLAG(bool, allow_partial, false, "Send the valid items even when some are invalid");
ABSL_FLAG(std::string, external_id, "", "User identifier (or use --alias_name/--alias_label)");
ABSL_FLAG(std::string, alias_name, "", "User alias name (with --alias_label)");
ABSL_FLAG(std::string, alias_label, "", "User alias label (with --alias_name)");
ABSL_FLAG(std::string, first_name, "", "Profile first name");
ABSL_FLAG(std::string, last_name, "", "Profile last name");
ABSL_FLAG(std::string, email, "",
          "Profile email; the user identifier when no external_id or alias is given");
ABSL_FLAG(std::string, phone, "", "Profile phone in E.164");
ABSL_FLAG(std::string, dob, "", "Profile date of birth YYYY-MM-DD");
ABSL_FLAG(std::string, home_city, "", "Profile home city");
ABSL_FLAG(std::string, country, "", "Profile country, ISO 3166-1 alpha-2");
ABSL_FLAG(std::string, attributes_json, "",
          "Custom attributes as a JSON object of AttributeValue, e.g. "
          "'{\"os\":{\"string_value\":\"iOS\"}}'");
ABSL_FLAG(std::string, event, "", "Track a custom event with this name");
ABSL_FLAG(std::string, event_properties, "", "Event properties as a JSON object");
ABSL_FLAG(std::string, event_id, "", "Event idempotency key");

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
    absl::Status status =
        ParseJson(absl::StrCat("{\"custom_attributes\":", absl::GetFlag(FLAGS_attributes_json), "}"),
                  &custom, "--attributes_json");
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
    if (!in) return absl::NotFoundError(absl::StrCat("--file: cannot read ", absl::GetFlag(FLAGS_file)));
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
  if (!absl::GetFlag(FLAGS_workspace).empty()) request.set_workspace(absl::GetFlag(FLAGS_workspace));
  if (absl::GetFlag(FLAGS_validate_only)) request.set_validate_only(true);
  if (absl::GetFlag(FLAGS_allow_partial)) request.set_allow_partial(true);
  return request;
}

int RunTrack() {
  absl::StatusOr<v1::TrackRequest> request = RequestFromFlags();
  if (!request.ok()) {
    std::cerr << "brazesync: " << request.status().message() << "\n";
    return 2;
  }
  BrazeSyncClient client = BrazeSyncClient::Connect(absl::GetFlag(FLAGS_target));
  absl::StatusOr<v1::TrackResult> result =
      client.Track(*request, absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  if (!result.ok()) {
    std::cerr << "brazesync: " << absl::StatusCodeToString(result.status().code()) << ": "
              << result.status().message() << "\n";
    for (const auto& violation : FieldViolations(result.status())) {
      std::cerr << "  " << violation.field() << ": " << violation.description() << "\n";
    }
    return 1;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(*result, &json, options);
  std::cout << json;
  return result->outcome() == v1::OUTCOME_DELIVERED || result->outcome() == v1::OUTCOME_VALIDATED
             ? 0
             : 3;
}

}  // namespace
}  // namespace brazesync

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "BrazeSync command-line client.\n"
      "  brazesync track --target=127.0.0.1:50051 --external_id=u1 --first_name=Ada "
      "--event=quote_requested\n"
      "  brazesync track --file=request.json\n"
      "Exit codes: 0 delivered/validated, 1 rpc error, 2 bad usage, 3 some items not delivered.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2 || std::string(args[1]) != "track") {
    std::cerr << "usage: brazesync track [flags]   (see --help)\n";
    return 2;
  }
  return brazesync::RunTrack();
}
