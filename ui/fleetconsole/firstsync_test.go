package fleetconsole

import (
	"context"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui/kit"
)

// syncOnRead completes the first sync right after the first read of the fleet: the moment a
// console that read the fleet before subscribing would miss the sync's change for good.
type syncOnRead struct {
	*syncer.Replica
	ctx  context.Context
	once sync.Once
	err  error
}

func (s *syncOnRead) Fleet() *fleet.Index {
	ix := s.Replica.Fleet()
	s.once.Do(func() { _, s.err = s.Replica.Sync(s.ctx, nil) })
	return ix
}

// TestConsoleSubscribesBeforeReadingTheFleet (issue 11 item 17): a sync that completes between
// the Fleet Console's first read of the fleet and its subscription used to leave it saying "0 of 0
// units" next to "synced just now". Before the first sync it says it is waiting, never "0 of 0".
func TestConsoleSubscribesBeforeReadingTheFleet(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sess, _, _ := testfleet.StartManual(ctx, t, sim.Config{Devices: 90, Dealers: 1, Seed: 11})
	svc := &syncOnRead{Replica: sess, ctx: ctx}

	var counts []string
	p := newPage(t, svc, Options{}, fyne.NewSize(1300, 700))
	p.run(t, func() { counts = append(counts, p.c.CountText()) })
	if svc.err != nil {
		t.Fatal(svc.err)
	}
	n := sess.Fleet().Len()
	if n == 0 {
		t.Fatal("the sync brought no units")
	}
	want := kit.Thousands(n) + " of " + kit.Thousands(n) + " units"
	p.loop.Eventually(t, 20*time.Second, "the console to show the synced fleet", func() bool {
		counts = append(counts, p.c.CountText())
		return p.c.CountText() == want
	})
	for _, c := range counts {
		if strings.HasPrefix(c, "0 of 0") {
			t.Fatalf("the console claimed an empty fleet (%q) on its way to %q", c, want)
		}
	}
}

// TestConsoleWaitsForTheFirstSync: with no sync completed the Fleet Console says it is waiting, and the
// empty view says why, instead of "0 of 0 units" and "No units in this fleet yet".
func TestConsoleWaitsForTheFirstSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sess, _, _ := testfleet.StartManual(ctx, t, sim.Config{Devices: 40, Dealers: 1, Seed: 12})
	p := newPage(t, sess, Options{}, fyne.NewSize(1300, 700))
	p.waitView(t, "the first search", func() bool { return p.c.loaded })
	p.run(t, func() {
		if got := p.c.CountText(); got != "Waiting for the first sync…" {
			t.Fatalf("before the first sync the count says %q", got)
		}
		if msg := p.c.w.empty.msg.Text; !p.c.w.empty.content.Visible() || !strings.Contains(msg, "first sync") {
			t.Fatalf("empty view %q", msg)
		}
	})
	if _, err := sess.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	n := kit.Thousands(sess.Fleet().Len())
	p.waitView(t, "the synced fleet", func() bool { return p.c.CountText() == n+" of "+n+" units" })
}
