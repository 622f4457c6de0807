package tiles

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/mapview/basemap"
	"github.com/paulmach/orb/maptile"
)

// tileColor gives every tile its own colour so a test can check it got the right one.
func tileColor(z, x, y int) color.RGBA {
	return color.RGBA{uint8(40 + z*10), uint8(x * 7), uint8(y * 11), 255}
}

// tileServer is a real HTTP tile server on 127.0.0.1. The first path element picks its manners:
// ok, missing (404), broken (200 with a corrupt PNG), error (500), slow (answers after a while).
type tileServer struct {
	*httptest.Server
	mu     sync.Mutex
	agents []string
	hits   atomic.Int32
	slow   time.Duration
}

func newTileServer(t *testing.T) *tileServer {
	ts := &tileServer{slow: 3 * time.Second}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.hits.Add(1)
		ts.mu.Lock()
		ts.agents = append(ts.agents, r.UserAgent())
		ts.mu.Unlock()
		var mode string
		var z, x, y int
		if _, err := fmt.Sscanf(strings.ReplaceAll(r.URL.Path, "/", " "), "%s %d %d %d.png", &mode, &z, &x, &y); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch mode {
		case "ok":
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(t, tileColor(z, x, y)))
		case "missing":
			http.NotFound(w, r)
		case "broken":
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(t, tileColor(z, x, y))[:60])
		case "error":
			http.Error(w, "overloaded", http.StatusInternalServerError)
		case "slow":
			select {
			case <-time.After(ts.slow):
				w.Write(solidPNG(t, tileColor(z, x, y)))
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tileServer) source(t *testing.T, mode string, timeout time.Duration) *HTTPSource {
	t.Helper()
	s, err := NewHTTPSource(ts.URL+"/"+mode+"/{z}/{x}/{y}.png", HTTPOptions{UserAgent: UserAgent("1.2.3"), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHTTPSourceFetch(t *testing.T) {
	ts := newTileServer(t)
	ctx := context.Background()
	k := maptile.New(3, 5, 4)
	data, err := ts.source(t, "ok", 0).Fetch(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	img, err := DecodeTile(data)
	if err != nil || !uniform(img, tileColor(4, 3, 5)) {
		t.Fatalf("wrong tile: %v", err)
	}
	if ua := ts.agents[0]; !strings.HasPrefix(ua, "FleetDesk/1.2.3 ") {
		t.Errorf("User-Agent %q does not name FleetDesk and its version", ua)
	}
	if _, err := ts.source(t, "missing", 0).Fetch(ctx, k); !errors.Is(err, ErrNoTile) {
		t.Errorf("404: %v, want ErrNoTile", err)
	}
	if _, err := ts.source(t, "error", 0).Fetch(ctx, k); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: %v", err)
	}
	// The slow server answers a good tile after 3 s: only the source's timeout makes this fail
	// (no wall-clock bound of the test's own, which a loaded machine under -race could miss).
	if _, err := ts.source(t, "slow", 200*time.Millisecond).Fetch(ctx, k); err == nil {
		t.Error("a slow server did not time out")
	}
	if _, err := ts.source(t, "ok", 0).Fetch(ctx, maptile.New(0, 0, 20)); !errors.Is(err, ErrNoTile) {
		t.Errorf("beyond max zoom: %v", err)
	}
}

func TestHTTPSourceBacksOffWhenOffline(t *testing.T) {
	ts := newTileServer(t)
	s := ts.source(t, "ok", 0)
	ts.Close() // the network is gone
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := s.Fetch(ctx, maptile.New(0, 0, 1)); err == nil || errors.Is(err, ErrOffline) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := s.Fetch(ctx, maptile.New(1, 0, 1)); !errors.Is(err, ErrOffline) {
		t.Fatalf("after three failures: %v, want ErrOffline without a request", err)
	}
}

func TestHTTPErrorHidesKey(t *testing.T) {
	ts := newTileServer(t)
	s, err := NewHTTPSource(ts.URL+"/ok/{z}/{x}/{y}.png?key=SECRET123", HTTPOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts.Close()
	_, err = s.Fetch(context.Background(), maptile.New(0, 0, 0))
	if err == nil || strings.Contains(err.Error(), "SECRET123") {
		t.Errorf("error %v leaks the URL's key", err)
	}
}

func TestTemplates(t *testing.T) {
	for _, bad := range []string{"", "https://x/{z}/{x}.png", "ftp://x/{z}/{x}/{y}", "https:///{z}/{x}/{y}.png", "tiles/{z}/{x}/{y}"} {
		if CheckTemplate(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	s, err := NewHTTPSource("https://{s}.tiles.example/{z}/{x}/{-y}.png", HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.URL(maptile.New(1, 2, 3)); got != "https://a.tiles.example/3/1/5.png" {
		t.Errorf("URL %q", got)
	}
	if s.Attribution() != "Tiles: .tiles.example" && !strings.Contains(s.Attribution(), "tiles.example") {
		t.Errorf("attribution %q", s.Attribution())
	}
	if osm, _ := NewHTTPSource(OSMTemplate, HTTPOptions{}); osm.Attribution() != OSMAttribution {
		t.Errorf("OSM attribution %q", osm.Attribution())
	}
}

// TestLoaderSurvivesBadServers runs the loader against each bad manner: every tile still resolves
// to an opaque image (never a hole) and nothing hangs.
func TestLoaderSurvivesBadServers(t *testing.T) {
	ts := newTileServer(t)
	base, _ := basemap.Default()
	for _, mode := range []string{"missing", "broken", "error", "slow"} {
		t.Run(mode, func(t *testing.T) {
			l, err := NewLoader(LoaderOptions{Source: ts.source(t, mode, 300*time.Millisecond), Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			k := maptile.New(9, 5, 4)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			img, origin, err := l.Resolve(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if origin != OriginBasemap || !opaque(img) {
				t.Fatalf("origin %v opaque %v", origin, opaque(img))
			}
			want := base.Render(4, 9, 5)
			if colorAt(img, 100, 100) != colorAt(want, 100, 100) {
				t.Error("stand-in is not the basemap tile")
			}
			e, _ := l.Peek(k)
			if e.Final || e.RetryAt.IsZero() {
				t.Errorf("a stand-in must be retried later: %+v", e)
			}
		})
	}
}
