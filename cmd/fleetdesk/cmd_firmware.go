package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

func init() {
	register("firmware", "list firmware releases; --pull downloads them into the offline cache for on-site flashing", runFirmware)
}

func runFirmware(args []string) int {
	fs := flag.NewFlagSet("fleetdesk firmware", flag.ContinueOnError)
	df := addDataFlags(fs)
	consoleFlag := fs.String("console", "", "only this console's releases: xpro, unified or ultra")
	pull := fs.Bool("pull", false, "download the listed releases' images into the offline cache (needs the backend)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var console fleet.Console
	if *consoleFlag != "" {
		c, err := fleet.ParseConsole(*consoleFlag)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk firmware: --console:", err)
			return 2
		}
		console = c
	}
	r, err := df.resolve(*pull)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk firmware:", err)
		return 2
	}
	ctx, cancel := signalContext()
	defer cancel()

	// Listing works offline from the cache; online it refreshes the list first.
	var s *syncer.Replica
	if r.backend != "" {
		s, err = syncer.Open(ctx, syncer.Options{BackendURL: r.backend, Profile: r.profile, CacheDir: df.cacheDir, Manual: true})
		if err != nil && *pull {
			fmt.Fprintln(os.Stderr, "fleetdesk firmware:", describeErr(err))
			return 1
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk firmware: listing the offline cache:", describeErr(err))
		}
	}
	if s == nil {
		if s, err = openExistingCache(ctx, r.profile, df.cacheDir); err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk firmware:", err)
			return 1
		}
	}
	if s == nil {
		fmt.Fprintf(os.Stderr, "fleetdesk firmware: profile %q has no offline cache yet: run `fleetdesk firmware --pull` while online.\n", r.profile)
		return 0
	}
	defer s.Close()
	if n := s.Status().Notice; n != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk firmware:", n)
	}
	rels, err := s.Releases(ctx, console)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk firmware:", describeErr(err))
		return 1
	}
	if *pull && !s.Status().Reachable {
		fmt.Fprintf(os.Stderr, "fleetdesk firmware: cannot pull: %s\n", s.Status().UnreachableWhy)
		return 1
	}
	sort.SliceStable(rels, func(i, j int) bool {
		a, b := rels[i], rels[j]
		if a.Console != b.Console {
			return a.Console < b.Console
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		if a.Transport != b.Transport {
			return a.Transport < b.Transport
		}
		return a.CreatedAt.After(b.CreatedAt)
	})

	failed := 0
	if *pull {
		failed = pullImages(ctx, s, rels)
	}
	if len(rels) == 0 {
		fmt.Fprintf(os.Stderr, "fleetdesk firmware: no releases known for profile %q: run `fleetdesk firmware --pull` while online.\n", r.profile)
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONSOLE\tVARIANT\tVERSION\tSIZE\tOFFLINE")
	for _, rel := range rels {
		offline := "-"
		if _, ok := s.CachedReleaseImage(ctx, rel.ID); ok {
			offline = "cached"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f KB\t%s\n", rel.ID, rel.Console, rel.Variant(), rel.Version, float64(rel.Size)/1000, offline)
	}
	tw.Flush()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "fleetdesk firmware: %d of %d images could not be downloaded\n", failed, len(rels))
		return 1
	}
	return 0
}

// pullImages downloads every release's image into the cache (a copy already there and intact is
// kept), reporting each on stderr; it returns how many failed.
func pullImages(ctx context.Context, s *syncer.Replica, rels []rollout.Release) int {
	failed := 0
	for i, rel := range rels {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk firmware: interrupted")
			return failed + len(rels) - i
		}
		old, _ := s.CachedReleaseImage(ctx, rel.ID)
		fmt.Fprintf(os.Stderr, "[%d/%d] %s (%s)… ", i+1, len(rels), rel.ID, syncer.ReleaseName(rel))
		img, err := s.ReleaseImage(ctx, rel.ID)
		switch {
		case err != nil:
			failed++
			fmt.Fprintln(os.Stderr, "FAILED:", describeErr(err))
		case bytes.Equal(old, img):
			fmt.Fprintln(os.Stderr, "already cached")
		default:
			fmt.Fprintf(os.Stderr, "%.1f KB\n", float64(len(img))/1000)
		}
	}
	return failed
}
