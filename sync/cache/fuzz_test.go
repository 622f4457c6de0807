package cache

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// FuzzStoredRecord writes raw as the stored JSON of one release, one rollout, one token and one
// command, next to a good record of each, and reads them back the way the app does. A record that
// does not decode must come back as the cache's own "is unreadable" error, never a panic or a
// half-filled list; one that decodes comes back with the good one beside it, and rows are left
// where they are (nothing is deleted by reading). Seed corpus: testdata/fuzz/FuzzStoredRecord.
func FuzzStoredRecord(f *testing.F) {
	c, _ := openTemp(f)
	f.Cleanup(func() { c.Close() })
	ctx := context.Background()
	good := struct {
		rel rollout.Release
		ro  rollout.Rollout
		tok token.Info
		cmd fleet.Command
	}{
		rollout.Release{ID: "a-good", Console: fleet.ConsoleUnified, Version: "2.4.0"},
		rollout.Rollout{ID: "a-good"},
		token.Info{ID: "a-good", Name: "kept"},
		fleet.Command{ID: "a-good", DeviceID: "D1", Action: fleet.ActionReboot},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, q := range []string{"DELETE FROM releases", "DELETE FROM rollouts", "DELETE FROM tokens", "DELETE FROM commands"} {
			if _, err := c.w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.PutReleases(ctx, "", []rollout.Release{good.rel}); err != nil {
			t.Fatal(err)
		}
		if err := c.PutRollouts(ctx, []rollout.Rollout{good.ro}); err != nil {
			t.Fatal(err)
		}
		if err := c.PutTokens(ctx, []token.Info{good.tok}); err != nil {
			t.Fatal(err)
		}
		if err := c.RecordCommand(ctx, good.cmd); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"INSERT INTO releases(id, console, data) VALUES('z-raw', 'unified', ?)",
			"INSERT INTO rollouts(id, created_at, data) VALUES('z-raw', 0, ?)",
			"INSERT INTO tokens(id, created_at, data) VALUES('z-raw', 0, ?)",
			"INSERT INTO commands(id, device_id, created_at, data) VALUES('z-raw', 'D1', 0, ?)",
		} {
			if _, err := c.w.ExecContext(ctx, q, raw); err != nil {
				t.Fatal(err)
			}
		}
		rels, err := c.Releases(ctx, "")
		check(t, "release", raw, rels, err, func(r rollout.Release) bool { return r.ID == good.rel.ID })
		ros, err := c.Rollouts(ctx)
		check(t, "rollout", raw, ros, err, func(r rollout.Rollout) bool { return r.ID == good.ro.ID })
		toks, err := c.Tokens(ctx)
		check(t, "token", raw, toks, err, func(x token.Info) bool { return x.ID == good.tok.ID })
		cmds, err := c.CommandHistory(ctx, "D1")
		check(t, "command", raw, cmds, err, func(x fleet.Command) bool { return x.ID == good.cmd.ID })
		var n int
		if err := c.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM releases) + (SELECT count(*) FROM rollouts) + (SELECT count(*) FROM tokens) + (SELECT count(*) FROM commands)").Scan(&n); err != nil || n != 8 {
			t.Fatalf("after reading, %d stored records (%v), want the 8 written", n, err)
		}
	})
}

// check holds one read of a table holding a good record and the fuzzed one: raw that decodes into
// the record's type reads back beside the good record; raw that does not is refused with the
// cache's own error.
func check[T any](t *testing.T, what, raw string, list []T, err error, isGood func(T) bool) {
	t.Helper()
	decodeErr := json.Unmarshal([]byte(raw), new(T))
	switch {
	case err != nil && decodeErr == nil:
		t.Fatalf("%s %q: refused although it decodes: %v", what, raw, err)
	case err != nil && !strings.Contains(err.Error(), "a stored "+what+" is unreadable"):
		t.Fatalf("%s %q: error %q does not say the stored record is unreadable", what, raw, err)
	case err == nil && decodeErr != nil:
		t.Fatalf("%s %q: read without an error although it does not decode (%v)", what, raw, decodeErr)
	case err == nil && (len(list) != 2 || !slices.ContainsFunc(list, isGood)):
		t.Fatalf("%s %q: read %d records, want the good one and the fuzzed one", what, raw, len(list))
	}
}

// FuzzStoredAlarms writes raw as one cached device's alarms column, the only JSON among the
// device columns, and loads the fleet as the app's start does: it must load with the alarms read,
// or stop with an error naming the device, never panic. Alarms that load survive a write back.
// Seed corpus: testdata/fuzz/FuzzStoredAlarms.
func FuzzStoredAlarms(f *testing.F) {
	c, _ := openTemp(f)
	f.Cleanup(func() { c.Close() })
	ctx := context.Background()
	devs := genDevices(3, "1.0")
	f.Fuzz(func(t *testing.T, raw string) {
		if err := c.ApplyBatch(ctx, Batch{Devices: devs, Cursor: "c", Total: len(devs)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.w.ExecContext(ctx, "UPDATE devices SET alarms = ? WHERE id = ?", raw, devs[1].ID); err != nil {
			t.Fatal(err)
		}
		got, err := c.LoadDevices(ctx)
		if err != nil {
			if !strings.Contains(err.Error(), devs[1].ID) || !strings.Contains(err.Error(), "unreadable alarms") {
				t.Fatalf("alarms %q: error %q does not name the device and its alarms", raw, err)
			}
			var want []string
			if raw != "" && json.Unmarshal([]byte(raw), &want) == nil {
				t.Fatalf("alarms %q decode as a list, yet the load failed: %v", raw, err)
			}
			return
		}
		if len(got) != len(devs) {
			t.Fatalf("alarms %q: %d devices loaded, want %d", raw, len(got), len(devs))
		}
		d := got[1]
		if err := c.ApplyBatch(ctx, Batch{Devices: []fleet.Device{d}, Cursor: "c", Total: len(devs)}); err != nil {
			t.Fatal(err)
		}
		again, err := c.LoadDevices(ctx)
		if err != nil || !slices.Equal(again[1].Alarms, d.Alarms) {
			t.Fatalf("alarms %q: %v read back as %v (%v)", raw, d.Alarms, again[1].Alarms, err)
		}
	})
}
