// Package brazesync calls BrazeSync from Go: every rpc of its six services,
// BrazeSync (Track, TrackStream), BrazeSyncAdmin (admin.go), BrazeLookup
// (LookupUsers) and the Braze actions of BrazeIdentity, BrazeMessaging and
// BrazeSubscriptions (actions.go), over one connection, with a default
// deadline, bearer token and workspace, and failures as *Error with the
// google.rpc details decoded.
//
// The message types and stubs are the module's generated package
// github.com/brazesync/brazesync/client/go/brazesyncv1 (../generate.sh).
// google/rpc/status.proto maps to genproto's
// google.golang.org/genproto/googleapis/rpc/status: BrazeSync's own
// google/rpc protos are wire-compatible copies of googleapis', and grpc-go
// already links genproto's google.rpc types, so generating ours as well would
// register google.rpc.Status twice (a panic at init).
//
//	c, err := brazesync.Dial("127.0.0.1:50051", brazesync.WithTimeout(5*time.Second))
//	res, err := c.TrackEvent(ctx, "user-42", "quote_requested", map[string]interface{}{"plan": "premium"})
//	found, user, err := c.LookupUser(ctx, "user-42", brazesync.LookupOptions{MaxWait: 300 * time.Millisecond, MaxStale: time.Hour})
//	var e *brazesync.Error
//	if errors.As(err, &e) && e.Code == codes.InvalidArgument { ... e.Violations ... }
package brazesync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	protov1 "github.com/golang/protobuf/proto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DefaultTimeout is the deadline of a call whose context has none.
const DefaultTimeout = 10 * time.Second

type options struct {
	timeout     time.Duration
	token       string
	creds       credentials.TransportCredentials
	workspace   string
	dialOptions []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithTimeout sets the deadline applied to calls whose context has none
// (default DefaultTimeout; 0 means none).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithToken sends `authorization: Bearer TOKEN` with every call (for an
// authenticating proxy in front of BrazeSync).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTLS uses TLS with the given credentials instead of plaintext, e.g.
// credentials.NewClientTLSFromCert(nil, "") for the system roots.
func WithTLS(creds credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = creds }
}

// WithWorkspace sets the workspace of requests that name none (Track,
// LookupUsers and every action request).
func WithWorkspace(name string) Option { return func(o *options) { o.workspace = name } }

// WithDialOptions passes extra options to grpc.Dial.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

// Client is a BrazeSync client; safe for concurrent use. Close it when done.
type Client struct {
	conn          *grpc.ClientConn
	stub          pb.BrazeSyncClient
	admin         pb.BrazeSyncAdminClient
	lookup        pb.BrazeLookupClient
	identity      pb.BrazeIdentityClient
	messaging     pb.BrazeMessagingClient
	subscriptions pb.BrazeSubscriptionsClient
	opts          options
}

// Dial connects to BrazeSync at target ("host:port"). The connection is made
// lazily; errors surface on the first call.
func Dial(target string, opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	dialOpts := []grpc.DialOption{}
	if o.creds != nil {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(o.creds))
	} else {
		// grpc-go 1.33 has no credentials/insecure package.
		dialOpts = append(dialOpts, grpc.WithInsecure())
	}
	dialOpts = append(dialOpts, o.dialOptions...)
	conn, err := grpc.Dial(target, dialOpts...)
	if err != nil {
		return nil, err
	}
	return &Client{
		conn:          conn,
		stub:          pb.NewBrazeSyncClient(conn),
		admin:         pb.NewBrazeSyncAdminClient(conn),
		lookup:        pb.NewBrazeLookupClient(conn),
		identity:      pb.NewBrazeIdentityClient(conn),
		messaging:     pb.NewBrazeMessagingClient(conn),
		subscriptions: pb.NewBrazeSubscriptionsClient(conn),
		opts:          o,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Track sends one TrackRequest. On failure the error is an *Error.
func (c *Client) Track(ctx context.Context, req *pb.TrackRequest) (*pb.TrackResult, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.stub.Track)
}

// TrackStream opens BrazeSync.TrackStream, for high-volume producers: one
// TrackResult per TrackRequest, in request order, on one long-lived stream.
// A request Track would refuse does not end the stream: its result's Error
// holds the status (DecodeStatus reads it). The stream gets the client's
// token but no default deadline (it lives as long as ctx); cancel ctx, or
// CloseSend and Recv until io.EOF, to release it. Opening it returns an
// *Error, as do Send and Recv when the stream fails (UNAUTHENTICATED or
// PERMISSION_DENIED at its start; CANCELLED on cancellation).
func (c *Client) TrackStream(ctx context.Context) (*TrackStream, error) {
	stream, err := c.stub.TrackStream(c.withToken(ctx))
	if err != nil {
		return nil, FromError(err)
	}
	return &TrackStream{stream: stream, client: c}, nil
}

