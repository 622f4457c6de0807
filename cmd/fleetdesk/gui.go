package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
	"github.com/fleetdesk/fleetdesk/ui"
	"github.com/fleetdesk/fleetdesk/ui/desk"
	"github.com/fleetdesk/fleetdesk/ui/kit"
	"github.com/fleetdesk/fleetdesk/ui/prefs"
)

// The demo fleet: three dealers over 1,200 units, simulated time ten times faster than real, so
// a rollout or a reboot is visible within a minute or two.
var demoConfig = sim.Config{Devices: 1200, Dealers: 3, Seed: 7, Speed: 10, OTAFailureShare: 0.05}

// guiGCPercent is the window's garbage-collector target (Go's default is 100). Most of the
// window's heap is the fleet, loaded once and kept: at the default the heap may grow to twice
// that before a collection (on the Fleet Map at 100,000 units, 40 MB more RSS than at 50). The
// price, collecting more often, falls on syncs and renders, which allocate little since the
// index shares unchanged records between snapshots.
const guiGCPercent = 50

// lowerGCHeadroom applies guiGCPercent, unless GOGC was set, which wins as usual.
func lowerGCHeadroom() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(guiGCPercent)
	}
}

// runGUI opens the desktop window: on the remembered profile, resuming its sign-in from the OS
// keyring; on the embedded demo backend with --demo; and on a first run (no backend configured)
// on a welcome that offers both, unless --first-run demo (`make run`) goes straight to the demo.
func runGUI(args []string) int {
	fs := flag.NewFlagSet("fleetdesk", flag.ContinueOnError)
	df := addDataFlags(fs)
	demo := fs.Bool("demo", false, "use the embedded simulated backend")
	firstRun := fs.String("first-run", "ask", "what opens when no backend is configured: ask (sign in, or explore the demo) or demo")
	page := fs.String("page", "", "page to open first: console, manage, map, rollouts, tokens, recovery, settings")
	size := fs.String("window", "", "initial window size, WIDTHxHEIGHT (default: the size at the last close)")
	measure := fs.Bool("measure-startup", false, "print the time from process start to the first rows painted, then quit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *firstRun != "ask" && *firstRun != "demo" {
		fmt.Fprintf(os.Stderr, "fleetdesk: --first-run %q: want ask or demo\n", *firstRun)
		return 2
	}
	r, err := df.resolve(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk:", err)
		return 2
	}
	start := chooseStart(r, *demo, *firstRun == "demo")
	lowerGCHeadroom()

	a := fyneapp.NewWithID("io.fleetdesk.app")
	win := newMainWindow(a)
	if w, h, ok := parseSize(*size); ok {
		win.Resize(fyne.NewSize(w, h))
	} else {
		win.Resize(desk.InitialSize(a))
	}

	g := &gui{flags: df, resolved: r, prefs: prefs.New(a.Preferences())}
	window := desk.New(desk.Options{
		App:               a,
		Window:            win,
		SignIn:            g.signIn,
		Demo:              g.startDemo,
		SignOut:           g.signOut,
		DefaultBackendURL: r.backend,
		Profiles:          guiProfiles{g},
		CacheDir:          df.cacheDir,
		Start:             start.screen,
		Opening:           start.opening,
	})
	shell := window.Shell()
	g.shell = shell

	// Opening a session may touch the network; the window says what it opens meanwhile, with
	// nothing to type into.
	startup := kit.NewRunner(nil)
	g.startup = startup
	type opened struct {
		svc session.Session
		err error
	}
	if start.screen == ui.StartOpening {
		kit.Run(startup, func(ctx context.Context) opened {
			if start.demo {
				svc, err := g.startDemo(ctx)
				return opened{svc, err}
			}
			svc, err := g.resume(ctx)
			return opened{svc, err}
		}, func(o opened) {
			switch {
			case o.err == nil:
				shell.Start(o.svc)
				if *page != "" {
					window.OpenPage(*page)
				}
				if *measure {
					measureStartup(win, shell.FleetConsole(), o.svc)
				}
			case errors.Is(o.err, auth.ErrNotSignedIn):
				shell.ShowSignIn("")
			default:
				shell.ShowSignInError(o.err)
			}
			if o.err != nil && *measure {
				fmt.Fprintln(os.Stderr, "fleetdesk: --measure-startup: no session:", o.err)
				a.Quit()
			}
		})
	} else if *measure {
		fmt.Fprintln(os.Stderr, "fleetdesk: --measure-startup: no backend is configured: pass --demo or --backend")
		return 2
	}
	win.SetOnClosed(g.closeAll)
	win.ShowAndRun()
	g.closeAll()
	return 0
}

// startChoice is what the window shows first, decided before it is drawn.
type startChoice struct {
	screen  ui.StartScreen
	opening string // what is being opened, for StartOpening
	demo    bool   // the session to open is the embedded demo's
}

// chooseStart decides the first screen from the flags and the profile alone (no network, no
// keyring): the demo when asked for, the remembered profile when it has a backend, else a first
// run's welcome (or the demo, for `make run`).
func chooseStart(r resolved, demo, firstRunDemo bool) startChoice {
	switch {
	case demo || (r.backend == "" && firstRunDemo):
		return startChoice{screen: ui.StartOpening, opening: "Starting the demo fleet…", demo: true}
	case r.backend != "":
		return startChoice{screen: ui.StartOpening,
			opening: fmt.Sprintf("Opening profile \u201c%s\u201d (%s)…", r.profile, r.backend)}
	}
	return startChoice{screen: ui.StartWelcome}
}

