package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// sseEvent is one event as a test reads it off the wire. The parser below is the tests' own,
// written from the Server-Sent Events format, and shares no code with the app's decoder: a
// misreading on one side fails a test instead of passing both.
type sseEvent struct {
	name, id, data string
}

// eventStream is an open GET /v1/events, read on a goroutine of its own.
type eventStream struct {
	t        testing.TB
	resp     *http.Response
	events   chan sseEvent
	comments chan string
	ended    chan struct{}
	mu       sync.Mutex
	err      error
}

// openStream opens the dealer's (or token's) stream; cursor and lastID may be empty.
func openStream(t testing.TB, c *client, cursor, lastID string) *eventStream {
	t.Helper()
	q := ""
	if cursor != "" {
		q = "?cursor=" + url.QueryEscape(cursor)
	}
	req, _ := http.NewRequest("GET", c.base+api.PathEvents+q, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", api.EventStreamType)
	if lastID != "" {
		req.Header.Set(api.HeaderLastEventID, lastID)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", api.PathEvents, err)
	}
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: status %d: %s", api.PathEvents, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != api.EventStreamType {
		t.Fatalf("GET %s: Content-Type %q", api.PathEvents, ct)
	}
	s := &eventStream{t: t, resp: resp, events: make(chan sseEvent, 100000), comments: make(chan string, 1000), ended: make(chan struct{})}
	go s.read()
	t.Cleanup(s.close)
	return s
}

func (s *eventStream) read() {
	defer close(s.ended)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ev sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"):
			select {
			case s.comments <- line:
			default:
			}
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				ev.name = value
			case "id":
				ev.id = value
			case "data":
				data = append(data, value)
			}
		}
	}
	s.mu.Lock()
	s.err = sc.Err()
	s.mu.Unlock()
}

func (s *eventStream) close() { s.resp.Body.Close() }

// next is the next event, or false after within of real time (a hang guard, not a timing claim).
func (s *eventStream) next(within time.Duration) (sseEvent, bool) {
	select {
	case ev := <-s.events:
		return ev, true
	case <-time.After(within):
		return sseEvent{}, false
	}
}

// cursorSeq is the sequence number of a cursor.
func cursorSeq(t testing.TB, c string) uint64 {
	t.Helper()
	_, n, ok := strings.Cut(c, ".")
	seq, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil {
		t.Fatalf("not a cursor: %q", c)
	}
	return seq
}

// replica is a fleet kept by applying stream events, as a client would.
type replica struct {
	t        testing.TB
	devs     map[string]fleet.Device
	last     string // the last event id
	commands map[string][]fleet.CommandStatus
	rollouts map[string]rollout.Rollout
	events   int
}

func newReplica(t testing.TB, devs []fleet.Device, cursor string) *replica {
	r := &replica{t: t, devs: map[string]fleet.Device{}, last: cursor, commands: map[string][]fleet.CommandStatus{}, rollouts: map[string]rollout.Rollout{}}
	for _, d := range devs {
		r.devs[d.ID] = d
	}
	return r
}

// apply takes one event; ids must only grow.
func (r *replica) apply(ev sseEvent) {
	r.t.Helper()
	if ev.id != "" && r.last != "" && ev.name != api.EventNameHello && cursorSeq(r.t, ev.id) <= cursorSeq(r.t, r.last) {
		r.t.Fatalf("event %s %s came after %s: ids must grow", ev.name, ev.id, r.last)
	}
	switch ev.name {
	case api.EventNameHello:
		var h api.EventHello
		mustUnmarshal(r.t, []byte(ev.data), &h)
		if h.Cursor != ev.id || h.HeartbeatMS <= 0 {
			r.t.Fatalf("hello %+v with id %s", h, ev.id)
		}
	case api.EventNameDevice:
		var d fleet.Device
		mustUnmarshal(r.t, []byte(ev.data), &d)
		r.devs[d.ID] = d
	case api.EventNameRemoved:
		var rm api.EventRemoved
		mustUnmarshal(r.t, []byte(ev.data), &rm)
		delete(r.devs, rm.ID)
	case api.EventNameCommand:
		var c fleet.Command
		mustUnmarshal(r.t, []byte(ev.data), &c)
		r.commands[c.ID] = append(r.commands[c.ID], c.Status)
	case api.EventNameRollout:
		var ro rollout.Rollout
		mustUnmarshal(r.t, []byte(ev.data), &ro)
		prev, ok := r.rollouts[ro.ID]
		units := ro.Units
		if ok {
			merged := append([]rollout.UnitProgress{}, prev.Units...)
			for _, u := range units {
				found := false
				for k := range merged {
					if merged[k].DeviceID == u.DeviceID {
						merged[k], found = u, true
					}
				}
				if !found {
					merged = append(merged, u)
				}
			}
			units = merged
		}
		ro.Units = units
		r.rollouts[ro.ID] = ro
	default:
		r.t.Fatalf("unknown event %q", ev.name)
	}
	if ev.name != api.EventNameHello {
		r.events++
	}
	if ev.id != "" {
		r.last = ev.id
	}
}

