package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fleetdesk/fleetdesk/sim"
)

func init() {
	register("serve", "run the simulated fleet backend on loopback", runServe)
}

// readyLine is the one JSON line `fleetsim serve` prints on stdout once it accepts requests.
type readyLine struct {
	URL      string        `json:"url"`
	Accounts []sim.Account `json:"accounts"`
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	devices := fs.Int("devices", 200, "simulated units to seed")
	dealers := fs.Int("dealers", 3, "dealers to seed")
	seed := fs.Int64("seed", 1, "seed of the simulated world and its accounts")
	speed := fs.Float64("speed", 1, "simulated seconds per real second")
	db := fs.String("db", "", "SQLite file to keep the state in (default: in memory)")
	fail := fs.Float64("ota-failure-share", 0.05, "share (0..1) of firmware installs that fail")
	quiet := fs.Bool("quiet", false, "log only errors")
	offset := fs.Duration("clock-offset", 0, "run the backend's clock this far from this machine's (e.g. -3h: three hours behind, 2h: ahead), like a backend whose clock is not the PC's")
	ignoreState := fs.Bool("ignore-cursor-state", false, "a fault: answer any cursor as a delta of the current state, never 410 (a backend that does not tell its states apart); the state header is still sent")
	changeRate := fs.Float64("change-rate", 0, "units report this many times a second in all, instead of on their transports' heartbeats (0: the heartbeats)")
	noEvents := fs.Bool("no-events", false, "serve no event stream (GET /v1/events answers 404), as a backend without live updates")
	heartbeat := fs.Duration("event-heartbeat", sim.DefaultEventHeartbeat, "fixed interval of the event stream's heartbeat comment")
	maxStreams := fs.Int("max-event-streams", 64, "event streams open at once; one more is refused with 429")
	manual := fs.Bool("manual-clock", false, "for tests: simulated time stands still and moves only on POST "+sim.PathSimAdvance+" by the admin account (-speed is ignored)")
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "fleetsim serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := sim.CheckLoopback(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim serve:", err)
		return 2
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	cfg := sim.Config{
		Devices: *devices, Dealers: *dealers, Seed: *seed, Speed: *speed, DBPath: *db, OTAFailureShare: *fail,
		ManualClock: *manual, ClockOffset: *offset, IgnoreCursorState: *ignoreState, Logf: logger.Printf,
		ChangeRate: *changeRate, NoEvents: *noEvents, EventHeartbeat: *heartbeat, MaxEventStreams: *maxStreams,
	}
	if *quiet {
		cfg.Logf = nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := sim.StartOn(ctx, *addr, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim serve:", err)
		return 1
	}
	line, _ := json.Marshal(readyLine{URL: srv.URL, Accounts: srv.Accounts})
	fmt.Println(string(line))
	nd, ndl := srv.Backend().Size()
	logger.Printf("fleetsim: serving %d devices of %d dealers on %s (speed %gx)", nd, ndl, srv.URL, *speed)
	if *offset != 0 {
		logger.Printf("fleetsim: the backend's clock runs %s from this machine's: it reads %s", *offset, srv.Now().Format(time.RFC3339))
	}
	<-ctx.Done()
	logger.Printf("fleetsim: stopping")
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim serve:", err)
		return 1
	}
	return 0
}
