package rollout

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

func TestConsolePerModel(t *testing.T) {
	want := map[fleet.Model]fleet.Console{
		fleet.ModelXPro: fleet.ConsoleXPro, fleet.ModelD100: fleet.ConsoleUnified, fleet.ModelD180: fleet.ConsoleUnified,
		fleet.ModelV100: fleet.ConsoleUnified, fleet.ModelV5: fleet.ConsoleUnified, fleet.ModelUltra: fleet.ConsoleUltra,
	}
	for m, c := range want {
		if got := fleet.ConsoleFor(m); got != c {
			t.Errorf("ConsoleFor(%s) = %s, want %s", m, got, c)
		}
	}
	// An Ultra release filed under the Unified console must be rejected, never matched.
	r := rel(fleet.ModelUltra, fleet.TransportGSM, "5.0.0")
	r.Console = fleet.ConsoleUnified
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "Ultra firmware console") {
		t.Fatalf("Validate of an Ultra release on the Unified console: %v", err)
	}
	if Matches(r, dev("u", fleet.ModelUltra, fleet.TransportGSM, "4.0", true)) {
		t.Fatal("an inconsistent release matched a unit")
	}
}

func TestEligibleReasons(t *testing.T) {
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	got := Eligible(r, ptrs(mixedFleet()), dealer, t0)
	if len(got.Eligible) != 6 {
		t.Fatalf("eligible = %d units, want the 6 online D180 GSM units on 2.3.0", len(got.Eligible))
	}
	for _, d := range got.Eligible {
		if !strings.HasPrefix(d.ID, "d180g-0") {
			t.Errorf("%s is eligible", d.ID)
		}
	}
	want := map[string]Reason{
		"d180w-00": ReasonOtherVariant, "d100g-00": ReasonOtherModel, "xpro-00": ReasonOtherConsole,
		"ultra-00": ReasonOtherConsole, "d180g-off": ReasonOffline, "d180g-new": ReasonAlreadyOnVers,
		"d180g-xdl": ReasonOutOfScope,
	}
	if len(got.Excluded) != len(want) {
		t.Fatalf("excluded %d units, want %d: %+v", len(got.Excluded), len(want), got.Excluded)
	}
	for _, x := range got.Excluded {
		if want[x.Device.ID] != x.Reason {
			t.Errorf("%s excluded for %s, want %s", x.Device.ID, x.Reason, want[x.Device.ID])
		}
		if x.Detail == "" {
			t.Errorf("%s excluded without detail", x.Device.ID)
		}
	}
	// Counted: the D180, GSM units left out (offline, already on 2.4.1, another dealer's), not the
	// units the release is never built for (issue 24 item 16).
	if s := got.Summary(); s != "Deploy 2.4.1 (D180, GSM) to 6 units of my_fleet; 3 D180, GSM units excluded" {
		t.Errorf("summary = %q", s)
	}
	if not := got.NotCandidates(); not[ReasonOtherVariant] != 1 || not[ReasonOtherModel] != 1 || not[ReasonOtherConsole] != 2 || len(not) != 3 {
		t.Errorf("NotCandidates = %v", not)
	}
	if !got.Contains("d180g-03") || got.Contains("d180w-00") {
		t.Error("Contains disagrees with the eligible set")
	}
	if by := got.ExcludedBy(); by[ReasonOtherConsole] != 2 || by[ReasonOffline] != 1 {
		t.Errorf("ExcludedBy = %v", by)
	}
}

