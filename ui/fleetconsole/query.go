package fleetconsole

import (
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// Column is one column of the Fleet Console table, in display order.
type Column int

// The Fleet Console's columns.
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

// ColumnByTitle is the column with that header, ok false when none has it (a remembered sort of
// a column a release removed).
func ColumnByTitle(title string) (Column, bool) {
	for c := ColHealth; c < numColumns; c++ {
		if c.Title() == title {
			return c, true
		}
	}
	return 0, false
}

// width is the column's weight in sharing the space left once every column shows its texts
// whole (see columnWidths): mostly names and emails.
func (c Column) width() float32 {
	return [...]float32{0, 0, 0, 200, 240, 0, 0, 0, 0, 0}[c]
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
	units  map[string]struct{} // nil, or the only units to show (unitScope)
}

// run filters and sorts; it touches nothing but its arguments. The matching, the health rule and
// the sort order are app/fleet's: the index did the sorting once for its snapshot, so a keystroke
// costs the match and one pass over the matches.
func (q query) run() []int {
	return keep(q.ix, q.ix.Query(q.filter, fleet.Order{Key: q.sort.Col.sortKey(), Desc: q.sort.Desc}, q.now), q.units)
}

// sortKey is the fleet order a column sorts by.
func (c Column) sortKey() fleet.SortKey {
	switch c {
	case ColHealth:
		return fleet.SortHealth
	case ColConnection:
		return fleet.SortConnection
	case ColName:
		return fleet.SortName
	case ColEmail:
		return fleet.SortEmail
	case ColModel:
		return fleet.SortModel
	case ColTransport:
		return fleet.SortTransport
	case ColFirmware:
		return fleet.SortFirmware
	case ColRunState:
		return fleet.SortRunState
	case ColLastSeen:
		return fleet.SortLastSeen
	}
	return fleet.SortID
}
