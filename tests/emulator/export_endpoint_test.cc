// Tests for the emulator's POST /users/export/ids over real HTTP
// (braze-api-round2.md §2.1, §2.13): auth and content type, the 400 rules,
// lookups by every identifier, field selection, the export lag (driven by an
// injected clock, no sleeps), the export's own rate limits and fast budget,
// injected faults and export latency, seeding, recording and stats. The pure
// rules are unit-tested in export_rules_test.cc; the numbered cases 77-94
// are in conformance_cases_test.cc.
#include <httplib.h>

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/emulator/braze_emulator.h"
#include "tests/emulator/datetime_syntax.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

// A clock the test moves by hand, so export_lag is stepped through without
// waiting.
class FakeClock {
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

class EmulatorExportEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(EmulatorOptions()); }

  void Start(EmulatorOptions options) {
    emulator_.reset();
    emulator_ = std::make_unique<BrazeEmulator>(std::move(options));
    ASSERT_TRUE(emulator_->Start("127.0.0.1", 0).ok());
  }
  // Starts with export_lag and the fake clock.
  void StartLagged(absl::Duration lag) {
    EmulatorOptions options;
    options.export_lag = lag;
    options.clock = [clock = clock_] { return clock->Now(); };
    Start(options);
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       httplib::Headers headers = {{"Authorization", "Bearer emulator-key"}},
                       const char* content_type = "application/json") {
    httplib::Client client("127.0.0.1", emulator_->port());
    client.set_read_timeout(30);
    return client.Post(path.c_str(), headers, body, content_type == nullptr ? "" : content_type);
  }
  // POSTs an export and returns {status, parsed body}.
  std::pair<int, Json> Export(const Json& body) {
    auto res = Post("/users/export/ids", body.dump());
    EXPECT_TRUE(res);
    if (!res) return {0, Json()};
    return {res->status, Json::parse(res->body)};
  }
  // The users an export of `identifiers` returns (fields: `fields`).
  Json Users(Json identifiers, const Json& fields = {"external_id", "first_name"}) {
    identifiers["fields_to_export"] = fields;
    auto [status, body] = Export(identifiers);
    EXPECT_EQ(status, 200) << body;
    return body.value("users", Json::array());
  }
  void TrackOk(const Json& body) {
    auto res = Post("/users/track", body.dump());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
    ASSERT_FALSE(Json::parse(res->body).contains("errors")) << res->body;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<BrazeEmulator> emulator_;
};

