package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/token"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

func (s *Replica) online() error {
	if s.client == nil {
		return ErrOffline
	}
	return nil
}

// SendCommand posts one action to a unit and records it in the command log. One call is one user
// action: its Idempotency-Key is made here once, so the client's retries never run it twice.
func (s *Replica) SendCommand(ctx context.Context, req fleet.CommandRequest) (fleet.Command, error) {
	if err := s.online(); err != nil {
		return fleet.Command{}, err
	}
	if err := s.mayCommand(ctx, req); err != nil {
		return fleet.Command{}, err
	}
	cmd, err := s.client.SendCommand(ctx, req.DeviceID, api.CommandRequest{Action: req.Action, ReleaseID: req.ReleaseID}, api.NewIdempotencyKey())
	if err != nil {
		s.noteErr(err)
		var ae *api.Error
		if api.CodeOf(err) == api.CodeUnitOffline && errors.As(err, &ae) {
			// The snapshot still showed the unit online: say so in the backend's words and fetch
			// the unit's state, so the page shows why.
			s.SyncNow()
			return fleet.Command{}, &scope.DeniedError{Reason: scope.ReasonUnitOffline, Message: ae.Message}
		}
		return fleet.Command{}, err
	}
	if cmd.DeviceID == "" {
		cmd.DeviceID = req.DeviceID
	}
	if err := s.cache.RecordCommand(ctx, cmd); err != nil {
		return cmd, err
	}
	// One announcement for one event. The unit's own state changes when the command ends, and
	// Command asks for the sync then.
	s.followCommand(cmd)
	s.publish(session.Change{Commands: []string{cmd.DeviceID}})
	return cmd, nil
}

// mayCommand is the data layer's own check of a command, whoever the caller: the rules a screen
// shows as reasons are applied again here before anything reaches the backend, so a second screen,
// a script or a screen bug cannot send what they forbid. It judges the unit as the current
// snapshot has it. Every refusal is a *scope.DeniedError with the rule's reason code.
func (s *Replica) mayCommand(ctx context.Context, req fleet.CommandRequest) error {
	act := req.Action
	if !act.Valid() {
		return scope.Deny(scope.ReasonUnknownAction, "unknown action %q", act).Err()
	}
	d, ok := s.Fleet().Get(req.DeviceID)
	if !ok {
		return scope.Deny(scope.ReasonNotInFleet, "%s is not in your fleet (outside your dealer scope, or not synced yet)", req.DeviceID).Err()
	}
	if err := scope.CanCommandNow(s.Actor(), d, act, s.Status().Reachable, s.Now()).Err(); err != nil {
		return err
	}
	switch {
	case act.NeedsRelease() && req.ReleaseID == "":
		return scope.Deny(scope.ReasonNoRelease, "%s needs a firmware release", act.DisplayName()).Err()
	case !act.NeedsRelease() && req.ReleaseID != "":
		return scope.Deny(scope.ReasonNoRelease, "%s takes no firmware release", act.DisplayName()).Err()
	case req.ReleaseID == "":
		return nil
	}
	console := fleet.ConsoleFor(d.Model)
	rel, found, err := s.findRelease(ctx, console, req.ReleaseID)
	if err != nil {
		return err
	}
	if !found {
		return scope.Deny(scope.ReasonUnknownRelease, "release %s is not in the %s catalogue", req.ReleaseID, console.DisplayName()).Err()
	}
	return rollout.CheckInstall(rel, d, req.Consent).Err()
}

// findRelease looks a release up in the cached catalogue of the unit's console, refreshing the
// catalogue once when the release is not there yet. A release filed under another console is not
// found: it can never match the unit.
func (s *Replica) findRelease(ctx context.Context, console fleet.Console, id string) (rollout.Release, bool, error) {
	look := func(list []rollout.Release) (rollout.Release, bool) {
		for _, r := range list {
			if r.ID == id {
				return r, true
			}
		}
		return rollout.Release{}, false
	}
	if list, err := s.cache.Releases(ctx, console); err == nil {
		if r, ok := look(list); ok {
			return r, true, nil
		}
	}
	list, err := s.Releases(ctx, console)
	if err != nil {
		return rollout.Release{}, false, fmt.Errorf("could not check the release against the unit: %w", err)
	}
	r, ok := look(list)
	return r, ok, nil
}

