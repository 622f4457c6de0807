package kit

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// queuedForUI counts the After calls that are due and wait for the UI goroutine (inside locked).
func queuedForUI() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, ".After.func") && strings.Contains(g, "locked") && strings.Contains(g, "sync.(*Mutex).Lock") {
			n++
		}
	}
	return n
}

func awaitQueued(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for queuedForUI() != want {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A debounce whose time came while the UI goroutine was busy is already queued for it; stopping
// it then (the next keystroke, SetFilter) must still keep it from running, or a stale search
// overwrites the newer one and is reported back.
func TestAfterStopDropsADueCall(t *testing.T) {
	test.NewTempApp(t)
	before := queuedForUI()
	Lock() // the UI goroutine is busy
	busy := true
	defer func() {
		if busy {
			Unlock()
		}
	}()
	ran := make(chan struct{}, 1)
	stop := After(0, func() { ran <- struct{}{} })
	awaitQueued(t, before+1, "the due call to queue for the UI goroutine")
	stop()
	Unlock()
	busy = false
	awaitQueued(t, before, "the queued call to get its turn")
	select {
	case <-ran:
		t.Fatal("a call stopped while it waited for the UI goroutine ran anyway")
	default:
	}
	// Not stopped, it runs.
	After(0, func() { ran <- struct{}{} })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("an After call never ran")
	}
}
