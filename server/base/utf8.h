// UTF-8-safe truncation for text that ends up in proto3 `string` fields
// (status messages, Braze error texts): cutting inside a multi-byte character
// would make the whole message unparseable for the caller.
#ifndef BRAZESYNC_SERVER_BASE_UTF8_H_
#define BRAZESYNC_SERVER_BASE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace brazesync {

// `text` unchanged when it fits in `max_bytes`; otherwise its longest prefix
// ending on a character boundary followed by "...", at most `max_bytes` long.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

// Whether `text` is well-formed UTF-8 (as proto3 `string` fields must be).
bool IsValidUtf8(absl::string_view text);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BASE_UTF8_H_
