package manage

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

var now0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// overlayButton finds a button in the top dialog.
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open, looking for %q", text)
	}
	for _, o := range uitest.Objects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button in the dialog", text)
	return nil
}

func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var sb strings.Builder
	for _, o := range uitest.Objects(top) {
		if l, ok := o.(*widget.Label); ok {
			sb.WriteString(l.Text + "\n")
		}
	}
	return sb.String()
}

// progress makes the page report each redraw of the command's state.
func progress(p *Page) chan fleet.Command {
	ch := make(chan fleet.Command, 64)
	p.onProgress = func(c fleet.Command) { ch <- c }
	return ch
}

func waitFinal(t *testing.T, ch chan fleet.Command) fleet.Command {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, ok := uitest.Recv(ch, time.Until(deadline))
		if !ok {
			t.Fatal("timed out waiting for the command to finish")
		}
		if c.Status.Final() {
			return c
		}
	}
}

// pick finds a unit in the session's fleet that fits.
func pick(t *testing.T, ix *fleet.Index, now time.Time, ok func(fleet.Device) bool) fleet.Device {
	t.Helper()
	for _, d := range ix.Devices() {
		if ok(d) {
			return d
		}
	}
	t.Fatal("no unit in the simulated fleet fits the test")
	return fleet.Device{}
}

func reachable(now time.Time) func(fleet.Device) bool {
	return func(d fleet.Device) bool {
		return d.Online && d.Transport == fleet.TransportWiFi && d.HealthAt(now) == fleet.HealthLive &&
			d.RunState == fleet.RunStopped
	}
}

// startLive starts the test app and a dealer signed in to a simulated backend whose units move
// fast enough for commands to finish within a test.
func startLive(t *testing.T) *uitest.Live {
	test.NewTempApp(t)
	return uitest.StartLive(t, sim.Config{Devices: 300, Dealers: 2, Seed: 11, Speed: 20})
}

// openPage shows the page for unit id in a test window sized like the app's; the caller closes
// the page while it still holds kit.Lock.
func openPage(t *testing.T, svc session.Service, id string, opts Options) (fyne.Window, *Page) {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	opts.Window = w
	p := New(svc, id, opts)
	w.SetContent(p.Content())
	w.Resize(fyne.NewSize(1200, 800))
	return w, p
}

