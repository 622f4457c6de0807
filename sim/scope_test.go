package sim

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// scopeFixture is two dealers signed in, with their fleets and users.
type scopeFixture struct {
	s              *Server
	v              *validator
	d1, d2, admin  *client
	fleet1, fleet2 []fleet.Device
	users1, users2 []token.User
}

func newScopeFixture(t *testing.T, cfg Config) *scopeFixture {
	t.Helper()
	if cfg.Devices == 0 {
		cfg.Devices, cfg.Dealers = 240, 2
	}
	f := &scopeFixture{s: startSim(t, cfg), v: newValidator(t)}
	f.d1, f.d2, f.admin = newClient(t, f.s, f.v), newClient(t, f.s, f.v), newClient(t, f.s, f.v)
	f.d1.login(account(t, f.s, "dealer", "dlr-001"))
	f.d2.login(account(t, f.s, "dealer", "dlr-002"))
	f.admin.login(account(t, f.s, "admin", ""))
	f.fleet1, _, _ = listAll(t, f.d1, "", 1000)
	f.fleet2, _, _ = listAll(t, f.d2, "", 1000)
	var ul1, ul2 api.UserList
	f.d1.mustJSON("GET", api.PathUsers, nil, 200, &ul1)
	f.d2.mustJSON("GET", api.PathUsers, nil, 200, &ul2)
	f.users1, f.users2 = ul1.Users, ul2.Users
	return f
}

// noLeak fails when an error answer carries anything identifying the other dealer's unit.
func noLeak(t *testing.T, msg string, d fleet.Device) {
	t.Helper()
	for _, secret := range []string{d.Name, d.CustomerEmail, d.Firmware, d.Dealer} {
		if secret != "" && strings.Contains(msg, secret) {
			t.Errorf("refusal leaks %q: %s", secret, msg)
		}
	}
}

// The guide: a dealer can view their fleet, and only their fleet.
func TestScopeDealerSeesOnlyOwnFleet(t *testing.T) {
	f := newScopeFixture(t, Config{})
	var all api.DevicePage
	f.admin.mustJSON("GET", api.PathDevices+"?limit=5000", nil, 200, &all)
	if len(f.fleet1)+len(f.fleet2) != all.Total || len(f.fleet1) == 0 || len(f.fleet2) == 0 {
		t.Fatalf("dealer fleets %d + %d, all %d", len(f.fleet1), len(f.fleet2), all.Total)
	}
	for _, d := range f.fleet1 {
		if d.Dealer != "dlr-001" {
			t.Errorf("dealer 1 listed %s of %s", d.ID, d.Dealer)
		}
	}
	for _, u := range f.users1 {
		if u.Dealer != "dlr-001" {
			t.Errorf("dealer 1 listed user %s of %s", u.Email, u.Dealer)
		}
	}
}

