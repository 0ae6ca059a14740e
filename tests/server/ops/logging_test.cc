// Unit tests for the JSON logger (server/ops/logging.h): one JSON object per
// line, level filtering, every string value passed through the redactor, and
// request ids.
#include "server/ops/logging.h"

#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/security/redaction.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
