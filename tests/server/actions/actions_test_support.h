// What the tests of the actions use cases share: a workspace registry, an
// API key source and an ActionDispatcher over a scripted FakeHttpClient,
// and a way to wait for a use case's answer.
#ifndef BRAZESYNC_TESTS_SERVER_ACTIONS_ACTIONS_TEST_SUPPORT_H_
#define BRAZESYNC_TESTS_SERVER_ACTIONS_ACTIONS_TEST_SUPPORT_H_

#include <functional>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "brazesync/v1/actions.pb.h"
#include "brazesync/v1/config.pb.h"
#include "server/config/api_key_source.h"
#include "server/config/workspace.h"
#include "server/delivery/action_dispatcher.h"
#include "tests/server/testing/test_support.h"

namespace brazesync::testing_support {

class ActionsFixture {
 protected:
  // One workspace "sandbox" (region FR) that `configure` may adjust.
  explicit ActionsFixture(const std::function<void(v1::WorkspaceConfig*)>& configure = nullptr) {
    v1::ServerConfig config;
    v1::WorkspaceConfig* workspace = config.add_workspaces();
    workspace->set_name("sandbox");
    workspace->set_endpoint("http://braze.test");
    workspace->set_api_key_env("KEY");
    workspace->set_max_attempts(2);
    workspace->set_default_phone_region("FR");
    if (configure) configure(workspace);
    registry_ = *WorkspaceRegistry::Create(config, [](const std::string&) { return "key-1"; });
    keys_ = std::make_unique<ApiKeySource>(registry_);
    dispatcher_ = std::make_unique<ActionDispatcher>(&http_, keys_.get());
    for (const WorkspaceSettings& settings : registry_.all()) {
      dispatcher_->AddWorkspace(&settings, nullptr);
    }
  }

  // Runs `start(done)` and waits for its answer.
  template <typename Response, typename Start>
  static std::pair<absl::Status, Response> Await(Start start) {
    std::promise<std::pair<absl::Status, Response>> answered;
    start([&answered](absl::Status status, Response response) {
      answered.set_value({std::move(status), std::move(response)});
    });
    return answered.get_future().get();
  }

  static std::vector<int> Warnings(const v1::ActionResult& result) {
    return {result.warnings().begin(), result.warnings().end()};
  }

  FakeHttpClient http_;
  WorkspaceRegistry registry_;
  std::unique_ptr<ApiKeySource> keys_;
  std::unique_ptr<ActionDispatcher> dispatcher_;
};

}  // namespace brazesync::testing_support

#endif  // BRAZESYNC_TESTS_SERVER_ACTIONS_ACTIONS_TEST_SUPPORT_H_
