package token

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/scope"
)

// FuzzValidate feeds arbitrary requests (as a tampered cache or a pasted device list could make
// them) to the rules: they must never panic, must explain every refusal, and must accept only
// what every rule allows.
func FuzzValidate(f *testing.F) {
	f.Add("u-ann", "dashboard", "read_only", "XP-00211,UN-00012", int64(24*90), "")
	f.Add("u-eve", "", "control", "XP-09999,,XP-09999", int64(-1), " ")
	f.Add("", "x", "admin", "NOPE", int64(24*400), "why")
	f.Fuzz(func(t *testing.T, userID, name, access, devices string, hours int64, reason string) {
		c := fixture()
		req := CreateRequest{UserID: userID, Name: name, Access: Access(access), Reason: reason}
		if devices != "" {
			req.Devices = strings.Split(devices, ",")
		}
		if hours != 0 {
			req.ExpiresAt = now.Add(time.Duration(hours%(1<<20)) * time.Hour)
		}
		ps := c.Validate(req)
		for _, p := range ps {
			if p.Message == "" || p.Field == "" || p.Reason == "" {
				t.Fatalf("unexplained problem %+v", p)
			}
		}
		if (ps.Err() == nil) != (len(ps) == 0) {
			t.Fatal("Err disagrees with the problem list")
		}
		if pv := Preview(req, c.Fleet, nil); pv == "" {
			t.Fatal("empty preview")
		}
		if len(ps) > 0 {
			return
		}
		// Accepted: check every rule independently.
		u, ok := c.UserByID(req.UserID)
		if !ok || !scope.CanIssueToken(c.Actor, u.Dealer, nil).Allowed {
			t.Fatalf("accepted user %q", req.UserID)
		}
		if req.Access != AccessReadOnly && (req.Access != AccessControl || strings.TrimSpace(req.Reason) == "") {
			t.Fatalf("accepted access %q reason %q", req.Access, req.Reason)
		}
		for _, id := range req.Devices {
			d, ok := c.Fleet.Get(id)
			if !ok || d.Dealer != c.Actor.Dealer || !Owns(u, d) {
				t.Fatalf("accepted device %q", id)
			}
		}
		if !req.ExpiresAt.After(now) || req.ExpiresAt.After(now.Add(DefaultPolicy.MaxLifetime)) {
			t.Fatalf("accepted expiry %s", req.ExpiresAt)
		}
		if strings.TrimSpace(req.Name) == "" {
			t.Fatal("accepted an empty name")
		}
	})
}
