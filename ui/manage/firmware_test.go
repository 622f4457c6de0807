package manage

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// catalogues remembers each backend's releases per console: tests scan many units.
var catalogues = map[*testfleet.Live]map[fleet.Console][]rollout.Release{}

// catalogue is the backend's releases for the unit's console, asked through the second client.
func catalogue(t *testing.T, live *testfleet.Live, d fleet.Device) []rollout.Release {
	t.Helper()
	c := fleet.ConsoleFor(d.Model)
	if all, ok := catalogues[live][c]; ok {
		return all
	}
	all, err := live.Client.Releases(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if catalogues[live] == nil {
		catalogues[live] = map[fleet.Console][]rollout.Release{}
		t.Cleanup(func() { delete(catalogues, live) })
	}
	catalogues[live][c] = all
	return all
}

// check is the picker's confirmation check box in the top dialog.
func (h *harness) check() *widget.Check {
	for _, o := range uitest.Objects(h.dialogTop()) {
		if c, ok := o.(*widget.Check); ok {
			return c
		}
	}
	return nil
}

// TestFirmwarePickerOffersOnlyMatchingReleasesNewestFirst opens FW Update on a unit with a newer
// release: the choices are exactly the backend's releases for its variant, newest first, the
// newest preselected; sending it reaches the backend with that release.
func TestFirmwarePickerOffersOnlyMatchingReleasesNewestFirst(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), func(d fleet.Device) bool {
		rs := rollout.ReleasesFor(d, catalogue(t, live, d))
		return reachable(svc.Now())(d) && len(rs) > 1 && rollout.DirectionOf(rs[0], d) == fleet.Upgrade
	})
	all := catalogue(t, live, d)
	var want []string
	for _, r := range all {
		if r.Console == fleet.ConsoleFor(d.Model) && r.Model == d.Model && r.Transport == d.Transport {
			want = append(want, r.Version)
		}
	}
	slices.SortFunc(want, func(a, b string) int { return -fleet.CompareVersions(a, b) })
	if len(want) == len(all) {
		t.Fatal("every release of the console matches: a useless probe")
	}
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionFWUpdate)) })
	h.eventually(t, "the release picker", func() bool { return h.radio() != nil })
	h.do(func() {
		r := h.radio()
		var got []string
		for _, o := range r.Options {
			got = append(got, strings.Fields(o)[0])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("picker offers %v, want exactly %v (newest first)", got, want)
		}
		if r.Selected != want[0] {
			t.Fatalf("preselected %q, want the newer %s", r.Selected, want[0])
		}
		test.Tap(h.dialogButton(t, "Send FW Update"))
	})
	h.eventually(t, "the update to be queued", func() bool { return strings.Contains(h.lastCommandTitle(), "cmd-") })
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 || hist[0].Action != fleet.ActionFWUpdate {
		t.Fatalf("backend history: %+v %v", hist, err)
	}
	for _, r := range all {
		if r.ID == hist[0].ReleaseID && (r.Version != want[0] || !rollout.Matches(r, d)) {
			t.Fatalf("backend got release %+v for %s", r, d.ID)
		}
	}
}

// TestNewestUnitPreselectsNothingAndDowngradeNeedsConfirmation (issue 11 item 2): on a unit already
// on the newest release nothing is preselected; choosing an older one says it is a downgrade in
// words, and Send stays disabled until the dealer ticks that they mean it.
func TestNewestUnitPreselectsNothingAndDowngradeNeedsConfirmation(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), func(d fleet.Device) bool {
		rs := rollout.ReleasesFor(d, catalogue(t, live, d))
		return reachable(svc.Now())(d) && len(rs) > 1 && rs[0].Version == d.Firmware
	})
	older := rollout.ReleasesFor(d, catalogue(t, live, d))[1]
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionFWUpdate)) })
	h.eventually(t, "the release picker", func() bool { return h.radio() != nil })
	h.do(func() {
		r := h.radio()
		if r.Selected != "" {
			t.Fatalf("%q preselected on a unit already on %s", r.Selected, d.Firmware)
		}
		send := h.dialogButton(t, "Send FW Update")
		if !send.Disabled() {
			t.Fatal("Send enabled with nothing chosen")
		}
		r.SetSelected(releaseLabel(older, d))
		want := older.Version + " is older than the installed " + d.Firmware + " — this is a downgrade"
		if txt := text(h.dialogTop()); !strings.Contains(txt, want) || !strings.Contains(txt, "I mean to install an older version") {
			t.Fatalf("dialog says\n%s\nwant %q and the confirmation", txt, want)
		}
		test.Tap(send)
		if !send.Disabled() || h.dialogTop() == nil {
			t.Fatal("a downgrade went without the explicit confirmation")
		}
		h.check().SetChecked(true)
		if send.Disabled() {
			t.Fatal("Send still disabled after the explicit confirmation")
		}
		r.SetSelected(releaseLabel(rollout.ReleasesFor(d, catalogue(t, live, d))[0], d))
		if !send.Disabled() || !strings.Contains(text(h.dialogTop()), "already runs") {
			t.Fatal("choosing the installed version kept the earlier confirmation or said nothing")
		}
	})
	if hist, err := live.Client.CommandHistory(context.Background(), d.ID); err != nil || len(hist) != 0 {
		t.Fatalf("a command reached the backend: %+v %v", hist, err)
	}
	// Confirmed, the downgrade goes, carrying the dealer's consent: the data layer refuses a
	// downgrade without it (issue 21 item 2), so its arrival at the backend proves it was carried.
	h.do(func() {
		h.radio().SetSelected(releaseLabel(older, d))
		h.check().SetChecked(true)
		test.Tap(h.dialogButton(t, "Send FW Update"))
	})
	h.eventually(t, "the confirmed downgrade at the backend", func() bool {
		hist, err := live.Client.CommandHistory(context.Background(), d.ID)
		return err == nil && len(hist) == 1 && hist[0].ReleaseID == older.ID
	})
	h.do(func() {
		if strings.Contains(h.lastCommandTitle(), "Not sent") {
			t.Fatalf("the confirmed downgrade was refused: %s", h.lastCommandTitle())
		}
	})
}

