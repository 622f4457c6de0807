package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// tokenAcceptingBackend stands in front of the simulated backend and accepts every token creation
// and revocation it is sent, as a backend with a bug might: whatever the session lets through
// would be a customer's access. Reads pass through to the simulated backend.
func tokenAcceptingBackend(t *testing.T, target string) (string, *atomic.Int32) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == api.PathTokens:
			writes.Add(1)
			var req token.CreateRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(token.Created{Token: token.Info{ID: "tok-accepted", Name: req.Name, UserID: req.UserID,
				Access: req.Access, Devices: req.Devices, ExpiresAt: req.ExpiresAt}, Secret: "s3cret"})
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, api.PathTokens+"/"):
			writes.Add(1)
			w.WriteHeader(http.StatusNoContent)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &writes
}

// TestTokenRulesHoldWhoeverAsks calls the session directly, no screen in the loop, over a backend
// that would accept any token: a request the token rules refuse (another dealer's user or unit,
// another customer's unit, access not decided, control without a reason, an expiry past the
// policy), and a revocation of a token that is not the dealer's or is no longer active, are
// refused with their reasons before the backend hears of them (issue 21 item 1). The allowed
// twins reach it.
func TestTokenRulesHoldWhoeverAsks(t *testing.T) {
	srv, dealers := startTwoDealers(t)
	proxied, writes := tokenAcceptingBackend(t, srv.URL)
	s := openSynced(t, proxied, dealers[0])
	direct := openSynced(t, srv.URL, dealers[0]) // the same dealer, straight to the backend
	other := openSynced(t, srv.URL, dealers[1])
	ctx := context.Background()

	users, err := s.Users(ctx)
	if err != nil || len(users) < 2 {
		t.Fatalf("users %v %v", users, err)
	}
	foreignUsers, err := other.Users(ctx)
	if err != nil || len(foreignUsers) == 0 {
		t.Fatalf("the other dealer's users %v %v", foreignUsers, err)
	}
	// A user with a unit, and a unit of another customer.
	var user token.User
	var own, notOwned string
	for _, u := range users {
		own, notOwned = "", ""
		for _, d := range s.Fleet().Devices() {
			switch {
			case strings.EqualFold(d.CustomerEmail, u.Email) && own == "":
				own = d.ID
			case d.CustomerEmail != "" && !strings.EqualFold(d.CustomerEmail, u.Email) && notOwned == "":
				notOwned = d.ID
			}
		}
		if own != "" && notOwned != "" {
			user = u
			break
		}
	}
	if user.ID == "" {
		t.Fatal("no user of the seeded fleet owns a unit")
	}
	foreignUnit := other.Fleet().Devices()[0].ID
	now := s.Now()
	good := func() token.CreateRequest {
		return token.CreateRequest{UserID: user.ID, Name: "farm dashboard", Access: token.AccessReadOnly,
			Devices: []string{own}, ExpiresAt: token.DefaultPolicy.DefaultExpiry(now)}
	}
	cases := []struct {
		name   string
		mod    func(*token.CreateRequest)
		reason token.Reason
	}{
		{"another dealer's user", func(r *token.CreateRequest) { r.UserID, r.Devices = foreignUsers[0].ID, nil }, token.ReasonUserUnknown},
		{"another dealer's unit", func(r *token.CreateRequest) { r.Devices = []string{own, foreignUnit} }, token.ReasonDeviceUnknown},
		{"another customer's unit", func(r *token.CreateRequest) { r.Devices = []string{notOwned} }, token.ReasonDeviceNotOwned},
		{"access not decided", func(r *token.CreateRequest) { r.Access = "" }, token.ReasonNoAccess},
		{"control without a reason", func(r *token.CreateRequest) { r.Access = token.AccessControl }, token.ReasonControlNoReason},
		{"an expiry past the policy", func(r *token.CreateRequest) { r.ExpiresAt = now.Add(2 * token.DefaultPolicy.MaxLifetime) }, token.ReasonExpiryTooFar},
		{"no name", func(r *token.CreateRequest) { r.Name = " " }, token.ReasonNoName},
	}
	for _, c := range cases {
		req := good()
		c.mod(&req)
		_, err := s.CreateToken(ctx, req)
		var inv *token.InvalidError
		if !errors.Is(err, ErrRefused) || !errors.As(err, &inv) || !inv.Problems.Has(c.reason) {
			t.Errorf("%s: got %v, want a refusal for %s", c.name, err, c.reason)
		}
	}

	// Revocations: an unknown token, a revoked one and an expired one are refused.
	revoked, err := direct.CreateToken(ctx, good())
	if err != nil {
		t.Fatal(err)
	}
	if err := direct.RevokeToken(ctx, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"an unknown token": "tok-nope", "a revoked token": revoked.Token.ID} {
		err := s.RevokeToken(ctx, id)
		var inv *token.InvalidError
		if !errors.Is(err, ErrRefused) || !errors.As(err, &inv) {
			t.Errorf("%s: got %v, want a refusal", name, err)
		}
	}
	if n := writes.Load(); n != 0 {
		t.Fatalf("%d refused token writes reached the backend", n)
	}

	// The allowed twins go through: a valid request, and revoking an active token.
	if _, err := s.CreateToken(ctx, good()); err != nil {
		t.Fatalf("a valid request refused: %v", err)
	}
	active, err := direct.CreateToken(ctx, good())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, active.Token.ID); err != nil {
		t.Fatalf("revoking an active token: %v", err)
	}
	if n := writes.Load(); n != 2 {
		t.Fatalf("%d token writes reached the backend, want the 2 allowed ones", n)
	}
}
