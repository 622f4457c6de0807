package recovery

import (
	"context"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	rec "github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sim/unit"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// The page against the real data layer and the simulated backend: a release is downloaded and
// flashed onto a unit on a pty and its record reaches the backend, while a record the backend
// refuses is shown with its reason and does not hold the flash's record back.
func TestLiveFlashAndRefusedRecord(t *testing.T) {
	ctx := context.Background()
	s, srv, acc := testfleet.StartManual(ctx, t, sim.Config{Devices: 40, Dealers: 1})
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	bad := rec.NewLogRecord(rec.ServiceLogEntry{When: time.Now().Add(-time.Hour), Result: rec.ResultOK, Image: "old.bin"}, acc.Email, time.Now())
	bad.ID = "svc-" + strings.Repeat("x", 120) // longer than the backend takes
	if err := s.RecordServiceLog(ctx, bad); err != nil {
		t.Fatal(err)
	}

	test.NewTempApp(t)
	u, err := unit.New(unit.Config{Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	pty, err := u.ServePTY(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	loop := uitest.NewLoop(t)
	var p *Page
	loop.Run(func() {
		p = NewPage(Deps{UI: loop.Do, Data: s, ListPorts: func() ([]rec.PortInfo, error) { return nil, nil }})
		test.NewTempWindow(t, p.Content()).Resize(fyne.NewSize(900, 900))
	})
	t.Cleanup(func() { loop.Run(p.Close) })
	e := &env{t: t, loop: loop, p: p, u: u, pty: pty.Path}

	e.until("the refused record", func() bool { return p.rejects.content.Visible() })
	e.run(func() {
		if !strings.Contains(e.visibleText(), "at most 100 characters") {
			t.Fatalf("reason not shown:\n%s", e.visibleText())
		}
		test.Type(p.port.entry, pty.Path)
		p.port.baudSel.SetSelected("921600")
		test.Tap(p.port.connect)
	})
	e.phase(rec.PhaseConnected)
	e.until("releases", func() bool { return len(p.fw.sel.Options) > 0 })
	e.run(func() {
		if !strings.HasSuffix(p.fw.sel.Options[0], "(download)") {
			t.Fatalf("options %q", p.fw.sel.Options)
		}
		p.fw.sel.SetSelectedIndex(0)
	})
	e.phase(rec.PhaseReady)
	e.run(func() {
		if strings.Contains(p.fw.sel.Selected, "download") {
			t.Errorf("still reads %q once downloaded", p.fw.sel.Selected)
		}
		test.Tap(p.flash.flash)
	})
	e.phase(rec.PhaseDone)
	if log := srv.Backend().ServiceLog(acc.Dealer); len(log) != 1 || log[0].Result != rec.ResultOK || log[0].Port != pty.Path {
		t.Fatalf("backend service log %+v", log)
	}
	var discard *widget.Button
	e.run(func() {
		uitest.Walk(p.rejects.content, true, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Discard" {
				discard = b
			}
		})
		test.Tap(discard)
	})
	e.until("the refused record discarded", func() bool { return !p.rejects.content.Visible() })
	if all, _ := s.ServiceLog(ctx); len(all) != 1 {
		t.Fatalf("%d records left in the cache", len(all))
	}
}
