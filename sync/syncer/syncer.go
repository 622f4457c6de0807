// Package syncer keeps the offline cache current and is the data layer the screens use: it
// implements session.Session over the backend client (sync/api), the sign-in (sync/auth) and the
// cache (sync/cache). The first run pages through the whole fleet with progress; after that it asks
// for deltas by cursor on an interval and at once on SyncNow. When the backend cannot be reached it
// switches to offline mode, keeps serving the cache, retries with backoff and comes back by itself.
// Fleet() is an in-memory fleet.Index patched on every change, so a search keystroke never touches
// SQLite. Listeners get session.Change values on the sync goroutine; nothing here touches widgets.
package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "default"

// ErrOffline is returned by actions that need the backend while FleetDesk is offline or opened
// from the cache alone.
var ErrOffline = errors.New("FleetDesk is offline: this needs the backend")

// Options say which backend and cache to use and how to sign in.
type Options struct {
	BackendURL string // https://..., or http://127.0.0.1:port for a local simulated backend
	Profile    string // default "default"
	CacheDir   string // "" for the user's cache directory (os.UserCacheDir()/fleetdesk)

	// Email and Password sign in afresh (the demo session, the login command, tests). When empty
	// the profile's saved sign-in is resumed from Store.
	Email    string
	Password string
	// Store keeps the refresh token; nil means the OS keyring, or memory only (with a notice) when
	// no keyring is reachable.
	Store auth.Store

	Interval time.Duration // delta sync interval; default 30 s
	PageSize int           // devices per page; default 1000
	// Manual turns the background loop off: syncs run only when Sync is called (headless
	// commands, tests, benchmarks).
	Manual bool
	// Demo: the embedded simulated backend, shown in the status. Its session has a cache file of
	// its own (cache.DemoPath; Profile only names it) and keeps its sign-in in memory only.
	Demo bool

	// OfflineRetryMin and OfflineRetryMax bound the backoff between attempts while offline;
	// defaults 2 s and 1 min.
	OfflineRetryMin time.Duration
	OfflineRetryMax time.Duration
	// ExtrasEvery refreshes releases every this many cycles (rollouts and tokens every cycle);
	// default 10.
	ExtrasEvery int
	// HealthEvery is how often, between syncs, a short call checks that the backend still
	// answers, so a backend that goes away shows as Offline within seconds rather than at the
	// next sync; default 3 s, negative turns it off. HealthTimeout bounds one check; default 5 s.
	HealthEvery   time.Duration
	HealthTimeout time.Duration

	// Live updates (the backend's event stream, watched after each sync; see live.go). Polling
	// turns them off: deltas every Interval only. Coalesce gathers the stream's changes this
	// long before applying them as one delta (default 250 ms). StreamFirstWithin bounds the wait
	// for the stream's first event (default 5 s): past it, something between holds the stream
	// back and deltas are asked for instead. StreamRetry is how long to keep to deltas after the
	// stream was found missing, held back or unreadable, before trying it again (default 10 min).
	Polling           bool
	Coalesce          time.Duration
	StreamFirstWithin time.Duration
	StreamRetry       time.Duration
	// CommandPoll is how often the data layer reads the state of a command it sent and that has
	// not ended, while no event stream brings the command's transitions (default 1 s; see
	// follow.go). The screens never poll: they are told of each transition as a Change.
	CommandPoll time.Duration

	API api.Options
	// Now is the backend's clock, for a caller that has it exactly: the in-process demo backend,
	// whose simulated time runs ten times faster than any clock its answers could track. Nil (the
	// default): the backend's clock as its answers' Date headers tell it (api.BackendClock),
	// starting from the offset kept at the last sync, so a fleet reviewed offline is aged on it
	// too. Never the PC's clock alone: it can be hours off.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Profile == "" {
		o.Profile = DefaultProfile
	}
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.OfflineRetryMin <= 0 {
		o.OfflineRetryMin = 2 * time.Second
	}
	if o.OfflineRetryMax <= 0 {
		o.OfflineRetryMax = time.Minute
	}
	if o.ExtrasEvery <= 0 {
		o.ExtrasEvery = 10
	}
	if o.HealthEvery == 0 {
		o.HealthEvery = 3 * time.Second
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 5 * time.Second
	}
	if o.Coalesce <= 0 {
		o.Coalesce = DefaultCoalesce
	}
	if o.StreamFirstWithin <= 0 {
		o.StreamFirstWithin = defaultFirstWithin
	}
	if o.StreamRetry <= 0 {
		o.StreamRetry = defaultStreamRetry
	}
	if o.CommandPoll <= 0 {
		o.CommandPoll = time.Second
	}
}

