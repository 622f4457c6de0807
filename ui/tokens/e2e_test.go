package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// The end-to-end tests drive the Tokens page against the simulated backend through the real data
// layer (sync/syncer over HTTP on 127.0.0.1), then use the issued secrets the way a customer's
// integration would: with a plain net/http client.

type e2e struct {
	t       *testing.T
	srv     *sim.Server
	svc     *syncer.Replica
	dealer  sim.Account
	admin   sim.Account
	h       *harness
	p       *Page
	win     fyne.Window
	devices []*fleet.Device // the dealer's fleet as synced
}

func startE2E(t *testing.T) *e2e {
	return startE2EWith(t, sim.Config{Devices: 90, Dealers: 2, Seed: 7})
}

// startE2EWith is startE2E on a backend configured by cfg (a ManualClock one for expiry).
func startE2EWith(t *testing.T, cfg sim.Config) *e2e {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, dealer := testsim.Start(ctx, t, cfg)
	e := &e2e{t: t, srv: srv, dealer: dealer}
	for _, a := range srv.Accounts {
		if a.Role == "admin" {
			e.admin = a
		}
	}
	svc, err := syncer.Open(ctx, syncer.Options{
		BackendURL: srv.URL, CacheDir: t.TempDir(), Email: e.dealer.Email, Password: e.dealer.Password,
		Store: &auth.Memory{}, Manual: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if _, err := svc.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.devices = svc.Fleet().Devices()
	if len(e.devices) == 0 || !svc.Status().Reachable {
		t.Fatalf("synced %d devices, online %v", len(e.devices), svc.Status().Reachable)
	}

	e.h = open(t, svc)
	e.p, e.win = e.h.p, e.h.win
	e.h.do(func() {
		e.p.after = func(time.Duration, func()) {} // the clipboard timer is covered by the page tests
	})
	e.settle()
	return e
}

// settle waits until every backend call the page started has been answered and shown.
func (e *e2e) settle() {
	e.t.Helper()
	e.h.wait("the page's backend calls", func() bool { return e.p.busy == 0 })
}

// customerWith finds a customer account of the dealer owning at least n units, and those units.
func (e *e2e) customerWith(n int) (token.User, []string) {
	e.t.Helper()
	users, err := e.svc.Users(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	byEmail := map[string][]string{}
	for _, d := range e.devices {
		byEmail[d.CustomerEmail] = append(byEmail[d.CustomerEmail], d.ID)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	for _, u := range users {
		if ids := byEmail[u.Email]; len(ids) >= n {
			return u, ids
		}
	}
	e.t.Fatalf("no customer owns %d units", n)
	return token.User{}, nil
}

// issue taps through the wizard and returns the secret read off the show-once dialog, after
// closing it and checking the window no longer holds it.
func (e *e2e) issue(u token.User, access string, reason string, devices []string, name string) (token.Info, string) {
	t := e.t
	t.Helper()
	w := e.h.openWizard()
	var secret string
	e.h.do(func() {
		test.Type(w.users.search, u.Email)
		if len(w.users.shown) != 1 {
			t.Fatalf("search %q shows %d accounts", u.Email, len(w.users.shown))
		}
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		w.access.radio.SetSelected(access)
		if access == optControl {
			test.Type(w.access.reason, reason)
			test.Tap(w.access.confirm)
		}
		test.Tap(w.nextBtn)
		if len(devices) > 0 {
			test.Tap(w.devices.restrict)
			for _, id := range devices {
				w.devices.picker.search.SetText(id)
				c := checkFor(e.win, id)
				if c == nil {
					t.Fatalf("picker does not offer %s", id)
				}
				test.Tap(c)
			}
		}
		wantOpen(t, w)
		test.Tap(w.nextBtn)
		test.Type(w.review.name, name)
		wantOpen(t, w)
		test.Tap(w.nextBtn)
	})
	e.settle()
	var found token.Info
	e.h.do(func() {
		if e.p.secret == nil {
			t.Fatalf("no secret shown; wizard says %q", w.review.problems.Text)
		}
		secret = e.p.secret.value.Text
		if !strings.HasPrefix(secret, "fdt_") || !windowHolds(e.win, secret) {
			t.Fatalf("secret dialog shows %q", secret)
		}
		test.Tap(button(t, e.win, "I have copied it"))
		test.Tap(button(t, e.win, "Close")) // it was read off the label, not copied: confirm
	})
	e.settle()
	e.h.do(func() {
		if windowHolds(e.win, secret) {
			t.Fatal("the secret is still held by a widget after the dialog closed")
		}
		for _, ti := range e.p.tokens {
			if ti.Name == name {
				found = ti
				return
			}
		}
		t.Fatalf("token %q not in the list %v", name, e.p.tokens)
	})
	return found, secret
}

// call is a customer's integration: plain net/http with a bearer token.
func (e *e2e) call(bearer, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (e *e2e) login(a sim.Account) string {
	e.t.Helper()
	b, _ := json.Marshal(api.LoginRequest{Email: a.Email, Password: a.Password})
	resp, err := http.Post(e.srv.URL+api.PathLogin, "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tp api.TokenPair
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&tp) != nil {
		e.t.Fatalf("login %s: %s", a.Email, resp.Status)
	}
	return tp.AccessToken
}

func devicePath(p, id string) string { return strings.Replace(p, "{id}", id, 1) }

func TestE2EIssueUseRevoke(t *testing.T) {
	e := startE2E(t)
	user, owned := e.customerWith(3)
	two := owned[:2]

	// A read-only token restricted to two units.
	ro, roSecret := e.issue(user, optReadOnly, "", two, "pilot dashboard")
	if ro.Access != token.AccessReadOnly || !slices.Equal(ro.Devices, two) || ro.UserID != user.ID {
		t.Fatalf("listed token %+v", ro)
	}
	code, body := e.call(roSecret, "GET", api.PathDevices, nil)
	var page api.DevicePage
	if code != 200 || json.Unmarshal(body, &page) != nil {
		t.Fatalf("list devices: %d %s", code, body)
	}
	var listed []string
	for _, d := range page.Devices {
		listed = append(listed, d.ID)
	}
	sort.Strings(listed)
	want := append([]string(nil), two...)
	sort.Strings(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("read-only token lists %v, want exactly %v", listed, want)
	}
	for _, id := range two {
		code, body := e.call(roSecret, "GET", devicePath(api.PathDevice, id), nil)
		var d fleet.Device
		if code != 200 || json.Unmarshal(body, &d) != nil || d.ID != id {
			t.Fatalf("read %s: %d %s", id, code, body)
		}
		if code, body := e.call(roSecret, "POST", devicePath(api.PathDeviceCommands, id), api.CommandRequest{Action: fleet.ActionStart}); code != 403 {
			t.Fatalf("read-only Start on %s: %d %s, want 403", id, code, body)
		}
	}
	// Every other write is refused to a read-only token too.
	for _, wr := range []struct {
		method, path string
		body         any
	}{
		{"POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionStop}},
		{"POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionReboot}},
		{"POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionFWUpdate, ReleaseID: "r"}},
		{"POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: "r"}},
		{"POST", api.PathRollouts, map[string]any{}},
		{"POST", devicePath(api.PathRolloutPause, "ro-1"), nil},
		{"POST", api.PathTokens, token.CreateRequest{UserID: user.ID, Name: "x", Access: token.AccessControl, Reason: "x"}},
		{"DELETE", devicePath(api.PathToken, "tok-00001"), nil},
		{"POST", api.PathServiceLog, api.ServiceLogRequest{}},
		{"POST", api.PathAdminPush, api.GlobalPushRequest{ReleaseID: "r"}},
		{"POST", devicePath(api.PathAdminOverride, two[0]), api.OverrideRequest{Action: "x"}},
	} {
		if code, body := e.call(roSecret, wr.method, wr.path, wr.body); code != 403 {
			t.Errorf("read-only %s %s: %d %s, want 403", wr.method, wr.path, code, body)
		}
	}

	// The customer's third unit is outside the restriction: 404, never its data.
	code, body = e.call(roSecret, "GET", devicePath(api.PathDevice, owned[2]), nil)
	if code != 404 || strings.Contains(string(body), user.Email) {
		t.Fatalf("unit outside the restriction: %d %s", code, body)
	}

	// A control-enabled token: Start is accepted.
	ctl, ctlSecret := e.issue(user, optControl, "remote start from the customer's SCADA", two[:1], "SCADA control")
	if ctl.Access != token.AccessControl {
		t.Fatalf("control token listed as %s", ctl.Access)
	}
	code, body = e.call(ctlSecret, "POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionStart})
	var cmd fleet.Command
	if code != 201 || json.Unmarshal(body, &cmd) != nil || cmd.Action != fleet.ActionStart || cmd.DeviceID != two[0] {
		t.Fatalf("control Start: %d %s", code, body)
	}
	// Its restriction holds for commands too, and firmware stays with the dealer.
	if code, body := e.call(ctlSecret, "POST", devicePath(api.PathDeviceCommands, two[1]), api.CommandRequest{Action: fleet.ActionStart}); code != 404 {
		t.Fatalf("control Start outside the restriction: %d %s, want 404", code, body)
	}
	if code, body := e.call(ctlSecret, "POST", devicePath(api.PathDeviceCommands, two[0]), api.CommandRequest{Action: fleet.ActionForceOTA, ReleaseID: "r"}); code != 403 {
		t.Fatalf("control Force OTA: %d %s, want 403", code, body)
	}

	// The list shows use: "last used" comes from the backend.
	e.h.do(e.p.reload)
	e.settle()
	if !e.h.holds("just now") {
		t.Error("the list does not show the tokens' last use")
	}

	// Revoke the read-only token from the page, confirmed: the backend answers 401 from then on.
	e.h.do(func() {
		rb := rowButton(e.win, "pilot dashboard")
		if rb == nil || rb.Disabled() {
			t.Fatal("no Revoke button on the read-only token's row")
		}
		test.Tap(rb)
		test.Tap(button(t, e.win, "Revoke"))
	})
	e.settle()
	if code, body := e.call(roSecret, "GET", api.PathDevices, nil); code != 401 {
		t.Fatalf("revoked token: %d %s, want 401", code, body)
	}
	var after token.Info
	e.h.do(func() {
		for _, ti := range e.p.tokens {
			if ti.ID == ro.ID {
				after = ti
			}
		}
	})
	if !after.Revoked {
		t.Fatalf("list does not show the revocation: %+v", after)
	}
	// The control token still works: revocation is per token.
	if code, _ := e.call(ctlSecret, "GET", devicePath(api.PathDevice, two[0]), nil); code != 200 {
		t.Fatalf("other token affected by the revocation: %d", code)
	}

	// Offline: the list is read from the cache; issuing and revoking say why they are off.
	e.h.do(e.p.reload)
	e.settle()
	var online int
	e.h.do(func() { online = len(e.p.tokens) })
	e.srv.Close()
	start := time.Now()
	e.h.do(e.p.reload)
	e.settle()
	t.Logf("offline reload took %s", time.Since(start))
	if e.svc.Status().Reachable {
		t.Fatal("the session did not notice the backend is gone")
	}
	e.h.wait("the page offline", func() bool { return !e.p.online })
	e.h.do(func() {
		if online != 2 || len(e.p.tokens) != online || !windowHolds(e.win, "SCADA control") || !windowHolds(e.win, "pilot dashboard") {
			t.Fatalf("offline list: %+v", e.p.tokens)
		}
		if !e.p.issueBtn.Disabled() || !strings.Contains(e.p.banner.Text, "Offline") {
			t.Fatalf("offline: Issue enabled %v, banner %q", !e.p.issueBtn.Disabled(), e.p.banner.Text)
		}
		if rb := rowButton(e.win, "SCADA control"); rb == nil || !rb.Disabled() {
			t.Fatal("Revoke offered offline")
		}
	})
}

// An expired token gets 401. The app never proposes an expiry under a day, so this one is made
// through the API; the backend's clock is under the test's control, so the token expires when the
// test moves time past its expiry and not a moment before, however slow the machine.
func TestE2EExpiredTokenRefused(t *testing.T) {
	e := startE2EWith(t, sim.Config{Devices: 90, Dealers: 2, Seed: 7, ManualClock: true})
	user, _ := e.customerWith(1)
	var short token.Created
	exp := e.srv.Now().Add(time.Minute)
	code, body := e.call(e.login(e.dealer), "POST", api.PathTokens, token.CreateRequest{
		UserID: user.ID, Name: "short", Access: token.AccessReadOnly, ExpiresAt: exp})
	if code != 201 || json.Unmarshal(body, &short) != nil {
		t.Fatalf("short-lived token: %d %s", code, body)
	}
	if code, body := e.call(short.Secret, "GET", api.PathDevices, nil); code != 200 {
		t.Fatalf("fresh token: %d %s", code, body)
	}
	e.srv.Advance(exp.Sub(e.srv.Now()) - time.Second)
	if code, body := e.call(short.Secret, "GET", api.PathDevices, nil); code != 200 {
		t.Fatalf("a second before its expiry: %d %s", code, body)
	}
	e.srv.Advance(2 * time.Second)
	if code, body := e.call(short.Secret, "GET", api.PathDevices, nil); code != 401 {
		t.Fatalf("expired token: %d %s, want 401", code, body)
	}
}

func TestE2EOutOfScopeRefusedInAppAndAPI(t *testing.T) {
	e := startE2E(t)
	user, owned := e.customerWith(1)

	// Another dealer's account and unit, as the administrator sees them.
	adm := e.login(e.admin)
	var users api.UserList
	_, body := e.call(adm, "GET", api.PathUsers, nil)
	if err := json.Unmarshal(body, &users); err != nil {
		t.Fatal(err)
	}
	var other token.User
	for _, u := range users.Users {
		if u.Dealer != e.dealer.Dealer {
			other = u
			break
		}
	}
	var page api.DevicePage
	_, body = e.call(adm, "GET", api.PathDevices+"?limit=1000", nil)
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var otherDev string
	for _, d := range page.Devices {
		if d.Dealer != e.dealer.Dealer {
			otherDev = d.ID
			break
		}
	}
	if other.ID == "" || otherDev == "" {
		t.Fatal("the simulated world has no second dealer")
	}

	// In the app: the other dealer's account is not offered, its unit is refused with the reason.
	w := e.h.openWizard()
	e.h.do(func() {
		test.Type(w.users.search, other.Email)
		if len(w.users.shown) != 0 || !strings.Contains(w.users.note.Text, "No customer account in your dealer scope") {
			t.Fatalf("another dealer's account: shown %v, note %q", w.users.shown, w.users.note.Text)
		}
		w.users.search.SetText(user.Email)
		w.users.list.Select(0)
		test.Tap(w.nextBtn)
		w.access.radio.SetSelected(optReadOnly)
		test.Tap(w.nextBtn)
		test.Tap(w.devices.restrict)
		w.devices.picker.paste.SetText(otherDev)
		test.Tap(button(t, e.win, "Add"))
		if pk := w.devices.picker; len(pk.selected) != 0 || !strings.Contains(pk.pasteNote.Text, otherDev+" is not in your fleet") {
			t.Fatalf("another dealer's unit pasted: selected %v, note %q", pk.selected, pk.pasteNote.Text)
		}
		wantBlocked(t, w, "choose at least one device")
		test.Tap(w.nextBtn)
		if w.step != stepDevices {
			t.Fatal("the wizard moved on with another dealer's unit")
		}
		test.Tap(w.cancel)
	})

	// In the API: the backend refuses both, whoever asks it, app or not.
	dealer := e.login(e.dealer)
	exp := time.Now().Add(24 * time.Hour)
	for _, req := range []token.CreateRequest{
		{UserID: other.ID, Name: "x", Access: token.AccessReadOnly, ExpiresAt: exp},
		{UserID: user.ID, Name: "x", Access: token.AccessReadOnly, Devices: []string{owned[0], otherDev}, ExpiresAt: exp},
	} {
		code, body := e.call(dealer, "POST", api.PathTokens, req)
		if code != 403 || strings.Contains(string(body), "fdt_") {
			t.Errorf("API issued out of scope (%+v): %d %s", req, code, body)
		}
		if _, err := e.svc.CreateToken(context.Background(), req); !scopeRefusal(err) {
			t.Errorf("data layer on an out-of-scope request %+v: %v, want a scope refusal", req, err)
		}
	}
	// Nothing was issued by any of the attempts.
	e.h.do(e.p.reload)
	e.settle()
	e.h.do(func() {
		if len(e.p.tokens) != 0 {
			t.Fatalf("tokens exist after refused attempts: %+v", e.p.tokens)
		}
	})
}

// scopeRefusal reports whether err refuses a token request for its scope: the backend's 403, or
// the token rules' own refusal of an account or unit of another dealer when the data layer checks
// before it asks (it knows only the accounts and units in scope, so another dealer's are unknown
// to it). Any other error (offline, a timeout, a bad request) is no proof of the rule.
func scopeRefusal(err error) bool {
	var apiErr *api.Error
	if errors.As(err, &apiErr) {
		return apiErr.Status == http.StatusForbidden && apiErr.Code == api.CodeForbidden
	}
	var invalid *token.InvalidError
	return errors.As(err, &invalid) && (invalid.Problems.Has(token.ReasonUserOutOfScope) || invalid.Problems.Has(token.ReasonUserUnknown) ||
		invalid.Problems.Has(token.ReasonDeviceOutOfScope) || invalid.Problems.Has(token.ReasonDeviceUnknown))
}
