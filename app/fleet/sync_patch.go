package fleet

import (
	"slices"
	"strings"
	"unsafe"
)

// Patch returns a new index with changed devices added or replaced and removed IDs dropped; ix
// itself is left as it was (screens may still be reading it). Devices that did not change are
// shared with ix, so a delta sync of a few devices costs a copy of the pointers, not of the
// records; the usual delta (patchInPlace) shares the search texts too, while one that adds or
// removes devices leaves them to be built by the next search, as that search builds its byte-pair
// index anyway. An index built from nothing may keep changed's array (as NewIndex keeps its
// slice): do not modify it afterwards.
func (ix *Index) Patch(changed []Device, removed []string) *Index {
	out := ix.patch(changed, removed)
	if ix != nil && out != ix {
		ix.carryFirmware(out, changed, removed)
	}
	return out
}

// carryFirmware gives out ix's firmware versions when the patch cannot have changed them: nothing
// removed, and every changed device already in ix on the same version (a unit reporting in, the
// live stream's usual change). Otherwise out computes them afresh when asked.
func (ix *Index) carryFirmware(out *Index, changed []Device, removed []string) {
	p := ix.firmware.Load()
	if p == nil || len(removed) > 0 {
		return
	}
	for i := range changed {
		if prev, ok := ix.Get(changed[i].ID); !ok || prev.Firmware != changed[i].Firmware {
			return
		}
	}
	out.firmware.Store(p)
}

func (ix *Index) patch(changed []Device, removed []string) *Index {
	if ix == nil {
		ix = NewIndex(nil)
	}
	if len(changed) == 0 && len(removed) == 0 {
		return ix
	}
	if len(ix.devices) == 0 {
		return fresh(changed)
	}
	if out := ix.patchInPlace(changed, removed); out != nil {
		return out
	}
	upd := make(map[string]*Device, len(changed))
	for i := range changed {
		upd[changed[i].ID] = own(&changed[i]) // a later copy of the same ID wins
	}
	gone := make(map[string]bool, len(removed))
	for _, id := range removed {
		if _, again := upd[id]; !again {
			gone[id] = true
		}
	}
	devs := make([]*Device, 0, len(ix.devices)+len(changed))
	used := make(map[string]bool, len(changed))
	for _, d := range ix.devices {
		if gone[d.ID] {
			continue
		}
		if c, ok := upd[d.ID]; ok {
			used[d.ID] = true
			d = c
		}
		devs = append(devs, d)
	}
	var added []*Device
	for id, d := range upd {
		if !used[id] {
			added = append(added, d)
		}
	}
	if len(added) > 0 {
		slices.SortFunc(added, func(a, b *Device) int { return strings.Compare(a.ID, b.ID) })
		// Merge the new devices into the ID order.
		merged := make([]*Device, 0, len(devs)+len(added))
		i, k := 0, 0
		for i < len(devs) || k < len(added) {
			if k < len(added) && (i >= len(devs) || added[k].ID < devs[i].ID) {
				merged = append(merged, added[k])
				k++
			} else {
				merged = append(merged, devs[i])
				i++
			}
		}
		devs = merged
	}
	out := &Index{devices: devs, block: ix.block}
	for _, d := range devs {
		if out.holds(d) {
			out.inBlock++
		}
	}
	return out.releaseIfSparse()
}

// patchInPlace is Patch for the usual delta, changes to known devices and nothing removed or
// added: positions stay, so only the pointer and search-text slices are copied. nil when the
// delta is not of that kind.
func (ix *Index) patchInPlace(changed []Device, removed []string) *Index {
	if len(removed) > 0 {
		return nil
	}
	pos := make([]int, len(changed))
	for i := range changed {
		p, ok := ix.position(changed[i].ID)
		if !ok {
			return nil
		}
		pos[i] = p
	}
	out := &Index{devices: slices.Clone(ix.devices), block: ix.block, inBlock: ix.inBlock}
	// Texts not built stay so: the new index builds its own when a search asks.
	hay := slices.Clone(ix.builtTexts())
	for i := range changed { // in order, so a later copy of the same ID wins
		if out.holds(out.devices[pos[i]]) {
			out.inBlock--
		}
		d := own(&changed[i])
		out.devices[pos[i]] = d
		if hay != nil {
			hay[pos[i]] = haystackOf(d)
		}
	}
	if hay != nil {
		out.texts.Store(&hay)
	}
	return out.releaseIfSparse()
}

