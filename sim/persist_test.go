package sim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// State written to --db survives a restart: the fleet, accounts, sessions, tokens, commands,
// rollouts, service log and the delta cursor.
func TestPersistenceAcrossRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fleet.db")
	cfg := Config{Devices: 150, Dealers: 2, Seed: 9, Speed: 1, DBPath: db}
	s1, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	c := newClient(t, s1, v)
	acc := account(t, s1, "dealer", "dlr-001")
	tp := c.login(acc)
	devs, cursor, total := listAll(t, c, "", 40)
	var users api.UserList
	c.mustJSON("GET", api.PathUsers, nil, 200, &users)
	var tok token.Created
	c.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: users.Users[0].ID, Name: "kept", Access: token.AccessReadOnly, ExpiresAt: time.Now().Add(time.Hour)}, 201, &tok)
	var cmd fleet.Command
	c.mustJSON("POST", path(api.PathDeviceCommands, "id", devs[3].ID), api.CommandRequest{Action: fleet.ActionStop}, 201, &cmd, api.HeaderIdempotencyKey, "persist-1")
	d, rel := pickTestDevice(t, c, devs, nil)
	var ro rollout.Rollout
	c.mustJSON("POST", api.PathRollouts, rollout.CreateRequest{Console: rel.Console, ReleaseID: rel.ID, Model: rel.Model, Transport: rel.Transport, Target: rollout.DeviceTarget(d.ID)}, 201, &ro)
	entry := api.ServiceLogEntry{ID: "svc-persist", DeviceSerial: d.ID, Result: "ok", At: time.Now().UTC()}
	c.mustJSON("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{entry}}, 200, nil)
	accounts := s1.Accounts
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		t.Fatalf("database file: %v", err)
	}

	// Restart with other flags: the database wins.
	cfg.Devices, cfg.Dealers, cfg.Seed = 999, 5, 1
	s2, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if len(s2.Accounts) != len(accounts) || s2.Accounts[0] != accounts[0] {
		t.Fatalf("accounts changed across restart: %+v vs %+v", s2.Accounts, accounts)
	}
	c2 := newClient(t, s2, v)
	c2.token = tp.AccessToken // the session survived
	var me api.Me
	c2.mustJSON("GET", api.PathMe, nil, 200, &me)
	if me.Dealer != "dlr-001" {
		t.Fatalf("me after restart: %+v", me)
	}
	devs2, _, total2 := listAll(t, c2, "", 500)
	if total2 != total || len(devs2) != len(devs) {
		t.Fatalf("fleet after restart: %d (total %d), before %d (total %d)", len(devs2), total2, len(devs), total)
	}
	before := map[string]fleet.Device{}
	for _, d := range devs {
		before[d.ID] = d
	}
	for _, d := range devs2 {
		b, ok := before[d.ID]
		if !ok || b.Name != d.Name || b.CustomerEmail != d.CustomerEmail || b.Model != d.Model || b.Transport != d.Transport {
			t.Fatalf("device %s changed identity across restart", d.ID)
		}
	}
	// The data carries on, the cursors do not: a restart on the same file is a new backend
	// state (fleetsim cannot tell it from a restore of an older copy), so a client lists again.
	c2.mustErr("GET", api.PathDevices+"?since="+cursor, nil, 410, api.CodeCursorExpired)
	// The command, its idempotency key, the rollout, the token and the service log are all there.
	var again fleet.Command
	c2.mustJSON("POST", path(api.PathDeviceCommands, "id", devs[3].ID), api.CommandRequest{Action: fleet.ActionStop}, 200, &again, api.HeaderIdempotencyKey, "persist-1")
	if again.ID != cmd.ID {
		t.Errorf("idempotency key forgotten: %s vs %s", again.ID, cmd.ID)
	}
	if got := getRollout(t, c2, ro.ID); got.ReleaseID != rel.ID || len(got.Units) != 1 {
		t.Errorf("rollout after restart: %+v", got)
	}
	c2.as(tok.Secret).mustJSON("GET", api.PathMe, nil, 200, nil)
	var res api.ServiceLogResult
	c2.mustJSON("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{entry}}, 200, &res)
	if res.Duplicates != 1 {
		t.Errorf("service log entry forgotten: %+v", res)
	}
	// New IDs do not collide with old ones.
	var cmd2 fleet.Command
	c2.mustJSON("POST", path(api.PathDeviceCommands, "id", devs[4].ID), api.CommandRequest{Action: fleet.ActionStop}, 201, &cmd2)
	if cmd2.ID == cmd.ID {
		t.Errorf("command ID %s reused", cmd2.ID)
	}
}

// A file that is not a fleetsim database is refused with a clear error, not a panic.
func TestPersistenceRejectsForeignFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(db, []byte("this is not sqlite at all, just text that goes on for a while......."), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Config{Devices: 10, Dealers: 1, DBPath: db}); err == nil {
		t.Fatal("a text file was accepted as a database")
	}
}
