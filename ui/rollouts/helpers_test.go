package rollouts

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// uiQueue stands in for the UI goroutine: background work posts to it, and the test goroutine
// runs what was posted, so widgets are only ever touched from one goroutine, as in the app.
type uiQueue struct{ ch chan func() }

func newQueue() *uiQueue { return &uiQueue{ch: make(chan func(), 4096)} }

func (q *uiQueue) do(f func()) { q.ch <- f }

// until runs posted work until cond holds, failing the test after timeout.
func (q *uiQueue) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	q.within(t, 20*time.Second, what, cond)
}

// within is until with a given timeout.
func (q *uiQueue) within(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	q.explained(t, timeout, what, cond, func() string { return "" })
}

// explained is within that adds explain() to the failure, so a timeout says where things stood.
func (q *uiQueue) explained(t *testing.T, timeout time.Duration, what string, cond func() bool, explain func() string) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for drained := false; !drained; {
			select {
			case f := <-q.ch:
				f()
			default:
				drained = true
			}
		}
		if cond() {
			return
		}
		select {
		case f := <-q.ch:
			f()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s%s", what, explain())
		}
	}
}

// drain runs the work already posted, without waiting for more: what a tap did on the UI
// goroutine is then on screen. Work still running in the background (a backend call) lands
// later; a test waits for what it expects from it with until, never for a quiet spell, which
// on a loaded machine passes before the work has landed and makes a check that something did
// not happen vacuous.
func (q *uiQueue) drain() {
	for {
		select {
		case f := <-q.ch:
			f()
		default:
			return
		}
	}
}

// notes collects desktop notifications.
type notes struct {
	mu   sync.Mutex
	list []*fyne.Notification
}

func (n *notes) send(x *fyne.Notification) { n.mu.Lock(); n.list = append(n.list, x); n.mu.Unlock() }
func (n *notes) titles() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.list {
		out = append(out, x.Title)
	}
	return out
}

type harness struct {
	t       *testing.T
	svc     session.Session
	page    *Page
	win     fyne.Window
	q       *uiQueue
	notes   *notes
	managed []string
}

func openPage(t *testing.T, svc *memSession) *harness {
	t.Helper()
	return openPageWith(t, svc, time.Hour)
}

// openPageWith opens the page over any data layer; poll is how often it re-reads a running
// deployment (an hour: only when the test says so).
func openPageWith(t *testing.T, svc session.Session, poll time.Duration) *harness {
	t.Helper()
	test.NewTempApp(t)
	h := &harness{t: t, svc: svc, q: newQueue(), notes: &notes{}}
	h.page = New(svc, Options{UI: h.q.do, Poll: poll, Notify: h.notes.send,
		OnManage: func(id string) { h.managed = append(h.managed, id) }})
	t.Cleanup(h.page.Close)
	h.win = test.NewTempWindow(t, h.page.Content())
	h.win.Resize(fyne.NewSize(1200, 900))
	h.q.until(t, "past rollouts read", func() bool { return !h.page.loading })
	return h
}

func (h *harness) objects() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	uitest.Walk(h.win.Content(), true, func(o fyne.CanvasObject) { out = append(out, o) })
	return out
}

// text is every visible label, button and radio option on the page, one per line.
func (h *harness) text() string {
	var b strings.Builder
	for _, o := range h.objects() {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Button:
			b.WriteString("[" + x.Text + "]\n")
		}
	}
	return b.String()
}

func (h *harness) has(s string) bool { return strings.Contains(h.text(), s) }

// button finds the button whose text starts with prefix, waiting for it to appear (a step that
// follows a backend answer is drawn when the answer lands).
func (h *harness) button(prefix string) *widget.Button {
	h.t.Helper()
	var found *widget.Button
	h.q.explained(h.t, 20*time.Second, "a button "+strconv.Quote(prefix), func() bool {
		for _, o := range h.objects() {
			if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, prefix) {
				found = b
				return true
			}
		}
		return false
	}, func() string { return " on the page:\n" + h.text() })
	return found
}

