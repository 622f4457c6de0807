// Package auth signs FleetDesk in to a fleet backend and keeps it signed in: the refresh token
// lives in the OS keyring (one entry per backend profile), the short-lived access token only in
// memory, and it is refreshed before it expires. Nothing secret is ever written to a file, a log
// or an error message.
package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fleetdesk/fleetdesk/sync/api"
)

// ErrNotSignedIn means there is no session for the profile: run `fleetdesk login` (or sign in
// from the app).
var ErrNotSignedIn error = notSignedIn{}

type notSignedIn struct{}

func (notSignedIn) Error() string { return "not signed in" }

// DealerMessage is the dealer's words for it (words.Describe).
func (notSignedIn) DealerMessage() string { return "You are not signed in: sign in to sync" }

// Account is the keyring account a profile's refresh token is filed under.
func Account(profile string) string { return "profile:" + profile }

// Credentials are one signed-in profile's tokens: the access token in memory, the refresh token
// in the OS keyring, refreshed under a per-profile lock. It implements api.TokenSource.
type Credentials struct {
	client  *api.Client // unauthenticated: sign-in and refresh only
	store   Store
	profile string
	now     func() time.Time

	mu       sync.Mutex
	access   string
	expires  time.Time
	lifetime time.Duration
	refresh  string
	notice   string
	lock     *fileLock // serialises refreshes across processes; nil: this process only
	ended    error     // why the backend ended the sign-in, kept for later calls' errors
}

// New makes a signed-out session for profile. client is used only for sign-in, refresh and
// sign-out; store keeps the refresh token (DefaultStore for the OS keyring).
func New(client *api.Client, store Store, profile string) *Credentials {
	return &Credentials{client: client, store: store, profile: profile, now: time.Now}
}

// setClock replaces the clock (tests of the refresh timing).
func (s *Credentials) setClock(now func() time.Time) { s.now = now }

// SetLockFile names the file that serialises refreshing across every FleetDesk process of this
// profile (the window, a scheduled `fleetdesk sync`): sync/syncer puts it next to the profile's
// cache. Call it before the session is used.
func (s *Credentials) SetLockFile(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lock = &fileLock{path: path}
}

// Notice is news for the user about where the sign-in is kept, "" when all is normal.
func (s *Credentials) Notice() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notice
}

// SignIn signs in with email and password and remembers the refresh token. The password is not
// kept anywhere.
func (s *Credentials) SignIn(ctx context.Context, email, password string) error {
	tp, err := s.client.Login(ctx, email, password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = nil
	s.adopt(tp)
	return nil
}

// Resume restores the profile's session from the store, refreshing the access token. It returns
// ErrNotSignedIn when nothing is stored or the backend no longer accepts the stored token.
func (s *Credentials) Resume(ctx context.Context) error {
	rt, err := s.store.Get(Account(s.profile))
	if errors.Is(err, ErrNotFound) {
		return ErrNotSignedIn
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = rt
	_, err = s.refreshLocked(ctx)
	return err
}

// SignedIn reports whether the session holds a refresh token.
func (s *Credentials) SignedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh != "" || s.access != ""
}

// adopt takes a fresh token pair; s.mu is held.
func (s *Credentials) adopt(tp api.TokenPair) {
	s.access = tp.AccessToken
	s.lifetime = time.Duration(tp.ExpiresIn) * time.Second
	if s.lifetime <= 0 {
		s.lifetime = time.Minute
	}
	s.expires = s.now().Add(s.lifetime)
	if tp.RefreshToken != "" {
		s.refresh = tp.RefreshToken
		if err := s.store.Set(Account(s.profile), tp.RefreshToken); err != nil {
			// Say so plainly and keep the session in memory; never fall back to a file.
			s.notice = NoKeyringNotice
			s.store = &Memory{}
			_ = s.store.Set(Account(s.profile), tp.RefreshToken)
		}
	}
}

// refreshMargin is how long before expiry the access token is renewed: a fifth of its life, at
// most a minute, so a call never sets off with a token about to lapse.
func (s *Credentials) refreshMargin() time.Duration {
	m := s.lifetime / 5
	if m > time.Minute {
		m = time.Minute
	}
	return m
}

// AccessToken returns a valid access token, refreshing it first when it is close to expiry.
func (s *Credentials) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && s.now().Before(s.expires.Add(-s.refreshMargin())) {
		return s.access, nil
	}
	return s.refreshLocked(ctx)
}

