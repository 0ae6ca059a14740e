package brazesync

// BrazeSyncAdmin: where an accepted event or purchase is, and the
// dead-letter store (list, inspect, replay, purge). See admin.proto and
// docs/operations.md. The server needs a data directory (--data_dir);
// without one every rpc fails FailedPrecondition. A caller needs the admin
// role in the workspace a request acts on.
//
// WithWorkspace does not apply here: an admin request that names no
// workspace has a meaning of its own (GetItemStatus: the server's default
// workspace; ListDeadLetters, ReplayDeadLetters, PurgeDeadLetters: every
// workspace, with the admin role in "*").

import (
	"context"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"
)

// GetItemStatus calls BrazeSyncAdmin.GetItemStatus: the state of the item
// with this event_id / purchase_id (NotFound when never accepted or gone
// from the idempotency window).
func (c *Client) GetItemStatus(ctx context.Context, req *pb.GetItemStatusRequest) (*pb.ItemState, error) {
	return invoke(ctx, c, req, c.admin.GetItemStatus)
}

// ListDeadLetters calls BrazeSyncAdmin.ListDeadLetters: one page, oldest
// first. Follow NextAfterId (as AfterId) until it is 0.
func (c *Client) ListDeadLetters(ctx context.Context, req *pb.ListDeadLettersRequest) (*pb.ListDeadLettersResponse, error) {
	return invoke(ctx, c, req, c.admin.ListDeadLetters)
}

// GetDeadLetter calls BrazeSyncAdmin.GetDeadLetter: one letter, whole
// (NotFound when absent).
func (c *Client) GetDeadLetter(ctx context.Context, req *pb.GetDeadLetterRequest) (*pb.DeadLetter, error) {
	return invoke(ctx, c, req, c.admin.GetDeadLetter)
}

// ReplayDeadLetters calls BrazeSyncAdmin.ReplayDeadLetters: the letters go
// back to the outbox; items delivered since are skipped, not sent twice.
func (c *Client) ReplayDeadLetters(ctx context.Context, req *pb.ReplayDeadLettersRequest) (*pb.ReplayDeadLettersResponse, error) {
	return invoke(ctx, c, req, c.admin.ReplayDeadLetters)
}

// PurgeDeadLetters calls BrazeSyncAdmin.PurgeDeadLetters: the letters are
// deleted for good.
func (c *Client) PurgeDeadLetters(ctx context.Context, req *pb.PurgeDeadLettersRequest) (*pb.PurgeDeadLettersResponse, error) {
	return invoke(ctx, c, req, c.admin.PurgeDeadLetters)
}