// TestFWUpdateQueuesForAnOfflineUnitForceOTADoesNot (issue 11 item 9): for an offline unit FW
// Update is offered and its dialog says it waits for the next check-in; Force OTA is disabled with
// the reason and the alternative; the queued update shows what it waits for.
func TestFWUpdateQueuesForAnOfflineUnitForceOTADoesNot(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	// A GSM unit: an offline one stays silent for hours of simulated time, not minutes, so it does
	// not come back while the test runs.
	d := pick(t, svc.Fleet(), func(d fleet.Device) bool {
		return !d.Online && d.Transport == fleet.TransportGSM && d.RunState != fleet.RunRunning &&
			len(rollout.ReleasesFor(d, catalogue(t, live, d))) > 0
	})
	h := openPage(t, svc, d.ID, Options{})
	root := h.page.Content()
	h.do(func() {
		for _, act := range []fleet.Action{fleet.ActionStart, fleet.ActionReboot, fleet.ActionForceOTA} {
			if b := h.actionButton(act); b == nil || !b.Disabled() {
				t.Fatalf("%s not offered, or enabled, for offline unit %s", act, d.ID)
			}
		}
		txt := text(root)
		if !strings.Contains(txt, d.ID+" is offline") || !strings.Contains(txt, "Force OTA needs "+d.ID+" online") ||
			!strings.Contains(txt, "FW Update can be queued for its next check-in") {
			t.Fatalf("reasons shown:\n%s", txt)
		}
		t.Logf("REASONS %s", txt)
		if strings.Contains(txt, "((") || strings.Contains(txt, "))") {
			t.Fatalf("doubled parentheses (issue 24 item 13):\n%s", txt)
		}
		if !h.enabled(fleet.ActionFWUpdate) {
			t.Fatal("FW Update not offered for an offline unit")
		}
		test.Tap(h.actionButton(fleet.ActionFWUpdate))
	})
	h.eventually(t, "the release picker", func() bool { return h.radio() != nil })
	h.do(func() {
		txt := text(h.dialogTop())
		if !strings.Contains(txt, "normal remote update") || !strings.Contains(txt, "next check-in") || !strings.Contains(txt, "offline now") {
			t.Fatalf("FW Update dialog says\n%s", txt)
		}
		r := h.radio()
		r.SetSelected(r.Options[0])
		if c := h.check(); c != nil && c.Visible() {
			c.SetChecked(true) // the unit may already run the newest: the test means it
		}
		test.Tap(h.dialogButton(t, "Send FW Update"))
	})
	h.eventually(t, "the update to be queued", func() bool {
		return strings.Contains(h.lastCommandTitle(), "waiting for the unit's next check-in")
	})
	hist, err := live.Client.CommandHistory(context.Background(), d.ID)
	if err != nil || len(hist) != 1 || hist[0].Action != fleet.ActionFWUpdate {
		t.Fatalf("backend history %+v %v", hist, err)
	}
}

// TestForceOTADialogSaysItIsImmediate: on an online unit Force OTA is offered and its dialog says
// it is the immediate attempt, unlike FW Update.
func TestForceOTADialogSaysItIsImmediate(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	d := pick(t, svc.Fleet(), reachable(svc.Now()))
	h := openPage(t, svc, d.ID, Options{})
	h.do(func() { test.Tap(h.actionButton(fleet.ActionForceOTA)) })
	h.eventually(t, "the release picker", func() bool { return h.radio() != nil })
	h.do(func() {
		if txt := text(h.dialogTop()); !strings.Contains(txt, "immediate attempt") || !strings.Contains(txt, "install the release now") {
			t.Fatalf("Force OTA dialog says\n%s", txt)
		}
	})
}

