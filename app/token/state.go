package token

import "time"

// State is where an issued token stands.
type State string

// Token states as the Tokens page shows them.
const (
	StateActive  State = "active"
	StateExpired State = "expired"
	StateRevoked State = "revoked"
)

// StateAt is the token's state at time now. Revocation wins over expiry: it is the dealer's act.
func (i Info) StateAt(now time.Time) State {
	switch {
	case i.Revoked:
		return StateRevoked
	case !i.ExpiresAt.IsZero() && !now.Before(i.ExpiresAt):
		return StateExpired
	}
	return StateActive
}

// CanRevoke reports whether revoking still changes anything.
func (i Info) CanRevoke(now time.Time) bool { return i.StateAt(now) == StateActive }
