// Tests for server/base/utf8.h: prefixes and truncation never split a
// character, characters are counted as code points, and the validity check
// accepts exactly well-formed UTF-8.
#include "server/base/utf8.h"

#include <gtest/gtest.h>

namespace brazesync {
namespace {

TEST(Utf8Test, KeepsTextThatFits) { EXPECT_EQ(TruncateUtf8("héllo", 6), "héllo"); }

TEST(Utf8Test, TruncatesWithEllipsisWithinLimit) {
  EXPECT_EQ(TruncateUtf8("abcdefghij", 8), "abcde...");
}

TEST(Utf8Test, BacksUpToCharacterBoundary) {
  // "é" is 2 bytes; a cut at byte 4 of "aéé..." would split the second one.
  const std::string truncated = TruncateUtf8("a\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 7);
  EXPECT_EQ(truncated, "a\xC3\xA9...");
  EXPECT_TRUE(IsValidUtf8(truncated));
}

TEST(Utf8Test, PrefixKeepsTextThatFits) { EXPECT_EQ(Utf8Prefix("h\xC3\xA9", 3), "h\xC3\xA9"); }

TEST(Utf8Test, PrefixEndsOnACharacterBoundary) {
  // "€" is 3 bytes: at most 2 bytes of "a€" is "a", at most 4 is all of it.
  EXPECT_EQ(Utf8Prefix("a\xE2\x82\xAC", 2), "a");
  EXPECT_EQ(Utf8Prefix("a\xE2\x82\xAC", 3), "a");
  EXPECT_EQ(Utf8Prefix("a\xE2\x82\xAC", 4), "a\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix("\xE2\x82\xAC", 1), "");
}

TEST(Utf8Test, CountsCharactersNotBytes) {
  EXPECT_EQ(Utf8CharCount(""), 0u);
  EXPECT_EQ(Utf8CharCount("abc"), 3u);
  EXPECT_EQ(Utf8CharCount("\xC3\xA9t\xC3\xA9"), 3u);              // été
  EXPECT_EQ(Utf8CharCount("\xE2\x82\xAC \xF0\x9F\x98\x80"), 3u);  // € 😀
}

TEST(Utf8Test, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC \xF0\x9F\x98\x80"));  // € 😀
  EXPECT_FALSE(IsValidUtf8("\xC3"));                          // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\x80"));                          // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace brazesync
