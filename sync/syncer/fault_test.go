package syncer

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
)

// TestSyncFaultsLeaveCacheUntouched syncs a fleet, then lets the backend misbehave in every way
// the issue lists while a delta is due: each sync fails with a clear error naming the endpoint,
// and the cache (devices, cursor, last sync) is exactly what it was.
func TestSyncFaultsLeaveCacheUntouched(t *testing.T) {
	const n = 3000
	fx := newFixture(t, n, func(g int) (int, int) { return 0, n })
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: fx.url, Profile: "f", CacheDir: dir, Email: "dealer@fixture.example", Password: "fixture-pw",
		Store: &auth.Memory{}, Manual: true, PageSize: 500,
		// A hung backend is cut by the wait for its first byte (AnswerTimeout), which a good page
		// meets as soon as the fixture starts writing it; reading a whole page keeps the default
		// Timeout, so a loaded machine under -race is never cut short mid-page (a 300 ms Timeout for
		// everything failed the first sync that way).
		API: api.Options{AnswerTimeout: 2 * time.Second, MaxAttempts: 2, BaseBackoff: time.Millisecond, MaxBody: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := s.cache.LoadDevices(ctx)
	stBefore, _ := s.cache.SyncState(ctx)
	fx.advance()

	type fault = func(w http.ResponseWriter, r *http.Request, off int) bool
	faults := map[string]fault{
		"garbage": func(w http.ResponseWriter, r *http.Request, off int) bool {
			fmt.Fprint(w, "\x00\x01garbage")
			return true
		},
		"truncated": func(w http.ResponseWriter, r *http.Request, off int) bool {
			w.Header().Set("Content-Length", "5000")
			fmt.Fprint(w, `{"devices":[{"id":"FX-000001","firmware_version":"evil"`)
			return true
		},
		"wrong-type": func(w http.ResponseWriter, r *http.Request, off int) bool {
			fmt.Fprint(w, `{"devices":[{"id":"FX-000001","online":"yes"}],"has_more":false}`)
			return true
		},
		"endless": func(w http.ResponseWriter, r *http.Request, off int) bool {
			fmt.Fprint(w, `{"devices":[`)
			for r.Context().Err() == nil {
				if _, err := fmt.Fprint(w, `{"id":"FX-000001","firmware_version":"evil"},`); err != nil {
					break
				}
			}
			return true
		},
		"500": func(w http.ResponseWriter, r *http.Request, off int) bool {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":{"code":"internal","message":"boom"}}`)
			return true
		},
		"hang": func(w http.ResponseWriter, r *http.Request, off int) bool { <-r.Context().Done(); return true },
		// The first pages are good, then garbage: the good pages stay, matched by the cursor.
		"garbage-on-page-3": func(w http.ResponseWriter, r *http.Request, off int) bool {
			if off < 1000 {
				return false
			}
			fmt.Fprint(w, "<html>oops</html>")
			return true
		},
	}
	// The partial-success case runs last: it moves the cursor on.
	for _, name := range []string{"garbage", "truncated", "wrong-type", "endless", "500", "hang", "garbage-on-page-3"} {
		t.Run(name, func(t *testing.T) {
			fx.setFault(faults[name])
			defer fx.setFault(nil)
			// The fault must end the sync on its own; a minute's deadline turns a sync that waits
			// for ever into a failure, with no bound on a loaded machine's time.
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, err := s.Sync(sctx, nil)
			if err == nil {
				t.Fatal("sync succeeded against a broken backend")
			}
			if sctx.Err() != nil {
				t.Fatalf("the sync ended only by the test's deadline: %v", err)
			}
			if !strings.Contains(err.Error(), "GET /v1/devices") {
				t.Errorf("error does not name the endpoint: %v", err)
			}
			after, _ := s.cache.LoadDevices(ctx)
			st, _ := s.cache.SyncState(ctx)
			if name == "garbage-on-page-3" {
				if st.Cursor == stBefore.Cursor || !strings.HasSuffix(st.Cursor, ".1000") {
					t.Errorf("cursor after two good pages: %q", st.Cursor)
				}
				return
			}
			if st != stBefore {
				t.Errorf("sync state changed: %+v -> %+v", stBefore, st)
			}
			if len(after) != len(before) {
				t.Fatalf("%d devices, had %d", len(after), len(before))
			}
			for i := range before {
				if !sameDevice(before[i], after[i]) {
					t.Fatalf("device %s changed: %+v", before[i].ID, after[i])
				}
			}
			if s.Status().Reachable && name != "wrong-type" {
				t.Errorf("status still online after %s", name)
			}
		})
	}
}

// TestNoSecretsOnDisk runs a session against the simulator (sign-in, sync, a token issued, a
// command sent), saves the profile the way `fleetdesk login` does, then greps every file left
// behind for the password, the access and refresh tokens and the issued token's secret.
func TestNoSecretsOnDisk(t *testing.T) {
	srv := startSim(t, 200)
	acc := testsim.Dealer(t, srv)
	dir := t.TempDir()
	store := &auth.Memory{}
	ctx := context.Background()
	s, err := Open(ctx, Options{BackendURL: srv.URL, Profile: "sec", CacheDir: filepath.Join(dir, "cache"), Email: acc.Email, Password: acc.Password,
		Store: store, Manual: true, API: fastAPI()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	access, err := s.auth.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := store.Get(auth.Account("sec"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"password": acc.Password, "access token": access, "refresh token": refresh}
	users, err := s.Users(ctx)
	if err != nil || len(users) == 0 {
		t.Fatalf("users %v %v", users, err)
	}
	created, err := s.CreateToken(ctx, token.CreateRequest{UserID: users[0].ID, Name: "dashboard", Access: token.AccessReadOnly, ExpiresAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if created.Secret == "" {
		t.Fatal("no token secret returned")
	}
	secrets["issued token secret"] = created.Secret
	if list, _ := s.ListTokens(ctx); len(list) == 0 {
		t.Error("issued token metadata was not cached")
	}
	cfgPath := filepath.Join(dir, "config", "config.json")
	cfg := Config{Current: "sec", Profiles: map[string]Profile{"sec": {Backend: srv.URL, Email: acc.Email}}}
	if err := cfg.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	// Grep while the session is open (the WAL holds the latest writes) and after closing.
	grepTree(t, dir, secrets)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	grepTree(t, dir, secrets)
}

func grepTree(t *testing.T, dir string, secrets map[string]string) {
	t.Helper()
	files := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("reading %s: %v", p, err)
			return nil
		}
		for what, v := range secrets {
			if len(v) >= 6 && strings.Contains(string(b), v) {
				t.Errorf("%s contains the %s", p, what)
			}
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("only %d files to grep", files)
	}
}