// holds reports whether d lives in the index's block.
func (ix *Index) holds(d *Device) bool {
	if len(ix.block) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(d))
	first, last := uintptr(unsafe.Pointer(&ix.block[0])), uintptr(unsafe.Pointer(&ix.block[len(ix.block)-1]))
	return first <= p && p <= last
}

// releaseIfSparse moves the devices still in the block out of it once fewer than half live there,
// each with its position and search text: the block, kept alive by them, would otherwise cost as
// much as the fleet again, and a fresh block would briefly double the fleet's memory (one move
// costs at most half of it). Patch calls it on an index no one else has seen yet.
func (ix *Index) releaseIfSparse() *Index {
	if ix.block == nil || len(ix.devices) < 64 || ix.inBlock*2 >= len(ix.devices) {
		return ix
	}
	hay := ix.builtTexts() // the index's own copy: no one else has seen it yet
	for i, d := range ix.devices {
		if !ix.holds(d) {
			continue
		}
		c := own(d)
		if d.GPS != nil {
			g := *d.GPS
			c.GPS = &g
		}
		ix.devices[i] = c
		if hay != nil {
			hay[i] = strings.Clone(hay[i]) // a build's texts share one buffer
		}
	}
	ix.block, ix.inBlock = nil, 0
	return ix
}

// own copies one changed device out of its batch: pointing into the batch would keep all of it
// alive for as long as any one of its devices stays unchanged.
func own(d *Device) *Device {
	c := *d
	return &c
}

func haystackOf(d *Device) string {
	return strings.ToLower(d.ID + "\x00" + d.CustomerEmail + "\x00" + d.Name)
}

// haystacks computes every device's search text into one allocation: the first search of a
// loaded fleet builds 100,000 of them at once.
func haystacks(devs []*Device) []string {
	n := 0
	for i := range devs {
		n += len(devs[i].ID) + len(devs[i].CustomerEmail) + len(devs[i].Name) + 2
	}
	buf := make([]byte, 0, n)
	out := make([]string, len(devs))
	for i := range devs {
		d := devs[i]
		start := len(buf)
		buf = append(buf, d.ID...)
		buf = append(buf, 0)
		buf = append(buf, d.CustomerEmail...)
		buf = append(buf, 0)
		buf = append(buf, d.Name...)
		ascii := true
		for k := start; k < len(buf); k++ {
			c := buf[k]
			if c >= 0x80 {
				ascii = false
				break
			}
			buf[k] = lowerByte(c)
		}
		if !ascii { // strings.ToLower's Unicode rules; the text may change length
			buf = buf[:start]
			out[i] = haystackOf(d)
			continue
		}
		out[i] = unsafe.String(&buf[start], len(buf)-start)
	}
	return out
}

// fresh builds an index from devices received in change order (a first sync): later copies of an
// ID win, and the result is sorted by ID once.
func fresh(changed []Device) *Index {
	increasing := true
	for i := 1; i < len(changed); i++ {
		if changed[i-1].ID >= changed[i].ID {
			increasing = false
			break
		}
	}
	if increasing { // the backend pages in ID order: no duplicates, no sort
		return fromBlock(changed)
	}
	last := make(map[string]int, len(changed))
	for i := range changed {
		last[changed[i].ID] = i
	}
	order := make([]int, 0, len(last))
	for i := range changed {
		if last[changed[i].ID] == i {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(changed[a].ID, changed[b].ID) })
	devs := make([]Device, len(order))
	for k, i := range order {
		devs[k] = changed[i]
	}
	return fromBlock(devs)
}