// diff lists the units the replica has otherwise than want.
func (r *replica) diff(want []fleet.Device) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.ID] = true
		got, ok := r.devs[w.ID]
		if !ok {
			out = append(out, w.ID+" missing")
			continue
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(w)
		if string(a) != string(b) {
			out = append(out, w.ID+" differs")
		}
	}
	for id := range r.devs {
		if !seen[id] {
			out = append(out, id+" not in the listing")
		}
	}
	return out
}

// follow applies the stream's events until the replica equals the backend's listing now (or
// fails after a real-time guard). The listing is read once: on a ManualClock backend nothing
// changes meanwhile.
func (r *replica) follow(s *eventStream, c *client) {
	r.t.Helper()
	want, _, _ := listAll(r.t, c, "", 1000)
	deadline := time.Now().Add(20 * time.Second)
	for len(r.diff(want)) > 0 {
		ev, ok := s.next(time.Until(deadline))
		if !ok {
			d := r.diff(want)
			r.t.Fatalf("the stream did not bring the replica to the listing: %d units differ (%v)", len(d), d[:min(5, len(d))])
		}
		r.apply(ev)
		for more := true; more; { // take what has arrived before comparing again
			select {
			case ev := <-s.events:
				r.apply(ev)
			default:
				more = false
			}
		}
	}
}

