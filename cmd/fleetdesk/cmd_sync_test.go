package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// runCmd runs a registered subcommand in-process with stdin fed from input, returning its exit
// status, stdout and stderr.
func runCmd(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	cmd, ok := subcommands[args[0]]
	if !ok {
		t.Fatalf("no subcommand %q", args[0])
	}
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	oldIn, oldOut, oldErr := os.Stdin, os.Stdout, os.Stderr
	os.Stdin, os.Stdout, os.Stderr = inR, outW, errW
	var wg sync.WaitGroup
	var stdout, stderr []byte
	wg.Add(2)
	go func() { defer wg.Done(); stdout, _ = io.ReadAll(outR) }()
	go func() { defer wg.Done(); stderr, _ = io.ReadAll(errR) }()
	go func() { io.WriteString(inW, input); inW.Close() }()
	code := cmd.run(args[1:])
	os.Stdin, os.Stdout, os.Stderr = oldIn, oldOut, oldErr
	outW.Close()
	errW.Close()
	wg.Wait()
	inR.Close()
	return code, string(stdout), string(stderr)
}

// needKeyring skips a test that needs the OS keyring where there is none, unless
// FLEETDESK_REQUIRE_KEYRING or CI says a skip would hide a broken setup.
func needKeyring(t *testing.T) {
	t.Helper()
	if err := (auth.Keyring{}).Probe(); err != nil {
		if os.Getenv("FLEETDESK_REQUIRE_KEYRING") != "" || os.Getenv("CI") != "" {
			t.Fatalf("the OS keyring is required here (FLEETDESK_REQUIRE_KEYRING or CI is set) but unusable: %v", err)
		}
		t.Skipf("no Secret Service reachable (%v): run under scripts/with-keyring.sh (make test does)", err)
	}
}

