package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// staticTokens is a TokenSource over a fixed token, counting invalidations.
type staticTokens struct {
	mu          sync.Mutex
	tok         string
	next        string
	invalidated int
}

func (s *staticTokens) AccessToken(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func (s *staticTokens) Invalidate(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated++
	if s.next != "" {
		s.tok = s.next
	}
}

func newTestClient(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 5 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 2 * time.Second
	}
	c, err := New(url, &staticTokens{tok: "tok-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// TestClientRefusesAPlainRemoteURL: the client itself applies session.CheckBackendURL.
func TestClientRefusesAPlainRemoteURL(t *testing.T) {
	if _, err := New("http://fleet.example.com", nil, Options{}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("New over plain http to a remote host: %v", err)
	}
}

func TestDevicesDecodesAndSendsAuth(t *testing.T) {
	var gotAuth, gotSince, gotLimit string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotSince, gotLimit = r.Header.Get("Authorization"), r.URL.Query().Get("since"), r.URL.Query().Get("limit")
		_ = json.NewEncoder(w).Encode(DevicePage{Devices: []fleet.Device{{ID: "GEN-1", Model: fleet.ModelD100}}, NextCursor: "c2", HasMore: true, Total: 7})
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, Options{})
	p, err := c.Devices(context.Background(), "c1", 50)
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer tok-1" || gotSince != "c1" || gotLimit != "50" {
		t.Errorf("request: auth %q since %q limit %q", gotAuth, gotSince, gotLimit)
	}
	if len(p.Devices) != 1 || p.Devices[0].ID != "GEN-1" || p.NextCursor != "c2" || !p.HasMore || p.Total != 7 {
		t.Errorf("page = %+v", p)
	}
}

// TestFaults runs the client against a server that misbehaves in every way the issue names and
// checks each failure is a clear error naming the endpoint, of the right kind, and quick.
func TestFaults(t *testing.T) {
	type fault struct {
		name    string
		handler http.HandlerFunc
		kind    Kind
		status  int
		want    string // in the message
	}
	big := strings.Repeat("x", 4096)
	faults := []fault{
		{"garbage", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>proxy error</html>") },
			KindBadResponse, 200, "malformed JSON"},
		{"truncated", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			fmt.Fprint(w, `{"devices":[{"id":"GEN-1"`)
		}, KindBadResponse, 200, "cut short"},
		{"truncated-json", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"devices":[{"id":"GEN-1"`) },
			KindBadResponse, 200, "malformed JSON"},
		{"wrong-type", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"devices":"all of them","total":"many"}`)
		},
			KindBadResponse, 200, "cannot unmarshal"},
		{"no-id", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"devices":[{"name":"x"}]}`) },
			KindBadResponse, 200, "no id"},
		{"trailing", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"devices":[]} {"devices":[]}`) },
			KindBadResponse, 200, "after the JSON"},
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"devices":[{"id":"`)
			for i := 0; i < 100; i++ {
				fmt.Fprint(w, big)
			}
			fmt.Fprint(w, `"}]}`)
		}, KindBadResponse, 200, "larger than"},
		{"endless", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"devices":[`)
			for r.Context().Err() == nil {
				if _, err := fmt.Fprint(w, `{"id":"GEN-1"},`); err != nil {
					return
				}
			}
		}, KindBadResponse, 200, "larger than"},
		{"500", func(w http.ResponseWriter, r *http.Request) { writeErr(w, 500, CodeInternal, "database on fire") },
			KindServer, 500, "database on fire"},
		{"502-html", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<h1>Bad gateway</h1>")
		},
			KindServer, 502, "no error details"},
		{"hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, KindOffline, 0, "no answer within"},
		{"hang-mid-body", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"devices":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, KindOffline, 200, "timed out"},
		{"403", func(w http.ResponseWriter, r *http.Request) { writeErr(w, 403, CodeForbidden, "outside your scope") },
			KindForbidden, 403, "outside your scope"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				f.handler(w, r)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, Options{Timeout: 300 * time.Millisecond, MaxBody: 64 << 10, MaxAttempts: 3})
			// The fault must end the call on its own (timeouts, tries): a minute's deadline turns
			// a client that waits for ever into a failure, with no bound on a loaded machine's time.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := c.Devices(ctx, "", 0)
			if err == nil {
				t.Fatal("no error")
			}
			if ctx.Err() != nil {
				t.Fatalf("the call ended only by the test's deadline: %v", err)
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not *api.Error", err, err)
			}
			if ae.Kind != f.kind || ae.Status != f.status {
				t.Errorf("kind %v status %d; want %v %d (%v)", ae.Kind, ae.Status, f.kind, f.status, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "GET /v1/devices") || !strings.Contains(msg, f.want) {
				t.Errorf("message %q does not name the endpoint and %q", msg, f.want)
			}
			// Retried only when another try could help.
			retry := f.kind == KindOffline || f.kind == KindServer || f.name == "truncated"
			tries := int32(3)
			if f.name == "hang" {
				tries = 2 // no answer at all: Options.MaxSilent (default 2) tries, not MaxAttempts
			}
			if n := hits.Load(); retry && n != tries || !retry && n != 1 {
				t.Errorf("server was hit %d times", n)
			}
		})
	}
}

func TestRetryAfterAndRecovery(t *testing.T) {
	var hits atomic.Int32
	var times []time.Time
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		switch hits.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "1")
			writeErr(w, 429, CodeRateLimited, "slow down")
		case 2:
			writeErr(w, 503, CodeInternal, "restarting")
		default:
			fmt.Fprint(w, `{"releases":[{"id":"r1","console":"unified"}]}`)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, Options{})
	rel, err := c.Releases(context.Background(), fleet.ConsoleUnified)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel) != 1 || rel[0].ID != "r1" || hits.Load() != 3 {
		t.Fatalf("releases %v after %d hits", rel, hits.Load())
	}
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("Retry-After: 1 was not honoured: retried after %s", gap)
	}

	// A Retry-After longer than the caller should wait ends the call with a rate-limit error.
	// It asks once and does not wait: had it slept the hour, the minute's deadline would end the
	// call with a context error instead (no wall-clock bound: a loaded machine is no failure).
	var asked atomic.Int32
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Retry-After", "3600")
		writeErr(w, 429, CodeRateLimited, "come back in an hour")
	}))
	defer srv2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = newTestClient(t, srv2.URL, Options{}).Rollouts(ctx)
	if KindOf(err) != KindRateLimited || CodeOf(err) != CodeRateLimited || ctx.Err() != nil || asked.Load() != 1 {
		t.Errorf("long Retry-After: %v (context %v) after %d requests", err, ctx.Err(), asked.Load())
	}
}

func TestCommandIdempotencyKeyAndNoRetryForUnsafePosts(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get(HeaderIdempotencyKey))
		n := len(keys)
		mu.Unlock()
		if n < 3 {
			writeErr(w, 502, CodeInternal, "gateway")
			return
		}
		var req CommandRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(fleet.Command{ID: "cmd-1", DeviceID: "GEN-1", Action: req.Action, Status: fleet.CommandQueued})
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, Options{})
	key := NewIdempotencyKey()
	cmd, err := c.SendCommand(context.Background(), "GEN-1", CommandRequest{Action: fleet.ActionReboot}, key)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.ID != "cmd-1" || cmd.Action != fleet.ActionReboot {
		t.Errorf("command %+v", cmd)
	}
	if len(keys) != 3 || keys[0] != key || keys[1] != key || keys[2] != key {
		t.Errorf("keys sent %q; want the same key %q three times", keys, key)
	}
	if NewIdempotencyKey() == key {
		t.Error("two user actions got the same key")
	}

	// A rollout creation has no key: a 502 is returned at once rather than risking a second rollout.
	var hits atomic.Int32
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeErr(w, 502, CodeInternal, "gateway")
	}))
	defer srv2.Close()
	_, err = newTestClient(t, srv2.URL, Options{}).CreateRollout(context.Background(), rolloutReq())
	if KindOf(err) != KindServer || hits.Load() != 1 {
		t.Errorf("create rollout: %v, %d hits", err, hits.Load())
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			writeErr(w, 401, CodeUnauthorized, "token expired")
			return
		}
		fmt.Fprint(w, `{"id":"u1","email":"d@example.com","role":"dealer","dealer":"D1"}`)
	}))
	defer srv.Close()
	ts := &staticTokens{tok: "tok-1", next: "tok-2"}
	c, err := New(srv.URL, ts, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil || me.Dealer != "D1" || ts.invalidated != 1 || hits.Load() != 2 {
		t.Fatalf("me %+v err %v invalidated %d hits %d", me, err, ts.invalidated, hits.Load())
	}
	// A token that stays refused gives an unauthorized error, after one re-try only.
	ts.next = ""
	ts.tok = "tok-bad"
	hits.Store(0)
	_, err = c.Me(context.Background())
	if !IsUnauthorized(err) || CodeOf(err) != CodeUnauthorized || hits.Load() != 2 {
		t.Errorf("refused token: %v after %d hits", err, hits.Load())
	}
}

func TestOfflineIsOffline(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c := newTestClient(t, url, Options{MaxAttempts: 2})
	_, err := c.Tokens(context.Background())
	if !IsOffline(err) || !strings.Contains(err.Error(), "GET /v1/tokens") || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("err = %v", err)
	}
	// Cancelling the caller's context stops retries at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Tokens(ctx); err == nil {
		t.Error("cancelled call succeeded")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{"0": 0, "7": 7 * time.Second, " 120 ": 2 * time.Minute,
		now.Add(30 * time.Second).Format(time.RFC1123): 30 * time.Second, "99999999999": 24 * time.Hour,
		"Wed, 01 Oct 2200 00:00:00 GMT": 24 * time.Hour, now.Add(-time.Hour).Format(time.RFC1123): 0}
	for in, want := range cases {
		if got, ok := ParseRetryAfter(in, now); !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := ParseRetryAfter(bad, now); ok {
			t.Errorf("ParseRetryAfter(%q) accepted", bad)
		}
	}
}

func rolloutReq() rollout.CreateRequest {
	return rollout.CreateRequest{Console: fleet.ConsoleUnified, ReleaseID: "r1", Model: fleet.ModelD100,
		Transport: fleet.TransportGSM, Target: rollout.TargetMyFleet, Threshold: rollout.DefaultThreshold}
}