TEST_F(EmulatorExportEndpointTest, ReturnsRequestedFieldsAndListsUnknownIds) {
  TrackOk({{"attributes",
            {{{"external_id", "u1"}, {"first_name", "Ada"}, {"email", "ada@example.com"}},
             {{"external_id", "u2"}, {"first_name", "Bob"}}}}});
  auto res = Post("/users/export/ids", Json{{"external_ids", {"u2", "nobody", "u1"}},
                                            {"fields_to_export", {"external_id", "email"}}}
                                           .dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  // Message first, as Braze writes it.
  EXPECT_EQ(res->body.rfind(R"({"message":"success","users":)", 0), 0u) << res->body;
  EXPECT_EQ(Json::parse(res->body),
            (Json{{"message", "success"},
                  {"users",
                   {{{"external_id", "u2"}},  // no email: the key is omitted
                    {{"external_id", "u1"}, {"email", "ada@example.com"}}}},
                  {"invalid_user_ids", {"nobody"}}}));
  // invalid_user_ids is left out when everything was found.
  auto [status, body] = Export({{"external_ids", {"u1"}}, {"fields_to_export", {"first_name"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, (Json{{"message", "success"}, {"users", {{{"first_name", "Ada"}}}}}));
}

TEST_F(EmulatorExportEndpointTest, AuthPermissionAndContentTypeAsOnTrack) {
  const std::string body = Json{{"external_ids", {"u1"}}, {"fields_to_export", {"email"}}}.dump();
  for (const httplib::Headers& headers :
       {httplib::Headers{}, httplib::Headers{{"Authorization", "Bearer wrong"}},
        httplib::Headers{{"Authorization", "emulator-key"}}}) {
    auto res = Post("/users/export/ids", body, headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(Json::parse(res->body)["message"], "Invalid API Key");
    EXPECT_TRUE(res->has_header("X-RateLimit-Limit"));  // headers on every response
  }
  auto res = Post("/users/export/ids", body, {{"Authorization", "Bearer emulator-key"}}, nullptr);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  res = Post("/users/export/ids", body, {{"Authorization", "Bearer emulator-key"}}, "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);

  EmulatorOptions options;
  options.export_permission = false;
  Start(options);
  res = Post("/users/export/ids", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(Json::parse(res->body)["message"], "Access Denied");
  // The track permission is separate.
  TrackOk({{"attributes", {{{"external_id", "u1"}}}}});
}

TEST_F(EmulatorExportEndpointTest, BodyRulesAnswer400WithAMessage) {
  Json ids = Json::array();
  for (int i = 0; i < 51; ++i) ids.push_back(absl::StrCat("u", i));
  const struct {
    std::string body;
    const char* message_part;
  } cases[] = {
      {Json{{"external_ids", ids}, {"fields_to_export", {"email"}}}.dump(),
       "The max number of external_ids and aliases per request was exceeded"},
      {Json{{"email_address", "a@example.com"},
            {"phone", "+15555550123"},
            {"fields_to_export", {"email"}}}
           .dump(),
       "Only one of"},
      {Json{{"fields_to_export", {"email"}}}.dump(), "is required"},
      {Json{{"external_ids", {"u1"}}}.dump(), "'fields_to_export' is required"},
      {Json{{"external_ids", {"u1"}}, {"fields_to_export", {"loyaltyPoints"}}}.dump(),
       "'loyaltyPoints'"},
      {R"({"external_ids":["u1"],)", "Error while parsing request body"},
      {Json{{"external_ids", "u1"}, {"fields_to_export", {"email"}}}.dump(),
       "'external_ids' must be an array"},
  };
  for (const auto& c : cases) {
    auto res = Post("/users/export/ids", c.body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << c.body;
    EXPECT_THAT(Json::parse(res->body)["message"].get<std::string>(), HasSubstr(c.message_part))
        << c.body;
  }
  EXPECT_EQ(emulator_->stats().export_by_status.at(400), std::size(cases));
}

TEST_F(EmulatorExportEndpointTest, LegacyWorkspaceWithoutFieldsGetsEveryField) {
  EmulatorOptions options;
  options.require_fields_to_export = false;
  Start(options);
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"first_name", "Ada"}, {"tier", "gold"}}}}});
  auto [status, body] = Export({{"external_ids", {"u1"}}});
  ASSERT_EQ(status, 200) << body;
  const Json user = body["users"][0];
  EXPECT_EQ(user["external_id"], "u1");
  EXPECT_EQ(user["first_name"], "Ada");
  EXPECT_EQ(user["custom_attributes"], (Json{{"tier", "gold"}}));
  EXPECT_TRUE(user.contains("braze_id"));
  EXPECT_TRUE(user.contains("created_at"));
  EXPECT_TRUE(user.contains("random_bucket"));
}

TEST_F(EmulatorExportEndpointTest, LooksUpByAliasBrazeIdEmailPhoneAndDevice) {
  TrackOk({{"attributes",
            {{{"external_id", "u1"},
              {"phone", "+15555550123"},
              {"push_tokens",
               {{{"app_id", "app-1"}, {"token", "tok-1"}, {"device_id", "device-0001"}}}}},
             {{"user_alias", {{"alias_name", "Bob@x"}, {"alias_label", "crm"}}},
              {"_update_existing_only", false},
              {"first_name", "Bob"}}}}});
  const std::string braze_id = emulator_->profile({{"external_id", "u1"}})->at("braze_id");

  Json alias_user = Users({{"user_aliases", {{{"alias_name", "Bob@x"}, {"alias_label", "crm"}}}}},
                          {"first_name", "user_aliases"});
  EXPECT_EQ(alias_user,
            (Json{{{"first_name", "Bob"},
                   {"user_aliases", {{{"alias_name", "Bob@x"}, {"alias_label", "crm"}}}}}}));
  EXPECT_EQ(Users({{"braze_id", braze_id}})[0]["external_id"], "u1");
  EXPECT_EQ(Users({{"phone", "+15555550123"}})[0]["external_id"], "u1");
  EXPECT_EQ(Users({{"device_id", "device-0001"}})[0]["external_id"], "u1");

  // Unknown single identifiers are listed verbatim; aliases as their JSON.
  auto [status, body] =
      Export({{"user_aliases", {{{"alias_name", "bob@x"}, {"alias_label", "crm"}}}},
              {"email_address", "nobody@example.com"},
              {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["users"], Json::array());
  EXPECT_EQ(body["invalid_user_ids"],
            (Json{R"({"alias_label":"crm","alias_name":"bob@x"})", "nobody@example.com"}));
}

TEST_F(EmulatorExportEndpointTest, AliasLookupIsCaseSensitive) {
  TrackOk({{"attributes",
            {{{"user_alias", {{"alias_name", "Bob@x"}, {"alias_label", "crm"}}},
              {"_update_existing_only", false},
              {"first_name", "Bob"}}}}});
  EXPECT_EQ(Users({{"user_aliases", {{{"alias_name", "Bob@x"}, {"alias_label", "crm"}}}}}).size(),
            1u);
  EXPECT_EQ(Users({{"user_aliases", {{{"alias_name", "bob@x"}, {"alias_label", "crm"}}}}}).size(),
            0u);
  EXPECT_EQ(Users({{"user_aliases", {{{"alias_name", "Bob@x"}, {"alias_label", "CRM"}}}}}).size(),
            0u);
}

TEST_F(EmulatorExportEndpointTest, AnEmailSharedByTwoProfilesReturnsBoth) {
  TrackOk({{"attributes",
            {{{"external_id", "u1"}, {"email", "shared@example.com"}},
             {{"external_id", "u2"}, {"email", "shared@example.com"}},
             {{"external_id", "u3"}, {"email", "other@example.com"}}}}});
  const Json users = Users({{"email_address", "shared@example.com"}}, {"external_id"});
  EXPECT_EQ(users, (Json{{{"external_id", "u1"}}, {{"external_id", "u2"}}}));
}

TEST_F(EmulatorExportEndpointTest, EachProfileIsReturnedOnceAndIdsCanBeCombined) {
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"email", "a@example.com"}}}}});
  auto [status, body] = Export({{"external_ids", {"u1", "u1"}},
                                {"email_address", "a@example.com"},
                                {"fields_to_export", {"external_id"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["users"], (Json{{{"external_id", "u1"}}}));
}

TEST_F(EmulatorExportEndpointTest, EventsAndPurchasesComeBackAsSummaries) {
  const std::string t1 = FormatDatetime(absl::Now() - absl::Hours(30));
  const std::string t2 = FormatDatetime(absl::Now() - absl::Hours(2));
  TrackOk({{"events",
            {{{"external_id", "u1"}, {"name", "played"}, {"time", t1}, {"properties", {{"x", 1}}}},
             {{"external_id", "u1"}, {"name", "played"}, {"time", t2}},
             {{"external_id", "u1"}, {"name", "paused"}, {"time", t2}}}},
           {"purchases",
            {{{"external_id", "u1"},
              {"product_id", "sku-1"},
              {"currency", "USD"},
              {"price", 10},
              {"quantity", 2},
              {"time", t1},
              {"properties", {{"color", "red"}}}},
             {{"external_id", "u1"},
              {"product_id", "sku-1"},
              {"currency", "USD"},
              {"price", 10},
              {"time", t2}}}}});
  const Json users =
      Users({{"external_ids", {"u1"}}}, {"custom_events", "purchases", "total_revenue"});
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["custom_events"],
            (Json{{{"name", "paused"}, {"first", t2}, {"last", t2}, {"count", 1}},
                  {{"name", "played"}, {"first", t1}, {"last", t2}, {"count", 2}}}));
  // By product_id, no properties; quantity 2 counts as two purchases.
  EXPECT_EQ(users[0]["purchases"],
            (Json{{{"name", "sku-1"}, {"first", t1}, {"last", t2}, {"count", 3}}}));
  EXPECT_EQ(users[0]["total_revenue"], 30.0);
}

TEST_F(EmulatorExportEndpointTest, LagHidesNewProfilesAndRecentChanges) {
  StartLagged(absl::Seconds(30));
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"first_name", "Ada"}}}}});
  auto [status, body] = Export({{"external_ids", {"u1"}}, {"fields_to_export", {"first_name"}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["users"], Json::array());  // created less than the lag ago: unknown
  EXPECT_EQ(body["invalid_user_ids"], (Json{"u1"}));

  clock_->Advance(absl::Seconds(29));
  EXPECT_TRUE(Users({{"external_ids", {"u1"}}}).empty());
  clock_->Advance(absl::Seconds(1));
  EXPECT_EQ(Users({{"external_ids", {"u1"}}}),
            (Json{{{"external_id", "u1"}, {"first_name", "Ada"}}}));

  TrackOk({{"attributes", {{{"external_id", "u1"}, {"first_name", "Grace"}}}}});
  clock_->Advance(absl::Seconds(10));
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"first_name", "Edith"}}}}});
  EXPECT_EQ(Users({{"external_ids", {"u1"}}})[0]["first_name"], "Ada");  // not yet visible
  clock_->Advance(absl::Seconds(20));
  EXPECT_EQ(Users({{"external_ids", {"u1"}}})[0]["first_name"], "Grace");
  clock_->Advance(absl::Seconds(10));
  EXPECT_EQ(Users({{"external_ids", {"u1"}}})[0]["first_name"], "Edith");
  // The live profile is not lagged.
  EXPECT_EQ(emulator_->profile({{"external_id", "u1"}})->at("first_name"), "Edith");
}

