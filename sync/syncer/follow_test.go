package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// TestFollowedCommandGoneAfterRestore: a command in flight when the backend is restored from a
// backup taken before it is one the restored backend does not know: reading it answers 404, or,
// once the backend has handed the same ID to another unit's command, that command. Either way the
// data layer logs ours as expired with the reason (never the other unit's command over it),
// announces it, and stops following it, with the event stream and without: the Manage page frees
// its button and says why instead of waiting for ever. (A backend restarted without its data
// forgets the sign-in too: the check error then says to sign in again, which is right.)
func TestFollowedCommandGoneAfterRestore(t *testing.T) {
	for _, c := range []struct {
		name          string
		polling       bool
		idGivenToNext bool
		signInAgain   bool // the restore ends the sign-in: a new session on the same cache resumes
	}{
		{"without the stream, unknown", true, false, false},
		{"without the stream, its ID given to another unit's command", true, true, false},
		{"with the stream, unknown", false, false, false},
		{"with the stream, its ID given to another unit's command", false, true, false},
		{"a new session after the restore, with the stream", false, false, true},
		{"a new session after the restore, without the stream", true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			db, backup := filepath.Join(tmp, "fleet.db"), filepath.Join(tmp, "backup.db")
			cfg := sim.Config{Devices: 120, Dealers: 1, Seed: 11, ManualClock: true, AccessTTL: 72 * time.Hour, DBPath: db}
			s1 := startOn(t, "127.0.0.1:0", cfg)
			addr := strings.TrimPrefix(s1.URL, "http://")
			acc := s1.Accounts[0]
			ctx := context.Background()
			opts := Options{BackendURL: s1.URL, CacheDir: filepath.Join(tmp, "cache"), Email: acc.Email,
				Password: acc.Password, Store: &auth.Memory{}, Interval: 200 * time.Millisecond, Polling: c.polling,
				HealthEvery: 50 * time.Millisecond, OfflineRetryMin: 50 * time.Millisecond, OfflineRetryMax: 200 * time.Millisecond,
				CommandPoll: 50 * time.Millisecond, API: fastAPI()}
			r, err := Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { r.Close() }()
			waitFor(t, "the first sync", func() bool { return !r.Status().LastSync.IsZero() && !r.Status().Syncing })
			// The backup, taken before any command; the backend runs on from the same file.
			s1.Close()
			copyFile(t, db, backup)
			s2 := startOn(t, addr, cfg)
			waitFor(t, "the session on the backend again", func() bool {
				st := r.Status()
				return st.Reachable && !st.Syncing && (c.polling || st.Updates == session.UpdatesLive) && strings.Contains(st.Resync, "synced again")
			})
			var online []fleet.Device
			for _, d := range r.Fleet().Devices() {
				if d.Online {
					online = append(online, *d)
				}
			}
			if len(online) < 2 {
				t.Fatalf("%d units online, want two", len(online))
			}
			ours, other := online[0], online[1]
			sent, err := r.SendCommand(ctx, fleet.CommandRequest{DeviceID: ours.ID, Action: fleet.ActionReboot})
			if err != nil || sent.Status.Final() {
				t.Fatalf("the Reboot: %+v %v", sent, err)
			}

			if c.signInAgain {
				r.Close() // the session that sent it is gone; the log still says queued
			}
			// Restored from the backup.
			s2.Close()
			copyFile(t, backup, db)
			os.Remove(db + "-wal")
			os.Remove(db + "-shm")
			s3 := startOn(t, addr, cfg)
			if c.idGivenToNext {
				theirs, err := signedInClient(t, s3.URL, acc).SendCommand(ctx, other.ID, api.CommandRequest{Action: fleet.ActionReboot}, api.NewIdempotencyKey())
				if err != nil {
					t.Fatal(err)
				}
				if theirs.ID != sent.ID {
					t.Fatalf("the new backend numbered its first command %s, not %s: the case is not set up", theirs.ID, sent.ID)
				}
			}
			if c.signInAgain {
				if r, err = Open(ctx, opts); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the Reboot logged as gone", func() bool {
				got, err := r.cache.Command(ctx, sent.ID)
				return err == nil && got.Status == fleet.CommandExpired && strings.Contains(got.Error, "no longer knows this command")
			})
			got, _ := r.cache.Command(ctx, sent.ID)
			if got.DeviceID != ours.ID || got.Action != fleet.ActionReboot {
				t.Fatalf("the log holds %+v under our command's ID, want our Reboot on %s", got, ours.ID)
			}
			waitFor(t, "the command no longer followed", func() bool {
				r.mu.Lock()
				defer r.mu.Unlock()
				return len(r.followed) == 0
			})
			if err := r.CommandCheckError(sent.ID); err != nil {
				t.Fatalf("a check error is left on a command no longer followed: %v", err)
			}
		})
	}
}
