package syncer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/internal/testsim"
	"github.com/fleetdesk/fleetdesk/sim"
)

// TestACommandIsAnnouncedOncePerEvent: after a command is sent, the data layer announces each
// event once (the command recorded, each new status it reaches) and asks for one sync, when the
// command ends and the unit's state has changed with it; a poll that finds nothing new announces
// nothing. A page that reloads its history on each announcement and never syncs itself then
// fetches once per event (issue 21 item 8).
func TestACommandIsAnnouncedOncePerEvent(t *testing.T) {
	srv, acc := testsim.Start(context.Background(), t, sim.Config{Devices: 120, Dealers: 1, Seed: 7, ManualClock: true})
	s := openSynced(t, srv.URL, acc)
	ctx := context.Background()
	var unit fleet.Device
	for _, d := range s.Fleet().Devices() {
		if d.Online {
			unit = *d
			break
		}
	}
	if unit.ID == "" {
		t.Fatal("no online unit in the seeded fleet")
	}
	var mu sync.Mutex
	announced := 0
	defer s.Subscribe(func(ch session.Change) {
		if slices.Contains(ch.Commands, unit.ID) {
			mu.Lock()
			announced++
			mu.Unlock()
		}
	})()
	count := func() int { mu.Lock(); defer mu.Unlock(); n := announced; announced = 0; return n }
	syncsAsked := func() int {
		select {
		case <-s.syncNow:
			return 1
		default:
			return 0
		}
	}
	syncsAsked() // whatever opening asked for

	cmd, err := s.SendCommand(ctx, fleet.CommandRequest{DeviceID: unit.ID, Action: fleet.ActionReboot})
	if err != nil {
		t.Fatal(err)
	}
	if n, syncs := count(), syncsAsked(); n != 1 || syncs != 0 {
		t.Fatalf("sending: %d announcements and %d syncs asked, want 1 and 0", n, syncs)
	}
	last := cmd.Status
	for step := 0; !last.Final(); step++ {
		if step == 200 {
			t.Fatalf("the reboot did not end in 200 steps (%s)", last)
		}
		got, err := s.Command(ctx, cmd.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, syncs := count(), syncsAsked()
		switch {
		case got.Status == last && (n != 0 || syncs != 0):
			t.Fatalf("a poll that found %s again: %d announcements, %d syncs asked", got.Status, n, syncs)
		case got.Status != last && n != 1:
			t.Fatalf("%s → %s: %d announcements, want 1", last, got.Status, n)
		case got.Status.Final() != (syncs == 1):
			t.Fatalf("%s → %s: %d syncs asked, want one exactly when the command ends", last, got.Status, syncs)
		}
		last = got.Status
		srv.Advance(5 * time.Second)
	}
	// The ended command, polled again, is old news.
	if _, err := s.Command(ctx, cmd.ID); err != nil {
		t.Fatal(err)
	}
	if n, syncs := count(), syncsAsked(); n != 0 || syncs != 0 {
		t.Fatalf("polling an ended command again: %d announcements, %d syncs asked", n, syncs)
	}
}
