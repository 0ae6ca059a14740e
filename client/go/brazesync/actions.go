package brazesync

// The Braze actions: BrazeIdentity (aliases, identify, merge, delete,
// rename), BrazeMessaging (API-triggered Canvases and campaigns) and
// BrazeSubscriptions (subscription-group state). See identity.proto,
// messaging.proto and subscriptions.proto, and docs/actions.md.
//
// Every rpc answers one ActionResult per item (ACCEPTED, APPLIED,
// REJECTED_INVALID, REJECTED_BY_BRAZE, FAILED, DEFERRED, VALID, DUPLICATE);
// Braze being slow, throttled or down is a result, never an error. The
// error (an *Error) is InvalidArgument with Violations (an invalid item
// without AllowPartial), NotFound (workspace), FailedPrecondition (Braze
// refused the workspace's key), Unauthenticated / PermissionDenied (the
// caller needs the identity, messaging or subscriptions role) or
// ResourceExhausted. Like every call of this client, one attempt: nothing is
// retried. Each method is one line over invoke (client.go); the one-item
// helpers at the end share firstResult.

import (
	"context"
	"fmt"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	"google.golang.org/protobuf/types/known/structpb"
)

// CreateAlias calls BrazeIdentity.CreateAlias (POST /users/alias/new). Braze
// answers success even when the pair is in use: items come back ACCEPTED
// with ACTION_WARNING_SUCCESS_MAY_BE_NOOP.
func (c *Client) CreateAlias(ctx context.Context, req *pb.CreateAliasRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.CreateAlias)
}

// IdentifyUsers calls BrazeIdentity.IdentifyUsers (POST /users/identify).
func (c *Client) IdentifyUsers(ctx context.Context, req *pb.IdentifyUsersRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.IdentifyUsers)
}

// MergeUsers calls BrazeIdentity.MergeUsers (POST /users/merge; Braze merges later).
func (c *Client) MergeUsers(ctx context.Context, req *pb.MergeUsersRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.MergeUsers)
}

// DeleteUsers calls BrazeIdentity.DeleteUsers (POST /users/delete). It is
// irreversible: the request needs ConfirmIrreversible.
func (c *Client) DeleteUsers(ctx context.Context, req *pb.DeleteUsersRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.DeleteUsers)
}

// RenameExternalIds calls BrazeIdentity.RenameExternalIds (POST /users/external_ids/rename).
func (c *Client) RenameExternalIds(ctx context.Context, req *pb.RenameExternalIdsRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.RenameExternalIds)
}

// RemoveExternalIds calls BrazeIdentity.RemoveExternalIds (POST /users/external_ids/remove).
func (c *Client) RemoveExternalIds(ctx context.Context, req *pb.RemoveExternalIdsRequest) (*pb.IdentityResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.identity.RemoveExternalIds)
}

// TriggerCanvas calls BrazeMessaging.TriggerCanvas (POST /canvas/trigger/send).
// A trigger is not idempotent: after DeadlineExceeded, Unavailable or
// Canceled the request may have reached the server and Braze may have sent,
// so do not resend it blindly (the client never does). A recipient that comes
// back FAILED with Retryable false may have received the message.
func (c *Client) TriggerCanvas(ctx context.Context, req *pb.TriggerCanvasRequest) (*pb.TriggerResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.messaging.TriggerCanvas)
}

// TriggerCampaign calls BrazeMessaging.TriggerCampaign (POST
// /campaigns/trigger/send); never retried, as TriggerCanvas.
func (c *Client) TriggerCampaign(ctx context.Context, req *pb.TriggerCampaignRequest) (*pb.TriggerResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.messaging.TriggerCampaign)
}

// SetSubscriptionStatus calls BrazeSubscriptions.SetSubscriptionStatus (POST
// /v2/subscription/status/set).
func (c *Client) SetSubscriptionStatus(ctx context.Context, req *pb.SetSubscriptionStatusRequest) (*pb.SetSubscriptionStatusResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.subscriptions.SetSubscriptionStatus)
}

// Accepted reports whether an action result went through: ACCEPTED,
// APPLIED, VALID (ValidateOnly) or DUPLICATE. ACCEPTED means Braze took the
// item, not that its effect is visible yet (see its Warnings).
func Accepted(r *pb.ActionResult) bool {
	switch r.GetStatus() {
	case pb.ActionStatus_ACTION_STATUS_ACCEPTED, pb.ActionStatus_ACTION_STATUS_APPLIED,
		pb.ActionStatus_ACTION_STATUS_VALID, pb.ActionStatus_ACTION_STATUS_DUPLICATE:
		return true
	}
	return false
}

