// Rules for scalar array attributes: a whole array (`array_value`), its
// `add` / `remove` operations, and both in one value (`array_change`). The
// converter sends each distinct value once, as Braze stores an array as a
// unique set (docs/braze-rules.md), so the caps count distinct values and the
// 100 KB is measured on what is sent (braze/json_size.h).
#ifndef BRAZESYNC_SERVER_VALIDATION_ARRAY_ATTRIBUTE_RULES_H_
#define BRAZESYNC_SERVER_VALIDATION_ARRAY_ATTRIBUTE_RULES_H_

#include <limits>
#include <string>

#include "brazesync/v1/types.pb.h"
#include "server/validation/violations.h"

namespace brazesync {

// At most `max_length` distinct values (at `path`.values), each at most
// kMaxStringChars characters, at most kMaxNestedJsonBytes as sent.
void CheckStringList(const v1::StringList& list, int max_length, const std::string& path,
                     FieldViolations* out);

// `max_length` for lists that cannot grow the array (`remove`).
inline constexpr int kNoArrayLengthCap = std::numeric_limits<int>::max();

// {"add": [...]} or {"remove": [...]} on its own: as CheckStringList, and at
// least one value (an empty operation changes nothing, and Braze records it
// as such).
void CheckArrayOperation(const v1::StringList& list, int max_length, const std::string& path,
                         FieldViolations* out);

// {"add": [...], "remove": [...]}: each list as CheckStringList (at
// `path`.add / `path`.remove; `remove` without a count cap), at least one
// value in all, and no value in both lists (Braze does not say which would
// apply first).
void CheckArrayChange(const v1::StringListChange& change, int max_length, const std::string& path,
                      FieldViolations* out);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_VALIDATION_ARRAY_ATTRIBUTE_RULES_H_
