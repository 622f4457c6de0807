// Package words turns any error FleetDesk shows into the dealer's words plus the technical
// detail: the one mapping from errors to words, used alike by the screens (the sign-in, the
// status bar, every page's error dialog and in-place error lines) and by the CLI. It knows no
// HTTP client and no database: an error that has words of its own says them (DealerError: the
// backend client's failures, the sign-in's "not signed in"), and the rest is worded by what the
// standard library can tell (a cancelled or timed-out call, a busy SQLite file).
package words

import (
	"context"
	"errors"
	"strings"
)

// Described is an error in two layers: Summary in the dealer's words ("Wrong email or password",
// "Can't reach the fleet backend (connection refused)"), Detail the technical text for a "Details"
// view or a support ticket. Neither ever holds a secret: errors never carry one.
type Described struct {
	Summary string
	Detail  string
}

// DealerError is an error that knows its own words for the dealer. The outermost one in an
// error's chain speaks: a failed backend call (sync/api's *Error) wrapping the sign-in's "not
// signed in" is worded by the call's kind, which says what the dealer can do.
type DealerError interface {
	error
	DealerMessage() string
}

// Describe turns any error FleetDesk shows into dealer words plus the technical detail.
func Describe(err error) Described {
	if err == nil {
		return Described{}
	}
	d := Described{Detail: err.Error()}
	var de DealerError
	switch {
	case errors.As(err, &de):
		d.Summary = de.DealerMessage()
	case errors.Is(err, context.Canceled):
		d.Summary = "Cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		d.Summary = "The fleet backend did not answer in time"
	case isBusy(err):
		d.Summary = "Another FleetDesk is syncing this profile: try again in a moment"
	default:
		d.Summary = capitalise(err.Error())
	}
	if d.Detail == d.Summary {
		d.Detail = ""
	}
	return d
}

// Text is Describe's summary alone, for a label that reports a failure in place: never the
// endpoint, status code or socket text a raw error carries.
func Text(err error) string { return Describe(err).Summary }

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// isBusy recognises the offline cache's "database is locked" (SQLite's SQLITE_BUSY): another
// FleetDesk process of the profile held it for longer than the cache waits.
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 5 {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}
