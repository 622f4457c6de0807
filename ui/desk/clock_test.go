package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui/internal/uitest"
)

// skewedDesk is the window as cmd/fleetdesk builds it, on a backend whose clock runs offset from
// this PC's and whose units have reported for span of its time.
func skewedDesk(t *testing.T, offset time.Duration) (f *fixture, svc *syncer.Replica, srv *sim.Server, synced time.Time) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	svc, srv = testfleet.StartSkewed(context.Background(), t, sim.Config{Devices: 160, Dealers: 1, Seed: 31}, offset, 30*time.Hour)
	synced = time.Now()
	f = &fixture{u: &loopUI{loop: uitest.NewLoop(t), t: t}}
	f.app = test.NewTempApp(t)
	raw, _ := json.Marshal(basemapOnly())
	f.app.Preferences().SetString(tilePrefKey, string(raw))
	f.u.run(func() {
		f.win = test.NewTempWindow(t, widget.NewLabel(""))
		f.win.Resize(fyne.NewSize(1300, 820))
		f.s = New(Options{App: f.app, Window: f.win, UI: f.u.do}).Shell()
		f.s.Start(svc)
	})
	t.Cleanup(func() { f.u.loop.Run(f.s.Close) })
	return f, svc, srv, synced
}

// With the PC's clock hours off the backend's: the Fleet Map colours each unit and ages its last
// known location on the backend's clock (a fix from an hour ago is neither "just now" nor four
// hours old), the window says once how far the PC's clock is off, and
// the status bar's freshness is on the same clock.
func TestMapAndWindowOnTheBackendsClock(t *testing.T) {
	for _, off := range []time.Duration{3 * time.Hour, -3 * time.Hour} {
		t.Run(fmt.Sprint("backend ", off), func(t *testing.T) {
			f, svc, srv, synced := skewedDesk(t, off)
			now := srv.Now().Local()
			var mv mapView
			f.u.run(func() { mv = f.mapPage(t) })
			// The markers are built off the UI goroutine: wait for them.
			f.u.eventually(20*time.Second, "the map's markers", func() bool { return len(markerIDs(mv.m)) > 0 })
			f.u.run(func() {
				var fresh, old, attention, normal int // old: fixes over a day old, if the world has any
				for _, m := range mv.m.Markers() {
					d, _ := svc.Fleet().Get(m.ID)
					if want := d.HealthAt(now).NeedsAttention(); m.Attention != want {
						t.Errorf("%s is drawn attention=%v; on the backend's clock it is %s", d.ID, m.Attention, d.HealthAt(now).Label())
					}
					if m.Attention {
						attention++
					} else {
						normal++
					}
					at, stale, _ := d.FixAge(now)
					if m.Stale != stale {
						t.Errorf("%s's fix from %s is drawn stale=%v", d.ID, at, m.Stale)
					}
					switch {
					case stale:
						old++
					case now.Sub(at) > 5*time.Minute && fresh < 30:
						fresh++
					default:
						continue
					}
					f.s.ShowOnMap(d.ID)
					var pos string
					for _, l := range find[*widget.Label](f.win.Content(), nil) {
						if strings.HasPrefix(l.Text, "Last known location: ") {
							pos = l.Text
						}
					}
					if !testfleet.ShownOnBackendClock(srv, synced, func(n time.Time) bool {
						s := "Last known location: " + fleet.Ago(n, at) + " (" + fleet.Since(n, at) + ")"
						if stale {
							s += ", may have moved since"
						}
						return s == pos
					}) {
						t.Errorf("%s's card says %q; its fix is from %s, the backend's time is %s", d.ID, pos, at.Format(time.Stamp), now.Format(time.Stamp))
					}
				}
				if fresh == 0 || attention == 0 || normal == 0 {
					t.Fatalf("%d fresh and %d old fixes, %d red and %d green markers: a useless probe", fresh, old, attention, normal)
				}

				// Said once, in the window: how far the PC's clock is off.
				dir := "behind"
				if off < 0 {
					dir = "ahead of"
				}
				note := fmt.Sprintf("This PC's clock is 3 h %s the fleet backend; times are shown in backend time.", dir)
				labels := find(f.win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, note) })
				if len(labels) != 1 {
					t.Fatalf("the window does not say %q once (%d times)", note, len(labels))
				}
				closeBtn := closeOf(t, f.win.Content(), labels[0])
				test.Tap(closeBtn)
				if len(find(f.win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, note) })) != 0 {
					t.Fatal("the clock note stays after it was dismissed")
				}
				// The status bar's freshness is on the backend's clock, as the sync time is.
				synced := find(f.win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "synced ") })
				if len(synced) != 1 || (synced[0].Text != "synced just now" && !strings.HasSuffix(synced[0].Text, " s ago")) {
					t.Fatalf("status bar freshness %v, want seconds ago", texts(synced))
				}
			})
			// A later status change (a sync) does not bring the dismissed note back.
			if _, err := svc.Sync(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			f.u.run(func() {}) // the sync's status updates, posted before this, have run
			f.u.run(func() {
				if len(find(f.win.Content(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "This PC's clock") })) != 0 {
					t.Fatal("the dismissed clock note came back after a sync")
				}
			})
		})
	}
}

// closeOf is the close button on the banner row that holds label.
func closeOf(t *testing.T, root fyne.CanvasObject, label *widget.Label) *widget.Button {
	t.Helper()
	var row *fyne.Container
	walk(root, func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || row != nil {
			return
		}
		inside := false
		walk(c, func(x fyne.CanvasObject) { inside = inside || x == label })
		buttons := find[*widget.Button](c, nil)
		if inside && len(buttons) == 1 {
			row = c
		}
	})
	if row == nil {
		t.Fatal("no row with one close button around the note")
	}
	return find[*widget.Button](row, nil)[0]
}

func texts(ls []*widget.Label) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return out
}
