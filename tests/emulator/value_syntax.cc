// Implementation of value_syntax.h.
#include "tests/emulator/value_syntax.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace brazesync::emulator {

size_t CharCount(absl::string_view utf8) {
  size_t count = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool IsShortString(const nlohmann::json& value) {
  return value.is_string() && CharCount(value.get_ref<const std::string&>()) <= kMaxChars;
}

size_t JsonBytes(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
}

namespace {

bool IsTopLevelLabel(absl::string_view label) {
  if (absl::StartsWith(label, "xn--")) {
    if (label.size() == 4) return false;
    for (char c : label.substr(4)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    return true;
  }
  if (label.size() < 2) return false;
  for (char c : label) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsValidEmail(absl::string_view email) {
  if (email.size() > 254) return false;
  for (char ch : email) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == ' ' || c == ',' || absl::ascii_isspace(c)) return false;
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(email.substr(at + 1), '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty()) return false;
  }
  return IsTopLevelLabel(labels.back());
}

bool IsE164(absl::string_view phone) {
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  for (char c : phone.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (id[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

bool IsIanaTimeZone(const std::string& name) {
  // LoadTimeZone also takes file paths, "localtime" (the host's own zone) and
  // "Fixed/UTC+01:00" offsets; none of them is an IANA name.
  if (name.empty() || name[0] == '/' || absl::StrContains(name, "..") || name == "localtime" ||
      absl::StartsWith(name, "Fixed/") ||
      absl::ascii_isspace(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '/' && c != '_' && c != '-' && c != '+') return false;
  }
  absl::TimeZone zone;
  return absl::LoadTimeZone(name, &zone);
}

std::string Shown(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) {
    size_t cut = 57;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = absl::StrCat(text.substr(0, cut), "...");
  }
  return text;
}

}  // namespace brazesync::emulator
