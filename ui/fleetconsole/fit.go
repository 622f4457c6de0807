package fleetconsole

import (
	"strings"
	"sync"

	"fyne.io/fyne/v2"
)

// ellipsis ends a text cut to fit its column.
const ellipsis = "…"

// widths is the cells' measure of text: each character's advance, measured once per text size
// and style (fyne.MeasureText shapes, and shaping a new string for every visible cell on every
// keystroke costs more than the search).
var widths = &runeWidths{m: map[runeKey]float32{}, line: map[lineKey]float32{}}

type runeKey struct {
	r     rune
	size  float32
	style fyne.TextStyle
}

type lineKey struct {
	size  float32
	style fyne.TextStyle
}

type runeWidths struct {
	mu   sync.Mutex
	m    map[runeKey]float32
	line map[lineKey]float32
}

func (w *runeWidths) of(r rune, size float32, style fyne.TextStyle) float32 {
	k := runeKey{r, size, style}
	if v, ok := w.m[k]; ok {
		return v
	}
	v := fyne.MeasureText(string(r), size, style).Width
	w.m[k] = v
	return v
}

func (w *runeWidths) lineHeight(size float32, style fyne.TextStyle) float32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := lineKey{size, style}
	if v, ok := w.line[k]; ok {
		return v
	}
	v := fyne.MeasureText("Ag", size, style).Height
	w.line[k] = v
	return v
}

// fit returns s when it fits in room, else as much of it as fits followed by "…". Widths are
// summed per character; kerning makes a shaped string a little narrower or wider than that sum,
// so a text within a few percent of the room is measured whole before it is kept, and a cut
// leaves a pixel of margin.
func (w *runeWidths) fit(s string, room, size float32, style fyne.TextStyle) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fitsWhole(s, room, size, style) {
		return s
	}
	avail := room - w.of('…', size, style) - 1
	var used float32
	for i, r := range s {
		used += w.of(r, size, style)
		if used > avail {
			return s[:i] + ellipsis
		}
	}
	return s
}

// fitDistinct fits a name or an email. Names and emails of one customer share their start
// ("Kariuki Retail …", "ops@kariuki-r…") and emails their ending (".example"): what tells two
// apart is towards the end. So an email that does not fit drops its top-level domain first, and a
// text cut in a room of a dozen characters or more keeps its end (fitMiddle); in less, its start.
func (w *runeWidths) fitDistinct(s string, room, size float32, style fyne.TextStyle, email bool) string {
	if w.width(s, size, style) <= room*0.95 {
		return s
	}
	cut := w.fit
	wide := room >= 9*w.of1('n', size)
	if wide {
		cut = w.fitMiddle
	}
	at := strings.IndexByte(s, '@')
	if !email || at < 0 || at == len(s)-1 {
		return cut(s, room, size, style)
	}
	// An email that does not fit drops its top-level domain; if that is not enough, its mailbox
	// too ("ops@" is everyone's): the customer's domain says whose unit it is.
	if dot := strings.LastIndexByte(s, '.'); dot > at {
		if short := s[:dot] + ellipsis; w.width(short, size, style) <= room*0.95 {
			return short
		}
		s = s[:dot]
	}
	domain := "@" + s[at+1:]
	if !wide {
		return w.fit(domain, room, size, style)
	}
	// What is left always says it was cut: "@kariuki-retail-north…".
	shown := cut(domain, room-w.of1('…', size)-1, size, style)
	if !strings.Contains(shown, ellipsis) {
		shown += ellipsis
	}
	return shown
}

// fitMiddle is fit with the cut in the middle: the start and the end of s stay, the end getting
// the larger share, joined by "…" ("Kariuki Re…North Depot").
func (w *runeWidths) fitMiddle(s string, room, size float32, style fyne.TextStyle) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fitsWhole(s, room, size, style) {
		return s
	}
	rs := []rune(s)
	avail := room - w.of('…', size, style) - 1
	if avail <= 0 {
		return ellipsis
	}
	headRoom := avail * 0.35
	head, used := 0, float32(0)
	for head < len(rs) {
		cw := w.of(rs[head], size, style)
		if used+cw > headRoom {
			break
		}
		used += cw
		head++
	}
	tail := len(rs)
	for tail > head {
		cw := w.of(rs[tail-1], size, style)
		if used+cw > avail {
			break
		}
		used += cw
		tail--
	}
	return string(rs[:head]) + ellipsis + string(rs[tail:])
}

// width is s's width summed per character.
func (w *runeWidths) width(s string, size float32, style fyne.TextStyle) float32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sum(s, size, style)
}

// sum is width with w.mu held.
func (w *runeWidths) sum(s string, size float32, style fyne.TextStyle) float32 {
	var total float32
	for _, r := range s {
		total += w.of(r, size, style)
	}
	return total
}

// fitsWhole reports whether s fits room uncut (w.mu held): the summed widths decide unless they
// are within a few percent of the room, where kerning can tip it and s is measured whole.
func (w *runeWidths) fitsWhole(s string, room, size float32, style fyne.TextStyle) bool {
	total := w.sum(s, size, style)
	return total <= room*0.95 || total <= room*1.05 && fyne.MeasureText(s, size, style).Width <= room
}

// of1 is one character's width in the regular style.
func (w *runeWidths) of1(r rune, size float32) float32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.of(r, size, fyne.TextStyle{})
}