// The list-then-watch pattern: a listing, then the stream from its cursor, keeps a replica equal
// to the backend's fleet through an hour of heartbeats, silences and alarms.
func TestEventsFollowTheListing(t *testing.T) {
	s := startSim(t, Config{Devices: 400, Dealers: 2, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", "dlr-001"))
	devs, cursor, _ := listAll(t, c, "", 1000)
	st := openStream(t, c, cursor, "")
	r := newReplica(t, devs, cursor)
	hello, ok := st.next(10 * time.Second)
	if !ok || hello.name != api.EventNameHello || hello.id != cursor {
		t.Fatalf("first event %+v, want hello with id %s", hello, cursor)
	}
	r.apply(hello)
	for range 6 {
		s.Advance(10 * time.Minute)
		r.follow(st, c)
	}
	if r.events < 100 {
		t.Fatalf("an hour of a 400-unit fleet brought only %d events: a useless probe", r.events)
	}
	for _, d := range r.devs {
		if d.Dealer != "dlr-001" {
			t.Fatalf("dealer 1's stream brought %s of %s", d.ID, d.Dealer)
		}
	}
}

// A client that reconnects with Last-Event-ID gets what came after it and nothing before; the
// header wins over an older cursor left in the URL.
func TestEventsResumeFromLastEventID(t *testing.T) {
	s := startSim(t, Config{Devices: 300, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	devs, cursor, _ := listAll(t, c, "", 1000)
	r := newReplica(t, devs, cursor)
	st := openStream(t, c, cursor, "")
	s.Advance(5 * time.Minute)
	for r.events < 20 {
		ev, ok := st.next(10 * time.Second)
		if !ok {
			t.Fatalf("only %d events after five minutes", r.events)
		}
		r.apply(ev)
	}
	st.close()
	s.Advance(20 * time.Minute)
	st2 := openStream(t, c, cursor, r.last) // the URL still names the first cursor
	hello, _ := st2.next(10 * time.Second)
	if hello.name != api.EventNameHello || hello.id != r.last {
		t.Fatalf("resumed stream opened with %+v, want hello at %s", hello, r.last)
	}
	r.apply(hello)
	r.follow(st2, c) // apply fails if an id at or before r.last comes again
}

// Commands and rollouts come through the stream: a command's every status in order, and a
// rollout's progress merged unit by unit equals the rollout the backend reports.
func TestEventsCommandsAndRollouts(t *testing.T) {
	s := startSim(t, Config{Devices: 200, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL,
		OTAFails: func(string) bool { return false }})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	devs, cursor, _ := listAll(t, c, "", 1000)
	r := newReplica(t, devs, cursor)
	st := openStream(t, c, cursor, "")

	var unit fleet.Device
	for _, d := range devs {
		if d.Online && d.Transport == fleet.TransportWiFi && d.RunState == fleet.RunStopped && len(d.Alarms) == 0 {
			unit = d
			break
		}
	}
	var cmd fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", unit.ID), api.CommandRequest{Action: fleet.ActionStart}, 201, &cmd)
	// Read as it happens, the command's every status comes, in order.
	for step := 0; ; step++ {
		var now fleet.Command
		c.mustJSON("GET", path(api.PathCommand, "id", cmd.ID), nil, 200, &now)
		for h := r.commands[cmd.ID]; len(h) == 0 || h[len(h)-1] != now.Status; h = r.commands[cmd.ID] {
			ev, ok := st.next(20 * time.Second)
			if !ok {
				t.Fatalf("the command is %s on the backend; the stream brought %v", now.Status, h)
			}
			r.apply(ev)
		}
		if now.Status.Final() {
			break
		}
		if step == 60 {
			t.Fatalf("the start command went %v in a minute", r.commands[cmd.ID])
		}
		s.Advance(time.Second) // one step of a second makes at most one transition
	}
	if got := strings.Join(statuses(r.commands[cmd.ID]), " "); got != "queued delivered done" {
		t.Fatalf("the start command went %s through the stream, want queued delivered done", got)
	}
	test, rel := pickTestDevice(t, c, devs, map[string]bool{unit.ID: true})
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model,
		Transport: rel.Transport, Target: rollout.Target("device:" + test.ID)}, 201, &ro)
	advanceUntil(t, s, 2*time.Hour, time.Minute, "the rollout to finish", func() bool {
		return getRollout(t, c, ro.ID).Status == rollout.StatusFinished
	})
	r.follow(st, c)
	want := getRollout(t, c, ro.ID)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, ok := r.rollouts[ro.ID]
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if ok && string(a) == string(b) {
			break
		}
		ev, ok := st.next(time.Until(deadline))
		if !ok {
			t.Fatalf("the stream's rollout %s\nis not the backend's %s", a, b)
		}
		r.apply(ev)
	}
}

func statuses(s []fleet.CommandStatus) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

// A cursor of another backend state answers 410 before any stream, as the listing does; a
// malformed one is 400; a backend without the stream answers 404.
func TestEventsRefusals(t *testing.T) {
	s := startSim(t, Config{Devices: 20, Dealers: 1})
	v := newValidator(t)
	c := newClient(t, s, v)
	c.login(account(t, s, "dealer", ""))
	_, cursor, _ := listAll(t, c, "", 1000)
	_, seq, _ := strings.Cut(cursor, ".")
	c.mustErr("GET", api.PathEvents+"?cursor=0badc0de."+seq, nil, 410, api.CodeCursorExpired)
	c.mustErr("GET", api.PathEvents, nil, 410, api.CodeCursorExpired, api.HeaderLastEventID, "0badc0de."+seq)
	c.mustErr("GET", api.PathEvents+"?cursor=nonsense", nil, 400, api.CodeBadRequest)
	state, _, _ := strings.Cut(cursor, ".")
	c.mustErr("GET", api.PathEvents+"?cursor="+state+".99999999", nil, 410, api.CodeCursorExpired) // ahead of this state
	st := openStream(t, c, cursor, "")
	if got := st.resp.Header.Get(api.HeaderBackendState); got != state {
		t.Fatalf("the stream names backend state %q, its cursors %q", got, state)
	}
	c.as("").mustErr("GET", api.PathEvents, nil, 401, api.CodeUnauthorized)

	none := startSim(t, Config{Devices: 20, Dealers: 1, NoEvents: true})
	c2 := newClient(t, none, nil)
	c2.login(account(t, none, "dealer", ""))
	c2.mustErr("GET", api.PathEvents, nil, 404, api.CodeNotFound)
}

// The heartbeat: a comment at the fixed interval the hello names, while nothing changes.
func TestEventsHeartbeat(t *testing.T) {
	s := startSim(t, Config{Devices: 20, Dealers: 1, ManualClock: true, EventHeartbeat: 40 * time.Millisecond})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	st := openStream(t, c, "", "")
	hello, _ := st.next(10 * time.Second)
	var h api.EventHello
	mustUnmarshal(t, []byte(hello.data), &h)
	if h.HeartbeatMS != 40 {
		t.Fatalf("hello %+v: want heartbeat_ms 40", h)
	}
	for i := range 3 {
		select {
		case <-st.comments:
		case <-time.After(10 * time.Second):
			t.Fatalf("heartbeat %d never came", i+1)
		}
	}
	if ev, ok := st.next(0); ok {
		t.Fatalf("nothing changed, yet the stream sent %+v", ev)
	}
}

// Bounded: a subscriber that stops reading is cut off once its writes stall, holding nothing on
// the backend; it resumes from the last event it got, and nothing is lost.
func TestEventsSlowSubscriberIsCutOff(t *testing.T) {
	s := startSim(t, Config{Devices: 3000, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL,
		EventWriteTimeout: 300 * time.Millisecond, EventHeartbeat: 50 * time.Millisecond})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	devs, cursor, _ := listAll(t, c, "", 5000)

	// A raw connection that asks for the stream and then reads nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s?cursor=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", api.PathEvents, cursor, c.token)
	waitFor(t, 10*time.Second, "the stream to open", func() bool { return s.Backend().EventStreams() == 1 })
	for step := 0; s.Backend().EventStreams() > 0; step++ {
		if step == 600 {
			t.Fatal("ten simulated hours of changes did not fill the subscriber's connection")
		}
		s.Advance(time.Minute)
		time.Sleep(10 * time.Millisecond) // let the stream write (and stall)
	}
	// What it did get, up to the last whole event, then the rest from there.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, _ := io.ReadAll(conn)
	_, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		t.Fatalf("no answer head in %.200q", raw)
	}
	r := newReplica(t, devs, cursor)
	for _, ev := range parseChunkedEvents(t, body) {
		r.apply(ev)
	}
	if r.events < 100 {
		t.Fatalf("the cut-off subscriber had got only %d events", r.events)
	}
	t.Logf("the cut-off subscriber got %d events, up to %s", r.events, r.last)
	st := openStream(t, c, "", r.last)
	r.follow(st, c)
}