// The guide: a dealer can NOT push global firmware.
func TestScopeCannotPushGlobalFirmware(t *testing.T) {
	f := newScopeFixture(t, Config{})
	var rl api.ReleaseList
	f.d1.mustJSON("GET", api.PathReleases, nil, 200, &rl)
	f.d1.mustErr("POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: rl.Releases[0].ID}, 403, api.CodeForbidden)
	// Nor through the rollout endpoint with a made-up target (the contract refuses it too, so send
	// it without the validator).
	raw := newClient(t, f.s, nil).as(f.d1.token)
	r := rl.Releases[0]
	raw.mustErr("POST", api.PathRollouts, rollout.CreateRequest{Console: r.Console, ReleaseID: r.ID, Model: r.Model, Transport: r.Transport, Target: "global"}, 403, api.CodeForbidden)
	var all api.RolloutList
	f.admin.mustJSON("GET", api.PathRollouts, nil, 200, &all)
	if len(all.Rollouts) != 0 {
		t.Errorf("a refused push still created %d rollouts", len(all.Rollouts))
	}
}

// The guide: a dealer can NOT manage devices outside their scope; the backend answers 404, never
// their data.
func TestScopeCannotManageOtherDealersDevices(t *testing.T) {
	f := newScopeFixture(t, Config{ManualClock: true})
	theirs := f.fleet2[0]
	msg := f.d1.mustErr("GET", path(api.PathDevice, "id", theirs.ID), nil, 404, api.CodeNotFound)
	noLeak(t, msg, theirs)
	msgNone := f.d1.mustErr("GET", path(api.PathDevice, "id", "D180-99999"), nil, 404, api.CodeNotFound)
	if strings.Replace(msg, theirs.ID, "X", 1) != strings.Replace(msgNone, "D180-99999", "X", 1) {
		t.Errorf("another dealer's unit and no unit answer differently: %q vs %q", msg, msgNone)
	}
	for _, act := range fleet.AllActions {
		body := api.CommandRequest{Action: act}
		if act.NeedsRelease() {
			body.ReleaseID = "rel-" + strings.ToLower(string(theirs.Model)) + "-" + string(theirs.Transport) + "-" + consoleVersions[theirs.Console][2]
		}
		noLeak(t, f.d1.mustErr("POST", path(api.PathDeviceCommands, "id", theirs.ID), body, 404, api.CodeNotFound), theirs)
	}
	noLeak(t, f.d1.mustErr("GET", path(api.PathDeviceCommands, "id", theirs.ID), nil, 404, api.CodeNotFound), theirs)
	var hist api.CommandList
	f.admin.mustJSON("GET", path(api.PathDeviceCommands, "id", theirs.ID), nil, 200, &hist)
	if len(hist.Commands) != 0 {
		t.Errorf("refused commands reached the unit: %+v", hist.Commands)
	}
	// Their commands and rollouts are as invisible as their units.
	var cmd fleet.Command
	f.d2.mustJSON("POST", path(api.PathDeviceCommands, "id", theirs.ID), api.CommandRequest{Action: fleet.ActionStop}, 201, &cmd)
	f.d1.mustErr("GET", path(api.PathCommand, "id", cmd.ID), nil, 404, api.CodeNotFound)
	r := releaseFor(t, f.d1, theirs)
	f.d1.mustErr("POST", api.PathRollouts, rollout.CreateRequest{Console: r.Console, ReleaseID: r.ID, Model: r.Model, Transport: r.Transport, Target: rollout.DeviceTarget(theirs.ID)}, 404, api.CodeNotFound)
	// Delta sync never hands over their changes either: their unit reboots (offline, then back)
	// while dealer 1 holds a cursor, and dealer 1's delta has none of it.
	_, cursor, _ := listAll(t, f.d1, "", 1000)
	var rebooting fleet.Device
	for _, d := range f.fleet2 {
		if d.Online && d.ID != theirs.ID {
			rebooting = d
			break
		}
	}
	if rebooting.ID == "" {
		t.Fatal("dealer 2 has no online unit to reboot")
	}
	var reboot fleet.Command
	f.d2.mustJSON("POST", path(api.PathDeviceCommands, "id", rebooting.ID), api.CommandRequest{Action: fleet.ActionReboot}, 201, &reboot)
	advanceUntil(t, f.s, time.Hour, time.Second, "their reboot to finish", func() bool {
		var got fleet.Command
		f.d2.mustJSON("GET", path(api.PathCommand, "id", reboot.ID), nil, 200, &got)
		return got.Status == fleet.CommandDone
	})
	delta, _, _ := listAll(t, f.d1, cursor, 1000)
	for _, d := range delta {
		if d.Dealer != "dlr-001" {
			t.Errorf("delta sync leaked %s", d.ID)
		}
	}
}

func releaseFor(t *testing.T, c *client, d fleet.Device) rollout.Release {
	t.Helper()
	var rl api.ReleaseList
	c.mustJSON("GET", api.PathReleases, nil, 200, &rl)
	for _, r := range rl.Releases {
		if r.Variant() == fleet.VariantOf(d) && r.Version != d.Firmware {
			return r
		}
	}
	t.Fatalf("no release for %s", d.ID)
	return rollout.Release{}
}

// The guide: a dealer can NOT issue tokens outside their scope.
func TestScopeCannotIssueTokensOutsideScope(t *testing.T) {
	f := newScopeFixture(t, Config{})
	exp := time.Now().Add(24 * time.Hour)
	// Another dealer's user.
	f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: f.users2[0].ID, Name: "x", Access: token.AccessReadOnly, ExpiresAt: exp}, 403, api.CodeForbidden)
	// A user that does not exist: the same answer.
	f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: "usr-99999", Name: "x", Access: token.AccessReadOnly, ExpiresAt: exp}, 403, api.CodeForbidden)
	// Own user, another dealer's device.
	msg := f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: f.users1[0].ID, Name: "x", Access: token.AccessReadOnly, Devices: []string{f.fleet2[0].ID}, ExpiresAt: exp}, 403, api.CodeForbidden)
	noLeak(t, msg, f.fleet2[0])
	// Own user, own device of another customer.
	var foreign string
	for _, d := range f.fleet1 {
		if d.CustomerEmail != f.users1[0].Email {
			foreign = d.ID
			break
		}
	}
	f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: f.users1[0].ID, Name: "x", Access: token.AccessReadOnly, Devices: []string{foreign}, ExpiresAt: exp}, 400, api.CodeBadRequest)
	// Expiry beyond the maximum, and control without a reason.
	f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: f.users1[0].ID, Name: "x", Access: token.AccessReadOnly, ExpiresAt: time.Now().Add(400 * 24 * time.Hour)}, 400, api.CodeBadRequest)
	f.d1.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: f.users1[0].ID, Name: "x", Access: token.AccessControl, ExpiresAt: exp}, 400, api.CodeBadRequest)
	var tl api.TokenList
	f.admin.mustJSON("GET", api.PathTokens, nil, 200, &tl)
	if len(tl.Tokens) != 0 {
		t.Errorf("refused requests created tokens: %+v", tl.Tokens)
	}
	// Dealer 2 cannot see or revoke dealer 1's tokens.
	var created token.Created
	f.d1.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: f.users1[0].ID, Name: "ok", Access: token.AccessReadOnly, ExpiresAt: exp}, 201, &created)
	f.d2.mustJSON("GET", api.PathTokens, nil, 200, &tl)
	if len(tl.Tokens) != 0 {
		t.Errorf("dealer 2 sees dealer 1's tokens: %+v", tl.Tokens)
	}
	f.d2.mustErr("DELETE", path(api.PathToken, "id", created.Token.ID), nil, 404, api.CodeNotFound)
	f.d1.as(created.Secret).mustJSON("GET", api.PathMe, nil, 200, nil) // still works
}

