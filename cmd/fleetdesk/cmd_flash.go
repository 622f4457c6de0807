package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sync/cache"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

func init() {
	register("flash", "flash or recover a unit over a serial cable (MCUboot serial recovery)", runFlash)
}

func runFlash(args []string) int {
	fs := flag.NewFlagSet("fleetdesk flash", flag.ContinueOnError)
	df := addDataFlags(fs)
	port := fs.String("port", "", "serial port the unit is on (see `fleetdesk ports`)")
	file := fs.String("image", "", "MCUboot firmware image to flash")
	release := fs.String("release", "", "release ID to flash from the offline cache, instead of --image (see `fleetdesk firmware`)")
	baud := fs.Int("baud", recovery.DefaultBaud, "line rate")
	model := fs.String("model", "", "unit model, required with --transport when the unit does not identify itself")
	transport := fs.String("transport", "", "unit transport (gsm or wifi), with --model")
	downgrade := fs.Bool("allow-downgrade", false, "flash an image older than the firmware the unit runs (recovery may need it); without it a downgrade is refused and nothing is sent")
	restartWait := fs.Duration("restart-wait", 20*time.Second, "how long the unit may take to answer after the reset; many applications never answer on this port, and that is no failure")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, flashUsage)
		fmt.Fprint(os.Stderr, flashOutcomes)
		fmt.Fprintln(os.Stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *port == "" || (*file == "") == (*release == "") {
		fmt.Fprintln(os.Stderr, flashUsage)
		return 2
	}
	r, err := df.resolve(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk flash:", err)
		return 2
	}
	var choice *fleet.Variant
	if *model != "" || *transport != "" {
		m, err := fleet.ParseModel(*model)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk flash: --model:", err)
			return 2
		}
		t, err := fleet.ParseTransport(*transport)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetdesk flash: --transport:", err)
			return 2
		}
		v := fleet.VariantFor(m, t)
		choice = &v
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The service log lives in the profile's cache, opened alone: a technician on site has no
	// network, and the next sync uploads what was recorded here.
	var log recovery.ServiceLog
	store, err := openExistingCache(ctx, r.profile, df.cacheDir)
	if store != nil && store.Status().Notice != "" {
		fmt.Fprintln(os.Stderr, "fleetdesk flash:", store.Status().Notice)
	}
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "fleetdesk flash:", err)
		return 1
	case store == nil && *release != "":
		fmt.Fprintf(os.Stderr, "fleetdesk flash: profile %q has no offline cache, so no release %s: run `fleetdesk firmware --pull` while online, or use --image\n", r.profile, *release)
		return 1
	case store == nil:
		fmt.Fprintf(os.Stderr, "fleetdesk flash: profile %q has no offline cache yet: this flash is not kept in the service log (run `fleetdesk sync` once while online)\n", r.profile)
	default:
		defer store.Close()
		log = store.RecoveryLog()
	}

	var data []byte
	name := filepath.Base(*file)
	if *release != "" {
		name = *release
		data, err = store.ReleaseImage(ctx, *release)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fleetdesk flash: %v (`fleetdesk firmware` lists the cached releases)\n", err)
			return 1
		}
	} else if data, err = os.ReadFile(*file); err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk flash:", err)
		return 1
	}

	s, err := recovery.Connect(ctx, recovery.Options{Port: *port, Baud: *baud, Log: log, RestartTimeout: *restartWait})
	if err != nil {
		explain(err, *port)
		return 1
	}
	defer s.Close()
	u := s.Unit()
	if u.HasIdentity {
		fmt.Fprintf(os.Stderr, "unit: %s, serial %s, running %s\n", u.Variant, u.Serial, orUnknown(u.ActiveVersion()))
	} else {
		fmt.Fprintf(os.Stderr, "unit: does not identify itself, running %s\n", orUnknown(u.ActiveVersion()))
	}
	plan, err := s.Preflight(name, data, choice)
	if err != nil {
		s.RecordRefusal(name, data, err)
		fmt.Fprintln(os.Stderr, "fleetdesk flash: refused, nothing was sent:", err)
		return 1
	}
	for _, l := range plan.Summary() {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
	if plan.Downgrade() {
		if !*downgrade {
			s.RecordRefusal(name, data, recovery.ErrDowngrade)
			fmt.Fprintf(os.Stderr, "fleetdesk flash: refused, nothing was sent: %s is older than the running %s; this is a downgrade: add --allow-downgrade to flash it anyway\n",
				plan.Image.Version, orUnknown(u.ActiveVersion()))
			return 1
		}
		fmt.Fprintln(os.Stderr, "  DOWNGRADE chosen with --allow-downgrade")
		plan.AllowDowngrade(true)
	}
	bar := progressBar{}
	res, err := s.Flash(ctx, plan, bar.update)
	bar.finish()
	code := flashExit(res.Outcome, err)
	if err != nil {
		if code == exitCancelled {
			fmt.Fprintln(os.Stderr, "fleetdesk flash:", err)
			return code
		}
		fmt.Fprint(os.Stderr, "fleetdesk flash: ", map[int]string{exitFailed: "FAILED", exitNotStarted: "NOT STARTED",
			exitOtherImage: "ANOTHER IMAGE RUNS"}[code], ": ")
		explain(err, *port)
		return code
	}
	fmt.Fprintln(os.Stderr, res.Report())
	speed := fmt.Sprintf("%d bytes in %.1f s, %.2f KB/s (%.0f%% of the line's stop-and-wait limit)",
		res.Bytes, res.UploadTime.Seconds(), res.Throughput/1000, res.LineEfficiency*100)
	if res.Outcome == recovery.OutcomeConfirmed {
		fmt.Printf("flashed %s: %s -> %s active; %s\n", name, orUnknown(res.VersionBefore), res.VersionAfter, speed)
	} else {
		fmt.Printf("flashed %s: %s written and verified, unit restarted, running version not confirmed (nothing answers on this port); %s\n",
			name, res.Image, speed)
	}
	return code
}

