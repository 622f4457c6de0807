package console

import (
	"sort"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Column is one column of the console table, in display order.
type Column int

// The console's columns.
const (
	ColHealth Column = iota
	ColConnection
	ColID
	ColName
	ColEmail
	ColModel
	ColTransport
	ColFirmware
	ColRunState
	ColLastSeen
	numColumns
)

// Title is the column header.
func (c Column) Title() string {
	return [...]string{"Health", "Connection", "Device ID", "Name", "Customer email", "Model", "Transport",
		"Firmware", "Run state", "Last seen"}[c]
}

// width is the column's share of the table's width (its width in a 1,450-unit-wide table).
func (c Column) width() float32 {
	return [...]float32{185, 165, 125, 200, 240, 105, 80, 80, 90, 105}[c]
}

// Sort is the table's order: a column and a direction.
type Sort struct {
	Col  Column
	Desc bool
}

// query is everything one search needs, captured on the UI goroutine so the search itself can
// run on another one.
type query struct {
	ix     *fleet.Index
	filter fleet.Filter
	sort   Sort
	now    time.Time
}

// run filters and sorts; it touches nothing but its arguments. The index is in ID order already,
// so the default order costs no sort at all.
func (q query) run() []int {
	rows := q.ix.Search(q.filter, q.now)
	if q.sort.Col == ColID && !q.sort.Desc {
		return rows
	}
	devs := q.ix.Devices()
	var key func(a, b *fleet.Device) int
	switch q.sort.Col {
	case ColHealth:
		// Worst first when ascending: the dealer sorts by health to find trouble.
		key = func(a, b *fleet.Device) int { return fleet.CompareHealth(a.HealthAt(q.now), b.HealthAt(q.now)) }
	case ColConnection:
		// Offline first, longest offline first: the same trouble-first order as health.
		key = func(a, b *fleet.Device) int {
			ra, rb := a.Reachable(q.now), b.Reachable(q.now)
			if ra != rb {
				if ra {
					return 1
				}
				return -1
			}
			return a.LastSeen.Compare(b.LastSeen)
		}
	case ColID:
		key = func(a, b *fleet.Device) int { return strings.Compare(a.ID, b.ID) }
	case ColName:
		key = func(a, b *fleet.Device) int { return compareFold(a.Name, b.Name) }
	case ColEmail:
		key = func(a, b *fleet.Device) int { return compareFold(a.CustomerEmail, b.CustomerEmail) }
	case ColModel:
		key = func(a, b *fleet.Device) int { return strings.Compare(string(a.Model), string(b.Model)) }
	case ColTransport:
		key = func(a, b *fleet.Device) int { return strings.Compare(string(a.Transport), string(b.Transport)) }
	case ColFirmware:
		key = func(a, b *fleet.Device) int { return fleet.CompareVersions(a.Firmware, b.Firmware) }
	case ColRunState:
		key = func(a, b *fleet.Device) int { return strings.Compare(string(a.RunState), string(b.RunState)) }
	case ColLastSeen:
		// Ascending = most recently seen first, the way "2 min ago" before "3 h ago" reads.
		key = func(a, b *fleet.Device) int { return b.LastSeen.Compare(a.LastSeen) }
	default:
		return rows
	}
	desc := q.sort.Desc
	// Stable on top of ID order, so equal keys stay in ID order and the view does not shuffle
	// between refreshes.
	sort.SliceStable(rows, func(i, j int) bool {
		k := key(&devs[rows[i]], &devs[rows[j]])
		if desc {
			return k > 0
		}
		return k < 0
	})
	return rows
}

func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
