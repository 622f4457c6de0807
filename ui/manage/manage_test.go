package manage

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// TestStartReachesTheUnit taps Start and checks, through a separate client, that the backend got
// the command and the unit now runs; then that the page itself shows the new run state.
func TestStartReachesTheUnit(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	root := h.page.Content()
	h.do(func() {
		if got := field(root, "Run state"); got != "Stopped" {
			t.Fatalf("run state shows %q before Start", got)
		}
		if !h.enabled(fleet.ActionStart) {
			t.Fatalf("Start not enabled for a live unit:\n%s", text(root))
		}
		if h.enabled(fleet.ActionStop) || !strings.Contains(text(root), d.ID+" is already stopped") {
			t.Fatalf("Stop on a stopped unit is not disabled with the reason:\n%s", text(root))
		}
		test.Tap(h.actionButton(fleet.ActionStart))
	})
	h.eventually(t, "the Start to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "cmd-") })
	ctx := context.Background()
	sent, err := live.Client.CommandHistory(ctx, d.ID)
	if err != nil || len(sent) != 1 {
		t.Fatalf("backend history %+v %v, want the one Start", sent, err)
	}
	// Time moves until the backend has carried the Start out, and stops there: the unit runs.
	advanceTo(t, live, 2*time.Hour, "the Start done", commandIs(t, live, sent[0].ID, fleet.CommandDone))
	hist, err := live.Client.CommandHistory(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Action != fleet.ActionStart || hist[0].Status != fleet.CommandDone {
		t.Fatalf("backend history %+v, want the one Start done", hist)
	}
	h.eventually(t, "the page to show the Start done", func() bool { return strings.Contains(h.lastCommandTitle(), "[done]") })
	h.eventually(t, "the page to show Running", func() bool { return field(root, "Run state") == "Running" })
	// The unit runs: Start is now refused with the reason, Stop is offered.
	h.eventually(t, "Start disabled with the reason", func() bool {
		return !h.enabled(fleet.ActionStart) && h.enabled(fleet.ActionStop) && strings.Contains(text(root), d.ID+" is already running")
	})
	h.eventually(t, "the history to list the command", func() bool {
		return strings.Contains(text(root), "Start  done")
	})
}

// TestDoubleTapStartSendsOnce (issue 11 item 3): a second tap on Start once the first has reached
// the backend must not send a second Start; the button stays disabled, with the reason, until
// the command is final.
func TestDoubleTapStartSendsOnce(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	root := h.page.Content()
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "cmd-") })
	h.do(func() {
		if h.enabled(fleet.ActionStart) {
			t.Fatal("Start is enabled again while the first Start is in flight")
		}
		if !strings.Contains(text(root), "Start was sent") {
			t.Fatalf("no reason for the disabled Start:\n%s", text(root))
		}
		test.Tap(h.actionButton(fleet.ActionStart)) // the double click's second tap
	})
	first, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(first) != 1 {
		t.Fatalf("backend history %+v %v, want the first Start", first, err)
	}
	advanceTo(t, live, 2*time.Hour, "the Start done", commandIs(t, live, first[0].ID, fleet.CommandDone))
	h.eventually(t, "the page to show the Start done", func() bool { return strings.Contains(h.lastCommandTitle(), "[done]") })
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 {
		t.Fatalf("backend got %d commands (%v), want one Start: %+v", len(hist), err, hist)
	}
}

// TestLastCommandShowsTheNewest (issue 11 item 3): with an older command still being followed,
// the panel shows the newest one sent and keeps showing it after the older one finishes.
func TestLastCommandShowsTheNewest(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "cmd-") })
	h.do(func() {
		test.Tap(h.actionButton(fleet.ActionReboot))
		test.Tap(h.dialogButton(t, "Reboot"))
	})
	h.eventually(t, "the panel to show the Reboot", func() bool {
		return strings.HasPrefix(h.lastCommandTitle(), "Last command: Reboot") && strings.Contains(h.lastCommandTitle(), "cmd-")
	})
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("backend history %+v %v", hist, err)
	}
	startID, rebootID := hist[1].ID, hist[0].ID
	advanceTo(t, live, 2*time.Hour, "the Start ended", commandIs(t, live, startID, fleet.CommandDone))
	// Let the page's poll see the Start's end: its button comes back (or says why not) ...
	h.eventually(t, "the page to see the Start end", func() bool { return !strings.Contains(text(h.page.Content()), "Start was sent") })
	// ... and the panel still shows the Reboot, the newest.
	h.do(func() {
		if got := h.lastCommandTitle(); !strings.Contains(got, rebootID) {
			t.Fatalf("panel shows %q, want the newest command %s", got, rebootID)
		}
	})
}