// TestStartReachesTheUnit taps Start and checks, through a separate client, that the backend got
// the command and the unit now runs; then that the page itself shows the new run state.
func TestStartReachesTheUnit(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	kit.Lock()
	defer kit.Unlock()
	d := pick(t, svc.Fleet(), svc.Now(), reachable(svc.Now()))
	_, p := openPage(t, svc, d.ID, Options{Poll: 100 * time.Millisecond})
	defer p.Close()
	events := progress(p)

	if got := p.fields["Run state"].Text; got != "Stopped" {
		t.Fatalf("run state shows %q before Start", got)
	}
	if !p.Enabled(fleet.ActionStart) {
		t.Fatalf("Start not enabled for a live unit: %q", p.Reason(fleet.ActionStart))
	}
	test.Tap(p.Button(fleet.ActionStart))
	final := waitFinal(t, events)
	if final.Status != fleet.CommandDone {
		t.Fatalf("Start ended %s: %s", final.Status, final.Error)
	}
	if txt := p.ProgressText(); !strings.Contains(txt, "[done]") {
		t.Fatalf("progress shows %q", txt)
	}

	ctx := context.Background()
	hist, err := live.Client.CommandHistory(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) == 0 || hist[0].Action != fleet.ActionStart || hist[0].Status != fleet.CommandDone || hist[0].ID != final.ID {
		t.Fatalf("backend history %+v, want the Start %s done", hist, final.ID)
	}
	got, err := live.Client.Device(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RunState != fleet.RunRunning {
		t.Fatalf("backend says %s is %s after Start", d.ID, got.RunState)
	}
	uitest.Await(t, 20*time.Second, "the page to show Running", func() bool {
		return p.fields["Run state"].Text == "Running"
	})
	uitest.Await(t, 20*time.Second, "the history to list the command", func() bool {
		h := p.History()
		return len(h) > 0 && h[0].ID == final.ID && h[0].Status == fleet.CommandDone
	})
}

func TestRebootAsksNamingTheUnitAndEscCancels(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	kit.Lock()
	defer kit.Unlock()
	d := pick(t, svc.Fleet(), svc.Now(), reachable(svc.Now()))
	w, p := openPage(t, svc, d.ID, Options{Poll: 100 * time.Millisecond})
	defer p.Close()

	test.Tap(p.Button(fleet.ActionReboot))
	want := "Reboot " + d.ID + " at " + d.CustomerEmail + "? The unit will be offline for a few minutes."
	if txt := overlayText(w); !strings.Contains(txt, want) {
		t.Fatalf("confirmation says %q, want %q", txt, want)
	}
	if !kit.DismissTop(w.Canvas()) || w.Canvas().Overlays().Top() != nil {
		t.Fatal("Esc did not close the confirmation")
	}
	uitest.Recv(make(chan struct{}), 300*time.Millisecond) // let a stray send (there must be none) land
	if hist, err := live.Client.CommandHistory(context.Background(), d.ID); err != nil || len(hist) != 0 {
		t.Fatalf("cancelled reboot reached the backend: %+v %v", hist, err)
	}

	events := progress(p)
	test.Tap(p.Button(fleet.ActionReboot))
	test.Tap(overlayButton(t, w, "Reboot"))
	sent, ok := uitest.Recv(events, 20*time.Second)
	if !ok {
		t.Fatal("no progress after confirming the reboot")
	}
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 || hist[0].Action != fleet.ActionReboot || hist[0].ID != sent.ID {
		t.Fatalf("backend history after confirming: %+v %v", hist, err)
	}
}

// TestFirmwarePickerOffersOnlyMatchingReleases opens FW Update and compares the choices with the
// backend's catalogue filtered here by hand, then sends one and checks what the backend got.
func TestFirmwarePickerOffersOnlyMatchingReleases(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	kit.Lock()
	defer kit.Unlock()
	d := pick(t, svc.Fleet(), svc.Now(), reachable(svc.Now()))
	w, p := openPage(t, svc, d.ID, Options{Poll: 100 * time.Millisecond})
	defer p.Close()

	all, err := live.Client.Releases(context.Background(), fleet.ConsoleFor(d.Model))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	others := 0
	for _, r := range all {
		if r.Console == fleet.ConsoleFor(d.Model) && r.Engine == d.Model && r.Transport == d.Transport {
			want = append(want, r.Version)
		} else {
			others++
		}
	}
	if len(want) == 0 || others == 0 {
		t.Fatalf("catalogue has %d matching and %d other releases: a useless probe", len(want), others)
	}

	test.Tap(p.Button(fleet.ActionFWUpdate))
	uitest.Await(t, 20*time.Second, "the release picker", func() bool { return p.lastReleaseDialog != nil })
	rd := p.lastReleaseDialog
	var got []string
	for _, o := range rd.options {
		got = append(got, strings.TrimSuffix(o, " (installed)"))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("picker offers %v, want exactly %v", got, want)
	}
	// Choose a version the unit does not run yet, and send it.
	choice := -1
	for i, o := range rd.options {
		if !strings.HasSuffix(o, "(installed)") {
			choice = i
			break
		}
	}
	if choice < 0 {
		t.Fatal("every offered release is installed")
	}
	rd.radio.SetSelected(rd.options[choice])
	events := progress(p)
	test.Tap(overlayButton(t, w, "Send FW Update"))
	sent, ok := uitest.Recv(events, 20*time.Second)
	if !ok {
		t.Fatal("no progress after sending the update")
	}
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) == 0 || hist[0].ID != sent.ID || hist[0].Action != fleet.ActionFWUpdate {
		t.Fatalf("backend history: %+v %v", hist, err)
	}
	var rel rollout.Release
	for _, r := range all {
		if r.ID == hist[0].ReleaseID {
			rel = r
		}
	}
	if rel.Variant() != fleet.VariantOf(d) || rel.Version != rd.options[choice] {
		t.Fatalf("backend got release %+v for %s (%s), chosen %q", rel, d.ID, fleet.VariantOf(d), rd.options[choice])
	}
}

func TestReleaseLabelMarksTheInstalledVersion(t *testing.T) {
	d := fleet.Device{ID: "ULTRA-1", Model: fleet.ModelUltra, Console: fleet.ConsoleUltra, Transport: fleet.TransportGSM, Firmware: "3.1.0"}
	installed := rollout.Release{ID: "a", Console: fleet.ConsoleUltra, Engine: fleet.ModelUltra, Transport: fleet.TransportGSM, Version: "3.1.0"}
	newer := installed
	newer.ID, newer.Version = "e", "3.10.0"
	if ReleaseLabel(installed, d) != "3.1.0 (installed)" || ReleaseLabel(newer, d) != "3.10.0" {
		t.Fatal("installed marker wrong")
	}
}