// Command fetches a command's state and updates the command log. A new status is announced once
// (Change.Commands); a command that ended also asks for a sync, since the unit's state changed
// with it (a Start runs the unit, an FW Update brings new firmware). It is the data layer's own
// look at a command it follows (follow.go); screens are not offered it (session.Commands), so none
// can poll.
func (s *Replica) Command(ctx context.Context, id string) (fleet.Command, error) {
	if err := s.online(); err != nil {
		return fleet.Command{}, err
	}
	cmd, err := s.client.Command(ctx, id)
	if err != nil {
		s.noteErr(err)
		return cmd, err
	}
	before, berr := s.cache.Command(ctx, id)
	if berr == nil && cmd.DeviceID != before.DeviceID {
		// A backend restored from a backup, or restarted without its data, hands the same ID
		// to another command: it is not ours, and must not be logged over it.
		return fleet.Command{}, fmt.Errorf("%w: %s is now a command on %s, not on %s", errCommandGone, id, cmd.DeviceID, before.DeviceID)
	}
	if err := s.cache.RecordCommand(ctx, cmd); err != nil {
		return cmd, err
	}
	if berr == nil && before.Status == cmd.Status && before.Error == cmd.Error {
		return cmd, nil // nothing new: no announcement
	}
	s.publish(session.Change{Commands: []string{cmd.DeviceID}})
	if cmd.Status.Final() && (berr != nil || !before.Status.Final()) {
		s.SyncNow()
	}
	return cmd, nil
}

// CommandHistory is the unit's logged commands, newest first, from the cache.
func (s *Replica) CommandHistory(deviceID string) ([]fleet.Command, error) {
	return s.cache.CommandHistory(context.Background(), deviceID)
}

// RefreshCommandHistory fetches the unit's history from the backend into the command log
// (commands sent from elsewhere show up too).
func (s *Replica) RefreshCommandHistory(ctx context.Context, deviceID string) ([]fleet.Command, error) {
	if err := s.online(); err != nil {
		return nil, err
	}
	list, err := s.client.CommandHistory(ctx, deviceID)
	if err != nil {
		s.noteErr(err)
		if isUnreachable(err) {
			return s.CommandHistory(deviceID)
		}
		return nil, err
	}
	for _, c := range list {
		if err := s.cache.RecordCommand(ctx, c); err != nil {
			return nil, err
		}
	}
	return s.CommandHistory(deviceID)
}

// Releases lists the releases of a console, refreshing the cache when online.
func (s *Replica) Releases(ctx context.Context, console fleet.Console) ([]rollout.Release, error) {
	if s.client != nil {
		list, err := s.client.Releases(ctx, console)
		if err == nil {
			if err := s.cache.PutReleases(ctx, console, list); err != nil {
				return nil, err
			}
			return list, nil
		}
		s.noteErr(err)
		if !isUnreachable(err) {
			return nil, err
		}
	}
	return s.cache.Releases(ctx, console)
}

// ReleaseImage returns a firmware image: from the cache when it holds a copy whose SHA-256 still
// matches, else downloaded (checked against the release's SHA-256) and stored for offline use.
// CachedReleaseImage is the release's image if the offline cache holds it; ok is false when it
// must be downloaded first.
func (s *Replica) CachedReleaseImage(ctx context.Context, releaseID string) (img []byte, ok bool) {
	img, _, err := s.cache.Image(ctx, releaseID)
	return img, err == nil
}

