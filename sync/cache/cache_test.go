package cache

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/internal/benchcpu"
)

// genDevices makes n plausible devices; gen changes the firmware so batches can be told apart.
func genDevices(n int, gen string) []fleet.Device {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	out := make([]fleet.Device, n)
	for i := range out {
		m := fleet.AllModels[i%len(fleet.AllModels)]
		d := fleet.Device{
			ID: fmt.Sprintf("GEN-%06d", i), Name: fmt.Sprintf("Site %d pump", i), CustomerEmail: fmt.Sprintf("owner%d@farm%d.example", i%977, i%131),
			Model: m, Console: fleet.ConsoleFor(m), Transport: fleet.AllTransports[i%2], Firmware: gen, Online: i%3 != 0,
			LastSeen: base.Add(-time.Duration(r.IntN(100000)) * time.Second), RunState: fleet.RunRunning, Dealer: fmt.Sprintf("D%d", i%3),
			UpdatedAt: base,
		}
		if i%10 == 0 {
			d.Alarms = []string{"low_fuel"}
		}
		if i%4 != 0 {
			d.GPS = &fleet.Position{Lat: -40 + r.Float64()*20, Lon: 140 + r.Float64()*10, FixTime: base.Add(-time.Minute)}
		}
		out[i] = d
	}
	return out
}

