package fleet

import (
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Filter narrows a fleet the way the console's search box and chips do. The zero Filter matches
// every device. Within one list the values are alternatives (health live OR late); across lists
// all must hold.
type Filter struct {
	// Text is what the dealer typed: each space-separated term must be found, case-insensitive,
	// in the device ID, customer email or name (each term in any of them; see MatchText).
	Text      string
	Health    []Health
	Models    []Model
	Consoles  []Console
	Firmware  []string
	Transport []Transport
	GPSOnly   bool
}

// IsZero reports whether the filter lets everything through.
func (f Filter) IsZero() bool {
	return strings.TrimSpace(f.Text) == "" && len(f.Health) == 0 && len(f.Models) == 0 &&
		len(f.Consoles) == 0 && len(f.Firmware) == 0 && len(f.Transport) == 0 && !f.GPSOnly
}

// Index is an immutable, searchable snapshot of a fleet. Build one per sync change and swap it in;
// searching never allocates per device.
type Index struct {
	// The devices in ID order (Get is a binary search). Each is shared, never modified, by every
	// snapshot it did not change in: a delta sync copies 8 bytes per unit, not the whole record.
	devices []*Device
	// texts is each device's lower-case "id\x00email\x00name", built the first time a text
	// search needs it (8 MB at 100,000 devices that a fleet nobody searches does not keep) and
	// carried over by Patch once built. Read it through searchTexts.
	texts atomic.Pointer[[]string]
	// block is the array the devices of a load or full sync live in; inBlock counts the devices
	// still pointing into it. A delta gives each changed device an allocation of its own, and the
	// block stays alive while any one of its devices is unchanged, so once fewer than half are,
	// Patch moves the rest out too (see releaseIfSparse).
	block   []Device
	inBlock int
	// Computed on first use and kept for the snapshot's life: health instants, sort ranks and
	// per-byte bitsets (see order.go), and the last text search, which the next keystroke
	// narrows when its text contains the last one.
	pre      snapshot
	lastText atomic.Pointer[textHits]
	// firmware is FirmwareVersions, computed once per snapshot: a page redrawn for every live
	// update asks it each time, and it reads every device.
	firmware atomic.Pointer[[]string]
}

// textHits is one text search's result: the positions, ascending, whose search text holds every
// term.
type textHits struct {
	terms []string
	hits  []int32
}

// recordEnd was the record separator of an earlier joined-text search; a needle holding it still
// matches nothing, as before.
const recordEnd = "\x01"

// NewIndex builds an index over devices, ordered by device ID. It keeps the slice it is given.
func NewIndex(devices []Device) *Index {
	sort.Slice(devices, func(i, j int) bool { return devices[i].ID < devices[j].ID })
	return fromBlock(devices)
}

// fromBlock indexes devices, in ID order, pointing into the array.
func fromBlock(devices []Device) *Index {
	return &Index{devices: pointers(devices), block: devices, inBlock: len(devices)}
}

// searchTexts returns the devices' search texts, building them on first use.
func (ix *Index) searchTexts() []string {
	if t := ix.texts.Load(); t != nil {
		return *t
	}
	ix.pre.textsOnce.Do(func() {
		t := haystacks(ix.devices)
		ix.texts.Store(&t)
	})
	return *ix.texts.Load()
}

// builtTexts is the search texts if they were built, else nil.
func (ix *Index) builtTexts() []string {
	if t := ix.texts.Load(); t != nil {
		return *t
	}
	return nil
}

// pointers lists the address of every device in devs, which it keeps.
func pointers(devs []Device) []*Device {
	out := make([]*Device, len(devs))
	for i := range devs {
		out[i] = &devs[i]
	}
	return out
}

// Len is the number of devices in the index.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.devices)
}

// At returns the i-th device in ID order.
func (ix *Index) At(i int) Device { return *ix.devices[i] }

// Devices returns the indexed devices in ID order. They are shared with every reader of this
// snapshot and of later ones: callers must not modify the slice or the devices.
func (ix *Index) Devices() []*Device {
	if ix == nil {
		return nil
	}
	return ix.devices
}

// Get finds a device by ID.
func (ix *Index) Get(id string) (Device, bool) {
	if ix == nil {
		return Device{}, false
	}
	i, ok := ix.position(id)
	if !ok {
		return Device{}, false
	}
	return *ix.devices[i], true
}

// position is where the device id is in ID order, or where it would go.
func (ix *Index) position(id string) (int, bool) {
	return IndexOf(ix.devices, id)
}

// IndexOf finds the device id in devs, which are in ID order as Index.Devices returns them: its
// position, or where it would go.
func IndexOf(devs []*Device, id string) (int, bool) {
	return slices.BinarySearchFunc(devs, id, func(d *Device, id string) int { return strings.Compare(d.ID, id) })
}

