// Braze emulator implementation: the HTTP plumbing (cpp-httplib 0.11.4), the
// fault injector, the rate limiter, and an independent re-implementation of
// the checks Braze applies to a /users/track body (braze-api.md §1-§2, §6).
// None of the server's validation code is used here on purpose.
#include "tests/emulator/braze_emulator.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace brazesync::emulator {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Braze's wording (braze-api.md §2, §6) where it is known.
constexpr char kInvalidApiKey[] = "Invalid API Key";
constexpr char kParseError[] = "Error while parsing request body. Please check your syntax.";
constexpr char kMaxInputLength[] = "Max Input Length Exceeded";
constexpr char kValidDataRequired[] =
    "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
constexpr char kRateLimitExceeded[] = "Rate Limit Exceeded";
constexpr char kAccessDenied[] = "Access Denied";
constexpr char kUnsupportedMediaType[] =
    "Unsupported Media Type: the Content-Type header must be application/json";
constexpr char kTooLarge[] = "Request Entity Too Large";
constexpr char kIdentifierRequired[] =
    "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required";
constexpr char kOnePrimaryOnly[] =
    "Only one of 'external_id', 'braze_id' or 'user_alias' may be provided";
constexpr char kInvalidEmail[] = "The value provided for the 'email' field is not a valid email.";
constexpr char kInvalidProperties[] = "Invalid 'properties' field";
constexpr char kInvalidQuantity[] = "'quantity' is not valid";
constexpr char kInvalidCurrency[] = "'currency' must be an ISO 4217 currency";

constexpr size_t kMaxExternalIdBytes = 987;
constexpr size_t kMaxAliasPartBytes = 236;
constexpr size_t kMaxStringChars = 255;

constexpr const char* kArrayNames[] = {"attributes", "events", "purchases"};

// Active ISO 4217 alphabetic codes. Braze checks purchases against such a
// list (after upper-casing in the SDK; the REST API takes the code as sent).
constexpr const char* kCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL",
};

constexpr const char* kPurchaseReservedProperties[] = {"time",       "product_id", "quantity",
                                                       "event_name", "price",      "currency"};
constexpr const char* kEventReservedProperties[] = {"time", "event_name"};

// ---------------------------------------------------------------------------
// Per-object checks. Each returns the errors[] "type" text of the first
// problem found, or nullopt when the object is valid.

// A key that is present with a non-null value. null is Braze's "remove this
// attribute", so it does not count as supplying an identifier.
bool Present(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

// Deliberately lenient (Braze's exact rule is unpublished): one '@', a
// non-empty local part, a dotted domain with non-empty labels, no whitespace.
bool LooksLikeEmail(const std::string& email) {
  if (email.size() > 254) return false;
  for (char c : email) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == ',') return false;
  }
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) {
    return false;
  }
  const std::string domain = email.substr(at + 1);
  if (domain.find('.') == std::string::npos) return false;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    if (label.empty()) return false;
  }
  return true;
}

