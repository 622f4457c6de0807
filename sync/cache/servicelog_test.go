package cache

import (
	"context"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
)

// A rejected entry leaves the upload queue (so it cannot block the rest) but is kept with the
// backend's reason until it is queued again or discarded; uploaded entries cannot be discarded.
func TestServiceLogQuarantine(t *testing.T) {
	c, _ := openTemp(t)
	defer c.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	v := fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}
	for i, id := range []string{"a", "b", "c"} {
		r := recovery.LogRecord{ID: id, Technician: "t@x", ServiceLogEntry: recovery.ServiceLogEntry{When: t0.Add(time.Duration(i) * time.Minute),
			Variant: v, Result: "ok", Duration: 1500 * time.Millisecond, Port: "/dev/pts/3"}}
		if err := c.AddServiceLog(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := c.PendingServiceLog(ctx)
	if err := c.RejectServiceLog(ctx, p[0], "result: unknown value"); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkUploaded(ctx, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	p, _ = c.PendingServiceLog(ctx)
	rej, err := c.RejectedServiceLog(ctx)
	if err != nil || len(p) != 1 || p[0].ID != "c" || len(rej) != 1 || rej[0].ID != "a" || rej[0].Rejected != "result: unknown value" {
		t.Fatalf("pending %+v rejected %+v %v", p, rej, err)
	}
	if r := rej[0]; r.Variant != v || r.Duration != 1500*time.Millisecond || r.Port != "/dev/pts/3" || r.Technician != "t@x" || !r.When.Equal(t0) {
		t.Fatalf("record did not survive the cache: %+v", r)
	}
	if err := c.DiscardServiceLog(ctx, "b"); err == nil {
		t.Fatal("an uploaded entry was discarded")
	}
	if err := c.RequeueServiceLog(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.PendingServiceLog(ctx); len(p) != 2 || p[0].ID != "a" || p[0].Rejected != "" {
		t.Fatalf("after retry: %+v", p)
	}
	c.RejectServiceLog(ctx, recovery.LogRecord{ID: "a"}, "again")
	if err := c.DiscardServiceLog(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.ServiceLog(ctx); len(all) != 2 {
		t.Fatalf("after discard: %+v", all)
	}
}

// Entries queued by earlier versions (stored in the contract's JSON) still read.
func TestServiceLogReadsEarlierRows(t *testing.T) {
	c, _ := openTemp(t)
	defer c.Close()
	ctx := context.Background()
	old := `{"id":"svc-old","device_serial":"GEN-9","model":"D180","transport":"gsm","image_version":"2.4.0","image_sha256":"ab",` +
		`"version_before":"2.3.0","version_after":"2.4.0","result":"ok","technician":"t@x","at":"2026-11-01T10:00:00Z","console":"unified","duration_ms":2500}`
	if _, err := c.w.ExecContext(ctx, "INSERT INTO service_log(id, at, pending, data) VALUES('svc-old', 1, 1, ?)", old); err != nil {
		t.Fatal(err)
	}
	p, err := c.PendingServiceLog(ctx)
	if err != nil || len(p) != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	if r := p[0]; r.UnitSerial != "GEN-9" || r.Variant.Model != fleet.ModelD180 || r.Duration != 2500*time.Millisecond || r.Technician != "t@x" {
		t.Fatalf("%+v", r)
	}
}