// Replica is the local replica of one dealer's fleet, kept in step with the backend, and the data
// layer behind the screens: they read the replica and act through it, and it checks the rules
// before anything reaches the backend. It implements session.Session.
type Replica struct {
	opts   Options
	cache  *cache.Cache
	client *api.Client // authenticated; nil when opened from the cache alone
	auth   *auth.Credentials
	clock  *api.BackendClock // the backend's clock, kept current by client's answers

	index atomic.Pointer[fleet.Index]

	mu       sync.Mutex
	status   session.Status
	actor    scope.Actor
	subs     map[int]func(session.Change)
	nextSub  int
	resumed  bool   // the sign-in is established (not just pending a reachable backend)
	state    string // the backend state the cached fleet and cursor belong to ("" when unknown)
	cycles   int
	closed   bool
	syncNow  chan struct{}
	cancel   context.CancelFunc
	loopDone chan struct{}

	syncMu sync.Mutex // one sync (or live delta) at a time

	// liveRetry is when the event stream may be tried again after it was found missing, held
	// back or unreadable (zero: at once). Guarded by mu.
	liveRetry time.Time

	// followed is the commands sent through this replica that have not ended, by ID, with their
	// unit, and checkErr why the last look at one failed (see follow.go). Guarded by mu.
	followed   map[string]followed
	checkErr   map[string]error
	followDone chan struct{}
}

var (
	_ session.Session                 = (*Replica)(nil)
	_ session.Recovery                = (*Replica)(nil)
	_ session.CommandHistoryRefresher = (*Replica)(nil)
)

// Open opens the profile's cache, signs in (or resumes the saved sign-in) and, unless
// Options.Manual, starts keeping the cache current in the background. An unreachable backend is
// not an error: the session starts offline on the cached data and comes online by itself. A
// profile with no saved sign-in fails with an error wrapping auth.ErrNotSignedIn.
func Open(ctx context.Context, opts Options) (*Replica, error) {
	opts.defaults()
	base, err := session.CheckBackendURL(opts.BackendURL)
	if err != nil {
		return nil, err
	}
	opts.BackendURL = base
	s, err := openCache(ctx, opts)
	if err != nil {
		return nil, err
	}
	apiOpts := opts.API
	apiOpts.Clock = s.clock
	plain, err := api.New(base, nil, apiOpts)
	if err != nil {
		s.cache.Close()
		return nil, err
	}
	store := opts.Store
	notice := ""
	switch {
	case opts.Demo:
		store = &auth.Memory{} // nothing of the demo reaches the keyring, whoever opens it
	case store == nil:
		store, notice = auth.DefaultStore()
	}
	s.auth = auth.New(plain, store, opts.keyName())
	if path, err := opts.cachePath(); err == nil {
		// One lock file per profile, next to its cache: every FleetDesk process of the profile
		// (the window, `fleetdesk sync`) refreshes the single-use refresh token under it.
		s.auth.SetLockFile(path + ".signin.lock")
	}
	s.client = plain.WithTokens(s.auth)
	s.status.BackendURL = base
	s.status.Demo = opts.Demo
	if notice != "" {
		s.addNotice(notice)
	}

	if opts.Email != "" {
		if err := s.auth.SignIn(ctx, opts.Email, opts.Password); err != nil {
			s.cache.Close()
			return nil, err
		}
		s.resumed = true
	} else {
		err := s.auth.Resume(ctx)
		switch {
		case err == nil:
			s.resumed = true
		case errors.Is(err, auth.ErrNotSignedIn) && notice != "":
			s.cache.Close()
			return nil, fmt.Errorf("profile %q: %w: %s", opts.Profile, auth.ErrNotSignedIn, notice)
		case errors.Is(err, auth.ErrNotSignedIn):
			s.cache.Close()
			return nil, fmt.Errorf("profile %q: %w (run `fleetdesk login`)", opts.Profile, auth.ErrNotSignedIn)
		case api.IsUnauthorized(err):
			s.cache.Close()
			return nil, fmt.Errorf("profile %q: the saved sign-in was refused: %w", opts.Profile, auth.ErrNotSignedIn)
		case api.IsOffline(err) || api.KindOf(err) == api.KindServer:
			s.setOffline(err)
		default:
			s.cache.Close()
			return nil, err
		}
	}
	if n := s.auth.Notice(); n != "" {
		s.addNotice(n)
	}
	if s.resumed {
		if err := s.identify(ctx); err != nil && !isUnreachable(err) {
			s.cache.Close()
			return nil, err
		}
	}
	if !opts.Manual {
		s.start()
	}
	return s, nil
}

