package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/zalando/go-keyring"
)

// requireKeyring returns the real OS keyring under a throwaway service name. Without a reachable
// Secret Service it fails wherever a skip would hide a broken setup (CI, or FLEETDESK_REQUIRE_KEYRING
// as scripts/with-keyring.sh sets it) and skips, saying why, only elsewhere.
func requireKeyring(t *testing.T) Keyring {
	t.Helper()
	if mocked {
		// The tests that mock run in a child process (inMockChild), so this is a new test that
		// mocked in this one: go-keyring cannot be un-mocked, and skipping would hide the real one.
		t.Fatal("go-keyring's mock replaced the real provider in this process: a test that mocks must run through inMockChild")
	}
	k := Keyring{Service: fmt.Sprintf("FleetDesk-test-%d", time.Now().UnixNano())}
	if err := k.Probe(); err != nil {
		if os.Getenv("FLEETDESK_REQUIRE_KEYRING") != "" || os.Getenv("CI") != "" {
			t.Fatalf("the OS keyring is required here (FLEETDESK_REQUIRE_KEYRING or CI is set) but unusable: %v", err)
		}
		t.Skipf("no Secret Service reachable (%v): run under scripts/with-keyring.sh (make test does), or set FLEETDESK_REQUIRE_KEYRING=1 to make this a failure", err)
	}
	return k
}

// mockChildEnv names the one test a re-executed test binary runs with go-keyring's mock.
const mockChildEnv = "FLEETDESK_AUTH_MOCK_TEST"

// inMockChild runs the calling test in a child process (this test binary, re-executed for that
// test alone) and reports whether this is the child, where it may mock go-keyring. The mock is
// process-wide and cannot be undone, so in the parent it would turn every later real-keyring test
// into a test of the mock.
func inMockChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(mockChildEnv) == t.Name() {
		mocked = true
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), mockChildEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s in its own process: %v\n%s", t.Name(), err, out)
	}
	return false
}

// mocked is set once a test swapped go-keyring's provider for its mock, which cannot be undone.
var mocked bool

func startSim(t *testing.T, ttl time.Duration) (*sim.Server, sim.Account) {
	t.Helper()
	return testsim.Start(context.Background(), t, sim.Config{Devices: 20, Dealers: 1, Seed: 3, AccessTTL: ttl})
}

