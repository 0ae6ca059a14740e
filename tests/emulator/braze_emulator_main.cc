// braze_emulator: the Braze emulator (braze_emulator.h: /users/track,
// /users/export/ids, the identity, trigger and subscription endpoints) as a
// standalone process, for the quick start, scripts
// and benchmarks.
//
//   BRAZE_API_KEY=secret braze_emulator --listen=127.0.0.1:8089 --port_file=/tmp/port
//
// Prints "braze_emulator listening on http://127.0.0.1:PORT" once it accepts
// connections (and writes PORT to --port_file, atomically), then serves until
// SIGTERM or SIGINT. Faults can be changed at run time with
// POST /_emulator/faults; see braze_emulator.h for the admin endpoints.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/files.h"
#include "tests/emulator/braze_emulator.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to listen on; port 0 picks a free port");
ABSL_FLAG(std::string, api_key_env, "BRAZE_API_KEY",
          "Environment variable holding the API key to accept (default key: emulator-key)");
ABSL_FLAG(bool, per_array_cap, false,
          "Legacy accounts: cap each array at --max_objects instead of all three combined");
ABSL_FLAG(int, max_objects, 75, "Object cap per request (combined, or per array)");
ABSL_FLAG(int64_t, max_body_bytes, 4'000'000, "Bodies larger than this get 413");
ABSL_FLAG(int, rate_limit_requests, 3000, "Requests admitted per rate-limit window");
ABSL_FLAG(int, rate_limit_window_ms, 3000, "Rate-limit window length in milliseconds");
ABSL_FLAG(int, latency_ms, 0, "Latency added to every /users/track and /users/export/ids response");
ABSL_FLAG(double, error_5xx_rate, 0, "Probability of an injected 5xx");
ABSL_FLAG(int, error_5xx_status, 503, "Status used for injected 5xx");
ABSL_FLAG(double, rate_429, 0, "Probability of an injected 429 with X-Ratelimit-Retry-After");
ABSL_FLAG(int, retry_after_seconds, 1, "X-Ratelimit-Retry-After value of injected 429s");
ABSL_FLAG(double, drop_rate, 0, "Probability of closing the connection without a response");
ABSL_FLAG(uint64_t, seed, 1, "Seed for the random faults");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate: serve HTTPS (with --tls_key_file)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written here (atomically) once listening");
ABSL_FLAG(int, threads, 64, "Worker threads started up front (the pool grows on demand)");
ABSL_FLAG(int, max_threads, 4096, "Upper bound of the worker pool (one per open connection)");
ABSL_FLAG(bool, profile_store, true,
          "Keep the profiles Braze would hold (GET /_emulator/profiles); off for long benchmark "
          "runs, as it keeps every event");
ABSL_FLAG(int, max_array_length, 500,
          "The workspace's array attribute cap: longer arrays keep their newest values");
ABSL_FLAG(std::vector<std::string>, push_app_ids, {},
          "Comma-separated app_ids of the workspace; push tokens for others get "
          "BAD_PUSH_TOKEN_APP_ID (empty: any app_id)");
ABSL_FLAG(std::vector<std::string>, blocked_external_ids, {},
          "Comma-separated external_ids refused as BLACKLISTED_EXTERNAL_USER_ID");
ABSL_FLAG(int64_t, record_limit, 100000,
          "Keep only the newest N requests for /_emulator/requests (0 = all)");
ABSL_FLAG(bool, export_permission, true,
          "Whether the key holds users.export.ids; false answers /users/export/ids 401");
ABSL_FLAG(bool, require_fields_to_export, true,
          "New workspaces (onboarded from 2024-08-22) must send fields_to_export; false gives "
          "every field when it is missing");
ABSL_FLAG(int, export_rate_limit_requests, 250,
          "/users/export/ids requests admitted per export window (2,500 on older workspaces)");
ABSL_FLAG(int, export_rate_limit_window_ms, 60000, "Export rate-limit window in milliseconds");
ABSL_FLAG(int, export_fast_requests_per_second, 0,
          "Braze's fast export budget (40 on eligible workspaces; 0 = off): calls with "
          "fields_to_export and without canvases_received/campaigns_received use it instead");
ABSL_FLAG(int, export_latency_ms, 0,
          "Latency added to every /users/export/ids response (on top of --latency_ms)");
ABSL_FLAG(int, export_lag_ms, 0,
          "The export shows profiles as they were this long ago (Braze's export lag)");
ABSL_FLAG(int, seed_users, 0,
          "Create profiles user-0 ... user-(N-1) at start (and after /_emulator/reset), dated long "
          "ago so --export_lag_ms never hides them");
