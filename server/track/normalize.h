// Items as Braze gets them: after validation, before conversion or storage,
// every phone (UserRef.phone; UserProfile.phone) is rewritten to E.164 with
// the workspace's default_phone_region (validation/phone_numbers.h). Done
// here, once, so the validate_only preview, synchronous delivery and the
// outbox (whose relay converts stored items later, without the workspace)
// all carry the same E.164 number, and a user's ordering key is the same
// whichever way the caller wrote the number.
#ifndef BRAZESYNC_SERVER_TRACK_NORMALIZE_H_
#define BRAZESYNC_SERVER_TRACK_NORMALIZE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "brazesync/v1/types.pb.h"

namespace brazesync {

// `item` with its phones in E.164. Returns `item` itself when no phone
// changes (no phone, no region, or phones already E.164: the common path
// copies nothing); otherwise fills `*copy` with a copy whose phones are
// rewritten and returns it. `item` must have passed validation with `region`
// (a phone that does not normalise is left as it is).
const v1::UserProfile& WithE164Phones(const v1::UserProfile& item, absl::string_view region,
                                      std::optional<v1::UserProfile>* copy);
const v1::Event& WithE164Phones(const v1::Event& item, absl::string_view region,
                                std::optional<v1::Event>* copy);
const v1::Purchase& WithE164Phones(const v1::Purchase& item, absl::string_view region,
                                   std::optional<v1::Purchase>* copy);

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_TRACK_NORMALIZE_H_