// The guide: a dealer can NOT use admin-only override actions. The unit is given an alarm first
// (on a manual clock, so the engine does not clear it on its own): a refused clear_alarms must
// leave it, and the admin's must remove it.
func TestScopeCannotUseAdminOverrides(t *testing.T) {
	f := newScopeFixture(t, Config{ManualClock: true, AccessTTL: simDayTTL})
	target := f.fleet2[0]
	b := f.s.Backend()
	b.mu.Lock()
	i := b.w.byID[target.ID]
	b.w.devs[i].D.Alarms = []string{alarmCodes[0]}
	b.w.touch(i, b.clk.now())
	b.mu.Unlock()
	alarms := func() []string {
		t.Helper()
		var d fleet.Device
		f.admin.mustJSON("GET", path(api.PathDevice, "id", target.ID), nil, 200, &d)
		return d.Alarms
	}
	if got := alarms(); len(got) != 1 {
		t.Fatalf("setup: unit %s has alarms %v, want the one raised", target.ID, got)
	}
	for _, d := range []fleet.Device{f.fleet1[0], target} {
		for _, act := range []string{OverrideClearAlarms, OverrideClearFault, OverrideRestore} {
			msg := f.d1.mustErr("POST", path(api.PathAdminOverride, "id", d.ID), api.OverrideRequest{Action: act}, 403, api.CodeForbidden)
			noLeak(t, msg, d)
		}
	}
	if got := alarms(); len(got) != 1 {
		t.Fatalf("a refused clear_alarms changed the unit's alarms to %v", got)
	}
	// The admin can.
	var got fleet.Device
	f.admin.mustJSON("POST", path(api.PathAdminOverride, "id", target.ID), api.OverrideRequest{Action: OverrideClearAlarms}, 200, &got)
	if len(got.Alarms) != 0 {
		t.Errorf("alarms in the answer to clear_alarms: %v", got.Alarms)
	}
	if after := alarms(); len(after) != 0 {
		t.Errorf("alarms after clear_alarms: %v", after)
	}
}

