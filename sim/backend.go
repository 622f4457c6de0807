package sim

import (
	"container/heap"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Backend is the simulated backend without a listener: state, simulation loop and HTTP handler.
type Backend struct {
	cfg     Config
	mu      sync.Mutex
	w       *world
	clk     clock
	events  eventHeap
	rnd     *rand.Rand
	sess    map[string]*session // by hash
	handler http.Handler
	store   *store
	wake    chan struct{}
	cancel  context.CancelFunc
	loopEnd chan struct{}
	closed  bool
	manual  *manualClock // with Config.ManualClock; nil when time runs on its own

	streams     atomic.Int64  // event streams open
	streamsEnd  chan struct{} // closed when the backend stops: every stream ends
	streamsOnce sync.Once
}

// manualClock is the time of a ManualClock backend: it moves only in Advance.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (m *manualClock) now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

func (m *manualClock) set(t time.Time) {
	m.mu.Lock()
	m.t = t
	m.mu.Unlock()
}

// clock maps the real clock onto simulated time: sim = simStart + (real - realStart) * speed.
type clock struct {
	real      func() time.Time
	realStart time.Time
	simStart  time.Time
	speed     float64
}

func (c *clock) now() time.Time {
	r := c.real()
	return c.simStart.Add(time.Duration(float64(r.Sub(c.realStart)) * c.speed)).UTC()
}

// realDelay converts a span of simulated time into real time.
func (c *clock) realDelay(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}

// maxClockOffset bounds Config.ClockOffset: a year either way covers a PC whose clock was never set.
const maxClockOffset = 366 * 24 * time.Hour

func (cfg *Config) defaults() error {
	if cfg.Devices == 0 {
		cfg.Devices = 200
	}
	if cfg.Dealers == 0 {
		cfg.Dealers = 3
	}
	if cfg.Speed == 0 || cfg.ManualClock {
		cfg.Speed = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if off := cfg.ClockOffset; off != 0 {
		// Every clock of the backend is its own: the PC's plus the offset.
		real := cfg.Now
		cfg.Now = func() time.Time { return real().Add(off) }
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.EventHeartbeat == 0 {
		cfg.EventHeartbeat = DefaultEventHeartbeat
	}
	if cfg.MaxEventStreams == 0 {
		cfg.MaxEventStreams = 64
	}
	if cfg.EventWriteTimeout == 0 {
		cfg.EventWriteTimeout = 10 * time.Second
	}
	switch {
	case cfg.Devices < 0 || cfg.Devices > 2_000_000:
		return fmt.Errorf("sim: devices must be between 1 and 2000000, not %d", cfg.Devices)
	case cfg.Dealers < 1 || cfg.Dealers > 1000:
		return fmt.Errorf("sim: dealers must be between 1 and 1000, not %d", cfg.Dealers)
	case cfg.Dealers > cfg.Devices:
		return fmt.Errorf("sim: %d dealers need at least as many devices (got %d)", cfg.Dealers, cfg.Devices)
	case !(cfg.Speed > 0 && cfg.Speed <= 1e6):
		return fmt.Errorf("sim: speed must be above 0 and at most 1000000, not %v", cfg.Speed)
	case !(cfg.OTAFailureShare >= 0 && cfg.OTAFailureShare <= 1):
		return fmt.Errorf("sim: OTA failure share must be between 0 and 1, not %v", cfg.OTAFailureShare)
	case cfg.AccessTTL < 0:
		return errors.New("sim: negative access token lifetime")
	case cfg.ClockOffset > maxClockOffset || cfg.ClockOffset < -maxClockOffset:
		return fmt.Errorf("sim: clock offset must be within %s of the real clock, not %s", maxClockOffset, cfg.ClockOffset)
	case !(cfg.ChangeRate >= 0 && cfg.ChangeRate <= 1e6):
		return fmt.Errorf("sim: change rate must be between 0 and 1000000 a second, not %v", cfg.ChangeRate)
	case cfg.EventHeartbeat < 10*time.Millisecond || cfg.EventHeartbeat > 10*time.Minute:
		return fmt.Errorf("sim: event heartbeat must be between 10ms and 10m, not %s", cfg.EventHeartbeat)
	case cfg.MaxEventStreams < 0 || cfg.EventWriteTimeout < 0:
		return errors.New("sim: negative event stream limit")
	}
	return nil
}

// newStateID names one backend state: the part of every cursor that says which state handed it
// out, and the Fleet-Backend-State header. It is random, so a backend seeded again from the same
// seed (a restart without its database) is told apart from the one before.
func newStateID() string {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic("sim: crypto/rand: " + err.Error()) // does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// NewBackend seeds (or loads from cfg.DBPath) the world and starts simulating it. Close stops it.
func NewBackend(cfg Config) (*Backend, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	b := &Backend{cfg: cfg, sess: map[string]*session{}, wake: make(chan struct{}, 1), loopEnd: make(chan struct{}),
		streamsEnd: make(chan struct{})}
	if cfg.ManualClock {
		// Both clocks become the manual one: simulated time and the token lifetimes.
		b.manual = &manualClock{t: cfg.Now().UTC()}
		cfg.Now = b.manual.now
		b.cfg.Now = cfg.Now
	}
	realNow := cfg.Now()
	b.clk = clock{real: cfg.Now, realStart: realNow, simStart: realNow.UTC(), speed: cfg.Speed}

	if cfg.DBPath != "" {
		st, err := openStore(cfg.DBPath)
		if err != nil {
			return nil, err
		}
		b.store = st
		w, simTime, sess, err := st.load()
		if err != nil {
			st.close()
			return nil, err
		}
		if w != nil {
			if err := w.buildReleases(simTime); err != nil {
				st.close()
				return nil, err
			}
			b.w = w
			b.sess = sess
			// A database cannot tell a restart from a restore of an older copy: either way the
			// clients' cursors may point past what this state holds, so it is a new state.
			prev := w.epoch
			w.epoch = newStateID()
			cfg.Logf("sim: backend state %s (the database was saved as state %s)", w.epoch, prev)
			// At real-time speed the simulated clock is the real clock; otherwise it carries on
			// where it stopped, so a fast demo does not jump ahead while it was not running.
			switch {
			case b.manual != nil && !simTime.IsZero():
				b.manual.set(simTime)
				b.clk.realStart, b.clk.simStart = simTime, simTime
			case cfg.Speed != 1 && !simTime.IsZero():
				b.clk.simStart = simTime
			}
			cfg.Logf("sim: loaded %d devices of %d dealers from %s", len(w.devs), len(w.dealers), cfg.DBPath)
		}
	}
	if b.w == nil {
		w, err := seedWorld(cfg, b.clk.now())
		if err != nil {
			b.closeStore()
			return nil, err
		}
		w.epoch = newStateID()
		b.w = w
		if b.store != nil {
			if err := b.store.saveAll(w, b.clk.now()); err != nil {
				b.closeStore()
				return nil, err
			}
		}
	}
	stream := uint64(b.clk.real().UnixNano())
	if b.manual != nil {
		stream = 0 // under test control the draws (install failures, silences) repeat run after run
	}
	b.rnd = rand.New(rand.NewPCG(uint64(b.w.seed), stream))
	b.scheduleAll()
	b.handler = b.routes()

	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.loop(ctx)
	return b, nil
}

func (b *Backend) closeStore() {
	if b.store != nil {
		b.store.close()
	}
}

func (b *Backend) logf(format string, args ...any) { b.cfg.Logf(format, args...) }

// Now is the simulated clock.
func (b *Backend) Now() time.Time { return b.clk.now() }

// Handler serves the contract.
func (b *Backend) Handler() http.Handler { return b.handler }

// Accounts lists the seeded dealer accounts and the admin, with their passwords.
func (b *Backend) Accounts() []Account {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Account
	for _, d := range b.w.dealers {
		out = append(out, Account{Email: d.Email, Password: password(b.w.seed, d.Email), Role: "dealer", Dealer: d.ID})
	}
	out = append(out, Account{Email: adminEmail, Password: password(b.w.seed, adminEmail), Role: "admin"})
	return out
}

// Close stops the simulation and, with a database, writes the final state.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.endStreams()
	b.cancel()
	<-b.loopEnd
	if b.store == nil {
		return nil
	}
	err := b.flush()
	return errors.Join(err, b.store.close())
}

// loop runs due events and, with a database, flushes changes about once a second.
func (b *Backend) loop(ctx context.Context) {
	defer close(b.loopEnd)
	lastFlush := time.Now()
	for {
		b.mu.Lock()
		now := b.clk.now()
		n := 0
		for b.manual == nil && len(b.events) > 0 && !b.events[0].at.After(now) && n < 200000 {
			ev := heap.Pop(&b.events).(*event)
			b.run(ev, now)
			n++
		}
		wait := 250 * time.Millisecond
		if b.manual == nil && len(b.events) > 0 {
			if d := b.clk.realDelay(b.events[0].at.Sub(now)); d < wait {
				wait = d
			}
		}
		if n >= 200000 {
			wait = 0
		}
		b.mu.Unlock()

		if b.store != nil && time.Since(lastFlush) > time.Second {
			if err := b.flush(); err != nil {
				b.logf("sim: saving state: %v", err)
			}
			lastFlush = time.Now()
		}
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-b.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Advance moves a ManualClock backend's time forward by d, carrying out each event that falls due
// on the way at its own time (an event due at 10:00:05 sees 10:00:05, and what it schedules before
// the target time runs too). It returns when nothing due at the new time is left. See Server.Advance.
func (b *Backend) Advance(d time.Duration) {
	if b.manual == nil {
		panic("sim: Advance needs Config.ManualClock")
	}
	if d < 0 {
		panic("sim: Advance cannot go back in time")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	target := b.manual.now().Add(d)
	for len(b.events) > 0 && !b.events[0].at.After(target) {
		ev := heap.Pop(&b.events).(*event)
		at := b.manual.now()
		if ev.at.After(at) {
			at = ev.at
			b.manual.set(at)
		}
		b.run(ev, at)
	}
	b.manual.set(target)
}

// poke wakes the loop after an event was scheduled earlier than it planned to wake.
func (b *Backend) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Size is the number of simulated devices and dealers (from the database when one was loaded).
func (b *Backend) Size() (devices, dealers int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.w.devs), len(b.w.dealers)
}

// EndSessions ends every sign-in of the account, as a backend does when an administrator revokes
// them or the password changes: the next call with its tokens (access or refresh) gets 401.
func (b *Backend) EndSessions(email string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for h, s := range b.sess {
		if strings.EqualFold(s.Email, email) {
			delete(b.sess, h)
		}
	}
	b.w.dirtyMisc = true
}