bool IsUuid(const std::string& id) {
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

bool DigitsAt(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Braze accepts several datetime shapes (braze-api.md §1.7) and treats a bad
// zone as UTC, so this only checks the date part of the documented shapes:
// "yyyy-MM-dd...", "MM/dd/yyyy..." or "ddd MM dd HH:mm:ss.TZD YYYY".
bool LooksLikeTime(const Json& value) {
  if (!value.is_string()) return false;
  const std::string& s = value.get_ref<const std::string&>();
  if (DigitsAt(s, 0, 4) && s.size() >= 10 && s[4] == '-' && DigitsAt(s, 5, 2) && s[7] == '-' &&
      DigitsAt(s, 8, 2)) {
    return s.size() == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ';
  }
  if (DigitsAt(s, 0, 2) && s.size() >= 10 && s[2] == '/' && DigitsAt(s, 3, 2) && s[5] == '/' &&
      DigitsAt(s, 6, 4)) {
    return true;
  }
  return s.size() >= 8 && absl::ascii_isalpha(static_cast<unsigned char>(s[0])) &&
         absl::ascii_isalpha(static_cast<unsigned char>(s[1])) &&
         absl::ascii_isalpha(static_cast<unsigned char>(s[2])) && s[3] == ' ';
}

std::optional<std::string> CheckIdentifiers(const Json& object, bool identifier_optional) {
  const int primaries =
      Present(object, "external_id") + Present(object, "user_alias") + Present(object, "braze_id");
  const bool secondary = Present(object, "email") || Present(object, "phone");
  if (primaries == 0 && !secondary && !identifier_optional) return kIdentifierRequired;
  if (primaries > 1) return kOnePrimaryOnly;
  if (Present(object, "external_id")) {
    const Json& id = object["external_id"];
    if (!IsNonEmptyString(id)) return "'external_id' must be a non-empty string";
    if (id.get_ref<const std::string&>().size() > kMaxExternalIdBytes) {
      return "EXTERNAL_USER_ID_TOO_LARGE";
    }
  }
  if (Present(object, "user_alias")) {
    const Json& alias = object["user_alias"];
    bool ok = alias.is_object();
    for (const char* part : {"alias_name", "alias_label"}) {
      if (!ok) break;
      auto it = alias.find(part);
      ok = it != alias.end() && IsNonEmptyString(*it) &&
           it->get_ref<const std::string&>().size() <= kMaxAliasPartBytes;
    }
    if (!ok) {
      return "'user_alias' must be an object with non-empty 'alias_name' and 'alias_label' "
             "strings of at most 236 bytes";
    }
  }
  if (Present(object, "braze_id") && !IsNonEmptyString(object["braze_id"])) {
    return "'braze_id' must be a non-empty string";
  }
  if (Present(object, "email")) {
    const Json& email = object["email"];
    if (!email.is_string() || !LooksLikeEmail(email.get<std::string>())) return kInvalidEmail;
  }
  if (Present(object, "phone") && !IsNonEmptyString(object["phone"])) {
    return "The value provided for the 'phone' field is not a valid phone number.";
  }
  return std::nullopt;
}

bool IsOneOf(const Json& value, std::initializer_list<const char*> allowed) {
  if (!value.is_string()) return false;
  const std::string& s = value.get_ref<const std::string&>();
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return s == a; });
}

