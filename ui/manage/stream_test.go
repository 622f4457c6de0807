package manage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// requestCounter is a loopback proxy in front of the simulated backend that counts the requests
// it passes, by method and path: what the backend was really asked, whoever asked it.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (rc *requestCounter) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.counts = map[string]int{}
}

// matching sums the counts of the requests whose "METHOD /path" starts with prefix (is exactly
// it, when prefix ends in $) and contains every part.
func (rc *requestCounter) matching(prefix string, parts ...string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
next:
	for k, c := range rc.counts {
		if exact, ok := strings.CutSuffix(prefix, "$"); ok && k != exact || !ok && !strings.HasPrefix(k, prefix) {
			continue
		}
		for _, p := range parts {
			if !strings.Contains(k, p) {
				continue next
			}
		}
		n += c
	}
	return n
}

func (rc *requestCounter) String() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var b strings.Builder
	for k, c := range rc.counts {
		b.WriteString(k)
		b.WriteString(" ×")
		b.WriteString(strings.Repeat("I", min(c, 50)))
		b.WriteString("\n")
	}
	return b.String()
}

// counted is a simulated backend (its time under the test's control) behind a counting proxy, a
// dealer's background-syncing session through the proxy, and a second client straight to the
// backend, for the test's own questions (never counted).
type counted struct {
	srv     *sim.Server
	session *syncer.Replica
	rc      *requestCounter
	direct  *api.Client
	front   *httptest.Server // the proxy the session talks to: closing it takes the backend away
}