// OpenCached opens the profile's cache alone, with no network and no credentials: the offline
// reading of the last synced fleet (the devices command, the app without a sign-in).
func OpenCached(ctx context.Context, opts Options) (*Replica, error) {
	opts.defaults()
	opts.Manual = true
	s, err := openCache(ctx, opts)
	if err != nil {
		return nil, err
	}
	s.status.UnreachableWhy = "opened from the offline cache only"
	s.status.UnreachableSince = s.Now()
	return s, nil
}

// OpenReadOnly opens the profile's cached fleet for reading when its sign-in cannot be resumed
// (no keyring, or its entry gone): the dealer sees the last synced fleet, read-only, with the
// reason and an offer to sign in (Status.SignInNeeded). why says, in words, why there is no
// sign-in. It fails when the cache holds no fleet: there is nothing to show.
func OpenReadOnly(ctx context.Context, opts Options, why string) (*Replica, error) {
	s, err := OpenCached(ctx, opts)
	if err != nil {
		return nil, err
	}
	if s.Fleet().Len() == 0 && s.status.LastSync.IsZero() {
		s.Close()
		return nil, fmt.Errorf("profile %q: no cached fleet to show: %w", s.opts.Profile, auth.ErrNotSignedIn)
	}
	s.status.UnreachableWhy = why
	s.status.SignInNeeded = true
	return s, nil
}

// cachePath is the session's cache file: the profile's, or the demo's own, which no profile
// shares (a real profile may be called "demo").
func (o Options) cachePath() (string, error) {
	if o.Demo {
		return cache.DemoPath(o.CacheDir)
	}
	return cache.PathFor(o.CacheDir, o.Profile)
}

// keyName is the name the session's sign-in is kept under: the profile's, or for the demo one
// no profile can have.
func (o Options) keyName() string {
	if o.Demo {
		return cache.DemoProfile
	}
	return o.Profile
}