std::optional<std::string> CheckSubscriptionGroups(const Json& groups) {
  if (!groups.is_array()) return "BAD_SUBSCRIPTION_GROUP_ARRAY";
  for (const Json& group : groups) {
    if (!group.is_object() || !group.contains("subscription_group_id") ||
        !group.contains("subscription_state")) {
      return "BAD_SUBSCRIPTION_GROUP_HASH";
    }
    const Json& id = group["subscription_group_id"];
    if (!id.is_string() || !IsUuid(id.get<std::string>())) return "BAD_SUBSCRIPTION_GROUP_ID";
    if (!IsOneOf(group["subscription_state"], {"subscribed", "unsubscribed"})) {
      return "BAD_SUBSCRIPTION_GROUP_STATE";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckPushTokens(const Json& tokens) {
  if (!tokens.is_array()) return "BAD_PUSH_TOKEN_VALUE";
  for (const Json& token : tokens) {
    if (!token.is_object() || !token.contains("token") || !token.contains("app_id")) {
      return "BAD_PUSH_TOKEN_VALUE";
    }
    if (!token["token"].is_string()) return "BAD_PUSH_TOKEN_STRING";
    if (!IsNonEmptyString(token["app_id"])) return "BAD_PUSH_TOKEN_APP_ID";
    if (token.contains("device_id")) {
      const Json& device = token["device_id"];
      if (!device.is_string() || device.get_ref<const std::string&>().size() < 8 ||
          device.get_ref<const std::string&>().size() > 255) {
        return "BAD_DEVICE_ID";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckAttributes(const Json& object) {
  const auto import_it = object.find("push_token_import");
  const bool push_token_import =
      import_it != object.end() && import_it->is_boolean() && import_it->get<bool>();
  if (push_token_import) {
    // Imported tokens create anonymous profiles: no primary id allowed, and
    // tokens are the whole point of the object.
    if (Present(object, "external_id") || Present(object, "braze_id") ||
        !Present(object, "push_tokens")) {
      return "BAD_PUSH_TOKEN_IMPORT";
    }
  }
  if (auto error = CheckIdentifiers(object, push_token_import)) return error;
  if (object.contains("email_subscription_info")) {
    return "INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO";
  }
  if (object.contains("email_subscribe") &&
      !IsOneOf(object["email_subscribe"], {"opted_in", "subscribed", "unsubscribed"})) {
    return "BAD_EMAIL_SUBSCRIPTION_STATE";
  }
  if (object.contains("push_subscribe") &&
      !IsOneOf(object["push_subscribe"], {"opted_in", "subscribed", "unsubscribed"})) {
    return "BAD_PUSH_SUBSCRIPTION_STATE";
  }
  if (object.contains("subscription_groups")) {
    if (auto error = CheckSubscriptionGroups(object["subscription_groups"])) return error;
  }
  if (Present(object, "current_location")) {
    const Json& location = object["current_location"];
    const bool ok = location.is_object() && location.contains("latitude") &&
                    location.contains("longitude") && location["latitude"].is_number() &&
                    location["longitude"].is_number() &&
                    std::abs(location["latitude"].get<double>()) <= 90 &&
                    std::abs(location["longitude"].get<double>()) <= 180;
    if (!ok) return "BAD_LOCATION_UPDATE";
  }
  if (Present(object, "push_tokens")) {
    if (auto error = CheckPushTokens(object["push_tokens"])) return error;
  }
  return std::nullopt;
}

// Property maps of events and purchases: keys non-empty, not starting with
// "$", and not one of the reserved names.
template <size_t N>
bool PropertiesOk(const Json& object, const char* const (&reserved)[N]) {
  auto it = object.find("properties");
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_object()) return false;
  for (const auto& [key, value] : it->items()) {
    if (key.empty() || key[0] == '$' || key.size() > kMaxStringChars) return false;
    for (const char* r : reserved) {
      if (key == r) return false;
    }
  }
  return true;
}

std::optional<std::string> CheckTime(const Json& object) {
  if (!Present(object, "time")) return "'time' is required";
  if (!LooksLikeTime(object["time"])) return "'time' is not a valid time";
  return std::nullopt;
}

std::optional<std::string> CheckEvent(const Json& object) {
  if (auto error = CheckIdentifiers(object, /*identifier_optional=*/false)) return error;
  if (!Present(object, "name")) return "'name' is required";
  if (!IsNonEmptyString(object["name"])) return "'name' must be a non-empty string";
  if (auto error = CheckTime(object)) return error;
  if (!PropertiesOk(object, kEventReservedProperties)) return kInvalidProperties;
  return std::nullopt;
}

std::optional<std::string> CheckPurchase(const Json& object) {
  if (auto error = CheckIdentifiers(object, /*identifier_optional=*/false)) return error;
  if (!Present(object, "product_id")) return "'product_id' is required";
  const Json& product = object["product_id"];
  if (!IsNonEmptyString(product) ||
      product.get_ref<const std::string&>().size() > kMaxStringChars) {
    return "'product_id' is not valid";
  }
  if (!Present(object, "currency")) return "'currency' is required";
  const Json& currency = object["currency"];
  if (!currency.is_string() ||
      std::none_of(std::begin(kCurrencies), std::end(kCurrencies),
                   [&](const char* c) { return currency.get_ref<const std::string&>() == c; })) {
    return kInvalidCurrency;
  }
  if (!Present(object, "price")) return "'price' is required";
  if (!object["price"].is_number()) return "'price' is not valid";
  if (Present(object, "quantity")) {
    const Json& quantity = object["quantity"];
    if (!quantity.is_number_integer() || quantity.get<int64_t>() < 1 ||
        quantity.get<int64_t>() > 100) {
      return kInvalidQuantity;
    }
  }
  if (auto error = CheckTime(object)) return error;
  if (!PropertiesOk(object, kPurchaseReservedProperties)) return kInvalidProperties;
  return std::nullopt;
}

std::optional<std::string> CheckObject(int array_index, const Json& object) {
  if (!object.is_object()) return "Each element must be a JSON object";
  switch (array_index) {
    case 0:
      return CheckAttributes(object);
    case 1:
      return CheckEvent(object);
    default:
      return CheckPurchase(object);
  }
}

// ---------------------------------------------------------------------------
// HTTP helpers.

// "application/json", optionally with a UTF-8 charset parameter.
bool IsJsonContentType(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ';');
  if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0])) != "application/json") {
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string param = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
    param.erase(std::remove(param.begin(), param.end(), '"'), param.end());
    if (absl::StartsWith(param, "charset=") && param != "charset=utf-8" &&
        param != "charset=utf8") {
      return false;
    }
  }
  return true;
}

std::string StatusMessage(int status) {
  switch (status) {
    case 429:
      return kRateLimitExceeded;
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

std::string Dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void SendJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

struct Endpoint {
  std::string addr;
  int port = -1;
};

bool GetEndpoint(int fd, bool peer, Endpoint& out) {
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  if ((peer ? getpeername(fd, addr, &len) : getsockname(fd, addr, &len)) != 0) return false;
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    out.port = ntohs(in->sin_port);
  } else if (storage.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    out.port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  out.addr = text;
  return true;
}

// cpp-httplib 0.11.4 never hands a handler its socket, and its keep-alive loop
// only notices Server::stop() between requests. To drop a connection without
// sending a byte, and to make Stop() close idle keep-alive connections at
// once, we find the server-side sockets ourselves: connected TCP sockets whose
// local port is the emulator's port (client sockets in this process have an
// ephemeral local port, so they never match). With `peer` set, only the
// socket of that one connection matches; a handler that is running keeps its
// socket open, so that fd cannot be reused under us. shutdown() (not close())
// leaves the fd to httplib, which closes it when its write/read fails.
int ShutdownServerSockets(int local_port, const Endpoint* peer) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    int fd = 0;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == dirfd(dir)) continue;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    Endpoint local, remote;
    if (!GetEndpoint(fd, /*peer=*/false, local) || local.port != local_port) continue;
    if (!GetEndpoint(fd, /*peer=*/true, remote)) continue;  // the listening socket
    if (peer != nullptr && (remote.port != peer->port || remote.addr != peer->addr)) continue;
    ::shutdown(fd, SHUT_RDWR);
    ++count;
  }
  closedir(dir);
  return count;
}

