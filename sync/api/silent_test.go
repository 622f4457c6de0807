package api

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// silentBackend accepts connections on 127.0.0.1 and never answers; it counts the connections.
func silentBackend(t *testing.T) (url string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c) // held open, never read or written
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), accepted
}

// A backend that accepts the connection and never answers costs a retried call MaxSilent
// attempts of AnswerTimeout each, not MaxAttempts of Timeout: the call gives up by itself, well
// before the test's own (generous) deadline, with an error that says what happened.
func TestSilentBackendGivesUpAfterMaxSilent(t *testing.T) {
	url, accepted := silentBackend(t)
	c, err := New(url, &staticTokens{tok: "tok-1"}, Options{AnswerTimeout: 150 * time.Millisecond, Timeout: time.Hour,
		MaxAttempts: 6, MaxSilent: 2, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = c.Releases(ctx, "")
	if err == nil {
		t.Fatal("a silent backend answered")
	}
	if ctx.Err() != nil {
		t.Fatalf("the call waited for the caller's deadline instead of giving up: %v", err)
	}
	if !IsOffline(err) || !strings.Contains(err.Error(), "not answering") {
		t.Fatalf("error %q (kind %v): want offline, \"not answering\"", err, KindOf(err))
	}
	if n := accepted.Load(); n != 2 {
		t.Fatalf("%d attempts reached the backend, want MaxSilent = 2", n)
	}
}
