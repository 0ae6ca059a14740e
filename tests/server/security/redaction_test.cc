// Unit tests for redaction (log scrubbing) and the JSON logger.
#include "server/security/redaction.h"

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/ops/logging.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactionTest, RemovesPersonalDataAndCredentials) {
  EXPECT_EQ(RedactPatterns("user ada.lovelace+x@example.co.uk signed up"),
            "user <email> signed up");
  EXPECT_EQ(RedactPatterns("call +44 20 7946 0958 now"), "call <phone> now");
  EXPECT_EQ(RedactPatterns("call (555) 123-4567"), "call <phone>");
  EXPECT_EQ(RedactPatterns("Authorization: Bearer abc.def-123"),
            "Authorization: Bearer <redacted>");
  EXPECT_EQ(RedactPatterns("key 1a2b3c4d-1234-5678-9abc-def012345678 used"), "key <key> used");
  EXPECT_EQ(RedactPatterns("api_key=s3cr3t&x=1"), "api_key=<redacted>&x=1");
  // Ordinary text, dates and counts survive.
  EXPECT_EQ(RedactPatterns("events[3].time: 2024-05-01T12:34:56Z, 75 items"),
            "events[3].time: 2024-05-01T12:34:56Z, 75 items");
}

TEST(RedactionTest, RegisteredSecretsAreAlwaysRemoved) {
  Redactor off(/*enabled=*/false);
  off.SetSecrets({"braze-key-123456", "short"});
  EXPECT_EQ(off.Redact("sent braze-key-123456 to ada@example.com"),
            "sent <redacted> to ada@example.com");
  EXPECT_EQ(off.Redact("short stays"), "short stays");
  Redactor on;
  EXPECT_EQ(on.Redact("to ada@example.com"), "to <email>");
}

TEST(JsonLoggerTest, WritesOneRedactedJsonObjectPerLine) {
  std::ostringstream out;
  Redactor redactor;
  redactor.SetSecrets({"the-api-key-value"});
  {
    JsonLogger logger(std::make_shared<spdlog::sinks::ostream_sink_mt>(out), &redactor,
                      LogLevel::kInfo);
    logger.Log(LogLevel::kDebug, "hidden");
    logger.Log(LogLevel::kInfo, "call finished",
               {{"request_id", "r-1"}, {"error", "bad email ada@example.com"}, {"n", 3}});
    logger.Log(LogLevel::kWarning, "key the-api-key-value \"quoted\"\n");
    logger.Flush();
  }
  std::istringstream lines(out.str());
  std::string line;
  std::vector<nlohmann::json> entries;
  while (std::getline(lines, line)) entries.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(entries.size(), 2u) << out.str();
  EXPECT_EQ(entries[0]["level"], "info");
  EXPECT_EQ(entries[0]["msg"], "call finished");
  EXPECT_EQ(entries[0]["request_id"], "r-1");
  EXPECT_EQ(entries[0]["error"], "bad email <email>");
  EXPECT_EQ(entries[0]["n"], 3);
  EXPECT_THAT(entries[0]["ts"].get<std::string>(), ::testing::EndsWith("Z"));
  EXPECT_EQ(entries[1]["level"], "warning");
  EXPECT_EQ(entries[1]["msg"], "key <redacted> \"quoted\"\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("the-api-key-value")));
}

TEST(JsonLoggerTest, RequestIds) {
  EXPECT_EQ(NewRequestId().size(), 16u);
  EXPECT_NE(NewRequestId(), NewRequestId());
  EXPECT_EQ(RequestIdOr("abc-123"), "abc-123");
  EXPECT_EQ(RequestIdOr("has space").size(), 16u);
  EXPECT_EQ(RequestIdOr(std::string(200, 'a')).size(), 16u);
}

}  // namespace
}  // namespace brazesync
