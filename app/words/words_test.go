package words

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type dealerErr struct{ msg string }

func (e dealerErr) Error() string         { return "technical: " + e.msg }
func (e dealerErr) DealerMessage() string { return e.msg }

type busy struct{}

func (busy) Error() string { return "database is locked (5)" }
func (busy) Code() int     { return 5 }

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err             error
		summary, detail string
	}{
		{nil, "", ""},
		{dealerErr{"Another FleetDesk is syncing"}, "Another FleetDesk is syncing", "technical: Another FleetDesk is syncing"},
		// The outermost DealerError speaks.
		{fmt.Errorf("x: %w", dealerErr{"outer"}), "outer", "x: technical: outer"},
		{fmt.Errorf("sync: %w", context.Canceled), "Cancelled", "sync: context canceled"},
		{fmt.Errorf("opening: %w", context.DeadlineExceeded), "The fleet backend did not answer in time", "opening: context deadline exceeded"},
		{fmt.Errorf("writing: %w", busy{}), "Another FleetDesk is syncing this profile: try again in a moment", "writing: database is locked (5)"},
		{errors.New("release 2.4.1 is not cached"), "Release 2.4.1 is not cached", "release 2.4.1 is not cached"},
		{errors.New("Offline"), "Offline", ""},
	} {
		d := Describe(tc.err)
		if d.Summary != tc.summary || d.Detail != tc.detail {
			t.Errorf("%v: got %+v, want %q / %q", tc.err, d, tc.summary, tc.detail)
		}
		if Text(tc.err) != tc.summary {
			t.Errorf("Text(%v) = %q", tc.err, Text(tc.err))
		}
	}
}