ABSL_FLAG(std::vector<std::string>, denied_permissions, {},
          "Comma-separated permissions the key lacks (e.g. users.merge,canvas.trigger.send); "
          "their endpoints answer 401 Access Denied");
ABSL_FLAG(int, identity_rate_limit_requests, 20000,
          "Identity pool (/users/alias/new, /users/identify, /users/merge, /users/delete): "
          "requests per window");
ABSL_FLAG(int, identity_rate_limit_window_ms, 60000, "Identity pool window in milliseconds");
ABSL_FLAG(int, rename_rate_limit_requests, 1000, "/users/external_ids/rename requests per window");
ABSL_FLAG(int, rename_rate_limit_window_ms, 60000, "Rename window in milliseconds");
ABSL_FLAG(int, remove_rate_limit_requests, 1000, "/users/external_ids/remove requests per window");
ABSL_FLAG(int, remove_rate_limit_window_ms, 60000, "Remove window in milliseconds");
ABSL_FLAG(int, trigger_rate_limit_requests, 250000,
          "Targeted (recipients) Canvas and campaign triggers together, per window");
ABSL_FLAG(int, trigger_rate_limit_window_ms, 3600000, "Targeted trigger window in milliseconds");
ABSL_FLAG(int, broadcast_rate_limit_requests, 250,
          "Broadcast or audience triggers per window, across all audiences");
ABSL_FLAG(int, broadcast_audience_rate_limit_requests, 10,
          "Broadcast or audience triggers per window for one unique audience (id + audience)");
ABSL_FLAG(int, broadcast_rate_limit_window_ms, 60000, "Broadcast windows in milliseconds");
ABSL_FLAG(int, subscription_rate_limit_requests, 5000,
          "/subscription/status/set v1 and v2 together, per window");
ABSL_FLAG(int, subscription_rate_limit_window_ms, 60000, "Subscription window in milliseconds");
ABSL_FLAG(int, default_rate_limit_requests, 250000,
          "Braze's default pool (here GET /subscription/user/status), per window");
ABSL_FLAG(int, default_rate_limit_window_ms, 3600000, "Default pool window in milliseconds");
ABSL_FLAG(std::vector<std::string>, canvas_states, {},
          "Comma-separated id:state (active, paused or archived) of the workspace's Canvases; when "
          "given, other canvas_ids are not found (empty: every id is active)");
ABSL_FLAG(
    std::vector<std::string>, campaign_states, {},
    "Comma-separated id:state of the workspace's API-triggered campaigns, as --canvas_states");

namespace {

namespace emu = brazesync::emulator;

// "id:state" pairs into `out`; false (with `bad` set) on a malformed pair or
// an unknown state.
bool ParseStates(const std::vector<std::string>& pairs, std::map<std::string, std::string>& out,
                 std::string& bad) {
  for (const std::string& pair : pairs) {
    const size_t colon = pair.rfind(':');
    const std::string state = colon == std::string::npos ? "" : pair.substr(colon + 1);
    if (colon == 0 || (state != "active" && state != "paused" && state != "archived")) {
      bad = pair;
      return false;
    }
    out[pair.substr(0, colon)] = state;
  }
  return true;
}

bool ParseListen(const std::string& listen, std::string& host, int& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty() && absl::SimpleAtoi(listen.substr(colon + 1), &port) && port >= 0 &&
         port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Emulates Braze's /users/track, /users/export/ids and the identity, trigger and "
      "subscription endpoints on loopback. See tests/emulator/braze_emulator.h and "
      "docs/emulator.md.");
  absl::ParseCommandLine(argc, argv);
  // Debian builds abseil with mutex deadlock detection on; it costs CPU on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string host;
  int port = 0;
  if (!ParseListen(absl::GetFlag(FLAGS_listen), host, port)) {
    std::cerr << "braze_emulator: bad --listen '" << absl::GetFlag(FLAGS_listen)
              << "', want host:port\n";
    return 2;
  }

