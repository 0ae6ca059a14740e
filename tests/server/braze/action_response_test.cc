// Tests for server/braze/action_response.h: ParseActionResponseBody must
// read each documented 2xx body of braze-api-round2.md §2.2-2.10 (and the
// bodies peers recorded), leave every missing key at its default, read
// rename_errors / removal_errors in any plausible inner layout, and turn a
// body that is not a JSON object into a 200-byte message.
// IsUnknownMessagingIdMessage must recognise Braze's "not found" texts for
// Canvas and campaign ids, whatever their case, and nothing else.
#include "server/braze/action_response.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/base/utf8.h"

namespace brazesync {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

MATCHER_P3(ItemErrorIs, type, input_array, index, "") {
  return arg.type == type && arg.input_array == input_array && arg.index == index;
}

MATCHER_P2(IndexedErrorIs, index, message, "") {
  return arg.index == index && arg.message == message;
}

TEST(ParseActionResponseBodyTest, AliasNewSuccess) {
  const ActionResponseBody body =
      ParseActionResponseBody(R"({"aliases_processed": 1, "message": "success"})");
  EXPECT_EQ(body.message, "success");
  EXPECT_THAT(body.aliases_processed, Optional(1));
  EXPECT_EQ(body.emails_processed, std::nullopt);
  EXPECT_EQ(body.phone_numbers_processed, std::nullopt);
  EXPECT_EQ(body.deleted, std::nullopt);
  EXPECT_THAT(body.errors, IsEmpty());
  EXPECT_THAT(body.rename_errors, IsEmpty());
  EXPECT_EQ(body.dispatch_id, "");
}

TEST(ParseActionResponseBodyTest, SuccessWithItemErrorsAsRudderStackRecorded) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"aliases_processed":0,"message":"success","errors":[{"type":"'external_id' is required","input_array":"user_identifiers","index":0}]})");
  EXPECT_EQ(body.message, "success");
  EXPECT_THAT(body.aliases_processed, Optional(0));
  EXPECT_THAT(body.errors,
              ElementsAre(ItemErrorIs("'external_id' is required", "user_identifiers", 0)));
}

TEST(ParseActionResponseBodyTest, IdentifyCounters) {
  // Segment's fixture for /users/identify (§2.3).
  const ActionResponseBody body = ParseActionResponseBody(R"({
      "aliases_processed": 0, "emails_processed": 0, "phone_numbers_processed": 2,
      "message": "success",
      "errors": [{"type": "Request can not contain both of 'most_recently_updated' and 'least_recently_updated' values in the 'prioritization' array",
                  "input_array": "user_identifiers", "index": 1}]})");
  EXPECT_THAT(body.aliases_processed, Optional(0));
  EXPECT_THAT(body.emails_processed, Optional(0));
  EXPECT_THAT(body.phone_numbers_processed, Optional(2));
  ASSERT_EQ(body.errors.size(), 1u);
  EXPECT_EQ(body.errors[0].input_array, "user_identifiers");
  EXPECT_EQ(body.errors[0].index, 1);
}

TEST(ParseActionResponseBodyTest, CountersMustBeNumbers) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"aliases_processed": "1", "emails_processed": 3.0, "deleted": 2.5,
          "phone_numbers_processed": 12345678901234})");
  EXPECT_EQ(body.aliases_processed, std::nullopt);
  EXPECT_THAT(body.emails_processed, Optional(3));
  EXPECT_EQ(body.deleted, std::nullopt);
  EXPECT_THAT(body.phone_numbers_processed, Optional(int64_t{12345678901234}));
}

TEST(ParseActionResponseBodyTest, Delete) {
  const ActionResponseBody body = ParseActionResponseBody(R"({"deleted": 2})");
  EXPECT_THAT(body.deleted, Optional(2));
  EXPECT_EQ(body.message, "");
}

TEST(ParseActionResponseBodyTest, MergeAccepted) {
  const ActionResponseBody body = ParseActionResponseBody(R"({"message":"success"})");
  EXPECT_EQ(body.message, "success");
  EXPECT_THAT(body.errors, IsEmpty());
}

TEST(ParseActionResponseBodyTest, RenameWithIndexAndMessage) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"message":"success","external_ids":["a"],"rename_errors":[[1,"new_external_id is already in use"]]})");
  EXPECT_EQ(body.message, "success");
  EXPECT_THAT(body.external_ids, ElementsAre("a"));
  EXPECT_THAT(body.rename_errors,
              ElementsAre(IndexedErrorIs(1, "new_external_id is already in use")));
}

TEST(ParseActionResponseBodyTest, RenameErrorLayouts) {
  const ActionResponseBody body = ParseActionResponseBody(R"({"message": "success",
      "rename_errors": [["<minor error message>"],
                        [{"index": 2, "message": "x"}],
                        {"index": 2, "message": "x"},
                        {"index": 4, "error": "y"},
                        "bare",
                        ["message first", 3, 7, "second string"],
                        []]})");
  EXPECT_THAT(body.rename_errors,
              ElementsAre(IndexedErrorIs(-1, "<minor error message>"),
                          // An object inside the inner array: neither an
                          // integer nor a string at that level.
                          IndexedErrorIs(-1, ""), IndexedErrorIs(2, "x"), IndexedErrorIs(4, "y"),
                          IndexedErrorIs(-1, "bare"), IndexedErrorIs(3, "message first"),
                          IndexedErrorIs(-1, "")));
}

