// What a live server exposes, asked the way a client would: raw gRPC
// streaming calls over a GenericStub, and the list of services from server
// reflection (grpc.reflection.v1alpha, described by Debian's grpc-proto). The
// end-to-end tests that walk "every rpc of every service" (caller roles, the
// HTTP/JSON gateway) take the services from here, so a service the server
// serves cannot be left out of a walk.
#ifndef BRAZESYNC_TESTS_INTEGRATION_REFLECTED_SERVICES_H_
#define BRAZESYNC_TESTS_INTEGRATION_REFLECTED_SERVICES_H_

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace brazesync::testing_support {

inline grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// One streaming call of raw messages: writes `requests`, half-closes, reads
// every response, and reports the final status.
class RawStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawStream(grpc::GenericStub* stub, grpc::ClientContext* context, const std::string& method,
            std::vector<std::string> requests)
      : requests_(std::move(requests)) {
    stub->PrepareBidiStreamingCall(context, method, grpc::StubOptions(), this);
    StartRead(&response_);
    WriteNext();
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    responses_.push_back(FromByteBuffer(response_));
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

  grpc::Status Await() { return done_.get_future().get(); }
  const std::vector<std::string>& responses() const { return responses_; }

 private:
  void WriteNext() {
    if (next_ < requests_.size()) {
      request_ = ToByteBuffer(requests_[next_++]);
      StartWrite(&request_);
    } else {
      StartWritesDone();
    }
  }

  std::vector<std::string> requests_;
  size_t next_ = 0;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::vector<std::string> responses_;
  std::promise<grpc::Status> done_;
};

// The full names of the services the server behind `stub` lists through
// reflection (a test failure and {} when it cannot be asked).
inline std::vector<std::string> ReflectedServices(grpc::GenericStub& stub) {
  google::protobuf::compiler::DiskSourceTree tree;
  tree.MapPath("", "/usr/share/grpc-proto");
  google::protobuf::compiler::Importer importer(&tree, nullptr);
  const google::protobuf::FileDescriptor* file =
      importer.Import("grpc/reflection/v1alpha/reflection.proto");
  if (file == nullptr) {
    ADD_FAILURE() << "grpc-proto's reflection.proto is missing (scripts/install_deps.sh)";
    return {};
  }
  google::protobuf::DynamicMessageFactory factory(importer.pool());
  const auto* request_type =
      importer.pool()->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
  const auto* response_type =
      importer.pool()->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
  std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(request_type)->New());
  request->GetReflection()->SetString(request.get(), request_type->FindFieldByName("list_services"),
                                      "*");
  grpc::ClientContext context;
  RawStream stream(&stub, &context,
                   "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                   {request->SerializeAsString()});
  const grpc::Status status = stream.Await();
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const std::string& bytes : stream.responses()) {
    std::unique_ptr<google::protobuf::Message> response(factory.GetPrototype(response_type)->New());
    EXPECT_TRUE(response->ParseFromString(bytes));
    const auto* list_field = response_type->FindFieldByName("list_services_response");
    const auto& list = response->GetReflection()->GetMessage(*response, list_field);
    const auto* service_field = list.GetDescriptor()->FindFieldByName("service");
    const auto* name_field = service_field->message_type()->FindFieldByName("name");
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field); ++i) {
      const auto& service = list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(service.GetReflection()->GetString(service, name_field));
    }
  }
  return names;
}

}  // namespace brazesync::testing_support

#endif  // BRAZESYNC_TESTS_INTEGRATION_REFLECTED_SERVICES_H_
