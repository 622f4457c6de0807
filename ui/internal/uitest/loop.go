package uitest

import (
	"sync"
	"testing"
	"time"
)

// Loop is a test's UI goroutine. Fyne's test driver runs fyne.Do inline on whatever goroutine
// calls it, so a page's background results would touch widgets while the test reads them. Give
// the page loop.Do as its kit.UI, and run the test's taps and reads inside loop.Run: both then
// take turns on the loop's one goroutine, as they do on the real app's UI goroutine, and the race
// detector sees the order the app guarantees.
type Loop struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []func()
	closed bool
	done   chan struct{}
}

// NewLoop starts a loop that stops at the test's end.
func NewLoop(t testing.TB) *Loop {
	l := &Loop{done: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	go l.serve()
	t.Cleanup(l.stop)
	return l
}

func (l *Loop) serve() {
	defer close(l.done)
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.queue) == 0 {
			l.mu.Unlock()
			return
		}
		f := l.queue[0]
		l.queue = l.queue[1:]
		l.mu.Unlock()
		f()
	}
}

func (l *Loop) stop() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	<-l.done
}

// Do queues f on the loop without waiting (a kit.UI).
func (l *Loop) Do(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.queue = append(l.queue, f)
	l.cond.Signal()
}

// Run runs f on the loop and waits for it: a test's taps and reads go here.
func (l *Loop) Run(f func()) {
	ran := make(chan struct{})
	l.Do(func() { defer close(ran); f() })
	<-ran
}

// Eventually runs cond on the loop until it holds or the timeout passes; between tries the loop is
// free, so the page's background results land.
func (l *Loop) Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		l.Run(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Check runs f as Run does, for a test that may fail inside f: f runs on a goroutine of its own
// while the loop waits for it (so it still takes its turn with the page's work), and a t.Fatal in
// f (which ends only f's goroutine) ends the test here, on the test's goroutine, with the loop
// still serving the cleanups.
func (l *Loop) Check(t testing.TB, f func()) {
	t.Helper()
	finished := false
	l.Run(func() {
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			f()
			finished = true
		}()
		<-ran
	})
	if !finished {
		t.FailNow()
	}
}