TEST_F(EmulatorExportEndpointTest, LagKeepsFindingAProfileUnderItsOldEmail) {
  StartLagged(absl::Seconds(30));
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"email", "old@example.com"}}}}});
  clock_->Advance(absl::Seconds(31));
  TrackOk({{"attributes", {{{"external_id", "u1"}, {"email", "new@example.com"}}}}});
  EXPECT_EQ(Users({{"email_address", "old@example.com"}}, {"email"}),
            (Json{{{"email", "old@example.com"}}}));
  EXPECT_TRUE(Users({{"email_address", "new@example.com"}}, {"email"}).empty());
  clock_->Advance(absl::Seconds(30));
  EXPECT_TRUE(Users({{"email_address", "old@example.com"}}, {"email"}).empty());
  EXPECT_EQ(Users({{"email_address", "new@example.com"}}, {"email"}),
            (Json{{{"email", "new@example.com"}}}));
}

TEST_F(EmulatorExportEndpointTest, OwnRateLimitWithHeadersAnd429) {
  EmulatorOptions options;
  options.export_rate_limit_requests = 3;
  options.export_rate_limit_window = absl::Minutes(10);
  options.rate_limit_requests = 100;
  Start(options);
  const std::string body = Json{{"external_ids", {"u1"}}, {"fields_to_export", {"email"}}}.dump();
  for (int i = 0; i < 3; ++i) {
    auto res = Post("/users/export/ids", body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "3");
    EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), std::to_string(2 - i));
  }
  auto res = Post("/users/export/ids", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(Json::parse(res->body), (Json{{"message", "Rate Limit Exceeded"}}));
  EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), "0");
  int64_t reset = 0;
  ASSERT_TRUE(absl::SimpleAtoi(res->get_header_value("X-RateLimit-Reset"), &reset));
  EXPECT_GT(reset, absl::ToUnixSeconds(absl::Now()) + 500);

  // /users/track keeps its own window.
  auto track = Post("/users/track", Json{{"attributes", {{{"external_id", "u1"}}}}}.dump());
  ASSERT_TRUE(track);
  EXPECT_EQ(track->status, 201);
  EXPECT_EQ(track->get_header_value("X-RateLimit-Limit"), "100");
  EXPECT_EQ(track->get_header_value("X-RateLimit-Remaining"), "99");

  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.export_requests, 4u);
  EXPECT_EQ(stats.export_rate_limited, 1u);
  EXPECT_EQ(stats.export_max_window_requests, 4u);
  EXPECT_EQ(stats.rate_limited, 0u);
  EXPECT_EQ(stats.requests, 1u);  // track counters stay apart

  emulator_->Reset();
  res = Post("/users/export/ids", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(EmulatorExportEndpointTest, FastBudgetCountsEligibleCallsPerSecond) {
  EmulatorOptions options;
  options.export_rate_limit_requests = 2;
  options.export_rate_limit_window = absl::Minutes(10);
  options.export_fast_requests_per_second = 40;
  options.clock = [clock = clock_] { return clock->Now(); };  // one second lasts as long as needed
  Start(options);
  const std::string fast = Json{{"external_ids", {"u1"}}, {"fields_to_export", {"email"}}}.dump();
  // Within one second: 40 fast calls are admitted, whatever the slow budget.
  for (int i = 0; i < 41; ++i) {
    auto res = Post("/users/export/ids", fast);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, i < 40 ? 200 : 429) << i;
    EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "40");
    EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), std::to_string(i < 40 ? 39 - i : 0));
  }
  EXPECT_EQ(emulator_->stats().export_fast_max_window_requests, 41u);
  clock_->Advance(absl::Seconds(1));  // the next second has a fresh budget
  EXPECT_EQ(Export(Json::parse(fast)).first, 200);
  // Asking for canvases_received (or no fields) uses the per-minute budget.
  const std::string slow =
      Json{{"external_ids", {"u1"}}, {"fields_to_export", {"email", "canvases_received"}}}.dump();
  for (int i = 0; i < 2; ++i) {
    auto res = Post("/users/export/ids", slow);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "2");
    EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), std::to_string(1 - i));
  }
  auto res = Post("/users/export/ids", slow);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.export_fast_requests, 42u);
  EXPECT_EQ(stats.export_rate_limited, 2u);
  EXPECT_EQ(stats.export_max_window_requests, 3u);
}

