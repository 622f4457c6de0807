package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/words"
)

// TestDescribeSpeaksToTheDealer: the failures a dealer meets read as words, with the technical
// text kept as the detail (issue 11 item 15).
func TestDescribeSpeaksToTheDealer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case PathLogin:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"unauthorized","message":"bad credentials"}}`)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":"unavailable","message":"maintenance"}}`)
		}
	}))
	c, err := New(srv.URL, nil, Options{MaxAttempts: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, loginErr := c.Login(ctx, "a@b.c", "pw")
	pingErr := c.Ping(ctx, 5*time.Second)
	_, cutErr := c.Login(ctx, "a@b.c", "pw") // a kept-alive connection the server then drops
	srv.Close()
	fresh, err := New(srv.URL, nil, Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, refusedErr := fresh.Login(ctx, "a@b.c", "pw")
	_, cutErr = c.Login(ctx, "a@b.c", "pw")
	if d := words.Describe(cutErr); !strings.HasPrefix(d.Summary, "Can't reach the fleet backend") {
		t.Errorf("after the backend went away: %q", d.Summary)
	}

	for _, tc := range []struct {
		err           error
		summary, tech string
	}{
		{loginErr, "Wrong email or password", "POST /v1/auth/login: HTTP 401"},
		{pingErr, "The fleet backend has a problem (HTTP 503): try again later", "GET /v1/me"},
		{refusedErr, "Can't reach the fleet backend (connection refused)", "dial tcp"},
		{&Error{Endpoint: "GET /v1/devices", Kind: KindUnauthorized, Status: 401}, "Your sign-in has expired: sign in again", "HTTP 401"},
		{fmt.Errorf("opening: %w", context.DeadlineExceeded), "The fleet backend did not answer in time", "deadline"},
		{errors.New("writing page: database is locked (5) (SQLITE_BUSY)"), "Another FleetDesk is syncing this profile: try again in a moment", "SQLITE_BUSY"},
	} {
		d := words.Describe(tc.err)
		if d.Summary != tc.summary || !strings.Contains(d.Detail, tc.tech) {
			t.Errorf("%v:\n got %q / %q\nwant %q / detail with %q", tc.err, d.Summary, d.Detail, tc.summary, tc.tech)
		}
		if strings.Contains(d.Summary, "/v1/") || strings.Contains(d.Summary, "dial tcp") {
			t.Errorf("summary %q carries technical text", d.Summary)
		}
	}
	// The sign-in's own words stay under a failed refresh: the call's kind speaks first.
	wrapped := &Error{Endpoint: "POST " + PathRefresh, Kind: KindUnauthorized, Status: 401, Err: dealerErr{}}
	if d := words.Describe(fmt.Errorf("sync: %w", wrapped)); d.Summary != "Your sign-in has expired: sign in again" {
		t.Errorf("a backend refusal wrapping a DealerError: %+v", d)
	}
}

type dealerErr struct{}

func (dealerErr) Error() string         { return "busy" }
func (dealerErr) DealerMessage() string { return "Another FleetDesk is syncing" }
