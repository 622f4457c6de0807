// Package testsim starts the simulated backend (package sim) for tests of any package and picks
// the seeded accounts they sign in with, so each package does not carry its own copy of the same
// start-and-find-a-dealer steps. It imports nothing of sync/ beyond what sim does, so even the
// internal tests of sync/auth can use it.
package testsim

import (
	"context"
	"testing"

	"github.com/fleetdesk/fleetdesk/sim"
)

// Start starts a simulated backend on loopback and returns it with its first dealer account. The
// backend stops at the test's end, or earlier when ctx ends.
func Start(ctx context.Context, t testing.TB, cfg sim.Config) (*sim.Server, sim.Account) {
	t.Helper()
	srv, err := sim.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("sim.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, Dealer(t, srv)
}

// Dealer is the first dealer account the backend seeded.
func Dealer(t testing.TB, srv *sim.Server) sim.Account {
	t.Helper()
	if ds := Dealers(srv); len(ds) > 0 {
		return ds[0]
	}
	t.Fatal("the simulated backend seeded no dealer account")
	return sim.Account{}
}

// Dealers are the dealer accounts the backend seeded, one a dealer, in seeding order.
func Dealers(srv *sim.Server) []sim.Account {
	var out []sim.Account
	for _, a := range srv.Accounts {
		if a.Role == "dealer" {
			out = append(out, a)
		}
	}
	return out
}
