package syncer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/benchcpu"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// BenchmarkFullSync100k is the first sync of 100,000 devices from the simulated backend on
// loopback into a fresh cache file, all of it timed: sign-in, every page, every commit, the
// in-memory index, and Close (which checkpoints the WAL into the file). It must end with exactly
// 100,000 devices in the index and in the file. Absolute seconds differ twofold between machines of
// one kind, so the figure that has a target is x-floor: each iteration's time over the storage
// floor (storageFloor: the same 100,000 rows written straight into a file of the cache's schema),
// measured right before it on the same machine. Target: within 1.3x of the floor.
func BenchmarkFullSync100k(b *testing.B) {
	const n = 100000
	srv, err := sim.Start(context.Background(), sim.Config{Devices: n, Dealers: 1, Seed: 11})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	acc := testsim.Dealer(b, srv)
	syncInto := func(dir string) *Replica {
		s, err := Open(context.Background(), Options{BackendURL: srv.URL, Profile: "bench", CacheDir: dir, Email: acc.Email,
			Password: acc.Password, Store: &auth.Memory{}, Manual: true})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := s.Sync(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Cached != n || s.Fleet().Len() != n {
			b.Fatalf("synced %d devices, %d in the index; want exactly %d", sum.Cached, s.Fleet().Len(), n)
		}
		return s
	}
	// The floor writes the very rows the backend serves.
	first := syncInto(b.TempDir())
	devs := make([]fleet.Device, 0, n)
	for _, d := range first.Fleet().Devices() {
		devs = append(devs, *d)
	}
	first.Close()
	runtime.GC()

	var ratios, floors []float64
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		floor := storageFloor(b, b.TempDir(), devs)
		dir := b.TempDir()
		runtime.GC()
		start := time.Now()
		b.StartTimer()
		s := syncInto(dir)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StopTimer()
		if got := countDevices(b, filepath.Join(dir, "bench.db")); got != n {
			b.Fatalf("the cache file holds %d devices after Close, want %d", got, n)
		}
		ratios = append(ratios, took.Seconds()/floor.Seconds())
		floors = append(floors, floor.Seconds()*1000)
		b.StartTimer()
	}
	b.StopTimer()
	cpu.Report(b)
	b.ReportMetric(median(ratios), "x-floor")
	b.ReportMetric(median(floors), "floor-ms")
}

// BenchmarkStorageFloor100k is the storage floor alone (see storageFloor): what writing 100,000
// devices of the cache's width costs on this machine, the yardstick of FullSync100k.
func BenchmarkStorageFloor100k(b *testing.B) {
	devs := make([]fleet.Device, 100000)
	base := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range devs {
		m := fleet.AllModels[i%len(fleet.AllModels)]
		devs[i] = fleet.Device{ID: fmt.Sprintf("%s-%06d", m, i), Name: fmt.Sprintf("Quarry pump %d", i),
			CustomerEmail: fmt.Sprintf("ops%d@farm%d.example", i%977, i%131), Model: m, Console: fleet.ConsoleFor(m),
			Transport: fleet.AllTransports[i%2], Firmware: "2.3.0", Online: i%3 != 0, LastSeen: base, RunState: fleet.RunRunning,
			Dealer: "dlr-001", UpdatedAt: base}
		if i%10 != 0 {
			devs[i].GPS = &fleet.Position{Lat: 48, Lon: 11, FixTime: base}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		storageFloor(b, b.TempDir(), devs)
	}
}

// storageFloor writes devs into a new SQLite file the way the cache stores them, and nothing
// else: the cache's own devices table (from its migration), its connection pragmas (WAL,
// synchronous NORMAL), one transaction of prepared single-row inserts, and Close, which
// checkpoints the WAL. No network, JSON, paging or index: what any first sync must pay on this
// machine. It returns the time taken.
func storageFloor(tb testing.TB, dir string, devs []fleet.Device) time.Duration {
	tb.Helper()
	ddl := devicesDDL(tb)
	path := filepath.Join(dir, "floor.db")
	ctx := context.Background()
	start := time.Now()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		tb.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, "INSERT INTO devices(id, name, customer_email, model, console, transport, firmware, online, "+
		"last_seen, run_state, alarms, dealer, updated_at, lat, lon, fix_time) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	if err != nil {
		tb.Fatal(err)
	}
	for i := range devs {
		d := &devs[i]
		alarms := ""
		if len(d.Alarms) > 0 {
			a, _ := json.Marshal(d.Alarms)
			alarms = string(a)
		}
		var lat, lon, fix any
		if d.GPS != nil {
			lat, lon, fix = d.GPS.Lat, d.GPS.Lon, d.GPS.FixTime.UnixNano()
		}
		if _, err := st.ExecContext(ctx, d.ID, d.Name, d.CustomerEmail, string(d.Model), string(d.Console), string(d.Transport),
			d.Firmware, d.Online, d.LastSeen.UnixNano(), string(d.RunState), alarms, d.Dealer, d.UpdatedAt.UnixNano(), lat, lon, fix); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(start)
	if got := countDevices(tb, path); got != len(devs) {
		tb.Fatalf("the floor wrote %d rows, want %d", got, len(devs))
	}
	return took
}

// devicesDDL is the cache's devices table as its first migration creates it, so the floor's rows
// keep the cache's width when the schema changes.
func devicesDDL(tb testing.TB) string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cache", "migrations", "0001_init.sql"))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "CREATE TABLE devices")
	j := strings.Index(s[max(i, 0):], ";")
	if i < 0 || j < 0 {
		tb.Fatal("no devices table in the cache's first migration")
	}
	return s[i : i+j+1]
}

// countDevices counts the devices in a closed cache file.
func countDevices(tb testing.TB, path string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM devices").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
