package fleet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// orderFleet is a small fleet with the awkward cases: a few company names and emails shared by
// many units, mixed case, never-seen units, units seen in the far past and future, alarms,
// faults, offline units, and equal sort keys.
func orderFleet(n int) []Device {
	r := rand.New(rand.NewPCG(7, 8))
	last := []string{"Okafor", "OKAFOR", "Hartley", "Moreau", "Nakamura"}
	firms := []string{"2.10.0", "2.9.1", "3.0.0", "", "2.9.1"}
	out := make([]Device, n)
	for i := range out {
		m := AllModels[r.IntN(len(AllModels))]
		d := Device{ID: fmt.Sprintf("%s-%05d", m, i*3+r.IntN(3)), Model: m, Console: ConsoleFor(m),
			Name:          fmt.Sprintf("%s Farm %d", last[r.IntN(len(last))], r.IntN(20)),
			CustomerEmail: fmt.Sprintf("ops%d@%s.example", r.IntN(4), last[r.IntN(len(last))]),
			Transport:     AllTransports[r.IntN(2)], Firmware: firms[r.IntN(len(firms))],
			Online: r.IntN(4) != 0, RunState: []RunState{RunRunning, RunStopped, RunFault}[r.IntN(3)],
			LastSeen: t0.Add(-time.Duration(r.IntN(8*3600)) * time.Second)}
		switch r.IntN(30) {
		case 0:
			d.LastSeen = time.Time{}
		case 1:
			d.LastSeen = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
		case 2:
			d.LastSeen = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		case 3:
			d.LastSeen = t0.Add(-WiFiThresholds.LiveFor) // exactly on a boundary at t0
		}
		if r.IntN(10) == 0 {
			d.Alarms = []string{"low fuel"}
		}
		out[i] = d
	}
	return out
}

// simpleQuery is the rule the fast path must equal: Matches on every device, then a stable sort
// by the key's Compare on top of ID order.
func simpleQuery(ix *Index, f Filter, o Order, now time.Time) []int {
	var rows []int
	for i := 0; i < ix.Len(); i++ {
		if f.Matches(ix.At(i), now) {
			rows = append(rows, i)
		}
	}
	sort.SliceStable(rows, func(a, b int) bool {
		k := o.Key.Compare(ix.devices[rows[a]], ix.devices[rows[b]], now)
		if o.Desc {
			return k > 0
		}
		return k < 0
	})
	return rows
}

// Typing a query one character at a time (so each search narrows the last), deleting, and
// jumping to unrelated text must give exactly the simple rule's rows, for every sort order,
// filter and time.
func TestQueryEqualsSimpleRule(t *testing.T) {
	ix := NewIndex(orderFleet(1500))
	typed := []string{"okafor", "ops2@okafor", "farm 1", "d180-0", "OKA", "o", "", "farm 12", "xyz", ".example"}
	var texts []string
	for _, q := range typed {
		for k := 1; k <= len(q); k++ {
			texts = append(texts, q[:k])
		}
		for k := len(q) - 1; k >= 0; k-- { // backspace
			texts = append(texts, q[:k])
		}
	}
	filters := []Filter{{}, {Health: []Health{HealthLate, HealthAttention}}, {Models: []Model{ModelV5}, GPSOnly: false}}
	nows := []time.Time{t0, t0.Add(time.Nanosecond), t0.Add(-time.Hour), t0.Add(40 * time.Hour)}
	for ti, text := range texts {
		now := nows[ti%len(nows)]
		for _, f := range filters {
			f.Text = text
			for k := SortID; k < numSortKeys; k++ {
				for _, desc := range []bool{false, true} {
					o := Order{Key: k, Desc: desc}
					got, want := ix.Query(f, o, now), simpleQuery(ix, f, o, now)
					if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
						t.Fatalf("text %q filter %+v order %+v at %v: %d rows, want %d (first diff at %d)",
							text, f, o, now, len(got), len(want), firstDiff(got, want))
					}
				}
			}
		}
	}
}

// Few matches take the sort path, many take the walk over the precomputed order: both must agree
// with the rule on a fleet big enough for both.
func TestQueryBothOrderPaths(t *testing.T) {
	ix := NewIndex(orderFleet(5000))
	lists, bitsets := 0, 0
	for _, s := range ix.grams().sets {
		if s.bits != nil {
			bitsets++
		} else {
			lists++
		}
	}
	if lists == 0 || bitsets == 0 {
		t.Fatalf("the fleet exercises %d pair lists and %d pair bitsets; want both", lists, bitsets)
	}
	for _, text := range []string{"farm 1", "okafor farm 19", "ops3@", "v5-0", "@hartley.ex", "-01", "4 "} {
		for k := SortID; k < numSortKeys; k++ {
			for _, desc := range []bool{false, true} {
				o := Order{Key: k, Desc: desc}
				f := Filter{Text: text}
				if got, want := ix.Query(f, o, t0), simpleQuery(ix, f, o, t0); !slices.Equal(got, want) {
					t.Fatalf("text %q order %+v: first diff at %d of %d", text, o, firstDiff(got, want), len(want))
				}
			}
		}
	}
}

// The precomputed health instants classify exactly as HealthAt, including on the boundaries.
func TestPrecomputedHealthEqualsHealthAt(t *testing.T) {
	devs := orderFleet(2000)
	ix := NewIndex(devs)
	h := ix.healthTable()
	for i, d := range ix.Devices() {
		th := ThresholdsFor(d.Transport)
		for _, now := range []time.Time{t0, d.LastSeen.Add(th.LiveFor), d.LastSeen.Add(th.LiveFor + 1),
			d.LastSeen.Add(th.LostAfter), d.LastSeen.Add(th.LostAfter + 1), d.LastSeen.Add(-time.Second)} {
			if now.Year() < 1700 || now.Year() > 2200 {
				continue // outside what a clock can say
			}
			if got, want := h.at(i, now.UnixNano()), d.HealthAt(now); got != want {
				t.Fatalf("%s at %v: %s, want %s", d.ID, now, got, want)
			}
		}
	}
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