// ExpiresAt is when the current access token lapses (zero when there is none).
func (s *Credentials) ExpiresAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access == "" {
		return time.Time{}
	}
	return s.expires
}

// refreshLocked renews the access token; s.mu is held. Refresh tokens are single-use, and other
// FleetDesk processes of the profile refresh too: under the profile's file lock it takes the
// newest refresh token from the store (another process may have rotated it), refreshes, and
// stores the new one before anyone else may refresh. A refused token is retried once with a
// newer one from the store before the sign-in is declared gone.
func (s *Credentials) refreshLocked(ctx context.Context) (string, error) {
	if s.lock != nil {
		release, err := s.lock.acquire(ctx)
		if err != nil {
			return "", &api.Error{Endpoint: "POST " + api.PathRefresh, Kind: api.KindOffline, Message: err.Error(), Err: err}
		}
		defer release()
	}
	acct := Account(s.profile)
	if rt, err := s.store.Get(acct); err == nil && rt != "" {
		s.refresh = rt
	}
	if s.refresh == "" {
		if s.ended != nil {
			return "", s.ended // the backend's refusal, not a vaguer "not signed in", stays the reason
		}
		return "", &api.Error{Endpoint: "POST " + api.PathRefresh, Kind: api.KindUnauthorized, Message: ErrNotSignedIn.Error(), Err: ErrNotSignedIn}
	}
	for tries := 0; ; tries++ {
		used := s.refresh
		tp, err := s.client.Refresh(ctx, used)
		if err == nil {
			s.adopt(tp)
			return s.access, nil
		}
		if k := api.KindOf(err); k != api.KindUnauthorized && k != api.KindForbidden {
			return "", err
		}
		// Refused. A process that does not take the lock (an older FleetDesk) may have rotated
		// the token meanwhile: try the store's newer one once before giving up.
		if rt, gerr := s.store.Get(acct); tries == 0 && gerr == nil && rt != "" && rt != used {
			s.refresh = rt
			continue
		}
		// The backend no longer accepts the refresh token: it is useless, forget it (unless
		// the store meanwhile holds another one, which is not ours to delete).
		s.access, s.refresh = "", ""
		if rt, gerr := s.store.Get(acct); gerr != nil || rt == used {
			_ = s.store.Delete(acct)
		}
		s.ended = &api.Error{Endpoint: "POST " + api.PathRefresh, Kind: api.KindUnauthorized, Status: 401,
			Message: "the session has expired: sign in again (" + err.Error() + ")", Err: ErrNotSignedIn}
		return "", s.ended
	}
}

// Invalidate drops the access token the backend refused, so the next call refreshes.
func (s *Credentials) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token == "" || token == s.access {
		s.access = ""
	}
}

// SignOut ends the session on the backend (best effort: offline is fine) and deletes the stored
// refresh token. The returned error reports only a failure to delete the local secret.
func (s *Credentials) SignOut(ctx context.Context) error {
	s.mu.Lock()
	rt := s.refresh
	if rt == "" {
		if v, err := s.store.Get(Account(s.profile)); err == nil {
			rt = v
		}
	}
	s.mu.Unlock()
	if rt != "" {
		authed := s.client.WithTokens(s)
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = authed.Logout(ctx, rt)
		cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access, s.refresh = "", ""
	if err := s.store.Delete(Account(s.profile)); err != nil {
		return fmt.Errorf("signing out: %w", err)
	}
	return nil
}

var _ api.TokenSource = (*Credentials)(nil)
