package fleet

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"
	"weak"
)

func TestPatch(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	base := benchFleet(50, now)
	ix := NewIndex(append([]Device(nil), base...))
	ch := ix.At(3)
	ch.Name = "Renamed Pump"
	add := Device{ID: "GEN-000010x", Name: "new one", CustomerEmail: "fresh@x.example"}
	add0 := Device{ID: "AAA-first", Name: "first"}
	p := ix.Patch([]Device{ch, add, add0}, []string{ix.At(7).ID, "not-there"})
	if p.Len() != 51 {
		t.Fatalf("len %d", p.Len())
	}
	for i := 1; i < p.Len(); i++ {
		if p.At(i-1).ID >= p.At(i).ID {
			t.Fatalf("not in ID order at %d: %s %s", i, p.At(i-1).ID, p.At(i).ID)
		}
	}
	if _, ok := p.Get(ix.At(7).ID); ok {
		t.Error("removed device still there")
	}
	if d, ok := p.Get(ch.ID); !ok || d.Name != "Renamed Pump" {
		t.Errorf("changed device %+v", d)
	}
	if got := p.Search(Filter{Text: "renamed"}, now); len(got) != 1 || p.At(got[0]).ID != ch.ID {
		t.Errorf("search text not updated: %v", got)
	}
	if got := p.Search(Filter{Text: "FRESH@"}, now); len(got) != 1 || p.At(got[0]).ID != add.ID {
		t.Errorf("new device not searchable: %v", got)
	}
	if p.At(0).ID != "AAA-first" {
		t.Errorf("first is %s", p.At(0).ID)
	}
	// The old snapshot is untouched.
	if ix.Len() != 50 || ix.At(3).Name == "Renamed Pump" {
		t.Error("Patch modified the original index")
	}
	if _, ok := ix.Get(add.ID); ok {
		t.Error("original index sees the new device")
	}
	// Every device of the patched index matches a fresh build.
	want := NewIndex(values(p))
	for i := 0; i < want.Len(); i++ {
		if pos, ok := p.position(p.At(i).ID); want.At(i).ID != p.At(i).ID || want.searchTexts()[i] != p.searchTexts()[i] || !ok || pos != i {
			t.Fatalf("entry %d differs from a fresh index", i)
		}
	}
}

func TestPatchEmptyAndDuplicates(t *testing.T) {
	var empty *Index
	devs := []Device{{ID: "b", Name: "one"}, {ID: "a"}, {ID: "b", Name: "two"}}
	p := empty.Patch(devs, nil)
	if p.Len() != 2 || p.At(0).ID != "a" || p.At(1).Name != "two" {
		t.Fatalf("%+v", p.Devices())
	}
	if d, ok := p.Get("b"); !ok || d.Name != "two" {
		t.Errorf("get b: %+v", d)
	}
	// Removing and re-adding in the same batch keeps the device.
	q := p.Patch([]Device{{ID: "a", Name: "back"}}, []string{"a", "b"})
	if q.Len() != 1 || q.At(0).Name != "back" {
		t.Errorf("%+v", q.Devices())
	}
	if p.Patch(nil, nil) != p {
		t.Error("an empty patch copied the index")
	}
	_ = fmt.Sprint()
}

// A delta of known devices only takes the in-place path; it must equal a rebuild from scratch,
// leave the old index as it was, and keep Unicode names searchable the way strings.ToLower says.
func TestPatchInPlaceEqualsRebuild(t *testing.T) {
	base := orderFleet(800)
	base[3].Name = "ÄBC Straße Ölmühle"
	ix := NewIndex(slices.Clone(base))
	before := values(ix)
	changed := []Device{ix.At(10), ix.At(500), ix.At(10)}
	changed[0].Name = "first copy"
	changed[1].CustomerEmail = "NEW@Example.COM"
	changed[2].Name = "İstanbul later copy wins"
	p := ix.Patch(changed, nil)
	want := NewIndex(values(p))
	for _, text := range []string{"later copy", "first copy", "new@example", "straße", "äbc", "i̇stanbul", "farm"} {
		if got, w := p.Search(Filter{Text: text}, t0), want.Search(Filter{Text: text}, t0); !slices.Equal(got, w) {
			t.Fatalf("%q: patched %v, rebuilt %v", text, got, w)
		}
	}
	if d, ok := p.Get(ix.At(10).ID); !ok || d.Name != "İstanbul later copy wins" {
		t.Fatalf("Get after patch: %+v", d)
	}
	if len(p.Search(Filter{Text: "straße"}, t0)) != 1 {
		t.Fatal("a Unicode name is not found")
	}
	for i := range before {
		if ix.At(i).Name != before[i].Name || ix.At(i).CustomerEmail != before[i].CustomerEmail {
			t.Fatalf("the old index changed at %d", i)
		}
		// A delta copies the devices it changes, and shares the rest with the old snapshot.
		if shared := p.Devices()[i] == ix.Devices()[i]; shared != (i != 10 && i != 500) {
			t.Fatalf("device %d shared with the old snapshot: %v", i, shared)
		}
	}
}

// values copies an index's devices out, in ID order.
func values(ix *Index) []Device {
	out := make([]Device, 0, ix.Len())
	for _, d := range ix.Devices() {
		out = append(out, *d)
	}
	return out
}