// A thread pool that starts `initial` threads and adds one whenever a job
// arrives and no thread is idle, up to `max`. httplib serves each keep-alive
// connection on one pool thread for the connection's lifetime, so a fixed
// small pool would leave most of 1,000 concurrent clients waiting in a queue.
class GrowingThreadPool final : public httplib::TaskQueue {
 public:
  GrowingThreadPool(int initial, int max) : max_(static_cast<size_t>(std::max(1, max))) {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < std::min(initial, max); ++i) SpawnLocked();
  }
  ~GrowingThreadPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(std::move(fn));
    if (!shutdown_ && jobs_.size() > idle_ && threads_.size() < max_) SpawnLocked();
  }

  // Finishes queued jobs, then joins every thread.
  void shutdown() override {
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  void SpawnLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    threads_.emplace_back([this] { Work(); });
  }

  void Work() {
    while (true) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        ++idle_;
        mu_.Await(absl::Condition(
            +[](GrowingThreadPool* p)
                 ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->shutdown_ || !p->jobs_.empty(); },
            this));
        --idle_;
        if (jobs_.empty()) return;  // shutting down and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  const size_t max_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// A recorded body as JSON when it parses, else as the raw string.
Json BodyAsJson(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return body;
  return parsed;
}

}  // namespace

namespace {

// Server subclasses only to reach the protected listening socket, whose
// backlog we raise: httplib listens with a backlog of 5, and a burst of
// connects beyond that stalls for a SYN retransmit (1 s) before being accepted.
template <typename Base>
class SocketServer final : public Base {
 public:
  using Base::Base;
  int listen_fd() const { return this->svr_sock_; }
};

}  // namespace

