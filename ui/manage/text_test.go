package manage

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// A queued FW Update waits days for the unit's check-in: its deadline names the day and date, so
// "until Sun 22:03" sent on a Sunday cannot read as "in a minute".
func TestWaitingNamesTheDateOfADistantDeadline(t *testing.T) {
	sent := time.Date(2026, 11, 29, 22, 3, 0, 0, time.Local)
	fw := fleet.Command{Action: fleet.ActionFWUpdate, Status: fleet.CommandQueued, CreatedAt: sent, ExpiresAt: sent.Add(7 * 24 * time.Hour)}
	if got := waiting(fw); !strings.Contains(got, "next check-in") || !strings.Contains(got, "6 Dec 22:03") {
		t.Fatalf("FW Update waiting: %q", got)
	}
	stop := fleet.Command{Action: fleet.ActionStop, Status: fleet.CommandQueued, CreatedAt: sent, ExpiresAt: sent.Add(time.Hour)}
	if got := waiting(stop); !strings.HasSuffix(got, "(until 23:03)") {
		t.Fatalf("Stop waiting: %q", got)
	}
}
