package token

import (
	"fmt"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
)

// Policy is how long a token may live. The maximum is the line a dealer cannot cross: a customer
// token that never ends is access nobody remembers granting.
type Policy struct {
	DefaultLifetime time.Duration // what the wizard proposes
	MaxLifetime     time.Duration // the furthest expiry accepted, counted from now
	MaxNameLen      int           // longer names are refused (they end up in every list)
}

// DefaultPolicy is the dealer guide's: 90 days proposed, a year at most.
var DefaultPolicy = Policy{
	DefaultLifetime: 90 * 24 * time.Hour,
	MaxLifetime:     365 * 24 * time.Hour,
	MaxNameLen:      80,
}

// DefaultExpiry is the expiry the wizard proposes at time now: the end of the day the default
// lifetime reaches, so the preview's date is what the token really gets.
func (p Policy) DefaultExpiry(now time.Time) time.Time {
	return EndOfDay(now.Add(p.DefaultLifetime))
}

// MaxExpiry is the furthest expiry accepted at time now.
func (p Policy) MaxExpiry(now time.Time) time.Time { return now.Add(p.MaxLifetime) }

// EndOfDay is the last second of t's calendar day in t's location. A dealer picks a date; the
// token should live through that whole day.
func EndOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, t.Location())
}

// Reason says which rule a request breaks; the UI keys on it, people read Problem.Message.
type Reason string

// Every reason a token request can be refused for.
const (
	ReasonNotAllowed       Reason = "not_allowed"         // the actor may not issue tokens at all
	ReasonNoName           Reason = "no_name"             // the name/purpose is empty
	ReasonNameTooLong      Reason = "name_too_long"       // the name is longer than the policy allows
	ReasonNoUser           Reason = "no_user"             // no user account chosen
	ReasonUserUnknown      Reason = "user_unknown"        // the chosen ID is not an account FleetDesk knows
	ReasonUserOutOfScope   Reason = "user_out_of_scope"   // the account belongs to another dealer
	ReasonNoAccess         Reason = "no_access"           // read-only or control not decided
	ReasonBadAccess        Reason = "bad_access"          // an access level that does not exist
	ReasonControlNoReason  Reason = "control_no_reason"   // control asked for without saying why
	ReasonDeviceUnknown    Reason = "device_unknown"      // not in the dealer's fleet (unknown or out of scope)
	ReasonDeviceOutOfScope Reason = "device_out_of_scope" // known, but another dealer's
	ReasonDeviceNotOwned   Reason = "device_not_owned"    // the backend says another customer owns it
	ReasonDeviceDuplicate  Reason = "device_duplicate"    // listed twice
	ReasonNoExpiry         Reason = "no_expiry"           // no expiry given
	ReasonExpiryPast       Reason = "expiry_past"         // the expiry has already passed
	ReasonExpiryTooFar     Reason = "expiry_too_far"      // beyond the policy's maximum
	ReasonTokenUnknown     Reason = "token_unknown"       // revoke: not a token of the dealer's
	ReasonTokenInactive    Reason = "token_inactive"      // revoke: already revoked or expired
)

// Problem is one broken rule, in words a dealer can act on.
type Problem struct {
	Reason   Reason
	Field    string // "user", "access", "reason", "devices", "expires", "name"; "token" for a revoke
	DeviceID string // for device problems
	Message  string
}

func (p Problem) Error() string { return p.Message }

// Problems is every rule a request breaks, in the wizard's order; empty means valid.
type Problems []Problem

// Err is nil for no problems, or an error listing them all.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &InvalidError{Problems: ps}
}

// Has reports whether one of the problems has the reason.
func (ps Problems) Has(r Reason) bool {
	for _, p := range ps {
		if p.Reason == r {
			return true
		}
	}
	return false
}

