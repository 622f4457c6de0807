package syncer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// One record the backend refuses (400) does not block the ones after it: it is quarantined with
// the backend's reason, the rest is uploaded, and the technician can retry or discard it.
func TestServiceLogQuarantinesRejectedRecord(t *testing.T) {
	srv := startSim(t, 60)
	acc := testsim.Dealer(t, srv)
	px := newFlakyProxy(t, srv.URL)
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: px.URL(), Profile: "q", CacheDir: t.TempDir(), Email: acc.Email, Password: acc.Password,
		Store: &auth.Memory{}, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	px.down()
	s.SyncNow()
	at := time.Now().Add(-time.Hour)
	// The backend takes IDs of at most 100 characters: this record can never be uploaded.
	bad := recovery.NewLogRecord(flashEntry(at), acc.Email, at)
	bad.ID = "svc-" + strings.Repeat("x", 120)
	good1 := recovery.NewLogRecord(flashEntry(at.Add(time.Minute)), acc.Email, at)
	good2 := recovery.NewLogRecord(refusalEntry(at.Add(2*time.Minute)), acc.Email, at)
	for _, r := range []recovery.LogRecord{bad, good1, good2} {
		if err := s.RecordServiceLog(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	px.up.Store(true)
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatalf("sync with a bad record queued: %v", err)
	}
	got := backendLog(t, srv, acc.Dealer)
	if _, ok1 := got[good1.ID]; !ok1 || len(got) != 2 {
		t.Fatalf("backend has %d records (%v), want the two good ones", len(got), got)
	}
	if p, _ := s.PendingServiceLog(ctx); len(p) != 0 {
		t.Fatalf("still pending: %+v", p)
	}
	q := s.RecoveryLogQueue()
	rej, err := q.Rejected(ctx)
	if err != nil || len(rej) != 1 || rej[0].ID != bad.ID || !strings.Contains(rej[0].Rejected, "at most 100 characters") {
		t.Fatalf("quarantine %+v %v", rej, err)
	}
	if strings.Contains(rej[0].Rejected, "HTTP") || strings.Contains(rej[0].Rejected, "/v1/") {
		t.Errorf("reason %q is not the backend's words", rej[0].Rejected)
	}
	// A later record goes straight through while the bad one waits.
	later := recovery.NewLogRecord(flashEntry(time.Now()), acc.Email, time.Now())
	if err := s.RecordServiceLog(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, ok := backendLog(t, srv, acc.Dealer)[later.ID]; !ok {
		t.Fatal("a record after the rejected one was not uploaded")
	}
	// Retrying a record the backend still refuses quarantines it again; discarding removes it.
	if err := q.Retry(ctx, bad.ID); err != nil {
		t.Fatal(err)
	}
	if rej, _ := q.Rejected(ctx); len(rej) != 1 {
		t.Fatalf("after a retry: %+v", rej)
	}
	if err := q.Discard(ctx, bad.ID); err != nil {
		t.Fatal(err)
	}
	if rej, _ := q.Rejected(ctx); len(rej) != 0 {
		t.Fatalf("after discard: %+v", rej)
	}
	if all, _ := s.ServiceLog(ctx); len(all) != 3 {
		t.Fatalf("%d records kept, want the 3 uploaded", len(all))
	}
}
