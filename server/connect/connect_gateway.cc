// The Connect HTTP listener: see connect_gateway.h. Each request is checked
// against the Connect unary rules (connect_protocol.h), decoded into its
// request message, called through the in-process gRPC channel, and answered
// in the request's codec or as a Connect JSON error.
#include "server/connect/connect_gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <httplib.h>

#include <future>
#include <optional>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/connect/connect_protocol.h"

namespace brazesync {
namespace {

using ::google::protobuf::MethodDescriptor;

// Worker threads of the HTTP server. A sync Track holds its thread until
// Braze has answered (up to the call's deadline), so the pool must be large
// enough for many such calls to wait while others are served; callers that
// need more concurrency than this use the gRPC port (no thread per call).
constexpr int kWorkerThreads = 64;
// Only services of this package are served (not health, not reflection).
constexpr absl::string_view kServedPackage = "brazesync.v1.";

// Request headers that describe the HTTP hop or the Connect envelope, not the
// call, and the entries httplib adds itself (REMOTE_ADDR & co.): never
// forwarded as gRPC metadata.
bool IsHopOrEnvelopeHeader(absl::string_view name) {
  static constexpr absl::string_view kHop[] = {
      "host",        "connection",  "keep-alive", "proxy-connection",
      "te",          "trailer",     "upgrade",    "transfer-encoding",
      "expect",      "accept",      "user-agent", "accept-encoding",
      "remote_addr", "remote_port", "local_addr", "local_port"};
  static constexpr absl::string_view kPrefixes[] = {"content-", "connect-", "grpc-", "proxy-"};
  if (absl::c_linear_search(kHop, name)) return true;
  return absl::c_any_of(
      kPrefixes, [name](absl::string_view prefix) { return absl::StartsWith(name, prefix); });
}

// gRPC metadata names: lower-case letters, digits, '-', '_' and '.'.
bool IsMetadataName(absl::string_view name) {
  return !name.empty() && absl::c_all_of(name, [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.';
  });
}

bool IsPrintableAscii(absl::string_view value) {
  return absl::c_all_of(value, [](char c) { return c >= 0x20 && c <= 0x7e; });
}

void WriteError(httplib::Response& res, absl::StatusCode code, absl::string_view message,
                absl::string_view status_details = {}, std::optional<int> http_status = {}) {
  res.status = http_status.value_or(ConnectCodeOf(code).http_status);
  res.set_content(ConnectErrorJson(code, message, status_details).dump(), "application/json");
}

void WriteError(httplib::Response& res, const absl::Status& status,
                std::optional<int> http_status = {}) {
  WriteError(res, status.code(), status.message(), {}, http_status);
}

// The unary or streaming method `path` ("/brazesync.v1.BrazeSync/Track")
// names, or nullptr when it names none of the served package.
const MethodDescriptor* FindMethod(absl::string_view path) {
  if (!absl::ConsumePrefix(&path, "/")) return nullptr;
  const size_t slash = path.find('/');
  if (slash == absl::string_view::npos) return nullptr;
  const absl::string_view service_name = path.substr(0, slash);
  const absl::string_view method_name = path.substr(slash + 1);
  if (!absl::StartsWith(service_name, kServedPackage)) return nullptr;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_name));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(method_name));
}

absl::Status UnknownPath(absl::string_view path) {
  return absl::UnimplementedError(absl::StrCat(
      "no rpc at ", path, "; the unary rpcs of brazesync.v1 are served at POST /brazesync.v1.",
      "<Service>/<Method>, e.g. POST /brazesync.v1.BrazeSync/Track"));
}

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// The request body in `codec` as the method's serialized request message.
absl::StatusOr<std::string> DecodeRequest(const MethodDescriptor& method, ConnectCodec codec,
                                          const std::string& body) {
  const google::protobuf::Descriptor* type = method.input_type();
  std::unique_ptr<google::protobuf::Message> message = NewMessage(type);
  if (codec == ConnectCodec::kProto) {
    if (!message->ParseFromString(body)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the body is not a binary ", type->full_name(), " (application/proto)"));
    }
    return body;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field must not be dropped silently
  if (const auto parsed = google::protobuf::util::JsonStringToMessage(body, message.get(), options);
      !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body is not a ", type->full_name(),
                     " in protobuf JSON: ", parsed.message().ToString()));
  }
  return message->SerializeAsString();
}

// The response message's bytes in `codec`.
absl::StatusOr<std::string> EncodeResponse(const MethodDescriptor& method, ConnectCodec codec,
                                           std::string bytes) {
  if (codec == ConnectCodec::kProto) return bytes;
  std::unique_ptr<google::protobuf::Message> message = NewMessage(method.output_type());
  if (!message->ParseFromString(bytes)) {
    return absl::InternalError(
        absl::StrCat("the server's ", method.output_type()->full_name(), " could not be decoded"));
  }
  std::string json;
  if (const auto printed = google::protobuf::util::MessageToJsonString(*message, &json);
      !printed.ok()) {
    return absl::InternalError(
        absl::StrCat("the server's ", method.output_type()->full_name(),
                     " could not be written as JSON: ", printed.message().ToString()));
  }
  return json;
}

