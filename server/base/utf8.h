// UTF-8 helpers for text that ends up in proto3 `string` fields (status
// messages, Braze error texts, violation descriptions) or is measured against
// Braze's character limits. Cutting inside a multi-byte character would make
// the whole message unparseable for the caller, and Braze counts characters,
// not bytes.
#ifndef BRAZESYNC_SERVER_BASE_UTF8_H_
#define BRAZESYNC_SERVER_BASE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace brazesync {

// The longest prefix of `text` that is at most `max_bytes` long and does not
// end inside a multi-byte character: `text` itself when it fits.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

// `text` unchanged when it fits in `max_bytes`; otherwise its longest prefix
// ending on a character boundary followed by "...", at most `max_bytes` long.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

// The number of characters (code points) in `text`, which must be valid UTF-8
// (proto3 strings are): the bytes that do not continue a multi-byte sequence.
// This is what Braze's "at most N characters" limits count.
size_t Utf8CharCount(absl::string_view text);

// Whether `text` is well-formed UTF-8 (as proto3 `string` fields must be).
bool IsValidUtf8(absl::string_view text);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BASE_UTF8_H_