func client(t *testing.T, url string) *api.Client {
	c, err := api.New(url, nil, api.Options{Timeout: 5 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRealKeyringRoundTrip(t *testing.T) {
	k := requireKeyring(t)
	if _, err := k.Get("acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := k.Set("acct", "s3cret-value"); err != nil {
		t.Fatal(err)
	}
	if v, err := k.Get("acct"); err != nil || v != "s3cret-value" {
		t.Fatalf("get %q %v", v, err)
	}
	if err := k.Delete("acct"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete("acct"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := k.Get("acct"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// TestSignInResumeSignOutWithRealKeyring is the whole life of a saved sign-in against the
// simulated backend: the refresh token goes to the OS keyring, a new process resumes from it,
// sign-out deletes it and ends it on the backend.
func TestSignInResumeSignOutWithRealKeyring(t *testing.T) {
	k := requireKeyring(t)
	srv, acc := startSim(t, 15*time.Minute)
	c := client(t, srv.URL)
	s := New(c, k, "work")
	if err := s.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	if s.Notice() != "" {
		t.Errorf("notice with a working keyring: %q", s.Notice())
	}
	saved, err := k.Get(Account("work"))
	if err != nil || saved == "" {
		t.Fatalf("refresh token not in the keyring: %v", err)
	}
	if saved == acc.Password {
		t.Fatal("the password was stored")
	}
	me, err := c.WithTokens(s).Me(context.Background())
	if err != nil || me.Email != acc.Email {
		t.Fatalf("me %+v %v", me, err)
	}

	// "Restart": a new session resumes from the keyring, and the rotated refresh token is saved.
	s2 := New(c, k, "work")
	if err := s2.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	rotated, _ := k.Get(Account("work"))
	if rotated == saved {
		t.Error("the single-use refresh token was not replaced after refresh")
	}
	if _, err := c.WithTokens(s2).Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Profiles are separate entries.
	if _, err := k.Get(Account("other")); !errors.Is(err, ErrNotFound) {
		t.Errorf("other profile: %v", err)
	}

	if err := s2.SignOut(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(Account("work")); !errors.Is(err, ErrNotFound) {
		t.Errorf("sign-out left the secret: %v", err)
	}
	// The backend ended the session too: the old refresh token no longer works.
	if _, err := c.Refresh(context.Background(), rotated); !api.IsUnauthorized(err) {
		t.Errorf("refresh after sign-out: %v", err)
	}
	if err := New(c, k, "work").Resume(context.Background()); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("resume after sign-out: %v", err)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	srv, acc := startSim(t, 10*time.Minute)
	c := client(t, srv.URL)
	store := &Memory{}
	s := New(c, store, "p")
	now := time.Now()
	s.setClock(func() time.Time { return now })
	if err := s.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	t1, _ := s.AccessToken(context.Background())
	exp := s.ExpiresAt()
	if d := exp.Sub(now); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("expiry %s away", d)
	}
	// Well before expiry: same token, no refresh.
	now = now.Add(5 * time.Minute)
	if t2, _ := s.AccessToken(context.Background()); t2 != t1 {
		t.Error("refreshed too early")
	}
	// Within the last minute: refreshed before it lapses, and the new token works.
	now = exp.Add(-30 * time.Second)
	t3, err := s.AccessToken(context.Background())
	if err != nil || t3 == t1 {
		t.Fatalf("not refreshed before expiry: %v", err)
	}
	if _, err := c.WithTokens(s).Me(context.Background()); err != nil {
		t.Errorf("refreshed token refused: %v", err)
	}
	// A refresh token the backend refuses is forgotten, and the error says to sign in again.
	store.Set(Account("p"), "rt-bogus")
	s2 := New(c, store, "p")
	err = s2.Resume(context.Background())
	if !api.IsUnauthorized(err) || !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("bogus refresh token: %v", err)
	}
	if _, err := store.Get(Account("p")); !errors.Is(err, ErrNotFound) {
		t.Error("a refused refresh token was kept")
	}
}

func TestWrongPassword(t *testing.T) {
	srv, acc := startSim(t, time.Minute)
	store := &Memory{}
	s := New(client(t, srv.URL), store, "p")
	err := s.SignIn(context.Background(), acc.Email, "not-"+acc.Password)
	if !api.IsUnauthorized(err) {
		t.Fatalf("wrong password: %v", err)
	}
	if s.SignedIn() {
		t.Error("signed in after a refusal")
	}
	if _, err := store.Get(Account("p")); !errors.Is(err, ErrNotFound) {
		t.Error("something was stored")
	}
}

// TestNoKeyringKeepsSessionInMemory uses go-keyring's mock (through the Store seam) for the error
// path a machine without Secret Service takes: the sign-in works, nothing is written anywhere, and
// the user is told.
func TestNoKeyringKeepsSessionInMemory(t *testing.T) {
	if !inMockChild(t) {
		return
	}
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown: no secret service"))
	t.Cleanup(keyring.MockInit)
	store, notice := DefaultStore()
	if store.Persistent() || notice != NoKeyringNotice {
		t.Fatalf("DefaultStore without a keyring: persistent %v, notice %q", store.Persistent(), notice)
	}
	srv, acc := startSim(t, time.Minute)
	c := client(t, srv.URL)
	// Even handed the broken keyring directly, the session keeps working in memory.
	s := New(c, Keyring{}, "p")
	if err := s.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	if s.Notice() != NoKeyringNotice {
		t.Errorf("notice %q", s.Notice())
	}
	if _, err := c.WithTokens(s).Me(context.Background()); err != nil {
		t.Errorf("in-memory session: %v", err)
	}
	// A resume in a new process has nothing to resume from, and says why.
	if err := New(c, Keyring{}, "p").Resume(context.Background()); err == nil || errors.Is(err, ErrNotSignedIn) {
		t.Errorf("resume with a broken keyring: %v", err)
	}
}

func TestMockKeyringDelete(t *testing.T) {
	if !inMockChild(t) {
		return
	}
	keyring.MockInit()
	k := Keyring{}
	if err := k.Probe(); err != nil {
		t.Fatal(err)
	}
	k.Set("a", "b")
	if err := k.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete("a"); err != nil {
		t.Errorf("deleting a missing secret: %v", err)
	}
}