// The HTTP request's call-level headers as gRPC metadata (binary -bin values
// base64-decoded); INVALID_ARGUMENT for a -bin value that is not base64.
absl::Status ForwardHeaders(const httplib::Headers& headers, grpc::ClientContext& context) {
  for (const auto& [raw_name, value] : headers) {
    const std::string name = absl::AsciiStrToLower(raw_name);
    if (IsHopOrEnvelopeHeader(name) || !IsMetadataName(name)) continue;
    if (absl::EndsWith(name, "-bin")) {
      std::optional<std::string> decoded = DecodeBinaryHeader(value);
      if (!decoded.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("header ", raw_name, ": a -bin header carries base64"));
      }
      context.AddMetadata(name, *decoded);
    } else if (IsPrintableAscii(value)) {
      context.AddMetadata(name, value);
    }
  }
  return absl::OkStatus();
}

// Response metadata as headers (trailers prefixed "trailer-", the Connect
// unary rule); gRPC's own entries stay behind.
void WriteMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                   absl::string_view prefix, httplib::Response& res) {
  for (const auto& [key_ref, value_ref] : metadata) {
    const absl::string_view key(key_ref.data(), key_ref.size());
    const absl::string_view value(value_ref.data(), value_ref.size());
    if (absl::StartsWith(key, "grpc-") || key == "content-type") continue;
    res.set_header(absl::StrCat(prefix, key),
                   absl::EndsWith(key, "-bin") ? EncodeBinaryHeader(value) : std::string(value));
  }
}

std::string BufferBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// One Connect unary call: everything checked, then the gRPC call.
class ConnectUnaryCall final {
 public:
  ConnectUnaryCall(const httplib::Request& req, httplib::Response& res, grpc::GenericStub& stub)
      : req_(req), res_(res), stub_(stub) {}

  void Run(const MethodDescriptor& method, const std::string& body) {
    const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
    if (absl::Status version =
            CheckProtocolVersion(req_.get_header_value("Connect-Protocol-Version"));
        !version.ok()) {
      return WriteError(res_, version);
    }
    absl::StatusOr<ConnectCodec> codec = ParseContentType(req_.get_header_value("Content-Type"));
    if (!codec.ok()) {
      res_.set_header("Accept-Post", kAcceptedContentTypes);
      return WriteError(res_, codec.status(), 415);
    }
    absl::StatusOr<std::optional<absl::Duration>> timeout =
        ParseTimeoutMs(req_.get_header_value("Connect-Timeout-Ms"));
    if (!timeout.ok()) return WriteError(res_, timeout.status());
    absl::StatusOr<std::string> request = DecodeRequest(method, *codec, body);
    if (!request.ok()) return WriteError(res_, request.status());

    grpc::ClientContext context;
    if (timeout->has_value()) context.set_deadline(absl::ToChronoTime(absl::Now() + **timeout));
    if (absl::Status forwarded = ForwardHeaders(req_.headers, context); !forwarded.ok()) {
      return WriteError(res_, forwarded);
    }
    grpc::Slice slice(*request);
    grpc::ByteBuffer request_buffer(&slice, 1);
    grpc::ByteBuffer response_buffer;
    std::promise<grpc::Status> done;
    stub_.UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                    [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const grpc::Status status = done.get_future().get();

    WriteMetadata(context.GetServerInitialMetadata(), "", res_);
    WriteMetadata(context.GetServerTrailingMetadata(), "trailer-", res_);
    if (!status.ok()) {
      return WriteError(res_, static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message(), status.error_details());
    }
    absl::StatusOr<std::string> response =
        EncodeResponse(method, *codec, BufferBytes(response_buffer));
    if (!response.ok()) return WriteError(res_, response.status());
    res_.status = 200;
    res_.set_content(*std::move(response), std::string(ContentTypeOf(*codec)));
  }

 private:
  const httplib::Request& req_;
  httplib::Response& res_;
  grpc::GenericStub& stub_;
};

// host:port (host may be [v6]) -> host, port.
absl::StatusOr<std::pair<std::string, int>> SplitListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_listen: \"", listen, "\" is not host:port (port 0 = a free port)"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectGateway>> ConnectGateway::Start(
    const ConnectGatewayOptions& options, std::shared_ptr<grpc::Channel> channel) {
  absl::StatusOr<std::pair<std::string, int>> address = SplitListen(options.listen);
  if (!address.ok()) return address.status();
  std::unique_ptr<httplib::Server> http;
  if (options.tls.cert_file().empty()) {
    http = std::make_unique<httplib::Server>();
  } else {
    // Debian's cpp-httplib is built with CPPHTTPLIB_OPENSSL_SUPPORT. The files
    // are read once here: certificate rotation on this port needs a restart.
    const std::string& client_ca = options.tls.client_ca_file();
    auto https = std::make_unique<httplib::SSLServer>(
        options.tls.cert_file().c_str(), options.tls.key_file().c_str(),
        client_ca.empty() ? nullptr : client_ca.c_str());
    if (!https->is_valid()) {
      return absl::FailedPreconditionError(
          "http_listen: the TLS certificate, key or client CA (tls.*) could not be loaded for "
          "the HTTPS listener");
    }
    http = std::move(https);
  }
  std::unique_ptr<ConnectGateway> gateway(
      new ConnectGateway(options, std::move(channel), std::move(http)));
  gateway->InstallHandlers();
  const auto& [host, port] = *address;
  gateway->port_ = port == 0 ? gateway->http_->bind_to_any_port(host)
                             : (gateway->http_->bind_to_port(host, port) ? port : -1);
  if (gateway->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http_listen: could not listen on \"", options.listen, "\""));
  }
  gateway->listener_ = std::thread([http = gateway->http_.get()] { http->listen_after_bind(); });
  // httplib's stop() does nothing until the listen loop runs (it marks itself
  // running first thing): wait for that, or an early StopAccepting would be
  // lost and Wait() would never return.
  while (!gateway->http_->is_running()) std::this_thread::yield();
  return gateway;
}

