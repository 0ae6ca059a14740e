package brazesync

// End-to-end tests of TrackStream and BrazeSyncAdmin against the live server
// (with a data directory) and emulator of TestMain.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestTrackStreamAnswersEachRequestInOrder(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := c.TrackStream(ctx)
	if err != nil {
		t.Fatalf("TrackStream: %v", err)
	}
	first := "Stream"
	valid := &pb.TrackRequest{RequestId: "ok", Attributes: []*pb.UserProfile{{User: ExternalID("go-stream"), FirstName: &first}}}
	invalid := &pb.TrackRequest{RequestId: "bad", Events: []*pb.Event{{User: ExternalID("go-stream")}}} // no name
	for _, req := range []*pb.TrackRequest{valid, invalid} {
		if err := stream.Send(req); err != nil {
			t.Fatalf("Send %s: %v", req.GetRequestId(), err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var results []*pb.TrackResult
	for {
		res, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		results = append(results, res)
	}
	if len(results) != 2 || results[0].GetRequestId() != "ok" || results[1].GetRequestId() != "bad" {
		t.Fatalf("results = %v, want ok then bad", results)
	}
	if results[0].GetOutcome() != pb.Outcome_OUTCOME_DELIVERED || DecodeStatus(results[0].GetError()) != nil {
		t.Errorf("valid request: %v", results[0])
	}
	e := DecodeStatus(results[1].GetError())
	if e == nil || e.Code != codes.InvalidArgument || len(e.Violations) == 0 || e.Violations[0].Field != "events[0].name" {
		t.Errorf("invalid request: error %v, want InvalidArgument naming events[0].name", e)
	}
	if got := bodiesTo(t, "/users/track"); len(got) != 1 {
		t.Errorf("Braze received %d track requests, want 1 (the valid one): %v", len(got), got)
	}
}

// injectFaults replaces the emulator's faults (POST /_emulator/faults).
func injectFaults(t *testing.T, json string) {
	t.Helper()
	res, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/_emulator/faults", emulatorPort), "application/json",
		strings.NewReader(json))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST /_emulator/faults %s: HTTP %d", json, res.StatusCode)
	}
}

// waitForState polls GetItemStatus (at most 20 s) until the item is in state.
func waitForState(t *testing.T, c *Client, itemID string, state pb.DeliveryState) *pb.ItemState {
	t.Helper()
	var last *pb.ItemState
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		last, err = c.GetItemStatus(context.Background(), &pb.GetItemStatusRequest{ItemId: itemID})
		if err == nil && last.GetState() == state {
			return last
		}
		time.Sleep(50 * time.Millisecond) // bounded polling of the server's answer
	}
	t.Fatalf("item %s: %v / %v, want %v", itemID, last, err, state)
	return nil
}

// deadLetter tracks an async event that Braze refuses with 401 (a permanent
// failure: dead-lettered at its first attempt) and returns its dead letter.
func deadLetter(t *testing.T, c *Client, itemID string) *pb.ItemState {
	t.Helper()
	injectFaults(t, `{"fail_next": 1, "fail_next_status": 401}`)
	res, err := c.Track(context.Background(), &pb.TrackRequest{DeliveryMode: pb.DeliveryMode_DELIVERY_MODE_ASYNC,
		Events: []*pb.Event{{User: ExternalID("go-admin"), Name: "order_paid", EventId: itemID}}})
	if err != nil || res.GetOutcome() != pb.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("async Track: %v %v", res, err)
	}
	return waitForState(t, c, itemID, pb.DeliveryState_DELIVERY_STATE_DEAD_LETTERED)
}

func TestAdminDeadLettersListGetReplayPurge(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	replayed, purged := uniqueID(t, "go-replay"), uniqueID(t, "go-purge")

	state := deadLetter(t, c, replayed)
	if state.GetDeadLetterId() == 0 || !strings.Contains(state.GetReason(), "401") {
		t.Errorf("dead-lettered item: %v, want a dead letter id and a reason naming 401", state)
	}
	letter, err := c.GetDeadLetter(ctx, &pb.GetDeadLetterRequest{Id: state.GetDeadLetterId()})
	if err != nil || letter.GetItemId() != replayed || !strings.Contains(letter.GetBrazeJson(), "order_paid") {
		t.Fatalf("GetDeadLetter: %v %v", letter, err)
	}
	page, err := c.ListDeadLetters(ctx, &pb.ListDeadLettersRequest{})
	listed := false
	for _, l := range page.GetDeadLetters() {
		listed = listed || l.GetId() == state.GetDeadLetterId()
	}
	if err != nil || !listed {
		t.Fatalf("ListDeadLetters: %v %v, want letter %d", page, err, state.GetDeadLetterId())
	}

	// Replayed (the fault is used up): delivered.
	replay, err := c.ReplayDeadLetters(ctx, &pb.ReplayDeadLettersRequest{Ids: []int64{state.GetDeadLetterId()}})
	if err != nil || replay.GetReplayed() != 1 {
		t.Fatalf("ReplayDeadLetters: %v %v", replay, err)
	}
	waitForState(t, c, replayed, pb.DeliveryState_DELIVERY_STATE_DELIVERED)

	state = deadLetter(t, c, purged)
	purge, err := c.PurgeDeadLetters(ctx, &pb.PurgeDeadLettersRequest{Ids: []int64{state.GetDeadLetterId()}})
	if err != nil || purge.GetPurged() != 1 {
		t.Fatalf("PurgeDeadLetters: %v %v", purge, err)
	}
	_, err = c.GetDeadLetter(ctx, &pb.GetDeadLetterRequest{Id: state.GetDeadLetterId()})
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.NotFound {
		t.Fatalf("GetDeadLetter of a purged letter: %v, want *Error NotFound", err)
	}
	_, err = c.GetItemStatus(ctx, &pb.GetItemStatusRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetItemStatus without item_id: %v, want InvalidArgument", err)
	}
}
