// What one of the Braze emulator's identity, trigger or subscription
// endpoints answers (identity_rules.h, trigger_rules.h, subscription_rules.h):
// the status, the body in Braze's key order, and notes on what Braze did not
// do (the same role as an Alteration for /users/track), so a test can see why
// a 2xx changed nothing.
#ifndef BRAZESYNC_TESTS_EMULATOR_ENDPOINT_ANSWER_H_
#define BRAZESYNC_TESTS_EMULATOR_ENDPOINT_ANSWER_H_

#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace brazesync::emulator {

struct EndpointAnswer {
  int status = 201;
  nlohmann::ordered_json body;
  std::vector<std::string> notes;

  // A whole-request error: {"message": message}.
  static EndpointAnswer Error(int status, std::string message) {
    EndpointAnswer out;
    out.status = status;
    out.body = {{"message", std::move(message)}};
    return out;
  }
};

}  // namespace brazesync::emulator

#endif  // BRAZESYNC_TESTS_EMULATOR_ENDPOINT_ANSWER_H_