func openTemp(t testing.TB) (*Cache, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.db")
	c, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func TestRoundTripAndSchema(t *testing.T) {
	ctx := context.Background()
	c, p := openTemp(t)
	defer c.Close()
	if v, err := c.schemaVersion(ctx); err != nil || v != len(migrationNames()) {
		t.Fatalf("schema version %d %v", v, err)
	}
	devs := genDevices(500, "1.0")
	if err := c.ApplyBatch(ctx, Batch{Devices: devs, Cursor: "c1", Total: 500, Complete: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	// Change one, drop its position, remove another.
	ch := devs[4]
	ch.Firmware, ch.GPS, ch.Alarms = "2.0", nil, []string{"a", "b"}
	if err := c.ApplyBatch(ctx, Batch{Devices: []fleet.Device{ch}, Removed: []string{devs[7].ID}, Cursor: "c2", Total: 499}); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 499 {
		t.Fatalf("%d devices", len(got))
	}
	byID := map[string]fleet.Device{}
	for _, d := range got {
		byID[d.ID] = d
	}
	if _, ok := byID[devs[7].ID]; ok {
		t.Error("removed device still cached")
	}
	g := byID[ch.ID]
	if g.Firmware != "2.0" || g.GPS != nil || len(g.Alarms) != 2 {
		t.Errorf("changed device %+v", g)
	}
	for _, d := range devs {
		if d.ID == ch.ID || d.ID == devs[7].ID {
			continue
		}
		x := byID[d.ID]
		if x.Name != d.Name || !x.LastSeen.Equal(d.LastSeen) || (x.GPS == nil) != (d.GPS == nil) || x.Online != d.Online || len(x.Alarms) != len(d.Alarms) {
			t.Fatalf("device %s: %+v != %+v", d.ID, x, d)
		}
		if d.GPS != nil && (x.GPS.Lat != d.GPS.Lat || !x.GPS.FixTime.Equal(d.GPS.FixTime)) {
			t.Fatalf("position of %s", d.ID)
		}
	}
	st, err := c.SyncState(ctx)
	if err != nil || st.Cursor != "c2" || st.Total != 499 || !st.LastSync.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("sync state %+v %v", st, err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v", fi.Mode())
	}
}

func TestRecords(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	defer c.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rels := []rollout.Release{{ID: "r1", Console: fleet.ConsoleUnified, Version: "1", CreatedAt: t0}, {ID: "r2", Console: fleet.ConsoleUnified, Version: "2", CreatedAt: t0.Add(time.Hour)},
		{ID: "r3", Console: fleet.ConsoleUltra, Version: "9", CreatedAt: t0}}
	if err := c.PutReleases(ctx, "", rels); err != nil {
		t.Fatal(err)
	}
	got, err := c.Releases(ctx, fleet.ConsoleUnified)
	if err != nil || len(got) != 2 || got[0].ID != "r2" {
		t.Errorf("unified releases %+v %v", got, err)
	}
	if err := c.PutReleases(ctx, fleet.ConsoleUnified, rels[:1]); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.Releases(ctx, ""); len(all) != 2 {
		t.Errorf("replacing one console's releases touched another's: %+v", all)
	}
	if _, _, err := c.Image(ctx, "r1"); err != ErrNotCached {
		t.Errorf("image before download: %v", err)
	}
	if err := c.PutImage(ctx, "r1", "abc", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if img, sum, err := c.Image(ctx, "r1"); err != nil || len(img) != 3 || sum != "abc" {
		t.Errorf("image %v %q %v", img, sum, err)
	}

	if err := c.PutRollouts(ctx, []rollout.Rollout{{ID: "a", CreatedAt: t0}, {ID: "b", CreatedAt: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutRollout(ctx, rollout.Rollout{ID: "a", CreatedAt: t0, Status: rollout.StatusPaused}); err != nil {
		t.Fatal(err)
	}
	ros, err := c.Rollouts(ctx)
	if err != nil || len(ros) != 2 || ros[0].ID != "b" || ros[1].Status != rollout.StatusPaused {
		t.Errorf("rollouts %+v %v", ros, err)
	}
	if _, err := c.Rollout(ctx, "zz"); err != ErrNotCached {
		t.Errorf("missing rollout: %v", err)
	}

	if err := c.PutTokens(ctx, []token.Info{{ID: "t1", Name: "dash", CreatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	if ts, err := c.Tokens(ctx); err != nil || len(ts) != 1 || ts[0].Name != "dash" {
		t.Errorf("tokens %+v %v", ts, err)
	}

	for i, st := range []fleet.CommandStatus{fleet.CommandQueued, fleet.CommandDone} {
		if err := c.RecordCommand(ctx, fleet.Command{ID: fmt.Sprint("c", i), DeviceID: "GEN-1", Status: st, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RecordCommand(ctx, fleet.Command{ID: "c0", DeviceID: "GEN-1", Status: fleet.CommandFailed, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	h, err := c.CommandHistory(ctx, "GEN-1")
	if err != nil || len(h) != 2 || h[0].ID != "c1" || h[1].Status != fleet.CommandFailed {
		t.Errorf("history %+v %v", h, err)
	}

	e := recovery.LogRecord{ID: "s1", ServiceLogEntry: recovery.ServiceLogEntry{UnitSerial: "GEN-1", Result: "ok", When: t0}}
	if err := c.AddServiceLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := c.AddServiceLog(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := c.AddServiceLog(ctx, recovery.LogRecord{}); err == nil {
		t.Error("entry without id accepted")
	}
	if p, _ := c.PendingServiceLog(ctx); len(p) != 1 {
		t.Errorf("pending %+v", p)
	}
	if err := c.MarkUploaded(ctx, []string{"s1"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.PendingServiceLog(ctx); len(p) != 0 {
		t.Errorf("pending after upload %+v", p)
	}
	if all, _ := c.ServiceLog(ctx); len(all) != 1 {
		t.Errorf("service log %+v", all)
	}
}

// TestUnusableFilesAreMovedAside covers garbage, a foreign SQLite database, a cache from a newer
// FleetDesk and a cache damaged in the middle.
func TestUnusableFilesAreMovedAside(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(t *testing.T, path string){
		"garbage": func(t *testing.T, p string) {
			os.WriteFile(p, []byte(strings.Repeat("this is not a database\n", 400)), 0o600)
		},
		"short": func(t *testing.T, p string) { os.WriteFile(p, []byte("SQLite"), 0o600) },
		"foreign": func(t *testing.T, p string) {
			db, err := sql.Open("sqlite", p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("CREATE TABLE photos(id INTEGER PRIMARY KEY, jpeg BLOB); INSERT INTO photos(jpeg) VALUES(x'ffd8')"); err != nil {
				t.Fatal(err)
			}
			db.Close()
		},
		"newer": func(t *testing.T, p string) {
			c, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			c.w.Exec("PRAGMA user_version = 99")
			c.Close()
		},
		"damaged": func(t *testing.T, p string) {
			c, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.ApplyBatch(ctx, Batch{Devices: genDevices(3000, "1"), Cursor: "x"}); err != nil {
				t.Fatal(err)
			}
			c.Close()
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := f.Stat()
			junk := make([]byte, fi.Size()/2)
			for i := range junk {
				junk[i] = byte(i * 7)
			}
			f.WriteAt(junk, 4096) // page 2 onwards: the schema page survives, the b-trees do not
			f.Close()
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "prof.db")
			spoil(t, p)
			c, err := Open(ctx, p)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer c.Close()
			rb := c.Rebuilt()
			if rb == nil {
				t.Fatal("the unusable file was not noticed")
			}
			if _, err := os.Stat(rb.MovedTo); err != nil || !strings.Contains(rb.MovedTo, ".corrupt-") {
				t.Errorf("moved to %q: %v", rb.MovedTo, err)
			}
			if !strings.Contains(rb.Notice(), "rebuilt") || rb.Error() == "" {
				t.Errorf("notice %q", rb.Notice())
			}
			// The fresh cache works.
			if err := c.ApplyBatch(ctx, Batch{Devices: genDevices(10, "2"), Cursor: "c"}); err != nil {
				t.Fatal(err)
			}
			if n, err := c.countDevices(ctx); err != nil || n != 10 {
				t.Errorf("fresh cache holds %d, %v", n, err)
			}
		})
	}
	// A healthy cache is not moved.
	c, p := openTemp(t)
	c.ApplyBatch(ctx, Batch{Devices: genDevices(10, "1"), Cursor: "c"})
	c.Close()
	c2, err := Open(ctx, p)
	if err != nil || c2.Rebuilt() != nil {
		t.Fatalf("healthy cache: %v %v", err, c2.Rebuilt())
	}
	c2.Close()
}

func TestResetKeepsPendingServiceLog(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	defer c.Close()
	c.ApplyBatch(ctx, Batch{Devices: genDevices(20, "1"), Cursor: "c", Complete: time.Now()})
	c.AddServiceLog(ctx, recovery.LogRecord{ID: "keep", ServiceLogEntry: recovery.ServiceLogEntry{When: time.Now()}})
	c.SetOwner(ctx, Owner{Backend: "https://a", Account: "x@y", Me: "{}"})
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := c.countDevices(ctx)
	st, _ := c.SyncState(ctx)
	p, _ := c.PendingServiceLog(ctx)
	if n != 0 || st.Cursor != "" || !st.LastSync.IsZero() || len(p) != 1 {
		t.Errorf("after reset: %d devices, %+v, pending %d", n, st, len(p))
	}
}

func TestCheckProfile(t *testing.T) {
	for _, ok := range []string{"default", "work-eu", "a.b_c"} {
		if CheckProfile(ok) != nil {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "x..y", strings.Repeat("a", 65)} {
		if CheckProfile(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkOpenCache100k opens a cache of 100,000 devices and makes them searchable (target
// under 500 ms).
func BenchmarkOpenCache100k(b *testing.B) {
	ctx := context.Background()
	p := filepath.Join(b.TempDir(), "big.db")
	c, err := Open(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.ApplyBatch(ctx, Batch{Devices: genDevices(100000, "1.0"), Cursor: "c", Total: 100000, Complete: time.Now()}); err != nil {
		b.Fatal(err)
	}
	c.Close()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := 0; i < b.N; i++ {
		c, err := Open(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		devs, err := c.LoadDevices(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ix := fleet.NewIndex(devs)
		if ix.Len() != 100000 || len(ix.Search(fleet.Filter{Text: "owner5@"}, time.Now())) == 0 {
			b.Fatal("not searchable")
		}
		c.Close()
	}
	cpu.Report(b)
}

func TestUnencodableEntryRefused(t *testing.T) {
	c, _ := openTemp(t)
	defer c.Close()
	ctx := context.Background()
	bad := recovery.LogRecord{ID: "nan", ServiceLogEntry: recovery.ServiceLogEntry{Throughput: math.NaN()}}
	if err := c.AddServiceLog(ctx, bad); err == nil {
		t.Fatal("an entry JSON cannot hold was stored")
	}
	if err := c.AddServiceLog(ctx, recovery.LogRecord{ID: "ok", ServiceLogEntry: recovery.ServiceLogEntry{Result: "ok"}}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.PendingServiceLog(ctx); err != nil || len(p) != 1 {
		t.Errorf("pending queue unreadable after a refused entry: %v %v", p, err)
	}
}

// A cache big enough to be read in two ID ranges at once comes back whole, in ID order, as it
// was written, with both halves in one array.
func TestLoadDevicesInTwoRanges(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	defer c.Close()
	const n = 25001 // odd, so the halves differ in size
	devs := genDevices(n, "1.0")
	if err := c.ApplyBatch(ctx, Batch{Devices: devs, Cursor: "c", Total: n, Complete: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || cap(got) != n {
		t.Fatalf("%d devices in an array of %d, want %d in %d", len(got), cap(got), n, n)
	}
	for i := range got { // genDevices numbers its IDs in order
		d, w := got[i], devs[i]
		if d.ID != w.ID || d.Name != w.Name || d.CustomerEmail != w.CustomerEmail || (d.GPS == nil) != (w.GPS == nil) ||
			!d.LastSeen.Equal(w.LastSeen) || d.Online != w.Online || len(d.Alarms) != len(w.Alarms) {
			t.Fatalf("device %d: %+v, want %+v", i, d, w)
		}
		if d.GPS != nil && (d.GPS.Lat != w.GPS.Lat || d.GPS.Lon != w.GPS.Lon) {
			t.Fatalf("position of %s", d.ID)
		}
	}
}

// The writer keeps its statement journals in memory: a live update's multi-row upsert would
// otherwise write every page it touches to a temp file, a system call each (issue 23's CPU
// budget). The readers keep SQLite's default.
func TestWriterKeepsStatementJournalsInMemory(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	defer c.Close()
	var store int
	if err := c.w.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil {
		t.Fatal(err)
	}
	if store != 2 { // MEMORY
		t.Fatalf("writer's temp_store is %d, want 2 (MEMORY)", store)
	}
}

// TestBatchWithARepeatedDeviceKeepsTheLast writes one batch in which a unit comes twice, as it
// does when pages gathered into one transaction saw it change mid-sync: the later record wins,
// a batch with a bad row is refused whole, cursor included, and a batch of any length (not only
// multiples of a statement's rows) is written whole.
func TestBatchWithARepeatedDeviceKeepsTheLast(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t)
	defer c.Close()
	devs := genDevices(131, "1.0")
	again := devs[7]
	again.Firmware, again.Online = "2.0", !again.Online
	batch := append(devs, again)
	if err := c.ApplyBatch(ctx, Batch{Devices: batch, Cursor: "c1"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.LoadDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(devs) {
		t.Fatalf("%d devices, want %d", len(got), len(devs))
	}
	for _, d := range got {
		if d.ID == again.ID && (d.Firmware != "2.0" || d.Online != again.Online) {
			t.Fatalf("the repeated unit kept its first record: %+v", d)
		}
	}
	bad := genDevices(40, "3.0")
	bad[39].ID = ""
	if err := c.ApplyBatch(ctx, Batch{Devices: bad, Cursor: "c2"}); err == nil {
		t.Fatal("a batch with a device without an id was written")
	}
	if st, _ := c.SyncState(ctx); st.Cursor != "c1" {
		t.Fatalf("cursor %q after the refused batch, want c1", st.Cursor)
	}
	if got, _ := c.LoadDevices(ctx); got[0].Firmware != "1.0" {
		t.Fatalf("the refused batch changed %s to %s", got[0].ID, got[0].Firmware)
	}
}