// TrackStream is an open BrazeSync.TrackStream (see Client.TrackStream).
// Send and Recv may run in different goroutines, but neither concurrently
// with itself.
type TrackStream struct {
	stream pb.BrazeSync_TrackStreamClient
	client *Client
}

// Send sends one request (with the client's workspace when it names none).
// An error means the stream broke: Recv returns why.
func (s *TrackStream) Send(req *pb.TrackRequest) error {
	return FromError(s.stream.Send(withWorkspace(s.client, req)))
}

// Recv returns the next result; io.EOF once the server has answered every
// request after CloseSend.
func (s *TrackStream) Recv() (*pb.TrackResult, error) {
	res, err := s.stream.Recv()
	return res, FromError(err) // io.EOF is not a status: it stays io.EOF
}

// CloseSend tells the server no more requests follow.
func (s *TrackStream) CloseSend() error { return s.stream.CloseSend() }

// invoke makes one unary call: the default deadline (when ctx has none), the
// token, and a failure as *Error. Every unary method goes through it.
func invoke[Req, Res any](ctx context.Context, c *Client, req Req,
	call func(context.Context, Req, ...grpc.CallOption) (Res, error)) (Res, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	res, err := call(ctx, req)
	if err != nil {
		var zero Res
		return zero, FromError(err)
	}
	return res, nil
}

// withWorkspace returns req, or a copy naming the client's default workspace
// when req has a `workspace` field and leaves it empty (Track, LookupUsers
// and every action request).
func withWorkspace[Req proto.Message](c *Client, req Req) Req {
	if c.opts.workspace == "" {
		return req
	}
	field := req.ProtoReflect().Descriptor().Fields().ByName("workspace")
	if field == nil || req.ProtoReflect().Get(field).String() != "" {
		return req
	}
	clone := proto.Clone(req).(Req)
	clone.ProtoReflect().Set(field, protoreflect.ValueOfString(c.opts.workspace))
	return clone
}

// callContext applies the default deadline (when ctx has none) and the token.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok && c.opts.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.opts.timeout)
	}
	return c.withToken(ctx), cancel
}

// withToken adds `authorization: Bearer TOKEN` when the client has a token.
func (c *Client) withToken(ctx context.Context) context.Context {
	if c.opts.token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.opts.token)
}

// LookupUsers sends one LookupUsersRequest (BrazeLookup; the caller needs the
// lookup role when the server configures callers). It answers with one
// LookupResult per identifier, whose Outcome is FOUND, NOT_FOUND, AMBIGUOUS,
// DEFERRED or ERROR: Braze being slow or down is an outcome, never an error.
// The request's MaxWait is the server's latency budget; keep the call's
// deadline above it. On failure the error is an *Error (InvalidArgument with
// Violations, NotFound workspace, PermissionDenied...).
func (c *Client) LookupUsers(ctx context.Context, req *pb.LookupUsersRequest) (*pb.LookupUsersResponse, error) {
	return invoke(ctx, c, withWorkspace(c, req), c.lookup.LookupUsers)
}

// LookupOptions are LookupUser's request options; zero values are left unset
// (the server's defaults). For a zero duration, call LookupUsers.
type LookupOptions struct {
	// Braze export fields, e.g. "first_name", "custom_attributes"; empty: the
	// workspace's default list.
	Fields []string
	// The latency budget: unanswered identifiers come back DEFERRED.
	MaxWait time.Duration
	// Cached data up to this old answers when Braze cannot within MaxWait.
	MaxStale time.Duration
	// Cached data younger than this answers without asking Braze.
	MaxAge      time.Duration
	CachePolicy pb.CachePolicy
	Workspace   string
}

// Request is the LookupUsersRequest of these options for externalIDs.
func (o LookupOptions) Request(externalIDs ...string) *pb.LookupUsersRequest {
	req := &pb.LookupUsersRequest{Workspace: o.Workspace, ExternalIds: externalIDs,
		FieldsToExport: o.Fields, CachePolicy: o.CachePolicy}
	if o.MaxWait != 0 {
		req.MaxWait = durationpb.New(o.MaxWait)
	}
	if o.MaxStale != 0 {
		req.MaxStale = durationpb.New(o.MaxStale)
	}
	if o.MaxAge != 0 {
		req.MaxAge = durationpb.New(o.MaxAge)
	}
	return req
}

