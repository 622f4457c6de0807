package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSyncGivesUpOnSilentBackend: a backend that accepts the connection and never answers makes
// `fleetdesk sync` give up by itself with a message that says so. With the client's defaults the
// wait is bounded by construction (an answer timeout of 10 s per attempt, at most two silent
// attempts per call, and a sync stops at its first unreachable call): well inside 30 s. The
// test's own deadline is only a generous backstop that turns a hang into a failure.
func TestSyncGivesUpOnSilentBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the real 10 s answer timeout")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // kept open, never answered
		}
	}()
	defer func() {
		ln.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	dir := t.TempDir()
	args := []string{"sync", "--backend", "http://" + ln.Addr().String(), "--email", "dealer@example.com",
		"--profile", "silent", "--config", filepath.Join(dir, "config.json"), "--cache-dir", filepath.Join(dir, "cache")}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := runCmd(t, "pw\n", args...)
		done <- result{code, stdout, stderr}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.stderr, "not answering") {
			t.Fatalf("sync against a silent backend: exit %d, stderr %q", r.code, r.stderr)
		}
	case <-ctx.Done():
		t.Fatal("sync against a silent backend did not give up")
	}
}
