// Cluster-mode test helper: starts replicas of the real server on one
// PostgreSQL store (a throwaway database of the `postgres` ctest fixture),
// each with one workspace "sandbox" on `endpoint`, and opens a channel to
// each. Shared by the cluster end-to-end tests.
#ifndef BRAZESYNC_TESTS_INTEGRATION_CLUSTER_REPLICAS_H_
#define BRAZESYNC_TESTS_INTEGRATION_CLUSTER_REPLICAS_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/config/workspace.h"
#include "server/http/curl_http_client.h"
#include "server/server.h"

namespace brazesync::testing_support {

struct ClusterReplicas {
  std::vector<std::unique_ptr<BrazeSyncServer>> servers;
  std::vector<std::shared_ptr<grpc::Channel>> channels;

  // Starts replica-a, replica-b, ... (`count` of them); a failure is a
  // test failure (check HasFatalFailure()).
  void Start(const std::string& store_uri, const std::string& endpoint, const std::string& api_key,
             int count = 2) {
    for (int i = 0; i < count; ++i) {
      v1::ServerConfig config;
      v1::WorkspaceConfig* workspace = config.add_workspaces();
      workspace->set_name("sandbox");
      workspace->set_endpoint(endpoint);
      workspace->set_api_key_env("E2E_KEY");
      absl::StatusOr<WorkspaceRegistry> registry =
          WorkspaceRegistry::Create(config, [api_key](const std::string&) { return api_key; });
      ASSERT_TRUE(registry.ok()) << registry.status();
      ServerOptions options;
      options.listen = "127.0.0.1:0";
      options.store = store_uri;
      options.cluster.partitions = 4;
      options.cluster.replica_name = absl::StrCat("replica-", std::string(1, 'a' + i));
      auto server = BrazeSyncServer::Start(options, *std::move(registry), MakeCurlHttpClient());
      ASSERT_TRUE(server.ok()) << server.status();
      channels.push_back(grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                             grpc::InsecureChannelCredentials()));
      servers.push_back(*std::move(server));
    }
  }

  void Stop() {
    for (auto& server : servers) server->Shutdown(absl::ZeroDuration());
    servers.clear();
    channels.clear();
  }
};

}  // namespace brazesync::testing_support

#endif  // BRAZESYNC_TESTS_INTEGRATION_CLUSTER_REPLICAS_H_