// LookupUser looks one user up by external id. It returns the identifier's
// LookupResult and the user found (nil unless FOUND or AMBIGUOUS).
func (c *Client) LookupUser(ctx context.Context, externalID string, o LookupOptions) (*pb.LookupResult, *pb.ExportedUser, error) {
	res, err := c.LookupUsers(ctx, o.Request(externalID))
	if err != nil {
		return nil, nil, err
	}
	if len(res.GetResults()) == 0 {
		return nil, nil, fmt.Errorf("brazesync: LookupUsers answered no result")
	}
	result := res.GetResults()[0]
	return result, FoundUser(res, result), nil
}

// FoundUser is the user result found: its only user when FOUND, the first
// when AMBIGUOUS; nil otherwise.
func FoundUser(res *pb.LookupUsersResponse, result *pb.LookupResult) *pb.ExportedUser {
	switch result.GetOutcome() {
	case pb.LookupOutcome_LOOKUP_OUTCOME_FOUND, pb.LookupOutcome_LOOKUP_OUTCOME_AMBIGUOUS:
	default:
		return nil
	}
	idx := result.GetUserIndexes()
	if len(idx) == 0 || idx[0] < 0 || int(idx[0]) >= len(res.GetUsers()) {
		return nil
	}
	return res.GetUsers()[idx[0]]
}

// CustomAttributes is an exported user's custom attributes as Go values
// (numbers as float64); an empty map for nil.
func CustomAttributes(u *pb.ExportedUser) map[string]interface{} {
	if u.GetCustomAttributes() == nil {
		return map[string]interface{}{}
	}
	return u.GetCustomAttributes().AsMap()
}

// TrackEvent records one custom event for the user with externalID. props
// are the event properties as JSON-like values (string, float64, int, bool,
// nil, []interface{}, map[string]interface{}); nil for none. The event time
// is stamped by the server.
func (c *Client) TrackEvent(ctx context.Context, externalID, name string, props map[string]interface{}) (*pb.TrackResult, error) {
	ev := &pb.Event{User: ExternalID(externalID), Name: name}
	if props != nil {
		s, err := structpb.NewStruct(props)
		if err != nil {
			return nil, fmt.Errorf("brazesync: event properties: %w", err)
		}
		ev.Properties = s
	}
	return c.Track(ctx, &pb.TrackRequest{Events: []*pb.Event{ev}})
}

// Profile holds the standard profile fields for TrackUser; empty strings are
// not sent. Custom attributes take Go values: string, bool, int/int32/int64,
// float32/float64, time.Time, []string (array attribute), nil (removes the
// attribute), map[string]interface{} (nested object) or an *pb.AttributeValue.
type Profile struct {
	FirstName, LastName, Email, Phone, HomeCity string
	Country, Language, TimeZone, Dob            string
	Custom                                      map[string]interface{}
}

// TrackUser updates the profile of the user with externalID.
func (c *Client) TrackUser(ctx context.Context, externalID string, p Profile) (*pb.TrackResult, error) {
	up, err := p.toProto(externalID)
	if err != nil {
		return nil, err
	}
	return c.Track(ctx, &pb.TrackRequest{Attributes: []*pb.UserProfile{up}})
}

