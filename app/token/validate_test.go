package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixture() Check {
	devs := []fleet.Device{
		{ID: "XP-00211", Model: fleet.ModelXPro, CustomerEmail: "ann@farm.example", Dealer: "d1"},
		{ID: "UN-00012", Model: fleet.ModelD180, CustomerEmail: "ann@farm.example", Dealer: "d1"},
		{ID: "UN-00450", Model: fleet.ModelV5, CustomerEmail: "ANN@farm.example", Dealer: "d1"},
		{ID: "AU-00007", Model: fleet.ModelUltra, CustomerEmail: "ann@farm.example", Dealer: "d1"},
		{ID: "XP-00300", Model: fleet.ModelXPro, CustomerEmail: "bob@mill.example", Dealer: "d1"},
		{ID: "XP-00301", Model: fleet.ModelXPro, CustomerEmail: "", Dealer: "d1"},
		// A stale record of another dealer's unit: the app must still refuse it.
		{ID: "XP-09999", Model: fleet.ModelXPro, CustomerEmail: "ann@farm.example", Dealer: "d2"},
	}
	return Check{
		Actor: scope.Actor{UserID: "u-dealer", Email: "dealer@d1.example", Role: scope.RoleDealer, Dealer: "d1"},
		Users: []User{
			{ID: "u-ann", Email: "ann@farm.example", Name: "Ann", Dealer: "d1"},
			{ID: "u-bob", Email: "bob@mill.example", Name: "Bob", Dealer: "d1"},
			{ID: "u-eve", Email: "eve@other.example", Name: "Eve", Dealer: "d2"},
		},
		Fleet: fleet.NewIndex(devs),
		Now:   now,
	}
}

func good() CreateRequest {
	return CreateRequest{
		UserID:    "u-ann",
		Name:      "Ann's dashboard",
		Access:    AccessReadOnly,
		Devices:   []string{"XP-00211", "UN-00012"},
		ExpiresAt: DefaultPolicy.DefaultExpiry(now),
	}
}

func TestValidRequestsPass(t *testing.T) {
	c := fixture()
	cases := map[string]func(*CreateRequest){
		"read-only two devices":   func(r *CreateRequest) {},
		"every device":            func(r *CreateRequest) { r.Devices = nil },
		"control with reason":     func(r *CreateRequest) { r.Access = AccessControl; r.Reason = "remote start from the farm SCADA" },
		"owner case-insensitive":  func(r *CreateRequest) { r.Devices = []string{"UN-00450"} },
		"owner unknown":           func(r *CreateRequest) { r.Devices = []string{"XP-00301"} },
		"expiry exactly at max":   func(r *CreateRequest) { r.ExpiresAt = now.Add(DefaultPolicy.MaxLifetime) },
		"expiry one minute ahead": func(r *CreateRequest) { r.ExpiresAt = now.Add(time.Minute) },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			r := good()
			mod(&r)
			if ps := c.Validate(r); len(ps) != 0 {
				t.Fatalf("valid request refused: %v", ps.Err())
			}
		})
	}
	// An admin may issue for any dealer's user and unit.
	c.Actor = scope.Actor{Role: scope.RoleAdmin}
	r := good()
	r.UserID, r.Devices = "u-eve", nil
	if ps := c.Validate(r); len(ps) != 0 {
		t.Fatalf("admin refused: %v", ps.Err())
	}
}

