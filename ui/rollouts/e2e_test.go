package rollouts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// TestEndToEndAgainstSimulator runs the guide's "Roll out a tested firmware" workflow through the
// real wizard, the real data layer and the simulated backend at 600× speed with a 55% OTA failure
// share: validate on one unit, deploy to my_fleet, watch versions change in the synced fleet,
// and see the failure threshold pause the rollout by itself. The report is then read back from
// the offline cache.
func TestEndToEndAgainstSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, acc := testsim.Start(ctx, t, sim.Config{Devices: 400, Dealers: 2, Seed: 11, Speed: 600, OTAFailureShare: 0.55})
	cacheDir := t.TempDir()
	opts := syncer.Options{BackendURL: srv.URL, Profile: "e2e", CacheDir: cacheDir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Interval: 150 * time.Millisecond, Now: srv.Now,
		API: api.Options{Timeout: 5 * time.Second, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxAttempts: 2}}
	svc, err := syncer.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	deadline := time.Now().Add(30 * time.Second)
	for svc.Fleet().Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first sync did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ids := map[fleet.Console]string{}
	for _, c := range fleet.AllConsoles {
		t.Run(c.DisplayName(), func(t *testing.T) { ids[c] = rolloutOnConsole(t, ctx, svc, c) })
	}
	if t.Failed() {
		return
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	// Offline: the same profile opened from the cache alone still has the rollouts and reports.
	off, err := syncer.OpenCached(context.Background(), syncer.Options{Profile: "e2e", CacheDir: cacheDir, Now: srv.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	list, err := off.ListRollouts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for c, id := range ids {
		i := slices.IndexFunc(list, func(x rollout.Rollout) bool { return x.ID == id })
		if i < 0 {
			t.Fatalf("rollout %s of the %s not in the cache: %d rollouts", id, c.DisplayName(), len(list))
		}
		if rep := rollout.ReportOf(list[i]); rep.Total == 0 || !strings.Contains(rep.Text(), " to my_fleet: ") {
			t.Fatalf("offline report of %s:\n%s", id, rep.Text())
		}
	}
}

// rolloutOnConsole runs the whole workflow through the wizard of one console and returns the ID
// of the my_fleet rollout.
func rolloutOnConsole(t *testing.T, ctx context.Context, svc *syncer.Session, c fleet.Console) string {
	h := openPageWith(t, svc, 100*time.Millisecond)

	// The console's WiFi variant with the most online units (WiFi units return fastest), and its
	// newest release.
	count := map[fleet.Variant]int{}
	now := svc.Now()
	for _, d := range svc.Fleet().Devices() {
		if d.Transport == fleet.TransportWiFi && fleet.ConsoleFor(d.Model) == c && d.Reachable(now) {
			count[fleet.VariantOf(d)]++
		}
	}
	var v fleet.Variant
	for k, n := range count {
		if n > count[v] || (n == count[v] && k.Engine < v.Engine) {
			v = k
		}
	}
	rels, err := svc.Releases(ctx, v.Console)
	if err != nil {
		t.Fatal(err)
	}
	var rel rollout.Release
	for _, r := range rels {
		if r.Variant() == v && r.CreatedAt.After(rel.CreatedAt) {
			rel = r
		}
	}
	if rel.ID == "" {
		t.Fatalf("no release for %s", v)
	}
	t.Logf("rolling out %s over %d online %s units", rel.Label(), count[v], v)

	// Validate on one unit; with a 55% failure share a test install may fail, and then the
	// procedure stops there: the dealer starts over and validates again on another unit.
	tried := map[string]bool{}
	for attempt := 0; ; attempt++ {
		if attempt == 10 {
			t.Fatal("no validation passed in 10 attempts")
		}
		if h.page.wizard == nil || h.step() == rollout.StepValidationFailed {
			if h.page.wizard == nil {
				h.tap(v.Console.DisplayName())
			} else {
				h.tap("Start over")
			}
			h.pick(v.Engine.DisplayName())
			h.pick(v.Transport.DisplayName())
			h.tap("Next: choose the release")
			h.q.until(t, "releases", func() bool { return h.wizard().cat.loaded })
			h.pick(rel.Version)
			h.tap("Next: validate on a test device")
			if v.Console == fleet.ConsoleUltra {
				h.pick(v.Transport.DisplayName())
			}
		}
		sel := h.selectWidget()
		var choice string
		// A sync that lags on a busy machine may leave no unit eligible for a moment.
		h.q.until(t, "an eligible test device not tried yet", func() bool {
			for _, o := range sel.Options {
				if !tried[o] {
					choice = o
					return true
				}
			}
			return false
		})
		tried[choice] = true
		sel.SetSelected(choice)
		h.q.settle()
		if _, _, err := h.wizard().proc.Apply(rollout.Deploy{Fleet: svc.Fleet(), Now: svc.Now(), Threshold: rollout.DefaultThreshold}); err == nil {
			t.Fatal("the procedure would deploy to my_fleet before validation")
		}
		// The list is drawn at the last sync; at 600x a WiFi unit silent for 3 s is lost, and a
		// unit may go offline. Such a unit leaves the list, or the tap is refused with the reason
		// (no step change, nothing sent), and the dealer picks another unit.
		if sel.Selected != choice {
			t.Logf("validation attempt %d: %s left the eligible units before the tap", attempt+1, choice)
			continue
		}
		h.tap("Deploy " + rel.Version + " to test device")
		if w := h.wizard(); h.step() == rollout.StepTestDevice && w.errLbl.Visible() {
			t.Logf("validation attempt %d: the wizard refused %s: %s", attempt+1, choice, w.errLbl.Text)
			continue
		}
		h.q.explained(t, 60*time.Second, "validation verdict", func() bool {
			s := h.step()
			return s == rollout.StepReady || s == rollout.StepValidationFailed || (s == rollout.StepTestDevice && h.wizard().proc.LastError() != "")
		}, func() string {
			w := h.wizard()
			ro, has := w.proc.TestRollout()
			d, _ := svc.Fleet().Get(w.proc.TestDevice())
			return fmt.Sprintf(" on %s: step %s, busy %v, test rollout known %v (%s, %+v), started %s, now %s, synced unit online %v on %q",
				choice, h.step(), w.proc.Busy(), has, ro.Status, ro.Units, w.proc.TestStarted().Format(time.TimeOnly),
				svc.Now().Format(time.TimeOnly), d.Online, d.Firmware)
		})
		if h.step() == rollout.StepReady {
			break
		}
		t.Logf("validation attempt %d on %s: %s%s", attempt+1, choice, h.wizard().proc.Failure(), h.wizard().proc.LastError())
	}
	testDev := h.wizard().proc.TestDevice()
	if d, _ := svc.Fleet().Get(testDev); d.Firmware != rel.Version || !d.Online {
		t.Fatalf("validated, but the synced %s reports %s (online %v)", testDev, d.Firmware, d.Online)
	}

	h.q.settle()
	plan := h.wizard().proc.Preview(svc.Fleet(), svc.Now())
	if !h.has(plan.Summary()) {
		t.Fatalf("deploy step does not show %q:\n%s", plan.Summary(), h.text())
	}
	before := map[string]string{}
	for _, d := range plan.Eligible {
		before[d.ID] = d.Firmware
		if fleet.VariantOf(d) != v {
			t.Fatalf("eligible set holds %s of %s", d.ID, fleet.VariantOf(d))
		}
	}
	h.tap("Deploy " + rel.Version + " to ")
	h.q.within(t, 20*time.Second, "fleet rollout", func() bool { _, ok := h.wizard().proc.Rollout(); return ok })
	ro, _ := h.wizard().proc.Rollout()
	for _, u := range ro.Units {
		d, _ := svc.Fleet().Get(u.DeviceID)
		if fleet.VariantOf(d) != v {
			t.Fatalf("the backend rollout reached %s, a %s unit", d.ID, fleet.VariantOf(d))
		}
	}

	// The failure share trips the threshold: the rollout pauses by itself and the dealer is told.
	h.q.within(t, 90*time.Second, "the rollout pauses itself or ends", func() bool {
		r, ok := h.wizard().proc.Rollout()
		return ok && (r.Status == rollout.StatusPaused || h.step() == rollout.StepDone)
	})
	r, _ := h.wizard().proc.Rollout()
	if r.Status != rollout.StatusPaused {
		t.Fatalf("rollout ended %s without pausing: %+v", r.Status, h.wizard().proc.Progress().Counts)
	}
	if !slices.Contains(h.notes.titles(), "Rollout paused itself") {
		t.Fatalf("no notification of the pause: %v", h.notes.titles())
	}
	// On a busy machine the last wave may end the rollout right after the pause; the pause
	// reason then stays in the report.
	if r, _ := h.wizard().proc.Rollout(); r.Status == rollout.StatusPaused && !strings.Contains(h.monHead(), "paused by itself") {
		t.Fatalf("monitor does not say it paused itself:\n%s", h.text())
	} else if r.Status != rollout.StatusPaused && !strings.Contains(r.Reason, "paused itself") {
		t.Fatalf("rollout %s without a pause reason: %q", r.Status, r.Reason)
	}
	pr := h.wizard().proc.Progress()
	if pr.Failures == 0 || !rollout.DefaultThreshold.Reached(pr.Failures, pr.Total) {
		t.Fatalf("paused with %d failures of %d", pr.Failures, pr.Total)
	}

	// Versions change in the synced fleet for the confirmed units. Should the first wave have
	// failed entirely, the dealer resumes (each further failure pauses again) until one confirms.
	resumes := 0
	h.q.explained(t, 60*time.Second, "a unit confirmed on the new version", func() bool {
		p := h.wizard().proc
		for _, u := range p.Progress().Units {
			if d, ok := svc.Fleet().Get(u.DeviceID); ok && u.Stage == rollout.StageConfirmed && d.Firmware == rel.Version && before[d.ID] != rel.Version {
				return true
			}
		}
		r, _ := p.Rollout()
		c := p.Progress().Counts
		if r.Status == rollout.StatusPaused && !p.Busy() && c[rollout.StageInstalling]+c[rollout.StageOnline] == 0 && c[rollout.StageQueued] > 0 {
			resumes++
			h.tap("Resume")
		}
		return false
	}, func() string {
		p := h.wizard().proc
		r, _ := p.Rollout()
		return fmt.Sprintf(" (step %s, rollout %s, busy %v, resumed %d times, stages %v)", h.step(), r.Status, p.Busy(), resumes, p.Progress().Counts)
	})
	t.Logf("resumed %d times before a unit confirmed", resumes)
	if r, _ := h.wizard().proc.Rollout(); h.step() == rollout.StepMonitoring && r.Status == rollout.StatusRunning {
		// Let it pause itself again (or end) so cancelling has something left to stop.
		h.q.within(t, 60*time.Second, "pause or end", func() bool {
			r, _ := h.wizard().proc.Rollout()
			return r.Status != rollout.StatusRunning || h.step() == rollout.StepDone
		})
	}

	// The dealer cancels after investigating (unless the last wave already ended it); the report
	// says what happened.
	if h.step() == rollout.StepMonitoring {
		h.tap("Cancel rollout")
		h.tap("Really cancel?")
	}
	h.q.within(t, 60*time.Second, "report", func() bool { return h.step() == rollout.StepDone })
	rep, _ := h.wizard().proc.Report()
	if (rep.Status != rollout.StatusCancelled && rep.Status != rollout.StatusFinished) || len(rep.Failed)+len(rep.NotReturned) == 0 || len(rep.Confirmed) == 0 {
		t.Fatalf("report %+v", rep)
	}
	t.Logf("report:\n%s", rep.Text())
	h.q.settle()
	if !h.has("to my_fleet: " + string(rep.Status)) {
		t.Fatalf("report not shown:\n%s", h.text())
	}
	h.tap("Back to Firmware Rollouts")
	h.q.until(t, "past rollouts", func() bool {
		return slices.ContainsFunc(h.page.pastRows, func(x rollout.Rollout) bool { return x.ID == ro.ID })
	})
	return ro.ID
}