// Field returns the problems of one field.
func (ps Problems) Field(field string) Problems {
	var out Problems
	for _, p := range ps {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// InvalidError is a refused token request.
type InvalidError struct{ Problems Problems }

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "token request refused: " + strings.Join(msgs, "; ")
}

// Check is what a request is judged against: who asks, the accounts and devices FleetDesk knows
// (the synced fleet is the dealer's scope as the backend reported it), and the time.
type Check struct {
	Actor  scope.Actor
	Users  []User       // the customer accounts known to FleetDesk
	Fleet  *fleet.Index // the dealer's fleet; may be nil when nothing is synced
	Now    time.Time
	Policy Policy // the zero Policy means DefaultPolicy
}

// UserByID finds a known account.
func (c Check) UserByID(id string) (User, bool) {
	for _, u := range c.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func (c Check) policy() Policy {
	if c.Policy.MaxLifetime <= 0 {
		return DefaultPolicy
	}
	return c.Policy
}

// Validate lists every rule the request breaks. It never contacts the backend: the backend checks
// again and is the authority; this is so the app never offers what would be refused.
func (c Check) Validate(req CreateRequest) Problems {
	var ps Problems
	add := func(r Reason, field, dev, format string, args ...any) {
		ps = append(ps, Problem{Reason: r, Field: field, DeviceID: dev, Message: fmt.Sprintf(format, args...)})
	}
	if c.Actor.Role != scope.RoleDealer && c.Actor.Role != scope.RoleAdmin {
		add(ReasonNotAllowed, "user", "", "only dealer accounts can issue tokens")
		return ps
	}

	// The user account.
	user, userKnown := User{}, false
	switch {
	case strings.TrimSpace(req.UserID) == "":
		add(ReasonNoUser, "user", "", "choose the customer's user account the token is for")
	default:
		user, userKnown = c.UserByID(req.UserID)
		switch {
		case !userKnown:
			add(ReasonUserUnknown, "user", "", "%s is not a customer's user account in your dealer scope", req.UserID)
		case !scope.CanIssueToken(c.Actor, user.Dealer, nil).Allowed:
			add(ReasonUserOutOfScope, "user", "", "%s belongs to another dealer: outside your dealer scope", userLabel(user))
		}
	}

	// The access level.
	switch req.Access {
	case "":
		add(ReasonNoAccess, "access", "", "decide read-only or control-enabled")
	case AccessReadOnly:
	case AccessControl:
		if strings.TrimSpace(req.Reason) == "" {
			add(ReasonControlNoReason, "reason", "", "control-enabled access needs a reason: say what the integration must control")
		}
	default:
		add(ReasonBadAccess, "access", "", "unknown access level %q (read-only or control-enabled)", req.Access)
	}

	// The devices it is restricted to.
	seen := make(map[string]bool, len(req.Devices))
	for _, id := range req.Devices {
		if seen[id] {
			add(ReasonDeviceDuplicate, "devices", id, "%s is listed twice", id)
			continue
		}
		seen[id] = true
		d, ok := c.Fleet.Get(id)
		if !ok {
			add(ReasonDeviceUnknown, "devices", id, "%s is not in your fleet: unknown, or outside your dealer scope", id)
			continue
		}
		var forUser *User
		if userKnown {
			forUser = &user
		}
		if p, bad := c.DeviceProblem(forUser, d); bad {
			ps = append(ps, p)
		}
	}

	// The expiry.
	p := c.policy()
	switch {
	case req.ExpiresAt.IsZero():
		add(ReasonNoExpiry, "expires", "", "choose when the token expires")
	case !req.ExpiresAt.After(c.Now):
		add(ReasonExpiryPast, "expires", "", "the expiry %s has already passed", req.ExpiresAt.Format(time.DateOnly))
	case req.ExpiresAt.After(p.MaxExpiry(c.Now)):
		add(ReasonExpiryTooFar, "expires", "", "the expiry %s is beyond the maximum of %d days (latest %s)",
			req.ExpiresAt.Format(time.DateOnly), int(p.MaxLifetime.Hours()/24), p.MaxExpiry(c.Now).Format(time.DateOnly))
	}

	// The name.
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		add(ReasonNoName, "name", "", "give the token a name that says what it is for")
	case p.MaxNameLen > 0 && len([]rune(name)) > p.MaxNameLen:
		add(ReasonNameTooLong, "name", "", "the name is longer than %d characters", p.MaxNameLen)
	}
	return ps
}

// DeviceProblem says why a device of the fleet cannot go on a token for the user (nil: not
// chosen yet), or bad is false when it can. The unit picker asks it for every row, Validate for
// every device of a request: one rule, so the picker never offers what Create would refuse.
func (c Check) DeviceProblem(user *User, d fleet.Device) (p Problem, bad bool) {
	switch {
	case !scope.CanIssueToken(c.Actor, c.Actor.Dealer, []fleet.Device{d}).Allowed:
		return Problem{Reason: ReasonDeviceOutOfScope, Field: "devices", DeviceID: d.ID,
			Message: d.ID + " is outside your dealer scope"}, true
	case user != nil && !Owns(*user, d):
		return Problem{Reason: ReasonDeviceNotOwned, Field: "devices", DeviceID: d.ID,
			Message: fmt.Sprintf("%s belongs to %s, not to %s", d.ID, d.CustomerEmail, userLabel(*user))}, true
	}
	return Problem{}, false
}

// CheckRevoke is the rule for revoking a token, whoever asks: the token must be one of the
// dealer's (known is false when the dealer's list does not hold it) and still active at time
// now: revoking a revoked or expired token changes nothing, so it is refused with the reason.
func CheckRevoke(i Info, known bool, now time.Time) Problems {
	switch {
	case !known:
		return Problems{{Reason: ReasonTokenUnknown, Field: "token", Message: "that token is not one of yours (unknown, or outside your dealer scope)"}}
	case !i.CanRevoke(now):
		return Problems{{Reason: ReasonTokenInactive, Field: "token", Message: fmt.Sprintf("the token %q is already %s", i.Name, i.StateAt(now))}}
	}
	return nil
}

// Owns reports whether the device may go on a token for the user. The device record names its
// customer by email; where it names none, ownership is not known and the backend decides.
func Owns(u User, d fleet.Device) bool {
	if strings.TrimSpace(d.CustomerEmail) == "" || strings.TrimSpace(u.Email) == "" {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(d.CustomerEmail), strings.TrimSpace(u.Email))
}

func userLabel(u User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.ID
}

// previewDevices is how many devices the preview names before it counts the rest.
const previewDevices = 3

// Preview says in one line what the token will allow: "read-only, 3 devices: X Pro XP-00211,
// D180 UN-00012, V5 UN-00450; expires 2027-02-23". Devices not in the fleet are named by ID.
func Preview(req CreateRequest, fl *fleet.Index, user *User) string {
	var b strings.Builder
	if req.Access == "" {
		b.WriteString("access not decided")
	} else {
		b.WriteString(req.Access.DisplayName())
	}
	b.WriteString(", ")
	switch n := len(req.Devices); n {
	case 0:
		if user != nil && user.Email != "" {
			fmt.Fprintf(&b, "every device of %s", user.Email)
		} else {
			b.WriteString("every device of the account")
		}
	default:
		if n == 1 {
			b.WriteString("1 device: ")
		} else {
			fmt.Fprintf(&b, "%d devices: ", n)
		}
		for i, id := range req.Devices {
			if i == previewDevices {
				fmt.Fprintf(&b, ", and %d more", n-previewDevices)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			if d, ok := fl.Get(id); ok {
				b.WriteString(d.Model.DisplayName() + " " + d.ID)
			} else {
				b.WriteString(id)
			}
		}
	}
	if !req.ExpiresAt.IsZero() {
		b.WriteString("; expires " + req.ExpiresAt.Format(time.DateOnly))
	}
	return b.String()
}