// startCounted starts a counted backend and waits until the session follows the event stream,
// or, with noEvents (a backend that does not offer it), until it asks for deltas instead.
func startCounted(t *testing.T, noEvents bool) *counted {
	t.Helper()
	test.NewTempApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, acct := testsim.Start(ctx, t, sim.Config{Devices: 300, Dealers: 2, Seed: 11, ManualClock: true, AccessTTL: 48 * time.Hour,
		NoEvents: noEvents})
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rc := &requestCounter{counts: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // the event stream passes as it is written
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.counts[r.Method+" "+r.URL.Path]++
		rc.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	s, err := syncer.Open(ctx, syncer.Options{BackendURL: front.URL, CacheDir: t.TempDir(), Email: acct.Email,
		Password: acct.Password, Store: &auth.Memory{}, Now: srv.Now, CommandPoll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	want := session.UpdatesLive
	if noEvents {
		want = session.UpdatesPolling
	}
	deadline := time.Now().Add(30 * time.Second)
	for st := s.Status(); st.Updates != want || st.LastSync.IsZero() || (noEvents && st.UpdatesWhy == ""); st = s.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("the session never settled on %v: %+v", want, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &counted{srv: srv, session: s, rc: rc, direct: testfleet.SignedInClient(t, srv.URL, acct), front: front}
}

// onlyCommand is the ID of the one command the backend (asked straight, not through the proxy)
// has for the unit.
func (c *counted) onlyCommand(t *testing.T, unit string) string {
	t.Helper()
	hist, err := c.direct.CommandHistory(context.Background(), unit)
	if err != nil || len(hist) != 1 {
		t.Fatalf("backend history %+v %v", hist, err)
	}
	return hist[0].ID
}

// advanceUntilEnded moves simulated time a second at a time until the backend (asked straight)
// has the command ended.
func (c *counted) advanceUntilEnded(t *testing.T, id string) {
	t.Helper()
	for spent := time.Duration(0); ; spent += time.Second {
		cmd, err := c.direct.Command(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Status.Final() {
			return
		}
		if spent > 2*time.Hour {
			t.Fatalf("%s is still %s after 2 h of simulated time", id, cmd.Status)
		}
		c.srv.Advance(time.Second)
	}
}

// TestStartFollowedThroughTheStream (issue 23): with the event stream open, one Start is followed
// to its end and the unit's new run state shown with no polling: the backend is asked exactly one
// POST of the command and nothing else about it (no command fetch, no history fetch, no listing
// or delta sync, no new stream), and the page asks the data layer for no sync.
func TestStartFollowedThroughTheStream(t *testing.T) {
	c := startCounted(t, false)
	live, rc := c.session, c.rc
	svc := &countingSession{Session: live}
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	root := h.page.Content()
	h.eventually(t, "the first history", func() bool { return svc.histories.Load() == 1 })
	h.do(func() {}) // the history's answer has landed
	if n := rc.matching("GET /v1/devices/", "/commands"); n != 1 {
		t.Fatalf("opening the page fetched the history %d times, want once:\n%s", n, rc)
	}
	rc.reset()
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be sent", func() bool { return strings.Contains(h.lastCommandTitle(), "[queued]") })
	// The page has nothing but the stream to learn the end from.
	c.advanceUntilEnded(t, c.onlyCommand(t, d.ID))
	h.eventually(t, "Start to finish and the unit to run", func() bool {
		return strings.Contains(h.lastCommandTitle(), "[done]") && field(root, "Run state") == "Running" &&
			strings.Contains(text(root), "Start  done")
	})
	h.eventually(t, "Start enabled-state to follow the end", func() bool {
		return !h.enabled(fleet.ActionStart) && h.enabled(fleet.ActionStop)
	})
	if st := live.Status(); st.Updates != session.UpdatesLive {
		t.Fatalf("the stream was lost during the test (%+v): the counts below mean nothing", st)
	}
	for _, c := range []struct {
		what   string
		prefix string
		parts  []string
		want   int
	}{
		{"POSTs of the command", "POST /v1/devices/", []string{d.ID, "/commands"}, 1},
		{"command fetches", "GET /v1/commands/", nil, 0},
		{"history fetches", "GET /v1/devices/", []string{"/commands"}, 0},
		{"listings or delta syncs", "GET " + api.PathDevices + "$", nil, 0},
		{"refreshes of what the stream does not carry (a sync's extras)", "GET " + api.PathRollouts + "$", nil, 0},
		{"new streams", "GET " + api.PathEvents, nil, 0},
	} {
		if n := rc.matching(c.prefix, c.parts...); n != c.want {
			t.Errorf("%s: %d, want %d; the backend was asked:\n%s", c.what, n, c.want, rc)
		}
	}
	if n := svc.syncs.Load(); n != 0 {
		t.Errorf("the page asked for %d syncs", n)
	}
}

// TestStartFollowedWithoutTheStream (issue 23: no screen polls for a command's status): against a
// backend that does not offer the event stream, one Start is followed to its end all the same, by
// the data layer: the page never asks for the command's state (no Command call, no ticker), the
// data layer reads it from the backend while it runs, announces each new status, and stops
// reading it once it ended.
func TestStartFollowedWithoutTheStream(t *testing.T) {
	c := startCounted(t, true)
	rc := c.rc
	svc := &countingSession{Session: c.session}
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	root := h.page.Content()
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be sent", func() bool { return strings.Contains(h.lastCommandTitle(), "[queued]") })
	id := c.onlyCommand(t, d.ID)
	h.eventually(t, "the data layer to read the command", func() bool { return rc.matching("GET /v1/commands/"+id+"$") > 0 })
	c.advanceUntilEnded(t, id)
	h.eventually(t, "Start to finish and the unit to run", func() bool {
		return strings.Contains(h.lastCommandTitle(), "[done]") && field(root, "Run state") == "Running"
	})
	h.eventually(t, "Start enabled-state to follow the end", func() bool {
		return !h.enabled(fleet.ActionStart) && h.enabled(fleet.ActionStop)
	})
	if n := svc.commands.Load(); n != 0 {
		t.Errorf("the page asked for the command's state %d times: a screen polled", n)
	}
	if n := svc.syncs.Load(); n != 0 {
		t.Errorf("the page asked for %d syncs", n)
	}
	// Ended: the data layer reads it no more (ten of its 100 ms looks later).
	after := rc.matching("GET /v1/commands/" + id + "$")
	time.Sleep(time.Second)
	if n := rc.matching("GET /v1/commands/" + id + "$"); n != after {
		t.Errorf("the ended command was read %d more times", n-after)
	}
	if st := c.session.Status(); st.Updates != session.UpdatesPolling {
		t.Fatalf("the session changed how it is updated during the test (%+v): nothing above was without the stream", st)
	}
}

// TestCommandCheckFailureShown: without the stream, a command in flight whose backend goes away is
// still followed by the data layer, and the Manage page says it could not check the progress and
// that FleetDesk keeps trying, in words, never as a raw client error.
func TestCommandCheckFailureShown(t *testing.T) {
	c := startCounted(t, true)
	svc := &countingSession{Session: c.session}
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be sent", func() bool { return strings.Contains(h.lastCommandTitle(), "[queued]") })
	c.front.CloseClientConnections()
	c.front.Close()
	h.eventually(t, "the failed check on the card", func() bool {
		return strings.Contains(h.lastCommandTitle(), "Could not check progress (FleetDesk keeps trying).")
	})
	h.do(func() {
		if s := h.lastCommandTitle(); strings.Contains(s, "/v1/") || strings.Contains(s, "dial tcp") {
			t.Fatalf("raw client error on the card:\n%s", s)
		}
	})
	if n := svc.commands.Load(); n != 0 {
		t.Errorf("the page asked for the command's state %d times", n)
	}
}