// pickCustomer returns a dealer 1 user owning at least n units, and those units.
func (f *scopeFixture) pickCustomer(t *testing.T, n int) (token.User, []fleet.Device) {
	t.Helper()
	for _, u := range f.users1 {
		var owned []fleet.Device
		for _, d := range f.fleet1 {
			if d.CustomerEmail == u.Email {
				owned = append(owned, d)
			}
		}
		if len(owned) >= n {
			return u, owned
		}
	}
	t.Fatalf("no customer with %d units", n)
	return token.User{}, nil
}

// Issue 7: a read-only token restricted to two devices lists and reads exactly those, and is
// refused every command and write; a control token may start; revoked and expired tokens are 401.
func TestTokenEnforcement(t *testing.T) {
	f := newScopeFixture(t, Config{ManualClock: true})
	clk := f.s
	user, owned := f.pickCustomer(t, 3)
	two := []string{owned[0].ID, owned[1].ID}
	var ro token.Created
	f.d1.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: user.ID, Name: "pilot", Access: token.AccessReadOnly, Devices: two, ExpiresAt: clk.Now().Add(48 * time.Hour)}, 201, &ro)
	tc := f.d1.as(ro.Secret)

	got, _, total := listAll(t, tc, "", 1)
	if len(got) != 2 || total != 2 {
		t.Fatalf("restricted token listed %d (total %d), want 2", len(got), total)
	}
	for _, d := range got {
		if d.ID != two[0] && d.ID != two[1] {
			t.Errorf("restricted token listed %s", d.ID)
		}
		tc.mustJSON("GET", path(api.PathDevice, "id", d.ID), nil, 200, nil)
	}
	noLeak(t, tc.mustErr("GET", path(api.PathDevice, "id", owned[2].ID), nil, 404, api.CodeNotFound), owned[2])
	noLeak(t, tc.mustErr("GET", path(api.PathDevice, "id", f.fleet2[0].ID), nil, 404, api.CodeNotFound), f.fleet2[0])
	var me api.Me
	tc.mustJSON("GET", api.PathMe, nil, 200, &me)
	if me.Role != "customer" || me.Email != user.Email {
		t.Errorf("token me = %+v", me)
	}
	// Every command and every write is 403.
	for _, act := range fleet.AllActions {
		tc.mustErr("POST", path(api.PathDeviceCommands, "id", two[0]), api.CommandRequest{Action: act, ReleaseID: releaseFor(t, f.d1, owned[0]).ID}, 403, api.CodeForbidden)
	}
	r := releaseFor(t, f.d1, owned[0])
	tc.mustErr("POST", api.PathRollouts, rollout.CreateRequest{Console: r.Console, ReleaseID: r.ID, Model: r.Model, Transport: r.Transport, Target: rollout.DeviceTarget(two[0])}, 403, api.CodeForbidden)
	tc.mustErr("POST", api.PathTokens, token.CreateRequest{UserID: user.ID, Name: "more", Access: token.AccessControl, Reason: "x", ExpiresAt: clk.Now().Add(time.Hour)}, 403, api.CodeForbidden)
	tc.mustErr("DELETE", path(api.PathToken, "id", ro.Token.ID), nil, 403, api.CodeForbidden)
	tc.mustErr("POST", api.PathServiceLog, api.ServiceLogRequest{Entries: []api.ServiceLogEntry{{ID: "a", DeviceSerial: two[0], Result: "ok", At: clk.Now()}}}, 403, api.CodeForbidden)
	tc.mustErr("POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: r.ID}, 403, api.CodeForbidden)
	var hist api.CommandList
	f.d1.mustJSON("GET", path(api.PathDeviceCommands, "id", two[0]), nil, 200, &hist)
	if len(hist.Commands) != 0 {
		t.Errorf("a read-only token's commands reached the unit: %+v", hist.Commands)
	}

	// A control-enabled token may start and stop its devices, not update firmware.
	var ctl token.Created
	f.d1.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: user.ID, Name: "scada", Access: token.AccessControl, Reason: "remote start from the site SCADA", Devices: two[:1], ExpiresAt: clk.Now().Add(48 * time.Hour)}, 201, &ctl)
	cc := f.d1.as(ctl.Secret)
	cc.mustJSON("POST", path(api.PathDeviceCommands, "id", two[0]), api.CommandRequest{Action: fleet.ActionStart}, 201, nil)
	cc.mustErr("POST", path(api.PathDeviceCommands, "id", two[1]), api.CommandRequest{Action: fleet.ActionStart}, 404, api.CodeNotFound)
	cc.mustErr("POST", path(api.PathDeviceCommands, "id", two[0]), api.CommandRequest{Action: fleet.ActionFWUpdate, ReleaseID: r.ID}, 403, api.CodeForbidden)

	// Revoked: 401.
	f.d1.mustJSON("DELETE", path(api.PathToken, "id", ctl.Token.ID), nil, 204, nil)
	cc.mustErr("GET", api.PathDevices, nil, 401, api.CodeUnauthorized)
	var tl api.TokenList
	f.d1.mustJSON("GET", api.PathTokens, nil, 200, &tl)
	for _, tk := range tl.Tokens {
		if tk.ID == ctl.Token.ID && !tk.Revoked {
			t.Error("revoked token not listed as revoked")
		}
		if tk.ID == ro.Token.ID && tk.LastUsed == nil {
			t.Error("used token has no last_used")
		}
	}
	// Expired: 401. The dealer's own access token expires too, and refresh brings it back.
	clk.Advance(49 * time.Hour)
	tc.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	f.d1.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
}