// tap taps the button whose text starts with prefix; it must be enabled. What the tap does on the
// UI goroutine is done when tap returns; its backend calls land later.
func (h *harness) tap(prefix string) {
	h.t.Helper()
	b := h.button(prefix)
	if b.Disabled() {
		h.t.Fatalf("button %q is disabled:\n%s", b.Text, h.text())
	}
	test.Tap(b)
	h.q.drain()
}

// radio finds the radio group offering an option that starts with option, waiting for it.
func (h *harness) radio(option string) *widget.RadioGroup {
	h.t.Helper()
	var found *widget.RadioGroup
	h.q.explained(h.t, 20*time.Second, "a radio option "+strconv.Quote(option), func() bool {
		for _, o := range h.objects() {
			if r, ok := o.(*widget.RadioGroup); ok {
				for _, opt := range r.Options {
					if strings.HasPrefix(opt, option) {
						found = r
						return true
					}
				}
			}
		}
		return false
	}, func() string { return ":\n" + h.text() })
	return found
}

// pick selects the radio option starting with option, as a click would.
func (h *harness) pick(option string) {
	h.t.Helper()
	r := h.radio(option)
	for _, opt := range r.Options {
		if strings.HasPrefix(opt, option) {
			r.SetSelected(opt)
			h.q.drain()
			return
		}
	}
}

// selectWidget finds the page's select box, waiting for it.
func (h *harness) selectWidget() *widget.Select {
	h.t.Helper()
	var found *widget.Select
	h.q.explained(h.t, 20*time.Second, "a select box", func() bool {
		for _, o := range h.objects() {
			if s, ok := o.(*widget.Select); ok {
				found = s
				return true
			}
		}
		return false
	}, func() string { return " on the page:\n" + h.text() })
	return found
}

// shows waits until the page's text holds s.
func (h *harness) shows(s string) {
	h.t.Helper()
	h.q.explained(h.t, 20*time.Second, strconv.Quote(s)+" on the page", func() bool { return h.has(s) },
		func() string { return ":\n" + h.text() })
}

func (h *harness) wizard() *wizard {
	h.t.Helper()
	if h.page.wizard == nil {
		h.t.Fatal("no wizard open")
	}
	return h.page.wizard
}

// Test-side views of the shown step's part (the production types carry no accessors for tests).
func (h *harness) releaseStep() *releaseStep {
	s, _ := h.wizard().view.(*releaseStep)
	if s == nil {
		return &releaseStep{}
	}
	return s
}

func (h *harness) testStep() *testStep {
	h.t.Helper()
	s, ok := h.wizard().view.(*testStep)
	if !ok {
		h.t.Fatalf("not at the test device step: %s", h.wizard().current())
	}
	return s
}

func (h *harness) label(of func(v stepView) *widget.Label) string {
	if v := h.wizard().view; v != nil {
		if l := of(v); l != nil {
			return l.Text
		}
	}
	return ""
}

// valStatus is the validating step's status line.
func (h *harness) valStatus() string {
	return h.label(func(v stepView) *widget.Label {
		if s, ok := v.(*validatingStep); ok {
			return s.status
		}
		return nil
	})
}

// monCounts is the monitor's counts line.
func (h *harness) monCounts() string {
	return h.label(func(v stepView) *widget.Label {
		if s, ok := v.(*monitorStep); ok {
			return s.counts
		}
		return nil
	})
}

// monHead is the monitor's heading.
func (h *harness) monHead() string {
	return h.label(func(v stepView) *widget.Label {
		if s, ok := v.(*monitorStep); ok {
			return s.head
		}
		return nil
	})
}

// why is the shown step's "excluded — show why" list.
func (h *harness) why() *whyList {
	h.t.Helper()
	switch s := h.wizard().view.(type) {
	case *testStep:
		return s.why
	case *deployStep:
		return s.why
	}
	h.t.Fatalf("no why list at step %s", h.wizard().current())
	return nil
}

// dialogText is every text of the dialog in front, or "" when none is shown.
func (h *harness) dialogText() string {
	top := h.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return strings.Join(uitest.Texts(top), "\n")
}
