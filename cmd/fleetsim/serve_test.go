package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/api"
)

func buildFleetsim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fleetsim")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// `fleetsim serve` as a real process: one JSON ready line on stdout, a working backend at its
// URL, logs on stderr, a clean exit on SIGTERM; and non-loopback addresses refused.
func TestServeProcess(t *testing.T) {
	bin := buildFleetsim(t)
	db := filepath.Join(t.TempDir(), "sim.db")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--devices", "120", "--dealers", "2", "--seed", "5", "--speed", "10", "--db", db)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var ready struct {
		URL      string `json:"url"`
		Accounts []struct {
			Email, Password, Role, Dealer string
		} `json:"accounts"`
	}
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &ready); err != nil {
			t.Fatalf("ready line %q: %v", line, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no ready line; stderr: %s", stderr.String())
	}
	if !strings.HasPrefix(ready.URL, "http://127.0.0.1:") || len(ready.Accounts) != 3 {
		t.Fatalf("ready = %+v", ready)
	}
	if ready.Accounts[2].Role != "admin" || ready.Accounts[0].Role != "dealer" || ready.Accounts[0].Dealer == "" {
		t.Errorf("accounts = %+v", ready.Accounts)
	}
	body, _ := json.Marshal(api.LoginRequest{Email: ready.Accounts[0].Email, Password: ready.Accounts[0].Password})
	resp, err := http.Post(ready.URL+api.PathLogin, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tp api.TokenPair
	json.NewDecoder(resp.Body).Decode(&tp)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", ready.URL+api.PathDevices, nil)
	req.Header.Set("Authorization", "Bearer "+tp.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page api.DevicePage
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if resp.StatusCode != 200 || page.Total == 0 || page.Total >= 120 || len(page.Devices) != page.Total {
		t.Fatalf("dealer listing: %d, total %d, %d devices", resp.StatusCode, page.Total, len(page.Devices))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
	if _, more := <-lines; more {
		t.Error("more than one line on stdout")
	}
	if strings.Contains(stderr.String(), ready.Accounts[0].Password) || strings.Contains(stderr.String(), tp.AccessToken) {
		t.Error("a secret reached the log")
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		t.Errorf("database not written: %v", err)
	}

	// --clock-offset: the backend's clock, in its Date header and its log, runs hours from ours.
	off := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--devices", "20", "--dealers", "1", "--clock-offset", "-3h")
	offOut, err := off.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var offErr bytes.Buffer
	off.Stderr = &offErr
	if err := off.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { off.Process.Kill(); off.Wait() }()
	sc := bufio.NewScanner(offOut)
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &ready) != nil {
		t.Fatalf("--clock-offset: no ready line; stderr: %s", offErr.String())
	}
	resp, err = http.Get(ready.URL + api.PathMe)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if d := time.Since(date) - 3*time.Hour; err != nil || d < -5*time.Second || d > 5*time.Second {
		t.Errorf("--clock-offset -3h: Date %q is %s from ours (%v)", resp.Header.Get("Date"), time.Since(date), err)
	}
	if resp.Header.Get(api.HeaderBackendState) == "" {
		t.Errorf("no %s header", api.HeaderBackendState)
	}
	if out, err := exec.Command(bin, "serve", "--clock-offset", "9000h").CombinedOutput(); err == nil || !strings.Contains(string(out), "clock offset") {
		t.Errorf("serve --clock-offset 9000h: %v, %s", err, out)
	}

	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:8080", ":8080", "example.com:80"} {
		out, err := exec.Command(bin, "serve", "--addr", addr).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "loopback") {
			t.Errorf("serve --addr %s: %v, %s", addr, err, out)
		}
	}
}
