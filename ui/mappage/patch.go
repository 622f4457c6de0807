package mappage

import (
	"container/heap"
	"slices"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/mapview"
)

// Live updates (issue 23) bring a new snapshot every 250 ms that differs from the last in a few
// hundred units. Building all 100,000 markers for each costs tens of milliseconds of a core; a
// marker set is instead patched from the last one built: a snapshot shares every unchanged unit's
// record with the one before (fleet.Index.Patch), so the units to look at again are those whose
// record is another pointer, plus those whose colour, fix age or health-filter match the passing
// of time changed. The result is the one a full build would give (TestPatchEqualsFullBuild).

// transition is the moment a unit's marker or match may change with time alone: its health
// (live → late → lost) or its fix turning a day old. Due once now is past at.
type transition struct {
	at int64 // Unix nanoseconds
	id string
}

// transitions is a min-heap of the moments to look at units again. An entry may be out of date
// (its unit changed since): looking at a unit again is harmless, so such entries are not removed.
type transitions []transition

func (t transitions) Len() int           { return len(t) }
func (t transitions) Less(i, j int) bool { return t[i].at < t[j].at }
func (t transitions) Swap(i, j int)      { t[i], t[j] = t[j], t[i] }
func (t *transitions) Push(x any)        { *t = append(*t, x.(transition)) }
func (t *transitions) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// nextTransition is the first moment after now when d's health or fix staleness changes, or 0
// when neither ever will. A state flips once now is strictly past the moment (fleet.Health and
// FixAge compare with >).
func nextTransition(d *fleet.Device, now int64) int64 {
	next := int64(0)
	consider := func(t time.Time) {
		if n := t.UnixNano(); n >= now && (next == 0 || n < next) {
			next = n
		}
	}
	if !d.LastSeen.IsZero() {
		th := fleet.ThresholdsFor(d.Transport)
		consider(d.LastSeen.Add(th.LiveFor))
		consider(d.LastSeen.Add(th.LostAfter))
	}
	if d.GPS != nil {
		at := d.GPS.FixTime
		if at.IsZero() {
			at = d.LastSeen
		}
		if !at.IsZero() {
			consider(at.Add(fleet.StaleFix))
		}
	}
	return next
}

// markerOf is one unit's marker at now.
func markerOf(d *fleet.Device, now time.Time) mapview.Marker {
	attn := d.HealthAt(now).NeedsAttention()
	c := greenMarker
	if attn {
		c = redMarker
	}
	_, stale, _ := d.FixAge(now)
	return mapview.Marker{ID: d.ID, Lat: d.GPS.Lat, Lon: d.GPS.Lon, Color: c, Attention: attn, Stale: stale}
}

// timeMatters reports whether a unit's moments must be kept: every unit when the filter picks
// by health (time can bring one in or out), else only those drawn.
func timeMatters(f *fleet.Filter, member bool, d *fleet.Device) bool {
	return len(f.Health) > 0 || (member && d.GPS != nil)
}

// schedule builds the moments of every unit of the set (a full build's last step).
func (s *markerSet) schedule() {
	ns := s.q.now.UnixNano()
	devs := s.q.ix.Devices()
	t := make(transitions, 0, len(s.found))
	k := 0
	for i, d := range devs {
		member := k < len(s.found) && s.found[k] == i
		if member {
			k++
		}
		if timeMatters(&s.q.filter, member, d) {
			if at := nextTransition(d, ns); at != 0 {
				t = append(t, transition{at, d.ID})
			}
		}
	}
	heap.Init(&t)
	s.due = &t
}

// sameFilter reports whether two filters pick the same units.
func sameFilter(a, b fleet.Filter) bool {
	return a.Text == b.Text && a.GPSOnly == b.GPSOnly && slices.Equal(a.Health, b.Health) &&
		slices.Equal(a.Models, b.Models) && slices.Equal(a.Consoles, b.Consoles) &&
		slices.Equal(a.Firmware, b.Firmware) && slices.Equal(a.Transport, b.Transport)
}

// spares are the arrays of an earlier marker set that nothing reads any more (neither the map,
// nor the selection, nor a base): a patch writes into them instead of allocating its own.
type spares struct {
	markers    []mapview.Marker
	found, pos []int
}

// reuse is spare emptied when it has room for about n elements, else a new array with that room.
func reuse[T any](spare []T, n int) []T {
	n += n/64 + 16
	if cap(spare) >= n {
		return spare[:0]
	}
	return make([]T, 0, n)
}

