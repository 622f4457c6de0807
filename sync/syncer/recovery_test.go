package syncer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/recovery/image"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// backendLog is the simulated backend's service log of a dealer, by ID, failing on a duplicate.
func backendLog(t *testing.T, srv *sim.Server, dealer string) map[string]api.ServiceLogEntry {
	t.Helper()
	out := map[string]api.ServiceLogEntry{}
	for _, e := range srv.Backend().ServiceLog(dealer) {
		if _, dup := out[e.ID]; dup {
			t.Errorf("the backend stored %s twice", e.ID)
		}
		out[e.ID] = e
	}
	return out
}

func flashEntry(at time.Time) recovery.ServiceLogEntry {
	return recovery.ServiceLogEntry{When: at, Port: "/dev/ttyUSB0", UnitSerial: "SIM-D180-0001",
		Variant:       fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM},
		VariantSource: "unit", Image: "d180-gsm-2.4.0.bin", ImageVersion: "2.4.0", ImageHash: strings.Repeat("ab", 32),
		VersionBefore: "2.3.0", VersionAfter: "2.4.0", Result: recovery.ResultOK, Bytes: 65657,
		Duration: 9120 * time.Millisecond, Throughput: 7421.5, Outcome: recovery.OutcomeConfirmed,
		Proof: "slot 1 holds the image's SHA-256 and the unit reports it bootable"}
}

// A plain MCUboot unit: no serial, no variant; the refusal must still reach the backend.
func refusalEntry(at time.Time) recovery.ServiceLogEntry {
	return recovery.ServiceLogEntry{When: at, Port: "/dev/ttyACM1", Image: "v5-wifi.bin", VersionBefore: "1.0.0",
		Result: recovery.ResultRefused, Error: "the unit does not identify itself: name its model and transport",
		Throughput: math.NaN()}
}

