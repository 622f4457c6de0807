package ui

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCheckSignIn(t *testing.T) {
	for _, c := range []struct{ u, e, p, want string }{
		{"https://fleet.example.com", "a@b.c", "pw", ""},
		{"http://127.0.0.1:8080", "a@b.c", "pw", ""},
		{"fleet.example.com", "a@b.c", "pw", "not a URL"},
		{"https://", "a@b.c", "pw", "not a URL"},
		{"https://x", "@b.c", "pw", "not an email"},
		{"https://x", "a@", "pw", "not an email"},
		{"https://x", "", "pw", "enter your email"},
		// One rule with the data layer (session.CheckBackendURL): passwords never go out in the clear.
		{"http://fleet.example.com", "a@b.c", "pw", "must start with https://"},
		{"https://user:pw@fleet.example.com", "a@b.c", "pw", "user name or password"},
	} {
		err := CheckSignIn(c.u, c.e, c.p)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q %q: %v, want %q", c.u, c.e, err, c.want)
		}
	}
}

// FuzzCheckSignIn: any text in the sign-in form gets an answer (never a panic), and an accepted
// form has an http(s) URL with a host and an email with something on both sides of the @.
func FuzzCheckSignIn(f *testing.F) {
	f.Add("https://fleet.example.com", "a@b.c", "pw")
	f.Add("http://[::1", "@", "")
	f.Add("https://%zz", "x@y", "p")
	f.Fuzz(func(t *testing.T, u, e, p string) {
		if err := CheckSignIn(u, e, p); err == nil {
			pu, perr := url.Parse(strings.TrimSpace(u))
			at := strings.IndexByte(strings.TrimSpace(e), '@')
			if perr != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") || at <= 0 || p == "" {
				t.Fatalf("accepted %q %q", u, e)
			}
		}
	})
}

func TestOfflineSinceText(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, time.Local)
	for _, c := range []struct {
		since time.Time
		want  string
	}{
		{time.Time{}, "Offline"},
		{now.Add(-2 * time.Hour), "Offline since 14:00"},
		{now.Add(-26 * time.Hour), "Offline since 24 Nov 14:00"},
	} {
		if got := OfflineSinceText(now, c.since); got != c.want {
			t.Errorf("%v: %q, want %q", c.since, got, c.want)
		}
	}
}