// gui owns the sessions and the embedded backend the window shows, so they close with it.
type gui struct {
	flags    *dataFlags
	resolved resolved
	shell    *ui.Shell
	startup  *kit.Runner // opens the first session
	prefs    prefs.Store // Settings: the background sync interval, read at each sign-in (not for the demo)

	mu    sync.Mutex
	demo  *sim.Server
	sess  *syncer.Replica
	close sync.Once
}

func (g *gui) adopt(s *syncer.Replica, demo *sim.Server) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sess, g.demo = s, demo
}

// startDemo starts the simulated backend on loopback and signs in as its first dealer. The demo
// password lives only in memory (auth.Memory): nothing of the demo reaches the keyring.
func (g *gui) startDemo(ctx context.Context) (session.Session, error) {
	g.stopCurrent()
	srv, err := sim.Start(ctx, demoConfig)
	if err != nil {
		return nil, fmt.Errorf("starting the demo backend: %w", err)
	}
	var dealer *sim.Account
	for i := range srv.Accounts {
		if srv.Accounts[i].Role == "dealer" {
			dealer = &srv.Accounts[i]
			break
		}
	}
	if dealer == nil {
		srv.Close()
		return nil, errors.New("the demo backend has no dealer account")
	}
	s, err := syncer.Open(ctx, syncer.Options{
		BackendURL: srv.URL,
		Profile:    "demo",
		CacheDir:   g.flags.cacheDir,
		Email:      dealer.Email,
		Password:   dealer.Password,
		Store:      &auth.Memory{},
		Demo:       true,
		Interval:   5 * time.Second, // a demo should feel live
		Now:        srv.Now,         // the simulated clock: health and "last seen" follow simulated time
	})
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("signing in to the demo backend: %w", err)
	}
	g.adopt(s, srv)
	return s, nil
}

// resume reopens the remembered profile with its saved sign-in. With no saved sign-in (no
// keyring, its entry gone, or the backend refused it) the profile's cached fleet still opens,
// read-only, saying why and offering the sign-in: the dealer's data is never locked away.
func (g *gui) resume(ctx context.Context) (session.Session, error) {
	g.mu.Lock()
	r := g.resolved
	g.mu.Unlock()
	opts := syncer.Options{
		BackendURL: r.backend,
		Profile:    r.profile,
		CacheDir:   g.flags.cacheDir,
		Interval:   g.prefs.SyncInterval(),
	}
	s, err := syncer.Open(ctx, opts)
	if errors.Is(err, auth.ErrNotSignedIn) {
		ro, rerr := syncer.OpenReadOnly(ctx, opts, readOnlyWhy(err))
		if rerr != nil {
			return nil, err
		}
		g.adopt(ro, nil)
		return ro, nil
	}
	if err != nil {
		return nil, err
	}
	g.adopt(s, nil)
	return s, nil
}

// readOnlyWhy says why the cached fleet opened without a sign-in.
func readOnlyWhy(err error) string {
	if api.IsUnauthorized(err) { // the backend refused the saved sign-in (not merely none saved)
		return "Your sign-in has expired: sign in again to sync"
	}
	if _, notice := auth.DefaultStore(); notice != "" {
		return "Not signed in: this computer has no system keyring to keep your sign-in between runs; sign in to sync"
	}
	return "Not signed in: no saved sign-in was found for this profile; sign in to sync"
}

// signIn is the sign-in screen's action: sign in afresh and remember the profile (never the
// password: that goes no further than the backend, the refresh token to the keyring).
func (g *gui) signIn(ctx context.Context, backendURL, email, password string) (session.Session, error) {
	g.stopCurrent()
	g.mu.Lock()
	profile, cfgPath := g.resolved.profile, g.resolved.cfgPath
	g.mu.Unlock()
	s, err := syncer.Open(ctx, syncer.Options{
		BackendURL: backendURL,
		Profile:    profile,
		CacheDir:   g.flags.cacheDir,
		Email:      email,
		Password:   password,
		Interval:   g.prefs.SyncInterval(),
	})
	if err != nil {
		return nil, err // the sign-in screen words it (words.Describe) and keeps the detail
	}
	if err := syncer.RememberProfile(cfgPath, profile, syncer.Profile{Backend: backendURL, Email: email}, true); err != nil {
		log.Printf("fleetdesk: could not remember the profile: %v", err)
	}
	g.adopt(s, nil)
	return s, nil
}

func (g *gui) signOut(svc session.Session) error {
	g.mu.Lock()
	s, demo := g.sess, g.demo
	g.sess, g.demo = nil, nil
	g.mu.Unlock()
	var err error
	if s != nil {
		err = s.SignOut(context.Background())
	}
	if demo != nil {
		err = errors.Join(err, demo.Close())
	}
	return err
}

// stopCurrent closes the session (and demo backend) being replaced, keeping its saved sign-in.
func (g *gui) stopCurrent() {
	g.mu.Lock()
	s, demo := g.sess, g.demo
	g.sess, g.demo = nil, nil
	g.mu.Unlock()
	if s != nil {
		s.Close()
	}
	if demo != nil {
		demo.Close()
	}
}

func (g *gui) closeAll() {
	g.close.Do(func() {
		if g.startup != nil {
			g.startup.Close()
		}
		if g.shell != nil {
			g.shell.Close()
		}
		g.stopCurrent()
	})
}

func parseSize(s string) (float32, float32, bool) {
	w, h, ok := strings.Cut(s, "x")
	if !ok {
		return 0, 0, false
	}
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if err1 != nil || err2 != nil || wi < 400 || hi < 300 {
		return 0, 0, false
	}
	return float32(wi), float32(hi), true
}