func TestRebootAsksNamingTheUnitAndEscCancels(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	want := "Reboot " + d.ID + " at " + d.CustomerEmail + "? The unit will be offline for a few minutes."
	h.do(func() {
		test.Tap(h.actionButton(fleet.ActionReboot))
		if txt := text(h.dialogTop()); !strings.Contains(txt, want) {
			t.Fatalf("confirmation says %q, want %q", txt, want)
		}
		if !kit.DismissTop(h.win.Canvas()) || h.dialogTop() != nil {
			t.Fatal("Esc did not close the confirmation")
		}
		if h.lastCommandTitle() != "" {
			t.Fatal("a cancelled reboot produced progress")
		}
		test.Tap(h.actionButton(fleet.ActionReboot))
		test.Tap(h.dialogButton(t, "Reboot"))
	})
	h.eventually(t, "the reboot to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "cmd-") })
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 || hist[0].Action != fleet.ActionReboot {
		t.Fatalf("backend history after confirming: %+v %v", hist, err)
	}
}

// TestOfflineAppDisablesActionsWithReason opens the page on the offline cache: every action is
// offered (the unit is in scope) but disabled, and the page says FleetDesk is offline.
func TestOfflineAppDisablesActionsWithReason(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 50, now0)
	var d fleet.Device
	for _, x := range devs {
		if x.Online && x.HealthAt(now0) == fleet.HealthLive {
			d = x
			break
		}
	}
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() {
		for _, act := range fleet.AllActions {
			if b := h.actionButton(act); b == nil || !b.Disabled() {
				t.Fatalf("%s not offered, or enabled while FleetDesk is offline", act)
			}
		}
		if !strings.Contains(text(h.page.Content()), "FleetDesk is offline") {
			t.Fatal("no reason shown")
		}
		test.Tap(h.actionButton(fleet.ActionStart)) // a disabled button sends nothing (and must not panic)
		if h.lastCommandTitle() != "" {
			t.Fatal("a disabled Start produced progress")
		}
	})
	// With no release list cached the update check says it cannot tell, not "no release exists".
	h.eventually(t, "the update check to say it cannot check", func() bool {
		return strings.Contains(text(h.page.Content()), "Can't check for a newer release: FleetDesk is offline")
	})
}

// TestOutOfScopeOffersNothing: a unit of another dealer (left in a cache) and an unknown ID get no
// action at all, and the page says why.
func TestOutOfScopeOffersNothing(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	devs := testfleet.GenerateFleet(20, 5, now0)
	devs[7].Dealer = "some-other-dealer"
	foreign := devs[7].ID
	if err := testfleet.FillCache(context.Background(), dir, devs, now0); err != nil {
		t.Fatal(err)
	}
	svc, err := testfleet.OpenOffline(context.Background(), dir, now0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	for id, want := range map[string]string{foreign: "outside your dealer scope", "NOPE-00000": "not in your fleet"} {
		h := openPage(t, svc, id, Options{})
		h.do(func() {
			for _, act := range fleet.AllActions {
				if h.actionButton(act) != nil {
					t.Fatalf("%s offered for %s", act, id)
				}
			}
			if txt := text(h.page.Content()); !strings.Contains(txt, want) {
				t.Fatalf("%s: page says\n%s\nwant %q", id, txt, want)
			}
		})
	}
}

func TestProgressSteps(t *testing.T) {
	for s, want := range map[fleet.CommandStatus]string{
		fleet.CommandQueued:    "[queued]  →  delivered",
		fleet.CommandDelivered: "queued ✓  →  [delivered]",
		fleet.CommandDone:      "delivered ✓  →  [done]",
		fleet.CommandFailed:    "delivered ✓  →  [failed]",
		fleet.CommandExpired:   "delivered ✗  →  [expired]",
	} {
		if got := progressSteps(s); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", s, got, want)
		}
	}
}

// TestBackendLossDisablesActions: the page is live; when the backend goes away the actions turn
// disabled with the reason, and the connection field says its data is from the last sync.
func TestBackendLossDisablesActions(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() {
		if !h.enabled(fleet.ActionStart) {
			t.Fatalf("Start disabled while online:\n%s", text(h.page.Content()))
		}
	})
	live.Server.Close()
	h.eventually(t, "the page to notice the backend is gone", func() bool {
		return !h.enabled(fleet.ActionStart) && strings.Contains(text(h.page.Content()), "FleetDesk is offline")
	})
	h.do(func() {
		if txt := field(h.page.Content(), "Connection"); !strings.Contains(txt, "as of the last sync") {
			t.Fatalf("connection field %q does not say it is stale", txt)
		}
		// The title's dot and words follow the same rule (issue 24 item 17): no live green
		// "Reporting normally" for a unit FleetDesk cannot see now.
		st := h.page.status
		if !strings.Contains(st.health.Text, "at last sync") {
			t.Fatalf("the title says %q with the backend gone", st.health.Text)
		}
		if st.dot.FillColor == kit.ColorLive {
			t.Fatal("the title's dot is still the live green with the backend gone")
		}
	})
}

