// Unit tests for secret_source: strict permissions and change watching.
#include "server/security/secret_source.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace brazesync {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& contents, int mode) {
  const std::string path = ::testing::TempDir() + "/secret_source_test_" + name;
  {
    std::ofstream out(path, std::ios::trunc);
    out << contents;
  }
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return path;
}

TEST(SecretSourceTest, ReadsPrivateFilesAndRefusesOthers) {
  const std::string path = Write("ok", "  key-1\n", 0600);
  EXPECT_EQ(*ReadSecretFile(path, "workspaces[\"x\"].api_key_file"), "key-1");
  const std::string loose = Write("loose", "key-2", 0644);
  absl::StatusOr<std::string> refused = ReadSecretFile(loose, "workspaces[\"x\"].api_key_file");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(loose));
  EXPECT_THAT(refused.status().message(), HasSubstr("0644"));
  EXPECT_THAT(refused.status().message(), HasSubstr("api_key_file"));
  EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr("key-2")));
  EXPECT_EQ(ReadSecretFile(path + ".missing", "x").status().code(), absl::StatusCode::kNotFound);
}

TEST(SecretSourceTest, WatcherNoticesChanges) {
  const std::string path = Write("watched", "a", 0600);
  std::atomic<int> changes{0};
  FileChangeWatcher watcher({path}, absl::Milliseconds(10), [&changes] { ++changes; });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(changes.load(), 0);
  Write("watched", "bb", 0600);  // size changes even within one mtime tick
  for (int i = 0; i < 200 && changes.load() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GE(changes.load(), 1);
}

}  // namespace
}  // namespace brazesync