// Access tokens live AccessTTL; a refresh gives a new pair; a used refresh token is dead.
func TestAccessTokenExpiryAndRefresh(t *testing.T) {
	s := startSim(t, Config{Devices: 20, Dealers: 1, ManualClock: true, AccessTTL: time.Minute})
	c := newClient(t, s, newValidator(t))
	tp := c.login(account(t, s, "dealer", ""))
	if tp.ExpiresIn != 60 {
		t.Errorf("expires_in %d", tp.ExpiresIn)
	}
	c.mustJSON("GET", api.PathMe, nil, 200, nil)
	s.Advance(61 * time.Second)
	c.mustErr("GET", api.PathMe, nil, 401, api.CodeUnauthorized)
	var np api.TokenPair
	c.mustJSON("POST", api.PathRefresh, api.RefreshRequest{RefreshToken: tp.RefreshToken}, 200, &np)
	c.as(np.AccessToken).mustJSON("GET", api.PathMe, nil, 200, nil)
	c.mustErr("POST", api.PathRefresh, api.RefreshRequest{RefreshToken: tp.RefreshToken}, 401, api.CodeUnauthorized)
	if np.AccessToken == tp.AccessToken || np.RefreshToken == tp.RefreshToken {
		t.Error("refresh returned the old secrets")
	}
}

