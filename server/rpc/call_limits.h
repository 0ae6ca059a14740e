// Defaults of the per-call limits the gRPC edge enforces (CallGate,
// rpc/call_gate.h), written once: ServerOptions (server.h) defaults from
// them and main.cc's flags default from ServerOptions. Header-only and free
// of gRPC.
#ifndef BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_
#define BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_

namespace brazesync {

// Most items (attributes + events + purchases) in one TrackRequest; 0 means
// no cap. It bounds what one call can make the server validate, convert and
// queue at once.
inline constexpr int kDefaultMaxItemsPerRequest = 10'000;

}  // namespace brazesync

#endif  // BRAZESYNC_SERVER_RPC_CALL_LIMITS_H_