// patch builds q's markers from base, the set last built, looking again only at the units that
// changed or whose moment came. ok is false when base cannot serve (another filter, the clock
// went back, no base) or when so much changed that a full build is cheaper; base's moments are
// taken over by the result and must not be used again when ok is true. spare, when big enough,
// is an array no one else reads that the markers are written into.
func (q markerQuery) patch(base *markerSet, spare spares) (out markerSet, ok bool) {
	if base == nil || base.due == nil || base.q.ix == nil || q.ix == nil ||
		!sameFilter(base.q.filter, q.filter) || q.now.Before(base.q.now) ||
		strings.Contains(q.filter.Text, "\x01") { // Search's odd case for a legacy separator: left to it
		return markerSet{}, false
	}
	old, cur := base.q.ix.Devices(), q.ix.Devices()
	due := base.due
	if len(*due) > 4*len(cur)+1024 {
		return markerSet{}, false // mostly out-of-date moments: a full build starts afresh
	}
	if !related(old, cur) {
		return markerSet{}, false
	}
	ns := q.now.UnixNano()
	// The units whose moment came, in ID order to follow the walk below.
	var timed []string
	for len(*due) > 0 && (*due)[0].at < ns {
		timed = append(timed, heap.Pop(due).(transition).id)
	}
	slices.Sort(timed)
	limit := len(cur)/8 + 64 // looked at again beyond this, a full build costs less
	var pushed []transition

	out = markerSet{q: q, found: reuse(spare.found, len(base.found)), pos: reuse(spare.pos, len(base.pos)),
		markers: reuse(spare.markers, len(base.markers))}
	// i walks the base's snapshot, j the new one; k and mk base's matching units and markers.
	i, j, k, mk, tk := 0, 0, 0, 0, 0
	looked := 0
	// dropOld steps past old unit i: its membership and marker in base.
	dropOld := func() {
		if k < len(base.found) && base.found[k] == i {
			k++
			if mk < len(base.pos) && base.pos[mk] == i {
				mk++
			}
		}
		i++
	}
	// evaluate decides new unit j afresh.
	evaluate := func() {
		d := cur[j]
		looked++
		member := q.filter.Matches(*d, q.now)
		if member {
			out.found = append(out.found, j)
			if d.GPS == nil {
				out.noPos++
			} else {
				out.markers = append(out.markers, markerOf(d, q.now))
				out.pos = append(out.pos, j)
			}
		}
		if timeMatters(&q.filter, member, d) {
			if at := nextTransition(d, ns); at != 0 {
				pushed = append(pushed, transition{at, d.ID})
			}
		}
		j++
	}
	// keep carries base's answer for the r units from i (old) and j (new) over, in bulk: the
	// records are the same and none of their moments came.
	keep := func(r int) {
		shift := j - i
		kEnd, _ := slices.BinarySearch(base.found[k:], i+r)
		mEnd, _ := slices.BinarySearch(base.pos[mk:], i+r)
		kEnd, mEnd = k+kEnd, mk+mEnd
		for _, f := range base.found[k:kEnd] {
			out.found = append(out.found, f+shift)
		}
		out.markers = append(out.markers, base.markers[mk:mEnd]...)
		for _, f := range base.pos[mk:mEnd] {
			out.pos = append(out.pos, f+shift)
		}
		out.noPos += (kEnd - k) - (mEnd - mk)
		k, mk = kEnd, mEnd
		i += r
		j += r
	}
	for j < len(cur) {
		if looked > limit {
			// The moments popped are lost with this set; the full build schedules afresh.
			return markerSet{}, false
		}
		if i >= len(old) {
			evaluate()
			continue
		}
		if old[i] == cur[j] {
			r := 1
			for i+r < len(old) && j+r < len(cur) && old[i+r] == cur[j+r] {
				r++
			}
			// A unit whose moment came is looked at again: the run stops before it.
			for tk < len(timed) && timed[tk] < cur[j].ID {
				tk++
			}
			if tk < len(timed) {
				r, _ = slices.BinarySearchFunc(cur[j:j+r], timed[tk], func(d *fleet.Device, id string) int { return strings.Compare(d.ID, id) })
			}
			if r == 0 { // cur[j] is that unit
				dropOld()
				evaluate()
				continue
			}
			keep(r)
			continue
		}
		switch c := strings.Compare(old[i].ID, cur[j].ID); {
		case c < 0: // removed
			dropOld()
		case c > 0: // added
			evaluate()
		default: // changed
			dropOld()
			evaluate()
		}
	}
	for _, t := range pushed {
		heap.Push(due, t)
	}
	out.due = due
	return out, true
}

// related reports whether cur looks like a patch of old: most of a sample of its units share
// their record with old. A snapshot built afresh (a full sync) shares none, and finding that out
// unit by unit would cost more than the full build it ends in.
func related(old, cur []*fleet.Device) bool {
	const samples = 64
	if len(cur) < 4*samples {
		return true
	}
	shared := 0
	for s := range samples {
		d := cur[s*len(cur)/samples]
		if i, ok := fleet.IndexOf(old, d.ID); ok && old[i] == d {
			shared++
		}
	}
	return shared >= samples/2
}