// The plain or TLS httplib server, seen as an httplib::Server.
class BrazeEmulator::HttpServer final {
 public:
  HttpServer() {
    auto server = std::make_unique<SocketServer<httplib::Server>>();
    listen_fd_ = [raw = server.get()] { return raw->listen_fd(); };
    server_ = std::move(server);
  }
  HttpServer(const std::string& cert_file, const std::string& key_file) {
    auto server =
        std::make_unique<SocketServer<httplib::SSLServer>>(cert_file.c_str(), key_file.c_str());
    valid_ = server->is_valid();
    listen_fd_ = [raw = server.get()] { return raw->listen_fd(); };
    server_ = std::move(server);
  }
  httplib::Server* operator->() { return server_.get(); }
  httplib::Server& operator*() { return *server_; }
  int listen_fd() const { return listen_fd_(); }
  bool valid() const { return valid_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::function<int()> listen_fd_;
  bool valid_ = true;
};

struct BrazeEmulator::Outcome {
  int status = 0;
  OrderedJson body;
  Json accepted;  // null unless something was processed
};

// ---------------------------------------------------------------------------
// Faults as JSON.

Json FaultsToJson(const Faults& faults) {
  return Json{{"latency_ms", absl::ToDoubleMilliseconds(faults.latency)},
              {"error_5xx_rate", faults.error_5xx_rate},
              {"error_5xx_status", faults.error_5xx_status},
              {"rate_429", faults.rate_429},
              {"retry_after_seconds", faults.retry_after_seconds},
              {"drop_rate", faults.drop_rate},
              {"fail_next", faults.fail_next},
              {"fail_next_status", faults.fail_next_status},
              {"drop_next", faults.drop_next},
              {"seed", faults.seed}};
}

absl::StatusOr<Faults> FaultsFromJson(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("faults must be a JSON object");
  Faults faults;
  auto rate = [](const Json& v, double& out) {
    if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) return false;
    out = v.get<double>();
    return true;
  };
  auto integer = [](const Json& v, int lo, int hi, int& out) {
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) return false;
    out = static_cast<int>(v.get<int64_t>());
    return true;
  };
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  for (const auto& [key, value] : json.items()) {
    bool ok = true;
    if (key == "latency_ms") {
      ok = value.is_number() && value.get<double>() >= 0;
      if (ok) faults.latency = absl::Milliseconds(value.get<double>());
    } else if (key == "error_5xx_rate") {
      ok = rate(value, faults.error_5xx_rate);
    } else if (key == "error_5xx_status") {
      ok = integer(value, 100, 599, faults.error_5xx_status);
    } else if (key == "rate_429") {
      ok = rate(value, faults.rate_429);
    } else if (key == "retry_after_seconds") {
      ok = integer(value, 0, kMaxInt, faults.retry_after_seconds);
    } else if (key == "drop_rate") {
      ok = rate(value, faults.drop_rate);
    } else if (key == "fail_next") {
      ok = integer(value, 0, kMaxInt, faults.fail_next);
    } else if (key == "fail_next_status") {
      ok = integer(value, 100, 599, faults.fail_next_status);
    } else if (key == "drop_next") {
      ok = integer(value, 0, kMaxInt, faults.drop_next);
    } else if (key == "seed") {
      ok = value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
      if (ok) faults.seed = value.get<uint64_t>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown fault field '", key, "'"));
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("bad value for '", key, "': ", Dump(value)));
    }
  }
  return faults;
}

// ---------------------------------------------------------------------------
// Lifecycle.

BrazeEmulator::BrazeEmulator(EmulatorOptions options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  rng_.seed(faults_.seed);
}

BrazeEmulator::~BrazeEmulator() { Stop(); }

absl::Status BrazeEmulator::Start(const std::string& host, int port) {
  if (server_ != nullptr) return absl::FailedPreconditionError("emulator already started");
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  auto server = tls ? std::make_unique<HttpServer>(options_.tls_cert_file, options_.tls_key_file)
                    : std::make_unique<HttpServer>();
  if (!server->valid()) {
    return absl::InvalidArgumentError(absl::StrCat("emulator: cannot load TLS certificate \"",
                                                   options_.tls_cert_file, "\" / key \"",
                                                   options_.tls_key_file, "\""));
  }
  server_ = std::move(server);
  RegisterRoutes();
  const int initial = options_.threads;
  const int max = std::max(options_.threads, options_.max_threads);
  (*server_)->new_task_queue = [initial, max] { return new GrowingThreadPool(initial, max); };
  (*server_)->set_keep_alive_max_count(std::numeric_limits<int>::max());
  (*server_)->set_keep_alive_timeout(
      std::max<time_t>(1, absl::ToInt64Seconds(options_.keep_alive_timeout)));
  (*server_)->set_tcp_nodelay(true);
  // Bodies over max_body_bytes must reach the handler so that the 413 is
  // recorded and carries rate-limit headers; the margin only guards memory.
  (*server_)->set_payload_max_length(options_.max_body_bytes + (64u << 20));

  int bound = port;
  if (port == 0) {
    bound = (*server_)->bind_to_any_port(host);
  } else if (!(*server_)->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", port));
  }
  ::listen(server_->listen_fd(), SOMAXCONN);  // see HttpServer
  host_ = host;
  port_ = bound;
  listen_done_ = std::make_unique<absl::Notification>();
  listen_thread_ = std::thread([this] {
    (*server_)->listen_after_bind();
    listen_done_->Notify();
  });
  // The kernel already queues connections; wait for the accept loop as well,
  // because Server::stop() is a no-op until it runs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!(*server_)->is_running() && !listen_done_->HasBeenNotified() && absl::Now() < deadline) {
    absl::SleepFor(absl::Microseconds(200));
  }
  if (!(*server_)->is_running()) {
    Stop();
    return absl::InternalError("emulator accept loop did not start");
  }
  return absl::OkStatus();
}

int BrazeEmulator::port() const { return port_; }

std::string BrazeEmulator::base_url() const {
  std::string host = host_;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  return absl::StrCat(tls ? "https://" : "http://", host, ":", port_);
}