// The event stream is scoped exactly like the listing: another dealer's change, command or
// rollout never appears in a dealer's stream; a unit transferred away is a removal there, and a
// unit transferred in arrives; a restricted customer token hears of its devices only. Each
// stream, applied to its listing, ends equal to the listing of its scope now.
func TestScopeEventStream(t *testing.T) {
	f := newScopeFixture(t, Config{ManualClock: true, AccessTTL: simDayTTL})
	user, owned := f.pickCustomer(t, 3)
	two := []string{owned[0].ID, owned[1].ID}
	var ro token.Created
	f.d1.mustJSON("POST", api.PathTokens, token.CreateRequest{UserID: user.ID, Name: "pilot", Access: token.AccessReadOnly,
		Devices: two, ExpiresAt: f.s.Now().Add(48 * time.Hour)}, 201, &ro)
	tc := f.d1.as(ro.Secret)

	type watcher struct {
		name string
		c    *client
		r    *replica
		st   *eventStream
	}
	var ws []*watcher
	first1 := ""
	for _, w := range []struct {
		name string
		c    *client
	}{{"dealer 1", f.d1}, {"dealer 2", f.d2}, {"the restricted token", tc}, {"the admin", f.admin}} {
		devs, cursor, _ := listAll(t, w.c, "", 1000)
		if first1 == "" {
			first1 = cursor
		}
		ws = append(ws, &watcher{w.name, w.c, newReplica(t, devs, cursor), openStream(t, w.c, cursor, "")})
	}

	// Dealer 2 acts on its units; units change hands both ways, the token's second device among them.
	var d2cmd fleet.Command
	for _, d := range f.fleet2 {
		if d.Online && d.RunState == fleet.RunStopped {
			f.d2.mustJSON("POST", path(api.PathDeviceCommands, "id", d.ID), api.CommandRequest{Action: fleet.ActionStart}, 201, &d2cmd)
			break
		}
	}
	out, in := owned[1], f.fleet2[5]
	f.admin.mustJSON("POST", path(api.PathAdminOverride, "id", out.ID), api.OverrideRequest{Action: OverrideTransfer, Dealer: "dlr-002"}, 200, nil)
	f.admin.mustJSON("POST", path(api.PathAdminOverride, "id", in.ID), api.OverrideRequest{Action: OverrideTransfer, Dealer: "dlr-001"}, 200, nil)
	f.admin.mustErr("POST", path(api.PathAdminOverride, "id", in.ID), api.OverrideRequest{Action: OverrideTransfer, Dealer: "dlr-404"}, 400, api.CodeBadRequest)
	f.s.Advance(20 * time.Minute)

	removed := map[string][]string{}
	for _, w := range ws {
		before := map[string]bool{}
		for id := range w.r.devs {
			before[id] = true
		}
		w.r.follow(w.st, w.c)
		for id := range before {
			if _, ok := w.r.devs[id]; !ok {
				removed[w.name] = append(removed[w.name], id)
			}
		}
		for id, d := range w.r.devs {
			switch w.name {
			case "dealer 1":
				if d.Dealer != "dlr-001" {
					t.Errorf("dealer 1's stream holds %s of %s", id, d.Dealer)
				}
			case "dealer 2":
				if d.Dealer != "dlr-002" {
					t.Errorf("dealer 2's stream holds %s of %s", id, d.Dealer)
				}
			case "the restricted token":
				if id != two[0] && id != two[1] {
					t.Errorf("the restricted token's stream holds %s", id)
				}
			}
		}
		if _, ok := w.r.commands[d2cmd.ID]; ok != (w.name == "dealer 2" || w.name == "the admin") {
			t.Errorf("%s's stream: dealer 2's command seen = %v", w.name, ok)
		}
	}
	if got := removed["dealer 1"]; len(got) != 1 || got[0] != out.ID {
		t.Errorf("dealer 1's stream removed %v, want only %s", got, out.ID)
	}
	if got := removed["the restricted token"]; len(got) != 1 || got[0] != out.ID {
		t.Errorf("the token's stream removed %v, want only %s", got, out.ID)
	}
	if len(removed["dealer 2"]) != 1 || len(removed["the admin"]) != 0 {
		t.Errorf("removals: %v", removed)
	}
	if _, ok := ws[0].r.devs[in.ID]; !ok {
		t.Errorf("dealer 1's stream did not bring %s, transferred in", in.ID)
	}
	// The delta listing from the same cursor says the same as the stream.
	var page api.DevicePage
	f.d1.mustJSON("GET", api.PathDevices+"?limit=5000&since="+url.QueryEscape(first1), nil, 200, &page)
	if len(page.Removed) != 1 || page.Removed[0] != out.ID || !slices.ContainsFunc(page.Devices, func(d fleet.Device) bool { return d.ID == in.ID }) {
		t.Errorf("dealer 1's delta: removed %v, %d devices (%s among them: %v)", page.Removed, len(page.Devices), in.ID,
			slices.ContainsFunc(page.Devices, func(d fleet.Device) bool { return d.ID == in.ID }))
	}
}
