package syncer_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/benchcpu"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
)

// BenchmarkLiveLatency100k measures live updates end to end at the load: fleetsim (its
// own process, so this process's CPU time is the app's alone) with 100,000 units changing 1,000
// times a second, a Replica that listed them and watches the stream. Latency is from the moment
// fleetsim changed a unit (its record's updated_at, on fleetsim's clock, which is this machine's:
// it runs with no offset) to the moment the Replica has applied it to the cache and the index and
// published the change. cpu-% is this process's CPU time over the wall time watched: the data
// layer's whole cost of following the fleet (the pages' cost is in ui/fleetconsole and ui/mappage).
func BenchmarkLiveLatency100k(b *testing.B) {
	const n = 100000
	s := testfleet.OpenLive(b, testsim.StartProcess(b, testfleet.LiveLoad...), n)
	var mu sync.Mutex
	var lat []time.Duration
	measuring := false
	defer s.Subscribe(func(ch session.Change) {
		at := time.Now()
		ix := s.Fleet()
		mu.Lock()
		defer mu.Unlock()
		if !measuring {
			return
		}
		for _, id := range ch.Devices {
			if d, ok := ix.Get(id); ok && !d.UpdatedAt.IsZero() {
				lat = append(lat, at.Sub(d.UpdatedAt))
			}
		}
	})()
	time.Sleep(2 * time.Second) // the backlog since the listing is applied
	mu.Lock()
	measuring = true
	mu.Unlock()
	b.ResetTimer()
	cpu := benchcpu.Start()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		time.Sleep(testfleet.LiveWindow)
	}
	wall := time.Since(start)
	b.StopTimer()
	cpu.Report(b)
	mu.Lock()
	measuring = false
	got := slices.Clone(lat)
	mu.Unlock()
	if len(got) < int(wall.Seconds()*500) {
		b.Fatalf("%d changes applied in %s; fleetsim makes 1,000 a second", len(got), wall)
	}
	if st := s.Status(); st.Updates != session.UpdatesLive {
		b.Fatalf("the stream was lost while measuring: %+v", st)
	}
	slices.Sort(got)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	b.ReportMetric(ms(got[len(got)/2]), "median-ms")
	b.ReportMetric(ms(got[len(got)*95/100]), "p95-ms")
	b.ReportMetric(float64(len(got))/wall.Seconds(), "changes/s")
	b.ReportMetric(cpu.Percent(), "cpu-%")
}

// BenchmarkLiveIdle100k is the cost of a stream that is open while nothing changes: fleetsim's
// simulated time stands still (--manual-clock), its heartbeat comments still come every 5 s.
func BenchmarkLiveIdle100k(b *testing.B) {
	const n = 100000
	p := testsim.StartProcess(b, "--devices", "100000", "--dealers", "1", "--seed", "11", "--manual-clock")
	s := testfleet.OpenLive(b, p, n)
	time.Sleep(time.Second)
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i++ {
		time.Sleep(2 * testfleet.LiveWindow)
	}
	b.StopTimer()
	cpu.Report(b)
	if st := s.Status(); st.Updates != session.UpdatesLive {
		b.Fatalf("the stream was lost while idle: %+v", st)
	}
	b.ReportMetric(cpu.Percent(), "cpu-%")
}
