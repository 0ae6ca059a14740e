package brazesync

// End-to-end tests of the Braze actions (BrazeIdentity, BrazeMessaging,
// BrazeSubscriptions) against the live server and emulator of TestMain.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	"google.golang.org/grpc/codes"
)

// emulatorGet decodes the JSON of GET path on the emulator into out.
func emulatorGet(t *testing.T, path string, out interface{}) {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", emulatorPort, path))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", path, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// bodiesTo is the bodies of the requests Braze received at path.
func bodiesTo(t *testing.T, path string) []map[string]interface{} {
	t.Helper()
	var all []struct {
		Path string                 `json:"path"`
		Body map[string]interface{} `json:"body"`
	}
	emulatorGet(t, "/_emulator/requests", &all)
	var out []map[string]interface{}
	for _, r := range all {
		if r.Path == path {
			out = append(out, r.Body)
		}
	}
	return out
}

// liveProfile is the emulator's live (never lagged) profile with externalID, or nil.
func liveProfile(t *testing.T, externalID string) map[string]interface{} {
	t.Helper()
	var profiles []map[string]interface{}
	emulatorGet(t, "/_emulator/profiles", &profiles)
	for _, p := range profiles {
		if p["external_id"] == externalID {
			return p
		}
	}
	return nil
}

// messagesMentioning counts the messages the emulator's triggers sent whose
// JSON contains every needle.
func messagesMentioning(t *testing.T, needles ...string) int {
	t.Helper()
	var raw json.RawMessage
	emulatorGet(t, "/_emulator/messages", &raw)
	var messages []json.RawMessage
	if json.Unmarshal(raw, &messages) != nil {
		var wrapped struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			t.Fatalf("/_emulator/messages: %v", err)
		}
		messages = wrapped.Messages
	}
	n := 0
	for _, m := range messages {
		all := true
		for _, needle := range needles {
			all = all && strings.Contains(string(m), needle)
		}
		if all {
			n++
		}
	}
	return n
}

// eventually polls check (bounded, 10 s): Braze queues merges and deletes.
func eventually(check func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func trackUser(t *testing.T, c *Client, externalID string, p Profile) {
	t.Helper()
	res, err := c.TrackUser(context.Background(), externalID, p)
	if err != nil || res.GetOutcome() != pb.Outcome_OUTCOME_DELIVERED {
		t.Fatalf("TrackUser(%s): %v %v", externalID, res, err)
	}
}

func hasAlias(profile map[string]interface{}, label, name string) bool {
	aliases, _ := profile["user_aliases"].([]interface{})
	for _, a := range aliases {
		m, _ := a.(map[string]interface{})
		if m["alias_label"] == label && m["alias_name"] == name {
			return true
		}
	}
	return false
}

func TestCreateAliasThenIdentify(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	user, visitor := uniqueID(t, "go-ident"), uniqueID(t, "visitor")
	trackUser(t, c, user, Profile{FirstName: "Ada"})

	created, res, err := c.CreateUserAlias(ctx, "chat_visitor", visitor, "")
	if err != nil {
		t.Fatalf("CreateUserAlias: %v", err)
	}
	if created.GetStatus() != pb.ActionStatus_ACTION_STATUS_ACCEPTED {
		t.Fatalf("CreateAlias: %v", res)
	}
	wantWarning := false
	for _, w := range created.GetWarnings() {
		wantWarning = wantWarning || w == pb.ActionWarning_ACTION_WARNING_SUCCESS_MAY_BE_NOOP
	}
	if !wantWarning {
		t.Errorf("CreateAlias: no SUCCESS_MAY_BE_NOOP warning: %v", created)
	}
	if got, want := bodiesTo(t, "/users/alias/new"), []map[string]interface{}{mustJSON(t,
		fmt.Sprintf(`{"user_aliases":[{"alias_label":"chat_visitor","alias_name":%q}]}`, visitor))}; !reflect.DeepEqual(got, want) {
		t.Errorf("/users/alias/new received %v, want %v", got, want)
	}

	identified, res2, err := c.IdentifyAlias(ctx, user, "chat_visitor", visitor)
	if err != nil {
		t.Fatalf("IdentifyAlias: %v", err)
	}
	if identified.GetStatus() != pb.ActionStatus_ACTION_STATUS_ACCEPTED || !AllAccepted(res2.GetResults()) {
		t.Fatalf("IdentifyUsers: %v", res2)
	}
	want := mustJSON(t, fmt.Sprintf(`{"aliases_to_identify":[{"external_id":%q,
	  "user_alias":{"alias_label":"chat_visitor","alias_name":%q}}]}`, user, visitor))
	if got := bodiesTo(t, "/users/identify"); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("/users/identify received %v, want %v", got, want)
	}
	if !eventually(func() bool { return hasAlias(liveProfile(t, user), "chat_visitor", visitor) }) {
		t.Errorf("the identified user does not hold the alias: %v", liveProfile(t, user))
	}
}

