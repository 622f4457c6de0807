package kit

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// queue is a UI goroutine the test drains by hand.
type queue chan func()

func (q queue) do(f func()) { q <- f }

func TestRunnerDeliversResultsOnTheUI(t *testing.T) {
	q := make(queue, 16)
	r := NewRunner(q.do)
	defer r.Close()
	Run(r, func(ctx context.Context) int { return 42 }, func(v int) {
		if v != 42 {
			t.Errorf("got %d", v)
		}
	})
	select {
	case f := <-q:
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("the result never reached the UI")
	}
}

func TestRunnerCloseCancelsWaitsAndDropsLateResults(t *testing.T) {
	q := make(queue, 16)
	r := NewRunner(q.do)
	started := make(chan struct{})
	var sawCancel atomic.Bool
	var shown atomic.Bool
	r.Go(func(ctx context.Context) func() {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
		return func() { shown.Store(true) }
	})
	<-started
	r.Close() // returns only once the work has returned
	if !sawCancel.Load() {
		t.Fatal("Close returned before the work saw the cancellation")
	}
	for len(q) > 0 {
		(<-q)()
	}
	if shown.Load() {
		t.Fatal("a result delivered after Close touched the UI")
	}
	r.Go(func(context.Context) func() { t.Error("work started after Close"); return nil })
}

func TestRunnerTickerStopsOnClose(t *testing.T) {
	q := make(queue, 16)
	r := NewRunner(q.do)
	var ticks atomic.Int32
	r.Ticker(time.Millisecond, func() { ticks.Add(1) })
	(<-q)()
	if ticks.Load() != 1 {
		t.Fatalf("ticks = %d, want 1", ticks.Load())
	}
	r.Close()
	for len(q) > 0 {
		(<-q)()
	}
	if ticks.Load() != 1 {
		t.Fatalf("a tick ran after Close (%d)", ticks.Load())
	}
}
