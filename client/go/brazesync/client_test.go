package brazesync

// End-to-end tests against a live brazesync_server and the Braze emulator,
// both started on free loopback ports (readiness through --port_file).
// The server has a data directory, so BrazeSyncAdmin and async delivery work.
// Needs BRAZESYNC_SERVER_BIN and BRAZE_EMULATOR_BIN (run_tests.sh sets them).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/brazesync/brazesync/client/go/brazesyncv1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const apiKey = "go-client-key"

var (
	emulatorPort int
	serverTarget string
)

// start runs bin with --listen=127.0.0.1:0 --port_file and returns the port
// once the file is written (bounded polling, 20 s; fails early if it exits).
func start(dir, name, bin string, args ...string) (*exec.Cmd, int, error) {
	portFile := filepath.Join(dir, name+".port")
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, 0, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, append([]string{"--listen=127.0.0.1:0", "--port_file=" + portFile}, args...)...)
	cmd.Env = append(os.Environ(), "BRAZE_API_KEY="+apiKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			out, _ := ioutil.ReadFile(logPath)
			return nil, 0, fmt.Errorf("%s exited early (%v):\n%s", name, err, out)
		default:
		}
		if b, err := ioutil.ReadFile(portFile); err == nil {
			if port, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && port > 0 {
				return cmd, port, nil
			}
		}
		time.Sleep(50 * time.Millisecond) // bounded polling for the port file
	}
	cmd.Process.Kill()
	return nil, 0, fmt.Errorf("%s did not write %s within 20 s", name, portFile)
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	serverBin, emulatorBin := os.Getenv("BRAZESYNC_SERVER_BIN"), os.Getenv("BRAZE_EMULATOR_BIN")
	if serverBin == "" || emulatorBin == "" {
		fmt.Fprintln(os.Stderr, "BRAZESYNC_SERVER_BIN and BRAZE_EMULATOR_BIN must be set (see run_tests.sh)")
		return 1
	}
	dir, err := ioutil.TempDir("", "brazesync-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Braze's export shows a write tens of seconds late; here ten minutes, so
	// a lookup right after Track finds the tracked values only through
	// BrazeSync's read-your-writes overlay.
	emu, port, err := start(dir, "emulator", emulatorBin, "--export_lag_ms=600000")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer emu.Process.Kill()
	emulatorPort = port
	srv, port, err := start(dir, "server", serverBin, fmt.Sprintf("--braze_endpoint=http://127.0.0.1:%d", emulatorPort),
		"--data_dir="+filepath.Join(dir, "data"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Process.Kill()
	serverTarget = fmt.Sprintf("127.0.0.1:%d", port)
	return m.Run()
}

type received struct {
	Body    map[string]interface{} `json:"body"`
	Headers map[string]string      `json:"headers"`
}

func emulatorRequests(t *testing.T) []received {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/_emulator/requests", emulatorPort))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out []received
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func resetEmulator(t *testing.T) {
	t.Helper()
	res, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/_emulator/reset", emulatorPort), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("emulator reset: HTTP %d", res.StatusCode)
	}
}

func mustJSON(t *testing.T, s string) map[string]interface{} {
	t.Helper()
	var v map[string]interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func dial(t *testing.T) *Client {
	t.Helper()
	c, err := Dial(serverTarget, WithTimeout(15*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestProfileAndEventDelivered(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	first, email := "Ada", "ada@example.com"
	props, _ := structpb.NewStruct(map[string]interface{}{"plan": "premium", "amount": 120})
	res, err := c.Track(ctx, &pb.TrackRequest{
		Attributes: []*pb.UserProfile{{User: ExternalID("go-user"), FirstName: &first, Email: &email}},
		Events: []*pb.Event{{User: ExternalID("go-user"), Name: "quote_requested",
			Time: timestamppb.New(time.Date(2024, 5, 1, 12, 34, 56, 789e6, time.UTC)), Properties: props}},
	})
	if err != nil {
		t.Fatalf("Track: %v", err)
	}
	if res.GetOutcome() != pb.Outcome_OUTCOME_DELIVERED || len(res.GetItems()) != 2 {
		t.Fatalf("unexpected result: %v", res)
	}
	for _, it := range res.GetItems() {
		if it.GetStatus() != pb.ItemStatus_ITEM_STATUS_DELIVERED {
			t.Errorf("item not delivered: %v", it)
		}
	}
	got := emulatorRequests(t)
	if len(got) != 1 {
		t.Fatalf("emulator received %d requests, want 1: %v", len(got), got)
	}
	want := mustJSON(t, `{
	  "attributes": [{"external_id": "go-user", "first_name": "Ada", "email": "ada@example.com"}],
	  "events": [{"external_id": "go-user", "name": "quote_requested", "time": "2024-05-01T12:34:56.789Z",
	              "properties": {"plan": "premium", "amount": 120}}]}`)
	if !reflect.DeepEqual(got[0].Body, want) {
		t.Errorf("Braze received\n%v\nwant\n%v", got[0].Body, want)
	}
	if !strings.HasPrefix(got[0].Headers["content-type"], "application/json") {
		t.Errorf("content-type = %q", got[0].Headers["content-type"])
	}
}

func TestTrackUserAndTrackEvent(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	res, err := c.TrackUser(ctx, "go-user-2", Profile{FirstName: "Grace", Country: "GB",
		Custom: map[string]interface{}{"plan": "premium", "visits": 3, "vip": true, "tags": []string{"a", "b"}}})
	if err != nil || res.GetOutcome() != pb.Outcome_OUTCOME_DELIVERED {
		t.Fatalf("TrackUser: %v %v", res, err)
	}
	res, err = c.TrackEvent(ctx, "go-user-2", "appointment_booked", map[string]interface{}{"slot": "10:00"})
	if err != nil || res.GetOutcome() != pb.Outcome_OUTCOME_DELIVERED {
		t.Fatalf("TrackEvent: %v %v", res, err)
	}
	got := emulatorRequests(t)
	if len(got) != 2 {
		t.Fatalf("emulator received %d requests, want 2: %v", len(got), got)
	}
	wantUser := mustJSON(t, `{"attributes": [{"external_id": "go-user-2", "first_name": "Grace", "country": "GB",
	  "plan": "premium", "visits": 3, "vip": true, "tags": ["a", "b"]}]}`)
	if !reflect.DeepEqual(got[0].Body, wantUser) {
		t.Errorf("Braze received\n%v\nwant\n%v", got[0].Body, wantUser)
	}
	events, _ := got[1].Body["events"].([]interface{})
	if len(events) != 1 {
		t.Fatalf("events: %v", got[1].Body)
	}
	ev := events[0].(map[string]interface{})
	if ev["external_id"] != "go-user-2" || ev["name"] != "appointment_booked" ||
		!reflect.DeepEqual(ev["properties"], map[string]interface{}{"slot": "10:00"}) {
		t.Errorf("event: %v", ev)
	}
	if ts, _ := ev["time"].(string); len(ts) != 24 || !strings.HasSuffix(ts, "Z") {
		t.Errorf("event time stamped by the server: %q", ev["time"])
	}
}

func TestInvalidArgumentNamesTheField(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	_, err := c.TrackUser(ctx, "go-user", Profile{Dob: "12/21/1980"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *client.Error, got %T %v", err, err)
	}
	if e.Code != codes.InvalidArgument || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %v, want InvalidArgument (%v)", e.Code, err)
	}
	found := false
	for _, v := range e.Violations {
		if v.Field == "attributes[0].dob" && v.Description != "" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no violation for attributes[0].dob: %+v", e.Violations)
	}

	// grpc-go's own status.Details() decodes the same BadRequest (genproto's
	// registered google.rpc types, wire-compatible with BrazeSync's).
	st, _ := status.FromError(err)
	if len(st.Details()) == 0 {
		t.Errorf("status.Details() is empty")
	}

	_, err = c.TrackEvent(ctx, "go-user", "", nil)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("empty event name: %v", err)
	}
	vs := Violations(err)
	if len(vs) == 0 || vs[0].Field != "events[0].name" {
		t.Fatalf("violations = %+v, want events[0].name", vs)
	}
	if got := emulatorRequests(t); len(got) != 0 {
		t.Fatalf("invalid input reached Braze: %v", got)
	}
}

// uniqueID is an external id no other test has used: the server caches
// lookups (also negative answers) across emulator resets.
func uniqueID(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

func TestLookupUsersReadsYourWritesAndUnknownIsNotFound(t *testing.T) {
	resetEmulator(t)
	c := dial(t)
	ctx := context.Background()
	known, unknown := uniqueID(t, "go-lookup"), uniqueID(t, "go-nobody")
	res, err := c.TrackUser(ctx, known, Profile{FirstName: "Ada", Custom: map[string]interface{}{"tier": "gold"}})
	if err != nil || res.GetOutcome() != pb.Outcome_OUTCOME_DELIVERED {
		t.Fatalf("TrackUser: %v %v", res, err)
	}

	opts := LookupOptions{Fields: []string{"first_name", "custom_attributes"}, MaxWait: 5 * time.Second}
	got, err := c.LookupUsers(ctx, opts.Request(known, unknown))
	if err != nil {
		t.Fatalf("LookupUsers: %v", err)
	}
	if len(got.GetResults()) != 2 {
		t.Fatalf("want 2 results: %v", got)
	}
	found, missing := got.GetResults()[0], got.GetResults()[1]
	if found.GetField() != "external_ids" || found.GetIndex() != 0 || missing.GetIndex() != 1 {
		t.Errorf("results not in request order: %v", got.GetResults())
	}
	if found.GetOutcome() != pb.LookupOutcome_LOOKUP_OUTCOME_FOUND {
		t.Fatalf("tracked user: outcome %v, want FOUND: %v", found.GetOutcome(), got)
	}
	user := FoundUser(got, found)
	if user == nil || user.GetExternalId() != known || user.GetFirstName() != "Ada" {
		t.Fatalf("found user = %v, want %s / Ada", user, known)
	}
	if tier := CustomAttributes(user)["tier"]; tier != "gold" {
		t.Errorf("custom attribute tier = %v, want gold (%v)", tier, user)
	}
	if !found.GetPendingOwnWrite() {
		t.Errorf("Braze's export lags, so the overlay answered: pending_own_write = false (%v)", found)
	}
	if missing.GetOutcome() != pb.LookupOutcome_LOOKUP_OUTCOME_NOT_FOUND || FoundUser(got, missing) != nil {
		t.Errorf("unknown id: %v, want NOT_FOUND", missing)
	}

	// The one-user form.
	result, u, err := c.LookupUser(ctx, known, LookupOptions{MaxWait: 5 * time.Second, MaxStale: time.Hour,
		Fields: []string{"first_name", "custom_attributes"}})
	if err != nil || result.GetOutcome() != pb.LookupOutcome_LOOKUP_OUTCOME_FOUND || u.GetFirstName() != "Ada" {
		t.Fatalf("LookupUser: %v %v %v", result, u, err)
	}
	result, u, err = c.LookupUser(ctx, uniqueID(t, "go-nobody"), LookupOptions{MaxWait: 5 * time.Second})
	if err != nil || result.GetOutcome() != pb.LookupOutcome_LOOKUP_OUTCOME_NOT_FOUND || u != nil {
		t.Fatalf("LookupUser of an unknown id: %v %v %v", result, u, err)
	}
}

func TestLookupUsersInvalidArgument(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	_, err := c.LookupUsers(ctx, &pb.LookupUsersRequest{})
	var e *Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument || len(e.Violations) == 0 {
		t.Fatalf("no identifier: %v, want InvalidArgument with violations", err)
	}
	_, err = c.LookupUsers(ctx, &pb.LookupUsersRequest{ExternalIds: []string{"u1"}, MaxWait: durationpb.New(-time.Millisecond)})
	found := false
	for _, v := range Violations(err) {
		if strings.Contains(v.Field, "max_wait") {
			found = true
		}
	}
	if status.Code(err) != codes.InvalidArgument || !found {
		t.Fatalf("negative max_wait: %v, want InvalidArgument naming max_wait", err)
	}
}
