package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

func init() {
	register("login", "sign in to a fleet backend and remember the profile (password from a prompt or stdin)", runLogin)
}

// dataFlags are the flags every data command takes: which profile, which backend, where data lives.
type dataFlags struct {
	profile  string
	backend  string
	cacheDir string
	config   string
}

func addDataFlags(fs *flag.FlagSet) *dataFlags {
	f := &dataFlags{}
	fs.StringVar(&f.profile, "profile", "", "backend profile name (default: the current profile, or \"default\")")
	fs.StringVar(&f.backend, "backend", "", "backend URL (https://..., or http://127.0.0.1:PORT for a local fleetsim)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "directory of the offline cache (default: the user cache directory/fleetdesk)")
	fs.StringVar(&f.config, "config", "", "config file (default: the user config directory/fleetdesk/config.json)")
	return f
}

// resolved is a profile with its backend, after flags and the config file were consulted.
type resolved struct {
	cfg     syncer.Config
	cfgPath string
	profile string
	backend string
	email   string
}

func (f *dataFlags) resolve(needBackend bool) (resolved, error) {
	r := resolved{cfgPath: f.config}
	if r.cfgPath == "" {
		if env := os.Getenv("FLEETDESK_CONFIG"); env != "" {
			r.cfgPath = env
		} else {
			p, err := syncer.DefaultConfigPath()
			if err != nil {
				return r, err
			}
			r.cfgPath = p
		}
	}
	cfg, err := syncer.LoadConfig(r.cfgPath)
	if err != nil {
		return r, err
	}
	r.cfg = cfg
	r.profile = f.profile
	if r.profile == "" {
		r.profile = cfg.Current
	}
	if r.profile == "" {
		r.profile = syncer.DefaultProfile
	}
	if err := cache.CheckProfile(r.profile); err != nil {
		return r, err
	}
	p := cfg.Profiles[r.profile]
	r.backend, r.email = p.Backend, p.Email
	if f.backend != "" {
		r.backend = f.backend
	}
	if r.backend != "" {
		b, err := session.CheckBackendURL(r.backend)
		if err != nil {
			return r, err
		}
		r.backend = b
	} else if needBackend {
		return r, fmt.Errorf("profile %q has no backend: pass --backend URL (or run `fleetdesk login --backend URL --email E`)", r.profile)
	}
	return r, nil
}

// signalContext is cancelled on Ctrl-C, so a sync stops cleanly between pages.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// readPassword prompts on the terminal with echo off, or reads one line from a piped stdin.
func readPassword(prompt string) (string, error) {
	return readPasswordFrom(os.Stdin, os.Stderr, prompt)
}

func readPasswordFrom(in *os.File, out io.Writer, prompt string) (string, error) {
	if !isTerminal(in) {
		s, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && s != "") {
			if errors.Is(err, io.EOF) {
				return "", errors.New("no password given on stdin")
			}
			return "", err
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	fmt.Fprint(out, prompt)
	pw, err := readSecret(in)
	fmt.Fprintln(out)
	return pw, err
}

// describeErr turns a data-layer error into words for people (words.Describe, the same words the
// window uses) with the technical detail on a second line for support.
func describeErr(err error) string {
	if errors.Is(err, auth.ErrNotSignedIn) && api.KindOf(err) == 0 {
		return err.Error() // names the profile and says to run `fleetdesk login`
	}
	d := words.Describe(err)
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + "\n  details: " + d.Detail
}

func runLogin(args []string) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	df := addDataFlags(fs)
	email := fs.String("email", "", "account e-mail (default: the profile's last one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	r, err := df.resolve(true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login:", err)
		return 2
	}
	if *email != "" {
		r.email = *email
	}
	if r.email == "" {
		fmt.Fprintln(os.Stderr, "fleetdesk login: --email is required")
		return 2
	}
	pw, err := readPassword("Password for " + r.email + ": ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login:", err)
		return 1
	}
	ctx, cancel := signalContext()
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()

	store, notice := auth.DefaultStore()
	client, err := api.New(r.backend, nil, api.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login:", err)
		return 2
	}
	sess := auth.New(client, store, r.profile)
	if err := sess.SignIn(ctx, r.email, pw); err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login:", describeErr(err))
		return 1
	}
	me, err := client.WithTokens(sess).Me(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login:", describeErr(err))
		return 1
	}
	if err := syncer.RememberProfile(r.cfgPath, r.profile, syncer.Profile{Backend: r.backend, Email: r.email}, df.profile != ""); err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk login: saving the profile:", err)
		return 1
	}
	who := me.Email
	if me.DealerName != "" {
		who += " (" + me.DealerName + ")"
	}
	fmt.Printf("Signed in to %s as %s; profile %q.\n", r.backend, who, r.profile)
	if n := sess.Notice(); n != "" || notice != "" {
		if n == "" {
			n = notice
		}
		fmt.Fprintln(os.Stderr, "fleetdesk login:", n)
		fmt.Fprintln(os.Stderr, "fleetdesk login: later commands cannot reuse this sign-in; `fleetdesk sync --email E` signs in for one run.")
		return 1
	}
	return 0
}
