// Test support for the emulator's identity, trigger and subscription
// endpoint tests (identity_endpoints_test.cc, trigger_endpoints_test.cc,
// subscription_endpoints_test.cc): a fixture that starts an in-process
// emulator on port 0 (Start() returns once it accepts connections, so no
// waiting is needed), a hand-moved clock, and JSON helpers over
// httplib::Client.
#ifndef BRAZESYNC_TESTS_EMULATOR_ENDPOINT_TEST_SUPPORT_H_
#define BRAZESYNC_TESTS_EMULATOR_ENDPOINT_TEST_SUPPORT_H_

#include <httplib.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/braze_emulator.h"

namespace brazesync::emulator {

// A clock the test moves by hand (EmulatorOptions::clock), for the rate
// windows and the export lag.
class HandMovedClock final {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::Now();
};

// A status and a parsed body (null when the body is not JSON).
struct JsonReply {
  int status = 0;
  nlohmann::json body;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class EmulatorEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(EmulatorOptions()); }

  // (Re)starts the emulator with `options`, on the hand-moved clock.
  void Start(EmulatorOptions options) {
    emulator_.reset();
    options.clock = [clock = clock_] { return clock->Now(); };
    emulator_ = std::make_unique<BrazeEmulator>(std::move(options));
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
  }

  JsonReply Post(const std::string& path, const std::string& body,
                 const std::string& key = "emulator-key") {
    httplib::Client client("127.0.0.1", emulator_->port());
    client.set_read_timeout(30);
    auto res =
        client.Post(path.c_str(), {{"Authorization", "Bearer " + key}}, body, "application/json");
    return Reply(res);
  }
  JsonReply Post(const std::string& path, const nlohmann::json& body,
                 const std::string& key = "emulator-key") {
    return Post(path, body.dump(), key);
  }
  JsonReply Get(const std::string& path_and_query, const std::string& key = "emulator-key") {
    httplib::Client client("127.0.0.1", emulator_->port());
    client.set_read_timeout(30);
    return Reply(client.Get(path_and_query.c_str(), {{"Authorization", "Bearer " + key}}));
  }
  // POST /users/track that must be fully accepted.
  void Track(const nlohmann::json& body) {
    const JsonReply reply = Post("/users/track", body);
    ASSERT_EQ(reply.status, 201) << reply.body;
    ASSERT_FALSE(reply.body.contains("errors")) << reply.body;
  }
  // The users /users/export/ids returns for `identifiers`.
  nlohmann::json Export(nlohmann::json identifiers,
                        const nlohmann::json& fields = {"external_id", "user_aliases", "email",
                                                        "first_name", "custom_attributes",
                                                        "custom_events"}) {
    identifiers["fields_to_export"] = fields;
    const JsonReply reply = Post("/users/export/ids", identifiers);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.body.value("users", nlohmann::json::array());
  }
  // The one user an export of `identifiers` returns, or null.
  nlohmann::json ExportOne(const nlohmann::json& identifiers) {
    const nlohmann::json users = Export(identifiers);
    EXPECT_LE(users.size(), 1u) << users;
    return users.empty() ? nlohmann::json() : users[0];
  }

  std::shared_ptr<HandMovedClock> clock_ = std::make_shared<HandMovedClock>();
  std::unique_ptr<BrazeEmulator> emulator_;

 private:
  static JsonReply Reply(const httplib::Result& res) {
    JsonReply out;
    EXPECT_TRUE(res) << "no response";
    if (!res) return out;
    out.status = res->status;
    out.headers = res->headers;
    out.body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (out.body.is_discarded()) out.body = nlohmann::json();
    return out;
  }
};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_ENDPOINT_TEST_SUPPORT_H_
