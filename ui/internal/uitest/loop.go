package uitest

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Loop is a test's UI goroutine. Fyne's test driver runs fyne.Do inline on whatever goroutine
// calls it, so a page's background results would touch widgets while the test reads them. Give
// the page loop.Do as its kit.UI, and run the test's taps and reads inside loop.Run: both then
// take turns on the loop's one goroutine, as they do on the real app's UI goroutine, and the race
// detector sees the order the app guarantees.
//
// A t.Fatal (or t.Skip) inside a job ends the job, not the loop: the loop goes on serving on a
// fresh goroutine, and Run ends its caller the way t.FailNow would, so a failed check inside a
// wait fails the test at once instead of leaving the next Run waiting for the test timeout.
type Loop struct {
	t      testing.TB
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*job
	closed bool
	done   chan struct{}
}

// job is one function queued on the loop. aborted says it ended in runtime.Goexit (what
// t.FailNow and t.SkipNow call) instead of returning; it is written before ran is closed.
type job struct {
	f       func()
	ran     chan struct{}
	aborted bool
}

// stopWait bounds how long the test's end waits for a job still running on the loop.
const stopWait = 30 * time.Second

// NewLoop starts a loop that stops at the test's end.
func NewLoop(t testing.TB) *Loop {
	l := &Loop{t: t, done: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	go l.serve()
	t.Cleanup(l.stop)
	return l
}

// serve runs the queued jobs in order until the loop is closed and drained. A job that ends in
// runtime.Goexit takes this goroutine with it; run starts the next server before it goes.
func (l *Loop) serve() {
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.queue) == 0 {
			l.mu.Unlock()
			close(l.done)
			return
		}
		j := l.queue[0]
		l.queue = l.queue[1:]
		l.mu.Unlock()
		l.run(j)
	}
}

func (l *Loop) run(j *job) {
	returned := false
	defer func() {
		if !returned {
			// runtime.Goexit (or a panic, which goes on up unrecovered and ends the test binary
			// with its stack): this goroutine ends after this call, so another one serves on.
			j.aborted = true
			go l.serve()
		}
		if j.ran != nil {
			close(j.ran)
		}
	}()
	j.f()
	returned = true
}

func (l *Loop) stop() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-time.After(stopWait):
		l.t.Errorf("uitest: a job was still running on the UI loop %s after the test ended", stopWait)
	}
}

// enqueue adds j unless the loop has stopped.
func (l *Loop) enqueue(j *job) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.queue = append(l.queue, j)
	l.cond.Signal()
	return true
}

// Do queues f on the loop without waiting (a kit.UI). After the test's end it drops f, as the
// real app drops work delivered after its window closed.
func (l *Loop) Do(f func()) { l.enqueue(&job{f: f}) }

// Run runs f on the loop and waits for it: a test's taps and reads go here. When f fails the test
// (t.Fatal, t.FailNow, t.Skip), Run ends the calling goroutine as those calls do, so the test
// stops there.
func (l *Loop) Run(f func()) {
	j := &job{f: f, ran: make(chan struct{})}
	if !l.enqueue(j) {
		panic("uitest: Loop.Run after the test ended")
	}
	<-j.ran
	if j.aborted {
		runtime.Goexit()
	}
}

// Eventually runs cond on the loop until it holds or the timeout passes; between tries the loop is
// free, so the page's background results land. cond may fail the test itself (t.Fatalf with what
// it saw): the test ends there.
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