  emu::EmulatorOptions options;
  const std::string key_env = absl::GetFlag(FLAGS_api_key_env);
  const char* key = key_env.empty() ? nullptr : std::getenv(key_env.c_str());
  if (key != nullptr && *key != '\0') {
    options.api_key = key;
  } else {
    // The key itself is never printed, only where it was looked for.
    std::cerr << "braze_emulator: $" << key_env
              << " is not set; accepting the default key \"emulator-key\"\n";
  }
  options.per_array_cap = absl::GetFlag(FLAGS_per_array_cap);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.max_objects = absl::GetFlag(FLAGS_max_objects);
  options.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  options.rate_limit_requests = absl::GetFlag(FLAGS_rate_limit_requests);
  options.rate_limit_window = absl::Milliseconds(absl::GetFlag(FLAGS_rate_limit_window_ms));
  options.threads = absl::GetFlag(FLAGS_threads);
  options.max_threads = absl::GetFlag(FLAGS_max_threads);
  options.record_limit = static_cast<size_t>(absl::GetFlag(FLAGS_record_limit));
  options.max_array_length = absl::GetFlag(FLAGS_max_array_length);
  options.profile_store = absl::GetFlag(FLAGS_profile_store);
  options.push_app_ids = absl::GetFlag(FLAGS_push_app_ids);
  options.blocked_external_ids = absl::GetFlag(FLAGS_blocked_external_ids);
  options.export_permission = absl::GetFlag(FLAGS_export_permission);
  options.require_fields_to_export = absl::GetFlag(FLAGS_require_fields_to_export);
  options.export_rate_limit_requests = absl::GetFlag(FLAGS_export_rate_limit_requests);
  options.export_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_export_rate_limit_window_ms));
  options.export_fast_requests_per_second = absl::GetFlag(FLAGS_export_fast_requests_per_second);
  options.export_latency = absl::Milliseconds(absl::GetFlag(FLAGS_export_latency_ms));
  options.export_lag = absl::Milliseconds(absl::GetFlag(FLAGS_export_lag_ms));
  options.seed_users = absl::GetFlag(FLAGS_seed_users);
  options.denied_permissions = absl::GetFlag(FLAGS_denied_permissions);
  options.identity_rate_limit_requests = absl::GetFlag(FLAGS_identity_rate_limit_requests);
  options.identity_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_identity_rate_limit_window_ms));
  options.rename_rate_limit_requests = absl::GetFlag(FLAGS_rename_rate_limit_requests);
  options.rename_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_rename_rate_limit_window_ms));
  options.remove_rate_limit_requests = absl::GetFlag(FLAGS_remove_rate_limit_requests);
  options.remove_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_remove_rate_limit_window_ms));
  options.trigger_rate_limit_requests = absl::GetFlag(FLAGS_trigger_rate_limit_requests);
  options.trigger_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_trigger_rate_limit_window_ms));
  options.broadcast_rate_limit_requests = absl::GetFlag(FLAGS_broadcast_rate_limit_requests);
  options.broadcast_audience_rate_limit_requests =
      absl::GetFlag(FLAGS_broadcast_audience_rate_limit_requests);
  options.broadcast_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_broadcast_rate_limit_window_ms));
  options.subscription_rate_limit_requests = absl::GetFlag(FLAGS_subscription_rate_limit_requests);
  options.subscription_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_subscription_rate_limit_window_ms));
  options.default_rate_limit_requests = absl::GetFlag(FLAGS_default_rate_limit_requests);
  options.default_rate_limit_window =
      absl::Milliseconds(absl::GetFlag(FLAGS_default_rate_limit_window_ms));
  std::string bad_state;
  if (!ParseStates(absl::GetFlag(FLAGS_canvas_states), options.canvas_states, bad_state) ||
      !ParseStates(absl::GetFlag(FLAGS_campaign_states), options.campaign_states, bad_state)) {
    std::cerr << "braze_emulator: bad --canvas_states/--campaign_states entry '" << bad_state
              << "', want id:active, id:paused or id:archived\n";
    return 2;
  }

  emu::Faults faults;
  faults.latency = absl::Milliseconds(absl::GetFlag(FLAGS_latency_ms));
  faults.error_5xx_rate = absl::GetFlag(FLAGS_error_5xx_rate);
  faults.error_5xx_status = absl::GetFlag(FLAGS_error_5xx_status);
  faults.rate_429 = absl::GetFlag(FLAGS_rate_429);
  faults.retry_after_seconds = absl::GetFlag(FLAGS_retry_after_seconds);
  faults.drop_rate = absl::GetFlag(FLAGS_drop_rate);
  faults.seed = absl::GetFlag(FLAGS_seed);

  // Block the stop signals before any thread exists so that every server
  // thread inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client hanging up must not kill the process

  emu::BrazeEmulator emulator(options);
  emulator.SetFaults(faults);
  if (absl::Status status = emulator.Start(host, port); !status.ok()) {
    std::cerr << "braze_emulator: " << status << "\n";
    return 1;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    if (absl::Status written = brazesync::WritePortFile(port_file, emulator.port());
        !written.ok()) {
      std::cerr << "braze_emulator: --port_file: " << written.message() << "\n";
      return 1;
    }
  }
  std::cout << "braze_emulator listening on " << emulator.base_url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "braze_emulator: signal " << signal_number << ", stopping\n";
  emulator.Stop();
  return 0;
}