// failingBackend is a live session whose backend calls for the release list, the command history
// and commands fail the way the HTTP client reports a backend in trouble.
type failingBackend struct{ session.Session }

var backendTrouble = &api.Error{Kind: api.KindServer, Status: 502, Endpoint: api.PathReleases, Message: "bad gateway from upstream"}

func (failingBackend) Releases(context.Context, fleet.Console) ([]rollout.Release, error) {
	return nil, backendTrouble
}
func (failingBackend) CommandHistory(string) ([]fleet.Command, error) { return nil, backendTrouble }
func (failingBackend) SendCommand(context.Context, fleet.CommandRequest) (fleet.Command, error) {
	return fleet.Command{}, backendTrouble
}

// TestFailuresReadInTheDealersWords: the update check, the command history and a command that
// was not sent say what went wrong in the dealer's words (words.Describe), never the client's
// endpoint, status line and the backend's raw message.
func TestFailuresReadInTheDealersWords(t *testing.T) {
	live := startLive(t)
	d := pick(t, live.Session.Fleet(), reachable(live.Session.Now()))
	h := openPage(t, failingBackend{live.Session}, d.ID, Options{})
	root := h.page.Content()
	const words = "The fleet backend has a problem (HTTP 502): try again later."
	h.eventually(t, "the failed update check and history", func() bool {
		s := text(root)
		return strings.Contains(s, "Could not check for a newer release. "+words) &&
			strings.Contains(s, "Could not read the command history. "+words)
	})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start that was not sent", func() bool {
		return strings.Contains(h.lastCommandTitle(), "Not sent.") && strings.Contains(h.lastCommandTitle(), words)
	})
	h.do(func() {
		if s := text(root) + h.lastCommandTitle(); strings.Contains(s, api.PathReleases) || strings.Contains(s, "bad gateway") {
			t.Fatalf("raw client error on the page:\n%s", s)
		}
	})
}

// countingSession counts what the page asks of the data layer: syncs, history fetches and
// command reads.
type countingSession struct {
	session.Session
	syncs, histories, commands atomic.Int32
}

// Command counts a read of a command's state, should the page reach past session.Commands for
// one (the data layer follows the commands it sent; no screen asks).
func (c *countingSession) Command(ctx context.Context, id string) (fleet.Command, error) {
	c.commands.Add(1)
	return c.Session.(interface {
		Command(context.Context, string) (fleet.Command, error)
	}).Command(ctx, id)
}

func (c *countingSession) SyncNow() { c.syncs.Add(1); c.Session.SyncNow() }
func (c *countingSession) CommandHistory(id string) ([]fleet.Command, error) {
	c.histories.Add(1)
	return c.Session.CommandHistory(id)
}
func (c *countingSession) RefreshCommandHistory(ctx context.Context, id string) ([]fleet.Command, error) {
	c.histories.Add(1)
	return c.Session.(session.CommandHistoryRefresher).RefreshCommandHistory(ctx, id)
}

// TestOneRefreshPerEvent (issue 21 item 8): after Start the page fetches the history once per
// event the data layer announces (the command sent, each status it reaches) and never asks for a
// sync itself: the data layer syncs once, when the command ends.
func TestOneRefreshPerEvent(t *testing.T) {
	live := startLive(t)
	svc := &countingSession{Session: live.Session}
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	var events atomic.Int32
	defer live.Session.Subscribe(func(ch session.Change) {
		if ch.All || slices.Contains(ch.Commands, d.ID) {
			events.Add(1)
		}
	})()
	h := openPage(t, svc, d.ID, Options{})
	h.eventually(t, "the first history", func() bool { return svc.histories.Load() == 1 })
	h.do(func() { test.Tap(h.actionButton(fleet.ActionStart)) })
	h.eventually(t, "the Start to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "[queued]") })
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 {
		t.Fatalf("backend history %+v %v", hist, err)
	}
	// Each status the command reaches is one event: simulated time moves a second at a time until
	// the backend has the next status, and the page shows it before time moves on.
	for _, next := range []fleet.CommandStatus{fleet.CommandDelivered, fleet.CommandDone} {
		advanceTo(t, live, 2*time.Hour, "the Start "+string(next), commandIs(t, live, hist[0].ID, next))
		h.eventually(t, "the page to show the Start "+string(next), func() bool {
			return strings.Contains(h.lastCommandTitle(), "["+string(next)+"]") || strings.Contains(h.lastCommandTitle(), "[done]")
		})
	}
	h.eventually(t, "the unit to run", func() bool { return field(h.page.Content(), "Run state") == "Running" })
	h.do(func() {}) // let the last announcement's reload land
	if got, max := svc.histories.Load(), 1+events.Load(); got > max || events.Load() < 2 {
		t.Errorf("%d history fetches for %d announced events (at most %d)", got, events.Load(), max)
	}
	if n := svc.syncs.Load(); n != 0 {
		t.Errorf("the page asked for %d syncs itself", n)
	}
}
