package rollouts

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// Issue 24 item 15: a release's notes are never cut while there is room for them. Each release
// of step 2 shows its notes whole, wrapped to the window's width (1024 or 1600 pixels), not cut
// to a fixed length with "…".
func TestReleaseNotesShownWhole(t *testing.T) {
	const long = "Unified firmware console 2.5.0 for D180, GSM. Security fixes; faster boot; corrects fuel level " +
		"calibration on 24 V systems; the oil pressure trend alarm waits 30 s before it raises; GSM reconnect after cell outages."
	for _, width := range []float32{1024, 1600} {
		t.Run(fmt.Sprint(width), func(t *testing.T) { releaseNotesWhole(t, width, long) })
	}
}

func releaseNotesWhole(t *testing.T, width float32, long string) {
	svc := newMemSession(testNow)
	for i, r := range svc.releases {
		if r.Model == fleet.ModelD180 && r.Transport == fleet.TransportGSM && r.Version == "2.5.0" {
			svc.releases[i].Notes = long
		}
	}
	h := openPage(t, svc)
	h.win.Resize(fyne.NewSize(width, 800))
	h.tap("Unified firmware console")
	h.pick("D180")
	h.pick("GSM")
	h.tap("Next: choose the release")
	h.q.until(t, "releases", func() bool { return len(h.releaseStep().options()) == 3 })
	var drawn []string
	uitest.Walk(h.win.Content(), true, func(o fyne.CanvasObject) {
		if tx, ok := o.(*canvas.Text); ok {
			drawn = append(drawn, tx.Text)
		}
	})
	all := strings.Join(drawn, " ")
	if strings.Contains(all, "…") || !strings.Contains(all, "GSM reconnect after cell outages.") ||
		!strings.Contains(all, "notes 2.4.1") {
		t.Fatalf("at %v px the release notes are cut:\n%s", width, strings.Join(drawn, "\n"))
	}
}