// Search returns the positions (for At) of the devices matching f at time now, in ID order.
func (ix *Index) Search(f Filter, now time.Time) []int {
	if ix == nil {
		return nil
	}
	terms := SearchTerms(f.Text)
	out := make([]int, 0, 64)
	if len(terms) == 0 {
		if !f.hasAttributes() {
			out = make([]int, len(ix.devices))
			for i := range out {
				out[i] = i
			}
			return out
		}
		ns := now.UnixNano()
		for i := range ix.devices {
			if ix.matchesAttributes(&f, i, ns) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, t := range terms {
		if strings.Contains(t, recordEnd) {
			return out
		}
	}
	hits := ix.text(terms)
	if !f.hasAttributes() {
		out = make([]int, len(hits))
		for j, p := range hits {
			out[j] = int(p)
		}
		return out
	}
	ns := now.UnixNano()
	for _, p := range hits {
		if ix.matchesAttributes(&f, int(p), ns) {
			out = append(out, int(p))
		}
	}
	return out
}

// SearchTerms splits what the dealer typed into the terms that must all match: lower case,
// separated by white space. A term found inside another term is dropped, since the longer one
// implies it ("kar kariuki" is "kariuki"). Nil when nothing was typed.
func SearchTerms(text string) []string {
	fields := strings.Fields(strings.ToLower(text))
	if len(fields) < 2 {
		return fields
	}
	out := fields[:0:0]
	for i, t := range fields {
		implied := false
		for j, u := range fields {
			// Of two equal terms the first is kept.
			if j != i && strings.Contains(u, t) && (len(u) > len(t) || j < i) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, t)
		}
	}
	return out
}

// MatchText reports whether every term of text (see SearchTerms) is found, case-insensitive, in
// at least one of fields: the search box's rule for anything a dealer looks up by typing.
func MatchText(text string, fields ...string) bool {
	terms := SearchTerms(text)
	if len(terms) == 0 {
		return true
	}
	return matchTerms(strings.ToLower(strings.Join(fields, "\x00")), terms)
}

// matchTerms reports whether the lower-case search text holds every term.
func matchTerms(hay string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

// Query is Search in the order o: what a list view shows. The sort work was done once for the
// snapshot, so a query costs the matching plus a pass over the matches.
func (ix *Index) Query(f Filter, o Order, now time.Time) []int {
	return ix.order(ix.Search(f, now), o, now)
}

// text returns the devices whose search text holds every term (lower case, none empty). The
// byte and byte-pair index gives the candidates (exact when every term has one or two bytes),
// which are then checked. A query that refines the last one (each of its terms inside one of the
// new terms, as when a dealer types on) starts from the last one's hits instead, and looks only
// at the terms that are new: through the index, then, for those longer than two bytes, in the
// text.
func (ix *Index) text(terms []string) []int32 {
	last := ix.lastText.Load()
	if last != nil && slices.Equal(last.terms, terms) {
		return last.hits
	}
	g := ix.grams()
	var cands []int32
	var exact bool
	check := terms
	if last != nil && refines(terms, last.terms) {
		check = slices.DeleteFunc(slices.Clone(terms), func(t string) bool { return slices.Contains(last.terms, t) })
		f := g.filter(check)
		cands, exact = f.keep(last.hits), f.exact
	} else {
		cands, exact = g.candidates(terms)
	}
	hits := cands
	if !exact {
		hay := ix.searchTexts()
		// Terms of one or two bytes were answered by the index. (A copy: terms is kept with the hits.)
		check = slices.DeleteFunc(slices.Clone(check), func(t string) bool { return len(t) <= 2 })
		hits = make([]int32, 0, len(cands))
		for _, p := range cands {
			if matchTerms(hay[p], check) {
				hits = append(hits, p)
			}
		}
	}
	ix.lastText.Store(&textHits{terms: terms, hits: hits})
	return hits
}

// refines reports whether every device matching terms also matches old: each old term is part of
// one of the new terms.
func refines(terms, old []string) bool {
	for _, o := range old {
		found := false
		for _, t := range terms {
			if strings.Contains(t, o) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (f *Filter) hasAttributes() bool {
	return f.GPSOnly || len(f.Models) > 0 || len(f.Consoles) > 0 || len(f.Transport) > 0 ||
		len(f.Firmware) > 0 || len(f.Health) > 0
}

// matchesAttributes is Filter.matchesAttributes for device i, with health from the snapshot's
// precomputed instants.
func (ix *Index) matchesAttributes(f *Filter, i int, now int64) bool {
	return f.matchesStatic(ix.devices[i]) &&
		(len(f.Health) == 0 || contains(f.Health, ix.healthTable().at(i, now)))
}

// matchesStatic is the part of the filter that does not depend on the time.
func (f *Filter) matchesStatic(d *Device) bool {
	if f.GPSOnly && d.GPS == nil {
		return false
	}
	if len(f.Models) > 0 && !contains(f.Models, d.Model) {
		return false
	}
	if len(f.Consoles) > 0 && !contains(f.Consoles, d.Console) {
		return false
	}
	if len(f.Transport) > 0 && !contains(f.Transport, d.Transport) {
		return false
	}
	return len(f.Firmware) == 0 || contains(f.Firmware, d.Firmware)
}

func (f *Filter) matchesAttributes(d *Device, now time.Time) bool {
	return f.matchesStatic(d) && (len(f.Health) == 0 || contains(f.Health, healthOf(d, now)))
}

// Matches reports whether one device passes the filter.
func (f Filter) Matches(d Device, now time.Time) bool {
	if !MatchText(f.Text, d.ID, d.CustomerEmail, d.Name) {
		return false
	}
	return f.matchesAttributes(&d, now)
}

// FirmwareVersions lists the distinct firmware versions in the index, sorted. It is computed on
// first use and kept for the snapshot's life; the caller must not modify the slice.
func (ix *Index) FirmwareVersions() []string {
	if p := ix.firmware.Load(); p != nil {
		return *p
	}
	// A fleet runs a handful of versions: a linear look through them beats hashing each
	// device's, and the previous device's version is most often the same.
	var out []string
	last := ""
	for _, d := range ix.Devices() {
		if d.Firmware == "" || d.Firmware == last {
			continue
		}
		last = d.Firmware
		if !slices.Contains(out, d.Firmware) {
			out = append(out, d.Firmware)
		}
	}
	sort.Strings(out)
	ix.firmware.Store(&out)
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
