package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

func init() {
	register("sync", "bring the offline cache up to date (progress on stderr, summary on stdout)", runSync)
}

func runSync(args []string) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	df := addDataFlags(fs)
	email := fs.String("email", "", "sign in for this run only (password from a prompt or stdin) instead of the saved sign-in")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	r, err := df.resolve(true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk sync:", err)
		return 2
	}
	opts := syncer.Options{BackendURL: r.backend, Profile: r.profile, CacheDir: df.cacheDir, Manual: true}
	if *email != "" {
		pw, err := readPassword("Password for " + *email + ": ")
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk sync:", err)
			return 1
		}
		opts.Email, opts.Password = *email, pw
		opts.Store = &auth.Memory{} // a one-run sign-in is not saved
	}
	ctx, cancel := signalContext()
	defer cancel()
	s, err := syncer.Open(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk sync:", describeErr(err))
		return 1
	}
	defer s.Close()
	if n := s.Status().Notice; n != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk sync:", n)
	}
	tty := isTerminal(os.Stderr)
	lastPct := -1
	progress := func(done, total int) {
		if *quiet {
			return
		}
		if tty {
			if total > 0 {
				fmt.Fprintf(os.Stderr, "\rsyncing: %d / %d units", done, total)
			} else {
				fmt.Fprintf(os.Stderr, "\rsyncing: %d units", done)
			}
			return
		}
		// Piped: a line per tenth, not per page, so logs stay short.
		pct := 0
		if total > 0 {
			pct = done * 10 / total
		}
		if pct != lastPct {
			lastPct = pct
			fmt.Fprintf(os.Stderr, "syncing: %d / %d units\n", done, total)
		}
	}
	sum, err := s.Sync(ctx, progress)
	if tty && !*quiet {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		if errors.Is(err, auth.ErrNotSignedIn) {
			fmt.Fprintln(os.Stderr, "fleetdesk sync:", err)
		} else {
			fmt.Fprintln(os.Stderr, "fleetdesk sync: failed:", describeErr(err))
		}
		fmt.Fprintf(os.Stderr, "fleetdesk sync: the cache keeps %d units (%s)\n", s.Fleet().Len(), syncer.DataAge(s.Now(), s.Status().LastSync))
		return 1
	}
	if sum.Resync != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk sync:", sum.Resync)
	}
	if n := fleet.ClockNote(s.Status().ClockOffset); n != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk sync:", n)
	}
	kind := "delta"
	if sum.Full {
		kind = "full"
	}
	fmt.Printf("%s sync of profile %q: %d units received, %d removed, %d pages in %s; %d units in the cache (backend reports %d).\n",
		kind, r.profile, sum.Changed, sum.Removed, sum.Pages, sum.Duration.Round(time.Millisecond), sum.Cached, sum.Total)
	return 0
}
