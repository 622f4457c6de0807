package syncer

import (
	"context"
	"errors"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/api"
)

// The data layer follows every command it sent until the command ends, so no screen ever polls
// for a command's state. While the event stream is open its transitions arrive with the stream
// and nothing is asked; without it (a backend that does not offer it, a proxy that holds it back,
// the minutes until it is tried again) the command is read every Options.CommandPoll, and each
// new status is stored in the command log and announced (Command does both). A command that
// ended, whoever brought the news, is no longer followed.
//
// A backend restarted without its data, or restored from a backup, no longer knows a command sent
// before (or gives its ID to another one): the stream of its new state never mentions it, and
// reading it answers 404. Such a command is logged as expired, with that reason, so the page
// frees its button and says why instead of waiting for ever.

// followed is what the data layer knows of a command it follows: its unit and the backend state
// (Fleet-Backend-State) last seen to know it.
type followed struct {
	unit, state string
}

// errCommandGone is a command ID the backend gives to another unit's command now.
var errCommandGone = errors.New("the fleet backend no longer knows this command")

// goneReason is the reason a command the backend no longer knows is logged as expired with.
const goneReason = "the fleet backend no longer knows this command: it was restarted without its data or restored from a backup (or the unit left your fleet); check the unit before sending it again"

// followCommand starts following cmd unless it has ended. A replica without its background loop (the
// headless commands, which wait for a command themselves) follows nothing.
func (s *Replica) followCommand(cmd fleet.Command) {
	if cmd.ID == "" || cmd.Status.Final() || s.opts.Manual {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.followed == nil {
		s.followed = map[string]followed{}
	}
	s.followed[cmd.ID] = followed{unit: cmd.DeviceID, state: s.state}
}

// resumeFollowing follows the logged commands that had not ended when the last session closed
// (the app quit, or a new sign-in opened this one): each is looked at once whatever the stream
// says, as the backend may no longer know it, and then followed like one sent now.
func (s *Replica) resumeFollowing(ctx context.Context) {
	cmds, err := s.cache.UnfinishedCommands(ctx)
	if err != nil {
		return // the command log unreadable: nothing to resume, the pages say the rest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.followed == nil {
		s.followed = map[string]followed{}
	}
	for _, c := range cmds {
		// No state: the backend's state that knew it is not known, so the first look asks.
		s.followed[c.ID] = followed{unit: c.DeviceID}
	}
}

// CommandCheckError is why the data layer's last look at a command it follows failed (it keeps
// looking); nil when the look succeeded or the command is not followed.
func (s *Replica) CommandCheckError(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkErr[id]
}

// followCommands looks at the followed commands every CommandPoll until ctx ends.
func (s *Replica) followCommands(ctx context.Context) {
	defer close(s.followDone)
	t := time.NewTicker(s.opts.CommandPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.lookAtFollowed(ctx)
		}
	}
}

// lookAtFollowed drops the followed commands that ended and reads the others' states from the
// backend: all of them without the stream, and with it those the backend's state may no longer
// know (it changed since they were last seen).
func (s *Replica) lookAtFollowed(ctx context.Context) {
	s.mu.Lock()
	if len(s.followed) == 0 {
		s.mu.Unlock()
		return
	}
	cmds := make(map[string]followed, len(s.followed))
	for id, f := range s.followed {
		cmds[id] = f
	}
	live, state := s.status.Updates == session.UpdatesLive, s.state
	s.mu.Unlock()
	for id, f := range cmds {
		dev := f.unit
		cached, err := s.cache.Command(ctx, id)
		if err == nil && cached.Status.Final() {
			s.unfollow(id, dev)
			continue
		}
		if live && f.state == state {
			continue // the stream brings its transitions into the cache
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		c, err := s.Command(cctx, id)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errCommandGone) || api.KindOf(err) == api.KindNotFound:
			s.commandGone(ctx, id, cached, dev)
			continue
		case err == nil:
			s.mu.Lock()
			if _, still := s.followed[id]; still {
				s.followed[id] = followed{unit: dev, state: state}
			}
			s.mu.Unlock()
		}
		s.setCheckErr(id, dev, err)
		if err == nil && c.Status.Final() {
			s.unfollow(id, dev)
		}
	}
}

// commandGone logs a followed command the backend no longer knows as expired, with the reason,
// announces it and stops following it. cmd is its last logged state (none: nothing to log).
func (s *Replica) commandGone(ctx context.Context, id string, cmd fleet.Command, dev string) {
	if cmd.ID == id {
		cmd.Status, cmd.Error, cmd.UpdatedAt = fleet.CommandExpired, goneReason, s.Now()
		if err := s.cache.RecordCommand(ctx, cmd); err != nil {
			s.setCheckErr(cmd.ID, dev, err)
			return
		}
		s.publish(session.Change{Commands: []string{dev}})
	}
	s.unfollow(id, dev)
}

func (s *Replica) unfollow(id, dev string) {
	s.mu.Lock()
	delete(s.followed, id)
	s.mu.Unlock()
	s.setCheckErr(id, dev, nil)
}

// setCheckErr keeps why the last look at a command failed and announces a change of it (the
// Manage page says it could not check the command's progress, and that FleetDesk keeps trying).
func (s *Replica) setCheckErr(id, dev string, err error) {
	s.mu.Lock()
	prev := s.checkErr[id]
	changed := (prev == nil) != (err == nil) || (err != nil && err.Error() != prev.Error())
	if err == nil {
		delete(s.checkErr, id)
	} else {
		if s.checkErr == nil {
			s.checkErr = map[string]error{}
		}
		s.checkErr[id] = err
	}
	s.mu.Unlock()
	if changed {
		s.publish(session.Change{Commands: []string{dev}})
	}
}
