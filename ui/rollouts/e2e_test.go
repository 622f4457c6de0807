package rollouts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
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

// failingInstalls makes the next n firmware installs the simulated backend starts fail (the unit
// comes back on its old version), and every other install succeed: which units fail is decided
// by the test, not by chance.
type failingInstalls struct{ left atomic.Int32 }

func (f *failingInstalls) arm(n int) { f.left.Store(int32(n)) }

// fails is sim.Config.OTAFails.
func (f *failingInstalls) fails(string) bool { return f.left.Add(-1) >= 0 }

// TestEndToEndAgainstSimulator runs the guide's "Roll out a tested firmware" workflow through the
// real wizard, the real data layer and the simulated backend: validate on one unit, deploy to
// my_fleet, watch versions change in the synced fleet, and see the failure threshold pause the
// rollout by itself. The failing units are chosen, not drawn: the first two installs of the
// my_fleet rollout fail, every other install succeeds, so the threshold (2 units or 5%) is
// reached on every run. Simulated time moves only when the test advances it (sim.Config
// ManualClock), and after each step the data layer syncs and the page takes its look before the
// test checks anything (live.advance): a slow machine makes the test slower, never wrong. The
// reports are then read back from the offline cache.
func TestEndToEndAgainstSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fail := &failingInstalls{}
	srv, acc := testsim.Start(ctx, t, sim.Config{Devices: 400, Dealers: 2, Seed: 11, ManualClock: true, AccessTTL: 48 * time.Hour,
		OTAFails: fail.fails})
	cacheDir := t.TempDir()
	opts := syncer.Options{BackendURL: srv.URL, Profile: "e2e", CacheDir: cacheDir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, Now: srv.Now,
		API: api.Options{Timeout: 5 * time.Second, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxAttempts: 2}}
	svc, err := syncer.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.Sync(ctx, nil); err != nil || svc.Fleet().Len() == 0 {
		t.Fatalf("first sync: %v, %d units", err, svc.Fleet().Len())
	}
	ids := map[fleet.Console]string{}
	for _, c := range fleet.AllConsoles {
		t.Run(c.DisplayName(), func(t *testing.T) { ids[c] = rolloutOnConsole(t, ctx, svc, srv, c, fail) })
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

// live is a page over the real data layer on a manual-clock backend.
type live struct {
	*harness
	ctx context.Context
	svc *syncer.Replica
	srv *sim.Server
}

// advance moves simulated time on by d, brings the synced fleet up to date and has the page take
// its look at the running deployment, waiting for each: afterwards the page has seen the backend
// as it is at the new time.
func (l *live) advance(d time.Duration) {
	l.t.Helper()
	l.srv.Advance(d)
	if _, err := l.svc.Sync(l.ctx, nil); err != nil {
		l.t.Fatalf("sync: %v", err)
	}
	l.q.drain() // the sync's changes, as the page's subscription delivers them
	if l.page.wizard != nil {
		l.pollLanded()
	}
}

// advanceUntil advances simulated time a step at a time until cond holds, and fails once limit of
// simulated time has passed.
func (l *live) advanceUntil(limit, step time.Duration, what string, cond func() bool) {
	l.t.Helper()
	for spent := time.Duration(0); ; spent += step {
		l.q.drain()
		if cond() {
			return
		}
		if spent >= limit {
			l.t.Fatalf("%s did not happen within %v of simulated time; step %s, counts %q", what, limit, l.step(), l.monCounts())
		}
		l.advance(step)
	}
}

// rolloutOnConsole runs the whole workflow through the wizard of one console and returns the ID
// of the my_fleet rollout.
func rolloutOnConsole(t *testing.T, ctx context.Context, svc *syncer.Replica, srv *sim.Server, c fleet.Console, fail *failingInstalls) string {
	h := &live{harness: openPageWith(t, svc, time.Hour), ctx: ctx, svc: svc, srv: srv}

	// The console's WiFi variant with the most online units (WiFi units return fastest), and its
	// newest release.
	count := map[fleet.Variant]int{}
	now := svc.Now()
	for _, d := range svc.Fleet().Devices() {
		if d.Transport == fleet.TransportWiFi && fleet.ConsoleFor(d.Model) == c && d.Reachable(now) {
			count[fleet.VariantOf(*d)]++
		}
	}
	var v fleet.Variant
	for k, n := range count {
		if n > count[v] || (n == count[v] && k.Model < v.Model) {
			v = k
		}
	}
	rels, err := svc.Releases(ctx, v.Console)
	if err != nil {
		t.Fatal(err)
	}
	rollout.SortReleases(rels)
	var rel rollout.Release
	for _, r := range rels {
		if r.Variant() == v {
			rel = r
			break
		}
	}
	if rel.ID == "" {
		t.Fatalf("no release for %s", v)
	}
	t.Logf("rolling out %s over %d online %s units", rel.Label(), count[v], v)

	// Validate on one unit. Installs succeed; a unit may still go quiet as time is advanced (the
	// simulated fleet lives), and then the procedure refuses or fails it and the dealer picks the
	// next unit.
	h.tap(v.Console.DisplayName())
	h.pick(v.Model.DisplayName())
	h.pick(v.Transport.DisplayName())
	h.tap("Next: choose the release")
	h.q.until(t, "releases", func() bool { return h.wizard().cat.loaded })
	h.pick(rel.Version)
	h.tap("Next: validate on a test device")
	if v.Console == fleet.ConsoleUltra {
		h.pick(v.Transport.DisplayName())
	}
	tried := map[string]bool{}
	for attempt := 1; h.step() != rollout.StepReady; attempt++ {
		if attempt > 10 {
			t.Fatal("no test device could be validated in 10 attempts")
		}
		sel := h.selectWidget()
		var choice string
		h.q.until(t, "an eligible test device not tried yet", func() bool {
			for _, o := range sel.Options {
				if !tried[o] && !strings.Contains(o, "already updated") {
					choice = o
					return true
				}
			}
			return false
		})
		tried[choice] = true
		sel.SetSelected(choice)
		h.q.drain()
		if _, _, err := h.wizard().proc.Apply(rollout.Deploy{Fleet: svc.Fleet(), Now: svc.Now(), Threshold: rollout.DefaultThreshold}); err == nil {
			t.Fatal("the procedure would deploy to my_fleet before validation")
		}
		if sel.Selected != choice {
			t.Logf("attempt %d: %s left the eligible units before the tap", attempt, choice)
			continue
		}
		h.tap("Deploy " + rel.Version + " to test device")
		h.q.until(t, "the test rollout or a refusal", func() bool {
			_, sent := h.wizard().proc.TestRollout()
			return sent || h.wizard().errLbl.Visible() || h.wizard().proc.LastError() != ""
		})
		if w := h.wizard(); h.step() == rollout.StepTestDevice {
			t.Logf("attempt %d: the wizard refused %s: %s %s", attempt, choice, w.errLbl.Text, w.proc.LastError())
			continue
		}
		h.advanceUntil(2*time.Hour, 30*time.Second, "the validation verdict on "+choice, func() bool {
			s := h.step()
			return s == rollout.StepReady || s == rollout.StepValidationFailed
		})
		if h.step() == rollout.StepValidationFailed {
			// Only a unit that stayed away can fail here (no install fails before fail.arm).
			t.Logf("attempt %d on %s: %s", attempt, choice, h.wizard().proc.Failure())
			h.tap("Start over")
			h.pick(v.Model.DisplayName())
			h.pick(v.Transport.DisplayName())
			h.tap("Next: choose the release")
			h.pick(rel.Version)
			h.tap("Next: validate on a test device")
			if v.Console == fleet.ConsoleUltra {
				h.pick(v.Transport.DisplayName())
			}
		}
	}
	testDev := h.wizard().proc.TestDevice()
	if d, _ := svc.Fleet().Get(testDev); d.Firmware != rel.Version || !d.Online {
		t.Fatalf("validated, but the synced %s reports %s (online %v)", testDev, d.Firmware, d.Online)
	}

	plan := h.wizard().proc.Preview(svc.Fleet(), svc.Now())
	h.shows(plan.Summary())
	if len(plan.Eligible) < 4 {
		t.Fatalf("only %d eligible units: the seed no longer gives this test a fleet to work with", len(plan.Eligible))
	}
	before := map[string]string{}
	for _, d := range plan.Eligible {
		before[d.ID] = d.Firmware
		if fleet.VariantOf(d) != v {
			t.Fatalf("eligible set holds %s of %s", d.ID, fleet.VariantOf(d))
		}
	}
	// The first two installs of the rollout fail; the first wave starts them as it is created.
	// Whatever count the dealer says yes to is exactly what the backend deploys.
	h.tap("Deploy " + rel.Version + " to ")
	fail.arm(2)
	var asked int
	if yes := h.button("Yes, deploy"); yes != nil {
		if _, err := fmt.Sscanf(yes.Text, "Yes, deploy "+rel.Version+" to %d", &asked); err != nil {
			t.Fatalf("confirmation %q: %v", yes.Text, err)
		}
	}
	h.tap("Yes, deploy")
	h.q.explained(t, 20*time.Second, "fleet rollout", func() bool { _, ok := h.wizard().proc.Rollout(); return ok },
		func() string {
			return fmt.Sprintf(": step %s, error %q:\n%s", h.step(), h.wizard().proc.LastError(), h.text())
		})
	ro, _ := h.wizard().proc.Rollout()
	if len(ro.Units) != asked {
		t.Fatalf("the dealer confirmed %d units, the backend deploys %d", asked, len(ro.Units))
	}
	for _, u := range ro.Units {
		d, _ := svc.Fleet().Get(u.DeviceID)
		if fleet.VariantOf(d) != v {
			t.Fatalf("the backend rollout reached %s, a %s unit", d.ID, fleet.VariantOf(d))
		}
	}

	// The failures reach the threshold: the rollout pauses by itself and the dealer is told.
	h.advanceUntil(6*time.Hour, 30*time.Second, "the rollout to pause itself", func() bool {
		r, _ := h.wizard().proc.Rollout()
		return r.Status == rollout.StatusPaused || h.step() == rollout.StepDone
	})
	if r, _ := h.wizard().proc.Rollout(); r.Status != rollout.StatusPaused {
		t.Fatalf("rollout %s without pausing: %+v", r.Status, h.wizard().proc.Progress().Counts)
	}
	if !slices.Contains(h.notes.titles(), "Rollout paused itself") {
		t.Fatalf("no notification of the pause: %v", h.notes.titles())
	}
	if !strings.Contains(h.monHead(), "paused by itself") {
		t.Fatalf("monitor does not say it paused itself:\n%s", h.text())
	}
	// The units already installing finish; both chosen failures are in before the dealer resumes.
	h.advanceUntil(6*time.Hour, 30*time.Second, "both failures and nothing left installing", func() bool {
		p := h.wizard().proc.Progress()
		return p.Failures == 2 && p.Counts[rollout.StageInstalling]+p.Counts[rollout.StageOnline] == 0
	})
	h.q.until(t, "Resume enabled", func() bool { return !h.button("Resume").Disabled() })
	h.tap("Resume")
	h.q.until(t, "the rollout running again", func() bool { r, _ := h.wizard().proc.Rollout(); return r.Status == rollout.StatusRunning })

	// No further install fails: the rest of the units come back on the new version and the
	// rollout finishes; the synced fleet shows the new version on the confirmed units.
	h.advanceUntil(24*time.Hour, time.Minute, "the report", func() bool { return h.step() == rollout.StepDone })
	rep, _ := h.wizard().proc.Report()
	if rep.Status != rollout.StatusFinished || len(rep.Failed) != 2 || len(rep.Confirmed) == 0 {
		t.Fatalf("report %+v", rep)
	}
	confirmed := 0
	for _, u := range rep.Confirmed {
		if d, ok := svc.Fleet().Get(u.DeviceID); ok && d.Firmware == rel.Version && before[d.ID] != rel.Version {
			confirmed++
		}
	}
	if confirmed == 0 {
		t.Fatal("no confirmed unit shows the new version in the synced fleet")
	}
	t.Logf("report:\n%s", rep.Text())
	for _, want := range []string{"to my_fleet: finished", "validated first on test device " + testDev} {
		h.shows(want)
	}
	h.tap("Back to Firmware Rollouts")
	h.q.until(t, "past rollouts", func() bool {
		return slices.ContainsFunc(h.page.pastRows, func(x rollout.Rollout) bool { return x.ID == ro.ID })
	})
	return ro.ID
}
