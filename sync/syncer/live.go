package syncer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/app/words"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// Live updates follow the list-then-watch pattern of Kubernetes clients: a sync lists the fleet
// (or the delta since the cache's cursor), then the backend's event stream is watched from that
// cursor. Its events are gathered for Options.Coalesce and applied as one delta: one cache
// transaction with the cursor after them, one index patch, one published Change. A stream that
// ends, or goes silent past its heartbeat, is resumed from the cursor of the last delta applied,
// so nothing is lost and nothing is applied twice; a cursor the backend no longer knows, or a
// stream of another backend state, means listing again (Sync's path). A backend without the
// stream, a proxy that holds it back, or a stream that keeps sending what cannot be read, and
// the Replica asks for deltas every Interval instead, trying the stream again later.

// Defaults of the live updates' Options.
const (
	DefaultCoalesce    = 250 * time.Millisecond
	defaultFirstWithin = 5 * time.Second
	defaultStreamRetry = 10 * time.Minute
)

const (
	// maxPending flushes a stream catching up on many changes before its coalescing time: what
	// one delta holds in memory stays bounded.
	maxPending = 20000
	// maxUnreadable is how many unreadable events in a row, each at the same cursor, give up on
	// the stream for a while: a backend whose stream is broken is asked for deltas instead.
	maxUnreadable = 3
	// maxReconnectDelay caps the wait between reconnections after repeated drops.
	maxReconnectDelay = 30 * time.Second
)

// What the dealer is told when the fleet is not live.
const (
	whyNoStream     = "the fleet backend offers no live updates"
	whyBuffered     = "something between FleetDesk and the fleet backend (a proxy) holds live updates back"
	whyUnreadable   = "the fleet backend's live updates could not be read"
	whyBusy         = "the fleet backend has too many live connections; live updates resume shortly"
	whyReconnecting = "the live connection dropped; resuming from the last change received"
	whyTurnedOff    = "live updates are turned off"
)

// watchEnd is why watching the stream stopped.
type watchEnd int

const (
	watchClosed watchEnd = iota // the session is closing
	watchResync                 // the stream's cursor is not this backend state's: list again
	watchLost                   // the backend cannot be reached or refused the sign-in (the status says so)
	watchPoll                   // no stream for now: ask for deltas at the interval
)

// errResync ends following a stream that turned out to be another backend state's.
var errResync = errors.New("the event stream belongs to another backend state")

