package kit

import (
	"testing"
	"time"
)

// A debounce whose time came while the UI goroutine was busy is already queued for it; stopping
// it then (the next keystroke, SetFilter) must still keep it from running, or a stale search
// overwrites the newer one and is reported back.
func TestAfterStopDropsADueCall(t *testing.T) {
	q := make(queue, 16) // the UI goroutine, busy until the test drains it
	r := NewRunner(q.do)
	defer r.Close()
	ran := false
	stop := r.After(0, func() { ran = true })
	var due func()
	select {
	case due = <-q:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never became due")
	}
	stop()
	due()
	if ran {
		t.Fatal("a call stopped while it waited for the UI goroutine ran anyway")
	}
	// Not stopped, it runs.
	r.After(0, func() { ran = true })
	select {
	case f := <-q:
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("an After call never became due")
	}
	if !ran {
		t.Fatal("an After call never ran")
	}
}
