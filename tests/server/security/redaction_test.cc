// Unit tests for redaction: log scrubbing of personal data and secrets.
#include "server/security/redaction.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

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

}  // namespace
}  // namespace brazesync
