// BrazeSync's Go client module (docs/clients/go.md). It lives in client/go,
// so its versions are tags client/go/vX.Y.Z. The versions below are those
// tested (Debian 12's Go packages) or, where a dependency's go.mod asks for
// more (genproto, golang.org/x/sys), the ones Go's version selection picks.
// No go.sum is committed: dependents record checksums in their own go.sum.
module github.com/brazesync/brazesync/client/go

go 1.19

require (
	github.com/golang/protobuf v1.5.2
	google.golang.org/genproto v0.0.0-20200526211855-cb27e3aa2013
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

require (
	golang.org/x/net v0.7.0 // indirect
	golang.org/x/sys v0.5.0 // indirect
	golang.org/x/text v0.7.0 // indirect
)