func openCache(ctx context.Context, opts Options) (*Replica, error) {
	path, err := opts.cachePath()
	if err != nil {
		return nil, err
	}
	c, err := cache.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	s := &Replica{opts: opts, cache: c, subs: map[int]func(session.Change){}, syncNow: make(chan struct{}, 1),
		clock: api.NewBackendClock()}
	s.status.ProfileName = opts.Profile
	s.status.SyncEvery = opts.Interval
	if opts.Polling {
		s.status.UpdatesWhy = whyTurnedOff
	}
	if rb := c.Rebuilt(); rb != nil {
		s.status.Notice = rb.Notice()
	}
	devs, err := c.LoadDevices(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	s.index.Store(fleet.NewIndex(devs))
	st, err := c.SyncState(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	s.status.LastSync = st.LastSync
	s.state = st.State
	if st.ClockKnown {
		// Until the backend answers, its clock is the PC's plus the offset of the last sync.
		s.clock.Assume(st.ClockOffset)
	}
	owner, err := c.Owner(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	if s.status.BackendURL == "" {
		s.status.BackendURL = owner.Backend
	}
	if owner.Me != "" {
		var me api.Me
		if json.Unmarshal([]byte(owner.Me), &me) == nil {
			s.adoptMe(me)
		}
	}
	return s, nil
}

func (s *Replica) adoptMe(me api.Me) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actor = scope.Actor{UserID: me.ID, Email: me.Email, Role: scope.Role(me.Role), Dealer: me.Dealer}
	s.status.UserEmail = me.Email
	s.status.DealerName = me.DealerName
	if s.status.DealerName == "" {
		s.status.DealerName = me.Dealer
	}
}

// identify asks the backend who we are, and wipes the cache when it belonged to another account
// or backend: one dealer's fleet must never show under another's sign-in.
func (s *Replica) identify(ctx context.Context) error {
	me, err := s.client.Me(ctx)
	if err != nil {
		s.noteErr(err)
		return err
	}
	owner, err := s.cache.Owner(ctx)
	if err != nil {
		return err
	}
	if owner.Account != "" && (owner.Account != me.Email || owner.Backend != s.opts.BackendURL) {
		if err := s.cache.Reset(ctx); err != nil {
			return err
		}
		s.index.Store(fleet.NewIndex(nil))
		s.mu.Lock()
		s.status.LastSync = time.Time{}
		s.state = ""
		s.mu.Unlock()
		s.publish(session.Change{All: true, Status: true, Rollouts: true, Tokens: true})
	}
	raw, _ := json.Marshal(me)
	if err := s.cache.SetOwner(ctx, cache.Owner{Backend: s.opts.BackendURL, Account: me.Email, Me: string(raw)}); err != nil {
		return err
	}
	s.adoptMe(me)
	s.setOnline()
	return nil
}

// Close stops the background loop and closes the cache.
func (s *Replica) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel, done, followDone := s.cancel, s.loopDone, s.followDone
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
		<-followDone
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.cache.Close()
}

// Fleet is the current snapshot.
func (s *Replica) Fleet() *fleet.Index { return s.index.Load() }

// Status is a copy of the status bar's data.
func (s *Replica) Status() session.Status {
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	if s.opts.Now == nil {
		st.ClockOffset = s.clock.Offset()
	}
	return st
}

// Actor is the signed-in account (from the cache when offline).
func (s *Replica) Actor() scope.Actor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.actor
}

// Now is the backend's clock: given (Options.Now), or tracked from its answers, or offline the
// PC's clock plus the offset kept at the last sync (the PC's alone only for a cache that never
// recorded one).
func (s *Replica) Now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now().Local() // shown in the dealer's time zone, as the tracked clock is
	}
	return s.clock.Now()
}

// Subscribe registers a listener; it is called on the sync goroutine.
func (s *Replica) Subscribe(fn func(session.Change)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

func (s *Replica) publish(ch session.Change) {
	s.mu.Lock()
	fns := make([]func(session.Change), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(ch)
	}
}

// SyncNow asks the background loop for a delta sync at once.
func (s *Replica) SyncNow() {
	select {
	case s.syncNow <- struct{}{}:
	default:
	}
}

func (s *Replica) addNotice(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status.Notice == "" {
		s.status.Notice = n
	} else if s.status.Notice != n {
		s.status.Notice += " " + n
	}
}

// isUnreachable reports errors after which the cache is the best answer.
func isUnreachable(err error) bool {
	switch api.KindOf(err) {
	case api.KindOffline, api.KindServer, api.KindRateLimited, api.KindBadResponse:
		return true
	}
	return errors.Is(err, ErrOffline)
}

// noteErr turns a failed call into the status it implies.
func (s *Replica) noteErr(err error) {
	switch {
	case err == nil:
	case isUnreachable(err):
		s.setOffline(err)
	case api.IsUnauthorized(err), errors.Is(err, auth.ErrNotSignedIn):
		s.setStatusWhy(words.Describe(err), true)
	}
}

// setOffline says the backend cannot be reached, in the words of words.Describe (the one mapping
// from errors to words), with the technical detail kept for "Details".
func (s *Replica) setOffline(err error) {
	s.setStatusWhy(words.Describe(err), false)
}

func (s *Replica) setStatusWhy(d words.Described, signIn bool) {
	s.mu.Lock()
	changed := s.status.Reachable || s.status.UnreachableWhy != d.Summary || s.status.SignInNeeded != signIn ||
		s.status.UnreachableDetail != d.Detail
	if s.status.Reachable || s.status.UnreachableSince.IsZero() {
		s.status.UnreachableSince = s.Now()
	}
	s.status.Reachable = false
	s.status.UnreachableWhy = d.Summary
	s.status.UnreachableDetail = d.Detail
	s.status.SignInNeeded = signIn
	s.mu.Unlock()
	if changed {
		s.publish(session.Change{Status: true})
	}
}

func (s *Replica) setOnline() {
	s.mu.Lock()
	changed := !s.status.Reachable
	s.status.Reachable = true
	s.status.UnreachableSince = time.Time{}
	s.status.UnreachableWhy = ""
	s.status.UnreachableDetail = ""
	s.status.SignInNeeded = false
	s.mu.Unlock()
	if changed {
		s.publish(session.Change{Status: true})
	}
}

// start runs the background loop.
func (s *Replica) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel = cancel
	s.loopDone = make(chan struct{})
	s.followDone = make(chan struct{})
	s.mu.Unlock()
	s.resumeFollowing(ctx)
	go s.loop(ctx)
	go s.followCommands(ctx)
}

