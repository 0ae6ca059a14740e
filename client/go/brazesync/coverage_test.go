package brazesync

// Every rpc of every BrazeSync service has a Client method: the test walks
// the generated file descriptors of package brazesync.v1 (protoregistry), so
// an rpc added to the protos and regenerated fails here until the client
// gains its method.

import (
	"context"
	"reflect"
	"sort"
	"testing"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

var (
	contextType = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType   = reflect.TypeOf((*error)(nil)).Elem()
	messageType = reflect.TypeOf((*proto.Message)(nil)).Elem()
)

// messageName is the full proto name of t when t is a generated message pointer.
func messageName(t reflect.Type) protoreflect.FullName {
	if !t.Implements(messageType) || t.Kind() != reflect.Ptr {
		return ""
	}
	return reflect.Zero(t).Interface().(proto.Message).ProtoReflect().Descriptor().FullName()
}

func TestEveryRpcHasAClientMethod(t *testing.T) {
	_ = pb.File_brazesync_v1_brazesync_proto // links the generated package's files
	client := reflect.TypeOf(&Client{})
	var services []string
	protoregistry.GlobalFiles.RangeFilesByPackage("brazesync.v1", func(file protoreflect.FileDescriptor) bool {
		for i := 0; i < file.Services().Len(); i++ {
			service := file.Services().Get(i)
			services = append(services, string(service.Name()))
			for j := 0; j < service.Methods().Len(); j++ {
				checkMethod(t, client, service.Methods().Get(j))
			}
		}
		return true
	})
	sort.Strings(services)
	want := []string{"BrazeIdentity", "BrazeLookup", "BrazeMessaging", "BrazeSubscriptions", "BrazeSync", "BrazeSyncAdmin"}
	if !reflect.DeepEqual(services, want) {
		t.Errorf("services walked = %v, want %v", services, want)
	}
}

// checkMethod: a unary rpc X is `X(ctx, *Req) (*Res, error)` with the rpc's
// own message types; a streaming one is `X(ctx) (stream, error)`.
func checkMethod(t *testing.T, client reflect.Type, rpc protoreflect.MethodDescriptor) {
	t.Helper()
	name := string(rpc.FullName())
	m, ok := client.MethodByName(string(rpc.Name()))
	if !ok {
		t.Errorf("%s: Client has no method %s", name, rpc.Name())
		return
	}
	f := m.Type // the receiver is In(0)
	if f.NumIn() < 2 || f.In(1) != contextType || f.NumOut() != 2 || f.Out(1) != errorType {
		t.Errorf("%s: Client.%s has signature %v, want (ctx, ...) (..., error)", name, rpc.Name(), f)
		return
	}
	if rpc.IsStreamingClient() || rpc.IsStreamingServer() {
		if f.NumIn() != 2 {
			t.Errorf("%s: streaming Client.%s takes %v, want only a context", name, rpc.Name(), f)
		}
		return
	}
	if f.NumIn() != 3 || messageName(f.In(2)) != rpc.Input().FullName() || messageName(f.Out(0)) != rpc.Output().FullName() {
		t.Errorf("%s: Client.%s is %v, want (ctx, *%s) (*%s, error)", name, rpc.Name(), f,
			rpc.Input().FullName(), rpc.Output().FullName())
	}
}
