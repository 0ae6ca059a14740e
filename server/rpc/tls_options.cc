// gRPC server credentials (TLS, mutual TLS) from TlsConfig.
#include "server/rpc/tls_options.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/base/files.h"
#include "server/security/secret_source.h"

namespace brazesync {
namespace {

// A PEM file that exists and holds at least one `marker` block.
absl::Status CheckPemFile(const std::string& path, absl::string_view field,
                          absl::string_view marker) {
  absl::StatusOr<std::string> contents = ReadWholeFile(path, field);
  if (!contents.ok()) return contents.status();
  if (!absl::StrContains(*contents, marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", path, "\" holds no PEM ", marker, " block"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const v1::TlsConfig& tls, absl::Duration refresh_interval) {
  if (tls.cert_file().empty() && tls.key_file().empty()) {
    if (!tls.client_ca_file().empty()) {
      return absl::InvalidArgumentError("tls.client_ca_file: needs tls.cert_file and tls.key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file().empty() || tls.key_file().empty()) {
    return absl::InvalidArgumentError("tls: set both cert_file and key_file");
  }
  if (absl::Status s = CheckPemFile(tls.cert_file(), "tls.cert_file", "CERTIFICATE"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckSecretFilePermissions(tls.key_file(), "tls.key_file"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPemFile(tls.key_file(), "tls.key_file", "PRIVATE KEY"); !s.ok()) {
    return s;
  }
  if (!tls.client_ca_file().empty()) {
    if (absl::Status s = CheckPemFile(tls.client_ca_file(), "tls.client_ca_file", "CERTIFICATE");
        !s.ok()) {
      return s;
    }
  }
  const unsigned int refresh_seconds =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(refresh_interval)));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file(), tls.cert_file(), tls.client_ca_file(), refresh_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file().empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace brazesync
