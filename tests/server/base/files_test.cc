// Tests for server/base/files.h: ReadWholeFile returns every byte or a
// NOT_FOUND naming the setting and the path; WritePortFile leaves exactly
// "<port>\n" at the path and no temporary file behind.
#include "server/base/files.h"

#include <dirent.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/testing/test_support.h"

namespace brazesync {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::StatusIs;
using testing_support::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> FilesIn(const std::string& directory) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

TEST(ReadWholeFileTest, ReturnsEveryByteUnchanged) {
  TempDir dir;
  const std::string path = dir.path() + "/data";
  const std::string contents("  line one\n\0binary\r\n  ", 22);
  {
    std::ofstream out(path, std::ios::binary);
    out << contents;
  }
  absl::StatusOr<std::string> read = ReadWholeFile(path, "tls.cert_file");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST(ReadWholeFileTest, MissingFileIsNotFoundNamingTheSettingAndPath) {
  TempDir dir;
  const std::string path = dir.path() + "/absent.pem";
  EXPECT_THAT(
      ReadWholeFile(path, "tls.cert_file").status(),
      StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("tls.cert_file"), HasSubstr(path))));
}

TEST(WritePortFileTest, WritesThePortAndLeavesNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.path() + "/port";
  ASSERT_TRUE(WritePortFile(path, 50051).ok());
  EXPECT_EQ(Slurp(path), "50051\n");
  EXPECT_THAT(FilesIn(dir.path()), ElementsAre("port"));
}

TEST(WritePortFileTest, ReplacesAnEarlierPort) {
  TempDir dir;
  const std::string path = dir.path() + "/port";
  ASSERT_TRUE(WritePortFile(path, 1).ok());
  ASSERT_TRUE(WritePortFile(path, 2).ok());
  EXPECT_EQ(Slurp(path), "2\n");
}

TEST(WritePortFileTest, UnwritableDirectoryFailsNamingThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/no/such/dir/port";
  const absl::Status written = WritePortFile(path, 50051);
  EXPECT_FALSE(written.ok());
  EXPECT_THAT(std::string(written.message()), HasSubstr(dir.path() + "/no/such/dir/port"));
}

}  // namespace
}  // namespace brazesync