// ExternalID is a UserRef for an external_id.
func ExternalID(id string) *pb.UserRef {
	return &pb.UserRef{Id: &pb.UserRef_ExternalId{ExternalId: id}}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (p Profile) toProto(externalID string) (*pb.UserProfile, error) {
	up := &pb.UserProfile{
		User: ExternalID(externalID), FirstName: optional(p.FirstName), LastName: optional(p.LastName),
		Email: optional(p.Email), Phone: optional(p.Phone), HomeCity: optional(p.HomeCity),
		Country: optional(p.Country), Language: optional(p.Language), TimeZone: optional(p.TimeZone),
		Dob: optional(p.Dob),
	}
	if len(p.Custom) > 0 {
		up.CustomAttributes = make(map[string]*pb.AttributeValue, len(p.Custom))
		for k, v := range p.Custom {
			av, err := AttributeValue(v)
			if err != nil {
				return nil, fmt.Errorf("brazesync: custom attribute %q: %w", k, err)
			}
			up.CustomAttributes[k] = av
		}
	}
	return up, nil
}

// AttributeValue converts a Go value to a custom attribute value (see Profile).
func AttributeValue(v interface{}) (*pb.AttributeValue, error) {
	switch x := v.(type) {
	case *pb.AttributeValue:
		return x, nil
	case nil:
		return &pb.AttributeValue{Value: &pb.AttributeValue_NullValue{}}, nil
	case string:
		return &pb.AttributeValue{Value: &pb.AttributeValue_StringValue{StringValue: x}}, nil
	case bool:
		return &pb.AttributeValue{Value: &pb.AttributeValue_BoolValue{BoolValue: x}}, nil
	case int:
		return &pb.AttributeValue{Value: &pb.AttributeValue_IntValue{IntValue: int64(x)}}, nil
	case int32:
		return &pb.AttributeValue{Value: &pb.AttributeValue_IntValue{IntValue: int64(x)}}, nil
	case int64:
		return &pb.AttributeValue{Value: &pb.AttributeValue_IntValue{IntValue: x}}, nil
	case float32:
		return &pb.AttributeValue{Value: &pb.AttributeValue_DoubleValue{DoubleValue: float64(x)}}, nil
	case float64:
		return &pb.AttributeValue{Value: &pb.AttributeValue_DoubleValue{DoubleValue: x}}, nil
	case time.Time:
		return &pb.AttributeValue{Value: &pb.AttributeValue_TimeValue{TimeValue: timestamppb.New(x)}}, nil
	case []string:
		return &pb.AttributeValue{Value: &pb.AttributeValue_ArrayValue{ArrayValue: &pb.StringList{Values: x}}}, nil
	case map[string]interface{}:
		s, err := structpb.NewStruct(x)
		if err != nil {
			return nil, err
		}
		return &pb.AttributeValue{Value: &pb.AttributeValue_ObjectValue{ObjectValue: s}}, nil
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

// Violation is one invalid field: its path from the request root (e.g.
// "events[2].time") and why it is invalid.
type Violation struct {
	Field       string
	Description string
}

// Error is a failed BrazeSync call with the details from the
// grpc-status-details-bin trailer decoded.
type Error struct {
	Code    codes.Code
	Message string
	// From google.rpc.BadRequest (INVALID_ARGUMENT).
	Violations []Violation
	// From google.rpc.ErrorInfo, when sent.
	Reason   string
	Domain   string
	Metadata map[string]string
	// From google.rpc.RetryInfo, when sent (0 otherwise).
	RetryDelay time.Duration

	status *status.Status
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("brazesync: %s: %s", e.Code, e.Message)
	if len(e.Violations) > 0 {
		parts := make([]string, len(e.Violations))
		for i, v := range e.Violations {
			parts[i] = v.Field + ": " + v.Description
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return msg
}

// GRPCStatus lets status.FromError / status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// FromError converts an error returned by a BrazeSync stub into an *Error
// (other errors are returned unchanged).
func FromError(err error) error {
	var already *Error
	if err == nil || errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	decodeDetails(st.Proto(), e)
	return e
}

// DecodeStatus decodes a google.rpc.Status such as TrackResult.error
// (TrackStream) the same way; nil for a nil or OK status.
func DecodeStatus(s *spb.Status) *Error {
	if s == nil || s.GetCode() == 0 {
		return nil
	}
	e := &Error{Code: codes.Code(s.GetCode()), Message: s.GetMessage(), status: status.FromProto(s)}
	decodeDetails(s, e)
	return e
}

// decodeDetails reads the Any details by type URL. It unmarshals each into
// the googleapis type (wire-identical to BrazeSync's google/rpc protos) and so
// does not depend on which types the process registered.
func decodeDetails(s *spb.Status, e *Error) {
	for _, any := range s.GetDetails() {
		url := any.GetTypeUrl()
		name := url[strings.LastIndex(url, "/")+1:]
		switch name {
		case "google.rpc.BadRequest":
			var br errdetails.BadRequest
			if protov1.Unmarshal(any.GetValue(), &br) == nil {
				for _, v := range br.GetFieldViolations() {
					e.Violations = append(e.Violations, Violation{Field: v.GetField(), Description: v.GetDescription()})
				}
			}
		case "google.rpc.ErrorInfo":
			var info errdetails.ErrorInfo
			if protov1.Unmarshal(any.GetValue(), &info) == nil {
				e.Reason, e.Domain, e.Metadata = info.GetReason(), info.GetDomain(), info.GetMetadata()
			}
		case "google.rpc.RetryInfo":
			var ri errdetails.RetryInfo
			if protov1.Unmarshal(any.GetValue(), &ri) == nil && ri.GetRetryDelay() != nil {
				d := ri.GetRetryDelay()
				e.RetryDelay = time.Duration(d.GetSeconds())*time.Second + time.Duration(d.GetNanos())
			}
		}
	}
}

// Violations returns the field violations carried by err, if any.
func Violations(err error) []Violation {
	var e *Error
	if errors.As(FromError(err), &e) {
		return e.Violations
	}
	return nil
}