// liveAllowed reports whether the stream may be tried now.
func (s *Replica) liveAllowed() bool {
	if s.opts.Polling {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !time.Now().Before(s.liveRetry)
}

// setUpdates changes how the fleet is said to be kept current, telling the listeners once.
func (s *Replica) setUpdates(u session.Updates, why string) {
	s.mu.Lock()
	changed := s.status.Updates != u || s.status.UpdatesWhy != why
	s.status.Updates, s.status.UpdatesWhy = u, why
	s.mu.Unlock()
	if changed {
		s.publish(session.Change{Status: true})
	}
}

// pollFor gives up on the stream for d: deltas at the interval meanwhile, and why.
func (s *Replica) pollFor(d time.Duration, why string) {
	s.mu.Lock()
	s.liveRetry = time.Now().Add(d)
	s.mu.Unlock()
	s.setUpdates(session.UpdatesPolling, why)
}

// watch follows the event stream from the cache's cursor until it can no longer, resuming it
// each time it drops.
func (s *Replica) watch(ctx context.Context) watchEnd {
	st, err := s.cache.SyncState(ctx)
	if err != nil || st.Cursor == "" {
		return watchPoll
	}
	cursor := st.Cursor
	unreadable, drops := 0, 0
	for {
		from := cursor
		stream, err := s.client.Events(ctx, cursor, s.opts.StreamFirstWithin)
		if err != nil {
			if ctx.Err() != nil {
				return watchClosed
			}
			return s.streamRefused(ctx, err)
		}
		if stream.State != "" && s.stateChanged(stream.State) {
			stream.Close()
			return watchResync
		}
		s.setOnline()
		err = s.follow(ctx, stream, &cursor)
		heard := stream.LastHeard()
		stream.Close()
		var silent *api.StreamSilentError
		switch {
		case ctx.Err() != nil:
			return watchClosed
		case errors.Is(err, errResync):
			return watchResync
		case errors.As(err, &silent) && !silent.Hello:
			s.pollFor(s.opts.StreamRetry, whyBuffered)
			return watchPoll
		case errors.Is(err, errApply):
			// Applying a delta failed (the cache): not the stream's fault, and not one to loop
			// on. Poll, whose sync reports it.
			s.pollFor(s.opts.Interval, words.Text(err))
			return watchPoll
		case api.KindOf(err) == api.KindBadResponse:
			// An event that is not what its name says: nothing after it can be trusted, the
			// delta before it was applied. Resume from there; a stream broken for good is left.
			if cursor != from {
				unreadable = 0
			}
			if unreadable++; unreadable >= maxUnreadable {
				s.pollFor(s.opts.StreamRetry, whyUnreadable)
				return watchPoll
			}
		}
		// Otherwise the connection ended, was cut, or went silent: resume.
		if cursor != from {
			drops = 0 // it carried changes: the connection was good
		}
		s.noteHeard(heard)
		s.setUpdates(session.UpdatesReconnecting, whyReconnecting)
		delay := time.Duration(0)
		if drops > 0 {
			delay = min(time.Second<<min(drops-1, 5), maxReconnectDelay)
		}
		drops++
		if delay > 0 && !s.wait(ctx, delay) {
			return watchClosed
		}
	}
}

// errApply marks a failure to apply a delta (as opposed to reading the stream).
var errApply = errors.New("applying live changes")

// streamRefused decides what an error opening the stream means.
func (s *Replica) streamRefused(ctx context.Context, err error) watchEnd {
	switch {
	case errors.Is(err, api.ErrNoEventStream):
		s.pollFor(s.opts.StreamRetry, whyNoStream)
		return watchPoll
	case api.CodeOf(err) == api.CodeCursorExpired:
		return watchResync
	case api.KindOf(err) == api.KindRateLimited:
		s.pollFor(max(api.RetryAfter(err), s.opts.Interval), whyBusy)
		return watchPoll
	case api.IsOffline(err) && s.client.Ping(ctx, s.opts.HealthTimeout) == nil:
		// The stream got no answer, yet the backend answers: something between holds the
		// stream back (a buffering proxy that keeps even its headers), not a dead backend.
		s.pollFor(s.opts.StreamRetry, whyBuffered)
		return watchPoll
	case isUnreachable(err), api.IsUnauthorized(err):
		s.noteErr(err)
		s.setUpdates(session.UpdatesPolling, "")
		return watchLost
	}
	s.pollFor(s.opts.StreamRetry, "live updates are unavailable: "+words.Text(err))
	return watchPoll
}

// noteHeard records that the fleet was known current at t (the stream's last sign of life): the
// "data as of" of a fleet that goes offline next.
func (s *Replica) noteHeard(t time.Time) {
	if t.IsZero() {
		return
	}
	at := t.Add(s.Now().Sub(time.Now())) // on the backend's clock, as every time shown
	s.mu.Lock()
	if at.After(s.status.LastSync) {
		s.status.LastSync = at
	}
	s.mu.Unlock()
}

// pending is the stream's changes gathered for one delta. A device changed twice is applied
// once, in its latest state; so is a command.
type pending struct {
	devices  map[string]fleet.Device
	removed  map[string]bool
	commands map[string]fleet.Command
	rollouts map[string]rollout.Rollout // the news of each, merged
	cursor   string                     // the ID of the last event taken
	events   int
}

func newPending() *pending {
	return &pending{devices: map[string]fleet.Device{}, removed: map[string]bool{},
		commands: map[string]fleet.Command{}, rollouts: map[string]rollout.Rollout{}}
}

// streamRead is one Next of the stream.
type streamRead struct {
	ev  api.Event
	err error
}

// follow reads the stream, applying its changes every Coalesce, until it ends; cursor follows
// the deltas applied. The changes read before an error are applied before it is returned.
func (s *Replica) follow(ctx context.Context, st *api.EventStream, cursor *string) error {
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	reads := make(chan streamRead, 64)
	go func() {
		for {
			ev, err := st.Next()
			select {
			case reads <- streamRead{ev, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	p := newPending()
	var flush <-chan time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	extras := time.NewTicker(s.opts.Interval * time.Duration(s.opts.ExtrasEvery))
	defer extras.Stop()
	apply := func() error {
		if timer != nil {
			timer.Stop()
			timer, flush = nil, nil
		}
		return s.applyLive(ctx, p, cursor)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-reads:
			if r.err != nil {
				if err := apply(); err != nil {
					return err
				}
				return r.err
			}
			s.take(p, r.ev)
			switch {
			case len(p.devices)+len(p.removed) >= maxPending:
				if err := apply(); err != nil {
					return err
				}
			case timer == nil && p.events > 0:
				timer = time.NewTimer(s.opts.Coalesce)
				flush = timer.C
			}
		case <-flush:
			timer, flush = nil, nil
			if err := apply(); err != nil {
				return err
			}
		case <-s.syncNow:
			// The fleet is current; what the stream does not carry is refreshed.
			s.refreshExtras(ctx, true)
		case <-extras.C:
			s.refreshExtras(ctx, true)
		}
	}
}

// take adds one event to the delta being gathered.
func (s *Replica) take(p *pending, ev api.Event) {
	switch ev.Name {
	case api.EventNameHello:
		// Bytes flow as they are sent (a buffering proxy would have held this back): live.
		s.setUpdates(session.UpdatesLive, "")
		return
	case api.EventNameDevice:
		d := *ev.Device
		if !s.Actor().InScope(d) {
			// Never the dealer's business, whoever sent it (a proxy, a backend bug): not
			// applied. Its ID still counts: the backend's own events after it are ours.
			break
		}
		p.devices[d.ID] = d
		delete(p.removed, d.ID)
	case api.EventNameRemoved:
		p.removed[ev.Removed] = true
		delete(p.devices, ev.Removed)
	case api.EventNameCommand:
		c := *ev.Command
		_, known := s.Fleet().Get(c.DeviceID)
		if _, arriving := p.devices[c.DeviceID]; !known && !arriving {
			break // a command on a unit outside the fleet is not ours either
		}
		if prev, ok := p.commands[c.ID]; !ok || !prev.UpdatedAt.After(c.UpdatedAt) {
			p.commands[c.ID] = c
		}
	case api.EventNameRollout:
		p.rollouts[ev.Rollout.ID] = rollout.MergeProgress(p.rollouts[ev.Rollout.ID], *ev.Rollout)
	}
	if ev.ID != "" {
		p.cursor = ev.ID
	}
	p.events++
}

// applyLive applies the gathered changes as one delta: one cache transaction with the cursor
// after them, one index patch, one published Change.
func (s *Replica) applyLive(ctx context.Context, p *pending, cursor *string) error {
	if p.events == 0 {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	b := cache.Batch{Cursor: p.cursor, Complete: s.Now(), Devices: make([]fleet.Device, 0, len(p.devices))}
	if b.Cursor == "" {
		b.Cursor = *cursor
	}
	s.mu.Lock()
	b.State = s.state
	s.mu.Unlock()
	if s.opts.Now == nil && s.clock.Known() {
		b.ClockOffset, b.ClockKnown = s.clock.Offset(), true
	}
	for _, d := range p.devices {
		b.Devices = append(b.Devices, d)
	}
	sort.Slice(b.Devices, func(i, j int) bool { return b.Devices[i].ID < b.Devices[j].ID })
	for id := range p.removed {
		b.Removed = append(b.Removed, id)
	}
	sort.Strings(b.Removed)
	var cmdUnits []string
	for _, c := range p.commands {
		b.Commands = append(b.Commands, c)
		cmdUnits = append(cmdUnits, c.DeviceID)
	}
	for id, news := range p.rollouts {
		prev, err := s.cache.Rollout(ctx, id)
		if err != nil && !errors.Is(err, cache.ErrNotCached) {
			return fmt.Errorf("%w: %v", errApply, err)
		}
		b.Rollouts = append(b.Rollouts, rollout.MergeProgress(prev, news))
	}
	ix := s.Fleet().Patch(b.Devices, b.Removed)
	b.Total = ix.Len()
	if err := s.cache.ApplyBatch(ctx, b); err != nil {
		return fmt.Errorf("%w: %v", errApply, err)
	}
	*cursor = b.Cursor
	ch := session.Change{Rollouts: len(b.Rollouts) > 0}
	if len(b.Devices)+len(b.Removed) > 0 {
		s.index.Store(ix)
		ch.Devices = make([]string, 0, len(b.Devices)+len(b.Removed))
		for _, d := range b.Devices {
			ch.Devices = append(ch.Devices, d.ID)
		}
		ch.Devices = append(ch.Devices, b.Removed...)
	}
	if len(cmdUnits) > 0 {
		sort.Strings(cmdUnits)
		ch.Commands = cmdUnits
	}
	s.mu.Lock()
	s.status.LastSync = b.Complete
	s.mu.Unlock()
	*p = *newPending()
	if len(ch.Devices) > 0 || len(ch.Commands) > 0 || ch.Rollouts {
		s.publish(ch)
	}
	return nil
}

// refreshExtras brings what the stream does not carry up to date (releases, tokens, the whole
// rollout list) and uploads the service log, under the sync lock.
func (s *Replica) refreshExtras(ctx context.Context, releases bool) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	_ = s.syncExtras(ctx, releases) // a failure says Offline itself; the stream says the rest
}
