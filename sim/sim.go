// Package sim is the simulated fleet backend: a faithful stand-in for the vendor's cloud that serves
// the whole contract of sync/api/openapi.yaml over HTTP, with seeded dealers, customers and units
// that report, go quiet, raise alarms, take commands and install firmware on a simulated clock.
// It backs `fleetsim serve`, FleetDesk's demo mode and the tests of everything that talks to a
// backend. Dealer scope and token rules are enforced here exactly as the real system does, so a
// client bug that would leak another dealer's data fails against the simulator too.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config says what to simulate.
type Config struct {
	Devices int   // units to seed (default 200)
	Dealers int   // dealers to seed (default 3)
	Seed    int64 // makes the seeded world and the accounts reproducible
	// Speed is simulated seconds per real second; 1 (the default) is real time.
	Speed float64
	// DBPath is the SQLite file the state persists in; "" keeps everything in memory.
	DBPath string
	// OTAFailureShare is the share (0..1) of firmware installs that fail: half of those come back
	// on the old version, half never come back.
	OTAFailureShare float64
	// OTAFails, when set, decides instead of OTAFailureShare which installs fail: true sends the
	// unit back on its old version. Tests use it to pick the failing units.
	OTAFails func(deviceID string) bool
	// Now is the real clock (default time.Now); tests pass a fake one.
	Now func() time.Time
	// ClockOffset runs the backend's clock this far from Now (e.g. 3h: the backend is three hours
	// ahead of this PC; -3h: behind), as a backend whose clock is not the PC's: last_seen, command
	// and rollout times, token lifetimes and the Date header all follow it. A PC clock that is off
	// (never synced, a wrong time zone setting) is the same thing seen from the other side.
	ClockOffset time.Duration
	// ManualClock stops time: simulated time (and the clock token lifetimes are measured on) stands
	// still at its start (Now() when the backend starts) and moves only when a test calls
	// Server.Advance, which carries out every event that falls due on the way before it returns.
	// Nothing happens between calls, so a test checks "did not happen" right after an Advance
	// instead of after a sleep. Speed is ignored. `fleetsim serve` and the demo never set it.
	ManualClock bool
	// IgnoreCursorState plays a backend that does not tell its states apart: any well-formed
	// cursor is read as a sequence number of the current state and answered as a delta (one ahead
	// of the state: an empty page and the same cursor back), never with 410. It is the fault a
	// client must survive on the Fleet-Backend-State header alone, which is still sent.
	IgnoreCursorState bool
	// AccessTTL is how long an access token lives (real time, default 15 min).
	AccessTTL time.Duration
	// ChangeRate, above 0, has the units report this many times a second in all (each unit
	// every Devices/ChangeRate seconds of simulated time, jittered ±10%) instead of on its
	// transport's heartbeat: the load of a fleet changing at a known rate (at speed 1, 1,000 with
	// 100,000 units), for measuring. 0 (default): the transports' own heartbeats (about 810 changes
	// a second at 100,000 units).
	ChangeRate float64

	// The event stream (GET /v1/events). EventHeartbeat is the fixed interval of its comment
	// heartbeat while nothing else is sent (default 5 s, real time). MaxEventStreams bounds the
	// streams open at once (default 64); one more is refused with 429. EventWriteTimeout cuts off
	// a subscriber that does not take what it is sent for that long (default 10 s); it resumes
	// from its last event ID. NoEvents serves no stream at all (404), as a backend without live
	// updates.
	EventHeartbeat    time.Duration
	MaxEventStreams   int
	EventWriteTimeout time.Duration
	NoEvents          bool
	// Logf receives operational log lines (default: discarded). Never given secrets.
	Logf func(format string, args ...any)
}

// Account is a seeded sign-in: the dealers' accounts and one admin.
type Account struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Dealer   string `json:"dealer"`
}

// Server is a running simulated backend listening on loopback.
type Server struct {
	URL      string
	Accounts []Account

	backend *Backend
	srv     *http.Server
	done    chan struct{}
	once    sync.Once
	err     error
}

// Start seeds (or loads) the world, starts the simulation and serves it on 127.0.0.1 at a free
// port. Cancelling ctx stops it like Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	return StartOn(ctx, "127.0.0.1:0", cfg)
}

// StartOn is Start on a given loopback address; anything but a loopback address is refused,
// because the simulator has seeded passwords anyone could read.
func StartOn(ctx context.Context, addr string, cfg Config) (*Server, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	b, err := NewBackend(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("sim: listen: %w", err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Accounts: b.Accounts(),
		backend:  b,
		srv: &http.Server{
			Handler:           b.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.logf("sim: serve: %v", err)
		}
	}()
	if ctx != nil {
		go func() {
			select {
			case <-ctx.Done():
				s.Close()
			case <-s.done:
			}
		}()
	}
	return s, nil
}

// Handler is the backend's HTTP handler (for httptest servers).
func (s *Server) Handler() http.Handler { return s.backend.Handler() }

// Backend is the simulated backend behind the server.
func (s *Server) Backend() *Backend { return s.backend }

// Now is the simulated clock: the time the backend writes into last_seen and friends.
func (s *Server) Now() time.Time { return s.backend.Now() }

// Advance moves a ManualClock backend's simulated time forward by d and returns once every
// event due up to the new time has been carried out, each at its own time, so whatever the span
// causes (heartbeats, commands, installs, rollout steps, token expiry) has happened, and whatever
// it does not cause will not happen later on its own. Advance(0) carries out what is due now. It
// panics without Config.ManualClock: a test that means to control time must say so.
func (s *Server) Advance(d time.Duration) { s.backend.Advance(d) }

// Close stops serving, stops the simulation and writes the state out (with DBPath).
func (s *Server) Close() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.backend.endStreams() // a stream never goes idle by itself: Shutdown would wait it out
		err1 := s.srv.Shutdown(ctx)
		<-s.done
		err2 := s.backend.Close()
		s.err = errors.Join(err1, err2)
	})
	return s.err
}

// CheckLoopback refuses any listen address that is not on a loopback interface.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: bad listen address %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sim: refusing to listen on %q: the simulator serves loopback only (use 127.0.0.1)", addr)
	}
	return nil
}