void BrazeEmulator::Stop() {
  if (server_ == nullptr) return;
  (*server_)->stop();
  // Wake connections parked in httplib's keep-alive wait; repeat until the
  // pool has drained, as a connection may be accepted during the first pass.
  do {
    ShutdownServerSockets(port_, nullptr);
  } while (!listen_done_->WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  if (listen_thread_.joinable()) listen_thread_.join();
  server_.reset();
  listen_done_.reset();
}

// ---------------------------------------------------------------------------
// State accessors.

void BrazeEmulator::SetFaults(const Faults& faults) {
  absl::MutexLock lock(&mu_);
  faults_ = faults;
  rng_.seed(faults_.seed);
}

Faults BrazeEmulator::faults() const {
  absl::MutexLock lock(&mu_);
  return faults_;
}

std::vector<RecordedRequest> BrazeEmulator::requests() const {
  absl::MutexLock lock(&mu_);
  std::vector<RecordedRequest> out;
  out.reserve(entries_.size());
  for (const auto& [seq, e] : entries_) out.push_back(e.request);
  return out;
}

Json BrazeEmulator::accepted() const {
  Json out = {
      {"attributes", Json::array()}, {"events", Json::array()}, {"purchases", Json::array()}};
  absl::MutexLock lock(&mu_);
  for (const auto& [seq, e] : entries_) {
    if (e.accepted.is_null()) continue;
    for (const char* name : kArrayNames) {
      for (const Json& object : e.accepted[name]) out[name].push_back(object);
    }
  }
  return out;
}

EmulatorStats BrazeEmulator::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void BrazeEmulator::Reset() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
  stats_ = EmulatorStats();
  window_end_ = absl::InfinitePast();
  window_count_ = 0;
  faults_.fail_next = 0;
  faults_.drop_next = 0;
  rng_.seed(faults_.seed);
}

Json BrazeEmulator::RequestsJson() const {
  Json out = Json::array();
  for (const RecordedRequest& r : requests()) {
    out.push_back(Json{{"method", r.method},
                       {"path", r.path},
                       {"headers", r.headers},
                       {"body", BodyAsJson(r.body)},
                       {"status", r.status},
                       {"response_body", BodyAsJson(r.response_body)},
                       {"received", Rfc3339(r.received)}});
  }
  return out;
}

// ---------------------------------------------------------------------------
// Routes.

void BrazeEmulator::RegisterRoutes() {
  httplib::Server& s = **server_;
  s.Post("/users/track", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrack(req, res, /*trailing_slash=*/false);
  });
  s.Post("/users/track/", [this](const httplib::Request& req, httplib::Response& res) {
    HandleTrack(req, res, /*trailing_slash=*/true);
  });

  s.Get("/_emulator/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  s.Get("/_emulator/requests", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(RequestsJson()));
  });
  s.Get("/_emulator/accepted", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(accepted()));
  });
  s.Get("/_emulator/stats", [this](const httplib::Request&, httplib::Response& res) {
    const EmulatorStats st = stats();
    Json by_status = Json::object();
    for (const auto& [status, count] : st.by_status) by_status[std::to_string(status)] = count;
    SendJson(res, 200,
             Dump(Json{{"requests", st.requests},
                       {"by_status", by_status},
                       {"attributes_accepted", st.attributes_accepted},
                       {"events_accepted", st.events_accepted},
                       {"purchases_accepted", st.purchases_accepted}}));
  });
  s.Get("/_emulator/faults", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, Dump(FaultsToJson(faults())));
  });
  s.Post("/_emulator/faults", [this](const httplib::Request& req, httplib::Response& res) {
    Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
    absl::StatusOr<Faults> faults =
        body.is_discarded() ? absl::InvalidArgumentError("body is not JSON") : FaultsFromJson(body);
    if (!faults.ok()) {
      SendJson(res, 400, Dump(Json{{"message", std::string(faults.status().message())}}));
      return;
    }
    SetFaults(*faults);
    SendJson(res, 200, Dump(FaultsToJson(*faults)));
  });
  s.Post("/_emulator/reset", [this](const httplib::Request&, httplib::Response& res) {
    Reset();
    SendJson(res, 200, R"({"message":"reset"})");
  });

  // httplib calls this for every response >= 400, including ours: only fill
  // in bodies it produced itself (unknown path, payload over its own limit).
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                              httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    SendJson(res, res.status,
             Dump(Json{{"message", res.status == 404 ? "Not Found" : StatusMessage(res.status)}}));
    return httplib::Server::HandlerResponse::Handled;
  }));
}