TEST_F(EmulatorExportEndpointTest, InjectedFaultsApplyAndCountApart) {
  const Json body = {{"external_ids", {"u1"}}, {"fields_to_export", {"email"}}};
  Faults faults;
  faults.fail_next = 1;
  faults.fail_next_status = 503;
  faults.drop_next = 1;
  emulator_->SetFaults(faults);
  EXPECT_FALSE(Post("/users/export/ids", body.dump()));  // dropped
  auto res = Post("/users/export/ids", body.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("X-RateLimit-Limit"), "250");
  EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), "250");  // faults use no budget
  faults = Faults();
  faults.rate_429 = 1.0;
  faults.retry_after_seconds = 4;
  emulator_->SetFaults(faults);
  res = Post("/users/export/ids", body.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("X-Ratelimit-Retry-After"), "4");
  emulator_->SetFaults(Faults());
  EXPECT_EQ(Export(body).first, 200);

  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.export_requests, 4u);
  EXPECT_EQ(stats.export_dropped, 1u);
  EXPECT_EQ(stats.export_injected_5xx, 1u);
  EXPECT_EQ(stats.export_injected_429, 1u);
  EXPECT_EQ(stats.export_rate_limited, 0u);
  EXPECT_EQ(stats.export_by_status.at(0), 1u);
  EXPECT_EQ(stats.injected_5xx, 0u);  // the track counters are untouched
  EXPECT_EQ(stats.dropped, 0u);
}

