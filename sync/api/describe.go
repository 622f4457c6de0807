package api

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/fleetdesk/fleetdesk/app/rollout"
)

// DealerMessage is the failure in the dealer's words, by its kind (words.DealerError): words.Describe
// gives it precedence over any error it wraps, since the kind says what the dealer can do.
func (e *Error) DealerMessage() string { return describeAPI(e) }

func describeAPI(e *Error) string {
	switch e.Kind {
	case KindOffline:
		return Unreachable(e)
	case KindUnauthorized:
		if strings.HasSuffix(e.Endpoint, PathLogin) {
			return "Wrong email or password"
		}
		return "Your sign-in has expired: sign in again"
	case KindForbidden:
		return "The fleet backend refused: this is outside your dealer scope" + backendSays(e)
	case KindNotFound:
		return "The fleet backend does not know this (it may have been removed or be outside your scope)"
	case KindConflict:
		if e.Code == CodeUnitsChanged {
			// The backend's own text lists unit IDs and counts: the Details, not the words.
			return UnitsChangedWords
		}
		return "The fleet backend refused" + backendSays(e)
	case KindRefused:
		return "The fleet backend refused the request" + backendSays(e)
	case KindRateLimited:
		return "The fleet backend is busy and asked FleetDesk to slow down: try again in a moment"
	case KindServer:
		if e.Status != 0 {
			return fmt.Sprintf("The fleet backend has a problem (HTTP %d): try again later", e.Status)
		}
		return "The fleet backend has a problem: try again later"
	case KindBadResponse:
		return "The fleet backend sent an answer FleetDesk cannot read"
	}
	return "Something went wrong talking to the fleet backend"
}

// UnitsChangedWords is what a my_fleet deployment refused with CodeUnitsChanged means to the
// dealer, and what to do about it. rollout.UnitsChangedError (the same refusal found before the
// request) says the same.
const UnitsChangedWords = rollout.UnitsChangedWords

// backendSays adds the backend's own message when it gave one: it is written for people.
func backendSays(e *Error) string {
	m := strings.TrimSpace(e.Message)
	if m == "" || e.Status == 0 || m == "no error details in the answer" {
		return ""
	}
	return ": " + m
}

// Unreachable is "Can't reach the fleet backend (why)" for a failure to get any answer.
func Unreachable(err error) string {
	if why := unreachableWhy(err); why != "" {
		return "Can't reach the fleet backend (" + why + ")"
	}
	return "Can't reach the fleet backend"
}

// unreachableWhy names the cause of a failed connection in a few plain words.
func unreachableWhy(err error) string {
	var dnsErr *net.DNSError
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var ae *Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "no network route to it"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was cut"
	case errors.As(err, &dnsErr):
		return "server name not found"
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &invalid):
		return "its security certificate was not accepted"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &ae) && strings.HasPrefix(ae.Message, "no answer within"):
		return "no answer in time"
	case errors.As(err, &ae) && strings.HasPrefix(ae.Message, "gave up waiting"):
		return "no answer in time"
	}
	// Some platforms word a refused connection without the errno (Windows' WSAECONNREFUSED).
	if s := err.Error(); strings.Contains(s, "connection refused") || strings.Contains(s, "actively refused") {
		return "connection refused"
	}
	return ""
}
