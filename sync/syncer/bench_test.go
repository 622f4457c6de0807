package syncer

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/benchcpu"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// BenchmarkFullSync100k is the first sync of 100,000 devices from the simulated backend on
// loopback into a fresh cache file: sign-in, every page, every commit, the in-memory index
// (target under 3 s).
func BenchmarkFullSync100k(b *testing.B) {
	srv, err := sim.Start(context.Background(), sim.Config{Devices: 100000, Dealers: 1, Seed: 11})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	acc := testsim.Dealer(b, srv)
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i++ {
		s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "bench", CacheDir: b.TempDir(), Email: acc.Email,
			Password: acc.Password, Store: &auth.Memory{}, Manual: true})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := s.Sync(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Cached < 90000 {
			b.Fatalf("only %d devices synced", sum.Cached)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	cpu.Report(b)
}

// BenchmarkDeltaSync1k is a delta sync in which 1,000 of 100,000 cached devices changed: fetch,
// one cache transaction, the index patched. The backend is a deterministic loopback fixture so
// every iteration sees exactly 1,000 changes, spread over the whole ID range as heartbeats are
// (a contiguous run of IDs would touch a few dozen cache pages instead of hundreds). Run it for
// at least 50 iterations (make bench runs 60) so the figure includes the index moving the rest of
// its devices out of the loaded array once half the fleet has changed.
func BenchmarkDeltaSync1k(b *testing.B) {
	const n, k = 100000, 1000
	fx := newFixture(b, n, func(g int) (int, int) {
		from := ((g - 2) * k) % n
		return from, from + k
	})
	fx.scatterBy(7919) // prime, so coprime to n: every slot maps to a distinct device
	s, err := Open(context.Background(), Options{BackendURL: fx.url, Profile: "bench", CacheDir: b.TempDir(), Email: "dealer@fixture.example",
		Password: "fixture-pw", Store: &auth.Memory{}, Manual: true, PageSize: 5000})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Sync(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	// A dealer has searched: the index then carries its search texts through every delta.
	if len(s.Fleet().Search(fleet.Filter{Text: "unit 4"}, time.Now())) == 0 {
		b.Fatal("the search found nothing")
	}
	// The setup's full sync leaves hundreds of MB of garbage; collect it now so its GC is not
	// billed to the first deltas.
	runtime.GC()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i++ {
		fx.advance()
		sum, err := s.Sync(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Changed != k || sum.Full || s.Fleet().Len() != n {
			b.Fatalf("delta %+v, index %d", sum, s.Fleet().Len())
		}
	}
	b.StopTimer()
	cpu.Report(b)
	if d, ok := s.Fleet().Get(fmt.Sprintf("FX-%06d", fx.deviceAt(((b.N-1)*k)%n))); !ok || d.Firmware != fmt.Sprintf("g%d", b.N+1) {
		b.Fatalf("last delta not in the index: %+v", d)
	}
}