BrazeEmulator::Injected BrazeEmulator::DecideFaultLocked(int& status) {
  if (faults_.drop_next > 0) {
    --faults_.drop_next;
    return Injected::kDrop;
  }
  if (faults_.fail_next > 0) {
    --faults_.fail_next;
    status = faults_.fail_next_status;
    return Injected::kFail;
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  if (faults_.drop_rate > 0 && uniform(rng_) < faults_.drop_rate) return Injected::kDrop;
  if (faults_.error_5xx_rate > 0 && uniform(rng_) < faults_.error_5xx_rate) {
    status = faults_.error_5xx_status;
    return Injected::kFail;
  }
  if (faults_.rate_429 > 0 && uniform(rng_) < faults_.rate_429) return Injected::kRateLimit429;
  return Injected::kNone;
}

BrazeEmulator::RateWindow BrazeEmulator::CountRequestLocked(absl::Time now, bool consume) {
  if (now >= window_end_) {
    window_end_ = now + options_.rate_limit_window;
    window_count_ = 0;
  }
  if (consume) ++window_count_;
  RateWindow w;
  w.limit = options_.rate_limit_requests;
  w.limited = consume && window_count_ > w.limit;
  w.remaining = std::max(0, w.limit - window_count_);
  w.reset_epoch_seconds = absl::ToUnixSeconds(window_end_);
  if (absl::FromUnixSeconds(w.reset_epoch_seconds) < window_end_) ++w.reset_epoch_seconds;
  return w;
}

void BrazeEmulator::HandleTrack(const httplib::Request& req, httplib::Response& res,
                                bool trailing_slash) {
  const absl::Time received = absl::Now();
  uint64_t seq = 0;
  absl::Duration latency;
  Injected injected = Injected::kNone;
  int injected_status = 0;
  int retry_after = 0;
  {
    absl::MutexLock lock(&mu_);
    seq = next_seq_++;
    if (!trailing_slash) {
      latency = faults_.latency;
      injected = DecideFaultLocked(injected_status);
      retry_after = faults_.retry_after_seconds;
    }
  }
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);

  auto set_rate_headers = [&res](const RateWindow& w) {
    res.set_header("X-RateLimit-Limit", std::to_string(w.limit));
    res.set_header("X-RateLimit-Remaining", std::to_string(w.remaining));
    res.set_header("X-RateLimit-Reset", std::to_string(w.reset_epoch_seconds));
  };

  switch (injected) {
    case Injected::kDrop: {
      // Record first: once the socket is shut the client may already ask
      // what the emulator received.
      Record(seq, received, req, 0, "", nullptr);
      Endpoint peer{req.remote_addr, req.remote_port};
      ShutdownServerSockets(req.local_port, &peer);
      // Belt and braces: if the socket was not found, a content provider that
      // fails after the headers still leaves the client with a broken reply.
      res.status = 503;
      res.set_header("Connection", "close");
      res.set_content_provider(1, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    case Injected::kRateLimit429: {
      // MAU-style 429: Retry-After instead of the X-RateLimit-* headers.
      res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      const std::string body = Dump(OrderedJson{{"message", kRateLimitExceeded}});
      SendJson(res, 429, body);
      Record(seq, received, req, 429, body, nullptr);
      return;
    }
    case Injected::kFail: {
      RateWindow w;
      {
        absl::MutexLock lock(&mu_);
        w = CountRequestLocked(absl::Now(), /*consume=*/false);
      }
      set_rate_headers(w);
      if (injected_status == 429) {
        res.set_header("X-Ratelimit-Retry-After", std::to_string(retry_after));
      }
      const std::string body = Dump(OrderedJson{{"message", StatusMessage(injected_status)}});
      SendJson(res, injected_status, body);
      Record(seq, received, req, injected_status, body, nullptr);
      return;
    }
    case Injected::kNone:
      break;
  }

  RateWindow window;
  {
    absl::MutexLock lock(&mu_);
    window = CountRequestLocked(absl::Now(), /*consume=*/true);
  }
  set_rate_headers(window);
  Outcome outcome;
  if (window.limited) {
    outcome.status = 429;
    outcome.body = {{"message", kRateLimitExceeded}};
  } else if (trailing_slash) {
    outcome.status = 403;
    outcome.body = {{"message", kAccessDenied}};
  } else {
    outcome = Evaluate(req);
  }
  const std::string body = Dump(outcome.body);
  SendJson(res, outcome.status, body);
  Record(seq, received, req, outcome.status, body,
         outcome.accepted.is_null() ? nullptr : &outcome.accepted);
}

BrazeEmulator::Outcome BrazeEmulator::Evaluate(const httplib::Request& req) const {
  Outcome out;
  auto fail = [&out](int status, const char* message) {
    out.status = status;
    out.body = {{"message", message}};
    return out;
  };

  // Exactly "Bearer <key>": no quotes, no other scheme, no lower-case bearer.
  if (!req.has_header("Authorization") ||
      req.get_header_value("Authorization") != absl::StrCat("Bearer ", options_.api_key)) {
    return fail(401, kInvalidApiKey);
  }
  if (!req.has_header("Content-Type") || !IsJsonContentType(req.get_header_value("Content-Type"))) {
    return fail(415, kUnsupportedMediaType);
  }
  if (req.body.size() > options_.max_body_bytes) return fail(413, kTooLarge);

  const Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return fail(400, kParseError);

  // Which arrays were sent; a present non-array is unusable data.
  const Json* arrays[3] = {nullptr, nullptr, nullptr};
  size_t total = 0;
  bool over_cap = false;
  for (int i = 0; i < 3; ++i) {
    auto it = body.find(kArrayNames[i]);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_array()) return fail(400, kValidDataRequired);
    arrays[i] = &*it;
    total += it->size();
    if (it->size() > static_cast<size_t>(options_.max_objects)) over_cap = true;
  }
  if (!options_.per_array_cap) over_cap = total > static_cast<size_t>(options_.max_objects);
  // Over the cap is fatal for the whole request: nothing is processed.
  if (over_cap) return fail(400, kMaxInputLength);
  if (total == 0) return fail(400, kValidDataRequired);

  OrderedJson errors = OrderedJson::array();
  Json accepted = {
      {"attributes", Json::array()}, {"events", Json::array()}, {"purchases", Json::array()}};
  size_t processed[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (arrays[i] == nullptr) continue;
    for (size_t index = 0; index < arrays[i]->size(); ++index) {
      const Json& object = (*arrays[i])[index];
      if (std::optional<std::string> error = CheckObject(i, object)) {
        errors.push_back({{"type", *error}, {"input_array", kArrayNames[i]}, {"index", index}});
      } else {
        accepted[kArrayNames[i]].push_back(object);
        ++processed[i];
      }
    }
  }
  if (processed[0] + processed[1] + processed[2] == 0) {
    out.status = 400;
    out.body = {{"message", kValidDataRequired}, {"errors", errors}};
    return out;
  }
  out.status = 201;
  out.body = {{"message", "success"}};
  for (int i = 0; i < 3; ++i) {
    if (arrays[i] != nullptr) out.body[absl::StrCat(kArrayNames[i], "_processed")] = processed[i];
  }
  if (!errors.empty()) out.body["errors"] = errors;
  out.accepted = std::move(accepted);
  return out;
}

void BrazeEmulator::Record(uint64_t seq, absl::Time received, const httplib::Request& req,
                           int status, const std::string& response_body, const Json* accepted) {
  Entry entry;
  RecordedRequest& r = entry.request;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.headers) {
    std::string key = absl::AsciiStrToLower(name);
    // httplib stores the peer/local endpoints as pseudo-headers.
    if (key == "remote_addr" || key == "remote_port" || key == "local_addr" ||
        key == "local_port") {
      continue;
    }
    std::string shown = value;
    if (key == "authorization") {
      shown = absl::StartsWith(value, "Bearer ") ? "Bearer <redacted>" : "<redacted>";
    }
    auto [it, inserted] = r.headers.emplace(key, shown);
    if (!inserted) absl::StrAppend(&it->second, ", ", shown);
  }
  r.headers.emplace("authorization", "<missing>");  // no-op when present
  r.body = req.body;
  r.status = status;
  r.response_body = response_body;
  r.received = received;
  if (accepted != nullptr) entry.accepted = *accepted;

  absl::MutexLock lock(&mu_);
  ++stats_.requests;
  ++stats_.by_status[status];
  if (accepted != nullptr) {
    stats_.attributes_accepted += (*accepted)["attributes"].size();
    stats_.events_accepted += (*accepted)["events"].size();
    stats_.purchases_accepted += (*accepted)["purchases"].size();
  }
  entries_.emplace_hint(entries_.end(), seq, std::move(entry));
  if (options_.record_limit > 0) {
    while (entries_.size() > options_.record_limit) entries_.erase(entries_.begin());
  }
}

}  // namespace brazesync::emulator
