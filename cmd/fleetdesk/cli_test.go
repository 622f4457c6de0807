package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// cliBins are the real fleetdesk and fleetsim binaries, built once into a temporary directory.
type cliBins struct{ fleetdesk, fleetsim string }

func buildCLIs(t *testing.T) cliBins {
	t.Helper()
	dir := t.TempDir()
	b := cliBins{fleetdesk: filepath.Join(dir, "fleetdesk"), fleetsim: filepath.Join(dir, "fleetsim")}
	for bin, pkg := range map[string]string{b.fleetdesk: ".", b.fleetsim: "../fleetsim"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("go build %s: %v", pkg, err)
		}
	}
	return b
}

// run runs a binary to completion (at most two minutes) and returns its exit status and output.
func run(t *testing.T, stdin string, bin string, args ...string) (int, string, string) {
	t.Helper()
	return runEnv(t, nil, stdin, bin, args...)
}

// runEnv is run with the environment env (nil: the test's).
func runEnv(t *testing.T, env []string, stdin string, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("%s %v: %v\nstderr: %s", filepath.Base(bin), args, err, errb.String())
	return -1, "", ""
}

// simUnit is a `fleetsim unit --pty` process.
type simUnit struct {
	path   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func startUnit(t *testing.T, b cliBins, args ...string) *simUnit {
	t.Helper()
	cmd := exec.Command(b.fleetsim, append([]string{"unit", "--pty"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	u := &simUnit{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = u.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Scan()
		line <- sc.Text()
	}()
	select {
	case u.path = <-line:
	case <-time.After(30 * time.Second):
		t.Fatal("fleetsim unit printed no port path")
	}
	if !strings.HasPrefix(u.path, "/dev/") {
		t.Fatalf("fleetsim unit printed %q, not a port path", u.path)
	}
	return u
}

var unitStats = regexp.MustCompile(`(\d+) upload chunks \((\d+) bytes\).*slot 0 runs (\S+)`)

// stop interrupts the unit and returns the upload bytes it received and the version in slot 0.
func (u *simUnit) stop(t *testing.T) (uploaded, version string) {
	t.Helper()
	u.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- u.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("fleetsim unit did not stop on SIGINT")
	}
	m := unitStats.FindStringSubmatch(u.stderr.String())
	if m == nil {
		t.Fatalf("no statistics from fleetsim unit: %s", u.stderr)
	}
	return m[2], m[3]
}

func writeImage(t *testing.T, v fleet.Variant, version string) string {
	t.Helper()
	img, err := fwimage.Build(v, version, fwimage.Payload(v, version, 40*1024))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%s-%s.bin", strings.ToLower(string(v.Model)), v.Transport, version))
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var (
	d180gsm = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelD180, Transport: fleet.TransportGSM}
	v5wifi  = fleet.Variant{Console: fleet.ConsoleUnified, Model: fleet.ModelV5, Transport: fleet.TransportWiFi}
)

// The headless recovery commands as a technician runs them: real binaries, a simulated unit on a
// real pty at 921600 baud, real SQLite caches and the simulated backend on loopback.
func TestCLIRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fleetdesk and fleetsim binaries")
	}
	b := buildCLIs(t)
	noCache := []string{"--config", filepath.Join(t.TempDir(), "config.json"), "--cache-dir", t.TempDir()}

	t.Run("ports", func(t *testing.T) {
		code, stdout, stderr := run(t, "", b.fleetdesk, "ports")
		if code != 0 || (stdout == "" && !strings.Contains(stderr, "no serial ports found")) {
			t.Errorf("ports: %d %q %q", code, stdout, stderr)
		}
	})

	t.Run("flash image", func(t *testing.T) {
		u := startUnit(t, b, "--baud", "921600", "--model", "D180", "--transport", "gsm", "--version", "2.3.0")
		img := writeImage(t, d180gsm, "2.4.0")
		code, stdout, stderr := run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--image", img, "--baud", "921600"}, noCache...)...)
		if code != 0 {
			t.Fatalf("flash: exit %d\n%s", code, stderr)
		}
		if l := lastLine(stdout); !strings.Contains(l, "2.3.0 -> 2.4.0 active") {
			t.Errorf("final line %q does not name the active version", l)
		}
		if !strings.Contains(stderr, "no offline cache yet") || !strings.Contains(stderr, "confirm") {
			t.Errorf("stderr: %s", stderr)
		}
		if uploaded, version := u.stop(t); uploaded == "0" || version != "2.4.0" {
			t.Errorf("the unit got %s bytes and runs %s", uploaded, version)
		}
	})

	t.Run("wrong variant", func(t *testing.T) {
		u := startUnit(t, b, "--baud", "921600", "--model", "D180", "--transport", "gsm", "--version", "2.3.0")
		img := writeImage(t, v5wifi, "2.4.0")
		code, stdout, stderr := run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--image", img, "--baud", "921600"}, noCache...)...)
		if code != 1 || stdout != "" {
			t.Fatalf("wrong-variant flash: exit %d, stdout %q", code, stdout)
		}
		if !strings.Contains(stderr, "refused, nothing was sent") || !strings.Contains(stderr, "engine V5, unit is D180") {
			t.Errorf("the refusal does not say why: %s", stderr)
		}
		if uploaded, version := u.stop(t); uploaded != "0" || version != "2.3.0" {
			t.Errorf("after a refusal the unit got %s upload bytes and runs %s", uploaded, version)
		}
	})

	// An older image is a downgrade: refused without --allow-downgrade (nothing sent), flashed
	// with it; a unit that does not answer is told as what to check.
	t.Run("downgrade", func(t *testing.T) {
		u := startUnit(t, b, "--baud", "921600", "--model", "D180", "--transport", "gsm", "--version", "2.3.0")
		img := writeImage(t, d180gsm, "2.2.0")
		args := append([]string{"flash", "--port", u.path, "--image", img, "--baud", "921600"}, noCache...)
		code, _, stderr := run(t, "", b.fleetdesk, args...)
		if code != 1 || !strings.Contains(stderr, "downgrade") || !strings.Contains(stderr, "--allow-downgrade") {
			t.Fatalf("downgrade without the flag: exit %d\n%s", code, stderr)
		}
		code, stdout, stderr := run(t, "", b.fleetdesk, append(args, "--allow-downgrade")...)
		if code != 0 || !strings.Contains(lastLine(stdout), "2.3.0 -> 2.2.0 active") {
			t.Fatalf("downgrade with the flag: exit %d %q\n%s", code, stdout, stderr)
		}
		if _, version := u.stop(t); version != "2.2.0" {
			t.Errorf("the unit runs %s", version)
		}
	})

	t.Run("no answer", func(t *testing.T) {
		u := startUnit(t, b, "--drop-every", "1")
		img := writeImage(t, d180gsm, "2.4.0")
		code, _, stderr := run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--image", img}, noCache...)...)
		if code != 1 || !strings.Contains(stderr, "The unit did not answer on "+u.path) || !strings.Contains(stderr, "recovery mode") ||
			!strings.Contains(stderr, "(detail: ") {
			t.Errorf("a silent unit: exit %d\n%s", code, stderr)
		}
		u.stop(t)
	})

	// A stock MCUboot (Zephyr defaults): each way a flash can end has its own words and exit
	// status, and a good image exits 0 although the application never answers after the reset.
	t.Run("stock MCUboot", func(t *testing.T) {
		stock := []string{"--baud", "921600", "--model", "D180", "--transport", "gsm", "--restart-wait", "2s"}
		flash := func(u *simUnit, img string, extra ...string) (int, string, string) {
			t.Helper()
			args := append(append([]string{"flash", "--port", u.path, "--image", img}, stock...), noCache...)
			return run(t, "", b.fleetdesk, append(args, extra...)...)
		}
		u := startUnit(t, b, "--stock", "--baud", "921600", "--version", "2.3.0")
		code, stdout, stderr := flash(u, writeImage(t, d180gsm, "2.4.0"))
		if code != 0 || !strings.Contains(lastLine(stdout), "2.4.0 written and verified, unit restarted, running version not confirmed") {
			t.Fatalf("good image: exit %d %q\n%s", code, stdout, stderr)
		}
		for _, want := range []string{"unit: does not identify itself, running 2.3.0",
			"verify…\n  verified: the bootloader lists slot 0 with the image's SHA-256", "acknowledged the reset and restarted the unit",
			"could not ask whether 2.4.0 runs"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr misses %q:\n%s", want, stderr)
			}
		}
		if _, version := u.stop(t); version != "2.4.0" {
			t.Errorf("the unit's slot 0 holds %s", version)
		}

		// A stock MCUboot that waits 500 ms for DFU after each restart (Zephyr's timeout for
		// CONFIG_BOOT_SERIAL_WAIT_FOR_DFU): nothing FleetDesk asks lands in that window, so the
		// application boots instead of the bootloader staying in serial recovery.
		u = startUnit(t, b, "--stock", "--wait-for-dfu", "500ms", "--baud", "921600", "--version", "2.3.0")
		code, stdout, stderr = flash(u, writeImage(t, d180gsm, "2.4.0"))
		if code != 0 || !strings.Contains(lastLine(stdout), "2.4.0 written and verified, unit restarted, running version not confirmed") {
			t.Fatalf("a bootloader waiting for DFU: exit %d %q\n%s", code, stdout, stderr)
		}
		if _, version := u.stop(t); version != "2.4.0" || strings.Contains(u.stderr.String(), "kept in serial recovery") ||
			!strings.Contains(u.stderr.String(), "the application runs") {
			t.Errorf("a bootloader waiting for DFU: slot 0 %s\n%s", version, u.stderr)
		}

		u = startUnit(t, b, "--stock", "--baud", "921600", "--version", "2.3.0")
		code, _, stderr = flash(u, writeImage(t, d180gsm, "2.2.0"))
		if code != 1 || !strings.Contains(stderr, "--allow-downgrade") {
			t.Fatalf("downgrade: exit %d\n%s", code, stderr)
		}
		if uploaded, _ := u.stop(t); uploaded != "0" {
			t.Errorf("a refused downgrade sent %s bytes", uploaded)
		}

		u = startUnit(t, b, "--stock", "--baud", "921600", "--slot-size", "16384")
		code, _, stderr = flash(u, writeImage(t, d180gsm, "2.4.0"))
		if code != 1 || !strings.Contains(stderr, "FAILED: The unit refused this image at the start: most likely it is larger than the unit's firmware slot") ||
			!strings.Contains(stderr, "rc 3") {
			t.Fatalf("image over the slot: exit %d\n%s", code, stderr)
		}
		if _, version := u.stop(t); version != "2.3.0" {
			t.Errorf("after the refusal slot 0 holds %s", version)
		}

		// The bootloader answers again after the reset: written and verified, not started.
		u = startUnit(t, b, "--no-image-state", "--no-echo", "--no-params", "--no-identity", "--primary-upload", "--v1-errors",
			"--line-max", "128", "--baud", "921600")
		code, _, stderr = flash(u, writeImage(t, d180gsm, "2.4.0"))
		if code != 3 || !strings.Contains(stderr, "NOT STARTED") || !strings.Contains(stderr, "Power-cycle the unit") {
			t.Fatalf("back in the bootloader: exit %d\n%s", code, stderr)
		}
		u.stop(t)

		// A FleetDesk unit whose bootloader does not boot the new image: another image runs.
		u = startUnit(t, b, "--reject-update", "--baud", "921600")
		code, _, stderr = flash(u, writeImage(t, d180gsm, "2.4.0"))
		if code != 4 || !strings.Contains(stderr, "ANOTHER IMAGE RUNS") || !strings.Contains(stderr, "reports 2.3.0 active, not the uploaded 2.4.0") {
			t.Fatalf("update rejected: exit %d\n%s", code, stderr)
		}
		u.stop(t)
	})

	t.Run("help says what each ending means", func(t *testing.T) {
		code, _, stderr := run(t, "", b.fleetdesk, "flash", "--help")
		for _, want := range []string{"exit 0", "running version not confirmed", "exit 3  NOT STARTED", "exit 4  ANOTHER IMAGE RUNS",
			"--restart-wait", "only downgrade guard"} {
			if code != 0 || !strings.Contains(stderr, want) {
				t.Errorf("flash --help (exit %d) misses %q:\n%s", code, want, stderr)
			}
		}
	})

	t.Run("usage", func(t *testing.T) {
		img := writeImage(t, d180gsm, "2.4.0")
		if code, _, stderr := run(t, "", b.fleetdesk, "flash", "--port", "/dev/null", "--image", img, "--release", "rel-x"); code != 2 || !strings.Contains(stderr, "usage") {
			t.Errorf("--image with --release: %d %q", code, stderr)
		}
		if code, _, stderr := run(t, "", b.fleetdesk, append([]string{"flash", "--port", "/dev/null", "--release", "rel-x"}, noCache...)...); code != 1 || !strings.Contains(stderr, "no offline cache") {
			t.Errorf("--release with no cache: %d %q", code, stderr)
		}
	})

	t.Run("release from the cache, service log uploaded by the next sync", func(t *testing.T) {
		srv, acc := testsim.Start(context.Background(), t, sim.Config{Devices: 60, Dealers: 1, Seed: 9})
		dir, cfg := t.TempDir(), filepath.Join(t.TempDir(), "config.json")
		common := []string{"--profile", "tech", "--config", cfg, "--cache-dir", dir}
		open := func() *syncer.Replica {
			s, err := syncer.Open(context.Background(), syncer.Options{BackendURL: srv.URL, Profile: "tech", CacheDir: dir,
				Email: acc.Email, Password: acc.Password, Store: &auth.Memory{}, Manual: true})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Online, before the trip: sync and download one D180 GSM release.
		s := open()
		if _, err := s.Sync(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		rels, err := s.Releases(context.Background(), fleet.ConsoleUnified)
		if err != nil {
			t.Fatal(err)
		}
		var pick, notPulled rollout.Release
		for _, r := range rels {
			switch {
			case r.Variant() == d180gsm && r.Version != "2.3.0" && pick.ID == "":
				pick = r
			case r.Variant() == v5wifi:
				notPulled = r
			}
		}
		if pick.ID == "" || notPulled.ID == "" {
			t.Fatalf("the simulator has no suitable releases: %+v", rels)
		}
		if _, err := s.ReleaseImage(context.Background(), pick.ID); err != nil {
			t.Fatal(err)
		}
		s.Close()

		// `fleetdesk firmware` reads the cache with no backend configured.
		code, stdout, stderr := run(t, "", b.fleetdesk, append([]string{"firmware", "--console", "unified"}, common...)...)
		if code != 0 || !regexp.MustCompile(regexp.QuoteMeta(pick.ID)+`\s.*\scached`).MatchString(stdout) ||
			regexp.MustCompile(regexp.QuoteMeta(notPulled.ID)+`\s.*\scached`).MatchString(stdout) || strings.Contains(stdout, "xpro") {
			t.Errorf("firmware list: %d\n%s\n%s", code, stdout, stderr)
		}

		// On site, no network: a release not pulled is refused before the port is opened, the
		// pulled one flashes, a wrong image is refused; every attempt lands in the cache.
		u := startUnit(t, b, "--baud", "921600", "--model", "D180", "--transport", "gsm", "--version", "2.3.0", "--serial", "D180-004711")
		code, _, stderr = run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--release", notPulled.ID}, common...)...)
		if code != 1 || !strings.Contains(stderr, "not in the offline cache") {
			t.Errorf("a release not pulled: %d %q", code, stderr)
		}
		code, stdout, stderr = run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--baud", "921600", "--release", pick.ID}, common...)...)
		if code != 0 || !strings.Contains(lastLine(stdout), "2.3.0 -> "+pick.Version+" active") {
			t.Fatalf("flash --release: %d %q\n%s", code, stdout, stderr)
		}
		if strings.Contains(stderr, "no offline cache") {
			t.Errorf("the cache was there: %s", stderr)
		}
		code, _, _ = run(t, "", b.fleetdesk, append([]string{"flash", "--port", u.path, "--baud", "921600", "--image", writeImage(t, v5wifi, "9.9.9")}, common...)...)
		if code != 1 {
			t.Errorf("wrong image: exit %d", code)
		}
		u.stop(t)

		s = open()
		defer s.Close()
		pending, err := s.PendingServiceLog(context.Background())
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending service log: %+v %v, want the flash and the refusal", pending, err)
		}
		byResult := map[string]int{}
		for _, e := range pending {
			byResult[e.Result]++
			if e.UnitSerial != "D180-004711" || e.Port != u.path || e.Technician != acc.Email || e.VariantSource != "unit" {
				t.Errorf("entry %+v", e)
			}
			if e.Result == recovery.ResultOK && (e.Image != pick.ID || e.VersionBefore != "2.3.0" || e.VersionAfter != pick.Version ||
				e.Bytes != pick.Size || e.Throughput <= 0) {
				t.Errorf("flash entry %+v", e)
			}
			if e.Result == recovery.ResultRefused && (e.VersionBefore != pick.Version || !strings.Contains(e.Error, "engine V5")) {
				t.Errorf("refusal entry %+v", e)
			}
		}
		if byResult[recovery.ResultOK] != 1 || byResult[recovery.ResultRefused] != 1 {
			t.Errorf("results %v", byResult)
		}
		if _, err := s.Sync(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if got := srv.Backend().ServiceLog(acc.Dealer); len(got) != 2 {
			t.Errorf("the backend has %d entries after the sync, want 2", len(got))
		}
	})

	t.Run("firmware pull", func(t *testing.T) {
		needKeyring(t)
		srv, acc := testsim.Start(context.Background(), t, sim.Config{Devices: 30, Dealers: 1, Seed: 4})
		profile := fmt.Sprintf("fwtest-%d", time.Now().UnixNano())
		defer auth.Keyring{}.Delete(auth.Account(profile))
		common := []string{"--profile", profile, "--config", filepath.Join(t.TempDir(), "config.json"), "--cache-dir", t.TempDir()}
		if code, _, stderr := run(t, acc.Password+"\n", b.fleetdesk, append([]string{"login", "--backend", srv.URL, "--email", acc.Email}, common...)...); code != 0 {
			t.Fatalf("login: %d %s", code, stderr)
		}
		code, stdout, stderr := run(t, "", b.fleetdesk, append([]string{"firmware", "--pull", "--console", "ultra"}, common...)...)
		rows := strings.Split(strings.TrimSpace(stdout), "\n")[1:]
		if code != 0 || len(rows) < 2 || !strings.Contains(stderr, fmt.Sprintf("[%d/%d]", len(rows), len(rows))) {
			t.Fatalf("firmware --pull: %d\n%s\n%s", code, stdout, stderr)
		}
		for _, r := range rows {
			if !strings.HasSuffix(r, "cached") || !strings.Contains(r, "ultra") {
				t.Errorf("row %q", r)
			}
		}
		if _, _, stderr = run(t, "", b.fleetdesk, append([]string{"firmware", "--pull", "--console", "ultra"}, common...)...); strings.Count(stderr, "already cached") != len(rows) {
			t.Errorf("a second pull downloaded again: %s", stderr)
		}
		srv.Close()
		if code, _, stderr = run(t, "", b.fleetdesk, append([]string{"firmware", "--pull"}, common...)...); code != 1 || !strings.Contains(stderr, "cannot pull") {
			t.Errorf("pull with the backend gone: %d %q", code, stderr)
		}
		if code, stdout, _ = run(t, "", b.fleetdesk, append([]string{"firmware", "--console", "ultra"}, common...)...); code != 0 || strings.Count(stdout, "cached") != len(rows) {
			t.Errorf("offline list: %d\n%s", code, stdout)
		}
	})
}
