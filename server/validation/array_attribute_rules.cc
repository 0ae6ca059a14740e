// The scalar array attribute rules; see array_attribute_rules.h.
#include "server/validation/array_attribute_rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "server/braze/json_size.h"
#include "server/braze/limits.h"

namespace brazesync {
namespace {

using Strings = google::protobuf::RepeatedPtrField<std::string>;

// Duplicates are sent once, so only distinct values count against the cap.
void CheckValues(const Strings& values, int max_length, const std::string& path,
                 FieldViolations* out) {
  const absl::flat_hash_set<absl::string_view> distinct(values.begin(), values.end());
  if (static_cast<int>(distinct.size()) > max_length) {
    AddViolation(out, path,
                 absl::StrFormat("must have at most %d distinct values (got %d)", max_length,
                                 distinct.size()));
  }
  for (int i = 0; i < values.size(); ++i) {
    CheckMaxChars(values.Get(i), kMaxStringChars, IndexPath(path, i), out);
  }
}

void CheckSentSize(const Strings& values, const std::string& path, FieldViolations* out) {
  v1::StringList list;
  *list.mutable_values() = values;
  CheckJsonSize(JsonSize(list), kMaxNestedJsonBytes, path, out);
}

}  // namespace

void CheckStringList(const v1::StringList& list, int max_length, const std::string& path,
                     FieldViolations* out) {
  CheckValues(list.values(), max_length, FieldPath(path, "values"), out);
  CheckJsonSize(JsonSize(list), kMaxNestedJsonBytes, path, out);
}

void CheckArrayOperation(const v1::StringList& list, int max_length, const std::string& path,
                         FieldViolations* out) {
  if (list.values_size() == 0) {
    AddViolation(out, FieldPath(path, "values"), "required: at least one value");
    return;
  }
  CheckStringList(list, max_length, path, out);
}

void CheckArrayChange(const v1::StringListChange& change, int max_length, const std::string& path,
                      FieldViolations* out) {
  if (change.add_size() == 0 && change.remove_size() == 0) {
    AddViolation(out, path, "required: at least one value in add or remove");
    return;
  }
  const std::string add_path = FieldPath(path, "add");
  const std::string remove_path = FieldPath(path, "remove");
  CheckValues(change.add(), max_length, add_path, out);
  CheckSentSize(change.add(), add_path, out);
  CheckValues(change.remove(), kNoArrayLengthCap, remove_path, out);
  CheckSentSize(change.remove(), remove_path, out);
  const absl::flat_hash_set<absl::string_view> added(change.add().begin(), change.add().end());
  for (int i = 0; i < change.remove_size(); ++i) {
    if (added.count(change.remove(i)) > 0) {
      AddViolation(out, IndexPath(remove_path, i),
                   "value is also in add; add or remove it, not both" + GotValue(change.remove(i)));
    }
  }
}

}  // namespace brazesync