// TestFirmwareGroupChecksForUpdatesAndOpensRecovery (issue 11 item 10): the Firmware group says
// whether a newer release exists for the unit's exact variant, and its Recovery link hands the
// unit's model and transport to the shell.
func TestFirmwareGroupChecksForUpdatesAndOpensRecovery(t *testing.T) {
	live := startLive(t)
	svc := live.Session
	upToDate := pick(t, svc.Fleet(), func(d fleet.Device) bool {
		rs := rollout.ReleasesFor(d, catalogue(t, live, d))
		return len(rs) > 0 && rs[0].Version == d.Firmware
	})
	behind := pick(t, svc.Fleet(), func(d fleet.Device) bool {
		_, ok := rollout.NewestFor(d, catalogue(t, live, d))
		return ok
	})
	newest, _ := rollout.NewestFor(behind, catalogue(t, live, behind))

	h := openPage(t, svc, upToDate.ID, Options{})
	h.eventually(t, "the update check", func() bool { return strings.Contains(text(h.page.Content()), "Up to date: "+upToDate.Firmware) })

	var model fleet.Model
	var transport fleet.Transport
	h2 := openPage(t, svc, behind.ID, Options{OpenRecovery: func(m fleet.Model, tr fleet.Transport) { model, transport = m, tr }})
	h2.eventually(t, "the update check", func() bool {
		return strings.Contains(text(h2.page.Content()), newest.Version+" available for "+fleet.VariantOf(behind).String())
	})
	h2.do(func() {
		link := button(h2.page.Content(), "Recovery page")
		if link == nil {
			t.Fatal("no Recovery link in the Firmware group")
		}
		test.Tap(link)
	})
	if model != behind.Model || transport != behind.Transport {
		t.Fatalf("Recovery opened for %s %s, want %s %s", model, transport, behind.Model, behind.Transport)
	}
	// Read on the loop: the first page's own background results land there meanwhile.
	h.do(func() {
		if button(h.page.Content(), "Recovery page") != nil {
			t.Fatal("a Recovery link without a way to open the page")
		}
	})
}

// TestStatusSpeaksTheGuidesWords (issue 11 items 8 and 19): the back button says Fleet Console,
// the dealer is named, the firmware console is called so, and the last known location carries its
// age, an old fix visibly marked.
func TestStatusSpeaksTheGuidesWords(t *testing.T) {
	test.NewTempApp(t)
	svc, devs := testfleet.Offline(t, 80, now0)
	var stale fleet.Device
	for _, d := range devs {
		if d.GPS != nil && now0.Sub(d.GPS.FixTime) > staleFix {
			stale = d
			break
		}
	}
	if stale.ID == "" {
		t.Fatal("no unit with an old fix in the generated fleet")
	}
	h := openPage(t, svc, stale.ID, Options{OnBack: func() {}})
	h.do(func() {
		root := h.page.Content()
		if button(root, "Fleet Console") == nil {
			t.Fatal("no Fleet Console back button")
		}
		if got := field(root, "Dealer"); got != "Generated Power Co." {
			t.Fatalf("dealer shows %q, want the dealer's name", got)
		}
		if got, want := field(root, "Firmware console"), map[fleet.Console]string{fleet.ConsoleUnified: "Unified", fleet.ConsoleXPro: "X Pro",
			fleet.ConsoleUltra: "Ultra"}[fleet.ConsoleFor(stale.Model)]; got != want {
			t.Fatalf("firmware console shows %q", got)
		}
		if field(root, "Console") != "" {
			t.Fatal("an ambiguous Console field is shown")
		}
		loc := field(root, "Last known location")
		if !strings.Contains(loc, "old fix") || !strings.Contains(loc, "ago") {
			t.Fatalf("last known location %q does not mark the old fix with its age", loc)
		}
		if !strings.Contains(field(root, "Connection"), "Offline since") && !strings.Contains(field(root, "Connection"), "Online") {
			t.Fatalf("connection %q", field(root, "Connection"))
		}
	})
	// The page fills a window of the app's minimum size without a horizontal scroll.
	h.do(func() {
		h.win.Resize(fyne.NewSize(1000, 650))
		if w := h.page.Content().MinSize().Width; w > 1000 {
			t.Fatalf("the page needs %.0f px of width", w)
		}
	})
}

func TestReleaseLabelSaysWhatInstallingDoes(t *testing.T) {
	d := fleet.Device{ID: "ULTRA-1", Model: fleet.ModelUltra, Console: fleet.ConsoleUltra, Transport: fleet.TransportGSM, Firmware: "3.1.0"}
	rel := rollout.Release{ID: "a", Console: fleet.ConsoleUltra, Model: fleet.ModelUltra, Transport: fleet.TransportGSM, Version: "3.1.0"}
	newer, older := rel, rel
	newer.Version, older.Version = "3.10.0", "3.0.9"
	if releaseLabel(rel, d) != "3.1.0 (installed)" || releaseLabel(newer, d) != "3.10.0" || releaseLabel(older, d) != "3.0.9 (older than installed)" {
		t.Fatal("labels wrong")
	}
}
