package testfleet

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/benchcpu"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// LiveLoad is fleetsim's side of issue 23's measures: 100,000 units of one dealer changing 1,000
// times a second (testsim.StartProcess arguments).
var LiveLoad = []string{"--devices", "100000", "--dealers", "1", "--seed", "11", "--change-rate", "1000"}

// LiveWindow is how long one operation of the live benchmarks watches the stream.
const LiveWindow = 5 * time.Second

// OpenLive signs a background-syncing Replica in to a fleetsim process as its first dealer and
// waits until it has listed all n units and follows the event stream. It closes at the test's end.
func OpenLive(t testing.TB, p *testsim.Process, n int) *syncer.Replica {
	t.Helper()
	acc := p.Dealer(t)
	s, err := syncer.Open(context.Background(), syncer.Options{BackendURL: p.URL, CacheDir: t.TempDir(),
		Email: acc.Email, Password: acc.Password, Store: &auth.Memory{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	deadline := time.Now().Add(5 * time.Minute)
	for s.Status().Updates != session.UpdatesLive || s.Fleet().Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("not live after 5 min: %d units, status %+v", s.Fleet().Len(), s.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// LiveMeter measures a page following a live fleet, for benchmarks: the latency from the moment
// fleetsim changed a unit (its record's updated_at: fleetsim runs on this machine's clock, no
// offset) to the moment the page shows the snapshot holding the change, the time of every job
// the page runs on its UI goroutine (its frames), and the process's CPU time.
type LiveMeter struct {
	s *syncer.Replica

	mu        sync.Mutex
	measuring bool
	published []publishedChange // changes published, not shown yet
	latency   []time.Duration
	frames    []time.Duration
	cpu       benchcpu.Clock
	wall      time.Duration
	started   time.Time
}

type publishedChange struct {
	ix      *fleet.Index
	changed []time.Time
}

// NewLiveMeter follows the Replica's published changes until the test's end.
func NewLiveMeter(t testing.TB, s *syncer.Replica) *LiveMeter {
	m := &LiveMeter{s: s}
	t.Cleanup(s.Subscribe(func(ch session.Change) {
		if len(ch.Devices) == 0 {
			return
		}
		ix := s.Fleet() // the snapshot holding the change (or a later one)
		pc := publishedChange{ix: ix, changed: make([]time.Time, 0, len(ch.Devices))}
		for _, id := range ch.Devices {
			if d, ok := ix.Get(id); ok && !d.UpdatedAt.IsZero() {
				pc.changed = append(pc.changed, d.UpdatedAt)
			}
		}
		m.mu.Lock()
		if m.measuring {
			m.published = append(m.published, pc)
		}
		m.mu.Unlock()
	}))
	return m
}

// UI wraps the page's UI goroutine (do): every job it runs is timed as a frame, and after each,
// shown (called on the UI goroutine) says which snapshot the page now shows, nil while it is
// still working on one: every change published with that snapshot or before is then on screen.
func (m *LiveMeter) UI(do func(func()), shown func() *fleet.Index) func(func()) {
	return func(f func()) {
		do(func() {
			start := time.Now()
			f()
			end := time.Now()
			ix := shown()
			m.mu.Lock()
			defer m.mu.Unlock()
			if !m.measuring {
				return
			}
			m.frames = append(m.frames, end.Sub(start))
			if ix == nil {
				return
			}
			k := slices.IndexFunc(m.published, func(pc publishedChange) bool { return pc.ix == ix })
			for _, pc := range m.published[:k+1] {
				for _, at := range pc.changed {
					m.latency = append(m.latency, end.Sub(at))
				}
			}
			m.published = m.published[k+1:]
		})
	}
}

// Watch is a live benchmark's timed part: warmup for the page's first work and the backlog since
// the listing, then b.N windows of LiveWindow measured, then Stop's report.
func (m *LiveMeter) Watch(b *testing.B, warmup time.Duration) {
	time.Sleep(warmup)
	b.ResetTimer()
	m.Start()
	for i := 0; i < b.N; i++ {
		time.Sleep(LiveWindow)
	}
	b.StopTimer()
	m.Stop(b)
}

// Start begins measuring; call it right before the timed loop.
func (m *LiveMeter) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.measuring, m.started, m.cpu = true, time.Now(), benchcpu.Start()
}

// Stop ends measuring and reports: median-ms and p95-ms (latency to the page), frame-p95-ms and
// frame-max-ms (UI goroutine time per job), cpu-% of one core, and changes/s shown.
func (m *LiveMeter) Stop(b *testing.B) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.measuring = false
	wall := time.Since(m.started)
	m.cpu.Report(b)
	cpu := m.cpu.Percent()
	if len(m.latency) < int(wall.Seconds()*500) || len(m.frames) == 0 {
		b.Fatalf("%d changes shown in %s (fleetsim makes 1,000 a second), %d frames", len(m.latency), wall, len(m.frames))
	}
	if st := m.s.Status(); st.Updates != session.UpdatesLive {
		b.Fatalf("the stream was lost while measuring: %+v", st)
	}
	lat, frames := slices.Clone(m.latency), slices.Clone(m.frames)
	slices.Sort(lat)
	slices.Sort(frames)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	b.ReportMetric(ms(lat[len(lat)/2]), "median-ms")
	b.ReportMetric(ms(lat[len(lat)*95/100]), "p95-ms")
	b.ReportMetric(ms(frames[len(frames)*95/100]), "frame-p95-ms")
	b.ReportMetric(ms(frames[len(frames)-1]), "frame-max-ms")
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "changes/s")
	b.ReportMetric(cpu, "cpu-%")
}