TEST(ParseActionResponseBodyTest, RenameErrorsNotAnArrayAreIgnored) {
  const ActionResponseBody body =
      ParseActionResponseBody(R"({"message": "success", "rename_errors": "oops"})");
  EXPECT_THAT(body.rename_errors, IsEmpty());
}

TEST(ParseActionResponseBodyTest, Remove) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"message": "success", "removed_ids": ["old-1", 5, "old-2"],
          "removal_errors": [[0, "external_id is not deprecated"]]})");
  EXPECT_THAT(body.removed_ids, ElementsAre("old-1", "old-2"));
  EXPECT_THAT(body.removal_errors, ElementsAre(IndexedErrorIs(0, "external_id is not deprecated")));
  EXPECT_THAT(body.external_ids, IsEmpty());
}

TEST(ParseActionResponseBodyTest, TriggerWithNotice) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"dispatch_id": "example_dispatch_id", "message": "success",
          "notice": "The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect."})");
  EXPECT_EQ(body.dispatch_id, "example_dispatch_id");
  EXPECT_EQ(body.message, "success");
  EXPECT_EQ(body.notice,
            "The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect.");
  EXPECT_EQ(body.send_id, "");
}

TEST(ParseActionResponseBodyTest, BroadcastWithSendId) {
  const ActionResponseBody body =
      ParseActionResponseBody(R"({"message":"success","send_id":"s-42","dispatch_id":"d-1"})");
  EXPECT_EQ(body.send_id, "s-42");
  EXPECT_EQ(body.dispatch_id, "d-1");
}

TEST(ParseActionResponseBodyTest, WronglyTypedKeysStayDefault) {
  const ActionResponseBody body = ParseActionResponseBody(
      R"({"message": 7, "dispatch_id": 1, "notice": null, "external_ids": {"a": 1},
          "errors": "none", "deleted": null})");
  EXPECT_EQ(body.message, "");
  EXPECT_EQ(body.dispatch_id, "");
  EXPECT_EQ(body.notice, "");
  EXPECT_THAT(body.external_ids, IsEmpty());
  EXPECT_THAT(body.errors, IsEmpty());
  EXPECT_EQ(body.deleted, std::nullopt);
}

TEST(ParseActionResponseBodyTest, ErrorMessage) {
  const ActionResponseBody body =
      ParseActionResponseBody(R"({"message": "Canvas with id abc not found"})");
  EXPECT_EQ(body.message, "Canvas with id abc not found");
}

TEST(ParseActionResponseBodyTest, GarbageBodyBecomesTheMessage) {
  EXPECT_EQ(ParseActionResponseBody("<html>Bad Gateway</html>").message,
            "<html>Bad Gateway</html>");
  EXPECT_EQ(ParseActionResponseBody("").message, "");
  const ActionResponseBody array = ParseActionResponseBody(R"(["deleted", 2])");
  EXPECT_EQ(array.message, R"(["deleted", 2])");
  EXPECT_EQ(array.deleted, std::nullopt);
}

TEST(ParseActionResponseBodyTest, LongGarbageIsCutOnACharacterBoundary) {
  // 150 two-byte characters: 300 bytes, cut to at most 200 without
  // splitting one.
  std::string body;
  for (int i = 0; i < 150; ++i) body += "\xC3\xA9";
  const std::string message = ParseActionResponseBody(body).message;
  EXPECT_LE(message.size(), 200u);
  EXPECT_GE(message.size(), 150u);
  EXPECT_TRUE(IsValidUtf8(message));
  EXPECT_EQ(message.substr(0, 10), body.substr(0, 10));
}

TEST(IsUnknownMessagingIdMessageTest, BrazesNotFoundTexts) {
  EXPECT_TRUE(IsUnknownMessagingIdMessage("Canvas with id abc-123 not found"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("Campaign with id abc-123 not found"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("canvas WITH ID x NOT FOUND"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("Campaign with id x is not found"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("Invalid canvas_id"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("invalid campaign_id: abc"));
  EXPECT_TRUE(IsUnknownMessagingIdMessage("INVALID CAMPAIGN_ID"));
}

TEST(IsUnknownMessagingIdMessageTest, OtherMessages) {
  EXPECT_FALSE(IsUnknownMessagingIdMessage(""));
  EXPECT_FALSE(IsUnknownMessagingIdMessage("success"));
  EXPECT_FALSE(IsUnknownMessagingIdMessage("No Recipients"));
  EXPECT_FALSE(IsUnknownMessagingIdMessage("Invalid API Key"));
  EXPECT_FALSE(IsUnknownMessagingIdMessage("User not found"));
  EXPECT_FALSE(IsUnknownMessagingIdMessage("Canvas with id abc is paused"));
  EXPECT_FALSE(IsUnknownMessagingIdMessage(
      "The max number of external_ids and aliases per request was exceeded"));
}

}  // namespace
}  // namespace brazesync