// TestOfflineAppDisablesActionsWithReason opens the page on the offline cache: every action is
// offered (the unit is in scope) but disabled, and the page says FleetDesk is offline.
func TestOfflineAppDisablesActionsWithReason(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := uitest.Offline(t, 50, now0)
	kit.Lock()
	defer kit.Unlock()
	var d fleet.Device
	for _, x := range devs {
		if x.Online && x.HealthAt(now0) == fleet.HealthLive {
			d = x
			break
		}
	}
	_, p := openPage(t, svc, d.ID, Options{})
	defer p.Close()
	for _, act := range fleet.AllActions {
		if !p.Offered(act) {
			t.Fatalf("%s not offered for an in-scope unit", act)
		}
		if p.Enabled(act) {
			t.Fatalf("%s enabled while FleetDesk is offline", act)
		}
		if r := p.Reason(act); !strings.Contains(r, "FleetDesk is offline") {
			t.Fatalf("%s reason %q", act, r)
		}
	}
	// Tapping a disabled button sends nothing (and must not panic).
	test.Tap(p.Button(fleet.ActionStart))
	if p.progCard.Visible() {
		t.Fatal("a disabled Start produced progress")
	}
}

// TestOfflineUnitDisablesActionsWithReason: app online, unit offline.
func TestOfflineUnitDisablesActionsWithReason(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	kit.Lock()
	defer kit.Unlock()
	d := pick(t, svc.Fleet(), svc.Now(), func(d fleet.Device) bool { return !d.Online })
	_, p := openPage(t, svc, d.ID, Options{})
	defer p.Close()
	for _, act := range fleet.AllActions {
		if !p.Offered(act) || p.Enabled(act) {
			t.Fatalf("%s offered=%v enabled=%v for offline unit %s", act, p.Offered(act), p.Enabled(act), d.ID)
		}
		if r := p.Reason(act); !strings.Contains(r, d.ID+" is offline") {
			t.Fatalf("%s reason %q", act, r)
		}
	}
}

// TestOutOfScopeOffersNothing: a unit of another dealer (left in a cache) and an unknown ID get no
// action at all, and the page says why.
func TestOutOfScopeOffersNothing(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	devs := uitest.GenerateFleet(20, 5, now0)
	devs[7].Dealer = "some-other-dealer"
	foreign := devs[7].ID
	if err := uitest.FillCache(context.Background(), dir, devs, now0); err != nil {
		t.Fatal(err)
	}
	svc, err := uitest.OpenOffline(context.Background(), dir, now0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	kit.Lock()
	defer kit.Unlock()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	for _, id := range []string{foreign, "NOPE-00000"} {
		p := New(svc, id, Options{Window: w})
		w.SetContent(p.Content())
		for _, act := range fleet.AllActions {
			if p.Offered(act) {
				t.Fatalf("%s offered for %s", act, id)
			}
		}
		if !p.noAction.Visible() {
			t.Fatalf("%s: no explanation shown", id)
		}
		note := p.noAction.Text
		if id == foreign && !strings.Contains(note, "outside your dealer scope") {
			t.Fatalf("%s: note %q", id, note)
		}
		if id != foreign && !strings.Contains(note, "not in your fleet") {
			t.Fatalf("%s: note %q", id, note)
		}
		p.Close()
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
		if got := ProgressSteps(s); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", s, got, want)
		}
	}
}

// TestBackendLossDisablesActions: the page is live; when the backend goes away the actions turn
// disabled with the reason, and the connection field says its data is from the last sync.
func TestBackendLossDisablesActions(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	kit.Lock()
	defer kit.Unlock()
	d := pick(t, svc.Fleet(), svc.Now(), reachable(svc.Now()))
	_, p := openPage(t, svc, d.ID, Options{})
	defer p.Close()
	if !p.Enabled(fleet.ActionStop) {
		t.Fatalf("Stop disabled while online: %q", p.Reason(fleet.ActionStop))
	}
	kit.Unlock()
	live.Server.Close()
	kit.Lock()
	uitest.Await(t, 30*time.Second, "the page to notice the backend is gone", func() bool {
		return !p.Enabled(fleet.ActionStop) && strings.Contains(p.Reason(fleet.ActionStop), "FleetDesk is offline")
	})
	if txt := p.fields["Connection"].Text; !strings.Contains(txt, "as of the last sync") {
		t.Fatalf("connection field %q does not say it is stale", txt)
	}
}