ConnectGateway::ConnectGateway(const ConnectGatewayOptions& options,
                               std::shared_ptr<grpc::Channel> channel,
                               std::unique_ptr<httplib::Server> http)
    : max_body_bytes_(options.max_body_bytes),
      channel_(std::move(channel)),
      stub_(channel_),
      http_(std::move(http)) {}

ConnectGateway::~ConnectGateway() {
  StopAccepting();
  Wait();
}

void ConnectGateway::StopAccepting() { http_->stop(); }

bool ConnectGateway::WaitIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_under_way_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

void ConnectGateway::Wait() {
  if (listener_.joinable()) listener_.join();
}

void ConnectGateway::InstallHandlers() {
  http_->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // Raw bodies (Content-Length) over the limit are refused before they are
  // read; chunked and compressed ones are counted below as they arrive.
  http_->set_payload_max_length(max_body_bytes_);

  http_->Post(".*", [this](const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& content_reader) {
    {
      absl::MutexLock lock(&mu_);
      ++calls_under_way_;
    }
    const absl::Cleanup call_done = [this] {
      absl::MutexLock lock(&mu_);
      --calls_under_way_;
    };
    // The whole body is always read (past the limit: counted, not kept), so
    // the connection stays in step for the next request.
    std::string body;
    bool too_large = false;
    const bool read = content_reader([&](const char* data, size_t size) {
      if (too_large || body.size() + size > max_body_bytes_) {
        too_large = true;
        body.clear();
      } else {
        body.append(data, size);
      }
      return true;
    });
    if (!read && res.status == 413) too_large = true;
    const MethodDescriptor* method = FindMethod(req.path);
    if (method == nullptr) return WriteError(res, UnknownPath(req.path), 404);
    if (method->client_streaming() || method->server_streaming()) {
      return WriteError(
          res, absl::UnimplementedError(absl::StrCat(
                   method->full_name(),
                   " is a streaming rpc; the HTTP/JSON listener serves unary rpcs only: send the "
                   "items in one POST /brazesync.v1.BrazeSync/Track, or stream over gRPC")));
    }
    if (absl::Status encoding = CheckContentEncoding(req.get_header_value("Content-Encoding"));
        !encoding.ok()) {
      res.set_header("Accept-Encoding", kAcceptedContentEncodings);
      return WriteError(res, encoding);
    }
    if (too_large) {
      return WriteError(res, absl::ResourceExhaustedError(absl::StrCat(
                                 "the request body is larger than the limit of ", max_body_bytes_,
                                 " bytes (max_receive_message_bytes)")));
    }
    if (!read) {
      return WriteError(res, absl::InvalidArgumentError(
                                 "the request body could not be read (cut short, or not valid "
                                 "for its Content-Encoding)"));
    }
    ConnectUnaryCall(req, res, stub_).Run(*method, body);
  });

  // Connect unary calls are POSTs; other methods get 405 on an rpc path.
  const httplib::Server::Handler not_post = [](const httplib::Request& req,
                                               httplib::Response& res) {
    if (FindMethod(req.path) == nullptr) return WriteError(res, UnknownPath(req.path), 404);
    res.set_header("Allow", "POST");
    WriteError(res,
               absl::UnimplementedError(absl::StrCat(req.method, " is not served; call ", req.path,
                                                     " with POST (Connect unary)")),
               405);
  };
  http_->Get(".*", not_post);
  http_->Put(".*", not_post);
  http_->Delete(".*", not_post);
  http_->Patch(".*", not_post);
  http_->Options(".*", not_post);

  // Errors httplib answers itself (malformed requests, oversized bodies on
  // other methods) get a Connect JSON body too.
  http_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const absl::StatusCode code = res.status == 413  ? absl::StatusCode::kResourceExhausted
                                      : res.status < 500 ? absl::StatusCode::kInvalidArgument
                                                         : absl::StatusCode::kUnknown;
        WriteError(res, code, absl::StrCat("HTTP ", res.status), {}, res.status);
        return httplib::Server::HandlerResponse::Handled;
      }));
}

}  // namespace brazesync