// TestEveryReason breaks one rule at a time and expects exactly that reason, on that field, with a
// message that names what is wrong.
func TestEveryReason(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(*Check, *CreateRequest)
		reason  Reason
		field   string
		mention string
	}{
		{"customer may not issue", func(c *Check, r *CreateRequest) { c.Actor.Role = scope.RoleCustomer }, ReasonNotAllowed, "user", "dealer"},
		{"no user", func(c *Check, r *CreateRequest) { r.UserID = " " }, ReasonNoUser, "user", "user account"},
		{"unknown user", func(c *Check, r *CreateRequest) { r.UserID = "u-ghost"; r.Devices = nil }, ReasonUserUnknown, "user", "u-ghost"},
		{"user out of scope", func(c *Check, r *CreateRequest) { r.UserID = "u-eve"; r.Devices = nil }, ReasonUserOutOfScope, "user", "eve@other.example"},
		{"access not decided", func(c *Check, r *CreateRequest) { r.Access = "" }, ReasonNoAccess, "access", "read-only or control-enabled"},
		{"access unknown", func(c *Check, r *CreateRequest) { r.Access = "admin" }, ReasonBadAccess, "access", `"admin"`},
		{"control without reason", func(c *Check, r *CreateRequest) { r.Access = AccessControl; r.Reason = "  " }, ReasonControlNoReason, "reason", "reason"},
		{"device unknown", func(c *Check, r *CreateRequest) { r.Devices = []string{"XP-00211", "XP-12345"} }, ReasonDeviceUnknown, "devices", "XP-12345"},
		{"device out of scope", func(c *Check, r *CreateRequest) { r.Devices = []string{"XP-09999"} }, ReasonDeviceOutOfScope, "devices", "XP-09999"},
		{"device not owned", func(c *Check, r *CreateRequest) { r.Devices = []string{"XP-00211", "XP-00300"} }, ReasonDeviceNotOwned, "devices", "bob@mill.example"},
		{"device twice", func(c *Check, r *CreateRequest) { r.Devices = []string{"XP-00211", "XP-00211"} }, ReasonDeviceDuplicate, "devices", "twice"},
		{"no expiry", func(c *Check, r *CreateRequest) { r.ExpiresAt = time.Time{} }, ReasonNoExpiry, "expires", "expires"},
		{"expiry in the past", func(c *Check, r *CreateRequest) { r.ExpiresAt = now.Add(-time.Hour) }, ReasonExpiryPast, "expires", "2026-11-25"},
		{"expiry now", func(c *Check, r *CreateRequest) { r.ExpiresAt = now }, ReasonExpiryPast, "expires", "passed"},
		{"expiry beyond max", func(c *Check, r *CreateRequest) { r.ExpiresAt = now.Add(DefaultPolicy.MaxLifetime + time.Second) }, ReasonExpiryTooFar, "expires", "365 days"},
		{"stricter policy", func(c *Check, r *CreateRequest) {
			c.Policy = Policy{DefaultLifetime: 7 * 24 * time.Hour, MaxLifetime: 30 * 24 * time.Hour}
		}, ReasonExpiryTooFar, "expires", "30 days"},
		{"empty name", func(c *Check, r *CreateRequest) { r.Name = " \t" }, ReasonNoName, "name", "name"},
		{"long name", func(c *Check, r *CreateRequest) { r.Name = strings.Repeat("é", 81) }, ReasonNameTooLong, "name", "80"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := fixture(), good()
			tc.mod(&c, &r)
			ps := c.Validate(r)
			if len(ps) != 1 {
				t.Fatalf("want exactly one problem (%s), got %d: %v", tc.reason, len(ps), ps.Err())
			}
			p := ps[0]
			if p.Reason != tc.reason || p.Field != tc.field {
				t.Fatalf("got reason %s field %s, want %s %s", p.Reason, p.Field, tc.reason, tc.field)
			}
			if !strings.Contains(p.Message, tc.mention) {
				t.Fatalf("message %q does not mention %q", p.Message, tc.mention)
			}
			if !ps.Has(tc.reason) || len(ps.Field(tc.field)) != 1 {
				t.Fatal("Has/Field disagree with the problem list")
			}
			var inv *InvalidError
			if err := ps.Err(); !errors.As(err, &inv) || !strings.Contains(err.Error(), p.Message) {
				t.Fatalf("Err() = %v, want an InvalidError carrying the message", err)
			}
		})
	}
}

// TestDeviceProblemsNameTheDevice: with several bad devices the dealer learns about each.
func TestDeviceProblemsNameTheDevice(t *testing.T) {
	c, r := fixture(), good()
	r.Devices = []string{"XP-09999", "XP-00300", "NOPE-1", "XP-00211"}
	ps := c.Validate(r).Field("devices")
	want := map[string]Reason{"XP-09999": ReasonDeviceOutOfScope, "XP-00300": ReasonDeviceNotOwned, "NOPE-1": ReasonDeviceUnknown}
	if len(ps) != len(want) {
		t.Fatalf("got %d device problems, want %d: %v", len(ps), len(want), ps.Err())
	}
	for _, p := range ps {
		if want[p.DeviceID] != p.Reason {
			t.Errorf("%s: got %s, want %s", p.DeviceID, p.Reason, want[p.DeviceID])
		}
	}
	// Without a fleet (nothing synced) every device is unknown, never silently accepted.
	c.Fleet = nil
	r.Devices = []string{"XP-00211"}
	if ps := c.Validate(r); !ps.Has(ReasonDeviceUnknown) {
		t.Fatalf("device accepted with no fleet: %v", ps)
	}
}

func TestPolicyDates(t *testing.T) {
	exp := DefaultPolicy.DefaultExpiry(now)
	if got := exp.Format(time.DateTime); got != "2027-02-23 23:59:59" {
		t.Fatalf("default expiry %s, want the end of 2027-02-23 (90 days on)", got)
	}
	if d := DefaultPolicy.MaxExpiry(now).Sub(now); d != 365*24*time.Hour {
		t.Fatalf("max lifetime %v", d)
	}
	// The proposed default is always valid, even late in the day.
	late := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	c, r := fixture(), good()
	c.Now, r.ExpiresAt = late, DefaultPolicy.DefaultExpiry(late)
	if ps := c.Validate(r); len(ps) != 0 {
		t.Fatal(ps.Err())
	}
}