TEST_F(EmulatorExportEndpointTest, ExportLatencyDelaysOnlyTheExport) {
  EmulatorOptions options;
  options.export_latency = absl::Milliseconds(300);
  Start(options);
  absl::Time start = absl::Now();
  EXPECT_EQ(Export({{"external_ids", {"u1"}}, {"fields_to_export", {"email"}}}).first, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  start = absl::Now();
  TrackOk({{"attributes", {{{"external_id", "u1"}}}}});
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300));
}

TEST_F(EmulatorExportEndpointTest, SeededUsersAreVisibleDespiteTheLag) {
  EmulatorOptions options;
  options.seed_users = 100;
  options.export_lag = absl::Minutes(5);
  Start(options);
  EXPECT_EQ(emulator_->profiles().size(), 100u);
  const Json users = Users(
      {{"external_ids", {"user-0", "user-7", "user-100"}}},
      {"external_id", "first_name", "email", "custom_attributes", "custom_events", "created_at"});
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[1]["external_id"], "user-7");
  EXPECT_EQ(users[1]["first_name"], "User 7");
  EXPECT_EQ(users[1]["email"], "user-7@example.com");
  EXPECT_EQ(users[1]["custom_attributes"], (Json{{"tier", "silver"}, {"visits", 7}}));
  EXPECT_EQ(users[0]["custom_attributes"], (Json{{"tier", "gold"}, {"visits", 0}}));
  ASSERT_EQ(users[1]["custom_events"].size(), 1u);
  EXPECT_EQ(users[1]["custom_events"][0]["count"], 1);
  const std::optional<ParsedDatetime> created =
      ParseDatetime(users[1]["created_at"].get<std::string>());
  ASSERT_TRUE(created.has_value());
  EXPECT_LT(created->time, absl::Now() - absl::Hours(24 * 365));  // "long ago"
  EXPECT_EQ(Users({{"email_address", "user-42@example.com"}}, {"external_id"}),
            (Json{{{"external_id", "user-42"}}}));

  // A write to a seeded user is lagged like any other change.
  TrackOk({{"attributes", {{{"external_id", "user-7"}, {"first_name", "Seven"}}}}});
  EXPECT_EQ(Users({{"external_ids", {"user-7"}}})[0]["first_name"], "User 7");

  emulator_->Reset();  // the seeded users come back, the write is forgotten
  EXPECT_EQ(emulator_->profiles().size(), 100u);
  EXPECT_EQ(Users({{"external_ids", {"user-7"}}})[0]["first_name"], "User 7");
}