func TestTriggerCanvasWithContext(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	user := uniqueID(t, "go-canvas")
	trackUser(t, c, user, Profile{FirstName: "Ada"})
	first := "Ada"
	result, res, err := c.TriggerCanvasFor(context.Background(), user, "cv-go",
		map[string]interface{}{"topic": "upgrade", "score": 7}, &pb.UserProfile{FirstName: &first})
	if err != nil {
		t.Fatalf("TriggerCanvasFor: %v", err)
	}
	if result.GetStatus() != pb.ActionStatus_ACTION_STATUS_ACCEPTED || len(res.GetDispatchIds()) == 0 {
		t.Fatalf("TriggerCanvas: %v", res)
	}
	if call := res.GetBrazeCalls()[result.GetBrazeCall()]; call.GetEndpoint() != "/canvas/trigger/send" {
		t.Errorf("braze call: %v", call)
	}
	bodies := bodiesTo(t, "/canvas/trigger/send")
	if len(bodies) != 1 {
		t.Fatalf("/canvas/trigger/send received %v", bodies)
	}
	recipient := bodies[0]["recipients"].([]interface{})[0].(map[string]interface{})
	context := map[string]interface{}{}
	for _, src := range []interface{}{bodies[0]["context"], recipient["context"]} {
		if m, ok := src.(map[string]interface{}); ok {
			for k, v := range m {
				context[k] = v
			}
		}
	}
	if recipient["external_user_id"] != user || bodies[0]["canvas_id"] != "cv-go" ||
		!reflect.DeepEqual(context, map[string]interface{}{"topic": "upgrade", "score": float64(7)}) {
		t.Errorf("/canvas/trigger/send received %v", bodies[0])
	}
	if n := messagesMentioning(t, "cv-go", user, "upgrade"); n != 1 {
		t.Errorf("the emulator sent %d messages for the trigger, want 1", n)
	}
}

func TestTriggerCanvasBroadcastWithRecipientsIsInvalid(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	_, err := c.TriggerCanvas(context.Background(), &pb.TriggerCanvasRequest{CanvasId: "cv-1", Broadcast: true,
		Recipients: []*pb.Recipient{{Id: &pb.Recipient_ExternalUserId{ExternalUserId: "u1"}}}})
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument {
		t.Fatalf("err = %v, want InvalidArgument", err)
	}
	if got := bodiesTo(t, "/canvas/trigger/send"); len(got) != 0 {
		t.Errorf("nothing may reach Braze: %v", got)
	}
}

func TestSetSubscriptionStatus(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	user := uniqueID(t, "go-sub")
	result, res, err := c.SubscribeUser(context.Background(), user, "sg-news", true)
	if err != nil || result.GetStatus() != pb.ActionStatus_ACTION_STATUS_ACCEPTED {
		t.Fatalf("SubscribeUser: %v %v", res, err)
	}
	want := mustJSON(t, fmt.Sprintf(`{"subscription_groups":[{"subscription_group_id":"sg-news",
	  "subscription_state":"subscribed","external_ids":[%q]}]}`, user))
	if got := bodiesTo(t, "/v2/subscription/status/set"); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("/v2/subscription/status/set received %v, want %v", got, want)
	}
}

func TestDeleteUsers(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	user := uniqueID(t, "go-delete")
	trackUser(t, c, user, Profile{FirstName: "Gone"})
	_, err := c.DeleteUsers(ctx, &pb.DeleteUsersRequest{ExternalIds: []string{user}})
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument {
		t.Fatalf("without ConfirmIrreversible: err = %v, want InvalidArgument", err)
	}
	res, err := c.DeleteUsers(ctx, &pb.DeleteUsersRequest{ExternalIds: []string{user}, ConfirmIrreversible: true})
	if err != nil || !AllAccepted(res.GetResults()) ||
		res.GetResults()[0].GetStatus() != pb.ActionStatus_ACTION_STATUS_ACCEPTED {
		t.Fatalf("DeleteUsers: %v %v", res, err)
	}
	want := mustJSON(t, fmt.Sprintf(`{"external_ids":[%q]}`, user))
	if got := bodiesTo(t, "/users/delete"); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("/users/delete received %v, want %v", got, want)
	}
	if !eventually(func() bool { return liveProfile(t, user) == nil }) {
		t.Errorf("the profile is still there: %v", liveProfile(t, user))
	}
	found, _, err := c.LookupUser(ctx, user, LookupOptions{MaxWait: 5 * time.Second})
	if err != nil || found.GetOutcome() != pb.LookupOutcome_LOOKUP_OUTCOME_NOT_FOUND {
		t.Errorf("LookupUser after delete: %v %v", found, err)
	}
}

func TestActionsUseTheDefaultWorkspace(t *testing.T) {
	c, err := Dial("127.0.0.1:1", WithWorkspace("eu"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &pb.CreateAliasRequest{}
	got := withWorkspace(c, req)
	if got.GetWorkspace() != "eu" || req.GetWorkspace() != "" {
		t.Errorf("withWorkspace: got %q, request changed to %q", got.GetWorkspace(), req.GetWorkspace())
	}
	named := &pb.TriggerCanvasRequest{Workspace: "us"}
	if withWorkspace(c, named) != named {
		t.Errorf("a named workspace must be kept")
	}
	if AllAccepted(nil) || !AllAccepted([]*pb.ActionResult{{Status: pb.ActionStatus_ACTION_STATUS_DUPLICATE}}) ||
		AllAccepted([]*pb.ActionResult{{Status: pb.ActionStatus_ACTION_STATUS_FAILED}}) {
		t.Errorf("AllAccepted")
	}
}
