package uitest

import (
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
)

// LogCapture is what the standard logger wrote during a test, Fyne's own complaints
// ("Fyne error: …", fyne.LogError) included: a screen that makes Fyne complain has a bug.
type LogCapture struct {
	mu sync.Mutex
	b  strings.Builder
}

// CaptureLog collects the standard logger's output (still echoed to stderr) until the test ends.
// Tests that capture must not run in parallel: the logger is the process's.
func CaptureLog(t testing.TB) *LogCapture {
	c := &LogCapture{}
	prev := log.Writer()
	log.SetOutput(io.MultiWriter(os.Stderr, c))
	t.Cleanup(func() { log.SetOutput(prev) })
	return c
}

func (c *LogCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

// String is everything logged so far.
func (c *LogCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}