func TestPreview(t *testing.T) {
	c := fixture()
	ann, _ := c.UserByID("u-ann")
	exp := DefaultPolicy.DefaultExpiry(now)
	cases := []struct {
		req  CreateRequest
		want string
	}{
		{CreateRequest{Access: AccessReadOnly, Devices: []string{"XP-00211", "UN-00012", "UN-00450"}, ExpiresAt: exp},
			"read-only, 3 devices: X Pro XP-00211, D180 UN-00012, V5 UN-00450; expires 2027-02-23"},
		{CreateRequest{Access: AccessControl, Devices: []string{"AU-00007"}, ExpiresAt: exp},
			"control-enabled, 1 device: AutoGen Ultra AU-00007; expires 2027-02-23"},
		{CreateRequest{Access: AccessReadOnly, ExpiresAt: exp},
			"read-only, every device of ann@farm.example; expires 2027-02-23"},
		{CreateRequest{Access: AccessReadOnly, Devices: []string{"XP-00211", "UN-00012", "UN-00450", "AU-00007", "GONE-1"}, ExpiresAt: exp},
			"read-only, 5 devices: X Pro XP-00211, D180 UN-00012, V5 UN-00450, and 2 more; expires 2027-02-23"},
		{CreateRequest{Devices: []string{"GONE-1"}},
			"access not decided, 1 device: GONE-1"},
	}
	for _, tc := range cases {
		if got := Preview(tc.req, c.Fleet, &ann); got != tc.want {
			t.Errorf("Preview:\n got %q\nwant %q", got, tc.want)
		}
	}
	if got := Preview(CreateRequest{Access: AccessReadOnly}, nil, nil); got != "read-only, every device of the account" {
		t.Errorf("Preview without user: %q", got)
	}
}

func TestStateAt(t *testing.T) {
	i := Info{ExpiresAt: now.Add(time.Hour)}
	if i.StateAt(now) != StateActive || !i.CanRevoke(now) {
		t.Fatal("fresh token not active")
	}
	if i.StateAt(now.Add(time.Hour)) != StateExpired || i.CanRevoke(now.Add(2*time.Hour)) {
		t.Fatal("token past its expiry not expired")
	}
	i.Revoked = true
	if i.StateAt(now) != StateRevoked || i.StateAt(now.Add(2*time.Hour)) != StateRevoked || i.CanRevoke(now) {
		t.Fatal("revoked token not revoked")
	}
}

// TestDeviceProblemIsValidatesRule: the picker's question and Validate's answer are one rule.
func TestDeviceProblemIsValidatesRule(t *testing.T) {
	c := fixture()
	ann, _ := c.UserByID("u-ann")
	for _, p := range c.Fleet.Devices() {
		d := *p
		got, bad := c.DeviceProblem(&ann, d)
		r := good()
		r.Devices = []string{d.ID}
		ps := c.Validate(r).Field("devices")
		if bad != (len(ps) == 1) || (bad && (ps[0].Reason != got.Reason || ps[0].Message != got.Message)) {
			t.Errorf("%s: DeviceProblem %v %+v, Validate %v", d.ID, bad, got, ps)
		}
	}
	// With no user chosen yet, only the scope rule applies.
	if _, bad := c.DeviceProblem(nil, mustGet(t, c, "XP-00300")); bad {
		t.Error("a unit of another customer refused before any user was chosen")
	}
}

func mustGet(t *testing.T, c Check, id string) fleet.Device {
	d, ok := c.Fleet.Get(id)
	if !ok {
		t.Fatal(id)
	}
	return d
}

func TestCheckRevoke(t *testing.T) {
	active := Info{ID: "t1", Name: "dash", ExpiresAt: now.Add(time.Hour)}
	if ps := CheckRevoke(active, true, now); len(ps) != 0 {
		t.Fatalf("an active token refused: %v", ps.Err())
	}
	if ps := CheckRevoke(active, false, now); !ps.Has(ReasonTokenUnknown) {
		t.Fatalf("an unknown token accepted: %v", ps)
	}
	revoked := active
	revoked.Revoked = true
	if ps := CheckRevoke(revoked, true, now); !ps.Has(ReasonTokenInactive) || !strings.Contains(ps[0].Message, "revoked") {
		t.Fatalf("a revoked token: %v", ps)
	}
	if ps := CheckRevoke(active, true, now.Add(2*time.Hour)); !ps.Has(ReasonTokenInactive) || !strings.Contains(ps[0].Message, "expired") {
		t.Fatalf("an expired token: %v", ps)
	}
}