func TestEligibleNobodyForCustomers(t *testing.T) {
	cust := scope.Actor{UserID: "c", Role: scope.RoleCustomer, Dealer: "dl-1"}
	got := Eligible(rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1"), ptrs(mixedFleet()), cust, t0)
	if len(got.Eligible) != 0 {
		t.Fatalf("a customer account got %d eligible units", len(got.Eligible))
	}
	for _, x := range got.Excluded {
		if x.Reason != ReasonNotPermitted {
			t.Fatalf("%s excluded for %s, want not_permitted", x.Device.ID, x.Reason)
		}
	}
}

func TestEligibleInconsistentRecord(t *testing.T) {
	// A record that says "ultra console" for a D180 is not trusted either way.
	d := dev("odd", fleet.ModelD180, fleet.TransportGSM, "2.3.0", true)
	d.Console = fleet.ConsoleUltra
	got := Eligible(rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1"), ptrs([]fleet.Device{d}), dealer, t0)
	if len(got.Eligible) != 0 || got.Excluded[0].Reason != ReasonOtherConsole {
		t.Fatalf("inconsistent record: %+v", got)
	}
}

func TestThreshold(t *testing.T) {
	cases := []struct {
		th              Threshold
		failures, total int
		want            bool
	}{
		{DefaultThreshold, 0, 100, false},
		{DefaultThreshold, 1, 100, false},
		{DefaultThreshold, 2, 100, true}, // 2 units
		{DefaultThreshold, 1, 20, true},  // 5%
		{DefaultThreshold, 1, 21, false}, // 4.8%
		{Threshold{Units: 10}, 9, 10, false},
		{Threshold{Percent: 50}, 5, 10, true},
		{Threshold{Percent: 50}, 4, 10, false},
	}
	for _, c := range cases {
		if got := c.th.Reached(c.failures, c.total); got != c.want {
			t.Errorf("%s Reached(%d, %d) = %v, want %v", c.th, c.failures, c.total, got, c.want)
		}
	}
	if DefaultThreshold.String() != "2 units or 5%" {
		t.Errorf("default threshold reads %q", DefaultThreshold.String())
	}
	for _, bad := range []Threshold{{}, {Units: -1, Percent: 5}, {Percent: 120}} {
		if bad.Validate() == nil {
			t.Errorf("threshold %+v accepted", bad)
		}
	}
}

// randomFleet draws devices of every model, transport, console record, dealer and state.
func randomFleet(rng *rand.Rand, n int) []fleet.Device {
	models := append(append([]fleet.Model{}, fleet.AllModels...), "Z9")
	consoles := append(append([]fleet.Console{}, fleet.AllConsoles...), "")
	versions := []string{"1.0.0", "2.3.0", "2.4.1", "4.1.0", ""}
	ds := make([]fleet.Device, n)
	for i := range ds {
		m := models[rng.Intn(len(models))]
		d := fleet.Device{ID: fmt.Sprintf("r%04d", i), Model: m, Console: fleet.ConsoleFor(m),
			Transport: fleet.AllTransports[rng.Intn(2)], Firmware: versions[rng.Intn(len(versions))],
			Online: rng.Intn(4) > 0, LastSeen: t0.Add(-time.Duration(rng.Intn(8*3600)) * time.Second),
			Dealer: []string{"dl-1", "dl-2"}[rng.Intn(2)]}
		if rng.Intn(10) == 0 {
			d.Console = consoles[rng.Intn(len(consoles))]
		}
		if rng.Intn(15) == 0 {
			d.Transport = "lte"
		}
		ds[i] = d
	}
	return ds
}

// checkEligibleInvariants is the property every eligible set must have: nothing of another
// console, engine or transport, nothing out of scope, offline or already updated, and every
// device accounted for exactly once.
func checkEligibleInvariants(t *testing.T, r Release, ds []fleet.Device, e Eligibility) {
	t.Helper()
	if len(e.Eligible)+len(e.Excluded) != len(ds) {
		t.Fatalf("%d eligible + %d excluded != %d devices", len(e.Eligible), len(e.Excluded), len(ds))
	}
	for _, d := range e.Eligible {
		if r.Validate() != nil {
			t.Fatalf("inconsistent release %+v has eligible unit %s", r, d.ID)
		}
		if fleet.VariantOf(d) != r.Variant() || d.Console != r.Console {
			t.Fatalf("release %s (%s) eligible on %s (%s, %s)", r.ID, r.Variant(), d.ID, d.Model, d.Transport)
		}
		if d.Dealer != dealer.Dealer || !d.Reachable(t0) || d.Firmware == r.Version {
			t.Fatalf("%s eligible though out of scope, offline or already updated: %+v", d.ID, d)
		}
	}
	for _, x := range e.Excluded {
		if x.Reason == "" || x.Reason.Text() == "" {
			t.Fatalf("%s excluded without a reason", x.Device.ID)
		}
	}
}

func TestEligibleNeverMismatchedProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		ds := randomFleet(rng, 1+rng.Intn(60))
		m := fleet.AllModels[rng.Intn(len(fleet.AllModels))]
		r := rel(m, fleet.AllTransports[rng.Intn(2)], []string{"2.4.1", "4.1.0"}[rng.Intn(2)])
		if rng.Intn(8) == 0 {
			r.Console = fleet.AllConsoles[rng.Intn(3)] // sometimes inconsistent
		}
		checkEligibleInvariants(t, r, ds, Eligible(r, ptrs(ds), dealer, t0))
	}
}

// FuzzEligible drives the same property from fuzzer-chosen seeds and release choices.
func FuzzEligible(f *testing.F) {
	f.Add(int64(1), uint8(2), uint8(0), uint8(40))
	f.Fuzz(func(t *testing.T, seed int64, model, transport, n uint8) {
		rng := rand.New(rand.NewSource(seed))
		ds := randomFleet(rng, int(n%120))
		m := fleet.AllModels[int(model)%len(fleet.AllModels)]
		r := rel(m, fleet.AllTransports[int(transport)%2], "2.4.1")
		if model >= 128 {
			r.Console = fleet.AllConsoles[int(model)%3]
		}
		checkEligibleInvariants(t, r, ds, Eligible(r, ptrs(ds), dealer, t0))
	})
}

// BenchmarkEligible10k is the deploy step's preview over a 10,000-unit fleet; it runs on every
// sync change while the step is open.
func BenchmarkEligible10k(b *testing.B) {
	// In ID order, as the synced fleet.Index hands it over.
	ds := fleet.NewIndex(randomFleet(rand.New(rand.NewSource(3)), 10000)).Devices()
	r := rel(fleet.ModelD180, fleet.TransportGSM, "2.4.1")
	b.ReportAllocs()
	for b.Loop() {
		Eligible(r, ds, dealer, t0)
	}
}

// ptrs is how a fleet.Index hands its devices over.
func ptrs(ds []fleet.Device) []*fleet.Device {
	out := make([]*fleet.Device, len(ds))
	for i := range ds {
		out[i] = &ds[i]
	}
	return out
}