// Deltas give changed devices allocations of their own; once most devices have changed, the
// array a load put them in must not stay alive for the few that did not (nor its positions and
// search texts), and the index must read exactly as before the move.
func TestPatchReleasesTheLoadedArray(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	base := benchFleet(1000, now)
	for i := range base {
		base[i].GPS = &Position{Lat: float64(i) / 100, Lon: 1}
	}
	loaded := weak.Make(&base[0])
	base999 := base[999].Name
	ix := NewIndex(base)
	base = nil
	ix.Search(Filter{Text: "unit"}, now) // the search texts are built, and carried by every patch
	snapshots := []*Index{ix}
	for round := 0; round < 6; round++ { // 100 changes each, so the block empties below half
		var changed []Device
		for i := round * 100; i < round*100+100; i++ {
			d := ix.At(i)
			d.Name = fmt.Sprintf("changed-in-round-%d", round)
			changed = append(changed, d)
		}
		ix = ix.Patch(changed, nil)
		snapshots = append(snapshots, ix)
	}
	if ix.block != nil {
		t.Fatal("600 of 1,000 devices changed and the rest still live in the loaded array")
	}
	if snapshots[4].block == nil {
		t.Fatal("the loaded array was given up before half its devices had changed")
	}
	for i := 0; i < ix.Len(); i++ {
		d, want := ix.At(i), snapshots[len(snapshots)-2].At(i)
		if i >= 500 && i < 600 {
			want.Name = "changed-in-round-5"
		}
		if d.ID != want.ID || d.Name != want.Name || *d.GPS != *want.GPS || ix.searchTexts()[i] != haystackOf(&d) {
			t.Fatalf("device %d after the move: %+v, want %+v", i, d, want)
		}
	}
	if got := ix.Search(Filter{Text: "round-5"}, now); len(got) != 100 {
		t.Fatalf("%d devices found after the move, want 100", len(got))
	}
	// The older snapshots still read the array, unchanged.
	if d := snapshots[0].At(999); d.Name != base999 || snapshots[0].Devices()[999].GPS.Lat != 9.99 {
		t.Fatalf("the first snapshot changed: %+v", d)
	}
	// With them gone, nothing holds the loaded array any more.
	snapshots = nil
	runtime.GC()
	runtime.GC()
	if loaded.Value() != nil {
		t.Error("the loaded array is still alive after the move")
	}
	runtime.KeepAlive(ix)
}

// An index nobody searched keeps no search texts, nor does a patch of it; once a search built
// them, patches carry them over, sharing the unchanged ones, and search as a fresh index does.
func TestSearchTextsOnlyOnceSearched(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix := NewIndex(benchFleet(200, now))
	change := func(ix *Index, i int, name string) *Index {
		d := ix.At(i)
		d.Name = name
		return ix.Patch([]Device{d}, nil)
	}
	p := change(ix, 3, "Quarry Pump")
	if ix.builtTexts() != nil || p.builtTexts() != nil {
		t.Fatal("search texts built with no search")
	}
	if got := p.Search(Filter{Text: "quarry pump"}, now); len(got) != 1 || p.At(got[0]).Name != "Quarry Pump" {
		t.Fatalf("search before the texts existed: %v", got)
	}
	q := change(p, 7, "Hillside Well")
	old, texts := p.builtTexts(), q.builtTexts()
	if texts == nil {
		t.Fatal("a patch of a searched index dropped its search texts")
	}
	if unsafe.StringData(texts[6]) != unsafe.StringData(old[6]) || texts[7] != haystackOf(q.Devices()[7]) {
		t.Fatal("unchanged texts not shared, or the changed one not rebuilt")
	}
	want := NewIndex(values(q))
	for _, text := range []string{"hillside well", "quarry", "d1", "@", "pump"} {
		if got, w := q.Search(Filter{Text: text}, now), want.Search(Filter{Text: text}, now); !slices.Equal(got, w) {
			t.Fatalf("%q: patched %v, fresh %v", text, got, w)
		}
	}
}

// TestPatchKeepsFirmwareVersionsTrue: the versions a patched snapshot reports (carried over from
// the last one when a patch cannot change them) are always those of a fresh build, through
// reports on the same version, an update that empties a version, a new version and a removal.
func TestPatchKeepsFirmwareVersionsTrue(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	base := benchFleet(40, now)
	for i := range base {
		base[i].Firmware = []string{"2.1.0", "2.3.0"}[i%2]
	}
	base[5].Firmware = "1.9.2" // the only one on 1.9.2
	ix := NewIndex(append([]Device(nil), base...))
	ix.FirmwareVersions()
	step := func(what string, changed []Device, removed []string) {
		t.Helper()
		ix = ix.Patch(changed, removed)
		if got, want := ix.FirmwareVersions(), NewIndex(values(ix)).FirmwareVersions(); !slices.Equal(got, want) {
			t.Fatalf("%s: versions %v, a fresh build says %v", what, got, want)
		}
	}
	report := ix.At(3)
	report.LastSeen = now.Add(time.Minute)
	step("a unit reports on its version", []Device{report}, nil)
	only := base[5]
	only.Firmware = "2.3.0"
	step("the only 1.9.2 unit updated", []Device{only}, nil)
	fresh := ix.At(8)
	fresh.Firmware = "2.4.0"
	step("a unit on a new version", []Device{fresh}, nil)
	step("that unit removed", nil, []string{fresh.ID})
}
