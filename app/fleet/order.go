package fleet

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// SortKey is an order a fleet list can be shown in. The rules for each (health worst first,
// most recently seen first, versions by number) live here so every screen sorts the same way.
type SortKey int

// The sort keys, one per console column that can be sorted.
const (
	SortID SortKey = iota
	SortHealth
	SortName
	SortEmail
	SortModel
	SortTransport
	SortFirmware
	SortRunState
	SortLastSeen
	SortConnection
	numSortKeys
)

// Order is a sort key and a direction. Equal keys always stay in device-ID order, in both
// directions, so a view does not shuffle between refreshes.
type Order struct {
	Key  SortKey
	Desc bool
}

// Compare is the order's rule for two devices (ignoring direction and the ID tie-break): the
// simple, per-pair form that the precomputed ranks must agree with.
func (k SortKey) Compare(a, b *Device, now time.Time) int {
	switch k {
	case SortHealth:
		return CompareHealth(healthOf(a, now), healthOf(b, now))
	case SortID:
		return strings.Compare(a.ID, b.ID)
	case SortName:
		return compareFold(a.Name, b.Name)
	case SortEmail:
		return compareFold(a.CustomerEmail, b.CustomerEmail)
	case SortModel:
		return strings.Compare(string(a.Model), string(b.Model))
	case SortTransport:
		return strings.Compare(string(a.Transport), string(b.Transport))
	case SortFirmware:
		return CompareVersions(a.Firmware, b.Firmware)
	case SortRunState:
		return strings.Compare(string(a.RunState), string(b.RunState))
	case SortLastSeen:
		// Ascending = most recently seen first, the way "2 min ago" before "3 h ago" reads.
		return b.LastSeen.Compare(a.LastSeen)
	case SortConnection:
		// Offline first, longest offline first: the same trouble-first order as health.
		if ra, rb := healthOf(a, now) != HealthLost, healthOf(b, now) != HealthLost; ra != rb {
			if ra {
				return 1
			}
			return -1
		}
		return a.LastSeen.Compare(b.LastSeen)
	}
	return 0
}

// compareFold compares ASCII case-insensitively, byte by byte.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lowerByte(a[i]), lowerByte(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// health is a snapshot's health, reduced to two instants per device, so that classifying a
// device at any time is two integer comparisons instead of a transport lookup and time math.
type health struct {
	lateAt, lostAt []int64 // Unix ns after which the device is late / lost
	flags          []uint8
}

const (
	flagAttention = 1 << iota // alarms or a fault
	flagOffline               // the backend says offline
)

// unixNs bounds: times outside them do not fit in int64 nanoseconds.
var (
	minNs = time.Unix(0, math.MinInt64+1)
	maxNs = time.Unix(0, math.MaxInt64-1)
)

// add is t+d in Unix ns, saturating, with a time before the representable range treated as
// "always passed" and after it as "never".
func addNs(t time.Time, d time.Duration) int64 {
	switch {
	case t.Before(minNs):
		return math.MinInt64
	case t.After(maxNs):
		return math.MaxInt64
	}
	ns := t.UnixNano()
	if ns > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return ns + int64(d)
}

func buildHealth(devs []*Device) *health {
	h := &health{lateAt: make([]int64, len(devs)), lostAt: make([]int64, len(devs)), flags: make([]uint8, len(devs))}
	for i, d := range devs {
		th := ThresholdsFor(d.Transport)
		if d.LastSeen.IsZero() {
			h.lostAt[i], h.lateAt[i] = math.MinInt64, math.MinInt64
		} else {
			h.lostAt[i], h.lateAt[i] = addNs(d.LastSeen, th.LostAfter), addNs(d.LastSeen, th.LiveFor)
		}
		if len(d.Alarms) > 0 || d.RunState == RunFault {
			h.flags[i] |= flagAttention
		}
		if !d.Online {
			h.flags[i] |= flagOffline
		}
	}
	return h
}

// at is healthOf for device i at now (Unix ns); the same rule, precomputed.
func (h *health) at(i int, now int64) Health {
	switch {
	case now > h.lostAt[i] || h.flags[i]&flagOffline != 0:
		return HealthLost
	case h.flags[i]&flagAttention != 0:
		return HealthAttention
	case now > h.lateAt[i]:
		return HealthLate
	}
	return HealthLive
}

// ranking is one sort key's dense rank per device (equal keys, equal rank) and the devices
// listed by (rank, position): the sort done once per snapshot so a keystroke only filters it.
type ranking struct {
	rank  []int32 // per device position
	perm  []int32 // positions by (rank, position)
	group []int32 // group[r] is where rank r starts in perm; len = ranks+1
}