// The flash command's road: entries recorded on site with the cache alone (no network, no
// sign-in) wait in the cache, and the next sync uploads each exactly once with every field.
func TestRecoveryLogRecordedOfflineUploadedBySync(t *testing.T) {
	srv := startSim(t, 60)
	acc := testsim.Dealer(t, srv)
	dir := t.TempDir()
	ctx := context.Background()
	online := func() *Replica {
		s, err := Open(ctx, Options{BackendURL: srv.URL, Profile: "tech", CacheDir: dir, Email: acc.Email, Password: acc.Password,
			Store: &auth.Memory{}, Manual: true, API: fastAPI()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := online()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	off, err := OpenCached(ctx, Options{Profile: "tech", CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	ok, refused := flashEntry(at), refusalEntry(at.Add(time.Minute))
	log := off.RecoveryLog()
	for _, e := range []recovery.ServiceLogEntry{ok, refused, ok} { // the repeat is the same attempt
		if err := log.Record(e); err != nil {
			t.Fatalf("record offline: %v", err)
		}
	}
	pending, err := off.PendingServiceLog(ctx)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending in the cache: %d %v, want 2", len(pending), err)
	}
	off.Close()
	if n := len(backendLog(t, srv, acc.Dealer)); n != 0 {
		t.Fatalf("the backend has %d entries before any sync", n)
	}

	s = online()
	defer s.Close()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := backendLog(t, srv, acc.Dealer)
	if len(got) != 2 {
		t.Fatalf("backend has %d entries, want 2: %+v", len(got), got)
	}
	var g, r api.ServiceLogEntry
	for _, e := range got {
		if e.Result == recovery.ResultOK {
			g = e
		} else {
			r = e
		}
	}
	want := api.ServiceLogEntry{ID: g.ID, DeviceSerial: "SIM-D180-0001", Model: "D180", Transport: "gsm", Console: "unified",
		ImageVersion: "2.4.0", ImageSHA256: ok.ImageHash, VersionBefore: "2.3.0", VersionAfter: "2.4.0", Result: "ok",
		Technician: acc.Email, At: g.At, Port: "/dev/ttyUSB0", VariantSource: "unit", Image: "d180-gsm-2.4.0.bin",
		Bytes: 65657, DurationMS: 9120, Throughput: 7421.5, Outcome: "confirmed", Proof: ok.Proof}
	if g != want || !g.At.Equal(at) || !strings.HasPrefix(g.ID, "svc-") {
		t.Errorf("uploaded %+v\nwant     %+v (at %v)", g, want, at)
	}
	if r.Result != recovery.ResultRefused || r.DeviceSerial != "" || r.Error != refused.Error || r.Throughput != 0 || r.ID == g.ID ||
		r.Outcome != "" || r.Proof != "" {
		t.Errorf("refusal uploaded as %+v", r)
	}
	if p, err := s.PendingServiceLog(ctx); err != nil || len(p) != 0 {
		t.Errorf("still pending after the sync: %d %v", len(p), err)
	}
	// Recording the same attempt again after the upload changes nothing anywhere.
	if err := s.RecoveryLog().Record(ok); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.ServiceLog(ctx); len(all) != 2 || len(backendLog(t, srv, acc.Dealer)) != 2 {
		t.Errorf("after a repeat: %d cached, %d on the backend", len(all), len(backendLog(t, srv, acc.Dealer)))
	}
}

// The app's road: with the background loop running, an entry recorded while the backend is
// unreachable stays pending and is uploaded, once, when the loop finds the backend again.
func TestRecoveryLogUploadedWhenBackOnline(t *testing.T) {
	srv := startSim(t, 60)
	acc := testsim.Dealer(t, srv)
	px := newFlakyProxy(t, srv.URL)
	s, err := Open(context.Background(), Options{BackendURL: px.URL(), Profile: "p", CacheDir: t.TempDir(), Email: acc.Email,
		Password: acc.Password, Store: &auth.Memory{}, Interval: time.Hour, OfflineRetryMin: 50 * time.Millisecond,
		OfflineRetryMax: 200 * time.Millisecond, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitFor(t, "first sync", func() bool { st := s.Status(); return !st.LastSync.IsZero() && st.Reachable && !st.Syncing })

	px.down()
	s.SyncNow()
	waitFor(t, "offline", func() bool { return !s.Status().Reachable })
	e := flashEntry(time.Now())
	if err := s.RecoveryLog().Record(e); err != nil {
		t.Fatalf("record while offline: %v", err)
	}
	pending, err := s.PendingServiceLog(context.Background())
	if err != nil || len(pending) != 1 || pending[0].UnitSerial != e.UnitSerial {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	if n := len(backendLog(t, srv, acc.Dealer)); n != 0 {
		t.Fatalf("the backend got %d entries through a dead network", n)
	}

	px.up.Store(true)
	waitFor(t, "the upload", func() bool { return len(srv.Backend().ServiceLog(acc.Dealer)) > 0 })
	waitFor(t, "nothing pending", func() bool { p, _ := s.PendingServiceLog(context.Background()); return len(p) == 0 })
	got := backendLog(t, srv, acc.Dealer)
	if len(got) != 1 || got[pending[0].ID].Port != e.Port {
		t.Errorf("backend log %+v, want exactly %s", got, pending[0].ID)
	}
}

// Releases fit the unit's variant; online, missing images are offered as downloads and
// downloaded into the cache on load, after which they no longer read "(download)"; offline
// (cache only) the downloaded ones load and the others are listed as needing a connection once.
func TestRecoveryFirmwareFromCache(t *testing.T) {
	srv := startSim(t, 60)
	acc := testsim.Dealer(t, srv)
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: srv.URL, Profile: "fw", CacheDir: dir, Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v := fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}
	other := fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelV5, Transport: fleet.TransportGSM}
	list, err := s.RecoveryFirmware().Releases(v)
	if err != nil || len(list) < 2 {
		t.Fatalf("online releases for %s: %d %v (want every version)", v, len(list), err)
	}
	all, _ := s.cache.Releases(ctx, "")
	wantN := 0
	for _, r := range all {
		if r.Variant() == v {
			wantN++
		}
	}
	if len(list) != wantN {
		t.Errorf("%d releases offered, the cache has %d for %s", len(list), wantN, v)
	}
	for _, c := range list {
		if c.Variant != v || c.Cached || c.NeedsNetwork || !strings.HasSuffix(c.Label(), "(download)") {
			t.Errorf("offered %+v", c)
		}
	}
	pick := list[0]
	img, err := pick.Load()
	if err != nil {
		t.Fatalf("load (download): %v", err)
	}
	parsed, err := image.Parse(img)
	if err != nil || parsed.Check(v) != nil || parsed.Check(other) == nil || parsed.Version.String() != pick.Version {
		t.Fatalf("downloaded image: %v, version %v vs %s", err, parsed, pick.Version)
	}
	sum := sha256.Sum256(img)
	matched := false
	for _, r := range all {
		matched = matched || (r.Variant() == v && r.Version == pick.Version && r.SHA256 == hex.EncodeToString(sum[:]))
	}
	if !matched {
		t.Error("the loaded image is not the release's")
	}
	list, _ = s.RecoveryFirmware().Releases(v)
	if !list[0].Cached || list[0].Label() != list[0].Name || strings.Contains(list[0].Label(), "download") {
		t.Errorf("after the download the list still says %q", list[0].Label())
	}
	s.Close()

	off, err := OpenCached(ctx, Options{Profile: "fw", CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	offline, err := off.RecoveryFirmware().Releases(v)
	if err != nil || len(offline) != wantN || offline[0].Version != pick.Version || !offline[0].Cached || strings.Contains(offline[0].Label(), "download") {
		t.Fatalf("offline releases: %+v %v, want %s cached first", offline, err, pick.Version)
	}
	for _, c := range offline[1:] {
		if c.Cached || !c.NeedsNetwork || !strings.HasSuffix(c.Label(), "(needs a connection once)") {
			t.Errorf("offline, not downloaded: %+v %q", c, c.Label())
		}
		if _, err := c.Load(); err == nil {
			t.Errorf("%s loaded offline without being downloaded", c.Name)
		}
	}
	again, err := offline[0].Load()
	if err != nil || !bytes.Equal(again, img) {
		t.Fatalf("offline load: %d bytes, %v", len(again), err)
	}
	if l, err := off.RecoveryFirmware().Releases(other); err != nil || len(l) == 0 || l[0].Cached {
		t.Errorf("offline releases for %s with nothing downloaded: %+v %v", other, l, err)
	}
}

func TestLogRecordKeepsJSONSafe(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := recovery.ServiceLogEntry{Result: recovery.ResultFailed, Error: strings.Repeat("é", 2000), Throughput: math.Inf(1),
		Bytes: -5, Duration: -time.Second}
	got := WireServiceLogEntry(recovery.NewLogRecord(e, "t@example.com", now))
	if !got.At.Equal(now) || got.Throughput != 0 || got.Bytes != 0 || got.DurationMS != 0 || len(got.Error) > 1000+4 ||
		!strings.HasPrefix(got.Error, "éé") || !utf8.ValidString(got.Error) || got.Technician != "t@example.com" {
		t.Errorf("mapped %+v", got)
	}
	e2 := e
	e2.Port = "/dev/ttyUSB1"
	if recovery.NewLogRecord(e, "", now).ID != got.ID || recovery.NewLogRecord(e2, "", now).ID == got.ID {
		t.Error("the ID must follow the attempt, not the call")
	}
}

// Every outcome a flash can end with has its name in the contract's list, and reads back as itself.
func TestServiceLogOutcomeCodesAreTheContracts(t *testing.T) {
	for o := recovery.OutcomeNone; o <= recovery.OutcomeOtherImage; o++ {
		code := o.Code()
		if (o == recovery.OutcomeNone) != (code == "") || (code != "" && !slices.Contains(api.ServiceLogOutcomes, code)) {
			t.Errorf("outcome %v: code %q is not in the contract's %v", o, code, api.ServiceLogOutcomes)
		}
		if recovery.ParseOutcome(code) != o {
			t.Errorf("outcome %v does not read back from %q", o, code)
		}
	}
	if recovery.ParseOutcome("a newer client's") != recovery.OutcomeNone {
		t.Error("an unknown outcome does not read as none")
	}
}