// parseChunkedEvents reads the whole events in a chunked HTTP body cut off anywhere.
func parseChunkedEvents(t testing.TB, body string) []sseEvent {
	var plain strings.Builder
	for body != "" {
		line, rest, ok := strings.Cut(body, "\r\n")
		if !ok {
			break
		}
		n, err := strconv.ParseInt(line, 16, 64)
		if err != nil || n == 0 {
			break
		}
		if int64(len(rest)) < n {
			plain.WriteString(rest)
			break
		}
		plain.WriteString(rest[:n])
		body = strings.TrimPrefix(rest[n:], "\r\n")
	}
	var out []sseEvent
	text := plain.String()
	for {
		block, rest, ok := strings.Cut(text, "\n\n")
		if !ok {
			return out // a cut-off event at the end does not count
		}
		text = rest
		var ev sseEvent
		for _, line := range strings.Split(block, "\n") {
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				ev.name = value
			case "id":
				ev.id = value
			case "data":
				ev.data = value
			}
		}
		if ev.data != "" {
			out = append(out, ev)
		}
	}
}

// The number of open streams is bounded: one more is told to come back later (429).
func TestEventsStreamLimit(t *testing.T) {
	s := startSim(t, Config{Devices: 20, Dealers: 1, MaxEventStreams: 2})
	v := newValidator(t)
	c := newClient(t, s, v)
	c.login(account(t, s, "dealer", ""))
	a := openStream(t, c, "", "")
	openStream(t, c, "", "")
	c.mustErr("GET", api.PathEvents, nil, 429, api.CodeRateLimited)
	a.close()
	waitFor(t, 10*time.Second, "the closed stream to end", func() bool { return s.Backend().EventStreams() == 1 })
	openStream(t, c, "", "")
}