func (s *Replica) loop(ctx context.Context) {
	defer close(s.loopDone)
	retry := time.Duration(0)
	backoff := func() time.Duration {
		// Offline (or failing): back off exponentially with jitter, up to the cap.
		if retry == 0 {
			retry = s.opts.OfflineRetryMin
		} else if retry *= 2; retry > s.opts.OfflineRetryMax {
			retry = s.opts.OfflineRetryMax
		}
		return retry/2 + time.Duration(mrand.Int64N(int64(retry/2)+1))
	}
	for {
		_, err := s.Sync(ctx, nil)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !s.wait(ctx, backoff()) {
				return
			}
			continue
		}
		retry = 0
		if s.liveAllowed() {
			// List, then watch: the stream from the cursor of the sync just done.
			switch s.watch(ctx) {
			case watchClosed:
				return
			case watchResync:
				continue // the sync lists again (its cursor answers 410, or the state differs)
			case watchLost:
				if !s.wait(ctx, backoff()) {
					return
				}
				continue
			}
		}
		switch ok, lost := s.waitWatching(ctx, s.opts.Interval); {
		case !ok:
			return
		case lost:
			// The health check found the backend gone: the status already says so; try again
			// on the offline schedule (or at once on Sync now / Retry).
			if !s.wait(ctx, backoff()) {
				return
			}
		}
	}
}

// wait sleeps d or until SyncNow; false when the session is closing.
func (s *Replica) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.syncNow:
	case <-t.C:
	}
	return true
}

// waitWatching waits for the next sync like wait, and meanwhile checks every HealthEvery that
// the backend still answers. lost reports a failed check (the status is then Offline).
func (s *Replica) waitWatching(ctx context.Context, d time.Duration) (ok, lost bool) {
	if s.opts.HealthEvery < 0 || s.opts.HealthEvery >= d {
		return s.wait(ctx, d), false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(s.opts.HealthEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, false
		case <-s.syncNow:
			return true, false
		case <-t.C:
			return true, false
		case <-tick.C:
			if err := s.checkHealth(ctx); err != nil {
				if ctx.Err() != nil {
					return false, false
				}
				return true, true
			}
			if !s.Status().Reachable {
				// An action failed meanwhile and said Offline, but the backend answers again:
				// sync now, which says Online once it has succeeded.
				return true, false
			}
			if s.stateChanged(s.client.BackendState()) {
				// The backend answers as another state (restarted, restored): sync now, which
				// lists the whole fleet again, instead of showing the old one for an interval.
				return true, false
			}
		}
	}
}

// checkHealth makes one short call to the backend; a failure to reach it sets the status
// Offline at once.
func (s *Replica) checkHealth(ctx context.Context) error {
	err := s.client.Ping(ctx, s.opts.HealthTimeout)
	if err != nil && ctx.Err() == nil {
		s.noteErr(err)
	}
	return err
}
