// Defaults of the per-call limits the gRPC edge enforces, written once for
// the places that hold them: ServerOptions (server.h; main.cc's flags default
// from it) and the service's own policy (ServicePolicy in
// rpc/brazesync_service.h). Header-only and free of gRPC, so any floor at or
// below the rpc folder may include it.
#ifndef BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_
#define BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_

namespace brazesync {

// Most items (attributes + events + purchases) in one TrackRequest; 0 means
// no cap. It bounds what one call can make the server validate, convert and
// queue at once.
inline constexpr int kDefaultMaxItemsPerRequest = 10'000;

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_