// A stream lives no longer than its session: an expired access token or a revoked customer token
// ends it, and the client comes back with a fresh one.
func TestEventsEndWithTheSession(t *testing.T) {
	s := startSim(t, Config{Devices: 60, Dealers: 1, ManualClock: true, AccessTTL: 10 * time.Minute,
		EventHeartbeat: 30 * time.Millisecond})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	st := openStream(t, c, "", "")
	s.Advance(11 * time.Minute)
	select {
	case <-st.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived its access token")
	}

	c.login(account(t, s, "dealer", ""))
	var ul api.UserList
	c.mustJSON("GET", api.PathUsers, nil, 200, &ul)
	var tok token.Created
	c.mustJSON("POST", api.PathTokens, token.CreateRequest{Name: "dash", UserID: ul.Users[0].ID, Access: token.AccessReadOnly}, 201, &tok)
	cust := openStream(t, c.as(tok.Secret), "", "")
	c.mustJSON("DELETE", path(api.PathToken, "id", tok.Token.ID), nil, 204, nil)
	select {
	case <-cust.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived its revoked token")
	}
}

// Every event's data is what the contract says it is.
func TestEventsFollowTheContract(t *testing.T) {
	s := startSim(t, Config{Devices: 120, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL})
	v := newValidator(t)
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	devs, cursor, _ := listAll(t, c, "", 1000)
	st := openStream(t, c, cursor, "")
	test, rel := pickTestDevice(t, c, devs, nil)
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model,
		Transport: rel.Transport, Target: rollout.Target("device:" + test.ID)}, 201, nil)
	for _, d := range devs {
		if d.Online && d.ID != test.ID && d.RunState != fleet.RunFault {
			act := fleet.ActionStart
			if d.RunState == fleet.RunRunning {
				act = fleet.ActionStop
			}
			c.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: act}, 201, nil)
			break
		}
	}
	s.Advance(30 * time.Minute)
	schemas := map[string]string{api.EventNameHello: "EventHello", api.EventNameDevice: "Device", api.EventNameRemoved: "EventRemoved",
		api.EventNameCommand: "Command", api.EventNameRollout: "Rollout"}
	seen := map[string]int{}
	for seen[api.EventNameRollout] == 0 || seen[api.EventNameCommand] == 0 || seen[api.EventNameDevice] < 10 {
		ev, ok := st.next(20 * time.Second)
		if !ok {
			t.Fatalf("the stream went quiet having sent %v", seen)
		}
		seen[ev.name]++
		ref := v.doc.Components.Schemas[schemas[ev.name]]
		if ref == nil {
			t.Fatalf("event %q has no schema", ev.name)
		}
		var val any
		mustUnmarshal(t, []byte(ev.data), &val)
		if err := ref.Value.VisitJSON(val); err != nil {
			t.Fatalf("%s event breaks the contract's %s: %v\n%s", ev.name, schemas[ev.name], err, ev.data)
		}
	}
}

// ChangeRate sets how many times a second the fleet reports in all: a measured load.
func TestChangeRate(t *testing.T) {
	s := startSim(t, Config{Devices: 2000, Dealers: 1, ManualClock: true, AccessTTL: simDayTTL, ChangeRate: 50})
	c := newClient(t, s, nil)
	c.login(account(t, s, "dealer", ""))
	_, cursor, _ := listAll(t, c, "", 5000)
	s.Advance(2 * time.Minute) // past one interval (40 s) so every unit is on the new schedule
	_, cursor, _ = listAll(t, c, cursor, 5000)
	start := cursorSeq(t, cursor)
	s.Advance(10 * time.Minute)
	_, end, _ := listAll(t, c, cursor, 5000)
	rate := float64(cursorSeq(t, end)-start) / 600
	if rate < 45 || rate > 55 {
		t.Fatalf("%.1f changes a second, want 50 (±10%%)", rate)
	}
}