// AllAccepted reports whether results is not empty and every result is Accepted.
func AllAccepted(results []*pb.ActionResult) bool {
	for _, r := range results {
		if !Accepted(r) {
			return false
		}
	}
	return len(results) > 0
}

// Alias is a UserAlias.
func Alias(label, name string) *pb.UserAlias {
	return &pb.UserAlias{AliasLabel: label, AliasName: name}
}

// actionResponse is an action rpc's answer: one ActionResult per item.
type actionResponse interface {
	GetResults() []*pb.ActionResult
}

// firstResult is the one-item helpers' answer: the first result with the
// response, or the call's error.
func firstResult[Res actionResponse](res Res, err error, rpc string) (*pb.ActionResult, Res, error) {
	if err != nil {
		var zero Res
		return nil, zero, err
	}
	if len(res.GetResults()) == 0 {
		return nil, res, fmt.Errorf("brazesync: %s answered no result", rpc)
	}
	return res.GetResults()[0], res, nil
}

// CreateUserAlias adds the alias (label, name) to the user with externalID;
// with externalID "" Braze creates an alias-only user (an anonymous visitor).
func (c *Client) CreateUserAlias(ctx context.Context, label, name, externalID string) (*pb.ActionResult, *pb.IdentityResponse, error) {
	item := &pb.NewUserAlias{AliasLabel: label, AliasName: name}
	if externalID != "" {
		item.ExternalId = &externalID
	}
	res, err := c.CreateAlias(ctx, &pb.CreateAliasRequest{UserAliases: []*pb.NewUserAlias{item}})
	return firstResult(res, err, "CreateAlias")
}

// IdentifyAlias identifies the alias-only profile (label, name) as
// externalID: Braze merges it into that user.
func (c *Client) IdentifyAlias(ctx context.Context, externalID, label, name string) (*pb.ActionResult, *pb.IdentityResponse, error) {
	res, err := c.IdentifyUsers(ctx, &pb.IdentifyUsersRequest{AliasesToIdentify: []*pb.AliasToIdentify{
		{ExternalId: externalID, UserAlias: Alias(label, name)}}})
	return firstResult(res, err, "IdentifyUsers")
}

// TriggerCanvasFor puts the user with externalID into an API-triggered
// Canvas with canvasContext ({{context.KEY}}; nil for none), writing
// attributes (a UserProfile without User; nil for none) to the user first.
// Never retried (see TriggerCanvas).
func (c *Client) TriggerCanvasFor(ctx context.Context, externalID, canvasID string,
	canvasContext map[string]interface{}, attributes *pb.UserProfile) (*pb.ActionResult, *pb.TriggerResponse, error) {
	recipient := &pb.Recipient{Id: &pb.Recipient_ExternalUserId{ExternalUserId: externalID}, Attributes: attributes}
	if canvasContext != nil {
		s, err := structpb.NewStruct(canvasContext)
		if err != nil {
			return nil, nil, fmt.Errorf("brazesync: canvas context: %w", err)
		}
		recipient.Context = s
	}
	res, err := c.TriggerCanvas(ctx, &pb.TriggerCanvasRequest{CanvasId: canvasID, Recipients: []*pb.Recipient{recipient}})
	return firstResult(res, err, "TriggerCanvas")
}

// SubscribeUser sets the user's state in a subscription group (subscribed
// or, with false, unsubscribed).
func (c *Client) SubscribeUser(ctx context.Context, externalID, groupID string, subscribed bool) (*pb.ActionResult, *pb.SetSubscriptionStatusResponse, error) {
	state := pb.SubscriptionState_SUBSCRIPTION_STATE_SUBSCRIBED
	if !subscribed {
		state = pb.SubscriptionState_SUBSCRIPTION_STATE_UNSUBSCRIBED
	}
	res, err := c.SetSubscriptionStatus(ctx, &pb.SetSubscriptionStatusRequest{SubscriptionGroups: []*pb.SubscriptionGroupStatus{
		{SubscriptionGroupId: groupID, SubscriptionState: state, ExternalIds: []string{externalID}}}})
	return firstResult(res, err, "SetSubscriptionStatus")
}