func (s *Replica) ReleaseImage(ctx context.Context, releaseID string) ([]byte, error) {
	want := ""
	if rels, err := s.cache.Releases(ctx, ""); err == nil {
		for _, r := range rels {
			if r.ID == releaseID {
				want = strings.ToLower(r.SHA256)
			}
		}
	}
	if img, sum, err := s.cache.Image(ctx, releaseID); err == nil {
		got := sha256Hex(img)
		if got == sum && (want == "" || want == got) {
			return img, nil
		}
	} else if !errors.Is(err, cache.ErrNotCached) {
		return nil, err
	}
	if err := s.online(); err != nil {
		return nil, fmt.Errorf("release %s is not in the offline cache: %w", releaseID, err)
	}
	img, err := s.client.ReleaseImage(ctx, releaseID)
	if err != nil {
		s.noteErr(err)
		return nil, err
	}
	got := sha256Hex(img)
	if want != "" && got != want {
		return nil, fmt.Errorf("release %s: the downloaded image's SHA-256 %s does not match the release's %s", releaseID, got, want)
	}
	if err := s.cache.PutImage(ctx, releaseID, got, img); err != nil {
		return nil, err
	}
	return img, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// CreateRollout starts a rollout. Whatever the caller, it first applies the rollout rules
// (rollout.CheckRequest) to the catalogue and the synced fleet: the release's own variant only,
// and my_fleet only once a unit of the fleet runs the release and is back online. A refusal
// wraps ErrRefused and no request reaches the backend.
func (s *Replica) CreateRollout(ctx context.Context, req rollout.CreateRequest) (rollout.Rollout, error) {
	if err := s.online(); err != nil {
		return rollout.Rollout{}, err
	}
	rel, err := s.releaseByID(ctx, req.Console, req.ReleaseID)
	if err != nil {
		return rollout.Rollout{}, err
	}
	ev, err := s.evidence(ctx, rel)
	if err != nil {
		return rollout.Rollout{}, err
	}
	err = rollout.CheckRequest(req, rel, s.Fleet(), s.Actor(), ev, s.Now())
	if err != nil && req.Target == rollout.TargetMyFleet {
		// The cached copy of the test rollout may lag the synced fleet by one sync: read the
		// rollouts again (a read, nothing is sent) before refusing.
		if rs, lerr := s.client.Rollouts(ctx); lerr == nil && s.cache.PutRollouts(ctx, rs) == nil {
			if ev, err2 := s.evidence(ctx, rel); err2 == nil {
				err = rollout.CheckRequest(req, rel, s.Fleet(), s.Actor(), ev, s.Now())
			}
		}
	}
	if err != nil {
		return rollout.Rollout{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	r, err := s.client.CreateRollout(ctx, req)
	return s.keepRollout(ctx, r, err)
}

func (s *Replica) keepRollout(ctx context.Context, r rollout.Rollout, err error) (rollout.Rollout, error) {
	if err != nil {
		s.noteErr(err)
		return r, err
	}
	if err := s.cache.PutRollout(ctx, r); err != nil {
		return r, err
	}
	s.publish(session.Change{Rollouts: true})
	s.SyncNow()
	return r, nil
}

// Rollout returns one rollout: from the cache while the event stream keeps it current, or when
// the backend cannot be reached.
func (s *Replica) Rollout(ctx context.Context, id string) (rollout.Rollout, error) {
	if s.Status().Updates == session.UpdatesLive {
		// The event stream brings every rollout's progress into the cache as it happens: a
		// monitor refreshing on each change asks nothing of the backend.
		if r, err := s.cache.Rollout(ctx, id); err == nil {
			return r, nil
		}
	}
	if s.client != nil {
		r, err := s.client.Rollout(ctx, id)
		if err == nil {
			return r, s.cache.PutRollout(ctx, r)
		}
		s.noteErr(err)
		if !isUnreachable(err) {
			return r, err
		}
	}
	return s.cache.Rollout(ctx, id)
}

// ListRollouts is the dealer's rollouts, from the cache when the backend cannot be reached.
func (s *Replica) ListRollouts(ctx context.Context) ([]rollout.Rollout, error) {
	if s.client != nil {
		list, err := s.client.Rollouts(ctx)
		if err == nil {
			return list, s.cache.PutRollouts(ctx, list)
		}
		s.noteErr(err)
		if !isUnreachable(err) {
			return nil, err
		}
	}
	return s.cache.Rollouts(ctx)
}

// PauseRollout pauses a rollout.
func (s *Replica) PauseRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	if err := s.online(); err != nil {
		return rollout.Rollout{}, err
	}
	r, err := s.client.PauseRollout(ctx, id)
	return s.keepRollout(ctx, r, err)
}

// ResumeRollout resumes a paused rollout.
func (s *Replica) ResumeRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	if err := s.online(); err != nil {
		return rollout.Rollout{}, err
	}
	r, err := s.client.ResumeRollout(ctx, id)
	return s.keepRollout(ctx, r, err)
}

// CancelRollout stops a rollout for good.
func (s *Replica) CancelRollout(ctx context.Context, id string) (rollout.Rollout, error) {
	if err := s.online(); err != nil {
		return rollout.Rollout{}, err
	}
	r, err := s.client.CancelRollout(ctx, id)
	return s.keepRollout(ctx, r, err)
}

// Users lists the customer accounts in scope (needs the backend).
func (s *Replica) Users(ctx context.Context) ([]token.User, error) {
	if err := s.online(); err != nil {
		return nil, err
	}
	u, err := s.client.Users(ctx)
	s.noteErr(err)
	return u, err
}

// ListTokens is the issued tokens' metadata, from the cache when the backend cannot be reached.
func (s *Replica) ListTokens(ctx context.Context) ([]token.Info, error) {
	if s.client != nil {
		list, err := s.client.Tokens(ctx)
		if err == nil {
			return list, s.cache.PutTokens(ctx, list)
		}
		s.noteErr(err)
		if !isUnreachable(err) {
			return nil, err
		}
	}
	return s.cache.Tokens(ctx)
}

// CreateToken issues a token. Whatever the caller, it first applies the token rules
// (token.Check.Validate) to the request with the backend's current list of the dealer's user
// accounts and the synced fleet: a refusal wraps ErrRefused and a *token.InvalidError listing
// every problem, and nothing reaches the backend. The secret is returned to the caller once and
// stored nowhere.
func (s *Replica) CreateToken(ctx context.Context, req token.CreateRequest) (token.Created, error) {
	if err := s.online(); err != nil {
		return token.Created{}, err
	}
	users, err := s.client.Users(ctx)
	if err != nil {
		s.noteErr(err)
		return token.Created{}, fmt.Errorf("could not check the request against your user accounts: %w", err)
	}
	check := token.Check{Actor: s.Actor(), Users: users, Fleet: s.Fleet(), Now: s.Now()}
	if ps := check.Validate(req); len(ps) > 0 {
		return token.Created{}, fmt.Errorf("%w: %w", ErrRefused, ps.Err())
	}
	t, err := s.client.CreateToken(ctx, req)
	if err != nil {
		s.noteErr(err)
		return t, err
	}
	s.refreshTokens(ctx)
	return t, nil
}

// RevokeToken revokes one of the dealer's tokens. It refuses (ErrRefused and a
// *token.InvalidError, nothing sent) a token the dealer's list does not hold, asking the backend
// for the list once when the cache does not know it, and one that is already revoked or expired.
func (s *Replica) RevokeToken(ctx context.Context, id string) error {
	if err := s.online(); err != nil {
		return err
	}
	info, known := s.findToken(ctx, id)
	if ps := token.CheckRevoke(info, known, s.Now()); len(ps) > 0 {
		return fmt.Errorf("%w: %w", ErrRefused, ps.Err())
	}
	if err := s.client.RevokeToken(ctx, id); err != nil {
		s.noteErr(err)
		return err
	}
	s.refreshTokens(ctx)
	return nil
}

// findToken is the dealer's token of that ID: from the cache, else from the backend's list.
func (s *Replica) findToken(ctx context.Context, id string) (token.Info, bool) {
	find := func(list []token.Info) (token.Info, bool) {
		for _, t := range list {
			if t.ID == id {
				return t, true
			}
		}
		return token.Info{}, false
	}
	if list, err := s.cache.Tokens(ctx); err == nil {
		if t, ok := find(list); ok {
			return t, true
		}
	}
	list, err := s.client.Tokens(ctx)
	if err != nil {
		s.noteErr(err)
		return token.Info{}, false
	}
	_ = s.cache.PutTokens(ctx, list)
	return find(list)
}

func (s *Replica) refreshTokens(ctx context.Context) {
	if list, err := s.client.Tokens(ctx); err == nil {
		_ = s.cache.PutTokens(ctx, list)
	}
	s.publish(session.Change{Tokens: true})
}

// SignOut signs out of the backend, deletes the saved sign-in and closes the session.
func (s *Replica) SignOut(ctx context.Context) error {
	var err error
	if s.auth != nil {
		err = s.auth.SignOut(ctx)
	}
	return errors.Join(err, s.Close())
}

// ErrRefused marks a rollout or token action the data layer refused by the rules before asking
// the backend (a command's refusal is a *scope.DeniedError).
var ErrRefused = errors.New("refused by FleetDesk's rules, nothing was sent")

// releaseByID is the catalogue's record of a release: from the cache, refreshed from the backend
// once when the cache does not know it.
func (s *Replica) releaseByID(ctx context.Context, c fleet.Console, id string) (rollout.Release, error) {
	find := func(list []rollout.Release) (rollout.Release, bool) {
		for _, r := range list {
			if r.ID == id {
				return r, true
			}
		}
		return rollout.Release{}, false
	}
	if list, err := s.cache.Releases(ctx, ""); err == nil {
		if r, ok := find(list); ok {
			return r, nil
		}
	}
	list, err := s.Releases(ctx, c)
	if err != nil {
		return rollout.Release{}, err
	}
	if r, ok := find(list); ok {
		return r, nil
	}
	return rollout.Release{}, fmt.Errorf("%w: release %q is not in the %s's catalogue", ErrRefused, id, c.DisplayName())
}

// RolloutEvidence is what the data layer knows of how units got the release, with the dealer's
// rollouts read from the backend into the cache first when it answers: the evidence CreateRollout
// judges by, which is the cache's.
func (s *Replica) RolloutEvidence(ctx context.Context, rel rollout.Release) (rollout.Evidence, error) {
	_, _ = s.ListRollouts(ctx) // a failure is noted in the status; the cache's evidence stands
	return s.evidence(ctx, rel)
}

// evidence is what the cache knows of how units got the release: the dealer's rollouts and the
// command log of the units that run it now.
func (s *Replica) evidence(ctx context.Context, rel rollout.Release) (rollout.Evidence, error) {
	var ev rollout.Evidence
	var err error
	if ev.Rollouts, err = s.cache.Rollouts(ctx); err != nil {
		return ev, err
	}
	for _, d := range s.Fleet().Devices() {
		if rollout.Runs(rel, *d) {
			cmds, err := s.cache.CommandHistory(ctx, d.ID)
			if err != nil {
				return ev, err
			}
			ev.Commands = append(ev.Commands, cmds...)
		}
	}
	return ev, nil
}
