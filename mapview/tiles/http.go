package tiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb/maptile"
)

// OSMTemplate is OpenStreetMap's standard tile layer.
const OSMTemplate = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

// OSMAttribution is the credit OpenStreetMap's licence requires wherever its tiles are shown.
const OSMAttribution = "© OpenStreetMap contributors"

// UserAgent names the application as OSM's tile usage policy asks: a generic library agent gets
// blocked.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "FleetDesk/" + version + " (+https://github.com/fleetdesk/fleetdesk)"
}

// HTTPSource fetches tiles from a tile server by URL template. It keeps at most two connections
// busy (OSM's policy) and, after repeated network failures, fails fast for a while instead of
// making every tile wait for a timeout: that is what keeps an offline map responsive.
type HTTPSource struct {
	tmpl        string
	userAgent   string
	attribution string
	maxZoom     maptile.Zoom
	client      *http.Client
	slots       chan struct{}

	mu           sync.Mutex
	failures     int
	offlineUntil time.Time
}

// HTTPOptions tunes an HTTPSource; zero values pick the defaults.
type HTTPOptions struct {
	Attribution string
	UserAgent   string
	MaxZoom     maptile.Zoom  // default 19
	Timeout     time.Duration // per tile; default 15 s
	Connections int           // default 2
}

// NewHTTPSource checks the template ({z}, {x}, and {y} or {-y} for TMS servers; {s} picks one of
// the a/b/c subdomains) and returns a source.
func NewHTTPSource(tmpl string, o HTTPOptions) (*HTTPSource, error) {
	if err := CheckTemplate(tmpl); err != nil {
		return nil, err
	}
	if o.UserAgent == "" {
		o.UserAgent = UserAgent("")
	}
	if o.MaxZoom == 0 {
		o.MaxZoom = 19
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 2
	}
	if o.Attribution == "" {
		if tmpl == OSMTemplate || strings.Contains(tmpl, "openstreetmap.org") {
			o.Attribution = OSMAttribution
		} else {
			u, _ := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(tmpl))
			o.Attribution = "Tiles: " + u.Host
		}
	}
	return &HTTPSource{
		tmpl: tmpl, userAgent: o.UserAgent, attribution: o.Attribution, maxZoom: o.MaxZoom,
		client: &http.Client{Timeout: o.Timeout},
		slots:  make(chan struct{}, o.Connections),
	}, nil
}

// CheckTemplate reports why a tile URL template cannot work, or nil.
func CheckTemplate(tmpl string) error {
	if !strings.Contains(tmpl, "{z}") || !strings.Contains(tmpl, "{x}") ||
		!(strings.Contains(tmpl, "{y}") || strings.Contains(tmpl, "{-y}")) {
		return fmt.Errorf("tile URL %q must contain {z}, {x} and {y} (or {-y})", tmpl)
	}
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(tmpl))
	if err != nil {
		return fmt.Errorf("tile URL %q: %w", tmpl, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("tile URL %q must start with http:// or https://", tmpl)
	}
	if u.Host == "" {
		return fmt.Errorf("tile URL %q has no host", tmpl)
	}
	return nil
}

// URL is the address of tile t.
func (s *HTTPSource) URL(t maptile.Tile) string {
	sub := string(rune('a' + (t.X+t.Y)%3))
	return strings.NewReplacer(
		"{z}", strconv.Itoa(int(t.Z)),
		"{x}", strconv.FormatUint(uint64(t.X), 10),
		"{y}", strconv.FormatUint(uint64(t.Y), 10),
		"{-y}", strconv.FormatInt(tmsRow(t), 10),
		"{s}", sub,
	).Replace(s.tmpl)
}

// Attribution is the credit line for this server.
func (s *HTTPSource) Attribution() string { return s.attribution }

// MaxZoom is the deepest zoom requested from the server.
func (s *HTTPSource) MaxZoom() maptile.Zoom { return s.maxZoom }

// ErrOffline is returned without touching the network while the source is backing off.
var ErrOffline = errors.New("tiles: tile server unreachable, retrying later")

// Fetch downloads tile t. A 404 or 204 is ErrNoTile; other failures are errors that count toward
// going offline.
func (s *HTTPSource) Fetch(ctx context.Context, t maptile.Tile) ([]byte, error) {
	if !t.Valid() || t.Z > s.maxZoom {
		return nil, ErrNoTile
	}
	s.mu.Lock()
	offline := time.Now().Before(s.offlineUntil)
	s.mu.Unlock()
	if offline {
		return nil, ErrOffline
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	data, err := s.get(ctx, t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && !errors.Is(err, ErrNoTile) && ctx.Err() == nil {
		s.failures++
		if s.failures >= 3 {
			// Back off 5 s, doubling to a minute: short enough to notice the network coming back.
			d := 5 * time.Second << min(s.failures-3, 4)
			s.offlineUntil = time.Now().Add(min(d, time.Minute))
		}
	} else if err == nil {
		s.failures = 0
		s.offlineUntil = time.Time{}
	}
	return data, err
}

func (s *HTTPSource) get(ctx context.Context, t maptile.Tile) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(t), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set("Accept", "image/png,image/jpeg,image/webp,image/*;q=0.8")
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, and a template may carry an API key: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNoContent:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, ErrNoTile
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("tile %d/%d/%d: server answered %s", t.Z, t.X, t.Y, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxTileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	if len(data) > MaxTileBytes {
		return nil, fmt.Errorf("tile %d/%d/%d: larger than %d bytes", t.Z, t.X, t.Y, MaxTileBytes)
	}
	return data, nil
}