// snapshot is what an Index computes once, on first use, and keeps for its lifetime.
type snapshot struct {
	healthOnce sync.Once
	health     *health
	rankOnce   [numSortKeys]sync.Once
	ranks      [numSortKeys]*ranking
	gramsOnce  sync.Once
	grams      *grams
	textsOnce  sync.Once
}

func (ix *Index) healthTable() *health {
	ix.pre.healthOnce.Do(func() { ix.pre.health = buildHealth(ix.devices) })
	return ix.pre.health
}

// ranking returns key's ranking (not for SortHealth or SortConnection, which depend on the time).
func (ix *Index) ranking(k SortKey) *ranking {
	ix.pre.rankOnce[k].Do(func() { ix.pre.ranks[k] = buildRanking(ix.devices, k) })
	return ix.pre.ranks[k]
}

func buildRanking(devs []*Device, k SortKey) *ranking {
	n := len(devs)
	r := &ranking{rank: make([]int32, n), perm: make([]int32, n)}
	for i := range r.perm {
		r.perm[i] = int32(i)
	}
	if k != SortID {
		// Equal keys stay in position (ID) order: the tie-break makes the sort stable.
		var t time.Time
		slices.SortFunc(r.perm, func(a, b int32) int {
			if c := k.Compare(devs[a], devs[b], t); c != 0 {
				return c
			}
			return int(a - b)
		})
	}
	r.group = append(r.group, 0)
	for j, p := range r.perm {
		if j > 0 && (k == SortID || k.Compare(devs[r.perm[j-1]], devs[p], time.Time{}) != 0) {
			r.group = append(r.group, int32(j))
		}
		r.rank[p] = int32(len(r.group) - 1)
	}
	r.group = append(r.group, int32(n))
	if n == 0 {
		r.group = []int32{0}
	}
	return r
}

// order puts matched positions (ascending) in the order o at now. It owns hits.
func (ix *Index) order(hits []int, o Order, now time.Time) []int {
	if len(hits) < 2 {
		return hits
	}
	switch o.Key {
	case SortID:
		if o.Desc {
			slices.Reverse(hits)
		}
		return hits
	case SortHealth:
		return ix.orderByHealth(hits, o.Desc, now)
	case SortConnection:
		return ix.orderByConnection(hits, o.Desc, now)
	}
	if o.Key < 0 || o.Key >= numSortKeys {
		return hits
	}
	r := ix.ranking(o.Key)
	n := len(ix.devices)
	if len(hits)*16 < n {
		// Few hits: sort them by (rank, position) packed in one integer.
		keys := make([]uint64, len(hits))
		top := uint64(len(r.group) - 2)
		for j, p := range hits {
			rk := uint64(r.rank[p])
			if o.Desc {
				rk = top - rk
			}
			keys[j] = rk<<32 | uint64(p)
		}
		slices.Sort(keys)
		for j, key := range keys {
			hits[j] = int(key & (1<<32 - 1))
		}
		return hits
	}
	// Many hits: walk the precomputed order and keep the members.
	member := make([]uint64, (n+63)/64)
	for _, p := range hits {
		member[p>>6] |= 1 << (p & 63)
	}
	out := hits[:0]
	emit := func(from, to int32) {
		for _, p := range r.perm[from:to] {
			if member[p>>6]&(1<<(p&63)) != 0 {
				out = append(out, int(p))
			}
		}
	}
	if !o.Desc {
		emit(0, int32(n))
		return out
	}
	for g := len(r.group) - 2; g >= 0; g-- {
		emit(r.group[g], r.group[g+1])
	}
	return out
}

// orderByHealth is a stable counting sort into the four health ranks at now.
func (ix *Index) orderByHealth(hits []int, desc bool, now time.Time) []int {
	h := ix.healthTable()
	ns := now.UnixNano()
	var count [5]int
	rank := make([]uint8, len(hits))
	for j, p := range hits {
		rk := uint8(h.at(p, ns).Rank())
		if desc {
			rk = 3 - rk
		}
		rank[j] = rk
		count[rk+1]++
	}
	for r := 1; r < len(count); r++ {
		count[r] += count[r-1]
	}
	out := make([]int, len(hits))
	for j, p := range hits {
		out[count[rank[j]]] = p
		count[rank[j]]++
	}
	return out
}

// orderByConnection puts offline units first, longest offline first (descending: online first,
// most recently seen first): the last-seen order, partitioned at now, stably.
func (ix *Index) orderByConnection(hits []int, desc bool, now time.Time) []int {
	hits = ix.order(hits, Order{Key: SortLastSeen, Desc: !desc}, now)
	h := ix.healthTable()
	ns := now.UnixNano()
	out := make([]int, 0, len(hits))
	for pass := 0; pass < 2; pass++ {
		wantOffline := (pass == 0) != desc
		for _, p := range hits {
			if (h.at(p, ns) == HealthLost) == wantOffline {
				out = append(out, p)
			}
		}
	}
	return out
}
