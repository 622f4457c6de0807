package fleet

import (
	"math/bits"
	"slices"
)

// grams is a snapshot's text index: for every byte and every pair of adjacent bytes that occurs
// in a search text, the devices holding it. Frequent ones are bitsets (12.5 KB at 100,000
// devices), rare ones sorted position lists, whichever is smaller, so the index stays a few MB
// however varied the names are. One- or two-byte terms are answered exactly; longer ones get the
// devices holding all their pairs as candidates.
type grams struct {
	n     int
	chars [256][]uint64
	pair  []int32 // bigram (first<<8|second) → 1 + index in sets; 0 when absent
	sets  []gramSet
}

type gramSet struct {
	bits []uint64 // set when frequent
	list []int32  // otherwise: positions, ascending
}

func (s *gramSet) has(p int32) bool {
	if s.bits != nil {
		return s.bits[p>>6]&(1<<(p&63)) != 0
	}
	_, ok := slices.BinarySearch(s.list, p)
	return ok
}

func (s *gramSet) size() int {
	if s.bits == nil {
		return len(s.list)
	}
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// grams builds the index once per snapshot.
func (ix *Index) grams() *grams {
	ix.pre.gramsOnce.Do(func() { ix.pre.grams = buildGrams(ix.searchTexts()) })
	return ix.pre.grams
}

func buildGrams(hay []string) *grams {
	n := len(hay)
	words := (n + 63) / 64
	g := &grams{n: n, pair: make([]int32, 1<<16)}
	count := make([]int32, 1<<16)
	seen := make([]int32, 1<<16) // 1 + the last device counted, so a pair counts once per device
	for i, h := range hay {
		bit := uint64(1) << (i & 63)
		for k := 0; k < len(h); k++ {
			c := h[k]
			if g.chars[c] == nil {
				g.chars[c] = make([]uint64, words)
			}
			g.chars[c][i>>6] |= bit
			if k+1 < len(h) {
				bg := int(c)<<8 | int(h[k+1])
				if seen[bg] != int32(i+1) {
					seen[bg] = int32(i + 1)
					count[bg]++
				}
			}
		}
	}
	for bg, c := range count {
		if c == 0 {
			continue
		}
		var s gramSet
		if int(c)*2 >= words*4 { // a list of c int32s would be at least half the bitset's size
			s.bits = make([]uint64, words)
		} else {
			s.list = make([]int32, 0, c)
		}
		g.sets = append(g.sets, s)
		g.pair[bg] = int32(len(g.sets))
	}
	clear(seen)
	for i, h := range hay {
		for k := 0; k+1 < len(h); k++ {
			bg := int(h[k])<<8 | int(h[k+1])
			if seen[bg] == int32(i+1) {
				continue
			}
			seen[bg] = int32(i + 1)
			s := &g.sets[g.pair[bg]-1]
			if s.bits != nil {
				s.bits[i>>6] |= 1 << (i & 63)
			} else {
				s.list = append(s.list, int32(i))
			}
		}
	}
	return g
}

// gramFilter is what the index knows of some terms: the sets of their byte pairs and the bitsets
// of their one-byte terms. A device outside any of them cannot match; inside all, it matches when
// exact (no term longer than two bytes), else it is a candidate to check.
type gramFilter struct {
	sets  []*gramSet
	chars [][]uint64
	exact bool
	none  bool // some byte or pair occurs in no search text: nothing matches
}

// filter collects the sets for terms.
func (g *grams) filter(terms []string) gramFilter {
	f := gramFilter{exact: true}
	for _, t := range terms {
		if len(t) == 1 {
			c := g.chars[t[0]]
			if c == nil {
				return gramFilter{none: true, exact: true}
			}
			f.chars = append(f.chars, c)
			continue
		}
		f.exact = f.exact && len(t) == 2
		for k := 0; k+1 < len(t); k++ {
			i := g.pair[int(t[k])<<8|int(t[k+1])]
			if i == 0 {
				return gramFilter{none: true, exact: true}
			}
			s := &g.sets[i-1]
			if !slices.Contains(f.sets, s) {
				f.sets = append(f.sets, s)
			}
		}
	}
	return f
}

// has reports whether device p is in every set; skip is a set already known to hold it.
func (f *gramFilter) has(p int32, skip int) bool {
	for j, s := range f.sets {
		if j != skip && !s.has(p) {
			return false
		}
	}
	for _, c := range f.chars {
		if c[p>>6]&(1<<(p&63)) == 0 {
			return false
		}
	}
	return true
}

// keep is the positions of ps (ascending) in every set.
func (f *gramFilter) keep(ps []int32) []int32 {
	if f.none {
		return nil
	}
	out := make([]int32, 0, len(ps))
	for _, p := range ps {
		if f.has(p, -1) {
			out = append(out, p)
		}
	}
	return out
}

// candidates returns the devices holding every byte pair of every term (every byte, for a
// one-byte term), ascending, and whether that is already the exact answer: it is when no term is
// longer than two bytes.
func (g *grams) candidates(terms []string) ([]int32, bool) {
	f := g.filter(terms)
	if f.none {
		return nil, true
	}
	if len(f.sets) == 0 && len(f.chars) == 1 {
		return expand(f.chars[0], -1), true
	}
	// Start from the smallest list, if any, and keep what every other set holds.
	small := -1
	for j, s := range f.sets {
		if s.bits == nil && (small < 0 || len(s.list) < len(f.sets[small].list)) {
			small = j
		}
	}
	if small >= 0 {
		out := make([]int32, 0, len(f.sets[small].list))
		for _, p := range f.sets[small].list {
			if f.has(p, small) {
				out = append(out, p)
			}
		}
		return out, f.exact
	}
	var and []uint64
	for _, s := range f.sets {
		and = andInto(and, s.bits)
	}
	for _, c := range f.chars {
		and = andInto(and, c)
	}
	return expand(and, -1), f.exact
}

// andInto intersects set into and, which starts as a copy of the first set.
func andInto(and, set []uint64) []uint64 {
	if and == nil {
		return slices.Clone(set)
	}
	for w := range and {
		and[w] &= set[w]
	}
	return and
}

// expand lists a bitset's members; size, when known, saves counting.
func expand(set []uint64, size int) []int32 {
	if set == nil {
		return nil
	}
	if size < 0 {
		size = 0
		for _, w := range set {
			size += bits.OnesCount64(w)
		}
	}
	out := make([]int32, 0, size)
	for w, word := range set {
		for word != 0 {
			out = append(out, int32(w*64+bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	return out
}

// memory is the index's size in bytes, for the benchmarks' honesty about what a snapshot keeps.
func (g *grams) memory() int {
	n := len(g.pair)*4 + len(g.sets)*48
	for _, c := range g.chars {
		n += len(c) * 8
	}
	for _, s := range g.sets {
		n += len(s.bits)*8 + cap(s.list)*4
	}
	return n
}
