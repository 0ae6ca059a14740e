// libFuzzer target: server configuration.
//
// The input is a brazesync.v1.ServerConfig textproto. ParseServerConfig must
// either fail cleanly or return a config. WorkspaceRegistry::Create then
// resolves every workspace against a fake environment (every variable holds a
// key derived from its name, except names starting with "UNSET", which are
// unset) and fixture key files: an api_key_file path is replaced by one of
// four files made once per process in a private temp dir (0600 with a key,
// 0644, 0600 but empty, missing), chosen by the path's length, so the fuzzer
// never reads the host's files. The dir is removed at exit. Nothing may crash,
// and a registry that Create accepts must keep its promises (a default
// workspace, every name findable).
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "server/config/workspace.h"

namespace {

// The api_key_file fixtures: a private temp dir with the three files, and a
// fourth path that does not exist. The destructor removes the files and the
// dir.
class Fixtures {
 public:
  Fixtures() {
    char dir_template[] = "/tmp/brazesync_config_fuzzer.XXXXXX";
    if (mkdtemp(dir_template) == nullptr) abort();
    dir_ = dir_template;
    const struct {
      const char* name;
      const char* contents;
      mode_t mode;
    } files[kFiles] = {
        {"private", "fuzz-key\n", 0600}, {"shared", "fuzz-key", 0644}, {"empty", "", 0600}};
    for (int i = 0; i < kFiles; ++i) {
      paths_[i] = dir_ + "/" + files[i].name;
      std::ofstream(paths_[i]) << files[i].contents;
      chmod(paths_[i].c_str(), files[i].mode);
    }
    paths_[kFiles] = dir_ + "/missing";
  }

  ~Fixtures() {
    for (int i = 0; i < kFiles; ++i) unlink(paths_[i].c_str());
    rmdir(dir_.c_str());
  }

  Fixtures(const Fixtures&) = delete;
  Fixtures& operator=(const Fixtures&) = delete;

  // One of the four paths, picked by `selector`.
  const std::string& Path(size_t selector) const { return paths_[selector % (kFiles + 1)]; }

 private:
  static constexpr int kFiles = 3;
  std::string dir_;
  std::string paths_[kFiles + 1];
};

// The process's fixtures, made on the first input. A plain pointer rather
// than a static Fixtures, which Google style rules out (not trivially
// destructible); std::atexit deletes it instead. libFuzzer's normal ends
// (-max_total_time, -runs, inputs given as files) call exit(); a crash,
// timeout, OOM or Ctrl-C ends with _Exit() and leaves the dir behind.
Fixtures* fixtures = nullptr;

void DeleteFixtures() {
  delete fixtures;
  fixtures = nullptr;
}

const Fixtures& GetFixtures() {
  if (fixtures == nullptr) {
    fixtures = new Fixtures();
    if (std::atexit(DeleteFixtures) != 0) abort();
  }
  return *fixtures;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxInputBytes = size_t{16} * 1024;
  const Fixtures& key_files = GetFixtures();
  if (size > kMaxInputBytes) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = brazesync::ParseServerConfig(text);
  if (!config.ok()) return 0;
  for (brazesync::v1::WorkspaceConfig& workspace : *config->mutable_workspaces()) {
    if (!workspace.api_key_file().empty()) {
      workspace.set_api_key_file(key_files.Path(workspace.api_key_file().size()));
    }
  }
  const brazesync::EnvLookup fake_env = [](const std::string& name) -> std::string {
    if (absl::StartsWith(name, "UNSET")) return "";
    return "key-for-" + name;
  };
  auto registry = brazesync::WorkspaceRegistry::Create(*config, fake_env);
  if (!registry.ok()) return 0;
  if (registry->all().empty()) __builtin_trap();        // Create promises a workspace
  if (registry->Find("") == nullptr) __builtin_trap();  // and a default
  for (const brazesync::WorkspaceSettings& workspace : registry->all()) {
    if (registry->Find(workspace.name) != &workspace) __builtin_trap();  // names are unique
  }
  return 0;
}
