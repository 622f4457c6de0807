package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind sorts failures the way callers act on them: offline means "keep serving the cache and try
// again later", unauthorized means "sign in again", refused means "the backend said no; show why".
type Kind int

// Kinds of failure.
const (
	KindOffline      Kind = iota + 1 // the backend could not be reached, or did not answer in time
	KindUnauthorized                 // 401: the session is gone; sign in again
	KindForbidden                    // 403: outside the caller's scope
	KindNotFound                     // 404
	KindConflict                     // 409 and variant_mismatch
	KindRefused                      // any other 4xx: the request was understood and refused
	KindRateLimited                  // 429 that outlasted the retries
	KindServer                       // 5xx that outlasted the retries
	KindBadResponse                  // the answer was malformed, truncated, wrong-typed or too big
)

func (k Kind) String() string {
	switch k {
	case KindOffline:
		return "offline"
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindNotFound:
		return "not found"
	case KindConflict:
		return "conflict"
	case KindRefused:
		return "refused"
	case KindRateLimited:
		return "rate limited"
	case KindServer:
		return "server error"
	case KindBadResponse:
		return "bad response"
	}
	return "unknown"
}

// Error is every failure the client returns. Endpoint names the call ("GET /v1/devices") so a
// message in a log or a dialog says where it went wrong; Status and Code are the HTTP status and
// the contract's error code when the backend answered at all.
type Error struct {
	Endpoint string
	Kind     Kind
	Status   int    // HTTP status; 0 when there was no answer
	Code     string // the contract's error code (CodeForbidden, ...); "" when none
	Message  string // the backend's message, or what went wrong locally
	Err      error  // the underlying cause, if any

	retryAfter time.Duration // what the backend asked us to wait before trying again
	transient  bool          // a cut-short answer: worth another try for an idempotent call
	silent     bool          // no answer at all (timed out): only Options.MaxSilent such attempts per call
}

// retryable reports whether another attempt of an idempotent call may succeed.
func (e *Error) retryable() bool {
	return e.transient || e.Kind == KindOffline || e.Kind == KindServer || e.Kind == KindRateLimited
}

func (e *Error) Error() string {
	switch {
	case e.Status != 0 && e.Code != "":
		return fmt.Sprintf("%s: HTTP %d %s: %s", e.Endpoint, e.Status, e.Code, e.Message)
	case e.Status != 0:
		return fmt.Sprintf("%s: HTTP %d %s: %s", e.Endpoint, e.Status, http.StatusText(e.Status), e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Endpoint, e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a client error, 0 for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// IsOffline reports whether err means the backend could not be reached: the caller should keep
// serving the cache and try again later.
func IsOffline(err error) bool { return KindOf(err) == KindOffline }

// IsUnauthorized reports whether err means the session is no longer valid.
func IsUnauthorized(err error) bool { return KindOf(err) == KindUnauthorized }

// CodeOf returns the contract's error code carried by err, "" when none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func kindForStatus(status int, code string) Kind {
	switch {
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict || code == CodeVariant || code == CodeConflict:
		return KindConflict
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 500:
		return KindServer
	}
	return KindRefused
}
