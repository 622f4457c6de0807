package mappage

import (
	"fmt"
	"image/color"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
)

// liveFleet is n units of every model and transport, some without a fix, some in alarm, some
// offline, last seen over the past two days with fixes up to two days old: enough spread that
// minutes passing move some across the live/late/lost and day-old-fix lines.
func liveFleet(rng *rand.Rand, n int) []fleet.Device {
	ds := make([]fleet.Device, n)
	for i := range ds {
		seen := now.Add(-time.Duration(rng.Intn(48*3600)) * time.Second)
		ds[i] = fleet.Device{ID: fmt.Sprintf("GEN-%05d", i*2), Name: []string{"quarry", "farm", "depot"}[i%3],
			Model: fleet.AllModels[i%len(fleet.AllModels)], Transport: fleet.AllTransports[i%2],
			Online: i%7 != 0, LastSeen: seen}
		if i%11 == 0 {
			ds[i].Alarms = []string{"low fuel"}
		}
		if i%10 != 0 {
			ds[i].GPS = &fleet.Position{Lat: rng.Float64()*120 - 60, Lon: rng.Float64()*360 - 180,
				FixTime: seen.Add(-time.Duration(rng.Intn(48*60)) * time.Minute)}
		}
	}
	return ds
}

// liveDelta is one coalesced live update: a few units moved, in or out of alarm, renamed, gone
// offline, reporting in; one removed and one new unit.
func liveDelta(rng *rand.Rand, ix *fleet.Index, at time.Time, step int) (changed []fleet.Device, removed []string) {
	devs := ix.Devices()
	for range 20 {
		d := *devs[rng.Intn(len(devs))]
		switch rng.Intn(5) {
		case 0:
			d.GPS = &fleet.Position{Lat: rng.Float64()*120 - 60, Lon: rng.Float64()*360 - 180, FixTime: at}
		case 1:
			if len(d.Alarms) == 0 {
				d.Alarms = []string{"overheat"}
			} else {
				d.Alarms = nil
			}
		case 2:
			d.Name = []string{"quarry", "farm", "depot"}[rng.Intn(3)]
		case 3:
			d.Online = false
		}
		d.LastSeen = at
		changed = append(changed, d)
	}
	removed = []string{devs[rng.Intn(len(devs))].ID}
	changed = append(changed, fleet.Device{ID: fmt.Sprintf("GEN-%05d-new%d", rng.Intn(4000), step), Name: "quarry",
		Model: fleet.ModelV5, Transport: fleet.TransportWiFi, Online: true, LastSeen: at,
		GPS: &fleet.Position{Lat: 10, Lon: 10, FixTime: at}})
	return changed, removed
}

// sameSet fails the test when a patched set differs from the full build of the same query.
func sameSet(t *testing.T, what string, got, want markerSet) {
	t.Helper()
	if !slices.Equal(got.found, want.found) {
		t.Fatalf("%s: matching units differ from a full build: %d vs %d", what, len(got.found), len(want.found))
	}
	if !slices.Equal(got.pos, want.pos) {
		t.Fatalf("%s: markers' units differ from a full build", what)
	}
	if got.noPos != want.noPos {
		t.Fatalf("%s: %d units without a position, a full build says %d", what, got.noPos, want.noPos)
	}
	if !slices.EqualFunc(got.markers, want.markers, func(a, b mapview.Marker) bool { return a == b }) {
		for i := range min(len(got.markers), len(want.markers)) {
			if got.markers[i] != want.markers[i] {
				t.Fatalf("%s: marker %d is %+v, a full build gives %+v", what, i, got.markers[i], want.markers[i])
			}
		}
		t.Fatalf("%s: %d markers, a full build gives %d", what, len(got.markers), len(want.markers))
	}
}

// A chain of live updates, each patched from the set before, with the clock running (up to a
// minute and a half a step, so units turn late, lost and their fixes a day old with no record changing), equals
// a full build at every step, for every kind of filter the page applies.
func TestPatchEqualsFullBuild(t *testing.T) {
	filters := map[string]fleet.Filter{
		"none":      {},
		"text":      {Text: "quarry"},
		"health":    {Health: []fleet.Health{fleet.HealthLive, fleet.HealthLate}},
		"attention": {Text: "gen", Health: []fleet.Health{fleet.HealthAttention, fleet.HealthLost}},
		"model":     {Models: []fleet.Model{fleet.ModelV5}, Transport: []fleet.Transport{fleet.TransportGSM}},
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			ix := fleet.NewIndex(liveFleet(rng, 4000))
			at := now
			base := markerQuery{ix: ix, filter: f, now: at}.fullBuild()
			patched := 0
			var spare spares // two sets back: what the page hands a patch to write into
			for step := range 40 {
				at = at.Add(time.Duration(rng.Intn(90)) * time.Second)
				changed, removed := liveDelta(rng, ix, at, step)
				ix = ix.Patch(changed, removed)
				q := markerQuery{ix: ix, filter: f, now: at}
				want := q.fullBuild()
				got, ok := q.patch(&base, spare)
				if !ok {
					spare, base = spares{base.markers, base.found, base.pos}, want // too much came due at once: a full build, as the page does
					continue
				}
				spare = spares{base.markers, base.found, base.pos}
				patched++
				sameSet(t, fmt.Sprintf("step %d (%s later)", step, at.Sub(now)), got, want)
				base = got
			}
			if patched < 35 {
				t.Fatalf("only %d of 40 live updates were patched", patched)
			}
		})
	}
}

