package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

func init() {
	register("logout", "sign out of a backend profile and delete its saved sign-in from the keyring", runLogout)
}

func runLogout(args []string) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	r, err := df.resolve(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk logout:", err)
		return 2
	}
	store, notice := auth.DefaultStore()
	if notice != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk logout:", notice)
	}
	if r.backend == "" {
		// Without a backend there is no session to end remotely; the local secret still goes.
		if err := store.Delete(auth.Account(r.profile)); err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk logout:", err)
			return 1
		}
		fmt.Printf("Signed out of profile %q.\n", r.profile)
		return 0
	}
	client, err := api.New(r.backend, nil, api.Options{Timeout: 10 * time.Second, MaxAttempts: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk logout:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := auth.New(client, store, r.profile).SignOut(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk logout:", err)
		return 1
	}
	fmt.Printf("Signed out of profile %q (%s).\n", r.profile, r.backend)
	return 0
}