TEST_F(EmulatorExportEndpointTest, RecordedAndCountedInStats) {
  TrackOk({{"attributes", {{{"external_id", "u1"}}}}});
  EXPECT_EQ(Export({{"external_ids", {"u1", "u2"}},
                    {"user_aliases", {{{"alias_name", "a"}, {"alias_label", "l"}}}},
                    {"fields_to_export", {"external_id"}}})
                .first,
            200);
  const std::vector<RecordedRequest> recorded = emulator_->requests();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1].path, "/users/export/ids");
  EXPECT_EQ(recorded[1].status, 200);
  EXPECT_EQ(recorded[1].headers.at("authorization"), "Bearer <redacted>");
  EXPECT_EQ(Json::parse(recorded[1].response_body)["users"], (Json{{{"external_id", "u1"}}}));

  const EmulatorStats stats = emulator_->stats();
  EXPECT_EQ(stats.export_requests, 1u);
  EXPECT_EQ(stats.export_by_status.at(200), 1u);
  EXPECT_EQ(stats.export_identifiers, 3u);
  EXPECT_EQ(stats.export_users_returned, 1u);
  EXPECT_EQ(stats.requests, 1u);

  httplib::Client client("127.0.0.1", emulator_->port());
  auto res = client.Get("/_emulator/stats");
  ASSERT_TRUE(res);
  const Json json = Json::parse(res->body);
  EXPECT_EQ(json["export_requests"], 1);
  EXPECT_EQ(json["export_by_status"]["200"], 1);
  EXPECT_EQ(json["export_identifiers"], 3);
  EXPECT_EQ(json["export_users_returned"], 1);
  EXPECT_EQ(json["export_max_window_requests"], 1);
  for (const char* key :
       {"export_fast_requests", "export_rate_limited", "export_injected_429", "export_injected_5xx",
        "export_dropped", "export_fast_max_window_requests"}) {
    EXPECT_EQ(json[key], 0) << key;
  }
  res = client.Get("/_emulator/requests");
  ASSERT_TRUE(res);
  EXPECT_EQ(Json::parse(res->body)[1]["path"], "/users/export/ids");
}

}  // namespace
}  // namespace brazesync::emulator
