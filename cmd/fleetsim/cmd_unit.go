package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

func init() {
	register("unit", "simulate a unit in MCUboot serial recovery on a pseudo-terminal", runUnit)
}

func runUnit(args []string) int {
	fs := flag.NewFlagSet("fleetsim unit", flag.ContinueOnError)
	usePty := fs.Bool("pty", false, "serve on a new pseudo-terminal and print its path on stdout (required)")
	model := fs.String("model", "D180", "model (engine) code: XPRO D100 D180 V100 V5 ULTRA")
	transport := fs.String("transport", "gsm", "transport variant: gsm or wifi")
	version := fs.String("version", "2.3.0", "firmware version running in slot 0")
	serial := fs.String("serial", "", "serial number the identity group reports (default SIM-<model>-0001)")
	baud := fs.Int("baud", 115200, "emulated line rate, 8N1 (0: unpaced)")
	buf := fs.Int("buf", 1024, "receive buffer: largest decoded SMP packet accepted")
	bufCount := fs.Int("buf-count", 1, "buffer count announced in MCUmgr parameters")
	noIdentity := fs.Bool("no-identity", false, "answer the FleetDesk identity group 'not supported' (plain MCUboot)")
	noParams := fs.Bool("no-params", false, "answer MCUmgr parameters 'not supported'")
	dropEvery := fs.Int("drop-every", 0, "silently drop every K-th request packet")
	stallAt := fs.Int("stall-at", 0, "go silent once the upload reaches this offset")
	stallFor := fs.Duration("stall-for", 0, "how long the stall lasts (default 2s)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*usePty {
		fmt.Fprintln(os.Stderr, "fleetsim unit: --pty is required (the unit is served on a pseudo-terminal)")
		return 2
	}
	m, err := fleet.ParseModel(*model)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim unit:", err)
		return 2
	}
	t, err := fleet.ParseTransport(*transport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim unit:", err)
		return 2
	}
	u, err := unit.New(unit.Config{Model: m, Transport: t, Version: *version, Serial: *serial, Baud: *baud,
		Buf: *buf, BufCount: *bufCount, NoIdentity: *noIdentity, NoParams: *noParams,
		DropEvery: *dropEvery, StallAt: *stallAt, StallFor: *stallFor})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim unit:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := u.ServePTY(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim unit:", err)
		return 1
	}
	fmt.Println(p.Path)
	fmt.Fprintf(os.Stderr, "fleetsim unit: %s on %s at %d baud, running %s; Ctrl-C to stop\n", u.Variant(), p.Path, *baud, *version)
	select {
	case <-ctx.Done():
	case <-p.Done():
	}
	p.Close()
	st := u.Stats()
	sl := u.Slots()
	fmt.Fprintf(os.Stderr, "fleetsim unit: %d requests, %d upload chunks (%d bytes), %d resets, %d dropped, %d oversize; slot 0 runs %s\n",
		st.Requests, st.UploadRequests, st.UploadBytes, st.Resets, st.Dropped, st.Oversize, sl[0].Version)
	return 0
}
