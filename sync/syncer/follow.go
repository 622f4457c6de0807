package syncer

import (
	"context"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
)

// The data layer follows every command it sent until the command ends, so no screen ever polls
// for a command's state. While the event stream is open its transitions arrive with the stream
// and nothing is asked; without it (a backend that does not offer it, a proxy that holds it back,
// the minutes until it is tried again) the command is read every Options.CommandPoll, and each
// new status is stored in the command log and announced (Command does both). A command that
// ended, whoever brought the news, is no longer followed.

// followCommand starts following cmd unless it has ended. A replica without its background loop (the
// headless commands, which wait for a command themselves) follows nothing.
func (s *Replica) followCommand(cmd fleet.Command) {
	if cmd.ID == "" || cmd.Status.Final() || s.opts.Manual {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.followed == nil {
		s.followed = map[string]string{}
	}
	s.followed[cmd.ID] = cmd.DeviceID
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

// lookAtFollowed drops the followed commands that ended and, without the stream, reads the
// others' states from the backend.
func (s *Replica) lookAtFollowed(ctx context.Context) {
	s.mu.Lock()
	if len(s.followed) == 0 {
		s.mu.Unlock()
		return
	}
	ids := make(map[string]string, len(s.followed))
	for id, dev := range s.followed {
		ids[id] = dev
	}
	live := s.status.Updates == session.UpdatesLive
	s.mu.Unlock()
	for id, dev := range ids {
		if c, err := s.cache.Command(ctx, id); err == nil && c.Status.Final() {
			s.unfollow(id, dev)
			continue
		}
		if live {
			continue // the stream brings its transitions into the cache
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		c, err := s.Command(cctx, id)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.setCheckErr(id, dev, err)
		if err == nil && c.Status.Final() {
			s.unfollow(id, dev)
		}
	}
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
