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
	slotSize := fs.Int("slot-size", 1<<20, "image slot size in bytes: a longer upload is refused at offset 0")
	stock := fs.Bool("stock", false, "answer as a stock MCUboot built with Zephyr's defaults: all of --no-image-state --no-echo --no-params --no-identity --primary-upload --silent-app --v1-errors --line-max 128")
	noState := fs.Bool("no-image-state", false, "image list entries carry only slot, hash and version, and only validated slots are listed (CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE=n)")
	noEcho := fs.Bool("no-echo", false, "answer echo (group 0 id 0) 'not supported' (CONFIG_BOOT_MGMT_ECHO=n)")
	primary := fs.Bool("primary-upload", false, "upload as boot_serial.c does: into slot 0 (erased by the first chunk), sha and upgrade ignored, rc 3 for an image over --slot-size")
	silentApp := fs.Bool("silent-app", false, "a reset boots the valid image in slot 0, whose application never answers SMP on this port")
	lineMax := fs.Int("line-max", 0, "Zephyr's receive line buffer in bytes (128 in MCUboot): a longer line loses its packet; also Zephyr's strict decoding (0: lenient)")
	v1Errors := fs.Bool("v1-errors", false, "errors always as {\"rc\": n}, also for SMP v2 requests, as boot_serial.c answers")
	rejectUpdate := fs.Bool("reject-update", false, "fault: a reset does not boot an uploaded image; the previous firmware keeps running")
	slotInfo := fs.Bool("slot-info", false, "answer MCUboot's slot info (group 1 id 6) with the slot size (CONFIG_BOOT_SERIAL_IMG_GRP_SLOT_INFO)")
	flipBitAt := fs.Int("flip-bit-at", 0, "a bad flash cell: store the byte at this offset of an upload with a bit flipped")
	waitForDFU := fs.Duration("wait-for-dfu", 0, "after each reset the bootloader listens this long before it boots the image, and a request in that window keeps it in serial recovery (CONFIG_BOOT_SERIAL_WAIT_FOR_DFU with its _TIMEOUT, 500ms when on; off by default in Zephyr, so not part of --stock)")
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
	cfg := unit.Config{Model: m, Transport: t, Version: *version, Serial: *serial, Baud: *baud,
		Buf: *buf, BufCount: *bufCount, NoIdentity: *noIdentity, NoParams: *noParams,
		DropEvery: *dropEvery, StallAt: *stallAt, StallFor: *stallFor, SlotSize: *slotSize,
		NoImageState: *noState, NoEcho: *noEcho, PrimaryUpload: *primary, SilentApp: *silentApp,
		LineMax: *lineMax, V1Errors: *v1Errors, SlotInfo: *slotInfo, RejectUpdate: *rejectUpdate, FlipBitAt: *flipBitAt,
		WaitForDFU: *waitForDFU}
	if *stock {
		cfg = unit.Stock(cfg)
	}
	u, err := unit.New(cfg)
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
	// SIGUSR1 is the technician power-cycling the unit with its recovery button held.
	recover := make(chan os.Signal, 1)
	if len(recoverySignals) > 0 { // with none, Notify would relay every signal
		signal.Notify(recover, recoverySignals...)
		defer signal.Stop(recover)
	}
	fmt.Println(p.Path)
	kind := "a FleetDesk unit"
	if *stock {
		kind = "a stock MCUboot"
	}
	if *waitForDFU > 0 {
		kind += fmt.Sprintf(" waiting %s for DFU after a restart", *waitForDFU)
	}
	fmt.Fprintf(os.Stderr, "fleetsim unit: %s (%s) on %s at %d baud, running %s; Ctrl-C to stop, SIGUSR1 to re-enter serial recovery\n",
		u.Variant(), kind, p.Path, *baud, *version)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-p.Done():
			done = true
		case <-recover:
			u.EnterRecovery()
			fmt.Fprintln(os.Stderr, "fleetsim unit: restarted into serial recovery")
		}
	}
	p.Close()
	st := u.Stats()
	kept := ""
	if st.KeptInRecovery > 0 {
		kept = fmt.Sprintf("; %d restarts kept in serial recovery by a request in the wait for DFU", st.KeptInRecovery)
	}
	fmt.Fprintf(os.Stderr, "fleetsim unit: %d requests, %d upload chunks (%d bytes), %d resets, %d dropped, %d oversize, %d lines cut%s%s; slot 0 %s\n",
		st.Requests, st.UploadRequests, st.UploadBytes, st.Resets, st.Dropped, st.Oversize, st.CutLines, kept,
		map[bool]string{true: "; the application runs (silent on SMP)"}[st.AppRunning], slotText(u.Slots()[0]))
	return 0
}

// slotText is how the closing statistics name what a slot holds.
func slotText(s *unit.Slot) string {
	switch {
	case s == nil:
		return "is empty (erased)"
	case !s.Bootable:
		return "holds no valid image"
	}
	return "runs " + s.Version
}