// The patch path, unit by unit: a changed unit's marker turns red and moves, a removed unit's
// marker goes, a unit that stops matching the search leaves the map, a unit whose last report
// grows old turns red with no record changing.
func TestPatchFollowsEachKindOfChange(t *testing.T) {
	ds := fleetOf() // GEN-001 live quarry pump (WiFi), GEN-002 offline, ULT-005 in alarm
	ix := fleet.NewIndex(ds)
	f := fleet.Filter{Text: "e"} // every unit's name holds an "e" but the farm
	base := markerQuery{ix: ix, filter: f, now: now}.fullBuild()
	byID := func(s markerSet) map[string]mapview.Marker {
		out := map[string]mapview.Marker{}
		for _, m := range s.markers {
			out[m.ID] = m
		}
		return out
	}
	if m, ok := byID(base)["GEN-001"]; !ok || m.Attention {
		t.Fatalf("GEN-001 before: %+v, %v", m, ok)
	}

	gen1 := ds[0]
	gen1.Alarms = []string{"low fuel"}
	gen1.GPS = &fleet.Position{Lat: 50, Lon: 3, FixTime: now}
	ult := ds[4]
	ult.Name, ult.CustomerEmail = "Ultra plant", "ops@ultra.io" // no "e" left in its ID, name or email
	next := ix.Patch([]fleet.Device{gen1, ult}, []string{"GEN-002"})
	q := markerQuery{ix: next, filter: f, now: now.Add(time.Second)}
	got, ok := q.patch(&base, spares{})
	if !ok {
		t.Fatal("a two-unit delta was not patched")
	}
	ms := byID(got)
	if m := ms["GEN-001"]; !m.Attention || m.Color != color.Color(RedColor) || m.Lat != 50 || m.Lon != 3 {
		t.Errorf("GEN-001 after its alarm and move: %+v", m)
	}
	if _, ok := ms["GEN-002"]; ok {
		t.Error("removed GEN-002 still has a marker")
	}
	if _, ok := ms["ULT-005"]; ok {
		t.Error("ULT-005 no longer matches the search but still has a marker")
	}
	sameSet(t, "after the delta", got, q.fullBuild())

	// An hour without a report: GEN-001 (WiFi, last seen a minute before now) turns red though
	// no record changed.
	gen1.Alarms = nil
	next = next.Patch([]fleet.Device{gen1}, nil)
	base = got
	q = markerQuery{ix: next, filter: f, now: now.Add(time.Hour)}
	got, ok = q.patch(&base, spares{})
	if !ok {
		t.Fatal("not patched")
	}
	if m := byID(got)["GEN-001"]; !m.Attention {
		t.Errorf("GEN-001 silent for an hour is still drawn as reporting normally: %+v", m)
	}
	sameSet(t, "an hour later", got, q.fullBuild())
}

// A patch never serves another filter, an earlier clock or a snapshot unrelated to its base:
// those are full builds.
func TestPatchFallsBackToAFullBuild(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	ix := fleet.NewIndex(liveFleet(rng, 2000))
	base := markerQuery{ix: ix, now: now}.fullBuild()
	if _, ok := (markerQuery{ix: ix, filter: fleet.Filter{Text: "farm"}, now: now}).patch(&base, spares{}); ok {
		t.Error("patched across a filter change")
	}
	base = markerQuery{ix: ix, now: now}.fullBuild()
	if _, ok := (markerQuery{ix: ix, now: now.Add(-time.Minute)}).patch(&base, spares{}); ok {
		t.Error("patched with the clock going back")
	}
	base = markerQuery{ix: ix, now: now}.fullBuild()
	fresh := fleet.NewIndex(liveFleet(rand.New(rand.NewSource(3)), 2000)) // equal records, none shared
	if _, ok := (markerQuery{ix: fresh, now: now}).patch(&base, spares{}); ok {
		t.Error("patched a snapshot that shares no record with its base")
	}
}

// The page itself, following live updates: each snapshot a patch of the one before, with the
// clock running. What the map shows after each is what a full build of that snapshot gives, so
// the recycled marker arrays are never one the map still draws.
func TestLiveUpdatesOnThePageEqualAFullBuild(t *testing.T) {
	h := newHarness(t)
	rng := rand.New(rand.NewSource(5))
	ix := fleet.NewIndex(liveFleet(rng, 3000))
	at := now
	f := fleet.Filter{Health: []fleet.Health{fleet.HealthLive, fleet.HealthLate, fleet.HealthAttention}}
	h.do(t, func() {
		h.p.SetFilter(f)
		h.p.SetFleet(ix, at)
	})
	for step := range 12 {
		at = at.Add(time.Duration(rng.Intn(60)) * time.Second)
		changed, removed := liveDelta(rng, ix, at, step)
		ix = ix.Patch(changed, removed)
		next, when := ix, at
		h.do(t, func() { h.p.SetFleet(next, when) })
		want := markerQuery{ix: ix, filter: f, now: at}.fullBuild()
		h.run(t, func() {
			if got := h.p.Map.Markers(); !slices.Equal(got, want.markers) {
				t.Fatalf("step %d: the map shows %d markers, a full build %d (or they differ)", step, len(got), len(want.markers))
			}
			if h.p.status.Text != statusText(len(want.markers), want.noPos, ix.Len()) {
				t.Fatalf("step %d: status %q", step, h.p.status.Text)
			}
		})
	}
}
