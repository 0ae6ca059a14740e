// The JSON type of Braze objects. Insertion-ordered, so a converted object
// reads like Braze's examples (identifier first, then the fields in the order
// the converter writes them) and the same input always gives the same text.
#ifndef BRAZESYNC_SERVER_BRAZE_JSON_H_
#define BRAZESYNC_SERVER_BRAZE_JSON_H_

#include <nlohmann/json.hpp>

namespace brazesync {

using Json = nlohmann::ordered_json;

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_BRAZE_JSON_H_
