package uitest

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// childEnv makes TestFailureInsideAWaitEndsTheTest act as the failing test it runs in a child.
const childEnv = "UITEST_FAILING_CHILD"

// TestFailureInsideAWaitEndsTheTest runs, in a child test binary, a UI test whose wait condition
// calls t.Fatalf (as ui/recovery's phase helper does), followed by more work on the loop and a
// cleanup that runs on the loop (as every page's Close does). The child must end failed with that
// message, before its own timeout, without reaching the code after the wait.
func TestFailureInsideAWaitEndsTheTest(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		failingUITest(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFailureInsideAWaitEndsTheTest$", "-test.timeout=60s", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err == nil {
		t.Fatalf("the child passed:\n%s", text)
	}
	for _, want := range []string{"deliberate failure inside the wait", "--- FAIL: TestFailureInsideAWaitEndsTheTest", "cleanup ran on the loop"} {
		if !strings.Contains(text, want) {
			t.Errorf("child output lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"test timed out", "after the wait", "still running on the UI loop"} {
		if strings.Contains(text, bad) {
			t.Errorf("child output has %q:\n%s", bad, text)
		}
	}
}

func failingUITest(t *testing.T) {
	loop := NewLoop(t)
	t.Cleanup(func() { loop.Run(func() { t.Log("cleanup ran on the loop") }) })
	loop.Do(func() {}) // background work queued before the wait
	tries := 0
	loop.Eventually(t, 20*time.Second, "a phase", func() bool {
		tries++
		if tries == 3 {
			t.Fatalf("deliberate failure inside the wait")
		}
		return false
	})
	loop.Run(func() {})
	t.Log("after the wait")
}

// TestLoopServesOnAfterAJobEndsItsGoroutine: a job that ends in runtime.Goexit (what t.FailNow
// calls) ends only that job and the Run waiting for it; later jobs still run, one at a time.
func TestLoopServesOnAfterAJobEndsItsGoroutine(t *testing.T) {
	loop := NewLoop(t)
	loop.Do(runtime.Goexit)
	returned := make(chan bool)
	go func() {
		defer close(returned)
		loop.Run(runtime.Goexit)
		returned <- true
	}()
	if <-returned {
		t.Fatal("Run returned after its job ended in runtime.Goexit")
	}
	ran := 0
	for range 3 {
		loop.Run(func() { ran++ })
	}
	if ran != 3 {
		t.Fatalf("ran %d jobs after the ended ones, want 3", ran)
	}
}