// TestHeadlessCommands drives login, sync, devices and logout against the simulated backend with
// the real OS keyring, then checks that no secret reached the config file or the cache.
func TestHeadlessCommands(t *testing.T) {
	needKeyring(t)
	srv, acc := testsim.Start(context.Background(), t, sim.Config{Devices: 300, Dealers: 2, Seed: 5})
	dir := t.TempDir()
	cfg, cacheDir := filepath.Join(dir, "config", "config.json"), filepath.Join(dir, "cache")
	profile := fmt.Sprintf("cmdtest-%d", time.Now().UnixNano())
	common := []string{"--profile", profile, "--config", cfg, "--cache-dir", cacheDir}
	defer auth.Keyring{}.Delete(auth.Account(profile))

	// devices before any sync: works, says there is nothing yet.
	code, _, stderr := runCmd(t, "", append([]string{"devices"}, common...)...)
	if code != 0 || !strings.Contains(stderr, "never synced") {
		t.Fatalf("devices on an empty cache: %d %q", code, stderr)
	}

	code, stdout, stderr := runCmd(t, "wrong-password\n", append([]string{"login", "--backend", srv.URL, "--email", acc.Email}, common...)...)
	if code != 1 || !strings.Contains(stderr, "Wrong email or password") {
		t.Errorf("login with a wrong password: %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, acc.Password+"\n", append([]string{"login", "--backend", srv.URL, "--email", acc.Email}, common...)...)
	if code != 0 || !strings.Contains(stdout, "Signed in") {
		t.Fatalf("login: %d %q %q", code, stdout, stderr)
	}
	refresh, err := auth.Keyring{}.Get(auth.Account(profile))
	if err != nil || refresh == "" {
		t.Fatalf("no refresh token in the keyring after login: %v", err)
	}

	// sync needs no --backend now: the profile remembers it.
	code, stdout, stderr = runCmd(t, "", append([]string{"sync"}, common...)...)
	if code != 0 || !strings.Contains(stdout, "full sync") || !strings.Contains(stderr, "syncing:") {
		t.Fatalf("sync: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, "", append([]string{"sync"}, common...)...)
	if code != 0 || !strings.Contains(stdout, "delta sync") {
		t.Fatalf("second sync: %d %q", code, stdout)
	}

	// With the backend gone, devices still answers from the cache and says how old it is.
	srv.Close()
	code, stdout, stderr = runCmd(t, "", append([]string{"devices", "--format", "json"}, common...)...)
	if code != 0 || !strings.Contains(stderr, "last synced") {
		t.Fatalf("devices json: %d %q", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("devices json output: %v (%d rows)", err, len(rows))
	}
	for _, r := range rows {
		if r["dealer"] != acc.Dealer || r["health"] == "" || r["id"] == "" {
			t.Fatalf("row %v", r)
		}
	}
	id := rows[len(rows)/2]["id"].(string)
	code, stdout, _ = runCmd(t, "", append([]string{"devices", "--format", "csv", "--search", strings.ToLower(id)}, common...)...)
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(recs) < 2 || recs[0][0] != "id" || recs[1][0] != id {
		t.Errorf("devices csv --search %s: %d %v %v", id, code, err, recs)
	}
	// Words typed with spaces must all match, each in any field: the model prefix of the device ID
	// and the customer's mail domain ("ops@kariuki-retail.example"), as a dealer types "V5 kariuki".
	who := strings.SplitN(strings.SplitN(rows[len(rows)/2]["customer_email"].(string), "@", 2)[1], ".", 2)[0]
	query := strings.ToUpper(strings.SplitN(id, "-", 2)[0]) + " " + who
	var want []string
	for _, r := range rows {
		hay := strings.ToLower(r["id"].(string) + "\x00" + r["customer_email"].(string) + "\x00" + r["name"].(string))
		if strings.Contains(hay, strings.ToLower(strings.SplitN(id, "-", 2)[0])) && strings.Contains(hay, strings.ToLower(who)) {
			want = append(want, r["id"].(string))
		}
	}
	code, stdout, _ = runCmd(t, "", append([]string{"devices", "--format", "csv", "--search", query}, common...)...)
	recs, err = csv.NewReader(strings.NewReader(stdout)).ReadAll()
	var got []string
	for _, rec := range recs[min(1, len(recs)):] {
		got = append(got, rec[0])
	}
	if code != 0 || err != nil || len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("devices --search %q: %d %v: %v, want %v", query, code, err, got, want)
	}
	code, stdout, _ = runCmd(t, "", append([]string{"devices", "--health", "live,late,lost,attention"}, common...)...)
	if lines := strings.Count(stdout, "\n"); code != 0 || lines != len(rows)+1 {
		t.Errorf("table with every health: %d, %d lines for %d devices", code, lines, len(rows))
	}
	if code, _, stderr = runCmd(t, "", append([]string{"devices", "--health", "sleepy"}, common...)...); code != 2 || !strings.Contains(stderr, "unknown health") {
		t.Errorf("bad health: %d %q", code, stderr)
	}
	if code, _, _ = runCmd(t, "", append([]string{"devices", "--format", "xml"}, common...)...); code != 2 {
		t.Errorf("bad format accepted")
	}
	// sync with the backend down: non-zero and a clear message, cache kept.
	code, _, stderr = runCmd(t, "", append([]string{"sync"}, common...)...)
	if code != 1 || !strings.Contains(stderr, "Can't reach the fleet backend (connection refused)") || !strings.Contains(stderr, "the cache keeps") {
		t.Errorf("sync offline: %d %q", code, stderr)
	}

	// Nothing secret in the files left behind.
	grep(t, dir, map[string]string{"password": acc.Password, "refresh token": refresh})

	code, stdout, stderr = runCmd(t, "", append([]string{"logout"}, common...)...)
	if code != 0 || !strings.Contains(stdout, "Signed out") {
		t.Fatalf("logout: %d %q %q", code, stdout, stderr)
	}
	if _, err := (auth.Keyring{}).Get(auth.Account(profile)); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("logout left the refresh token: %v", err)
	}
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), acc.Email) || !strings.Contains(string(b), srv.URL) {
		t.Errorf("config lost the profile: %s", b)
	}
}

func grep(t *testing.T, dir string, secrets map[string]string) {
	t.Helper()
	n := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		n++
		b, _ := os.ReadFile(p)
		for what, v := range secrets {
			if strings.Contains(string(b), v) {
				t.Errorf("%s contains the %s", p, what)
			}
		}
		return nil
	})
	if n < 2 {
		t.Errorf("only %d files written", n)
	}
}

func TestLoginNeedsBackendAndEmail(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--profile", "x", "--config", filepath.Join(dir, "c.json"), "--cache-dir", dir}
	if code, _, stderr := runCmd(t, "", append([]string{"login", "--email", "a@b.c"}, common...)...); code != 2 || !strings.Contains(stderr, "--backend") {
		t.Errorf("login without backend: %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", append([]string{"login", "--backend", "http://fleet.example.com", "--email", "a@b.c"}, common...)...); code != 2 || !strings.Contains(stderr, "https") {
		t.Errorf("login over plain http: %d %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "", append([]string{"sync"}, common...)...); code != 2 {
		t.Errorf("sync without a backend: %d", code)
	}
	if code, _, stderr := runCmd(t, "", "devices", "--profile", "../etc", "--config", filepath.Join(dir, "c.json")); code != 2 || !strings.Contains(stderr, "profile") {
		t.Errorf("bad profile name: %d %q", code, stderr)
	}
}
