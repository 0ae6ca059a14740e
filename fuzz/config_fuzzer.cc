// libFuzzer target: server configuration.
//
// The input is a brazesync.v1.ServerConfig textproto. ParseServerConfig must
// either fail cleanly or return a config. WorkspaceRegistry::Create then
// resolves every workspace against a fake environment (every variable holds a
// key derived from its name, except names starting with "UNSET", which are
// unset) and fixture key files: an api_key_file path is replaced by one of
// four files made at start-up in a private temp dir (0600 with a key, 0644,
// 0600 but empty, missing), chosen by the path's length, so the fuzzer never
// reads the host's files. Nothing may crash, and a registry that Create
// accepts must keep its promises (a default workspace, every name findable).
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "server/workspace.h"

namespace {

struct Fixtures {
  std::string paths[4];
  Fixtures() {
    char dir_template[] = "/tmp/brazesync_config_fuzzer.XXXXXX";
    const char* dir = mkdtemp(dir_template);
    if (dir == nullptr) abort();
    const std::string base = dir;
    const struct {
      const char* name;
      const char* contents;
      mode_t mode;
    } files[] = {
        {"private", "fuzz-key\n", 0600}, {"shared", "fuzz-key", 0644}, {"empty", "", 0600}};
    for (int i = 0; i < 3; ++i) {
      paths[i] = base + "/" + files[i].name;
      std::ofstream(paths[i]) << files[i].contents;
      chmod(paths[i].c_str(), files[i].mode);
    }
    paths[3] = base + "/missing";
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixtures* const fixtures = new Fixtures();
  if (size > 16 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = brazesync::ParseServerConfig(text);
  if (!config.ok()) return 0;
  for (brazesync::v1::WorkspaceConfig& workspace : *config->mutable_workspaces()) {
    if (!workspace.api_key_file().empty()) {
      workspace.set_api_key_file(fixtures->paths[workspace.api_key_file().size() % 4]);
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
    (void)workspace.UsersTrackUrl();
  }
  return 0;
}
