package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/internal/testfleet"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// simProc is a `fleetsim serve` process.
type simProc struct {
	url      string
	accounts []sim.Account
	cmd      *exec.Cmd
	stderr   *bytes.Buffer
}

// startFleetsim runs `fleetsim serve` with args and waits for its ready line.
func startFleetsim(t *testing.T, b cliBins, args ...string) *simProc {
	t.Helper()
	cmd := exec.Command(b.fleetsim, append([]string{"serve", "--quiet"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &simProc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
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
	var ready struct {
		URL      string        `json:"url"`
		Accounts []sim.Account `json:"accounts"`
	}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &ready); err != nil || ready.URL == "" {
			t.Fatalf("fleetsim ready line %q: %v (stderr %s)", l, err, p.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("fleetsim printed no ready line: %s", p.stderr)
	}
	p.url, p.accounts = ready.URL, ready.Accounts
	return p
}

// stop ends the process as an operator would (SIGTERM: it writes its database and exits).
func (p *simProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fleetsim exited with %v: %s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("fleetsim did not stop on SIGTERM")
	}
}

func (p *simProc) account(role string) sim.Account {
	for _, a := range p.accounts {
		if a.Role == role {
			return a
		}
	}
	return sim.Account{}
}

// signedIn is a client of the backend signed in as acc.
func (p *simProc) signedIn(t *testing.T, acc sim.Account) *api.Client {
	t.Helper()
	return testfleet.SignedInClient(t, p.url, acc)
}

// advance moves the --manual-clock backend's time on (POST /sim/advance as the admin).
func (p *simProc) advance(t *testing.T, by time.Duration) {
	t.Helper()
	admin := p.account("admin")
	tp, err := func() (api.TokenPair, error) {
		c, err := api.New(p.url, nil, api.Options{})
		if err != nil {
			return api.TokenPair{}, err
		}
		return c.Login(context.Background(), admin.Email, admin.Password)
	}()
	if err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	body, _ := json.Marshal(sim.AdvanceRequest{By: by.String()})
	req, _ := http.NewRequest("POST", p.url+sim.PathSimAdvance, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tp.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("advancing the clock: %v %v", err, resp)
	}
	resp.Body.Close()
}

// fleet is the dealer's whole fleet as the backend has it now.
func (p *simProc) fleet(t *testing.T, acc sim.Account) map[string]fleet.Device {
	t.Helper()
	c := p.signedIn(t, acc)
	out := map[string]fleet.Device{}
	cursor := ""
	for {
		pg, err := c.Devices(context.Background(), cursor, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pg.Devices {
			out[d.ID] = d
		}
		cursor = pg.NextCursor
		if !pg.HasMore {
			return out
		}
	}
}

// shownDiffs compares what `fleetdesk devices --format json` shows with the backend's fleet.
func shownDiffs(t *testing.T, b cliBins, common []string, want map[string]fleet.Device) []string {
	t.Helper()
	code, stdout, stderr := run(t, "", b.fleetdesk, append([]string{"devices", "--format", "json"}, common...)...)
	if code != 0 {
		t.Fatalf("devices: %d %s", code, stderr)
	}
	var rows []fleet.Device
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("devices json: %v", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range rows {
		seen[d.ID] = true
		w, ok := want[d.ID]
		if !ok || w.Firmware != d.Firmware || w.Online != d.Online || !w.LastSeen.Equal(d.LastSeen) || w.RunState != d.RunState {
			out = append(out, fmt.Sprintf("%s shown %s online=%v seen %s", d.ID, d.Firmware, d.Online, d.LastSeen.Format(time.RFC3339)))
		}
	}
	for id := range want {
		if !seen[id] {
			out = append(out, id+" missing")
		}
	}
	return out
}

// `fleetdesk sync` against a fleetsim process that restarts under it: without its database (same
// seed, same port), and with its database restored from a copy older than the CLI's cursor. Each
// time one sync makes every unit `fleetdesk devices` shows the backend's, and says why it was a
// full one.
func TestCLISyncAfterBackendRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fleetdesk and fleetsim binaries")
	}
	b := buildCLIs(t)
	for _, withDB := range []bool{false, true} {
		name := "in-memory"
		if withDB {
			name = "db-restored"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "fleet.db")
			args := []string{"--devices", "160", "--dealers", "2", "--seed", "8", "--manual-clock"}
			if withDB {
				args = append(args, "--db", db)
			}
			p := startFleetsim(t, b, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
			addr := strings.TrimPrefix(p.url, "http://")
			args = append([]string{"--addr", addr}, args...)
			acc := p.account("dealer")
			common := []string{"--profile", "restart", "--config", filepath.Join(dir, "config.json"), "--cache-dir", filepath.Join(dir, "cache")}
			syncCmd := append([]string{"sync", "--backend", p.url, "--email", acc.Email}, common...)
			sync := func(wantKind string) string {
				t.Helper()
				code, stdout, stderr := run(t, acc.Password+"\n", b.fleetdesk, syncCmd...)
				if code != 0 || !strings.HasPrefix(stdout, wantKind+" sync") {
					t.Fatalf("sync: exit %d, want a %s sync: %q %q", code, wantKind, stdout, stderr)
				}
				return stderr
			}
			sync("full")
			backup := filepath.Join(dir, "backup.db")
			if withDB {
				p.stop(t)
				copyFile(t, db, backup)
				p = startFleetsim(t, b, args...)
				sync("full") // a restart on the same file is a new backend state too
			}
			p.advance(t, 3*time.Hour)
			sync("delta")
			p.stop(t)
			if withDB {
				copyFile(t, backup, db)
				os.Remove(db + "-wal")
				os.Remove(db + "-shm")
			}
			p = startFleetsim(t, b, args...)
			p.advance(t, 8*time.Hour) // past the CLI's cursor
			want := p.fleet(t, acc)
			if d := shownDiffs(t, b, common, want); len(d) == 0 {
				t.Fatal("the cache already equals the restarted backend: a useless probe")
			}
			stderr := sync("full")
			if !strings.Contains(stderr, "The fleet backend was restarted") {
				t.Errorf("the full sync did not say why: %q", stderr)
			}
			if d := shownDiffs(t, b, common, want); len(d) > 0 {
				t.Fatalf("after one sync %d units differ from the backend: %v", len(d), d)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
