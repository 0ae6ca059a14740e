// Test-only helper: a throw-away PKI made with the openssl CLI in a temp
// directory (a CA, a server certificate for localhost/127.0.0.1, a client
// certificate, and an unrelated second CA), with private keys mode 0600.
#ifndef BRAZESYNC_TESTS_INTEGRATION_TEST_CERTS_H_
#define BRAZESYNC_TESTS_INTEGRATION_TEST_CERTS_H_

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace brazesync::testing {

struct TestPki {
  std::string dir;
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;

  // Creates the files under `dir` (created if needed). False on failure.
  bool Create(const std::string& base) {
    dir = base;
    ca_cert = dir + "/ca.crt";
    ca_key = dir + "/ca.key";
    server_cert = dir + "/server.crt";
    server_key = dir + "/server.key";
    client_cert = dir + "/client.crt";
    client_key = dir + "/client.key";
    other_ca_cert = dir + "/other_ca.crt";
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script = absl::StrCat(
        "set -e; mkdir -p '", dir, "'; cd '", dir, "';", "openssl req -x509 ", key,
        " -keyout ca.key -out ca.crt -days 2 -subj '/CN=BrazeSync Test CA';", "openssl req -x509 ",
        key, " -keyout other_ca.key -out other_ca.crt -days 2 -subj '/CN=Other CA';",
        "openssl req ", key, " -keyout server.key -out server.csr -subj '/CN=localhost';",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > "
        "server.ext;",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
        "-days 2 -extfile server.ext;",
        "openssl req ", key, " -keyout client.key -out client.csr -subj '/CN=test-client';",
        "printf 'extendedKeyUsage=clientAuth\\n' > client.ext;",
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt "
        "-days 2 -extfile client.ext;",
        "chmod 600 *.key");
    const std::string command = absl::StrCat("bash -c \"", Escape(script), "\" >/dev/null 2>&1");
    return std::system(command.c_str()) == 0;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }

 private:
  static std::string Escape(const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '"' || c == '\\' || c == '$' || c == '`') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  }
};

// Writes `contents` to `path` with `mode`.
inline void WriteFileWithMode(const std::string& path, const std::string& contents, int mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << contents;
  }
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

}  // namespace brazesync::testing

#endif  // BRAZESYNC_TESTS_INTEGRATION_TEST_CERTS_H_
