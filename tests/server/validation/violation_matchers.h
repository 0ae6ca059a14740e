// The gMock matcher the validation tests share: a FieldViolation at exactly
// `field` whose description contains `description`.
#ifndef BRAZESYNC_TESTS_SERVER_VALIDATION_VIOLATION_MATCHERS_H_
#define BRAZESYNC_TESTS_SERVER_VALIDATION_VIOLATION_MATCHERS_H_

#include <string>

#include "brazesync/v1/brazesync.pb.h"
#include "gmock/gmock.h"

namespace brazesync {

inline auto Violation(const std::string& field, const std::string& description) {
  return ::testing::AllOf(
      ::testing::Property(&v1::FieldViolation::field, field),
      ::testing::Property(&v1::FieldViolation::description, ::testing::HasSubstr(description)));
}

}  // namespace brazesync

#endif  // BRAZESYNC_TESTS_SERVER_VALIDATION_VIOLATION_MATCHERS_H_
