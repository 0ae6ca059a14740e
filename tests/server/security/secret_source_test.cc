// Unit tests for secret_source (strict permissions, change watching) and the
// HttpClient decorators (reachability, key rotation, observation).
#include "server/security/secret_source.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/http_client_decorators.h"

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

// Answers every Post with a fixed outcome and remembers the last request.
class FakeHttp final : public HttpClient {
 public:
  void Post(HttpRequest request, HttpCallback done) override {
    last = request;
    std::move(done)(next);
  }
  absl::StatusOr<HttpResponse> next = HttpResponse{201, {}, "{}"};
  HttpRequest last;
};

TEST(HttpDecoratorsTest, ReachabilityFlipsAfterConsecutiveTransportFailures) {
  std::vector<bool> flips;
  BrazeReachability reachability(3, [&flips](bool up) { flips.push_back(up); });
  HttpRequest request;
  const absl::StatusOr<HttpResponse> down = absl::UnavailableError("connect failed");
  reachability.Observe(request, down);
  reachability.Observe(request, down);
  EXPECT_TRUE(reachability.reachable());
  reachability.Observe(request, HttpResponse{503, {}, ""});  // a response resets the count
  reachability.Observe(request, down);
  reachability.Observe(request, down);
  EXPECT_TRUE(reachability.reachable());
  reachability.Observe(request, down);
  EXPECT_FALSE(reachability.reachable());
  request.timeout = absl::Milliseconds(10);  // the caller's short deadline: not evidence
  reachability.Observe(request, absl::DeadlineExceededError("timeout"));
  reachability.Observe(request, HttpResponse{201, {}, ""});
  EXPECT_TRUE(reachability.reachable());
  EXPECT_EQ(flips, (std::vector<bool>{false, true}));
}

TEST(HttpDecoratorsTest, RotatesKeysAndObservesOutcomes) {
  auto fake = std::make_unique<FakeHttp>();
  FakeHttp* raw = fake.get();
  ApiKeyRing ring;
  std::vector<int> statuses;
  auto observed = std::make_unique<ObservedHttpClient>(
      std::move(fake), [&statuses](const HttpRequest&, const absl::StatusOr<HttpResponse>& r) {
        statuses.push_back(r.ok() ? r->status : 0);
      });
  KeyRotatingHttpClient client(std::move(observed), &ring);
  auto post = [&client] {
    HttpRequest request;
    request.headers = {{"Authorization", "Bearer old-key"}, {"Content-Type", "application/json"}};
    client.Post(std::move(request), [](absl::StatusOr<HttpResponse>) {});
  };
  post();
  EXPECT_EQ(raw->last.headers[0].second, "Bearer old-key");
  ring.Set("old-key", "new-key");
  post();
  EXPECT_EQ(raw->last.headers[0].second, "Bearer new-key");
  raw->next = absl::UnavailableError("down");
  post();
  EXPECT_EQ(statuses, (std::vector<int>{201, 201, 0}));
}

}  // namespace
}  // namespace brazesync
