package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/scope"
	"github.com/fleetdesk/fleetdesk/app/token"
)

// Secret prefixes tell the kinds apart at a glance in a client's debugger, never in a log.
const (
	prefixAccess  = "fsa_"
	prefixRefresh = "fsr_"
	prefixToken   = "fdt_"
	refreshTTL    = 30 * 24 * time.Hour
	maxTokenLife  = 365 * 24 * time.Hour
	defTokenLife  = 90 * 24 * time.Hour
)

// session is a signed-in account's access or refresh token; only its hash is kept.
type session struct {
	Email   string    `json:"email"`
	Refresh bool      `json:"refresh"`
	Expires time.Time `json:"expires"`
	Pair    string    `json:"pair"` // links an access token to its refresh token for logout
}

// tokenRec is an issued customer API token; only the secret's hash is kept.
type tokenRec struct {
	Info   token.Info `json:"info"`
	Hash   string     `json:"hash"`
	Dealer string     `json:"dealer"`
	devSet map[string]bool
	dirty  bool
}

// principal is who a request acts as.
type principal struct {
	actor scope.Actor
	name  string
	tok   *tokenRec // a customer API token; nil for signed-in accounts
	cust  *customer // the token's customer
	pair  string
}

func newSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sim: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sameString(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// bearer extracts the token of an "Authorization: Bearer x" header.
func bearer(h string) (string, bool) {
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	t := strings.TrimSpace(h[len(p):])
	return t, t != "" && len(t) < 512
}

// canSee reports whether the principal may see device d at all.
func (p *principal) canSee(d *dev) bool {
	switch p.actor.Role {
	case scope.RoleAdmin:
		return true
	case scope.RoleDealer:
		return d.D.Dealer == p.actor.Dealer
	case scope.RoleCustomer:
		if p.cust == nil || d.D.CustomerEmail != p.cust.User.Email || d.D.Dealer != p.cust.User.Dealer {
			return false
		}
		return len(p.tok.devSet) == 0 || p.tok.devSet[d.D.ID]
	}
	return false
}

// hadInScope reports, for a customer token, whether a unit its account lists but no longer sees
// was once in the token's scope: owned by the account and, for a restricted token, one of its
// devices. Its departure is news to the token (a removal); any other unit never was its business.
func (p *principal) hadInScope(d *dev) bool {
	return p.tok != nil && (len(p.tok.devSet) == 0 || p.tok.devSet[d.D.ID])
}

// readOnly reports whether every write must be refused.
func (p *principal) readOnly() bool {
	return p.tok != nil && p.tok.Info.Access != token.AccessControl
}

// customerMayCommand is the control-enabled token's rule: live commands yes, firmware no (that is
// the dealer's job, through rollouts).
func customerMayCommand(a fleet.Action) bool {
	return a == fleet.ActionStart || a == fleet.ActionStop || a == fleet.ActionReboot
}