// The exit statuses of `fleetdesk flash`, one per outcome a technician acts on differently.
const (
	exitFlashed    = 0 // restarted: the new image confirmed running, or the application could not be asked
	exitFailed     = 1 // refused or failed: the unit does not hold the new image
	exitUsage      = 2
	exitNotStarted = 3 // written and verified, but not started
	exitOtherImage = 4 // written and verified, but after the restart the unit runs another image
	exitCancelled  = 130
)

// flashExit is the exit status for a flash's outcome and error.
func flashExit(o recovery.Outcome, err error) int {
	switch {
	case errors.Is(err, recovery.ErrCancelled):
		return exitCancelled
	case err == nil:
		return exitFlashed
	case o == recovery.OutcomeOtherImage:
		return exitOtherImage
	case o == recovery.OutcomeVerified:
		return exitNotStarted
	}
	return exitFailed
}

const flashUsage = "usage: fleetdesk flash --port P (--image FILE | --release ID) [--baud B] [--model M --transport T] [--allow-downgrade] [--restart-wait D] [--profile P --cache-dir D]"

// flashOutcomes is --help's account of what each ending means; docs/recovery.md says the same.
const flashOutcomes = `
Checks the image against the unit, uploads it, verifies the unit holds it (its image list shows
the image's SHA-256: reported bootable, or simply listed by a bootloader that reports no state
flags, since MCUboot lists only images that pass its validation), resets the unit and asks it
what it runs. The last line on stdout says how it ended:

  exit 0  "A -> B active": written, verified, the unit restarted and its application answered
          that B runs.
  exit 0  "written and verified, unit restarted, running version not confirmed": the bootloader
          restarted the unit and nothing answered afterwards. Many applications do not speak
          SMP on the recovery port, so this is no failure; check the unit itself.
  exit 1  FAILED or refused: the unit does not hold the new image (a stock MCUboot erases its
          firmware when the upload begins: then flash again before you disconnect it).
  exit 3  NOT STARTED: written and verified, but the unit did not start it (the reset was
          refused, or its bootloader answered again, also after a second reset and 8 s of
          silence). Power-cycle the unit.
  exit 4  ANOTHER IMAGE RUNS: written and verified, but after the restart the unit reports
          another image active: its bootloader did not boot the new one.
  exit 130  cancelled (Ctrl-C) at the next chunk; the unit is not reset.
  exit 2  usage.

FleetDesk refuses a downgrade unless --allow-downgrade: a stock MCUboot ignores the upload's
"upgrade" key, so this check is the only downgrade guard.
`

// openExistingCache opens the profile's cache alone, or returns nil when the profile has none yet:
// a cache made here would belong to no account, and what it recorded could be uploaded under
// whichever account signs in first.
func openExistingCache(ctx context.Context, profile, dir string) (*syncer.Replica, error) {
	path, err := cache.PathFor(dir, profile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	s, err := syncer.OpenCached(ctx, syncer.Options{Profile: profile, CacheDir: dir})
	if err != nil {
		return nil, fmt.Errorf("opening the offline cache: %w", err)
	}
	return s, nil
}

// explain prints a connect or flash error as what to check, then the technical detail.
func explain(err error, port string) {
	p := recovery.Explain(err, port)
	fmt.Fprintln(os.Stderr, p.Title)
	for _, c := range p.Checks {
		fmt.Fprintln(os.Stderr, "  - "+c)
	}
	if p.Detail != p.Title {
		fmt.Fprintln(os.Stderr, "  (detail: "+p.Detail+")")
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// progressBar draws one line on stderr, redrawn at most ten times a second.
type progressBar struct {
	last  time.Time
	stage recovery.Stage
	drawn bool
}

func (b *progressBar) update(p recovery.Progress) {
	if p.Stage != recovery.StageUpload {
		switch {
		case p.Stage != b.stage:
			b.finish()
			fmt.Fprintf(os.Stderr, "%s…%s\n", p.Stage, noteSuffix(p.Note))
		case p.Note != "":
			fmt.Fprintln(os.Stderr, "  "+p.Note) // e.g. the proof the verify step found
		}
		b.stage = p.Stage
		return
	}
	b.stage = p.Stage
	if p.Note != "" {
		b.finish()
		fmt.Fprintln(os.Stderr, "  "+p.Note)
	}
	if time.Since(b.last) < 100*time.Millisecond && p.Sent < p.Total {
		return
	}
	b.last = time.Now()
	const width = 30
	done := 0
	if p.Total > 0 {
		done = int(int64(width) * p.Sent / p.Total)
	}
	fmt.Fprintf(os.Stderr, "\r[%s%s] %7.1f/%.1f KB  %5.2f KB/s  ETA %s ",
		strings.Repeat("#", done), strings.Repeat(".", width-done),
		float64(p.Sent)/1000, float64(p.Total)/1000, p.Rate/1000, p.ETA.Round(time.Second))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(os.Stderr)
		b.drawn = false
	}
}

func noteSuffix(n string) string {
	if n == "" {
		return ""
	}
	return " " + n
}
