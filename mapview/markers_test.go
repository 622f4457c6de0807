package mapview

import (
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/fleetdesk/fleetdesk/mapview/tiles"
)

// Issue 11 item 6: one unit needing attention does not turn its cluster red; the cluster counts
// the units that need attention in a red badge.
func TestClusterCountsAttentionInsteadOfTurningRed(t *testing.T) {
	test.NewTempApp(t)
	m, _ := newTestMap(t)
	var ms []Marker
	for i := 0; i < 5; i++ {
		ms = append(ms, Marker{ID: string(rune('a' + i)), Lat: 52.5 + float64(i)*0.01, Lon: 13.4, Color: defaultColor, Attention: i == 3})
	}
	m.SetMarkers(ms)
	m.SetView(52.5, 13.4, 4)
	showMap(t, m, 400, 300)
	cs := m.visibleClusters()
	if len(cs) != 1 || cs[0].Count != 5 {
		t.Fatalf("clusters %+v, want one of 5", cs)
	}
	c := &cs[0]
	if c.Attention != 1 {
		t.Errorf("AttentionCount %d, want 1", c.Attention)
	}
	if got := BodyColor(c); got != defaultColor {
		t.Errorf("a cluster with 1 of 5 needing attention is drawn %v, want green", got)
	}
	// The badge "1" is drawn in red next to the count "5".
	var badge, count bool
	r := test.WidgetRenderer(m).(*mapRenderer)
	for _, mo := range r.marks {
		for _, o := range r.objects {
			if o == mo.badgeText && mo.badgeText.Text == "1" && mo.badge.FillColor == AttentionColor {
				badge = true
			}
			if o == mo.label && mo.label.Text == "5" {
				count = true
			}
		}
	}
	if !badge || !count {
		t.Errorf("badge drawn %v, count drawn %v", badge, count)
	}
	// All members needing attention: the whole cluster is red, no badge needed.
	for i := range ms {
		ms[i].Attention = true
	}
	m.SetMarkers(ms)
	if got := BodyColor(&m.visibleClusters()[0]); got != AttentionColor {
		t.Errorf("all 5 need attention: drawn %v, want red", got)
	}
}

// Issue 11 item 20: with a tile server that cannot be reached, the map does not claim its
// attribution; it says the tiles are unavailable and credits the built-in map it draws.
func TestAttributionOnlyForWhatIsDrawn(t *testing.T) {
	test.NewTempApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every tile request fails
	l, err := tiles.Open(tiles.Config{Kind: tiles.KindHTTP, URLTemplate: "http://" + addr + "/{z}/{x}/{y}.png",
		Attribution: "© Example tiles", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m := New(l)
	posted := make(chan func(), 1024)
	m.SetDispatcher(func(f func()) { posted <- f })
	m.SetView(40, -95, 4)
	showMap(t, m, 400, 300)
	r := test.WidgetRenderer(m).(*mapRenderer)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasPrefix(r.attr.Text, "Map tiles unavailable") {
		if time.Now().After(deadline) {
			t.Fatalf("attribution %q with no reachable tile server", r.attr.Text)
		}
		select {
		case f := <-posted:
			f()
		case <-time.After(50 * time.Millisecond):
			m.Refresh()
		}
	}
	if strings.Contains(r.attr.Text, "Example") || !strings.Contains(r.attr.Text, basemap.Attribution) {
		t.Errorf("attribution %q", r.attr.Text)
	}
}
